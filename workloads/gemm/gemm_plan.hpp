#pragma once
// Chooses how a GEMM is tiled on a chip, the way cuBLAS/CUTLASS kernels of that family do it.
//
// Rules (deterministic; GemmPlan::to_string explains the outcome):
//  1. Mainloop by the target's async-copy kind:
//     - kTma (Hopper-class): warp-specialised TMA pipeline, one producer warpgroup and one
//       consumer warpgroup per 64 rows of the tile (at most 2), k-step BK = 128 bytes of input
//       (bf16/fp16 64, fp8/int8 128, tf32 32), tiles 128x256, 256x128, 128x128, 128x64, 64x256,
//       64x128, 64x64. Cluster 2x1 (B multicast) when the M tiles pair up, else 1x2 (A
//       multicast) when the N tiles do, else none.
//     - kCpAsync (Ampere-class): multistage cp.async pipeline, BK = 64 bytes (fp16 32, tf32 16,
//       int8 64), tiles 128x256, 256x128, 128x128, 128x64, 64x128, 64x64, 256 threads (128 for
//       tiles below 128x128).
//     - kNone: register-staged double buffering, BK = 64 bytes, tiles 128x128, 128x64, 64x64.
//  2. Stages: as many (A+B) stages as fit in max_smem_per_cta after the epilogue carve-out and
//     1 KiB of barriers, capped (8 TMA, 4 cp.async, 2 none; TMA may go deeper, up to the
//     stages that hold its share of HBM bandwidth times twice the load latency, which only a
//     few-unit chip with a large staging buffer such as Gaudi 2 reaches) and at the k-steps a
//     CTA runs; a
//     tile needing fewer than 2 stages, more registers than 255 per thread or than the SM has,
//     or more threads than the SM allows is dropped.
//  3. Split-K: considered only when the output tiles do not fill the units; factors 2..16 that
//     keep tiles*split <= units and at least 4 k-steps per split. Partials go to an fp32
//     workspace and a reduction kernel adds them.
//  4. Raster: CUTLASS's heuristic (along M when there are more N tiles than M tiles, else along
//     N), and the swizzle width (1, 2, 4, 8) that minimises the distinct A and B bytes the first
//     wave loads.
//  5. Estimate per candidate, summed over waves (a wave = the CTAs resident at once):
//       k-step time = max(ctas per unit * 2*BM*BN*BK / tensor rate,  (padded tile: tile
//                                                                      quantisation)
//                         distinct A+B bytes of the wave's k-step / DRAM bandwidth,
//                         the wave's A+B reads from L2 (multicast counted once) / L2 bandwidth,
//                         load latency / (stages - 1))                (pipeline depth)
//       wave time   = load latency + k-steps * k-step time + C tile stores / DRAM bandwidth
//     plus, with split-K, the reduction kernel's traffic and launch gap. The candidate with the
//     least time wins; a later candidate (smaller tile, larger split) must beat the best by more
//     than 2%, since a model this coarse cannot rank closer ones.
// The estimate only ranks candidates; the simulator's answer comes from replaying the trace.
#include <cstdint>
#include <string>
#include <utility>
#include <vector>

#include "sim/common/kernel_target.hpp"
#include "workloads/gemm/gemm_problem.hpp"

namespace xpusim::gemm {

enum class Mainloop { kWarpSpecializedTma, kMultistageCpAsync, kDoubleBuffered };
enum class RasterOrder { kAlongM, kAlongN };  // the dimension consecutive CTAs advance along

struct TileCoord {
  std::uint64_t m = 0, n = 0;  // tile indices
  std::uint32_t split = 0;     // K slice
};

// Narrows the search, for tests and what-if studies; 0 leaves a choice free.
struct GemmPlanOptions {
  std::uint32_t bm = 0, bn = 0;
  std::uint32_t split_k = 0;
  std::uint32_t max_stages = 0;
  bool allow_clusters = true;
};

struct GemmPlan {
  GemmProblem problem;
  std::string chip;
  Mainloop mainloop = Mainloop::kMultistageCpAsync;
  std::uint32_t bm = 0, bn = 0, bk = 0;
  std::uint32_t stages = 0;
  std::uint32_t cluster_m = 1, cluster_n = 1;
  std::uint32_t split_k = 1;
  std::uint32_t threads_per_cta = 0;
  std::uint32_t registers_per_thread = 0;  // average over the CTA's warps
  std::uint32_t smem_bytes_per_cta = 0;
  std::uint32_t ctas_per_unit = 0;  // occupancy
  std::uint64_t tiles_m = 0, tiles_n = 0;
  std::uint64_t k_steps = 0;            // BK steps over the whole K
  std::uint64_t k_steps_per_split = 0;  // the most any CTA runs
  std::uint64_t ctas = 0;
  std::uint64_t waves = 0;
  RasterOrder raster = RasterOrder::kAlongN;
  std::uint32_t swizzle = 1;
  double estimated_seconds = 0;
  // The terms of the first wave's k-step time (see rule 5) and the one that limits it.
  struct StepTerms {
    double mma = 0;       // tensor cores, ctas per unit sharing them
    double dram = 0;      // distinct A+B bytes over DRAM bandwidth
    double l2 = 0;        // A+B reads over L2 bandwidth (0 when the target gives none)
    double pipeline = 0;  // load latency / (stages - 1)
    std::string_view limiter() const;
  } first_wave_step;
  std::vector<std::string> alternatives;  // the runners-up, best first

  std::uint32_t cluster_size() const { return cluster_m * cluster_n; }
  std::uint64_t output_tiles() const { return tiles_m * tiles_n; }
  // The tile the CTA at `launch_index` computes (raster order, clusters kept together, split
  // slowest).
  TileCoord tile_of(std::uint64_t launch_index) const;
  // The K elements [first, second) of split `split`.
  std::pair<std::uint64_t, std::uint64_t> k_range(std::uint32_t split) const;
  std::string to_string() const;
};

GemmPlan plan_gemm(const GemmProblem& problem, const KernelTarget& target,
                   const GemmPlanOptions& options = {});

std::string_view mainloop_name(Mainloop m);

}  // namespace xpusim::gemm
