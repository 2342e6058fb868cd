#pragma once
// The phases of an LLM workload on one chip type: a prefill pass, one decode step, a serving
// estimate (continuous batching at fixed concurrency: TTFT, TPOT, tokens/s) and a training step,
// each from the lowered ops timed by an OpTimer, with the memory they need.
#include <string>
#include <vector>

#include "sim/llm/llm_workload.hpp"
#include "sim/llm/lowering.hpp"
#include "sim/llm/memory_fit.hpp"
#include "sim/llm/op_timer.hpp"

namespace xpusim::llm {

struct OpRow {
  std::string pass;  // "prefill", "decode", "training"
  std::string name, key, bottleneck;
  double count = 0;
  TimeSplit each;      // one execution
  double total_s = 0;  // count x each
};

struct LlmResult {
  std::string chip, system;
  int chips = 1;            // chips the workload uses
  double time_s = 0;        // prefill pass, decode step, serving TPOT or training step
  double tokens_per_s = 0;  // over all chips used
  double tokens_per_s_per_chip = 0;
  double ttft_s = 0, tpot_s = 0;  // serving
  TimeSplit split;                // of time_s on one chip
  double flops_per_chip = 0;      // useful FLOPs in time_s
  MemoryFit memory;
  DType gemm_dtype = DType::kBf16, attention_dtype = DType::kBf16;
  std::uint64_t batch = 0;
  std::size_t distinct_ops = 0;  // simulations the op cache ran
  double op_executions = 0;      // kernel and collective executions they stand for, per chip
  std::vector<OpRow> ops;
  std::vector<std::string> notes;
};

// The dtype `chip` computes `wanted` in: itself when the tensor cores take it, else bf16 (or
// fp16), noted in `notes`.
DType compute_dtype(const config::ChipConfig& chip, DType wanted, std::vector<std::string>& notes,
                    const char* what);

// The workload as `chip` runs it: weight and KV dtypes replaced by the compute_dtype fallbacks.
LlmWorkload on_chip(const LlmWorkload& w, const config::ChipConfig& chip,
                    std::vector<std::string>& notes);

// Evaluates the workload on the timer's chip and system. Throws UserError when it does not fit.
LlmResult evaluate(const LlmWorkload& w, OpTimer& timer);

}  // namespace xpusim::llm
