#include "workloads/attention/attention_plan.hpp"

#include <fmt/format.h>

#include <algorithm>
#include <cmath>
#include <tuple>

#include "sim/common/error.hpp"

namespace xpusim::attention {
namespace {

constexpr std::uint32_t kBarrierBytes = 1024;  // mbarriers of the TMA pipeline
constexpr std::uint32_t kMaxRegisters = 255;
constexpr std::uint32_t kFa2ExtraRegisters = 64;  // fragments, addresses, softmax state
constexpr std::uint32_t kMaxSplits = 128;
constexpr std::uint32_t kMinBn = 16;
// Load-to-use latency of a KV tile (the GEMM planner's figure); sizes decode pipelines only.
constexpr double kLoadLatencySeconds = 0.7e-6;

std::uint64_t ceil_div(std::uint64_t a, std::uint64_t b) {
  return (a + b - 1) / b;
}
std::uint32_t round_up(std::uint64_t a, std::uint64_t b) {
  return static_cast<std::uint32_t>(ceil_div(a, b) * b);
}

bool is_fa3(const KernelTarget& t) {
  return t.async_copy == AsyncCopy::kTma;
}

void check_target(const AttentionProblem& p, const KernelTarget& t) {
  auto fail = [&](const std::string& why) {
    throw UserError(fmt::format("attention on chip '{}': {}", t.chip, why));
  };
  if (t.units < 1) fail("needs at least one unit");
  if (t.max_smem_per_cta == 0) fail("max_smem_per_cta is 0");
  if (t.tensor_rate(p.dtype) <= 0)
    fail(fmt::format("has no {} tensor-core rate (no {} attention on this chip)",
                     dtype_name(p.dtype), dtype_name(p.dtype)));
}

// Forward tile widths of FA3 (tile_size_fwd_sm90) and FA2 by the qk width.
std::uint32_t forward_bn(const AttentionPlan& p, bool fa3) {
  const std::uint64_t d = p.shape.head_dim;
  if (!fa3) return d <= 64 ? 128 : 64;
  if (d <= 128) return 128;
  if (d <= 192) return p.shape.head_dim_v <= 128 ? 128 : 112;
  return p.problem.dtype == DType::kFp8 ? 128 : 80;
}

std::uint32_t decode_bn(const AttentionPlan& p, bool fa3) {
  const std::uint64_t d = p.shape.head_dim;
  if (fa3) return d <= 128 ? 128 : 64;
  return d <= 64 ? 256 : (d <= 128 ? 128 : 64);
}

// Shared memory of the current tile, by pass and kernel.
std::uint64_t smem_bytes(const AttentionPlan& p) {
  const std::uint64_t e = static_cast<std::uint64_t>(dtype_bytes(p.problem.dtype));
  const std::uint64_t d = p.shape.head_dim, dv = p.shape.head_dim_v;
  const bool fa3 = p.kernel == AttentionKernel::kFa3WarpSpecialized;
  // MLA decode reads V as the first d_v columns of the latent K tile: no V buffer.
  const std::uint64_t v_width = p.problem.mla && p.problem.pass == Pass::kDecode ? 0 : dv;
  const std::uint64_t barriers = fa3 ? kBarrierBytes : 0;
  if (p.problem.pass == Pass::kBackward) {
    const std::uint64_t kv = std::uint64_t{p.bn} * (d + dv) * e;
    const std::uint64_t per_stage = std::uint64_t{p.bm} * (d + dv) * e + 2ull * p.bm * 4;
    const std::uint64_t p_and_ds = 2ull * p.bm * p.bn * e;
    return kv + p.stages * per_stage + p_and_ds + barriers;
  }
  const std::uint64_t q = std::uint64_t{p.bm} * d * e;
  const std::uint64_t kv_tile = std::uint64_t{p.bn} * (d + v_width) * e;
  // FA3 keeps `stages` (K, V) buffers; FA2 one K and one V buffer (loads alternate between them).
  return q + (fa3 ? p.stages : 1) * kv_tile + barriers;
}

void set_threads_and_registers(AttentionPlan& p) {
  if (p.kernel == AttentionKernel::kFa3WarpSpecialized) {
    // FA3's setmaxnreg split between the producer warpgroup and the consumers.
    const std::uint32_t mma_groups = p.problem.pass == Pass::kBackward ? 2 : p.consumers;
    const std::uint32_t producer = mma_groups == 1 ? 56 : (mma_groups == 2 ? 24 : 32);
    const std::uint32_t consumer = mma_groups == 1 ? 256 : (mma_groups == 2 ? 240 : 160);
    p.threads_per_cta = 128 * (1 + mma_groups);
    p.registers_per_thread = (producer + mma_groups * consumer) / (1 + mma_groups);
    return;
  }
  const bool bwd = p.problem.pass == Pass::kBackward;
  p.threads_per_cta = bwd || p.shape.head_dim > 128 ? 256 : 128;
  const std::uint64_t acc =
      bwd ? std::uint64_t{p.bn} * (p.shape.head_dim + p.shape.head_dim_v)  // dK, dV
          : std::uint64_t{p.bm} * (p.shape.head_dim_v + p.bn);             // O, S
  p.registers_per_thread = std::min<std::uint32_t>(
      kMaxRegisters, round_up(acc / p.threads_per_cta + kFa2ExtraRegisters, 8));
}

// Shrinks the tile until shared memory fits; false when nothing does.
bool fit_smem(AttentionPlan& p, const KernelTarget& t) {
  for (;;) {
    if (smem_bytes(p) <= t.max_smem_per_cta) break;
    if (p.problem.pass == Pass::kBackward && p.bm > 16) {
      p.bm /= 2;
    } else if (p.bn > kMinBn) {
      p.bn = std::max(kMinBn, p.bn - 16);
    } else if (p.problem.pass == Pass::kDecode &&
               p.kernel != AttentionKernel::kFa3WarpSpecialized && p.bm > 16) {
      // Small LDS (64 KB on CDNA3): MLA's 576-wide Q tile alone overflows it at 64 rows. Decode
      // rows are the query heads of one KV head, so fewer rows per CTA (as ROCm's MLA decode
      // kernels do) only adds CTAs; each takes the widest KV block that then fits.
      p.bm /= 2;
      p.bn = decode_bn(p, false);
    } else {
      return false;
    }
  }
  p.smem_bytes_per_cta = static_cast<std::uint32_t>(smem_bytes(p));
  return true;
}

void set_occupancy(AttentionPlan& p, const KernelTarget& t) {
  const std::uint64_t regs = std::uint64_t{p.threads_per_cta} * p.registers_per_thread;
  const std::uint64_t smem_unit = t.smem_per_unit ? t.smem_per_unit : t.max_smem_per_cta;
  p.ctas_per_unit = static_cast<std::uint32_t>(std::min<std::uint64_t>(
      {std::uint64_t(t.max_ctas_per_unit), t.max_threads_per_unit / p.threads_per_cta,
       std::uint64_t(t.registers_per_unit) / regs, smem_unit / p.smem_bytes_per_cta}));
  if (p.ctas_per_unit == 0)
    throw UserError(fmt::format(
        "attention {} on '{}': a {}x{} tile needs {} threads x {} registers and {} bytes of shared "
        "memory, more than a unit has",
        p.problem.to_string(), t.chip, p.bm, p.bn, p.threads_per_cta, p.registers_per_thread,
        p.smem_bytes_per_cta));
}

// Decode streams the KV cache once. FA3 keeps two KV stages, which covers the load latency on a
// GPU with a hundred SMs sharing the bandwidth; an engine with megabytes of staging buffer and
// few units (Gaudi's MME) needs its share of HBM bandwidth times twice the load latency in flight
// (Little's law, as the GEMM planner), so it takes more stages while shared memory allows.
void deepen_decode_pipeline(AttentionPlan& p, const KernelTarget& t) {
  const std::uint64_t e = static_cast<std::uint64_t>(dtype_bytes(p.problem.dtype));
  const std::uint64_t v_width = p.problem.mla ? 0 : p.shape.head_dim_v;
  const std::uint64_t kv_tile = std::uint64_t{p.bn} * (p.shape.head_dim + v_width) * e;
  const double in_flight = 2 * kLoadLatencySeconds * t.memory_bandwidth / t.units / p.ctas_per_unit;
  const auto needed = static_cast<std::uint32_t>(std::ceil(in_flight / double(kv_tile)));
  while (p.stages < needed && smem_bytes(p) + kv_tile <= t.max_smem_per_cta) ++p.stages;
  p.smem_bytes_per_cta = static_cast<std::uint32_t>(smem_bytes(p));
  set_occupancy(p, t);
}

// FA2's num_splits_heuristic: the fewest splits whose wave efficiency is within 85% of the best.
std::uint32_t choose_splits(std::uint64_t ctas, std::uint64_t slots, std::uint64_t kv_tiles) {
  if (double(ctas) >= 0.8 * double(slots)) return 1;
  const std::uint64_t most = std::min<std::uint64_t>({kMaxSplits, slots, kv_tiles});
  auto efficiency = [&](std::uint64_t s) {
    double waves = double(ctas * s) / double(slots);
    return waves / std::ceil(waves);
  };
  auto eligible = [&](std::uint64_t s) {
    return s == 1 || ceil_div(kv_tiles, s) != ceil_div(kv_tiles, s - 1);
  };
  double best = 0;
  for (std::uint64_t s = 1; s <= most; ++s) best = std::max(best, efficiency(s));
  for (std::uint64_t s = 1; s <= most; ++s)
    if (eligible(s) && efficiency(s) >= 0.85 * best) return static_cast<std::uint32_t>(s);
  return 1;
}

constexpr std::uint64_t kMaxAttentionCtas = std::uint64_t{1} << 22;

// Main-kernel CTAs in launch order, each with its logical id, which counts in (sequence, head,
// tile, split) order. Launch order is a plain nesting of those four loops, so the list is written
// in that order directly rather than sorted: a problem may have millions of CTAs.
void list_work(AttentionPlan& p) {
  const AttentionProblem& g = p.problem;
  const bool decode = g.pass == Pass::kDecode, bwd = g.pass == Pass::kBackward;
  const std::uint64_t heads = decode ? p.shape.kv_heads : p.shape.heads;
  const std::uint64_t splits = decode ? p.num_splits : 1;
  std::vector<std::uint64_t> tiles(g.batch), first_id(g.batch);
  std::uint64_t total = 0;
  for (std::uint32_t b = 0; b < g.batch; ++b) {
    tiles[b] = bwd ? p.kv_tiles(b) : p.row_tiles(b);
    first_id[b] = total;
    total += heads * tiles[b] * splits;
  }
  // Every CTA is listed here and in the trace: bound the count so that a huge problem is a clear
  // error, not an allocation of gigabytes (the largest real prefill, 64 x 128 heads x 32k tokens,
  // is 2 M CTAs).
  if (total > kMaxAttentionCtas)
    throw UserError(fmt::format(
        "attention problem ({}): {} CTAs ({} sequences x {} heads x tiles{}); at most {} are "
        "simulated, each is listed in the trace",
        g.to_string(), total, g.batch, heads, decode ? " x splits" : "", kMaxAttentionCtas));
  p.work.clear();
  p.work.reserve(total);
  auto add = [&](std::uint32_t b, std::uint64_t h, std::uint64_t t, std::uint64_t s) {
    const std::uint64_t id = first_id[b] + (h * tiles[b] + t) * splits + s;
    p.work.push_back(CtaWork{static_cast<std::uint32_t>(id), b, static_cast<std::uint32_t>(h), t,
                             static_cast<std::uint32_t>(s)});
  };
  const bool fa3 = p.kernel == AttentionKernel::kFa3WarpSpecialized;
  if (decode) {  // (batch, head, split, tile)
    for (std::uint32_t b = 0; b < g.batch; ++b)
      for (std::uint64_t h = 0; h < heads; ++h)
        for (std::uint64_t s = 0; s < splits; ++s)
          for (std::uint64_t t = 0; t < tiles[b]; ++t) add(b, h, t, s);
  } else if (bwd || !fa3) {  // FA2 grids: (heads, batch, tiles), tiles fastest
    for (std::uint64_t h = 0; h < heads; ++h)
      for (std::uint32_t b = 0; b < g.batch; ++b)
        for (std::uint64_t t = 0; t < tiles[b]; ++t) add(b, h, t, 0);
  } else {  // FA3: (batch, head, tile), the longest causal tiles (the last ones) first
    for (std::uint32_t b = 0; b < g.batch; ++b)
      for (std::uint64_t h = 0; h < heads; ++h)
        for (std::uint64_t i = 0; i < tiles[b]; ++i) add(b, h, g.causal ? tiles[b] - 1 - i : i, 0);
  }
}

}  // namespace

std::string_view kernel_name(AttentionKernel k) {
  return k == AttentionKernel::kFa3WarpSpecialized ? "FA3 warp-specialised" : "FA2 single-stream";
}

std::uint64_t AttentionPlan::rows_of(std::uint64_t b) const {
  const std::uint64_t q = problem.q_len(b);
  return problem.pass == Pass::kDecode ? q * shape.group() : q;
}

std::uint64_t AttentionPlan::visible_keys(std::uint64_t b, std::uint64_t row) const {
  const std::uint64_t token = problem.pass == Pass::kDecode ? row / shape.group() : row;
  return problem.visible_keys(b, token);
}

std::uint64_t AttentionPlan::combine_smem_bytes() const {
  return std::uint64_t{num_splits} * combine_rows * 4 + 2ull * combine_rows * shape.head_dim_v * 4;
}
std::uint64_t AttentionPlan::row_tiles(std::uint64_t b) const {
  return ceil_div(rows_of(b), bm);
}
std::uint64_t AttentionPlan::kv_tiles(std::uint64_t b) const {
  return ceil_div(problem.kv_len(b), bn);
}
std::uint64_t AttentionPlan::rows_in_tile(std::uint64_t b, std::uint64_t tile) const {
  return std::min<std::uint64_t>(bm, rows_of(b) - tile * bm);
}
std::uint64_t AttentionPlan::keys_in_tile(std::uint64_t b, std::uint64_t tile) const {
  return std::min<std::uint64_t>(bn, problem.kv_len(b) - tile * bn);
}

TileRange AttentionPlan::kv_tiles_of(const CtaWork& w) const {
  const std::uint64_t last_row = w.tile * bm + rows_in_tile(w.batch, w.tile) - 1;
  const std::uint64_t seen = ceil_div(visible_keys(w.batch, last_row), bn);
  if (problem.pass != Pass::kDecode) return {0, seen};
  const std::uint64_t per_split = ceil_div(kv_tiles(w.batch), num_splits);
  const std::uint64_t first = std::min(seen, w.split * per_split);
  return {first, std::min(seen, first + per_split)};
}

TileRange AttentionPlan::q_tiles_of(const CtaWork& w) const {
  const std::uint64_t b = w.batch, key0 = w.tile * bn;
  const std::uint64_t q = problem.q_len(b), kv = problem.kv_len(b);
  // Row i sees key0 once i + kv - q + 1 > key0.
  const std::uint64_t first_row = problem.causal && key0 + q > kv ? key0 + q - kv : 0;
  return {first_row / bm, row_tiles(b)};
}

bool AttentionPlan::needs_mask(std::uint64_t b, std::uint64_t row0, std::uint64_t,
                               std::uint64_t key0, std::uint64_t keys) const {
  return problem.causal && key0 + keys > visible_keys(b, row0);
}

std::uint64_t AttentionPlan::executed_mma_flops() const {
  const std::uint64_t d = shape.head_dim, dv = shape.head_dim_v;
  std::uint64_t total = 0;
  for (const CtaWork& w : work) {
    if (problem.pass == Pass::kBackward) {
      const std::uint64_t keys = keys_in_tile(w.batch, w.tile);
      const TileRange r = q_tiles_of(w);
      for (std::uint64_t i = r.first; i < r.last; ++i)
        total += 2 * rows_in_tile(w.batch, i) * keys * (3 * d + 2 * dv);
    } else {
      const std::uint64_t rows = rows_in_tile(w.batch, w.tile);
      const TileRange r = kv_tiles_of(w);
      for (std::uint64_t j = r.first; j < r.last; ++j)
        total += 2 * rows * keys_in_tile(w.batch, j) * (d + dv);
    }
  }
  return total;
}

AttentionPlan plan_attention(const AttentionProblem& g, const KernelTarget& t,
                             const AttentionPlanOptions& options) {
  validate(g);
  check_target(g, t);
  AttentionPlan p;
  p.problem = g;
  p.chip = t.chip;
  p.shape = g.kernel_shape();
  const bool fa3 = is_fa3(t);
  p.kernel = fa3 ? AttentionKernel::kFa3WarpSpecialized : AttentionKernel::kFa2SingleStream;
  p.stages = 2;
  switch (g.pass) {
    case Pass::kForward:
      p.bm = 128;
      p.bn = forward_bn(p, fa3);
      break;
    case Pass::kDecode:
      p.bm = 64;
      p.bn = decode_bn(p, fa3);
      break;
    case Pass::kBackward:
      p.bm = p.shape.head_dim <= 64 ? 128 : 64;
      p.bn = p.shape.head_dim <= 128 ? 128 : 64;
      break;
  }
  if (options.bm) p.bm = options.bm;
  if (options.bn) p.bn = options.bn;
  if (fa3 && g.pass != Pass::kBackward && (p.bm % 64 != 0 || p.bm > 192))
    throw UserError(
        fmt::format("attention BM {}: FA3 consumers own 64 rows each (64, 128, 192)", p.bm));
  if (p.bm % 16 != 0 || p.bn % 16 != 0)
    throw UserError(fmt::format("attention tile {}x{}: sizes must be multiples of 16", p.bm, p.bn));
  if (fa3 && g.pass == Pass::kForward) p.consumers = p.bm / 64;
  if (fa3 && g.pass == Pass::kDecode) {
    p.consumers_split_v = p.shape.head_dim_v > 256;
    p.consumers = p.consumers_split_v ? 2 : p.bm / 64;
    if (p.consumers_split_v && p.bm != 64)
      throw UserError(
          "attention decode with d_v > 256 splits V between two 64-row consumers: BM "
          "must be 64");
  }
  if (!fa3 || g.pass == Pass::kBackward) p.consumers = 1;
  if (!fit_smem(p, t))
    throw UserError(fmt::format("attention {} on '{}': no tile fits {} bytes of shared memory",
                                g.to_string(), t.chip, t.max_smem_per_cta));
  set_threads_and_registers(p);
  set_occupancy(p, t);
  if (g.pass == Pass::kDecode && fa3) deepen_decode_pipeline(p, t);
  if (g.pass == Pass::kDecode) {
    std::uint64_t ctas = 0, most_tiles = 0;
    for (std::uint64_t b = 0; b < g.batch; ++b) {
      ctas += p.shape.kv_heads * p.row_tiles(b);
      most_tiles = std::max(most_tiles, p.kv_tiles(b));
    }
    p.num_splits = options.num_splits
                       ? options.num_splits
                       : choose_splits(ctas, std::uint64_t(t.units) * p.ctas_per_unit, most_tiles);
    // MLA's 512-wide partials: fewer rows per combine CTA where shared memory is small.
    while (p.num_splits > 1 && p.combine_rows > 1 && p.combine_smem_bytes() > t.max_smem_per_cta)
      p.combine_rows /= 2;
  }
  list_work(p);
  return p;
}

std::string AttentionPlan::to_string() const {
  std::string s = fmt::format("attention {} on {}\n", problem.to_string(), chip);
  s += fmt::format("  kernel shape: {} heads / {} KV heads, qk {} v {}; {}\n", shape.heads,
                   shape.kv_heads, shape.head_dim, shape.head_dim_v, kernel_name(kernel));
  const char* rows = problem.pass == Pass::kBackward ? "query rows" : "rows";
  s += fmt::format("  tile {} {} x {} keys, {} stages, {} consumer stream(s){}\n", bm, rows, bn,
                   stages, consumers, consumers_split_v ? " (V columns split)" : "");
  s += fmt::format("  {} threads, {} registers/thread, {} bytes smem/CTA, {} CTA(s)/unit\n",
                   threads_per_cta, registers_per_thread, smem_bytes_per_cta, ctas_per_unit);
  s += fmt::format("  grid: {} CTAs", work.size());
  if (problem.pass == Pass::kDecode)
    s += fmt::format(" ({} KV split(s){})", num_splits,
                     num_splits > 1 ? fmt::format(", combine {} rows/CTA", combine_rows) : "");
  s += fmt::format("; {:.3g} GFLOP useful, {:.3g} executed\n", problem.flops() / 1e9,
                   double(executed_mma_flops()) / 1e9);
  return s;
}

}  // namespace xpusim::attention
