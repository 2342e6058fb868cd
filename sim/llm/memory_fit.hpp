#pragma once
// Memory one chip of the workload needs against its HBM: weights (training: plus gradients and
// Adam state), KV cache and working activations; the largest batch and context that fit.
#include <cstdint>
#include <string>

#include "sim/config/chip_config.hpp"
#include "sim/llm/llm_workload.hpp"

namespace xpusim::llm {

struct MemoryFit {
  double weights_bytes = 0;  // training: weights, gradients and optimizer state
  double kv_cache_bytes = 0;
  double activations_bytes = 0;
  double capacity_bytes = 0;
  bool fits = false;
  double total() const { return weights_bytes + kv_cache_bytes + activations_bytes; }
};

// Per chip, for the workload as given; `weight_dtype` is what the chip stores weights in.
MemoryFit memory_fit(const LlmWorkload& w, const config::ChipConfig& chip, DType weight_dtype);

// Largest batch (all else as given) that fits; 0 when not even batch 1 does.
std::uint64_t max_batch(const LlmWorkload& w, const config::ChipConfig& chip, DType weight_dtype);
// Largest per-sequence length (decode: context; serving, prefill, training: input_len with
// output_len kept) that fits at the given batch; 0 when none does.
std::uint64_t max_length(const LlmWorkload& w, const config::ChipConfig& chip, DType weight_dtype);

// Throws UserError when the workload does not fit: by how much, and the largest batch and
// length that do.
void require_fit(const LlmWorkload& w, const config::ChipConfig& chip, DType weight_dtype);

}  // namespace xpusim::llm
