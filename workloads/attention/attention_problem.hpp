#pragma once
// One multi-head attention call: O = softmax(scale * Q K^T + mask) V per (sequence, query head),
// as FlashAttention 2/3 and FlashMLA compute it.
//
// Tensors are token-major as in FlashAttention's varlen API: Q and O are [tokens, heads, dim],
// K and V [tokens, kv_heads, dim], the log-sum-exp (LSE) [heads, tokens] in fp32; sequences of a
// batch follow one another (cu_seqlens). Query head h reads KV head h / (heads / kv_heads): GQA,
// and MQA when kv_heads is 1.
//
// Causal masks are aligned to the bottom right (FlashAttention >= 2.1): query row i of a sequence
// with q_len queries and kv_len keys sees keys j <= i + kv_len - q_len. A causal problem with
// q_len > kv_len would leave rows with no key and is refused.
//
// MLA (DeepSeek-V2/V3): every head shares one latent c_kv of kv_lora_rank values per token plus
// a RoPE key of rope_dim. head_dim and head_dim_v are then the per-head q/k "nope" width and the
// value width of the unabsorbed form. Prefill and backward run the unabsorbed form (K and V
// expanded per head: qk width head_dim + rope_dim, v width head_dim_v, kv_heads = heads); decode
// runs the absorbed form as FlashMLA does (W_UK folded into the query, W_UV applied after the
// kernel): MQA with qk width kv_lora_rank + rope_dim and v width kv_lora_rank over the latent
// cache. kernel_shape() gives the shape the kernel sees.
//
// FLOPs (flops()) count the kernel's matrix products over the (query, key) pairs the mask keeps,
// exactly: forward and decode 2 * pairs * (d_qk + d_v) per head (4 * b * h * sq * skv * d without
// a mask, the FlashAttention papers' count); backward 2 * pairs * (3 * d_qk + 2 * d_v) (S, dP,
// dV, dK, dQ), which is 2.5x the forward when d_qk = d_v, as the papers count it. MLA's
// projections are separate GEMMs and are not counted.
#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "sim/common/dtype.hpp"

namespace xpusim::attention {

enum class Pass { kForward, kBackward, kDecode };
std::string_view pass_name(Pass p);  // "fwd", "bwd", "decode"

inline constexpr std::uint64_t kMaxSeqLen = (std::uint64_t{1} << 31) - 1;
inline constexpr std::uint64_t kMaxHeadDim = 256;      // FlashAttention's limit (MLA decode aside)
inline constexpr std::uint64_t kDefaultPageSize = 64;  // FlashMLA's page size

struct MlaShape {
  std::uint64_t kv_lora_rank = 0;  // latent width (DeepSeek-V3: 512)
  std::uint64_t rope_dim = 0;      // decoupled RoPE key width (DeepSeek-V3: 64)
  bool operator==(const MlaShape&) const = default;
};

// What the attention kernel itself computes with.
struct KernelShape {
  std::uint64_t heads = 0, kv_heads = 0;
  std::uint64_t head_dim = 0;                               // width of Q and K rows
  std::uint64_t head_dim_v = 0;                             // width of V and O rows
  std::uint64_t group() const { return heads / kv_heads; }  // query heads per KV head
};

struct AttentionProblem {
  std::uint64_t batch = 1;
  std::uint64_t heads = 1, kv_heads = 1;
  std::uint64_t head_dim = 0, head_dim_v = 0;
  std::vector<std::uint64_t> seqlens_q, seqlens_kv;  // one per sequence (batch entries)
  bool causal = false;
  Pass pass = Pass::kForward;
  DType dtype = DType::kBf16;   // Q, K, V (and dO); fp8 is e4m3
  std::uint64_t page_size = 0;  // tokens per page of the paged KV cache (decode only)
  std::optional<MlaShape> mla;

  std::uint64_t q_len(std::uint64_t b) const { return seqlens_q[b]; }
  std::uint64_t kv_len(std::uint64_t b) const { return seqlens_kv[b]; }
  std::uint64_t q_offset(std::uint64_t b) const;   // first token of sequence b in Q and O
  std::uint64_t kv_offset(std::uint64_t b) const;  // first token of sequence b in K and V
  std::uint64_t total_q() const;
  std::uint64_t total_kv() const;
  std::uint64_t max_q() const;
  std::uint64_t max_kv() const;
  bool varlen() const;

  KernelShape kernel_shape() const;
  double softmax_scale() const;  // 1/sqrt(qk width of the unabsorbed form)
  DType output_dtype() const;    // O (and dQ, dK, dV): fp8 inputs write bf16

  // Keys query row `row` of sequence b attends to: a prefix [0, visible) of its keys.
  std::uint64_t visible_keys(std::uint64_t b, std::uint64_t row) const;
  double pairs(std::uint64_t b) const;  // unmasked (query, key) pairs of sequence b, one head
  double forward_flops() const;
  double flops() const;  // of this pass (see the header comment)
  std::string to_string() const;
  bool operator==(const AttentionProblem&) const = default;
};

// Throws UserError naming the field when `p` is not a problem the kernels accept.
void validate(const AttentionProblem& p);

// Parses "batch=2,heads=16,kv_heads=16,head_dim=128,seq_q=8192,seq_kv=8192,causal=0,pass=fwd"
// (items separated by ',' or ';' as in reference/measured.csv). Keys:
//   batch, heads, head_dim, seq_q, seq_kv       required (batch may follow from the lists below)
//   kv_heads (= heads), head_dim_v (= head_dim), causal (0/1, false/true; 0), pass (fwd, bwd,
//   decode; fwd), dtype (bf16, fp16, fp8; bf16), page_size (decode; 64), kv_lora_rank and
//   rope_dim (MLA, both or neither)
// seq_q and seq_kv take one length for every sequence or one per sequence separated by ':'
// ("seq_kv=512:1000:77", varlen). Every problem is a UserError quoting the text and naming the
// key: unknown or repeated key, missing key, a value that is not a whole number, zero, negative,
// heads not a multiple of kv_heads, and the rules of validate().
AttentionProblem parse_attention_problem(std::string_view text);

}  // namespace xpusim::attention
