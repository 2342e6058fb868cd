#include "workloads/gemm/gemm_trace.hpp"

#include <fmt/format.h>

#include <algorithm>
#include <vector>

#include "sim/common/error.hpp"
#include "sim/trace/loop_folder.hpp"
#include "sim/trace/trace_check.hpp"

namespace xpusim::gemm {
namespace {

using trace::Box;
using trace::Op;

constexpr double kMaxTensorBytes = double(std::uint64_t{1} << 48);

// A matrix in memory: `rows` x `cols` elements of `elem` bytes.
struct Matrix {
  std::uint32_t tensor;
  std::uint64_t base;
  Layout layout;
  std::uint64_t rows, cols, elem;

  std::uint64_t bytes() const { return rows * cols * elem; }
  // The box holding rows [r0, r0+nr) x columns [c0, c0+nc); a column-major matrix's box rows are
  // its columns.
  Box box(std::uint64_t r0, std::uint64_t nr, std::uint64_t c0, std::uint64_t nc) const {
    Box b;
    b.tensor = tensor;
    if (layout == Layout::kRowMajor) {
      b.addr = base + (r0 * cols + c0) * elem;
      b.rows = static_cast<std::uint32_t>(nr);
      b.row_bytes = static_cast<std::uint32_t>(nc * elem);
      b.row_stride = cols * elem;
    } else {
      b.addr = base + (c0 * rows + r0) * elem;
      b.rows = static_cast<std::uint32_t>(nc);
      b.row_bytes = static_cast<std::uint32_t>(nr * elem);
      b.row_stride = rows * elem;
    }
    return b;
  }
};

struct Operands {
  Matrix a, b, c;
  std::vector<Matrix> partials;  // one per split, when split-K
};

// One CTA's tile: the output rows/columns it owns and its K range.
struct CtaTile {
  std::uint64_t m0, rows, n0, cols, k0, k_len;
  std::uint32_t split;
};

class GemmCtaWriter {
 public:
  GemmCtaWriter(const GemmPlan& p, const Operands& ops) : p_(p), ops_(ops) {}

  trace::Cta write(std::uint32_t id, const CtaTile& t) const {
    trace::Cta cta;
    cta.id = id;
    if (p_.mainloop == Mainloop::kWarpSpecializedTma) {
      cta.streams.resize(2);
      producer(t, cta.streams[0]);
      consumer(t, cta.streams[1]);
      epilogue(t, cta.streams[1]);
    } else {
      cta.streams.resize(1);
      single_stream(t, cta.streams[0]);
      epilogue(t, cta.streams[0]);
    }
    return cta;
  }

 private:
  std::uint64_t k_steps(const CtaTile& t) const { return (t.k_len + p_.bk - 1) / p_.bk; }
  std::uint64_t k_width(const CtaTile& t, std::uint64_t step) const {
    return std::min<std::uint64_t>(p_.bk, t.k_len - step * p_.bk);
  }
  std::uint32_t stage(std::uint64_t step) const {
    return static_cast<std::uint32_t>(step % p_.stages);
  }
  Op load_a(const CtaTile& t, std::uint64_t step) const {
    Box box = ops_.a.box(t.m0, t.rows, t.k0 + step * p_.bk, k_width(t, step));
    return trace::TileLoad{box, stage(step), p_.cluster_n};  // shared along the cluster's N
  }
  Op load_b(const CtaTile& t, std::uint64_t step) const {
    Box box = ops_.b.box(t.k0 + step * p_.bk, k_width(t, step), t.n0, t.cols);
    return trace::TileLoad{box, stage(step), p_.cluster_m};  // shared along the cluster's M
  }
  Op mma(const CtaTile& t, std::uint64_t step) const {
    return trace::Mma{static_cast<std::uint32_t>(t.rows), static_cast<std::uint32_t>(t.cols),
                      static_cast<std::uint32_t>(k_width(t, step)), p_.problem.in};
  }

  void single_stream(const CtaTile& t, trace::Stream& out) const {
    trace::LoopFolder folder(out, p_.stages);
    const std::uint64_t steps = k_steps(t);
    const std::uint64_t ahead = std::min<std::uint64_t>(p_.stages - 1, steps);
    for (std::uint64_t j = 0; j < ahead; ++j) {
      Op body[] = {load_a(t, j), load_b(t, j)};
      folder.add_iteration(body);
    }
    for (std::uint64_t i = 0; i < steps; ++i) {
      Op body[] = {Op::wait_full(stage(i)), mma(t, i), Op{}, Op{}};
      std::size_t n = 2;
      if (i + ahead < steps) {
        body[n++] = load_a(t, i + ahead);
        body[n++] = load_b(t, i + ahead);
      }
      folder.add_iteration(std::span<const Op>(body, n));
    }
    folder.flush();
  }

  void producer(const CtaTile& t, trace::Stream& out) const {
    trace::LoopFolder folder(out, p_.stages);
    for (std::uint64_t j = 0; j < k_steps(t); ++j) {
      Op body[] = {Op::wait_empty(stage(j)), load_a(t, j), load_b(t, j)};
      folder.add_iteration(body);
    }
    folder.flush();
  }

  void consumer(const CtaTile& t, trace::Stream& out) const {
    trace::LoopFolder folder(out, p_.stages);
    for (std::uint64_t i = 0; i < k_steps(t); ++i) {
      Op body[] = {Op::wait_full(stage(i)), mma(t, i), Op::release(stage(i))};
      folder.add_iteration(body);
    }
    folder.flush();
  }

  void epilogue(const CtaTile& t, trace::Stream& out) const {
    bool partial = p_.split_k > 1;
    // alpha * acc, then conversion to C's type (partials stay fp32)
    out.push_back(trace::VectorWork{t.rows * t.cols, partial ? 1u : 2u, DType::kFp32});
    const Matrix& dest = partial ? ops_.partials[t.split] : ops_.c;
    out.push_back(trace::TileStore{dest.box(t.m0, t.rows, t.n0, t.cols), false});
  }

  const GemmPlan& p_;
  const Operands& ops_;
};

void check_plan_matches(const GemmProblem& g, const GemmPlan& p) {
  const GemmProblem& q = p.problem;
  if (g.m != q.m || g.n != q.n || g.k != q.k || g.in != q.in || g.out != q.out ||
      g.a_layout != q.a_layout || g.b_layout != q.b_layout || g.c_layout != q.c_layout)
    throw UserError(fmt::format("GEMM trace: the plan was made for {}, not for {}", q.to_string(),
                                g.to_string()));
}

trace::Kernel gemm_kernel(const GemmPlan& p, const Operands& ops) {
  trace::Kernel k;
  k.name = fmt::format("gemm_{}_{}x{}x{}_{}stage_cluster{}x{}{}", dtype_name(p.problem.in), p.bm,
                       p.bn, p.bk, p.stages, p.cluster_m, p.cluster_n,
                       p.split_k > 1 ? fmt::format("_splitk{}", p.split_k) : "");
  k.threads_per_cta = p.threads_per_cta;
  k.smem_bytes_per_cta = p.smem_bytes_per_cta;
  k.registers_per_thread = p.registers_per_thread;
  k.cluster_size = p.cluster_size();
  k.num_stages = p.stages;
  k.ctas.reserve(p.ctas);
  GemmCtaWriter writer(p, ops);
  const GemmProblem& g = p.problem;
  for (std::uint64_t i = 0; i < p.ctas; ++i) {
    TileCoord c = p.tile_of(i);
    auto [k_first, k_last] = p.k_range(c.split);
    CtaTile t;
    t.m0 = c.m * p.bm;
    t.rows = std::min<std::uint64_t>(p.bm, g.m - t.m0);
    t.n0 = c.n * p.bn;
    t.cols = std::min<std::uint64_t>(p.bn, g.n - t.n0);
    t.k0 = k_first;
    t.k_len = k_last - k_first;
    t.split = c.split;
    auto id = static_cast<std::uint32_t>((c.split * p.tiles_m + c.m) * p.tiles_n + c.n);
    k.ctas.push_back(writer.write(id, t));
  }
  return k;
}

// Adds the split_k fp32 partials of each chunk of C and converts the sum to C's type. C and the
// workspace slices are dense, so chunks of consecutive elements are plain 1-row boxes.
trace::Kernel reduction_kernel(const GemmPlan& p, const Operands& ops) {
  const std::uint64_t elements = p.problem.m * p.problem.n;
  const std::uint64_t chunks = (elements + kReduceChunkElements - 1) / kReduceChunkElements;
  trace::Kernel k;
  k.name = fmt::format("splitk_reduce_{}", p.split_k);
  k.threads_per_cta = 256;
  k.smem_bytes_per_cta = p.split_k * kReduceChunkElements * 4;
  k.registers_per_thread = 32;
  k.num_stages = p.split_k;
  k.ctas.reserve(chunks);
  auto flat = [](const Matrix& m, std::uint64_t first, std::uint64_t count) {
    std::uint32_t bytes = static_cast<std::uint32_t>(count * m.elem);
    return Box{m.tensor, 1, bytes, m.base + first * m.elem, 0, bytes};
  };
  for (std::uint64_t c = 0; c < chunks; ++c) {
    std::uint64_t first = c * kReduceChunkElements;
    std::uint64_t count = std::min<std::uint64_t>(kReduceChunkElements, elements - first);
    trace::Cta cta;
    cta.id = static_cast<std::uint32_t>(c);
    trace::Stream& s = cta.streams.emplace_back();
    trace::LoopFolder folder(s, p.split_k);
    for (std::uint32_t split = 0; split < p.split_k; ++split) {
      Op body[] = {trace::TileLoad{flat(ops.partials[split], first, count), split, 1}};
      folder.add_iteration(body);
    }
    for (std::uint32_t split = 0; split < p.split_k; ++split) {
      Op body[] = {Op::wait_full(split), trace::VectorWork{count, 1, DType::kFp32}};
      folder.add_iteration(body);
    }
    folder.add(trace::VectorWork{count, 1, DType::kFp32});  // conversion to C's type
    folder.add(trace::TileStore{flat(ops.c, first, count), false});
    folder.flush();
    k.ctas.push_back(std::move(cta));
  }
  return k;
}

}  // namespace

trace::Trace emit_gemm_trace(const GemmProblem& g, const GemmPlan& p, const KernelTarget& target) {
  check_plan_matches(g, p);
  const std::uint64_t e = element_bytes(g.in), out_e = element_bytes(g.out);
  for (double bytes : {double(g.m) * g.k * e, double(g.k) * g.n * e,
                       double(g.m) * g.n * 4 * std::max(1u, p.split_k)})
    if (bytes > kMaxTensorBytes)
      throw UserError(
          fmt::format("GEMM {}: a tensor of {:.3g} bytes is beyond the {:.3g} bytes a "
                      "trace addresses",
                      g.to_string(), bytes, kMaxTensorBytes));
  if (p.ctas > trace::kMaxCount)
    throw UserError(
        fmt::format("GEMM {}: {} CTAs is more than a trace holds", g.to_string(), p.ctas));
  trace::Trace t;
  t.family = target.family;
  t.recorded_for = target.chip;
  t.description =
      fmt::format("GEMM {}; {}x{}x{} tiles, {} stages, cluster {}x{}, split-K {}", g.to_string(),
                  p.bm, p.bn, p.bk, p.stages, p.cluster_m, p.cluster_n, p.split_k);
  Operands ops;
  std::uint64_t next = kTensorAlignment;
  auto place = [&](std::uint32_t id, const char* name, Layout layout, std::uint64_t rows,
                   std::uint64_t cols, std::uint64_t elem) {
    Matrix m{id, next, layout, rows, cols, elem};
    next += (m.bytes() + kTensorAlignment - 1) / kTensorAlignment * kTensorAlignment;
    t.tensors.push_back({id, name, m.base, m.bytes()});
    return m;
  };
  ops.a = place(kTensorA, "A", g.a_layout, g.m, g.k, e);
  ops.b = place(kTensorB, "B", g.b_layout, g.k, g.n, e);
  ops.c = place(kTensorC, "C", g.c_layout, g.m, g.n, out_e);
  if (p.split_k > 1) {
    Matrix ws = place(kTensorWorkspace, "split-K workspace", g.c_layout, g.m * p.split_k, g.n, 4);
    for (std::uint32_t s = 0; s < p.split_k; ++s) {
      Matrix slice{kTensorWorkspace, ws.base + s * g.m * g.n * 4, g.c_layout, g.m, g.n, 4};
      ops.partials.push_back(slice);
    }
  }
  t.kernels.push_back(gemm_kernel(p, ops));
  if (p.split_k > 1) t.kernels.push_back(reduction_kernel(p, ops));
  return t;
}

}  // namespace xpusim::gemm
