#include "workloads/attention/attention_reference.hpp"

#include <cmath>
#include <limits>

namespace xpusim::attention {
namespace {

constexpr double kU = kFp32UnitRoundoff;

MatrixD visible_mask(const std::vector<std::uint64_t>& visible, Eigen::Index keys) {
  MatrixD m = MatrixD::Zero(Eigen::Index(visible.size()), keys);
  for (Eigen::Index i = 0; i < m.rows(); ++i) m.row(i).head(Eigen::Index(visible[i])).setOnes();
  return m;
}

}  // namespace

double gamma_fp32(double n) {
  const double nu = n * kU;
  return nu < 1 ? nu / (1 - nu) : std::numeric_limits<double>::infinity();
}

RoundingModel rounding_model(DType d, bool round_intermediates) {
  if (!round_intermediates) return {};
  switch (d) {
    case DType::kBf16:
      return {std::ldexp(1.0, -8), std::ldexp(1.0, -134)};
    case DType::kFp16:
      return {std::ldexp(1.0, -11), std::ldexp(1.0, -25)};
    case DType::kFp8:
      return {std::ldexp(1.0, -4), std::ldexp(1.0, -10)};
    default:
      return {};
  }
}

ReferenceForward reference_forward(const MatrixD& q, const MatrixD& k, const MatrixD& v,
                                   double scale, const std::vector<std::uint64_t>& visible) {
  const MatrixD s = scale * (q * k.transpose());
  ReferenceForward f;
  f.t = MatrixD::Zero(s.rows(), s.cols());
  f.p = MatrixD::Zero(s.rows(), s.cols());
  f.lse.resize(s.rows());
  for (Eigen::Index i = 0; i < s.rows(); ++i) {
    const Eigen::Index n = Eigen::Index(visible[i]);
    const double m = s.row(i).head(n).maxCoeff();
    const double sum = (s.row(i).head(n).array() - m).exp().sum();
    f.lse(i) = m + std::log(sum);
    f.t.row(i).head(n) = s.row(i).head(n);
    f.p.row(i).head(n) = (s.row(i).head(n).array() - f.lse(i)).exp().matrix();
  }
  f.o = f.p * v;
  return f;
}

ReferenceGradients reference_backward(const MatrixD& q, const MatrixD& k, const MatrixD& v,
                                      const MatrixD& d_o, double scale, const ReferenceForward& f) {
  const MatrixD dp = d_o * v.transpose();
  const VectorD d = d_o.cwiseProduct(f.o).rowwise().sum();
  ReferenceGradients g;
  g.ds = f.p.cwiseProduct(dp.colwise() - d);
  g.dq = scale * (g.ds * k);
  g.dk = scale * (g.ds.transpose() * q);
  g.dv = f.p.transpose() * d_o;
  return g;
}

ForwardBound forward_bound(const MatrixD& q, const MatrixD& k, const MatrixD& v,
                           const ReferenceForward& f, double scale,
                           const std::vector<std::uint64_t>& visible, std::uint64_t kv_tiles,
                           std::uint64_t splits, const RoundingModel& r) {
  const double d = double(q.cols()), tiles = double(kv_tiles);
  const MatrixD qk_abs = q.cwiseAbs() * k.cwiseAbs().transpose();
  const MatrixD a = f.p * v.cwiseAbs();                                  // A_ic
  const MatrixD v_sum = visible_mask(visible, k.rows()) * v.cwiseAbs();  // sum_j |v_jc|
  ForwardBound b;
  b.o.resize(q.rows(), v.cols());
  b.lse.resize(q.rows());
  for (Eigen::Index i = 0; i < q.rows(); ++i) {
    const Eigen::Index n = Eigen::Index(visible[i]);
    const double big_m = f.t.row(i).head(n).cwiseAbs().maxCoeff();
    const double e = scale * gamma_fp32(d) * qk_abs.row(i).head(n).maxCoeff() + 2 * kU * big_m;
    const double rho = e + 4 * kU * big_m + (3 * tiles + 2) * kU;
    const double g = gamma_fp32(double(n) + tiles);
    double x = 0;
    if (splits > 1) {
      const double l_bound = big_m + std::log(double(n)) + 1;
      const double d_lse = rho + g + 3 * kU * (l_bound + 1);
      const double kappa = 2 * d_lse + gamma_fp32(double(splits)) + 8 * kU * (l_bound + 1);
      x = kappa + gamma_fp32(double(splits)) + kU;
    }
    // l_i with the largest probability scaled to 1: exp(lse - max t).
    const double l = std::exp(f.lse(i) - f.t.row(i).head(n).maxCoeff());
    const double rel = 2 * rho + r.u_p + 2 * g + 2 * kU + x;
    b.o.row(i) = kBoundSafety * (rel * a.row(i) + (r.h_p / l) * v_sum.row(i));
    b.lse(i) = kBoundSafety * (rho + g + 3 * kU * (std::fabs(f.lse(i)) + big_m + 1));
  }
  return b;
}

GradientBound backward_bound(const MatrixD& q, const MatrixD& k, const MatrixD& v,
                             const MatrixD& d_o, const ReferenceForward& f,
                             const ReferenceGradients& g, const MatrixD& o_error,
                             const VectorD& lse_error, double scale,
                             const std::vector<std::uint64_t>& visible, std::uint64_t q_tiles,
                             std::uint64_t kv_tiles, const RoundingModel& r) {
  const double d = double(q.cols()), dv = double(v.cols());
  const MatrixD vis = visible_mask(visible, k.rows());
  const MatrixD dp = d_o * v.transpose();
  const VectorD big_d = d_o.cwiseProduct(f.o).rowwise().sum();
  const MatrixD dp_minus_d = (dp.colwise() - big_d).cwiseAbs();
  const MatrixD abs_do = d_o.cwiseAbs();
  // Relative error of the recomputed P: score, LSE, subtraction and exp.
  MatrixD rho = scale * gamma_fp32(d) * (q.cwiseAbs() * k.cwiseAbs().transpose()) +
                2 * kU * f.t.cwiseAbs() + kU * (f.t.colwise() - f.lse).cwiseAbs();
  rho = (rho.colwise() + lse_error).array() + 2 * kU;
  const MatrixD pi = gamma_fp32(dv) * (abs_do * v.cwiseAbs().transpose());
  const VectorD delta = abs_do.cwiseProduct(o_error).rowwise().sum() +
                        gamma_fp32(dv) * abs_do.cwiseProduct(f.o.cwiseAbs()).rowwise().sum();
  const MatrixD abs_ds = g.ds.cwiseAbs();
  MatrixD sigma = rho.cwiseProduct(dp_minus_d) + pi + kU * dp_minus_d;
  sigma = sigma.colwise() + delta;
  sigma = f.p.cwiseProduct(sigma) + (kU + r.u_p) * abs_ds + r.h_p * vis;
  const double g_q = gamma_fp32(double(q.rows() + q_tiles));
  const double g_k = gamma_fp32(double(k.rows() + kv_tiles));
  GradientBound b;
  const MatrixD p_rounded = f.p.cwiseProduct(rho.array().matrix()) + r.u_p * f.p + r.h_p * vis;
  b.dv_magnitude = f.p.transpose() * abs_do;
  b.dv = kBoundSafety * (p_rounded.transpose() * abs_do + g_q * b.dv_magnitude);
  b.dk_magnitude = scale * (abs_ds.transpose() * q.cwiseAbs());
  b.dk =
      kBoundSafety * (scale * (sigma.transpose() * q.cwiseAbs()) + (g_q + 2 * kU) * b.dk_magnitude);
  b.dq = kBoundSafety * scale * (sigma * k.cwiseAbs() + (g_k + 2 * kU) * (abs_ds * k.cwiseAbs()));
  return b;
}

}  // namespace xpusim::attention
