#include "workloads/gemm/gemm_functional.hpp"

#include <fmt/format.h>

#include <Eigen/Dense>
#include <algorithm>
#include <cmath>
#include <random>

#include "workloads/gemm/numeric_rounding.hpp"

namespace xpusim::gemm {
namespace {

using MatrixD = Eigen::MatrixXd;

// Random inputs rounded to the input type: A filled row by row, then B column by column. Int8
// values stay within +-q so that K products of q*q cannot overflow int32.
std::pair<MatrixD, MatrixD> make_operands(const GemmProblem& g, std::uint64_t seed) {
  std::mt19937_64 rng(seed);
  MatrixD a(g.m, g.k), b(g.k, g.n);
  if (g.in == DType::kInt8) {
    double q = std::min(127.0, std::floor(std::sqrt(2147483647.0 / double(g.k))));
    std::uniform_int_distribution<int> dist(-int(q), int(q));
    for (Eigen::Index i = 0; i < a.rows(); ++i)
      for (Eigen::Index k = 0; k < a.cols(); ++k) a(i, k) = dist(rng);
    for (Eigen::Index j = 0; j < b.cols(); ++j)
      for (Eigen::Index k = 0; k < b.rows(); ++k) b(k, j) = dist(rng);
    return {a, b};
  }
  std::uniform_real_distribution<double> dist(-1.0, 1.0);
  for (Eigen::Index i = 0; i < a.rows(); ++i)
    for (Eigen::Index k = 0; k < a.cols(); ++k) a(i, k) = round_to_dtype(dist(rng), g.in);
  for (Eigen::Index j = 0; j < b.cols(); ++j)
    for (Eigen::Index k = 0; k < b.rows(); ++k) b(k, j) = round_to_dtype(dist(rng), g.in);
  return {a, b};
}

// C as the plan computes it: per split, per CTA tile, k-steps of BK accumulated in Acc; splits
// added in order.
template <typename Acc>
MatrixD tiled_product(const GemmPlan& p, const MatrixD& a_in, const MatrixD& b_in) {
  using Matrix = Eigen::Matrix<Acc, Eigen::Dynamic, Eigen::Dynamic>;
  const Matrix a = a_in.cast<Acc>(), b = b_in.cast<Acc>();
  const auto& g = p.problem;
  Matrix c = Matrix::Zero(g.m, g.n);
  Matrix acc;
  for (std::uint32_t s = 0; s < p.split_k; ++s) {
    auto [k_first, k_last] = p.k_range(s);
    for (std::uint64_t tm = 0; tm < p.tiles_m; ++tm) {
      for (std::uint64_t tn = 0; tn < p.tiles_n; ++tn) {
        Eigen::Index m0 = tm * p.bm, n0 = tn * p.bn;
        Eigen::Index rows = std::min<Eigen::Index>(p.bm, g.m - m0);
        Eigen::Index cols = std::min<Eigen::Index>(p.bn, g.n - n0);
        acc.setZero(rows, cols);
        for (std::uint64_t k = k_first; k < k_last; k += p.bk) {
          Eigen::Index width = std::min<std::uint64_t>(p.bk, k_last - k);
          acc.noalias() += a.block(m0, k, rows, width) * b.block(k, n0, width, cols);
        }
        if (s == 0)
          c.block(m0, n0, rows, cols) = acc;
        else
          c.block(m0, n0, rows, cols) += acc;
      }
    }
  }
  return c.template cast<double>();
}

double gamma(double n, double unit_roundoff) {
  double nu = n * unit_roundoff;
  return nu < 1 ? nu / (1 - nu) : std::numeric_limits<double>::infinity();
}

}  // namespace

std::string GemmCheck::to_string() const {
  if (!computed) return "values not computed: " + skipped_because;
  return fmt::format(
      "max |error| {:.3g} (bound {:.3g}, worst error/bound {:.3g}) over max "
      "|C| {:.3g}: {}",
      max_abs_error, error_bound, worst_error_to_bound, max_abs_reference,
      within_bound ? "within bound" : "OUTSIDE BOUND");
}

GemmCheck check_gemm(const GemmProblem& g, const GemmPlan& plan, const FunctionalOptions& o) {
  GemmCheck check;
  double products = double(g.m) * double(g.n) * double(g.k);
  double elements = double(g.m) * g.k + double(g.k) * g.n + double(g.m) * g.n;
  if (products > double(o.max_products)) {
    check.skipped_because =
        fmt::format("M*N*K = {:.3g} exceeds the limit {}", products, o.max_products);
    return check;
  }
  if (elements > double(o.max_elements)) {
    check.skipped_because = fmt::format("the matrices hold {:.3g} elements, above the limit {}",
                                        elements, o.max_elements);
    return check;
  }
  auto [a, b] = make_operands(g, o.seed);
  MatrixD c = g.in == DType::kInt8 ? tiled_product<std::int32_t>(plan, a, b)
                                   : tiled_product<float>(plan, a, b);
  MatrixD reference = a * b;
  MatrixD magnitude = a.cwiseAbs() * b.cwiseAbs();
  double k = double(g.k);
  double per_magnitude = g.in == DType::kInt8 ? 0.0
                                              : gamma(k + plan.split_k - 1, std::ldexp(1.0, -24)) +
                                                    gamma(k, std::ldexp(1.0, -53));
  check.computed = true;
  check.within_bound = true;
  for (Eigen::Index j = 0; j < c.cols(); ++j) {
    for (Eigen::Index i = 0; i < c.rows(); ++i) {
      double error = std::fabs(c(i, j) - reference(i, j));
      double bound = per_magnitude * magnitude(i, j);
      check.max_abs_error = std::max(check.max_abs_error, error);
      check.error_bound = std::max(check.error_bound, bound);
      check.max_abs_reference = std::max(check.max_abs_reference, std::fabs(reference(i, j)));
      if (error > bound) check.within_bound = false;
      if (bound > 0)
        check.worst_error_to_bound = std::max(check.worst_error_to_bound, error / bound);
    }
  }
  return check;
}

}  // namespace xpusim::gemm
