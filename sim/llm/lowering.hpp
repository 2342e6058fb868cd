#pragma once
// Lowering of one pass of a transformer to the ops one chip of the tensor-parallel group runs:
// norms, QKV (or MLA's latent projections), attention, output projection, the MLP (or router,
// routed and shared experts), activations, residuals, embedding and LM head, with Megatron's
// column/row splits and an all-reduce after the attention and MLP blocks (tensor parallelism),
// all-to-all dispatch and combine (expert parallelism), and send/recv between pipeline stages.
//
// Every op of one layer is the same in every layer of its kind, so an op carries a count (how
// many times the stage runs it per pass) rather than being repeated: a pass is a few dozen
// distinct ops however deep the model.
#include <cstdint>
#include <string>
#include <vector>

#include "sim/common/dtype.hpp"
#include "sim/llm/llm_workload.hpp"
#include "workloads/attention/attention_problem.hpp"
#include "workloads/collective/algorithms.hpp"
#include "workloads/stream/stream_trace.hpp"

namespace xpusim::llm {

struct GemmShape {
  std::uint64_t m = 0, n = 0, k = 0;
};

struct Op {
  enum class Kind { kGemm, kAttention, kVector, kCollective };
  Kind kind = Kind::kGemm;
  std::string name;  // "qkv_proj", "attention", "mlp_all_reduce", ...
  double count = 1;  // executions per pass on one chip
  DType dtype = DType::kBf16;
  GemmShape gemm;                                        // kGemm
  attention::AttentionProblem attention;                 // kAttention
  stream::StreamOp vector_op = stream::StreamOp::kCopy;  // kVector: arrays read and written
  std::uint64_t vector_bytes = 0;                        // kVector: bytes of one array
  collective::CollectiveOp collective = collective::CollectiveOp::kAllReduce;  // kCollective
  std::uint64_t collective_bytes = 0;  // kCollective: buffer size, nccl-tests' "size"
  int ranks = 1;                       // kCollective: chips taking part

  double flops() const;         // useful FLOPs of one execution (GEMM, attention; 0 otherwise)
  double weight_bytes() const;  // weight bytes one execution reads (GEMM B operand)
  std::string key() const;      // identifies the op's timing: same key, same time
};

struct PassShape {
  std::uint64_t batch = 1;   // sequences
  std::uint64_t q_len = 1;   // new tokens per sequence in this pass
  std::uint64_t kv_len = 1;  // keys each sequence's last token sees (q_len included)
  bool logits_all = false;   // LM head over every token (training) or only the last
  bool decode = false;       // decode kernels (paged KV, absorbed MLA)
};

struct Lowered {
  std::vector<Op> ops;
  std::vector<std::string> notes;
  double flops = 0;  // useful FLOPs of the pass on one chip, over all ops and counts
};

// The forward pass of one pipeline stage on one chip. `gemm_dtype` and `attention_dtype` are
// what the chip computes in (the workload's, or a fallback the chip supports).
Lowered lower_forward(const LlmWorkload& w, const PassShape& shape, DType gemm_dtype,
                      DType attention_dtype);
// Forward plus backward (activation and weight gradients, attention backward, the backward
// all-reduces) for a training step; no optimizer step and no data-parallel gradient reduction.
Lowered lower_training(const LlmWorkload& w, const PassShape& shape, DType gemm_dtype);

}  // namespace xpusim::llm
