#pragma once
// Writes the trace of a planned GEMM: what every CTA loads, multiplies and stores, in launch
// order.
//
// Tensors: A (id 0), B (1), C (2) and, with split-K, an fp32 workspace (3) of split_k slices of
// C's shape; bases are 2 MiB aligned. Kernels: the GEMM, then with split-K a reduction kernel.
// Each GEMM CTA runs its k-steps of BK over its K range:
//   single stream (cp.async, double-buffered):
//     prologue: loads of the first stages-1 k-steps
//     main:     WAIT_FULL, MMA, loads of the k-step stages-1 ahead
//     tail:     WAIT_FULL, MMA for the last stages-1 k-steps
//   warp-specialised TMA: a producer stream (WAIT_EMPTY, loads) and a consumer stream
//     (WAIT_FULL, MMA, RELEASE); clusters multicast the box their CTAs share
// then an epilogue: VECTOR (alpha scaling and conversion) and TILE_STORE of the C tile (or of
// the fp32 partial into the workspace). Loads are 2-D boxes at the real addresses and strides of
// the layouts; edge tiles and the last k-step are clipped to the problem.
#include <cstdint>

#include "sim/common/kernel_target.hpp"
#include "sim/trace/trace.hpp"
#include "workloads/gemm/gemm_plan.hpp"

namespace xpusim::gemm {

inline constexpr std::uint32_t kTensorA = 0, kTensorB = 1, kTensorC = 2, kTensorWorkspace = 3;
inline constexpr std::uint64_t kTensorAlignment = std::uint64_t{2} << 20;
inline constexpr std::uint32_t kReduceChunkElements = 1024;  // 256 threads x 4 elements

trace::Trace emit_gemm_trace(const GemmProblem& problem, const GemmPlan& plan,
                             const KernelTarget& target);

}  // namespace xpusim::gemm
