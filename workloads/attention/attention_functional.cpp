#include "workloads/attention/attention_functional.hpp"

#include <fmt/format.h>

#include <algorithm>
#include <cmath>
#include <limits>
#include <map>
#include <random>
#include <tuple>

#include "workloads/attention/attention_layout.hpp"
#include "workloads/attention/attention_reference.hpp"
#include "workloads/gemm/numeric_rounding.hpp"

namespace xpusim::attention {
namespace {

using MatrixF = Eigen::MatrixXf;
using VectorF = Eigen::VectorXf;
constexpr float kNegInf = -std::numeric_limits<float>::infinity();

// Kernel inputs per (sequence, head), tokens as rows, rounded to the dtype.
struct Inputs {
  std::vector<MatrixD> q, d_o;  // [b * heads + h]
  std::vector<MatrixD> k, v;    // [b * kv_heads + g]
  double mla_absorption_error = -1;
};

class Random {
 public:
  explicit Random(std::uint64_t seed) : rng_(seed) {}
  // Uniform in +-range, row by row, rounded to `d`.
  MatrixD matrix(Eigen::Index rows, Eigen::Index cols, double range, DType d) {
    std::uniform_real_distribution<double> dist(-range, range);
    MatrixD m(rows, cols);
    for (Eigen::Index i = 0; i < rows; ++i)
      for (Eigen::Index j = 0; j < cols; ++j) m(i, j) = gemm::round_to_dtype(dist(rng_), d);
    return m;
  }

 private:
  std::mt19937_64 rng_;
};

MatrixD rounded(const MatrixD& m, DType d) {
  return m.unaryExpr([d](double x) { return gemm::round_to_dtype(x, d); });
}

MatrixD concat_columns(const MatrixD& a, const MatrixD& b) {
  MatrixD out(a.rows(), a.cols() + b.cols());
  out << a, b;
  return out;
}

std::vector<std::uint64_t> visible_rows(const AttentionProblem& p, std::uint64_t b) {
  std::vector<std::uint64_t> v(p.q_len(b));
  for (std::uint64_t i = 0; i < v.size(); ++i) v[i] = p.visible_keys(b, i);
  return v;
}

// MLA from a latent: c_kv and k_rope per sequence, W_UK and W_UV per head. Decode gets the
// absorbed inputs, prefill and backward the expanded ones; both forms are compared in double.
Inputs make_mla_inputs(const AttentionProblem& p, const AttentionCheckOptions& o, Random& rnd) {
  const DType t = p.dtype;
  const Eigen::Index rank = Eigen::Index(p.mla->kv_lora_rank), rope = Eigen::Index(p.mla->rope_dim);
  const Eigen::Index nope = Eigen::Index(p.head_dim), dv = Eigen::Index(p.head_dim_v);
  const double w_range = 1.0 / std::sqrt(double(rank)) * std::sqrt(3.0);
  std::vector<MatrixD> w_uk, w_uv;
  for (std::uint64_t h = 0; h < p.heads; ++h) {
    w_uk.push_back(rnd.matrix(rank, nope, w_range, t));
    w_uv.push_back(rnd.matrix(rank, dv, w_range, t));
  }
  Inputs in;
  const bool absorbed = p.pass == Pass::kDecode;
  double worst = 0, largest = 0;
  for (std::uint64_t b = 0; b < p.batch; ++b) {
    const Eigen::Index q_len = Eigen::Index(p.q_len(b)), kv_len = Eigen::Index(p.kv_len(b));
    const MatrixD c_kv = rnd.matrix(kv_len, rank, 1.0, t);
    const MatrixD k_rope = rnd.matrix(kv_len, rope, 1.0, t);
    const MatrixD latent_k = concat_columns(c_kv, k_rope);
    if (absorbed) {
      in.k.push_back(latent_k);
      in.v.push_back(c_kv);
    }
    const auto visible = visible_rows(p, b);
    for (std::uint64_t h = 0; h < p.heads; ++h) {
      const MatrixD q_nope = rnd.matrix(q_len, nope, o.q_range, t);
      const MatrixD q_rope = rnd.matrix(q_len, rope, o.q_range, t);
      const MatrixD q_full = concat_columns(q_nope, q_rope);
      const MatrixD k_full = concat_columns(c_kv * w_uk[h], k_rope);
      const MatrixD v_full = c_kv * w_uv[h];
      const MatrixD q_absorbed = concat_columns(q_nope * w_uk[h].transpose(), q_rope);
      if (absorbed) {
        in.q.push_back(rounded(q_absorbed, t));
      } else {
        in.q.push_back(q_full);
        in.k.push_back(rounded(k_full, t));
        in.v.push_back(rounded(v_full, t));
      }
      if (p.pass == Pass::kBackward) in.d_o.push_back(rnd.matrix(q_len, dv, 1.0, t));
      const double scale = p.softmax_scale();
      const MatrixD unabsorbed = reference_forward(q_full, k_full, v_full, scale, visible).o;
      const MatrixD via_latent =
          reference_forward(q_absorbed, latent_k, c_kv, scale, visible).o * w_uv[h];
      worst = std::max(worst, (unabsorbed - via_latent).cwiseAbs().maxCoeff());
      largest = std::max(largest, unabsorbed.cwiseAbs().maxCoeff());
    }
  }
  in.mla_absorption_error = largest > 0 ? worst / largest : 0;
  return in;
}

Inputs make_inputs(const AttentionProblem& p, const AttentionCheckOptions& o) {
  Random rnd(o.seed);
  if (p.mla) return make_mla_inputs(p, o, rnd);
  const KernelShape s = p.kernel_shape();
  Inputs in;
  const Eigen::Index d = Eigen::Index(s.head_dim), dv = Eigen::Index(s.head_dim_v);
  for (std::uint64_t b = 0; b < p.batch; ++b) {
    for (std::uint64_t h = 0; h < s.heads; ++h)
      in.q.push_back(rnd.matrix(Eigen::Index(p.q_len(b)), d, o.q_range, p.dtype));
    for (std::uint64_t g = 0; g < s.kv_heads; ++g) {
      in.k.push_back(rnd.matrix(Eigen::Index(p.kv_len(b)), d, 1.0, p.dtype));
      in.v.push_back(rnd.matrix(Eigen::Index(p.kv_len(b)), dv, 1.0, p.dtype));
    }
    if (p.pass == Pass::kBackward)
      for (std::uint64_t h = 0; h < s.heads; ++h)
        in.d_o.push_back(rnd.matrix(Eigen::Index(p.q_len(b)), dv, 1.0, p.dtype));
  }
  return in;
}

// The running state of one CTA's rows: O accumulator, max and sum (FA2/FA3's online softmax).
class OnlineSoftmax {
 public:
  OnlineSoftmax(Eigen::Index rows, Eigen::Index dv, float scale, const RoundingModel& r, DType t)
      : acc_(MatrixF::Zero(rows, dv)),
        m_(VectorF::Constant(rows, kNegInf)),
        l_(VectorF::Zero(rows)),
        scale_(scale),
        round_(r.u_p > 0),
        dtype_(t) {}

  // One KV tile: keys [key0, key0 + k.rows()); row i sees keys below visible[i].
  void step(const MatrixF& q, const MatrixF& k, const MatrixF& v, std::uint64_t key0,
            const std::vector<std::uint64_t>& visible) {
    MatrixF s = q * k.transpose();
    for (Eigen::Index i = 0; i < s.rows(); ++i) {
      float tile_max = kNegInf;
      for (Eigen::Index c = 0; c < s.cols(); ++c) {
        s(i, c) = key0 + std::uint64_t(c) < visible[i] ? s(i, c) * scale_ : kNegInf;
        tile_max = std::max(tile_max, s(i, c));
      }
      const float m_new = std::max(m_(i), tile_max);
      const float m_use = m_new == kNegInf ? 0.0f : m_new;  // a row with nothing seen yet
      const float alpha = std::exp(m_(i) - m_use);
      float sum = 0;
      for (Eigen::Index c = 0; c < s.cols(); ++c) {
        s(i, c) = std::exp(s(i, c) - m_use);
        sum += s(i, c);
      }
      acc_.row(i) *= alpha;
      l_(i) = alpha * l_(i) + sum;
      m_(i) = m_new;
    }
    if (round_) s = s.unaryExpr([this](float x) { return float(gemm::round_to_dtype(x, dtype_)); });
    acc_.noalias() += s * v;
  }

  void finish(MatrixF& o, VectorF& lse) const {
    o.resize(acc_.rows(), acc_.cols());
    lse.resize(acc_.rows());
    for (Eigen::Index i = 0; i < acc_.rows(); ++i) {
      o.row(i) = acc_.row(i) / l_(i);
      lse(i) = m_(i) + std::log(l_(i));
    }
  }

 private:
  MatrixF acc_;
  VectorF m_, l_;
  float scale_;
  bool round_;
  DType dtype_;
};

struct Outputs {  // per (sequence, head)
  std::vector<MatrixF> o;
  std::vector<VectorF> lse;
  std::uint64_t tiles_visited = 0;
};

std::vector<MatrixF> to_float(const std::vector<MatrixD>& m) {
  std::vector<MatrixF> out;
  for (const MatrixD& x : m) out.push_back(x.cast<float>());
  return out;
}

// Forward CTAs of rows [row0, row0 + bm) x KV tiles last to first, for every (sequence, head).
Outputs tiled_forward(const AttentionPlan& p, const Inputs& in, const RoundingModel& r,
                      std::uint64_t bm, std::uint64_t bn, const std::vector<CtaWork>& work) {
  const AttentionProblem& g = p.problem;
  const KernelShape& s = p.shape;
  const auto q = to_float(in.q), k = to_float(in.k), v = to_float(in.v);
  Outputs out;
  for (std::uint64_t b = 0; b < g.batch; ++b)
    for (std::uint64_t h = 0; h < s.heads; ++h) {
      out.o.push_back(MatrixF::Zero(Eigen::Index(g.q_len(b)), Eigen::Index(s.head_dim_v)));
      out.lse.push_back(VectorF::Zero(Eigen::Index(g.q_len(b))));
    }
  const float scale = float(g.softmax_scale());
  for (const CtaWork& w : work) {
    const std::uint64_t b = w.batch, qh = b * s.heads + w.head;
    const std::uint64_t kvh = b * s.kv_heads + w.head / s.group();
    const std::uint64_t row0 = w.tile * bm, rows = std::min(bm, g.q_len(b) - row0);
    // The forward kernel visits the plan's KV tiles; the backward's own forward every tile a row
    // sees.
    TileRange range = p.kv_tiles_of(w);
    if (g.pass != Pass::kForward) range = {0, (g.visible_keys(b, row0 + rows - 1) + bn - 1) / bn};
    std::vector<std::uint64_t> visible(rows);
    for (std::uint64_t i = 0; i < rows; ++i) visible[i] = g.visible_keys(b, row0 + i);
    OnlineSoftmax state(Eigen::Index(rows), Eigen::Index(s.head_dim_v), scale, r, g.dtype);
    const MatrixF q_tile = q[qh].middleRows(Eigen::Index(row0), Eigen::Index(rows));
    for (std::uint64_t j = range.last; j-- > range.first;) {
      const Eigen::Index key0 = Eigen::Index(j * bn);
      const Eigen::Index keys = Eigen::Index(std::min(bn, g.kv_len(b) - j * bn));
      state.step(q_tile, k[kvh].middleRows(key0, keys), v[kvh].middleRows(key0, keys), j * bn,
                 visible);
      ++out.tiles_visited;
    }
    MatrixF o;
    VectorF lse;
    state.finish(o, lse);
    out.o[qh].middleRows(Eigen::Index(row0), Eigen::Index(rows)) = o;
    out.lse[qh].segment(Eigen::Index(row0), Eigen::Index(rows)) = lse;
  }
  return out;
}

// Split-KV decode over the paged cache, then the combine.
Outputs tiled_decode(const AttentionPlan& p, const Inputs& in, const RoundingModel& r) {
  const AttentionProblem& g = p.problem;
  const KernelShape& s = p.shape;
  const std::uint64_t group = s.group();
  const PageTable table = make_page_table(g);
  const Eigen::Index slots = Eigen::Index(table.total_pages() * table.page_size);
  // The physical caches, one per KV head, written through the page table.
  std::vector<MatrixF> cache_k, cache_v;
  for (std::uint64_t h = 0; h < s.kv_heads; ++h) {
    cache_k.push_back(MatrixF::Zero(slots, Eigen::Index(s.head_dim)));
    cache_v.push_back(MatrixF::Zero(slots, Eigen::Index(s.head_dim_v)));
    for (std::uint64_t b = 0; b < g.batch; ++b)
      for (std::uint64_t key = 0; key < g.kv_len(b); ++key) {
        const Eigen::Index slot = Eigen::Index(table.slot(b, key));
        cache_k[h].row(slot) = in.k[b * s.kv_heads + h].row(Eigen::Index(key)).cast<float>();
        cache_v[h].row(slot) = in.v[b * s.kv_heads + h].row(Eigen::Index(key)).cast<float>();
      }
  }
  auto gather = [&](const MatrixF& cache, std::uint64_t b, std::uint64_t key0, std::uint64_t n) {
    MatrixF t(Eigen::Index(n), cache.cols());
    for (std::uint64_t c = 0; c < n; ++c)
      t.row(Eigen::Index(c)) = cache.row(Eigen::Index(table.slot(b, key0 + c)));
    return t;
  };
  const float scale = float(g.softmax_scale());
  struct Partial {
    MatrixF o;
    VectorF lse;
  };
  std::map<std::tuple<std::uint64_t, std::uint64_t, std::uint64_t>, std::vector<Partial>> partials;
  Outputs out;
  for (const CtaWork& w : p.work) {
    const std::uint64_t b = w.batch, row0 = w.tile * p.bm, rows = p.rows_in_tile(b, w.tile);
    MatrixF q_tile(Eigen::Index(rows), Eigen::Index(s.head_dim));
    std::vector<std::uint64_t> visible(rows);
    for (std::uint64_t i = 0; i < rows; ++i) {
      const std::uint64_t row = row0 + i, token = row / group, head = w.head * group + row % group;
      q_tile.row(Eigen::Index(i)) = in.q[b * s.heads + head].row(Eigen::Index(token)).cast<float>();
      visible[i] = p.visible_keys(b, row);
    }
    OnlineSoftmax state(Eigen::Index(rows), Eigen::Index(s.head_dim_v), scale, r, g.dtype);
    const TileRange range = p.kv_tiles_of(w);
    for (std::uint64_t j = range.last; j-- > range.first;) {
      const std::uint64_t n = p.keys_in_tile(b, j);
      state.step(q_tile, gather(cache_k[w.head], b, j * p.bn, n),
                 gather(cache_v[w.head], b, j * p.bn, n), j * p.bn, visible);
      ++out.tiles_visited;
    }
    Partial part;
    if (range.size() == 0) {
      part.o = MatrixF::Zero(Eigen::Index(rows), Eigen::Index(s.head_dim_v));
      part.lse = VectorF::Constant(Eigen::Index(rows), kNegInf);
    } else {
      state.finish(part.o, part.lse);
    }
    auto& list = partials[{b, w.head, w.tile}];
    if (list.size() <= w.split) list.resize(w.split + 1);
    list[w.split] = std::move(part);
  }
  for (std::uint64_t b = 0; b < g.batch; ++b)
    for (std::uint64_t h = 0; h < s.heads; ++h) {
      out.o.push_back(MatrixF::Zero(Eigen::Index(g.q_len(b)), Eigen::Index(s.head_dim_v)));
      out.lse.push_back(VectorF::Zero(Eigen::Index(g.q_len(b))));
    }
  for (const auto& [key, list] : partials) {
    const auto [b, kvh, tile] = key;
    for (Eigen::Index i = 0; i < list[0].o.rows(); ++i) {
      Eigen::RowVectorXf o = list[0].o.row(i);
      float lse = list[0].lse(i);
      if (p.num_splits > 1) {  // FA2's combine: weights exp(lse_s - lse) in split order
        float most = kNegInf, sum = 0;
        for (const Partial& part : list)
          if (part.lse.size()) most = std::max(most, part.lse(i));
        for (const Partial& part : list)
          if (part.lse.size()) sum += std::exp(part.lse(i) - most);
        lse = std::log(sum) + most;
        o.setZero();
        for (const Partial& part : list)
          if (part.lse.size()) o += std::exp(part.lse(i) - lse) * part.o.row(i);
      }
      const std::uint64_t row = tile * p.bm + std::uint64_t(i);
      const std::uint64_t head = kvh * group + row % group, token = row / group;
      out.o[b * s.heads + head].row(Eigen::Index(token)) = o;
      out.lse[b * s.heads + head](Eigen::Index(token)) = lse;
    }
  }
  return out;
}

// A matrix as the kernels store it (O) or feed it to an MMA (P, dS): rounded to the dtype, or
// kept in fp32 when the check keeps intermediates in fp32.
MatrixF stored_o(const MatrixF& m, DType t, const RoundingModel& r) {
  if (r.u_p == 0) return m;
  return m.unaryExpr([t](float x) { return float(gemm::round_to_dtype(x, t)); });
}

struct Gradients {  // dQ per (sequence, query head); dK, dV per (sequence, KV head)
  std::vector<MatrixF> dq, dk, dv;
  std::uint64_t tiles_visited = 0;
};

// FA2's backward over the plan's CTAs, from the forward's O (as stored) and LSE.
Gradients tiled_backward(const AttentionPlan& p, const Inputs& in, const Outputs& fwd,
                         const RoundingModel& r) {
  const AttentionProblem& g = p.problem;
  const KernelShape& s = p.shape;
  const auto q = to_float(in.q), k = to_float(in.k), v = to_float(in.v), d_o = to_float(in.d_o);
  const float scale = float(g.softmax_scale());
  auto round = [&](const MatrixF& m) { return stored_o(m, g.dtype, r); };
  std::vector<VectorF> delta;  // D = rowsum(dO * O), O as stored
  std::vector<MatrixF> dq_accum, dk_heads, dv_heads;
  for (std::size_t i = 0; i < q.size(); ++i) {
    delta.push_back(d_o[i].cwiseProduct(round(fwd.o[i])).rowwise().sum());
    dq_accum.push_back(MatrixF::Zero(q[i].rows(), q[i].cols()));
    const std::uint64_t kvh = (i / s.heads) * s.kv_heads + (i % s.heads) / s.group();
    dk_heads.push_back(MatrixF::Zero(k[kvh].rows(), k[kvh].cols()));
    dv_heads.push_back(MatrixF::Zero(v[kvh].rows(), v[kvh].cols()));
  }
  Gradients out;
  for (const CtaWork& w : p.work) {
    const std::uint64_t b = w.batch, qh = b * s.heads + w.head;
    const std::uint64_t kvh = b * s.kv_heads + w.head / s.group();
    const Eigen::Index key0 = Eigen::Index(w.tile * p.bn);
    const Eigen::Index keys = Eigen::Index(p.keys_in_tile(b, w.tile));
    const MatrixF k_tile = k[kvh].middleRows(key0, keys), v_tile = v[kvh].middleRows(key0, keys);
    MatrixF dk_acc = MatrixF::Zero(keys, k_tile.cols()),
            dv_acc = MatrixF::Zero(keys, v_tile.cols());
    const TileRange range = p.q_tiles_of(w);
    for (std::uint64_t i = range.first; i < range.last; ++i) {
      const Eigen::Index row0 = Eigen::Index(i * p.bm), rows = Eigen::Index(p.rows_in_tile(b, i));
      const MatrixF q_tile = q[qh].middleRows(row0, rows), do_tile = d_o[qh].middleRows(row0, rows);
      MatrixF pr = q_tile * k_tile.transpose();
      const MatrixF dp = do_tile * v_tile.transpose();
      MatrixF ds(rows, keys);
      for (Eigen::Index a = 0; a < rows; ++a) {
        const std::uint64_t seen = g.visible_keys(b, std::uint64_t(row0 + a));
        const float lse = fwd.lse[qh](row0 + a), big_d = delta[qh](row0 + a);
        for (Eigen::Index c = 0; c < keys; ++c) {
          const bool visible = std::uint64_t(key0 + c) < seen;
          pr(a, c) = visible ? std::exp(pr(a, c) * scale - lse) : 0.0f;
          ds(a, c) = pr(a, c) * (dp(a, c) - big_d);
        }
      }
      const MatrixF p_mma = round(pr), ds_mma = round(ds);
      dv_acc.noalias() += p_mma.transpose() * do_tile;
      dk_acc.noalias() += ds_mma.transpose() * q_tile;
      const MatrixF dq_tile = ds_mma * k_tile;
      dq_accum[qh].middleRows(row0, rows) += dq_tile;  // the atomic add
      ++out.tiles_visited;
    }
    dk_heads[qh].middleRows(key0, keys) = scale * dk_acc;
    dv_heads[qh].middleRows(key0, keys) = dv_acc;
  }
  for (const MatrixF& acc : dq_accum) out.dq.push_back(scale * acc);
  for (std::uint64_t b = 0; b < g.batch; ++b)
    for (std::uint64_t kvh = 0; kvh < s.kv_heads; ++kvh) {
      const std::uint64_t first = b * s.heads + kvh * s.group();
      MatrixF dk = dk_heads[first], dv = dv_heads[first];
      for (std::uint64_t m = 1; m < s.group(); ++m) {  // the postprocess sum, in order
        dk += dk_heads[first + m];
        dv += dv_heads[first + m];
      }
      out.dk.push_back(dk);
      out.dv.push_back(dv);
    }
  return out;
}

void compare(ErrorCheck& c, const MatrixF& got, const MatrixD& want, const MatrixD& bound) {
  for (Eigen::Index j = 0; j < got.cols(); ++j)
    for (Eigen::Index i = 0; i < got.rows(); ++i) {
      const double error = std::fabs(double(got(i, j)) - want(i, j));
      c.max_abs_error = std::max(c.max_abs_error, error);
      c.max_bound = std::max(c.max_bound, bound(i, j));
      c.max_abs_reference = std::max(c.max_abs_reference, std::fabs(want(i, j)));
      if (!(error <= bound(i, j))) c.within_bound = false;
      if (bound(i, j) > 0)
        c.worst_error_to_bound = std::max(c.worst_error_to_bound, error / bound(i, j));
    }
}

}  // namespace

std::string ErrorCheck::to_string() const {
  return fmt::format(
      "{}: max |error| {:.3g} (bound {:.3g}, worst error/bound {:.3g}) over max |ref| "
      "{:.3g}: {}",
      name, max_abs_error, max_bound, worst_error_to_bound, max_abs_reference,
      within_bound ? "within bound" : "OUTSIDE BOUND");
}

bool AttentionCheck::within_bound() const {
  return computed && std::all_of(outputs.begin(), outputs.end(),
                                 [](const ErrorCheck& c) { return c.within_bound; });
}

const ErrorCheck* AttentionCheck::output(const std::string& name) const {
  for (const ErrorCheck& c : outputs)
    if (c.name == name) return &c;
  return nullptr;
}

std::string AttentionCheck::to_string() const {
  if (!computed) return "values not computed: " + skipped_because;
  std::string s;
  for (const ErrorCheck& c : outputs) s += c.to_string() + "\n";
  s += fmt::format("{} tiles visited", tiles_visited);
  if (mla_absorption_error >= 0)
    s +=
        fmt::format("; MLA absorbed vs unabsorbed (double): {:.3g} relative", mla_absorption_error);
  return s;
}

AttentionCheck check_attention(const AttentionProblem& g, const AttentionPlan& plan,
                               const AttentionCheckOptions& o) {
  validate(g);
  AttentionCheck check;
  const KernelShape s = g.kernel_shape();
  double work = 0;
  for (std::uint64_t b = 0; b < g.batch; ++b)
    work += double(s.heads) * double(g.q_len(b)) * double(g.kv_len(b)) *
            double(s.head_dim + s.head_dim_v);
  if (work > double(o.max_work)) {
    check.skipped_because =
        fmt::format("{:.3g} multiply-adds exceed the limit {}", work, o.max_work);
    return check;
  }
  const Inputs in = make_inputs(g, o);
  const RoundingModel r = rounding_model(g.dtype, o.round_intermediates);
  const double scale = g.softmax_scale();
  check.computed = true;
  check.mla_absorption_error = in.mla_absorption_error;
  ErrorCheck o_check{"O"}, lse_check{"LSE"}, dq_check{"dQ"}, dk_check{"dK"}, dv_check{"dV"};
  Outputs fwd;
  if (g.pass == Pass::kDecode) {
    fwd = tiled_decode(plan, in, r);
  } else if (g.pass == Pass::kForward) {
    fwd = tiled_forward(plan, in, r, plan.bm, plan.bn, plan.work);
  } else {  // the backward's forward: one CTA per query tile of the backward's BM
    std::vector<CtaWork> work;
    for (std::uint32_t b = 0; b < g.batch; ++b)
      for (std::uint32_t h = 0; h < s.heads; ++h)
        for (std::uint64_t t = 0; t < plan.row_tiles(b); ++t) work.push_back({0, b, h, t, 0});
    fwd = tiled_forward(plan, in, r, plan.bm, plan.bn, work);
  }
  check.tiles_visited = fwd.tiles_visited;
  Gradients grads;
  if (g.pass == Pass::kBackward) {
    grads = tiled_backward(plan, in, fwd, r);
    check.tiles_visited = grads.tiles_visited;
  }
  for (std::uint64_t b = 0; b < g.batch; ++b) {
    const auto visible = visible_rows(g, b);
    std::vector<MatrixD> dk_bound, dv_bound;  // per KV head of this sequence
    std::vector<MatrixD> dk_ref, dv_ref, dk_mag, dv_mag;
    for (std::uint64_t h = 0; h < s.heads; ++h) {
      const std::uint64_t qh = b * s.heads + h, kvh = b * s.kv_heads + h / s.group();
      const ReferenceForward f = reference_forward(in.q[qh], in.k[kvh], in.v[kvh], scale, visible);
      const std::uint64_t splits = g.pass == Pass::kDecode ? plan.num_splits : 1;
      const std::uint64_t kv_tiles = plan.kv_tiles(b);
      const ForwardBound fb =
          forward_bound(in.q[qh], in.k[kvh], in.v[kvh], f, scale, visible, kv_tiles, splits, r);
      if (g.pass != Pass::kBackward) {
        compare(o_check, fwd.o[qh], f.o, fb.o);
        if (g.pass == Pass::kForward)
          compare(lse_check, fwd.lse[qh].transpose(), f.lse.transpose(), fb.lse.transpose());
        continue;
      }
      const ReferenceGradients rg =
          reference_backward(in.q[qh], in.k[kvh], in.v[kvh], in.d_o[qh], scale, f);
      // The O (as stored) and LSE the backward reads, and how far they are from exact; the
      // forward's own bound covers them too.
      const MatrixD o_used = stored_o(fwd.o[qh], g.dtype, r).cast<double>();
      const VectorD lse_used = fwd.lse[qh].cast<double>();
      compare(o_check, o_used.cast<float>(), f.o,
              (fb.o + kBoundSafety * r.u_p * f.o.cwiseAbs()).array() + r.h_p);
      const GradientBound gb = backward_bound(
          in.q[qh], in.k[kvh], in.v[kvh], in.d_o[qh], f, rg, (o_used - f.o).cwiseAbs(),
          (lse_used - f.lse).cwiseAbs(), scale, visible, plan.row_tiles(b), kv_tiles, r);
      compare(dq_check, grads.dq[qh], rg.dq, gb.dq);
      const std::size_t m = h % s.group();
      if (m == 0) {
        dk_ref.push_back(rg.dk), dv_ref.push_back(rg.dv);
        dk_bound.push_back(gb.dk), dv_bound.push_back(gb.dv);
        dk_mag.push_back(gb.dk_magnitude), dv_mag.push_back(gb.dv_magnitude);
      } else {
        dk_ref.back() += rg.dk, dv_ref.back() += rg.dv;
        dk_bound.back() += gb.dk, dv_bound.back() += gb.dv;
        dk_mag.back() += gb.dk_magnitude, dv_mag.back() += gb.dv_magnitude;
      }
    }
    const double g_sum = s.group() > 1 ? gamma_fp32(double(s.group())) * kBoundSafety : 0.0;
    for (std::size_t kvh = 0; kvh < dk_ref.size(); ++kvh) {
      const std::uint64_t idx = b * s.kv_heads + kvh;
      compare(dk_check, grads.dk[idx], dk_ref[kvh], dk_bound[kvh] + g_sum * dk_mag[kvh]);
      compare(dv_check, grads.dv[idx], dv_ref[kvh], dv_bound[kvh] + g_sum * dv_mag[kvh]);
    }
  }
  if (g.pass == Pass::kBackward) {
    o_check.name = "O (stored, read by the backward)";
    check.outputs = {o_check, dq_check, dk_check, dv_check};
  } else {
    check.outputs.push_back(o_check);
    if (g.pass == Pass::kForward) check.outputs.push_back(lse_check);
  }
  return check;
}

}  // namespace xpusim::attention
