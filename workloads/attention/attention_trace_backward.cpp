// The FA2 backward as three kernels (attention_trace.hpp describes them).
#include <fmt/format.h>

#include <algorithm>

#include "sim/trace/loop_folder.hpp"
#include "workloads/attention/attention_trace.hpp"

namespace xpusim::attention::detail {
namespace {

using trace::Op;

std::uint32_t u32(std::uint64_t v) {
  return static_cast<std::uint32_t>(v);
}

// One CTA of the main kernel: KV tile `w.tile` of query head `w.head`, over its query tiles.
class BackwardCta {
 public:
  BackwardCta(const AttentionPlan& p, const AttentionLayout& l, const CtaWork& w)
      : p_(p), l_(l), w_(w) {
    key0_ = w.tile * p.bn;
    keys_ = p.keys_in_tile(w.batch, w.tile);
    kv_head_ = w.head / p.shape.group();
    const TileRange r = p.q_tiles_of(w);
    for (std::uint64_t i = r.first; i < r.last; ++i) q_tiles_.push_back(i);
  }

  trace::Cta write() const {
    trace::Cta cta;
    cta.id = w_.id;
    if (p_.kernel == AttentionKernel::kFa3WarpSpecialized) {
      producer(cta.streams.emplace_back());
      consumer(cta.streams.emplace_back());
    } else {
      single_stream(cta.streams.emplace_back());
    }
    return cta;
  }

 private:
  RowBlock q_rows(std::uint64_t i) const {
    return {p_.problem.q_offset(w_.batch) + i * p_.bm, p_.rows_in_tile(w_.batch, i), w_.head, 1};
  }
  std::uint32_t stage(std::size_t k) const { return u32(k % p_.stages); }

  void add_kv(std::vector<Op>& ops, std::uint32_t st) const {
    add_loads(ops, l_.kv_boxes(l_.k, p_.problem, w_.batch, kv_head_, key0_, keys_), st);
    add_loads(ops, l_.kv_boxes(l_.v, p_.problem, w_.batch, kv_head_, key0_, keys_), st);
  }
  void add_q_tile(std::vector<Op>& ops, std::size_t k, std::uint32_t st) const {
    const RowBlock r = q_rows(q_tiles_[k]);
    add_loads(ops, {l_.q.box(r), l_.d_o.box(r), l_.lse.box(r), l_.delta.box(r)}, st);
  }
  // S, P, dP, dS and the three gradient MMAs of query tile k; dQ added atomically.
  void add_step(std::vector<Op>& ops, std::size_t k) const {
    const std::uint64_t i = q_tiles_[k], rows = p_.rows_in_tile(w_.batch, i), scores = rows * keys_;
    const std::uint32_t d = u32(p_.shape.head_dim), dv = u32(p_.shape.head_dim_v);
    const DType t = p_.problem.dtype;
    ops.push_back(trace::Mma{u32(rows), u32(keys_), d, t});  // S = Q K^T
    if (p_.needs_mask(w_.batch, i * p_.bm, rows, key0_, keys_))
      ops.push_back(trace::VectorWork{scores, kMaskFlopsPerScore, DType::kFp32});
    ops.push_back(trace::VectorWork{scores, kBwdPFlopsPerScore, DType::kFp32});
    ops.push_back(trace::SfuWork{scores});                    // P = exp(S * scale - LSE)
    ops.push_back(trace::Mma{u32(rows), u32(keys_), dv, t});  // dP = dO V^T
    ops.push_back(trace::VectorWork{scores, kBwdDsFlopsPerScore, DType::kFp32});
    ops.push_back(trace::Mma{u32(keys_), dv, u32(rows), t});  // dV += P^T dO
    ops.push_back(trace::Mma{u32(keys_), d, u32(rows), t});   // dK += dS^T Q
    ops.push_back(trace::Mma{u32(rows), d, u32(keys_), t});   // dQ_i += dS K
    ops.push_back(trace::TileStore{l_.dq_accum.box(q_rows(i)), true});
  }
  void epilogue(trace::Stream& s) const {
    const std::uint64_t d = p_.shape.head_dim, dv = p_.shape.head_dim_v;
    s.push_back(trace::VectorWork{keys_ * (d + dv), kNormalizeFlopsPerOutput, DType::kFp32});
    const std::uint64_t kv0 = p_.problem.kv_offset(w_.batch) + key0_;
    if (p_.shape.group() > 1) {  // fp32, per query head; the postprocess sums the group
      s.push_back(trace::TileStore{l_.dk_accum.box({kv0, keys_, w_.head, 1}), false});
      s.push_back(trace::TileStore{l_.dv_accum.box({kv0, keys_, w_.head, 1}), false});
    } else {
      s.push_back(trace::TileStore{l_.dk.box({kv0, keys_, kv_head_, 1}), false});
      s.push_back(trace::TileStore{l_.dv.box({kv0, keys_, kv_head_, 1}), false});
    }
  }

  void producer(trace::Stream& s) const {
    trace::LoopFolder folder(s, p_.stages);
    for (std::size_t k = 0; k < q_tiles_.size(); ++k) {
      std::vector<Op> ops = {Op::wait_empty(stage(k))};
      if (k == 0) add_kv(ops, stage(k));
      add_q_tile(ops, k, stage(k));
      folder.add_iteration(ops);
    }
    folder.flush();
  }
  void consumer(trace::Stream& s) const {
    trace::LoopFolder folder(s, p_.stages);
    for (std::size_t k = 0; k < q_tiles_.size(); ++k) {
      std::vector<Op> ops = {Op::wait_full(stage(k))};
      add_step(ops, k);
      ops.push_back(Op::release(stage(k)));
      folder.add_iteration(ops);
    }
    folder.flush();
    epilogue(s);
  }
  // The next query tile's loads go out before this one's wait (double buffering).
  void single_stream(trace::Stream& s) const {
    trace::LoopFolder folder(s, p_.stages);
    std::vector<Op> prologue;
    add_kv(prologue, 0);
    add_q_tile(prologue, 0, 0);
    folder.add_iteration(prologue);
    for (std::size_t k = 0; k < q_tiles_.size(); ++k) {
      std::vector<Op> ops;
      if (k + 1 < q_tiles_.size()) add_q_tile(ops, k + 1, stage(k + 1));
      ops.push_back(Op::wait_full(stage(k)));
      add_step(ops, k);
      folder.add_iteration(ops);
    }
    folder.flush();
    epilogue(s);
  }

  const AttentionPlan& p_;
  const AttentionLayout& l_;
  const CtaWork& w_;
  std::uint64_t key0_ = 0, keys_ = 0, kv_head_ = 0;
  std::vector<std::uint64_t> q_tiles_;
};

trace::Kernel side_kernel(std::string name, std::uint64_t smem) {
  trace::Kernel k;
  k.name = std::move(name);
  k.threads_per_cta = 128;
  k.registers_per_thread = 64;
  k.num_stages = 1;
  k.smem_bytes_per_cta = u32(smem);
  return k;
}

// D = rowsum(dO * O) per query row; the dQ accumulator cleared.
trace::Kernel preprocess_kernel(const AttentionPlan& p, const AttentionLayout& l) {
  const AttentionProblem& g = p.problem;
  const std::uint64_t dv = p.shape.head_dim_v;
  trace::Kernel k =
      side_kernel("fa2_bwd_preprocess_dot_do_o", kPreprocessRows * dv * (l.o.elem + l.d_o.elem));
  for (std::uint64_t h = 0; h < p.shape.heads; ++h)
    for (std::uint64_t b = 0; b < g.batch; ++b)
      for (std::uint64_t r0 = 0; r0 < g.q_len(b); r0 += kPreprocessRows) {
        const RowBlock r{g.q_offset(b) + r0,
                         std::min<std::uint64_t>(kPreprocessRows, g.q_len(b) - r0), h, 1};
        trace::Cta cta;
        cta.id = u32(k.ctas.size());
        trace::Stream& s = cta.streams.emplace_back();
        s.push_back(trace::TileLoad{l.o.box(r), 0, 1});
        s.push_back(trace::TileLoad{l.d_o.box(r), 0, 1});
        s.push_back(Op::wait_full(0));
        s.push_back(trace::VectorWork{r.tokens * dv, 2, DType::kFp32});
        s.push_back(trace::TileStore{l.delta.box(r), false});
        s.push_back(trace::TileStore{l.dq_accum.box(r), false});
        k.ctas.push_back(std::move(cta));
      }
  return k;
}

// dQ = scale * accumulator in the output type; with GQA also dK, dV summed over the group, one
// query head at a time through two stages.
trace::Kernel postprocess_kernel(const AttentionPlan& p, const AttentionLayout& l) {
  const AttentionProblem& g = p.problem;
  const std::uint64_t d = p.shape.head_dim, dv = p.shape.head_dim_v, group = p.shape.group();
  const std::uint64_t rows = kPreprocessRows, kv_rows = kGroupSumRows;
  trace::Kernel k =
      side_kernel("fa2_bwd_postprocess", std::max(rows * d, 2 * kv_rows * (d + dv)) * 4);
  k.num_stages = 2;
  auto add = [&](trace::Cta&& cta) {
    cta.id = u32(k.ctas.size());
    k.ctas.push_back(std::move(cta));
  };
  for (std::uint64_t h = 0; h < p.shape.heads; ++h)
    for (std::uint64_t b = 0; b < g.batch; ++b)
      for (std::uint64_t r0 = 0; r0 < g.q_len(b); r0 += rows) {
        const RowBlock r{g.q_offset(b) + r0, std::min<std::uint64_t>(rows, g.q_len(b) - r0), h, 1};
        trace::Cta cta;
        trace::Stream& s = cta.streams.emplace_back();
        s.push_back(trace::TileLoad{l.dq_accum.box(r), 0, 1});
        s.push_back(Op::wait_full(0));
        s.push_back(trace::VectorWork{r.tokens * d, kNormalizeFlopsPerOutput, DType::kFp32});
        s.push_back(trace::TileStore{l.dq.box(r), false});
        add(std::move(cta));
      }
  if (group > 1)
    for (std::uint64_t h = 0; h < p.shape.kv_heads; ++h)
      for (std::uint64_t b = 0; b < g.batch; ++b)
        for (std::uint64_t k0 = 0; k0 < g.kv_len(b); k0 += kv_rows) {
          const std::uint64_t n = std::min<std::uint64_t>(kv_rows, g.kv_len(b) - k0);
          const std::uint64_t token = g.kv_offset(b) + k0;
          auto loads = [&](std::uint64_t member, std::uint32_t st) {
            const RowBlock r{token, n, h * group + member, 1};
            return std::vector<Op>{trace::TileLoad{l.dk_accum.box(r), st, 1},
                                   trace::TileLoad{l.dv_accum.box(r), st, 1}};
          };
          trace::Cta cta;
          trace::Stream& s = cta.streams.emplace_back();
          trace::LoopFolder folder(s, 2);
          folder.add_iteration(loads(0, 0));
          for (std::uint64_t m = 0; m < group; ++m) {
            std::vector<Op> ops;
            if (m + 1 < group) ops = loads(m + 1, u32((m + 1) % 2));
            ops.push_back(Op::wait_full(u32(m % 2)));
            ops.push_back(trace::VectorWork{n * (d + dv), 2, DType::kFp32});
            folder.add_iteration(ops);
          }
          folder.add(trace::TileStore{l.dk.box({token, n, h, 1}), false});
          folder.add(trace::TileStore{l.dv.box({token, n, h, 1}), false});
          folder.flush();
          add(std::move(cta));
        }
  return k;
}

}  // namespace

std::vector<trace::Kernel> backward_kernels(const AttentionPlan& p, const AttentionLayout& l) {
  trace::Kernel main;
  main.name = fmt::format("{}_bwd_{}_{}x{}_{}stage",
                          p.kernel == AttentionKernel::kFa3WarpSpecialized ? "fa3" : "fa2",
                          dtype_name(p.problem.dtype), p.bm, p.bn, p.stages);
  main.threads_per_cta = p.threads_per_cta;
  main.smem_bytes_per_cta = p.smem_bytes_per_cta;
  main.registers_per_thread = p.registers_per_thread;
  main.num_stages = p.stages;
  for (const CtaWork& w : p.work) main.ctas.push_back(BackwardCta(p, l, w).write());
  return {preprocess_kernel(p, l), std::move(main), postprocess_kernel(p, l)};
}

}  // namespace xpusim::attention::detail
