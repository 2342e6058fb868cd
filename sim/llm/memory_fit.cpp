#include "sim/llm/memory_fit.hpp"

#include <fmt/format.h>

#include <algorithm>

#include "sim/common/error.hpp"

namespace xpusim::llm {
namespace {

// Mixed-precision training with Adam keeps bf16 weights and gradients plus fp32 master weights,
// momentum and variance: 2 + 2 + 12 bytes per parameter (no optimizer sharding).
constexpr double kTrainingBytesPerParam = 16;

double kv_split(const LlmWorkload& w) {
  // GQA heads split over TP (replicated beyond kv_heads); MLA's latent is replicated per chip.
  if (w.model.is_mla()) return 1;
  return static_cast<double>(
      std::min<std::uint64_t>(static_cast<std::uint64_t>(w.parallel.tp), w.model.kv_heads));
}

}  // namespace

MemoryFit memory_fit(const LlmWorkload& w, const config::ChipConfig& chip, DType weight_dtype) {
  const ModelConfig& m = w.model;
  const double chips = w.parallel.devices();
  const double tp = w.parallel.tp;
  const double layers = static_cast<double>(m.layers) / w.parallel.pp;
  const double h = static_cast<double>(m.hidden_size);
  const double act = dtype_bytes(w.activation_dtype);
  const double batch = static_cast<double>(w.batch);
  MemoryFit f;
  f.capacity_bytes = static_cast<double>(chip.memory.capacity);
  if (w.phase == Phase::kTraining) {
    f.weights_bytes = m.total_params() * kTrainingBytesPerParam / chips;
    // Stored activations per layer (Korthikanti et al. 2022, tensor parallel without sequence
    // parallelism or recomputation): s b h (10 + 24 / t + 5 a s / (h t)) bytes at 16 bits.
    const double s = static_cast<double>(w.input_len);
    const double a = static_cast<double>(m.heads);
    f.activations_bytes =
        layers * s * batch * h * (10 + 24 / tp + 5 * a * s / (h * tp)) * (act / 2.0);
    f.fits = f.total() <= f.capacity_bytes;
    return f;
  }
  f.weights_bytes = m.total_params() * dtype_bytes(weight_dtype) / chips;
  const double seq = static_cast<double>(w.max_sequence());
  f.kv_cache_bytes = batch * seq * layers * m.kv_elements_per_token_layer() *
                     dtype_bytes(w.kv_dtype) / kv_split(w);
  // Working buffers of the largest pass: the hidden state and its residual, the QKV and MLP
  // intermediates, and fp32 logits for the rows the LM head computes.
  double tokens = batch;  // decode
  if (w.phase == Phase::kPrefill) tokens = batch * static_cast<double>(w.input_len);
  if (w.phase == Phase::kServing)
    tokens = std::max(batch, static_cast<double>(std::min<std::uint64_t>(w.prefill_chunk_tokens,
                                                                         w.batch * w.input_len)));
  const double inter = static_cast<double>(
      m.is_moe()
          ? std::max(m.intermediate_size, m.moe.expert_intermediate_size * m.moe.experts_per_token)
          : m.intermediate_size);
  const double qkv = static_cast<double>((m.heads + 2 * m.kv_heads) * m.head_dim);
  f.activations_bytes = tokens * (4 * h + (2 * inter + qkv) / tp) * act +
                        batch * static_cast<double>(m.vocab_size) / tp * 4;
  f.fits = f.total() <= f.capacity_bytes;
  return f;
}

std::uint64_t max_batch(const LlmWorkload& w, const config::ChipConfig& chip, DType weight_dtype) {
  LlmWorkload t = w;
  auto fits = [&](std::uint64_t b) {
    t.batch = b;
    return memory_fit(t, chip, weight_dtype).fits;
  };
  if (!fits(1)) return 0;
  std::uint64_t lo = 1, hi = 2;
  while (hi < (std::uint64_t{1} << 24) && fits(hi)) lo = hi, hi *= 2;
  while (hi - lo > 1) {
    const std::uint64_t mid = lo + (hi - lo) / 2;
    (fits(mid) ? lo : hi) = mid;
  }
  return lo;
}

std::uint64_t max_length(const LlmWorkload& w, const config::ChipConfig& chip, DType weight_dtype) {
  LlmWorkload t = w;
  auto set = [&](std::uint64_t len) {
    if (t.phase == Phase::kDecode)
      t.context = len;
    else
      t.input_len = len;
  };
  auto fits = [&](std::uint64_t len) {
    set(len);
    return memory_fit(t, chip, weight_dtype).fits;
  };
  if (!fits(1)) return 0;
  std::uint64_t lo = 1, hi = 2;
  while (hi < (std::uint64_t{1} << 30) && fits(hi)) lo = hi, hi *= 2;
  while (hi - lo > 1) {
    const std::uint64_t mid = lo + (hi - lo) / 2;
    (fits(mid) ? lo : hi) = mid;
  }
  return lo;
}

void require_fit(const LlmWorkload& w, const config::ChipConfig& chip, DType weight_dtype) {
  const MemoryFit f = memory_fit(w, chip, weight_dtype);
  if (f.fits) return;
  const std::uint64_t b = max_batch(w, chip, weight_dtype);
  const std::uint64_t len = max_length(w, chip, weight_dtype);
  const char* len_name = w.phase == Phase::kDecode ? "context" : "input_len";
  throw UserError(fmt::format(
      "{} on {}: does not fit: needs {:.1f} GB per chip (weights {:.1f}, KV cache {:.1f}, "
      "activations {:.1f}) of {:.1f} GB, {:.1f} GB over; {}; {}",
      w.name, chip.name, f.total() / 1e9, f.weights_bytes / 1e9, f.kv_cache_bytes / 1e9,
      f.activations_bytes / 1e9, f.capacity_bytes / 1e9, (f.total() - f.capacity_bytes) / 1e9,
      b > 0 ? fmt::format("the largest batch that fits is {} (--max-batch uses it)", b)
            : std::string("not even batch 1 fits: use more chips (parallel.tp / parallel.pp)"),
      len > 0 ? fmt::format("the largest {} at batch {} is {}", len_name, w.batch, len)
              : fmt::format("no {} fits at batch {}", len_name, w.batch)));
}

}  // namespace xpusim::llm
