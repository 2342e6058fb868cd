#pragma once
// Runs a GEMM exactly as a plan tiles it, on Eigen blocks, and checks the result.
//
// Inputs are random (std::mt19937_64, fixed seed) and rounded to the input type; every CTA tile
// accumulates its k-steps of BK in fp32 (int32 for int8), split-K partials are added in fp32 in
// split order as the reduction kernel does. The result is compared with a plain double-precision
// product of the same rounded inputs.
//
// Error bound, per element: the rounded inputs and their products are exact in fp32 (significands
// of at most 11+11 bits), so the only error is the fp32 summation of K products plus split_k - 1
// partial additions. Any summation order of n terms errs by at most
// gamma_n * sum|a_ik * b_kj|, gamma_n = n*u / (1 - n*u), u = 2^-24 (Higham, Accuracy and Stability
// of Numerical Algorithms, 2nd ed., section 4.2); the double reference adds gamma_K with u = 2^-53.
// Int8 with int32 accumulation is exact (inputs are kept small enough that no sum overflows).
// The conversion of C to its output type is not part of the check: it adds the same half-ulp
// whatever the algorithm.
#include <cstdint>
#include <string>

#include "workloads/gemm/gemm_plan.hpp"

namespace xpusim::gemm {

struct FunctionalOptions {
  std::uint64_t seed = 0x5eed'2025;
  std::uint64_t max_products = std::uint64_t{1} << 33;  // M*N*K above this: values skipped
  std::uint64_t max_elements = std::uint64_t{1} << 25;  // M*K + K*N + M*N above this: skipped
};

struct GemmCheck {
  bool computed = false;
  std::string skipped_because;  // when !computed
  double max_abs_error = 0;
  double error_bound = 0;           // the largest per-element bound
  double worst_error_to_bound = 0;  // max over elements of error / bound (0 when exact)
  bool within_bound = false;        // every element within its own bound
  double max_abs_reference = 0;
  std::string to_string() const;
};

GemmCheck check_gemm(const GemmProblem& problem, const GemmPlan& plan,
                     const FunctionalOptions& options = {});

}  // namespace xpusim::gemm
