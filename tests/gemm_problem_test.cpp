#include <gtest/gtest.h>

#include "sim/common/error.hpp"
#include "workloads/gemm/gemm_problem.hpp"

using namespace xpusim;
using namespace xpusim::gemm;

namespace {
std::string error_of(std::string_view shape, DType in = DType::kBf16) {
  try {
    parse_gemm_problem(shape, in);
  } catch (const UserError& e) {
    return e.what();
  }
  return "(accepted)";
}
}  // namespace

TEST(GemmProblem, ParsesBothSpellings) {
  GemmProblem p = parse_gemm_problem("1000x1999x777", DType::kFp8);
  EXPECT_EQ(p.m, 1000u);
  EXPECT_EQ(p.n, 1999u);
  EXPECT_EQ(p.k, 777u);
  EXPECT_EQ(p.in, DType::kFp8);
  EXPECT_EQ(p.out, DType::kBf16);
  EXPECT_EQ(p.a_layout, Layout::kRowMajor);
  EXPECT_EQ(p.b_layout, Layout::kColMajor);
  GemmProblem q = parse_gemm_problem("M=64;N=2112;K=7168", DType::kFp8);
  EXPECT_EQ(q.m, 64u);
  EXPECT_EQ(q.n, 2112u);
  EXPECT_EQ(q.k, 7168u);
  EXPECT_DOUBLE_EQ(q.flops(), 2.0 * 64 * 2112 * 7168);
  EXPECT_EQ(parse_gemm_problem(" 8 x 16 x 32 ", DType::kInt8).n, 16u);
  EXPECT_EQ(q.to_string(), "64x2112x7168 fp8->bf16 (A row, B col, C row)");
}

TEST(GemmProblem, RefusesBadShapesWithClearMessages) {
  EXPECT_NE(error_of("10x20").find("expected MxNxK"), std::string::npos);
  EXPECT_NE(error_of("10x20x30x40").find("expected MxNxK"), std::string::npos);
  EXPECT_NE(error_of("10xabcx30").find("N is not a whole number ('abc')"), std::string::npos);
  EXPECT_NE(error_of("10x2.5x30").find("N is not a whole number"), std::string::npos);
  EXPECT_NE(error_of("0x20x30").find("M is zero"), std::string::npos);
  EXPECT_NE(error_of("10x20x-3").find("K is negative"), std::string::npos);
  EXPECT_NE(error_of("99999999999999999999999x2x3").find("M is too large"), std::string::npos);
  EXPECT_NE(error_of("4294967296x2x3").find("M is too large"), std::string::npos);
  EXPECT_NE(error_of("10xx30").find("N is missing"), std::string::npos);
  EXPECT_NE(error_of("M=1;K=2;N=3").find("expected N="), std::string::npos);
  EXPECT_NE(error_of("8x8x8", DType::kFp32).find("not supported"), std::string::npos);
  EXPECT_NE(error_of("10xabcx30").find("'10xabcx30'"), std::string::npos);
}

TEST(GemmProblem, OutputTypesFollowCublasPractice) {
  EXPECT_EQ(default_output_dtype(DType::kBf16), DType::kBf16);
  EXPECT_EQ(default_output_dtype(DType::kFp16), DType::kFp16);
  EXPECT_EQ(default_output_dtype(DType::kFp8), DType::kBf16);
  EXPECT_EQ(default_output_dtype(DType::kTf32), DType::kFp32);
  EXPECT_EQ(element_bytes(DType::kTf32), 4u);
  EXPECT_EQ(element_bytes(DType::kFp8), 1u);
}
