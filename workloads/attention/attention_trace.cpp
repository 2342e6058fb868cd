#include "workloads/attention/attention_trace.hpp"

#include <fmt/format.h>

#include <algorithm>

#include "sim/common/error.hpp"
#include "sim/trace/loop_folder.hpp"
#include "sim/trace/trace_check.hpp"

namespace xpusim::attention {

namespace detail {
void add_loads(std::vector<trace::Op>& ops, const std::vector<trace::Box>& boxes,
               std::uint32_t stage) {
  for (const trace::Box& b : boxes) ops.push_back(trace::TileLoad{b, stage, 1});
}
}  // namespace detail

namespace {

using detail::add_loads;
using trace::Op;

constexpr double kMaxTensorBytes = double(std::uint64_t{1} << 48);

std::uint32_t u32(std::uint64_t v) {
  return static_cast<std::uint32_t>(v);
}

// The slice of a forward or decode CTA that one consumer stream computes.
struct ConsumerPart {
  std::uint64_t row0 = 0, rows = 0;  // within the tile
  std::uint64_t col0 = 0, cols = 0;  // columns of V and O
  bool scores = true;                // computes S, the softmax and the LSE
};

// One CTA of the forward or split-KV decode kernel.
class ForwardCta {
 public:
  ForwardCta(const AttentionPlan& p, const AttentionLayout& l, const CtaWork& w)
      : p_(p), l_(l), w_(w), decode_(p.problem.pass == Pass::kDecode) {
    row0_ = w.tile * p.bm;
    rows_ = p.rows_in_tile(w.batch, w.tile);
    kv_head_ = decode_ ? w.head : w.head / p.shape.group();
    const TileRange r = p.kv_tiles_of(w);
    for (std::uint64_t j = r.last; j-- > r.first;) tiles_.push_back(j);  // last to first
    partial_ = decode_ && p.num_splits > 1;
  }

  trace::Cta write() const {
    trace::Cta cta;
    cta.id = w_.id;
    if (tiles_.empty()) {  // an empty split: only its partials (0 and -inf)
      trace::Stream& s = cta.streams.emplace_back();
      for (const RowBlock& b : blocks(row0_, rows_)) {
        for (const trace::Box& box : output().boxes(b)) s.push_back(trace::TileStore{box, false});
        s.push_back(trace::TileStore{lse().box(b), false});
      }
      return cta;
    }
    if (p_.kernel == AttentionKernel::kFa3WarpSpecialized) {
      producer(cta.streams.emplace_back());
      for (const ConsumerPart& part : parts()) consumer(part, cta.streams.emplace_back());
    } else {
      single_stream(cta.streams.emplace_back());
    }
    return cta;
  }

 private:
  std::vector<ConsumerPart> parts() const {
    const std::uint64_t dv = p_.shape.head_dim_v;
    if (p_.kernel != AttentionKernel::kFa3WarpSpecialized) return {{0, rows_, 0, dv, true}};
    if (p_.consumers_split_v)
      return {{0, rows_, 0, dv / 2, true}, {0, rows_, dv / 2, dv - dv / 2, false}};
    std::vector<ConsumerPart> out;
    for (std::uint64_t r = 0; r < rows_; r += 64)
      out.push_back({r, std::min<std::uint64_t>(64, rows_ - r), 0, dv, true});
    return out;
  }
  // Row blocks of tile rows [row0, row0 + rows) (absolute row numbers of the sequence).
  std::vector<RowBlock> blocks(std::uint64_t row0, std::uint64_t rows) const {
    const std::uint64_t q0 = p_.problem.q_offset(w_.batch);
    if (!decode_) return {RowBlock{q0 + row0, rows, w_.head, 1}};
    const std::uint64_t group = p_.shape.group();
    return row_blocks(q0, w_.head * group, group, row0, rows);
  }
  const TokenMajor& output() const { return partial_ ? l_.o_partial[w_.split] : l_.o; }
  const HeadMajor& lse() const { return partial_ ? l_.lse_partial[w_.split] : l_.lse; }
  std::uint64_t keys(std::uint64_t j) const { return p_.keys_in_tile(w_.batch, j); }
  std::uint32_t stage(std::size_t k) const { return u32(k % p_.stages); }

  void add_q(std::vector<Op>& ops, std::uint32_t st) const {
    std::vector<trace::Box> boxes;
    for (const RowBlock& b : blocks(row0_, rows_)) boxes.push_back(l_.q.box(b));
    add_loads(ops, boxes, st);
  }
  void add_k(std::vector<Op>& ops, std::uint64_t j, std::uint32_t st) const {
    add_loads(ops, l_.kv_boxes(l_.k, p_.problem, w_.batch, kv_head_, j * p_.bn, keys(j)), st);
  }
  void add_v(std::vector<Op>& ops, std::uint64_t j, std::uint32_t st) const {
    if (!l_.v_in_k)
      add_loads(ops, l_.kv_boxes(l_.v, p_.problem, w_.batch, kv_head_, j * p_.bn, keys(j)), st);
  }
  // S = Q K^T of one KV tile, and the mask where the tile straddles it.
  void add_s(std::vector<Op>& ops, const ConsumerPart& part, std::uint64_t j) const {
    const std::uint64_t n = keys(j);
    ops.push_back(trace::Mma{u32(part.rows), u32(n), u32(p_.shape.head_dim), p_.problem.dtype});
    if (p_.needs_mask(w_.batch, row0_ + part.row0, part.rows, j * p_.bn, n))
      ops.push_back(trace::VectorWork{part.rows * n, kMaskFlopsPerScore, DType::kFp32});
  }
  // The online softmax: exp of the scores and of the rescale factors, max, sum, P conversion.
  void add_softmax(std::vector<Op>& ops, const ConsumerPart& part, std::uint64_t j) const {
    const std::uint64_t elements = part.rows * keys(j);
    ops.push_back(trace::SfuWork{elements + part.rows});
    ops.push_back(trace::VectorWork{elements, kSoftmaxFlopsPerScore, DType::kFp32});
  }
  // O = O * exp(m_old - m_new) + P V for the part's columns.
  void add_pv(std::vector<Op>& ops, const ConsumerPart& part, std::uint64_t j) const {
    ops.push_back(trace::VectorWork{part.rows * part.cols, kRescaleFlopsPerOutput, DType::kFp32});
    ops.push_back(trace::Mma{u32(part.rows), u32(part.cols), u32(keys(j)), p_.problem.dtype});
  }
  void epilogue(trace::Stream& s, const ConsumerPart& part) const {
    if (part.scores) s.push_back(trace::SfuWork{part.rows});  // log l for the LSE
    s.push_back(trace::VectorWork{part.rows * part.cols, kNormalizeFlopsPerOutput, DType::kFp32});
    for (const RowBlock& b : blocks(row0_ + part.row0, part.rows)) {
      for (const trace::Box& box : output().boxes(b, part.col0, part.cols))
        s.push_back(trace::TileStore{box, false});
      if (part.scores) s.push_back(trace::TileStore{lse().box(b), false});
    }
  }

  void producer(trace::Stream& s) const {
    trace::LoopFolder folder(s, p_.stages);
    std::vector<Op> ops;  // one iteration's ops, reused (emission allocates per CTA, not per tile)
    for (std::size_t k = 0; k < tiles_.size(); ++k) {
      ops.assign({Op::wait_empty(stage(k))});
      if (k == 0) add_q(ops, stage(k));
      add_k(ops, tiles_[k], stage(k));
      add_v(ops, tiles_[k], stage(k));
      folder.add_iteration(ops);
    }
    folder.flush();
  }

  void consumer(const ConsumerPart& part, trace::Stream& s) const {
    trace::LoopFolder folder(s, p_.stages);
    std::vector<Op> ops;
    for (std::size_t k = 0; k < tiles_.size(); ++k) {
      ops.assign({Op::wait_full(stage(k))});
      if (part.scores) {
        add_s(ops, part, tiles_[k]);
        add_softmax(ops, part, tiles_[k]);
      }
      add_pv(ops, part, tiles_[k]);
      ops.push_back(Op::release(stage(k)));
      folder.add_iteration(ops);
    }
    folder.flush();
    epilogue(s, part);
  }

  // FA2: K of the tile was loaded into stage k % 2 one step ahead; V goes into the other stage.
  void single_stream(trace::Stream& s) const {
    const ConsumerPart part = parts().front();
    trace::LoopFolder folder(s, 2);
    std::vector<Op> prologue;
    add_q(prologue, 0);
    add_k(prologue, tiles_[0], 0);
    folder.add_iteration(prologue);
    for (std::size_t k = 0; k < tiles_.size(); ++k) {
      const std::uint32_t here = u32(k % 2), other = u32((k + 1) % 2);
      std::vector<Op> ops = {Op::wait_full(here)};
      add_v(ops, tiles_[k], other);
      add_s(ops, part, tiles_[k]);
      ops.push_back(Op::wait_full(other));
      if (k + 1 < tiles_.size()) add_k(ops, tiles_[k + 1], other);
      add_softmax(ops, part, tiles_[k]);
      add_pv(ops, part, tiles_[k]);
      folder.add_iteration(ops);
    }
    folder.flush();
    epilogue(s, part);
  }

  const AttentionPlan& p_;
  const AttentionLayout& l_;
  const CtaWork& w_;
  bool decode_, partial_ = false;
  std::uint64_t row0_ = 0, rows_ = 0, kv_head_ = 0;
  std::vector<std::uint64_t> tiles_;  // KV tiles in the order visited
};

trace::Kernel kernel_header(const AttentionPlan& p, std::string name) {
  trace::Kernel k;
  k.name = std::move(name);
  k.threads_per_cta = p.threads_per_cta;
  k.smem_bytes_per_cta = p.smem_bytes_per_cta;
  k.registers_per_thread = p.registers_per_thread;
  k.num_stages = p.stages;
  return k;
}

std::string kernel_prefix(const AttentionPlan& p) {
  return fmt::format("{}_{}_{}_{}x{}_{}stage",
                     p.kernel == AttentionKernel::kFa3WarpSpecialized ? "fa3" : "fa2",
                     pass_name(p.problem.pass), dtype_name(p.problem.dtype), p.bm, p.bn, p.stages);
}

trace::Kernel forward_kernel(const AttentionPlan& p, const AttentionLayout& l) {
  std::string name = kernel_prefix(p);
  if (p.problem.pass == Pass::kDecode) name += fmt::format("_splitkv{}", p.num_splits);
  trace::Kernel k = kernel_header(p, name);
  k.ctas.reserve(p.work.size());
  for (const CtaWork& w : p.work) k.ctas.push_back(ForwardCta(p, l, w).write());
  return k;
}

// Reduces the decode splits: per 16 packed rows, the LSE of every split (stage 2), then the fp32
// partials split by split through stages 0 and 1.
trace::Kernel combine_kernel(const AttentionPlan& p, const AttentionLayout& l) {
  const AttentionProblem& g = p.problem;
  const std::uint64_t splits = p.num_splits, dv = p.shape.head_dim_v, group = p.shape.group();
  trace::Kernel k;
  k.name = fmt::format("decode_combine_{}splits", splits);
  k.threads_per_cta = 128;
  k.registers_per_thread = 64;
  k.num_stages = 3;
  k.smem_bytes_per_cta = u32(p.combine_smem_bytes());
  for (std::uint64_t b = 0; b < g.batch; ++b)
    for (std::uint64_t h = 0; h < p.shape.kv_heads; ++h)
      for (std::uint64_t r0 = 0; r0 < p.rows_of(b); r0 += p.combine_rows) {
        const std::uint64_t rows = std::min<std::uint64_t>(p.combine_rows, p.rows_of(b) - r0);
        const auto blocks = row_blocks(g.q_offset(b), h * group, group, r0, rows);
        auto partial_boxes = [&](std::uint64_t s) {
          std::vector<trace::Box> out;
          for (const RowBlock& rb : blocks)
            for (const trace::Box& box : l.o_partial[s].boxes(rb)) out.push_back(box);
          return out;
        };
        trace::Cta cta;
        cta.id = u32(k.ctas.size());
        trace::Stream& s = cta.streams.emplace_back();
        for (std::uint64_t i = 0; i < splits; ++i)
          for (const RowBlock& rb : blocks)
            s.push_back(trace::TileLoad{l.lse_partial[i].box(rb), 2, 1});
        add_loads(s, partial_boxes(0), 0);
        s.push_back(Op::wait_full(2));
        s.push_back(trace::SfuWork{splits * rows});
        s.push_back(trace::VectorWork{splits * rows, kCombineRowFlops, DType::kFp32});
        s.push_back(trace::SfuWork{rows});
        for (std::uint64_t i = 0; i < splits; ++i) {
          if (i + 1 < splits) add_loads(s, partial_boxes(i + 1), u32((i + 1) % 2));
          s.push_back(Op::wait_full(u32(i % 2)));
          s.push_back(trace::VectorWork{rows * dv, 2, DType::kFp32});
        }
        s.push_back(trace::VectorWork{rows * dv, 1, DType::kFp32});  // conversion
        for (const RowBlock& rb : blocks) {
          s.push_back(trace::TileStore{l.o.box(rb), false});
          s.push_back(trace::TileStore{l.lse.box(rb), false});
        }
        k.ctas.push_back(std::move(cta));
      }
  return k;
}

}  // namespace

trace::Trace emit_attention_trace(const AttentionProblem& g, const AttentionPlan& p,
                                  const KernelTarget& target) {
  if (!(g == p.problem))
    throw UserError(fmt::format("attention trace: the plan was made for {}, not for {}",
                                p.problem.to_string(), g.to_string()));
  if (p.work.size() > trace::kMaxCount)
    throw UserError(fmt::format("attention {}: {} CTAs is more than a trace holds", g.to_string(),
                                p.work.size()));
  const AttentionLayout layout(p);
  for (const trace::TensorInfo& t : layout.tensors)
    if (double(t.bytes) > kMaxTensorBytes)
      throw UserError(
          fmt::format("attention {}: tensor {} of {:.3g} bytes is beyond the {:.3g} "
                      "bytes a trace addresses",
                      g.to_string(), t.name, double(t.bytes), kMaxTensorBytes));
  trace::Trace t;
  t.family = target.family;
  t.recorded_for = target.chip;
  t.description = fmt::format(
      "attention {}; {} {}x{} tiles, {} stages{}", g.to_string(), kernel_name(p.kernel), p.bm, p.bn,
      p.stages,
      g.pass == Pass::kDecode ? fmt::format(", {} KV split(s), page table shuffled", p.num_splits)
                              : "");
  t.tensors = layout.tensors;
  if (g.pass == Pass::kBackward) {
    t.kernels = detail::backward_kernels(p, layout);
  } else {
    t.kernels.push_back(forward_kernel(p, layout));
    if (g.pass == Pass::kDecode && p.num_splits > 1) t.kernels.push_back(combine_kernel(p, layout));
  }
  return t;
}

}  // namespace xpusim::attention
