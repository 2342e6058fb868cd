#include "workloads/gemm/numeric_rounding.hpp"

#include <algorithm>
#include <cmath>
#include <limits>

namespace xpusim::gemm {
namespace {

// A binary float format with `fraction_bits` stored significand bits whose smallest normal
// exponent is `min_exponent`; x/quantum is exact in double, so nearbyint rounds once, to even.
double round_binary(double x, int fraction_bits, int min_exponent, double max_finite,
                    bool saturate) {
  if (!std::isfinite(x) || x == 0) return x;
  int exponent;
  std::frexp(x, &exponent);  // x = f * 2^exponent, 0.5 <= |f| < 1
  int lead = std::max(exponent - 1, min_exponent);
  double quantum = std::ldexp(1.0, lead - fraction_bits);
  double r = std::nearbyint(x / quantum) * quantum;
  if (std::fabs(r) > max_finite)
    return std::copysign(saturate ? max_finite : std::numeric_limits<double>::infinity(), x);
  return r;
}

}  // namespace

double round_to_dtype(double x, DType d) {
  switch (d) {
    case DType::kFp64:
      return x;
    case DType::kFp32:
      return static_cast<double>(static_cast<float>(x));
    case DType::kTf32:
      return round_binary(x, 10, -126, std::ldexp(2.0 - std::ldexp(1.0, -10), 127), false);
    case DType::kBf16:
      return round_binary(x, 7, -126, std::ldexp(2.0 - std::ldexp(1.0, -7), 127), false);
    case DType::kFp16:
      return round_binary(x, 10, -14, 65504.0, false);
    case DType::kFp8:
      return round_binary(x, 3, -6, 448.0, true);
    case DType::kFp4:
      return round_binary(x, 1, 0, 6.0, true);
    case DType::kInt8:
      return std::clamp(std::nearbyint(x), -128.0, 127.0);
  }
  return x;
}

}  // namespace xpusim::gemm
