#pragma once
// An LLM workload, from workloads/<name>.yaml: which model, which phase (prefill, one decode step,
// a serving estimate, a training step), its batch and lengths, the dtypes it runs in and how it
// is split over chips (tensor, pipeline and expert parallelism).
#include <cstdint>
#include <filesystem>
#include <string>
#include <vector>

#include "sim/common/dtype.hpp"
#include "sim/config/schema.hpp"
#include "sim/llm/model_config.hpp"

namespace xpusim::llm {

enum class Phase { kPrefill, kDecode, kServing, kTraining };
const char* phase_name(Phase p);

struct Parallelism {
  int tp = 1;  // tensor parallel (Megatron column/row splits, an all-reduce after each)
  int pp = 1;  // pipeline stages (layers split evenly)
  int ep = 1;  // expert parallel (routed experts split over ep of the tp chips)
  int devices() const { return tp * pp; }
};

struct LlmWorkload {
  std::string name, description;
  std::filesystem::path file;
  std::string model_name;
  ModelConfig model;
  Phase phase = Phase::kDecode;
  std::uint64_t batch = 1;       // sequences (serving: concurrency)
  std::uint64_t input_len = 0;   // prompt tokens (prefill, serving, training)
  std::uint64_t output_len = 0;  // generated tokens (serving)
  std::uint64_t context = 0;     // keys per sequence in the step, the new token included
  DType weight_dtype = DType::kBf16, kv_dtype = DType::kBf16, activation_dtype = DType::kBf16;
  Parallelism parallel;
  // Serving: prefill tokens batched into one forward pass (TensorRT-LLM's max_num_tokens).
  std::uint64_t prefill_chunk_tokens = 8192;
  // Residual add + RMSNorm in one kernel and SwiGLU in the GEMM epilogue, as production
  // inference stacks fuse them.
  bool fused_kernels = true;

  // One line: "llama3-70b decode batch 64 ctx 4096 fp8/fp8 TP8".
  std::string summary() const;
  // Longest sequence the KV cache holds for this phase.
  std::uint64_t max_sequence() const;
};

const std::vector<config::Binding<LlmWorkload>>& workload_bindings();

// Loads workloads/<name>.yaml (or a path) and the model it names (from workloads/models/).
// `sets` override workload keys ("batch=128", "parallel.tp=4"); the model's dtypes apply where the
// workload leaves them at "model".
LlmWorkload load_workload(const std::string& name_or_path,
                          const std::filesystem::path& workloads_dir,
                          const std::vector<std::string>& sets = {});

// Checks a workload built or changed in code (batch, lengths, parallelism against the model).
void check_workload(const LlmWorkload& w);

}  // namespace xpusim::llm
