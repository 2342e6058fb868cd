#include "sim/llm/lowering.hpp"

#include <fmt/format.h>

#include <algorithm>
#include <cmath>

namespace xpusim::llm {
namespace {

using attention::AttentionProblem;
using attention::Pass;
using collective::CollectiveOp;
using stream::StreamOp;

std::uint64_t div_up(std::uint64_t a, std::uint64_t b) {
  return (a + b - 1) / b;
}

class Builder {
 public:
  explicit Builder(Lowered& out) : out_(out) {}

  void gemm(const std::string& name, double count, std::uint64_t m, std::uint64_t n,
            std::uint64_t k, DType dtype) {
    if (count <= 0 || m == 0 || n == 0 || k == 0) return;
    Op op;
    op.kind = Op::Kind::kGemm;
    op.name = name;
    op.count = count;
    op.dtype = dtype;
    op.gemm = {m, n, k};
    push(std::move(op));
  }
  void vector(const std::string& name, double count, StreamOp kind, std::uint64_t bytes) {
    if (count <= 0 || bytes == 0) return;
    Op op;
    op.kind = Op::Kind::kVector;
    op.name = name;
    op.count = count;
    op.dtype = DType::kFp32;
    op.vector_op = kind;
    op.vector_bytes = bytes;
    push(std::move(op));
  }
  void attention(const std::string& name, double count, const AttentionProblem& p) {
    if (count <= 0) return;
    Op op;
    op.kind = Op::Kind::kAttention;
    op.name = name;
    op.count = count;
    op.dtype = p.dtype;
    op.attention = p;
    push(std::move(op));
  }
  void collective(const std::string& name, double count, CollectiveOp kind, std::uint64_t bytes,
                  int ranks) {
    if (count <= 0 || ranks < 2 || bytes == 0) return;
    Op op;
    op.kind = Op::Kind::kCollective;
    op.name = name;
    op.count = count;
    op.collective = kind;
    op.collective_bytes = bytes;
    op.ranks = ranks;
    push(std::move(op));
  }

 private:
  void push(Op op) {
    out_.flops += op.count * op.flops();
    out_.ops.push_back(std::move(op));
  }
  Lowered& out_;
};

AttentionProblem attention_problem(const LlmWorkload& w, const PassShape& s, DType dtype,
                                   Pass pass) {
  const ModelConfig& m = w.model;
  const auto tp = static_cast<std::uint64_t>(w.parallel.tp);
  AttentionProblem p;
  p.batch = s.batch;
  p.heads = m.heads / tp;
  p.seqlens_q.assign(s.batch, s.q_len);
  p.seqlens_kv.assign(s.batch, s.kv_len);
  p.causal = !s.decode;
  p.pass = pass;
  p.dtype = dtype;
  if (m.is_mla()) {
    p.kv_heads = p.heads;
    p.head_dim = m.mla.qk_nope_head_dim;
    p.head_dim_v = m.mla.v_head_dim;
    p.mla = attention::MlaShape{m.mla.kv_lora_rank, m.mla.qk_rope_head_dim};
  } else {
    p.kv_heads = std::max<std::uint64_t>(1, m.kv_heads / tp);
    p.head_dim = p.head_dim_v = m.head_dim;
  }
  if (pass == Pass::kDecode) p.page_size = attention::kDefaultPageSize;
  attention::validate(p);
  return p;
}

}  // namespace

double Op::flops() const {
  switch (kind) {
    case Kind::kGemm:
      return 2.0 * static_cast<double>(gemm.m) * static_cast<double>(gemm.n) *
             static_cast<double>(gemm.k);
    case Kind::kAttention:
      return attention.flops();
    default:
      return 0;
  }
}

double Op::weight_bytes() const {
  if (kind != Kind::kGemm) return 0;
  return static_cast<double>(gemm.n) * static_cast<double>(gemm.k) * dtype_bytes(dtype);
}

std::string Op::key() const {
  switch (kind) {
    case Kind::kGemm:
      return fmt::format("gemm {}x{}x{} {}", gemm.m, gemm.n, gemm.k, dtype_name(dtype));
    case Kind::kAttention:
      return fmt::format("attention {} {}", attention.to_string(), dtype_name(attention.dtype));
    case Kind::kVector:
      return fmt::format("vector {} {}", stream::stream_op_name(vector_op), vector_bytes);
    case Kind::kCollective:
      return fmt::format("{} {} x{}", collective::to_string(collective), collective_bytes, ranks);
  }
  return "?";
}

Lowered lower_forward(const LlmWorkload& w, const PassShape& s, DType gemm_dtype,
                      DType attention_dtype) {
  Lowered out;
  Builder b(out);
  const ModelConfig& m = w.model;
  const auto tp = static_cast<std::uint64_t>(w.parallel.tp);
  const auto ep = static_cast<std::uint64_t>(w.parallel.ep);
  const double pp = w.parallel.pp;
  const int tpi = w.parallel.tp;
  const std::uint64_t h = m.hidden_size;
  const std::uint64_t tokens = s.batch * s.q_len;
  const double act = dtype_bytes(w.activation_dtype);
  const auto hidden_bytes = static_cast<std::uint64_t>(static_cast<double>(tokens * h) * act);
  const double layers = static_cast<double>(m.layers) / pp;
  const double dense_layers = static_cast<double>(m.dense_layers()) / pp;
  const double moe_layers = static_cast<double>(m.moe_layers()) / pp;
  const std::uint64_t heads = m.heads / tp;

  // Attention block.
  // Fused (as TensorRT-LLM and vLLM run it): each residual add and the RMSNorm after it are one
  // kernel reading the sum's two inputs and writing the new residual and the normed copy; the
  // SwiGLU activation is the gate/up GEMM's epilogue. Unfused: separate kernels.
  const bool fused = w.fused_kernels;
  if (fused)
    b.vector("add_norm", layers, StreamOp::kCopy, 2 * hidden_bytes);
  else
    b.vector("attn_norm", layers, StreamOp::kCopy, hidden_bytes);
  const Pass pass = s.decode ? Pass::kDecode : Pass::kForward;
  if (m.is_mla()) {
    const auto& a = m.mla;
    if (a.q_lora_rank > 0) {
      b.gemm("q_a_proj", layers, tokens, a.q_lora_rank, h, gemm_dtype);
      b.vector("q_a_norm", layers, StreamOp::kCopy,
               static_cast<std::uint64_t>(static_cast<double>(tokens * a.q_lora_rank) * act));
      b.gemm("q_b_proj", layers, tokens, heads * (a.qk_nope_head_dim + a.qk_rope_head_dim),
             a.q_lora_rank, gemm_dtype);
    } else {
      b.gemm("q_proj", layers, tokens, heads * (a.qk_nope_head_dim + a.qk_rope_head_dim), h,
             gemm_dtype);
    }
    b.gemm("kv_a_proj", layers, tokens, a.kv_lora_rank + a.qk_rope_head_dim, h, gemm_dtype);
    b.vector("kv_a_norm", layers, StreamOp::kCopy,
             static_cast<std::uint64_t>(static_cast<double>(tokens * a.kv_lora_rank) * act));
    if (s.decode) {
      // Absorbed form (FlashMLA): W_UK folded into the query, W_UV applied to the output.
      b.gemm("q_absorb", layers, tokens, heads * a.kv_lora_rank, a.qk_nope_head_dim, gemm_dtype);
      b.attention("attention", layers, attention_problem(w, s, attention_dtype, pass));
      b.gemm("v_up", layers, tokens, heads * a.v_head_dim, a.kv_lora_rank, gemm_dtype);
    } else {
      b.gemm("kv_b_proj", layers, tokens, heads * (a.qk_nope_head_dim + a.v_head_dim),
             a.kv_lora_rank, gemm_dtype);
      b.attention("attention", layers, attention_problem(w, s, attention_dtype, pass));
    }
    b.gemm("o_proj", layers, tokens, h, heads * a.v_head_dim, gemm_dtype);
  } else {
    const std::uint64_t kv = std::max<std::uint64_t>(1, m.kv_heads / tp);
    b.gemm("qkv_proj", layers, tokens, (heads + 2 * kv) * m.head_dim, h, gemm_dtype);
    b.attention("attention", layers, attention_problem(w, s, attention_dtype, pass));
    b.gemm("o_proj", layers, tokens, h, heads * m.head_dim, gemm_dtype);
  }
  b.collective("attn_all_reduce", layers, CollectiveOp::kAllReduce, hidden_bytes, tpi);
  if (fused) {
    b.vector("add_norm", layers, StreamOp::kCopy, 2 * hidden_bytes);
  } else {
    b.vector("attn_residual", layers, StreamOp::kAdd, hidden_bytes);
    b.vector("mlp_norm", layers, StreamOp::kCopy, hidden_bytes);
  }

  // Dense MLP (SwiGLU: gate and up fused in one GEMM, silu(gate) * up, down).
  const std::uint64_t inter = div_up(m.intermediate_size, tp);
  b.gemm("gate_up_proj", dense_layers, tokens, 2 * inter, h, gemm_dtype);
  if (!fused)
    b.vector("mlp_activation", dense_layers, StreamOp::kAdd,
             static_cast<std::uint64_t>(static_cast<double>(tokens * inter) * act));
  b.gemm("down_proj", dense_layers, tokens, h, inter, gemm_dtype);

  // Mixture of experts: router, routed experts (split over ep chips, each expert's width over
  // tp / ep), shared experts (split over tp).
  if (moe_layers > 0) {
    const auto& e = m.moe;
    b.gemm("router", moe_layers, tokens, e.routed_experts, h, w.activation_dtype);
    const std::uint64_t expert_split = tp / ep;
    const std::uint64_t ei = div_up(e.expert_intermediate_size, expert_split);
    const auto local_experts = static_cast<double>(e.routed_experts / ep);
    // Uniform routing: an expert sees a token with p = k / E; it is idle with (1 - p)^tokens.
    const double p =
        static_cast<double>(e.experts_per_token) / static_cast<double>(e.routed_experts);
    const double busy = 1.0 - std::pow(1.0 - p, static_cast<double>(tokens));
    const double active = std::max(1.0, local_experts * busy);
    const double assigned = static_cast<double>(tokens) * p * local_experts;
    const auto per_expert = std::max<std::uint64_t>(1, std::llround(assigned / active));
    if (ep > 1) {
      const auto a2a =
          static_cast<std::uint64_t>(static_cast<double>(div_up(tokens, ep)) *
                                     static_cast<double>(e.experts_per_token * h) * act);
      b.collective("moe_dispatch", moe_layers, CollectiveOp::kAllToAll, a2a, static_cast<int>(ep));
      b.collective("moe_combine", moe_layers, CollectiveOp::kAllToAll, a2a, static_cast<int>(ep));
    }
    b.gemm("expert_gate_up", moe_layers * active, per_expert, 2 * ei, h, gemm_dtype);
    if (!fused)
      b.vector("expert_activation", moe_layers * active, StreamOp::kAdd,
               static_cast<std::uint64_t>(static_cast<double>(per_expert * ei) * act));
    b.gemm("expert_down", moe_layers * active, per_expert, h, ei, gemm_dtype);
    if (e.shared_experts > 0) {
      const std::uint64_t si = div_up(e.shared_experts * e.expert_intermediate_size, tp);
      b.gemm("shared_gate_up", moe_layers, tokens, 2 * si, h, gemm_dtype);
      if (!fused)
        b.vector("shared_activation", moe_layers, StreamOp::kAdd,
                 static_cast<std::uint64_t>(static_cast<double>(tokens * si) * act));
      b.gemm("shared_down", moe_layers, tokens, h, si, gemm_dtype);
    }
    if (ep > 1)
      out.notes.push_back(fmt::format(
          "EP{}: routed experts {} per chip, tokens dispatched and combined by all-to-all; "
          "uniform routing ({:.1f} of {} local experts busy, {} tokens each)",
          ep, e.routed_experts / ep, active, e.routed_experts / ep, per_expert));
  }
  b.collective("mlp_all_reduce", layers, CollectiveOp::kAllReduce, hidden_bytes, tpi);
  if (!fused) b.vector("mlp_residual", layers, StreamOp::kAdd, hidden_bytes);

  // Once per pass (spread over the stages: the first embeds, the last runs the head).
  const double once = 1.0 / pp;
  b.vector("embedding", once, StreamOp::kCopy, hidden_bytes);
  const std::uint64_t rows = s.logits_all ? tokens : s.batch;
  b.vector("final_norm", once, StreamOp::kCopy,
           static_cast<std::uint64_t>(static_cast<double>(rows * h) * act));
  b.gemm("lm_head", once, rows, div_up(m.vocab_size, tp), h, gemm_dtype);
  if (w.parallel.pp > 1)
    b.collective("pp_send_recv", (pp - 1) / pp, CollectiveOp::kSendRecv, hidden_bytes, 2);
  if (tp > 1 && !m.is_mla() && m.kv_heads < tp)
    out.notes.push_back(fmt::format("TP{} over {} KV heads: each KV head is replicated {}x", tp,
                                    m.kv_heads, tp / m.kv_heads));
  return out;
}

Lowered lower_training(const LlmWorkload& w, const PassShape& s, DType gemm_dtype) {
  Lowered fwd =
      lower_forward(w, s, gemm_dtype, gemm_dtype == DType::kFp8 ? DType::kBf16 : gemm_dtype);
  Lowered out;
  Builder b(out);
  for (const Op& op : fwd.ops) {
    switch (op.kind) {
      case Op::Kind::kGemm:
        b.gemm(op.name, op.count, op.gemm.m, op.gemm.n, op.gemm.k, op.dtype);
        // dX = dY W^T and dW = X^T dY.
        b.gemm(op.name + "_dgrad", op.count, op.gemm.m, op.gemm.k, op.gemm.n, op.dtype);
        b.gemm(op.name + "_wgrad", op.count, op.gemm.k, op.gemm.n, op.gemm.m, op.dtype);
        break;
      case Op::Kind::kAttention: {
        b.attention(op.name, op.count, op.attention);
        AttentionProblem bwd = op.attention;
        bwd.pass = Pass::kBackward;
        if (bwd.dtype == DType::kFp8) bwd.dtype = DType::kBf16;
        b.attention(op.name + "_bwd", op.count, bwd);
        break;
      }
      case Op::Kind::kVector:
        b.vector(op.name, op.count, op.vector_op, op.vector_bytes);
        b.vector(op.name + "_bwd", op.count, op.vector_op, op.vector_bytes);
        break;
      case Op::Kind::kCollective:
        b.collective(op.name, op.count, op.collective, op.collective_bytes, op.ranks);
        b.collective(op.name + "_bwd", op.count, op.collective, op.collective_bytes, op.ranks);
        break;
    }
  }
  out.notes = fwd.notes;
  out.notes.push_back(
      "training step: forward + backward (dgrad, wgrad, attention backward); no optimizer step, "
      "no activation recomputation, no data-parallel gradient all-reduce");
  return out;
}

}  // namespace xpusim::llm
