#include "sim/llm/model_config.hpp"

#include <fmt/format.h>

#include "sim/common/error.hpp"
#include "sim/config/chip_config.hpp"
#include "sim/config/loader.hpp"

namespace xpusim::llm {
namespace {

using P = config::ParamBuilder<ModelConfig>;
using T = config::ParamType;
using config::field;

const std::vector<std::string> kDTypeChoices = {"fp32", "bf16", "fp16", "fp8", "int8", "fp4"};

DType dtype_of(const config::ParamValue& v) {
  return parse_dtype(v.text).value_or(DType::kBf16);
}

// A whole-number shape parameter.
void shape(std::vector<config::Binding<ModelConfig>>& r, const char* path, const char* desc,
           std::uint64_t ModelConfig::*member, bool required = true) {
  P p(r, path, T::kInt);
  p.min(required ? 1 : 0)
      .max(1e9)
      .desc(desc)
      .store([member](ModelConfig& m, const config::ParamValue& v) {
        m.*member = static_cast<std::uint64_t>(v.number);
      });
  if (required)
    p.required();
  else
    p.dflt("0");
}

template <class Sub>
void sub_shape(std::vector<config::Binding<ModelConfig>>& r, const char* path, const char* desc,
               Sub ModelConfig::*group, std::uint64_t Sub::*member) {
  P(r, path, T::kInt)
      .dflt("0")
      .min(0)
      .max(1e9)
      .desc(desc)
      .store([group, member](ModelConfig& m, const config::ParamValue& v) {
        (m.*group).*member = static_cast<std::uint64_t>(v.number);
      });
}

std::vector<config::Binding<ModelConfig>> make_bindings() {
  std::vector<config::Binding<ModelConfig>> r;
  P(r, "name", T::kString).required().desc("model name; must equal the file name").store(field([
  ](ModelConfig & m) -> auto& { return m.name; }));
  P(r, "base", T::kString).desc("model this one inherits from (same folder)");
  P(r, "display_name", T::kString).required().desc("human-readable model name").store(field([
  ](ModelConfig & m) -> auto& { return m.display_name; }));
  P(r, "source", T::kString)
      .dflt("")
      .desc("where the shapes come from (the published config)")
      .store(field([](ModelConfig & m) -> auto& { return m.source; }));
  shape(r, "hidden_size", "model width (d_model)", &ModelConfig::hidden_size);
  shape(r, "intermediate_size", "dense MLP width (per gated branch)",
        &ModelConfig::intermediate_size);
  shape(r, "layers", "transformer blocks", &ModelConfig::layers);
  shape(r, "heads", "query heads", &ModelConfig::heads);
  shape(r, "kv_heads", "key/value heads (GQA; = heads for MHA)", &ModelConfig::kv_heads);
  shape(r, "head_dim", "query/key/value width per head (GQA)", &ModelConfig::head_dim);
  shape(r, "vocab_size", "vocabulary (embedding and LM head rows)", &ModelConfig::vocab_size);
  shape(r, "max_context", "longest context the model supports, tokens", &ModelConfig::max_context);
  P(r, "tied_embeddings", T::kBool)
      .dflt("false")
      .desc("LM head shares the embedding matrix")
      .store(field([](ModelConfig & m) -> auto& { return m.tied_embeddings; }));
  P(r, "qkv_bias", T::kBool).dflt("false").desc("Q, K and V projections have a bias").store(field([
  ](ModelConfig & m) -> auto& { return m.qkv_bias; }));
  P(r, "attention", T::kEnum)
      .dflt("gqa")
      .choices({"gqa", "mla"})
      .desc("gqa (grouped-query, MHA and MQA included) or mla (DeepSeek multi-head latent)")
      .store(field([](ModelConfig & m) -> auto& { return m.attention; }));
  sub_shape(r, "mla.q_lora_rank", "query latent width (0: direct projection)", &ModelConfig::mla,
            &MlaConfig::q_lora_rank);
  sub_shape(r, "mla.kv_lora_rank", "key/value latent width (cached)", &ModelConfig::mla,
            &MlaConfig::kv_lora_rank);
  sub_shape(r, "mla.qk_nope_head_dim", "per-head query/key width without RoPE", &ModelConfig::mla,
            &MlaConfig::qk_nope_head_dim);
  sub_shape(r, "mla.qk_rope_head_dim", "decoupled RoPE key width (cached)", &ModelConfig::mla,
            &MlaConfig::qk_rope_head_dim);
  sub_shape(r, "mla.v_head_dim", "per-head value width", &ModelConfig::mla, &MlaConfig::v_head_dim);
  sub_shape(r, "moe.routed_experts", "routed experts per MoE layer (0: dense model)",
            &ModelConfig::moe, &MoeConfig::routed_experts);
  sub_shape(r, "moe.experts_per_token", "routed experts each token goes to (top-k)",
            &ModelConfig::moe, &MoeConfig::experts_per_token);
  sub_shape(r, "moe.shared_experts", "experts every token goes to", &ModelConfig::moe,
            &MoeConfig::shared_experts);
  sub_shape(r, "moe.expert_intermediate_size", "one expert's gated MLP width", &ModelConfig::moe,
            &MoeConfig::expert_intermediate_size);
  sub_shape(r, "moe.first_dense_layers", "leading layers with a dense MLP", &ModelConfig::moe,
            &MoeConfig::first_dense_layers);
  auto dtype = [&](const char* path, const char* dflt, const char* desc, DType ModelConfig::*m) {
    P(r, path, T::kEnum)
        .dflt(dflt)
        .choices(kDTypeChoices)
        .desc(desc)
        .store([m](ModelConfig& model, const config::ParamValue& v) { model.*m = dtype_of(v); });
  };
  dtype("dtypes.weights", "bf16", "weight storage as usually served", &ModelConfig::weight_dtype);
  dtype("dtypes.kv_cache", "bf16", "KV cache storage", &ModelConfig::kv_dtype);
  dtype("dtypes.activations", "bf16", "activations between layers", &ModelConfig::activation_dtype);
  return r;
}

void check_consistency(const ModelConfig& m, const config::LoadedParams& p) {
  std::vector<std::string> errors;
  auto where = [&](const std::string& key) {
    const config::ParamValue* v = p.find(key);
    return v ? v->origin.describe() : p.file.string();
  };
  if (m.heads % m.kv_heads != 0)
    errors.push_back(fmt::format("{}: kv_heads: heads ({}) must be a multiple of kv_heads ({})",
                                 where("kv_heads"), m.heads, m.kv_heads));
  if (m.is_mla() && (m.mla.kv_lora_rank == 0 || m.mla.qk_nope_head_dim == 0 ||
                     m.mla.qk_rope_head_dim == 0 || m.mla.v_head_dim == 0))
    errors.push_back(fmt::format(
        "{}: attention: mla needs mla.kv_lora_rank, mla.qk_nope_head_dim, mla.qk_rope_head_dim "
        "and mla.v_head_dim",
        where("attention")));
  if (m.is_moe()) {
    if (m.moe.experts_per_token == 0 || m.moe.experts_per_token > m.moe.routed_experts)
      errors.push_back(fmt::format("{}: moe.experts_per_token must be 1..moe.routed_experts ({})",
                                   where("moe.experts_per_token"), m.moe.routed_experts));
    if (m.moe.expert_intermediate_size == 0)
      errors.push_back(fmt::format("{}: moe.expert_intermediate_size is needed with routed experts",
                                   where("moe.routed_experts")));
    if (m.moe.first_dense_layers >= m.layers)
      errors.push_back(fmt::format("{}: moe.first_dense_layers must be below layers ({})",
                                   where("moe.first_dense_layers"), m.layers));
  }
  if (!errors.empty()) {
    std::string msg = fmt::format("invalid model config {}:", p.file.string());
    for (const auto& e : errors) msg += "\n  " + e;
    throw UserError(msg);
  }
}

}  // namespace

double ModelConfig::attention_params() const {
  const double h = static_cast<double>(hidden_size);
  double p = h;  // the input norm
  if (is_mla()) {
    const double qk = static_cast<double>(mla.qk_nope_head_dim + mla.qk_rope_head_dim);
    const double nh = static_cast<double>(heads);
    if (mla.q_lora_rank > 0)
      p += h * mla.q_lora_rank + mla.q_lora_rank + static_cast<double>(mla.q_lora_rank) * nh * qk;
    else
      p += h * nh * qk;
    p += h * static_cast<double>(mla.kv_lora_rank + mla.qk_rope_head_dim) + mla.kv_lora_rank;
    p += static_cast<double>(mla.kv_lora_rank) * nh *
         static_cast<double>(mla.qk_nope_head_dim + mla.v_head_dim);
    p += nh * static_cast<double>(mla.v_head_dim) * h;
  } else {
    const double q = static_cast<double>(heads * head_dim);
    const double kv = static_cast<double>(kv_heads * head_dim);
    p += h * (q + 2 * kv) + q * h;
    if (qkv_bias) p += q + 2 * kv;
  }
  return p;
}

double ModelConfig::dense_mlp_params() const {
  const double h = static_cast<double>(hidden_size);
  return 3 * h * static_cast<double>(intermediate_size) + h;  // gate, up, down; the MLP norm
}

double ModelConfig::expert_params() const {
  return 3.0 * static_cast<double>(hidden_size) * static_cast<double>(moe.expert_intermediate_size);
}

double ModelConfig::moe_mlp_params() const {
  const double h = static_cast<double>(hidden_size);
  return static_cast<double>(moe.routed_experts + moe.shared_experts) * expert_params() +
         h * static_cast<double>(moe.routed_experts) + h;
}

double ModelConfig::embedding_params() const {
  const double table = static_cast<double>(vocab_size) * static_cast<double>(hidden_size);
  return (tied_embeddings ? table : 2 * table) + static_cast<double>(hidden_size);  // final norm
}

double ModelConfig::total_params() const {
  return static_cast<double>(layers) * attention_params() +
         static_cast<double>(dense_layers()) * dense_mlp_params() +
         static_cast<double>(moe_layers()) * moe_mlp_params() + embedding_params();
}

double ModelConfig::active_params() const {
  if (!is_moe()) return total_params();
  const double h = static_cast<double>(hidden_size);
  const double moe_active =
      static_cast<double>(moe.experts_per_token + moe.shared_experts) * expert_params() +
      h * static_cast<double>(moe.routed_experts) + h;
  return static_cast<double>(layers) * attention_params() +
         static_cast<double>(dense_layers()) * dense_mlp_params() +
         static_cast<double>(moe_layers()) * moe_active + embedding_params();
}

double ModelConfig::kv_elements_per_token_layer() const {
  if (is_mla()) return static_cast<double>(mla.kv_lora_rank + mla.qk_rope_head_dim);
  return 2.0 * static_cast<double>(kv_heads * head_dim);
}

const std::vector<config::Binding<ModelConfig>>& model_bindings() {
  static const std::vector<config::Binding<ModelConfig>> bindings = make_bindings();
  return bindings;
}

ModelConfig load_model(const std::string& name_or_path, const std::filesystem::path& models_dir,
                       const std::vector<std::string>& sets) {
  const auto file = config::resolve_config(name_or_path, models_dir, "model");
  const config::ConfigLoader loader(config::specs_of(model_bindings()), "model");
  const config::LoadedParams params = loader.load(file, sets);
  ModelConfig m;
  m.file = file;
  config::apply_bindings(model_bindings(), params, m);
  check_consistency(m, params);
  return m;
}

std::filesystem::path workloads_dir(const std::filesystem::path& config_dir) {
  const std::filesystem::path beside = (config_dir / ".." / "workloads").lexically_normal();
  if (std::filesystem::is_directory(beside / "models")) return beside;
  return std::filesystem::path(XPUSIM_SOURCE_DIR) / "workloads";
}

}  // namespace xpusim::llm
