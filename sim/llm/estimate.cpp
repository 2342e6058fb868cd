#include "sim/llm/estimate.hpp"

#include <fmt/format.h>

#include <algorithm>

#include "sim/common/error.hpp"

namespace xpusim::llm {
namespace {

struct PassTime {
  TimeSplit split;
  double flops = 0;
};

PassTime time_pass(const Lowered& low, const char* pass, OpTimer& timer, LlmResult& r) {
  PassTime t;
  for (const Op& op : low.ops) {
    const OpTime& each = timer.time(op);
    t.split += each.split.scaled(op.count);
    r.ops.push_back({pass, op.name, op.key(), each.bottleneck, op.count, each.split,
                     each.split.total() * op.count});
  }
  t.flops = low.flops;
  for (const auto& n : low.notes)
    if (std::find(r.notes.begin(), r.notes.end(), n) == r.notes.end()) r.notes.push_back(n);
  return t;
}

}  // namespace

DType compute_dtype(const config::ChipConfig& chip, DType wanted, std::vector<std::string>& notes,
                    const char* what) {
  auto rate = [&](DType d) { return chip.compute.tensor_flops_per_clock[static_cast<int>(d)]; };
  if (rate(wanted) > 0) return wanted;
  const DType fallback = rate(DType::kBf16) > 0 ? DType::kBf16 : DType::kFp16;
  notes.push_back(fmt::format("{} has no {} tensor rate: {} {}", chip.name, dtype_name(wanted),
                              what, dtype_name(fallback)));
  return fallback;
}

LlmWorkload on_chip(const LlmWorkload& w, const config::ChipConfig& chip,
                    std::vector<std::string>& notes) {
  LlmWorkload out = w;
  out.weight_dtype =
      compute_dtype(chip, w.weight_dtype, notes, "GEMMs run and weights are stored in");
  DType attn = w.kv_dtype;
  if (attn != DType::kFp8 && attn != DType::kBf16 && attn != DType::kFp16) attn = DType::kBf16;
  out.kv_dtype = compute_dtype(chip, attn, notes, "attention runs and the KV cache is stored in");
  return out;
}

LlmResult evaluate(const LlmWorkload& requested, OpTimer& timer) {
  const config::ChipConfig& chip = timer.chip();
  LlmResult r;
  const LlmWorkload w = on_chip(requested, chip, r.notes);
  r.chip = chip.name;
  r.system = timer.system() ? timer.system()->name : std::string("-");
  r.chips = w.parallel.devices();
  r.batch = w.batch;
  r.gemm_dtype = w.weight_dtype;
  r.attention_dtype = w.kv_dtype;
  r.memory = memory_fit(w, chip, r.gemm_dtype);
  require_fit(w, chip, r.gemm_dtype);
  const double pp = w.parallel.pp;
  const double batch = static_cast<double>(w.batch);
  switch (w.phase) {
    case Phase::kPrefill: {
      const PassShape s{w.batch, w.input_len, w.input_len, false, false};
      const PassTime t =
          time_pass(lower_forward(w, s, r.gemm_dtype, r.attention_dtype), "prefill", timer, r);
      r.split = t.split.scaled(pp);
      r.time_s = r.split.total();
      r.flops_per_chip = t.flops;
      r.tokens_per_s = batch * static_cast<double>(w.input_len) / r.time_s;
      break;
    }
    case Phase::kDecode: {
      const PassShape s{w.batch, 1, w.context, false, true};
      const PassTime t =
          time_pass(lower_forward(w, s, r.gemm_dtype, r.attention_dtype), "decode", timer, r);
      r.split = t.split.scaled(pp);
      r.time_s = r.split.total();
      r.flops_per_chip = t.flops;
      r.tokens_per_s = batch / r.time_s;
      r.tpot_s = r.time_s;
      break;
    }
    case Phase::kTraining: {
      const PassShape s{w.batch, w.input_len, w.input_len, true, false};
      const PassTime t = time_pass(lower_training(w, s, r.gemm_dtype), "training", timer, r);
      r.split = t.split.scaled(pp);
      r.time_s = r.split.total();
      r.flops_per_chip = t.flops;
      r.tokens_per_s = batch * static_cast<double>(w.input_len) / r.time_s;
      break;
    }
    case Phase::kServing: {
      // Continuous batching in steady state: `batch` sequences decode together at the mean
      // context (input + output / 2); batch / output_len of them finish per step and as many new
      // prompts are prefilled, batched prefill_chunk_tokens at a time, between decode steps.
      const std::uint64_t mean_ctx = w.input_len + w.output_len / 2;
      const PassShape ds{w.batch, 1, mean_ctx, false, true};
      const PassTime d =
          time_pass(lower_forward(w, ds, r.gemm_dtype, r.attention_dtype), "decode", timer, r);
      const std::uint64_t per_chunk =
          std::clamp<std::uint64_t>(w.prefill_chunk_tokens / w.input_len, 1, w.batch);
      const PassShape ps{per_chunk, w.input_len, w.input_len, false, false};
      const PassTime p =
          time_pass(lower_forward(w, ps, r.gemm_dtype, r.attention_dtype), "prefill", timer, r);
      const double prefills_per_step =
          batch / static_cast<double>(w.output_len) / static_cast<double>(per_chunk);
      r.split = d.split.scaled(pp);
      r.split += p.split.scaled(pp * prefills_per_step);
      r.time_s = r.split.total();
      r.tpot_s = r.time_s;
      r.ttft_s = (p.split.total() + d.split.total()) * pp;
      r.flops_per_chip = d.flops + p.flops * prefills_per_step;
      r.tokens_per_s = batch / r.time_s;
      r.notes.push_back(fmt::format(
          "serving: {} sequences decode at mean context {}; {:.2f} prefill passes of {} prompts "
          "per step",
          w.batch, mean_ctx, prefills_per_step, per_chunk));
      break;
    }
  }
  if (w.parallel.pp > 1)
    r.notes.push_back(
        fmt::format("PP{}: stages run one after another for one batch (no micro-batch overlap)",
                    w.parallel.pp));
  r.tokens_per_s_per_chip = r.tokens_per_s / r.chips;
  r.distinct_ops = timer.simulations();
  for (const auto& op : r.ops) r.op_executions += op.count;
  return r;
}

}  // namespace xpusim::llm
