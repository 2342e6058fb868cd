#pragma once
// The naive reference, softmax(scale * Q K^T + mask) V and its gradients in double precision, and
// per-element bounds on the error of the tiled fp32 kernels, for one (sequence, head).
//
// Notation: t_ij = scale * q_i . k_j (scaled scores), p_ij = exp(t_ij - lse_i), u = 2^-24 (fp32),
// gamma_n = n*u / (1 - n*u) (Higham, Accuracy and Stability of Numerical Algorithms, 2nd ed.,
// 3.1 and 4.2: any order of summing n products errs by at most gamma_n * sum |a_i b_i|), n_i the
// keys row i sees, T the KV tiles a row visits (hence the rescales of its running max). Inputs
// are already rounded to the dtype, so the reference sees exactly what the kernel sees.
// Intermediates the kernels round to the dtype before an MMA (P, dS, and O as stored for the
// backward) err by u_p relative plus h_p absolute (subnormals): u_p = 2^-8 bf16, 2^-11 fp16,
// 2^-4 fp8; zero when the check keeps them in fp32.
//
// Forward (FA2/FA3 online softmax, also per split of split-KV decode), first order in u:
//   a computed score errs by e_ij <= scale * gamma_d * sum_c |q_ic k_jc| + 2u |t_ij| (dot product,
//   scale multiply and the rounding of scale); exp(t - m) by u|t - m| + 2u (subtraction, expf);
//   each of at most T rescales exp(m_old - m_new) by u|m_old - m_new| + 3u, the m's adding up to
//   at most 2 M_i, M_i = max_j |t_ij|. So every computed probability is p_ij (1 + rho_ij) times a
//   factor common to the row (which cancels between O's numerator and l), with
//     rho_i = max_j e_ij + 4u M_i + (3T + 2) u.
//   O = sum_j P_ij v_j / l with P rounded to the dtype in the numerator only (l sums the fp32
//   P), both sums in fp32 over n_i + T terms (BN per MMA plus one add per tile), then a division
//   (2u: FA multiplies by a rounded 1/l):
//     |O^ - O|_ic <= A_ic (2 rho_i + u_p + 2 gamma_{n_i+T} + 2u + x_i) + h_p sum_j |v_jc| / l_i,
//   A_ic = sum_j p_ij |v_jc| >= |O_ic| (l_i in units where the largest P is 1). x_i = 0, or for
//   split-KV decode the combine: each split's LSE errs by dL <= rho_i + gamma_{n+T} +
//   3u(L_i + 1), L_i = M_i + ln n_i + 1 >= |lse|, and the weights exp(lse_s - lse) by
//   kappa <= 2 dL + gamma_S + 8u (L_i + 1); x_i = kappa + gamma_S + u. The LSE = m + ln l itself
//   errs by at most rho_i + gamma_{n+T} + 3u(|lse_i| + M_i + 1) (|ln l| <= |lse| + M).
// Backward (FA2; P recomputed from the forward's LSE, D = rowsum(dO * O) from the stored O). O
// and the LSE are inputs of the backward kernel: their actual deviations from the exact values,
// do_ic = |O_used - O|_ic and dl_i = |lse_used - lse|_i (measured; the forward check bounds them
// in turn), enter as input perturbations:
//   P errs relatively by rho'_ij = e_ij + dl_i + u|t_ij - lse_i| + 2u; dP = dO V^T by
//   pi_ij = gamma_dv (|dO||V|^T)_ij; D by delta_i = sum_c |dO_ic| do_ic + gamma_dv sum_c
//   |dO_ic O_ic|; dS = P (dP - D), rounded for the MMAs, by
//     sigma_ij = p_ij (rho'_ij |dP_ij - D_i| + pi_ij + delta_i + u |dP_ij - D_i|)
//                + (u + u_p) |dS_ij| + h_p;
//   dV = P^T dO (P rounded): (p (rho' + u_p) + h_p)^T |dO| + gamma_{sq+Tq} p^T |dO|;
//   dK = scale dS^T Q: scale (sigma^T |Q| + (gamma_{sq+Tq} + 2u) |dS|^T |Q|);
//   dQ = scale dS K (atomic fp32 adds, one per KV tile): scale (sigma |K| +
//   (gamma_{skv+Tk} + 2u) |dS| |K|). GQA sums the group's fp32 dK, dV: + gamma_G * magnitudes.
// Every bound is multiplied by 1.01 for the neglected second-order terms (products of two of the
// small relative errors above, each below 2^-4 * 10^-4 here).
#include <Eigen/Dense>
#include <cstdint>
#include <vector>

#include "sim/common/dtype.hpp"

namespace xpusim::attention {

using MatrixD = Eigen::MatrixXd;
using VectorD = Eigen::VectorXd;

inline constexpr double kFp32UnitRoundoff = 1.0 / (1 << 24);
inline constexpr double kBoundSafety = 1.01;

double gamma_fp32(double n);

// How intermediates are rounded before the MMAs that read them.
struct RoundingModel {
  double u_p = 0;  // relative
  double h_p = 0;  // absolute (half the smallest subnormal step)
};
RoundingModel rounding_model(DType d, bool round_intermediates);

struct ReferenceForward {
  MatrixD t;  // scaled scores (0 where masked)
  MatrixD p;  // probabilities (0 where masked)
  MatrixD o;
  VectorD lse;  // log sum_j exp(t_ij)
};
// visible[i]: keys row i sees (a prefix).
ReferenceForward reference_forward(const MatrixD& q, const MatrixD& k, const MatrixD& v,
                                   double scale, const std::vector<std::uint64_t>& visible);

struct ReferenceGradients {
  MatrixD dq, dk, dv;
  MatrixD ds;  // P * (dP - D)
};
ReferenceGradients reference_backward(const MatrixD& q, const MatrixD& k, const MatrixD& v,
                                      const MatrixD& d_o, double scale, const ReferenceForward& f);

struct ForwardBound {
  MatrixD o;
  VectorD lse;
};
ForwardBound forward_bound(const MatrixD& q, const MatrixD& k, const MatrixD& v,
                           const ReferenceForward& f, double scale,
                           const std::vector<std::uint64_t>& visible, std::uint64_t kv_tiles,
                           std::uint64_t splits, const RoundingModel& r);

struct GradientBound {
  MatrixD dq, dk, dv;
  MatrixD dk_magnitude, dv_magnitude;  // what a GQA group sum's rounding scales with
};
// o_error, lse_error: |O - exact O| and |LSE - exact LSE| of the O and LSE the kernel reads.
GradientBound backward_bound(const MatrixD& q, const MatrixD& k, const MatrixD& v,
                             const MatrixD& d_o, const ReferenceForward& f,
                             const ReferenceGradients& g, const MatrixD& o_error,
                             const VectorD& lse_error, double scale,
                             const std::vector<std::uint64_t>& visible, std::uint64_t q_tiles,
                             std::uint64_t kv_tiles, const RoundingModel& r);

}  // namespace xpusim::attention
