#pragma once
// Writes the trace of a planned attention call: what every CTA loads, multiplies, exponentiates
// and stores, in launch order. Tensors and boxes: attention_layout.hpp. Per pass:
//
// fwd, FA3 (Hopper): per CTA a producer stream and one stream per consumer warpgroup (64 rows).
//   producer:  per KV tile (last to first): WAIT_EMPTY(stage), TILE_LOAD K, TILE_LOAD V; the first
//              fill also brings the Q tile.
//   consumer:  per KV tile: WAIT_FULL(stage), MMA S = Q K^T (64 x BN x d), [VECTOR mask on tiles
//              the causal mask cuts], SFU exp (64*BN + 64 for the rescale factors), VECTOR
//              softmax (max, scale-and-subtract, sum, conversion of P), VECTOR rescale O,
//              MMA O += P V (64 x d_v x BN), RELEASE(stage);
//              then SFU log (LSE), VECTOR normalise, TILE_STORE O rows and LSE.
//   Both consumers wait for every fill and release it; their ops share the SM's tensor, SFU and
//   vector pipes, so one consumer's softmax runs under the other's MMAs (FA3's ping-pong).
// fwd, FA2 (Ampere): one stream; Q and the first K tile are loaded first, then per KV tile:
//   WAIT_FULL (K), TILE_LOAD V (cp.async), MMA S, [mask], WAIT_FULL (V), TILE_LOAD next K, SFU,
//   VECTOR softmax and rescale, MMA PV; the epilogue as above. K and V loads alternate between
//   the two stages, which here name cp.async groups: a WAIT_FULL waits for the loads issued into
//   its stage since the last one (FA2 keeps one K and one V buffer).
// decode: the same CTA shapes over packed rows (query heads of a KV head) and the KV tiles of one
//   split, read page by page from the paged cache; with several splits each CTA writes fp32
//   partial O and LSE and a combine kernel (one CTA per 16 packed rows) loads every split's LSE,
//   takes exp/log, and adds the weighted partials, double-buffered. An empty split only writes
//   its partials (0 and -inf) as FA2 does. MLA decode loads the latent tile once: V is its first
//   d_v columns. With d_v > 256 (FlashMLA) the second consumer computes the other half of the V
//   columns with the P the first one shares through shared memory; the trace cannot express that
//   hand-off (SYNC does not order streams in the SM model) and only orders it by the stages.
// bwd: three kernels as FA2: preprocess (D = rowsum(dO * O), clears the dQ accumulator), main
//   (one CTA per KV tile: K and V stay, per query tile Q, dO, LSE, D are loaded; MMAs S, dP, dV,
//   dK, dQ; SFU exp; VECTOR P and dS; dQ added with an atomic TILE_STORE), postprocess (dQ scaled
//   and converted; with GQA the per-query-head fp32 dK, dV summed per KV head). FA3-style targets
//   run the main kernel as a producer and a consumer stream, FA2 as one stream double-buffering
//   the query tiles.
//
// Work per element on the vector pipe is counted in FP32 FLOP units of its rate: one instruction
// slot = 2 (an FMA), so a max, an add or a compare costs 2 and a packed conversion 1 per element.
#include <cstdint>

#include "sim/common/kernel_target.hpp"
#include "sim/trace/trace.hpp"
#include "workloads/attention/attention_layout.hpp"
#include "workloads/attention/attention_plan.hpp"

namespace xpusim::attention {

inline constexpr std::uint32_t kSoftmaxFlopsPerScore = 7;     // max, FFMA, add, 1/2 cvt: 3.5 slots
inline constexpr std::uint32_t kMaskFlopsPerScore = 2;        // compare-select
inline constexpr std::uint32_t kRescaleFlopsPerOutput = 2;    // O *= exp(m_old - m_new)
inline constexpr std::uint32_t kNormalizeFlopsPerOutput = 3;  // O /= l, conversion
inline constexpr std::uint32_t kBwdPFlopsPerScore = 2;        // S * scale - LSE (FFMA)
inline constexpr std::uint32_t kBwdDsFlopsPerScore = 6;       // (dP - D) * P, conversions of P, dS
inline constexpr std::uint32_t kCombineRowFlops = 4;          // per split and row: max, sum
inline constexpr std::uint32_t kPreprocessRows = 64;  // query rows per CTA of the bwd side kernels
inline constexpr std::uint32_t kGroupSumRows = 32;    // keys per CTA summing GQA dK, dV

trace::Trace emit_attention_trace(const AttentionProblem& problem, const AttentionPlan& plan,
                                  const KernelTarget& target);

namespace detail {
// The backward's preprocess, main and postprocess kernels (attention_trace_backward.cpp).
std::vector<trace::Kernel> backward_kernels(const AttentionPlan& plan,
                                            const AttentionLayout& layout);
// Appends `boxes` as TILE_LOADs into `stage`.
void add_loads(std::vector<trace::Op>& ops, const std::vector<trace::Box>& boxes,
               std::uint32_t stage);
}  // namespace detail

}  // namespace xpusim::attention
