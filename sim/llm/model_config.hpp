#pragma once
// A transformer language model as the lowering needs it, from workloads/models/<name>.yaml: the
// shapes of its layers (dense GQA or MLA attention, dense or mixture-of-experts MLP) and the
// dtypes it is usually served in. Loaded through the same registry machinery as chip configs, so
// a typo, a missing key or a value out of range is an error naming file, line and key.
#include <cstdint>
#include <filesystem>
#include <string>
#include <vector>

#include "sim/common/dtype.hpp"
#include "sim/config/schema.hpp"

namespace xpusim::llm {

struct MlaConfig {
  std::uint64_t q_lora_rank = 0;  // 0: queries projected directly from the hidden state
  std::uint64_t kv_lora_rank = 0;
  std::uint64_t qk_nope_head_dim = 0, qk_rope_head_dim = 0, v_head_dim = 0;
};

struct MoeConfig {
  std::uint64_t routed_experts = 0;  // 0: every layer is dense
  std::uint64_t experts_per_token = 0;
  std::uint64_t shared_experts = 0;
  std::uint64_t expert_intermediate_size = 0;
  std::uint64_t first_dense_layers = 0;  // leading layers with a dense MLP
};

struct ModelConfig {
  std::string name, display_name, source;
  std::filesystem::path file;
  std::uint64_t hidden_size = 0, intermediate_size = 0, layers = 0;
  std::uint64_t heads = 0, kv_heads = 0, head_dim = 0, vocab_size = 0;
  std::uint64_t max_context = 0;
  bool tied_embeddings = false;
  bool qkv_bias = false;
  std::string attention = "gqa";  // "gqa" or "mla"
  MlaConfig mla;
  MoeConfig moe;
  DType weight_dtype = DType::kBf16, kv_dtype = DType::kBf16, activation_dtype = DType::kBf16;

  bool is_mla() const { return attention == "mla"; }
  bool is_moe() const { return moe.routed_experts > 0; }
  bool layer_is_moe(std::uint64_t layer) const {
    return is_moe() && layer >= moe.first_dense_layers;
  }
  std::uint64_t moe_layers() const { return is_moe() ? layers - moe.first_dense_layers : 0; }
  std::uint64_t dense_layers() const { return layers - moe_layers(); }

  // Parameter counts, from the shapes.
  double attention_params() const;  // one layer's attention projections (and their norms)
  double dense_mlp_params() const;  // one dense gated MLP
  double expert_params() const;     // one expert (gated MLP of expert_intermediate_size)
  double moe_mlp_params() const;    // one MoE layer: routed + shared experts + router
  double embedding_params() const;  // input embedding plus LM head (once when tied)
  double total_params() const;
  // Parameters one token's forward pass multiplies with (MoE: top-k routed experts + shared).
  double active_params() const;
  // KV cache per token per layer, in elements (GQA: 2 x kv_heads x head_dim; MLA: the latent and
  // the RoPE key).
  double kv_elements_per_token_layer() const;
};

const std::vector<config::Binding<ModelConfig>>& model_bindings();

// Loads a model by name from `models_dir`/<name>.yaml, or from a path to a YAML file.
ModelConfig load_model(const std::string& name_or_path, const std::filesystem::path& models_dir,
                       const std::vector<std::string>& sets = {});

// Where workloads/ is: next to the config folder (configs/ -> workloads/), else the source tree.
std::filesystem::path workloads_dir(const std::filesystem::path& config_dir);

}  // namespace xpusim::llm
