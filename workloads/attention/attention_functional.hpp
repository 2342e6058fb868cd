#pragma once
// Runs attention exactly as a plan tiles it, on Eigen blocks in fp32, and checks it against the
// double-precision reference (attention_reference.hpp, which also derives the error bounds).
//
// Inputs are random (std::mt19937_64, fixed seed): Q uniform in +-q_range (so softmax rows are far
// from uniform and the running max moves), K, V, dO uniform in +-1, all rounded to the dtype.
// Every CTA of plan.work runs as the kernel does:
//   forward: its query rows against its KV tiles from last to first; per tile S = Q K^T in fp32,
//     the scale, the causal mask on tiles that straddle it (fully masked tiles are never
//     visited), the running max and sum with exp(m_old - m_new) rescaling of the sum and the O
//     accumulator, P rounded to the dtype for O += P V; finally O / l and LSE = m + ln l.
//   decode: rows pack the query heads of a KV head; K and V are gathered through the shuffled
//     page table from a physical cache; each split normalises its own O and LSE (an empty split
//     gives 0 and -inf), and the combine adds exp(lse_s - lse) O_s in split order (FA2's
//     combine kernel).
//   backward: forward outputs (O stored in the dtype, LSE) from the same tiled forward; D =
//     rowsum(dO * O); per KV tile, per query tile: P = exp(S * scale - LSE), dP = dO V^T,
//     dS = P (dP - D), dV += P^T dO, dK += dS^T Q, dQ += dS K added into an fp32 accumulator in
//     CTA launch order (the atomics); dQ and dK scaled at the end; GQA sums the group's fp32
//     dK, dV per KV head.
// MLA: inputs come from a latent c_kv, a RoPE key and per-head W_UK, W_UV. Decode runs the
// absorbed kernel (q' = [q_nope W_UK^T, q_rope] against [c_kv, k_rope], V = c_kv); prefill and
// backward the expanded per-head K, V. Either way the check also computes, in double, the
// unabsorbed and the absorbed attention (O' W_UV) from the same latent and reports how far apart
// they are.
// Outputs are compared in fp32, before the conversion to the output type (which adds the same
// half-ulp whatever the algorithm).
#include <cstdint>
#include <string>
#include <vector>

#include "workloads/attention/attention_plan.hpp"

namespace xpusim::attention {

struct AttentionCheckOptions {
  std::uint64_t seed = 0x5eed'a77e;
  // P and dS (and the O the backward reads) rounded to the dtype as the kernels do; false keeps
  // them in fp32, which leaves only fp32 accumulation error (a much tighter bound).
  bool round_intermediates = true;
  double q_range = 6.0;
  std::uint64_t max_work = std::uint64_t{1} << 31;  // sum of q*kv*(d+dv) over heads; above: skip
};

struct ErrorCheck {
  std::string name;  // "O", "LSE", "dQ", "dK", "dV"
  double max_abs_error = 0;
  double max_bound = 0;             // the largest per-element bound
  double worst_error_to_bound = 0;  // max over elements of error / bound
  double max_abs_reference = 0;
  bool within_bound = true;  // every element within its own bound
  std::string to_string() const;
};

struct AttentionCheck {
  bool computed = false;
  std::string skipped_because;
  std::vector<ErrorCheck> outputs;
  std::uint64_t tiles_visited = 0;   // (CTA, KV tile) pairs, or (CTA, query tile) for bwd
  double mla_absorption_error = -1;  // max |unabsorbed - absorbed| / max |O| (double); -1: no MLA
  bool within_bound() const;
  const ErrorCheck* output(const std::string& name) const;
  std::string to_string() const;
};

AttentionCheck check_attention(const AttentionProblem& problem, const AttentionPlan& plan,
                               const AttentionCheckOptions& options = {});

}  // namespace xpusim::attention
