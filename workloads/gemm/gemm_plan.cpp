#include "workloads/gemm/gemm_plan.hpp"

#include <fmt/format.h>

#include <algorithm>
#include <array>
#include <cmath>
#include <set>

#include "sim/common/error.hpp"

namespace xpusim::gemm {
namespace {

// Load-to-use latency of a tile load: HBM latency (~480 ns on H100, Chips and Cheese) plus
// descriptor and issue overhead. Only ranks candidates.
constexpr double kLoadLatencySeconds = 0.7e-6;
// Gap before a dependent kernel (the split-K reduction) starts working.
constexpr double kDependentLaunchSeconds = 2e-6;
constexpr double kMargin = 0.02;
constexpr std::uint32_t kBarrierBytes = 1024;
constexpr std::uint32_t kMaxRegisters = 255;
constexpr std::uint32_t kMaxSplitK = 16;
constexpr std::uint64_t kMinKStepsPerSplit = 4;
// Registers beyond the accumulators: operand fragments, addresses, loop state (typical of
// ptxas -v on CUTLASS builds). The TMA producer warpgroup gives its registers up (setmaxnreg).
constexpr std::uint32_t kMmaThreadOverheadRegs = 40;
constexpr std::uint32_t kCpAsyncThreadOverheadRegs = 72;
constexpr std::uint32_t kProducerRegs = 40;

struct Tile {
  std::uint32_t bm, bn;
};

struct FamilyRules {
  Mainloop mainloop;
  std::uint32_t k_step_bytes;
  std::uint32_t max_stages;
  std::vector<Tile> tiles;  // preferred first
};

FamilyRules rules_for(const KernelTarget& t) {
  switch (t.async_copy) {
    case AsyncCopy::kTma:
      return {Mainloop::kWarpSpecializedTma,
              128,
              8,
              {{128, 256}, {256, 128}, {128, 128}, {128, 64}, {64, 256}, {64, 128}, {64, 64}}};
    case AsyncCopy::kCpAsync:
      return {Mainloop::kMultistageCpAsync,
              64,
              4,
              {{128, 256}, {256, 128}, {128, 128}, {128, 64}, {64, 128}, {64, 64}}};
    case AsyncCopy::kNone:
      break;
  }
  return {Mainloop::kDoubleBuffered, 64, 2, {{128, 128}, {128, 64}, {64, 64}}};
}

std::uint64_t ceil_div(std::uint64_t a, std::uint64_t b) {
  return (a + b - 1) / b;
}
std::uint32_t round_up(std::uint32_t a, std::uint32_t b) {
  return (a + b - 1) / b * b;
}

void check_target(const KernelTarget& t, DType in) {
  auto fail = [&](std::string_view what) {
    throw UserError(fmt::format("chip '{}': {}", t.chip, what));
  };
  if (t.units < 1) fail("needs at least one unit");
  if (t.clock_hz <= 0) fail("clock must be positive");
  if (t.memory_bandwidth <= 0) fail("memory bandwidth must be positive");
  if (t.max_smem_per_cta == 0) fail("max_smem_per_cta is 0");
  if (t.tensor_rate(in) <= 0)
    fail(fmt::format("has no tensor-core rate for {} (no {} GEMM on this chip)", dtype_name(in),
                     dtype_name(in)));
}

// The family's stage cap is what its kernels use where shared memory is ~200 KB. An engine with
// megabytes of staging buffer (Gaudi's MME reading the shared SRAM) instead keeps as many
// loads in flight as its share of HBM bandwidth needs over twice the load latency (Little's law,
// with room for queueing under load), which the DMA engines feeding it do. On GPUs the
// shared-memory limit binds well before this.
std::uint64_t deepest_useful_pipeline(const KernelTarget& t, const FamilyRules& rules,
                                      std::uint64_t stage_bytes) {
  // Only descriptor-driven copies (TMA, DMA engines) queue loads without costing instructions;
  // cp.async kernels keep their family's depth.
  if (rules.mainloop != Mainloop::kWarpSpecializedTma) return rules.max_stages;
  const double in_flight = 2 * kLoadLatencySeconds * t.memory_bandwidth / t.units;
  const auto needed = static_cast<std::uint64_t>(std::ceil(in_flight / double(stage_bytes))) + 1;
  return std::max<std::uint64_t>(rules.max_stages, needed);
}

// Fills the per-CTA resources of `tile`, or returns false when it does not fit the chip.
bool fit_tile(GemmPlan& p, const KernelTarget& t, const FamilyRules& rules,
              const GemmPlanOptions& options) {
  const std::uint64_t e = element_bytes(p.problem.in);
  const std::uint64_t out_e = element_bytes(p.problem.out);
  std::uint32_t mma_threads, overhead, producer_threads = 0;
  std::uint64_t epilogue_bytes = 0;
  if (rules.mainloop == Mainloop::kWarpSpecializedTma) {
    mma_threads = 128 * std::min<std::uint32_t>(2, p.bm / 64);
    producer_threads = 128;
    overhead = kMmaThreadOverheadRegs;
    epilogue_bytes = 2ull * p.bm * 32 * out_e;  // two 32-column subtiles staged for TMA stores
  } else {
    mma_threads = p.bm * p.bn >= 128 * 128 ? 256 : 128;
    overhead = kCpAsyncThreadOverheadRegs;
  }
  std::uint32_t mma_regs = round_up(p.bm * p.bn / mma_threads + overhead, 8);
  if (mma_regs > kMaxRegisters) return false;
  p.threads_per_cta = mma_threads + producer_threads;
  std::uint64_t total_regs =
      std::uint64_t{mma_threads} * mma_regs + std::uint64_t{producer_threads} * kProducerRegs;
  p.registers_per_thread = static_cast<std::uint32_t>(ceil_div(total_regs, p.threads_per_cta));
  if (total_regs > std::uint64_t(t.registers_per_unit)) return false;
  if (p.threads_per_cta > std::uint32_t(t.max_threads_per_unit)) return false;

  const std::uint64_t stage_bytes = std::uint64_t{p.bm + p.bn} * p.bk * e;
  const std::uint64_t fixed = epilogue_bytes + kBarrierBytes;
  if (t.max_smem_per_cta < fixed + 2 * stage_bytes) return false;
  std::uint64_t stages = (t.max_smem_per_cta - fixed) / stage_bytes;
  stages = std::min<std::uint64_t>(stages, deepest_useful_pipeline(t, rules, stage_bytes));
  if (options.max_stages) stages = std::min<std::uint64_t>(stages, options.max_stages);
  stages = std::max<std::uint64_t>(2, std::min(stages, p.k_steps_per_split));
  p.stages = static_cast<std::uint32_t>(stages);
  p.smem_bytes_per_cta = static_cast<std::uint32_t>(fixed + stages * stage_bytes);

  std::uint64_t smem_unit = t.smem_per_unit ? t.smem_per_unit : t.max_smem_per_cta;
  std::uint64_t occupancy = std::min<std::uint64_t>(
      {std::uint64_t(t.max_ctas_per_unit), t.max_threads_per_unit / p.threads_per_cta,
       std::uint64_t(t.registers_per_unit) / total_regs, smem_unit / p.smem_bytes_per_cta});
  if (occupancy == 0) return false;
  p.ctas_per_unit = static_cast<std::uint32_t>(occupancy);
  return true;
}

// Cell `index` of a rows x cols grid walked in bands of `width` along the raster order.
std::pair<std::uint64_t, std::uint64_t> raster_cell(std::uint64_t index, std::uint64_t rows,
                                                    std::uint64_t cols, RasterOrder order,
                                                    std::uint64_t width) {
  // Along M: bands of `width` columns, left to right; inside a band row by row. Along N is the
  // transpose.
  bool along_m = order == RasterOrder::kAlongM;
  std::uint64_t along = along_m ? rows : cols;   // extent walked inside a band
  std::uint64_t across = along_m ? cols : rows;  // extent cut into bands
  std::uint64_t full_bands = across / width;
  std::uint64_t a, b;  // position along, position across
  if (index / (along * width) < full_bands) {
    std::uint64_t band = index / (along * width), r = index % (along * width);
    a = r / width;
    b = band * width + r % width;
  } else {
    std::uint64_t r = index - full_bands * along * width, w = across - full_bands * width;
    a = r / w;
    b = full_bands * width + r % w;
  }
  return along_m ? std::pair{a, b} : std::pair{b, a};
}

// Distinct A and B bytes one k-step of the first `ctas` CTAs reads.
double first_wave_step_bytes(const GemmPlan& p, std::uint64_t ctas) {
  std::set<std::pair<std::uint64_t, std::uint32_t>> rows, cols;
  for (std::uint64_t i = 0; i < ctas; ++i) {
    TileCoord c = p.tile_of(i);
    rows.emplace(c.m, c.split);
    cols.emplace(c.n, c.split);
  }
  double e = double(element_bytes(p.problem.in));
  return (double(rows.size()) * p.bm + double(cols.size()) * p.bn) * p.bk * e;
}

void estimate(GemmPlan& p, const KernelTarget& t) {
  const GemmProblem& g = p.problem;
  const double bw = t.memory_bandwidth;
  const std::uint64_t concurrent = std::uint64_t(t.units) * p.ctas_per_unit;
  const std::uint64_t first = std::min(p.ctas, concurrent);
  p.waves = ceil_div(p.ctas, concurrent);
  p.raster = p.tiles_n > p.tiles_m ? RasterOrder::kAlongM : RasterOrder::kAlongN;
  double step_bytes = 0;
  std::uint32_t best_width = 1;
  for (std::uint32_t width : {1u, 2u, 4u, 8u}) {
    p.swizzle = width;
    double bytes = first_wave_step_bytes(p, first);
    if (width == 1 || bytes < step_bytes) {
      step_bytes = bytes;
      best_width = width;
    }
  }
  p.swizzle = best_width;
  // L2 reads of one k-step per CTA (a multicast box is read once per cluster), and the pipeline
  // bound: a CTA keeps stages-1 loads in flight, each taking the load latency.
  const double e = double(element_bytes(g.in));
  const double l2_per_cta = (double(p.bm) / p.cluster_n + double(p.bn) / p.cluster_m) * p.bk * e;
  auto step_terms = [&](std::uint64_t c) {
    GemmPlan::StepTerms s;
    s.mma = double(ceil_div(c, t.units)) * 2.0 * p.bm * p.bn * p.bk /
            (t.tensor_rate(g.in) * t.clock_hz);
    s.dram = step_bytes * double(c) / double(first) / bw;
    s.l2 = t.l2_bandwidth > 0 ? double(c) * l2_per_cta / t.l2_bandwidth : 0.0;
    s.pipeline = kLoadLatencySeconds / (p.stages - 1);
    return s;
  };
  p.first_wave_step = step_terms(first);
  const double out_e = p.split_k > 1 ? 4.0 : double(element_bytes(g.out));
  auto wave_seconds = [&](std::uint64_t c) {
    GemmPlan::StepTerms s = step_terms(c);
    double step = std::max({s.mma, s.dram, s.l2, s.pipeline});
    return kLoadLatencySeconds + double(p.k_steps_per_split) * step +
           double(c) * p.bm * p.bn * out_e / bw;
  };
  // Full waves all cost the same: multiplied, not looped (an absurd shape has billions of CTAs).
  const std::uint64_t full_waves = p.ctas / concurrent, last = p.ctas % concurrent;
  double total = double(full_waves) * wave_seconds(concurrent);
  if (last > 0) total += wave_seconds(last);
  double mn = double(g.m) * double(g.n);
  if (p.split_k > 1)
    total +=
        (p.split_k * mn * 4.0 + mn * double(element_bytes(g.out))) / bw + kDependentLaunchSeconds;
  double compulsory = (double(g.m) * g.k * e + double(g.k) * g.n * e + mn * out_e) / bw;
  p.estimated_seconds = std::max(total, compulsory);
}

std::string summary(const GemmPlan& p) {
  return fmt::format(
      "{}x{}x{} {} stages, cluster {}x{}, split-K {}: {} CTAs, {} waves, est "
      "{:.2f} us",
      p.bm, p.bn, p.bk, p.stages, p.cluster_m, p.cluster_n, p.split_k, p.ctas, p.waves,
      p.estimated_seconds * 1e6);
}

}  // namespace

std::string_view mainloop_name(Mainloop m) {
  switch (m) {
    case Mainloop::kWarpSpecializedTma:
      return "warp-specialised TMA";
    case Mainloop::kMultistageCpAsync:
      return "multistage cp.async";
    case Mainloop::kDoubleBuffered:
      return "double-buffered";
  }
  return "?";
}

std::string_view GemmPlan::StepTerms::limiter() const {
  double most = std::max({mma, dram, l2, pipeline});
  if (most == mma) return "tensor-core";
  if (most == dram) return "DRAM";
  if (most == l2) return "L2";
  return "pipeline-latency";
}

TileCoord GemmPlan::tile_of(std::uint64_t index) const {
  TileCoord c;
  c.split = static_cast<std::uint32_t>(index / output_tiles());
  std::uint64_t r = index % output_tiles();
  std::uint64_t cluster = r / cluster_size(), within = r % cluster_size();
  auto [cm, cn] = raster_cell(cluster, tiles_m / cluster_m, tiles_n / cluster_n, raster, swizzle);
  c.m = cm * cluster_m + within % cluster_m;
  c.n = cn * cluster_n + within / cluster_m;
  return c;
}

std::pair<std::uint64_t, std::uint64_t> GemmPlan::k_range(std::uint32_t split) const {
  std::uint64_t first = std::uint64_t{split} * k_steps_per_split * bk;
  std::uint64_t last = std::min(problem.k, first + k_steps_per_split * bk);
  return {std::min(first, problem.k), last};
}

GemmPlan plan_gemm(const GemmProblem& g, const KernelTarget& t, const GemmPlanOptions& options) {
  if (g.m == 0 || g.n == 0 || g.k == 0 || g.m > kMaxGemmDim || g.n > kMaxGemmDim ||
      g.k > kMaxGemmDim)
    throw UserError(
        fmt::format("GEMM {}: dimensions must be in 1..{}", g.to_string(), kMaxGemmDim));
  if (!is_gemm_input_dtype(g.in))
    throw UserError(fmt::format("GEMM input type {} is not supported", dtype_name(g.in)));
  check_target(t, g.in);
  const FamilyRules rules = rules_for(t);
  const std::uint64_t e = element_bytes(g.in);

  std::vector<GemmPlan> fitted;
  for (Tile tile : rules.tiles) {
    if ((options.bm && tile.bm != options.bm) || (options.bn && tile.bn != options.bn)) continue;
    GemmPlan base;
    base.problem = g;
    base.chip = t.chip;
    base.mainloop = rules.mainloop;
    base.bm = tile.bm;
    base.bn = tile.bn;
    base.bk = static_cast<std::uint32_t>(rules.k_step_bytes / e);
    base.tiles_m = ceil_div(g.m, base.bm);
    base.tiles_n = ceil_div(g.n, base.bn);
    base.k_steps = ceil_div(g.k, base.bk);
    if (rules.mainloop == Mainloop::kWarpSpecializedTma && options.allow_clusters &&
        t.max_cluster_size >= 2) {
      if (base.tiles_m % 2 == 0)
        base.cluster_m = 2;
      else if (base.tiles_n % 2 == 0)
        base.cluster_n = 2;
    }
    std::vector<std::uint32_t> splits = {1};
    if (base.output_tiles() < std::uint64_t(t.units) || options.split_k) {
      for (std::uint32_t s = 2; s <= kMaxSplitK; ++s) {
        std::uint64_t per_split = ceil_div(base.k_steps, s);
        bool useful =
            base.output_tiles() * s <= std::uint64_t(t.units) && per_split >= kMinKStepsPerSplit;
        if ((options.split_k == s || (!options.split_k && useful)) &&
            (s - 1) * per_split < base.k_steps)
          splits.push_back(s);
      }
    }
    for (std::uint32_t s : splits) {
      if (options.split_k && s != options.split_k) continue;
      GemmPlan p = base;
      p.split_k = s;
      p.k_steps_per_split = ceil_div(p.k_steps, s);
      p.ctas = p.output_tiles() * s;
      if (!fit_tile(p, t, rules, options)) continue;
      estimate(p, t);
      fitted.push_back(std::move(p));
    }
  }
  if (fitted.empty())
    throw UserError(
        fmt::format("GEMM {} on '{}': no tile of the {} candidates fits (max {} bytes "
                    "of shared memory per CTA){}",
                    g.to_string(), t.chip, mainloop_name(rules.mainloop), t.max_smem_per_cta,
                    options.split_k ? " with the requested split-K" : ""));
  std::size_t best = 0;
  for (std::size_t i = 1; i < fitted.size(); ++i)
    if (fitted[i].estimated_seconds < fitted[best].estimated_seconds * (1 - kMargin)) best = i;
  GemmPlan chosen = fitted[best];
  std::vector<std::size_t> others;
  for (std::size_t i = 0; i < fitted.size(); ++i)
    if (i != best) others.push_back(i);
  std::stable_sort(others.begin(), others.end(), [&](std::size_t a, std::size_t b) {
    return fitted[a].estimated_seconds < fitted[b].estimated_seconds;
  });
  for (std::size_t i = 0; i < others.size() && i < 3; ++i)
    chosen.alternatives.push_back(summary(fitted[others[i]]));
  return chosen;
}

std::string GemmPlan::to_string() const {
  std::string s = fmt::format("GEMM {} on {}\n", problem.to_string(), chip);
  s += fmt::format(
      "  tile {}x{}x{}, {} stages, {}, {} threads, {} registers/thread, {} bytes "
      "smem/CTA, {} CTA(s)/unit\n",
      bm, bn, bk, stages, mainloop_name(mainloop), threads_per_cta, registers_per_thread,
      smem_bytes_per_cta, ctas_per_unit);
  s += fmt::format("  cluster {}x{}{}, split-K {}\n", cluster_m, cluster_n,
                   cluster_m > 1   ? " (B tiles multicast)"
                   : cluster_n > 1 ? " (A tiles multicast)"
                                   : "",
                   split_k);
  s += fmt::format(
      "  grid {}x{} tiles x {} splits = {} CTAs in {} wave(s); raster along {}, "
      "swizzle {}\n",
      tiles_m, tiles_n, split_k, ctas, waves, raster == RasterOrder::kAlongM ? "M" : "N", swizzle);
  double tflops = problem.flops() / estimated_seconds / 1e12;
  const StepTerms& st = first_wave_step;
  s += fmt::format(
      "  estimate {:.2f} us ({:.1f} TFLOP/s); first-wave k-step: MMA {:.3f} us, DRAM "
      "{:.3f} us, L2 {:.3f} us, pipeline {:.3f} us: {}-bound\n",
      estimated_seconds * 1e6, tflops, st.mma * 1e6, st.dram * 1e6, st.l2 * 1e6, st.pipeline * 1e6,
      st.limiter());
  for (const std::string& a : alternatives) s += "  runner-up: " + a + "\n";
  return s;
}

}  // namespace xpusim::gemm
