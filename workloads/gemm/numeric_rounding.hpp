#pragma once
// Rounding of real values to the formats the tensor cores read, so that the functional GEMM sees
// exactly the inputs a kernel would.
#include "sim/common/dtype.hpp"

namespace xpusim::gemm {

// The value of `d` nearest to x, ties to even, as a hardware conversion from a wider type gives:
//  bf16 (8-bit significand), fp16 (11, subnormals, overflow to inf), tf32 (11, fp32 range),
//  fp8 = e4m3 (4, subnormals, saturating at +-448 as cuBLASLt's satfinite conversion does),
//  fp4 = e2m1 (2, saturating at +-6), int8 (nearest integer, saturating at -128..127),
//  fp32 and fp64 as IEEE.
double round_to_dtype(double x, DType d);

}  // namespace xpusim::gemm
