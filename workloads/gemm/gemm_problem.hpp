#pragma once
// One GEMM: C (MxN) = A (MxK) * B (KxN). The default layouts are cuBLAS's preferred "TN" case:
// A row-major (K contiguous), B column-major (K contiguous), C row-major.
#include <cstdint>
#include <string>
#include <string_view>

#include "sim/common/dtype.hpp"

namespace xpusim::gemm {

enum class Layout { kRowMajor, kColMajor };

inline constexpr std::uint64_t kMaxGemmDim = (std::uint64_t{1} << 31) - 1;  // cuBLAS's int

struct GemmProblem {
  std::uint64_t m = 0, n = 0, k = 0;
  DType in = DType::kBf16;
  // Accumulator: fp32 for the float inputs. Int8 inputs accumulate in int32, which DType does not
  // name; kFp32 then stands for "a 32-bit accumulator" (the same storage size).
  DType acc = DType::kFp32;
  DType out = DType::kBf16;  // C; see default_output_dtype
  Layout a_layout = Layout::kRowMajor;
  Layout b_layout = Layout::kColMajor;
  Layout c_layout = Layout::kRowMajor;

  double flops() const { return 2.0 * double(m) * double(n) * double(k); }
  std::string to_string() const;  // "8192x8192x8192 bf16->bf16 (A row, B col, C row)"
};

// What cuBLAS-style benchmarks write: bf16/fp16 keep their type, fp8 writes bf16, tf32 writes
// fp32, int8 writes int32 (recorded as the 4-byte kFp32, see GemmProblem::acc).
DType default_output_dtype(DType in);

// Input types with a tensor-core GEMM here: tf32, bf16, fp16, fp8 (e4m3), int8.
bool is_gemm_input_dtype(DType in);

// Parses "MxNxK" (or "M=..;N=..;K=.." as in reference/measured.csv). Dimensions are whole numbers
// in 1..kMaxGemmDim; anything else is a UserError quoting the text.
GemmProblem parse_gemm_problem(std::string_view shape, DType in);

// Integer storage size of one element (all GEMM types are whole bytes).
std::uint64_t element_bytes(DType d);

}  // namespace xpusim::gemm
