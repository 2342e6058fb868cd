#include "sim/llm/llm_workload.hpp"

#include <fmt/format.h>

#include "sim/common/error.hpp"
#include "sim/config/chip_config.hpp"
#include "sim/config/loader.hpp"

namespace xpusim::llm {
namespace {

using P = config::ParamBuilder<LlmWorkload>;
using T = config::ParamType;
using config::field;

// "model" keeps the model's own dtype; it is resolved after the model is loaded.
const std::vector<std::string> kDTypeChoices = {"model", "fp32", "bf16", "fp16", "fp8", "int8"};

std::vector<config::Binding<LlmWorkload>> make_bindings() {
  std::vector<config::Binding<LlmWorkload>> r;
  P(r, "name", T::kString).required().desc("workload name; must equal the file name").store(field([
  ](LlmWorkload & w) -> auto& { return w.name; }));
  P(r, "base", T::kString).desc("workload this one inherits from (same folder)");
  P(r, "description", T::kString).dflt("").desc("what the workload stands for").store(field([
  ](LlmWorkload & w) -> auto& { return w.description; }));
  P(r, "model", T::kString).required().desc("model in workloads/models/ (or a path)").store(field([
  ](LlmWorkload & w) -> auto& { return w.model_name; }));
  P(r, "phase", T::kEnum)
      .required()
      .choices({"prefill", "decode", "serving", "training"})
      .desc(
          "prefill (batch x input_len), decode (one step: batch at context), serving (input_len "
          "/ output_len at concurrency batch), training (forward + backward of batch x "
          "input_len)")
      .store([](LlmWorkload& w, const config::ParamValue& v) {
        w.phase = v.text == "prefill"    ? Phase::kPrefill
                  : v.text == "serving"  ? Phase::kServing
                  : v.text == "training" ? Phase::kTraining
                                         : Phase::kDecode;
      });
  P(r, "batch", T::kInt)
      .dflt("1")
      .min(1)
      .max(1e7)
      .desc("sequences (serving: concurrency)")
      .store(field([](LlmWorkload & w) -> auto& { return w.batch; }));
  P(r, "input_len", T::kInt)
      .dflt("0")
      .min(0)
      .max(1e8)
      .desc("prompt tokens per sequence")
      .store(field([](LlmWorkload & w) -> auto& { return w.input_len; }));
  P(r, "output_len", T::kInt)
      .dflt("0")
      .min(0)
      .max(1e8)
      .desc("generated tokens (serving)")
      .store(field([](LlmWorkload & w) -> auto& { return w.output_len; }));
  P(r, "context", T::kInt)
      .dflt("0")
      .min(0)
      .max(1e8)
      .desc("tokens each sequence attends to in the step, the new one included (decode)")
      .store(field([](LlmWorkload & w) -> auto& { return w.context; }));
  auto dtype = [&](const char* path, const char* desc, DType LlmWorkload::*m) {
    P(r, path, T::kEnum)
        .dflt("model")
        .choices(kDTypeChoices)
        .desc(desc)
        .store([m](LlmWorkload& w, const config::ParamValue& v) {
          if (v.text != "model") w.*m = parse_dtype(v.text).value_or(DType::kBf16);
        });
  };
  dtype("dtypes.weights", "weights and GEMM inputs (model: the model's)",
        &LlmWorkload::weight_dtype);
  dtype("dtypes.kv_cache", "KV cache and attention inputs (model: the model's)",
        &LlmWorkload::kv_dtype);
  dtype("dtypes.activations", "activations between ops and in collectives (model: the model's)",
        &LlmWorkload::activation_dtype);
  auto par = [&](const char* path, const char* desc, int Parallelism::*m) {
    P(r, path, T::kInt)
        .dflt("1")
        .min(1)
        .max(4096)
        .desc(desc)
        .store([m](LlmWorkload& w, const config::ParamValue& v) {
          w.parallel.*m = static_cast<int>(v.number);
        });
  };
  par("parallel.tp", "tensor-parallel chips", &Parallelism::tp);
  par("parallel.pp", "pipeline stages", &Parallelism::pp);
  par("parallel.ep", "expert-parallel chips (a divisor of tp)", &Parallelism::ep);
  P(r, "serving.prefill_chunk_tokens", T::kInt)
      .dflt("8192")
      .min(1)
      .max(1e7)
      .desc("prompt tokens batched into one prefill pass (TensorRT-LLM max_num_tokens)")
      .store(field([](LlmWorkload & w) -> auto& { return w.prefill_chunk_tokens; }));
  P(r, "fused_kernels", T::kBool)
      .dflt("true")
      .desc(
          "residual add + RMSNorm as one kernel and SwiGLU in the gate/up GEMM's epilogue "
          "(TensorRT-LLM, vLLM); false: one kernel each")
      .store(field([](LlmWorkload & w) -> auto& { return w.fused_kernels; }));
  return r;
}

}  // namespace

const char* phase_name(Phase p) {
  switch (p) {
    case Phase::kPrefill:
      return "prefill";
    case Phase::kDecode:
      return "decode";
    case Phase::kServing:
      return "serving";
    case Phase::kTraining:
      return "training";
  }
  return "?";
}

std::string LlmWorkload::summary() const {
  std::string lens;
  switch (phase) {
    case Phase::kPrefill:
    case Phase::kTraining:
      lens = fmt::format("batch {} x {} tokens", batch, input_len);
      break;
    case Phase::kDecode:
      lens = fmt::format("batch {} at context {}", batch, context);
      break;
    case Phase::kServing:
      lens = fmt::format("{} in / {} out at concurrency {}", input_len, output_len, batch);
      break;
  }
  std::string par = fmt::format("TP{}", parallel.tp);
  if (parallel.pp > 1) par += fmt::format(" PP{}", parallel.pp);
  if (parallel.ep > 1) par += fmt::format(" EP{}", parallel.ep);
  return fmt::format("{} {} {}, weights {} KV {} act {}, {}", model.name, phase_name(phase), lens,
                     dtype_name(weight_dtype), dtype_name(kv_dtype), dtype_name(activation_dtype),
                     par);
}

std::uint64_t LlmWorkload::max_sequence() const {
  switch (phase) {
    case Phase::kDecode:
      return context;
    case Phase::kServing:
      return input_len + output_len;
    default:
      return input_len;
  }
}

void check_workload(const LlmWorkload& w) {
  const std::string where = w.file.empty() ? w.name : w.file.string();
  auto fail = [&](const std::string& msg) {
    throw UserError(fmt::format("workload {}: {}", where, msg));
  };
  const ModelConfig& m = w.model;
  if ((w.phase == Phase::kPrefill || w.phase == Phase::kServing || w.phase == Phase::kTraining) &&
      w.input_len == 0)
    fail(fmt::format("input_len: phase {} needs input_len >= 1", phase_name(w.phase)));
  if (w.phase == Phase::kServing && w.output_len == 0)
    fail("output_len: phase serving needs output_len >= 1");
  if (w.phase == Phase::kDecode && w.context == 0)
    fail("context: phase decode needs context >= 1 (keys per sequence, the new token included)");
  if (w.max_sequence() > m.max_context)
    fail(fmt::format("sequences of {} tokens exceed {}'s max_context ({})", w.max_sequence(),
                     m.name, m.max_context));
  const auto tp = static_cast<std::uint64_t>(w.parallel.tp);
  if (m.kv_heads % tp != 0 && tp % m.kv_heads != 0)
    fail(fmt::format("parallel.tp: {} does not split {}'s {} KV heads evenly", tp, m.name,
                     m.kv_heads));
  if (m.heads % tp != 0)
    fail(fmt::format("parallel.tp: {} does not split {}'s {} heads evenly", tp, m.name, m.heads));
  if (m.layers % static_cast<std::uint64_t>(w.parallel.pp) != 0)
    fail(fmt::format("parallel.pp: {} does not split {}'s {} layers evenly", w.parallel.pp, m.name,
                     m.layers));
  if (w.parallel.tp % w.parallel.ep != 0)
    fail(fmt::format("parallel.ep: {} must divide parallel.tp ({})", w.parallel.ep, w.parallel.tp));
  if (w.parallel.ep > 1 && !m.is_moe())
    fail(fmt::format("parallel.ep: {} has no experts to split", m.name));
  if (m.is_moe() && m.moe.routed_experts % static_cast<std::uint64_t>(w.parallel.ep) != 0)
    fail(fmt::format("parallel.ep: {} does not split {} routed experts evenly", w.parallel.ep,
                     m.moe.routed_experts));
}

const std::vector<config::Binding<LlmWorkload>>& workload_bindings() {
  static const std::vector<config::Binding<LlmWorkload>> bindings = make_bindings();
  return bindings;
}

LlmWorkload load_workload(const std::string& name_or_path,
                          const std::filesystem::path& workloads_dir,
                          const std::vector<std::string>& sets) {
  const auto file = config::resolve_config(name_or_path, workloads_dir, "workload");
  const config::ConfigLoader loader(config::specs_of(workload_bindings()), "workload");
  const config::LoadedParams params = loader.load(file, sets);
  LlmWorkload w;
  w.file = file;
  // The model first, so that its dtypes are the defaults the workload's keys override.
  std::string model_name;
  if (const config::ParamValue* v = params.find("model")) model_name = v->text;
  try {
    std::filesystem::path models = workloads_dir / "models";
    if (model_name.find('/') != std::string::npos && !std::filesystem::exists(model_name))
      model_name = (file.parent_path() / model_name).string();
    w.model = load_model(model_name, models);
  } catch (const UserError& e) {
    const config::ParamValue* v = params.find("model");
    throw UserError(
        fmt::format("{}: model: {}", v ? v->origin.describe() : file.string(), e.what()));
  }
  w.weight_dtype = w.model.weight_dtype;
  w.kv_dtype = w.model.kv_dtype;
  w.activation_dtype = w.model.activation_dtype;
  config::apply_bindings(workload_bindings(), params, w);
  check_workload(w);
  return w;
}

}  // namespace xpusim::llm
