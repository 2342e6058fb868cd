#include <gtest/gtest.h>

#include <cmath>
#include <limits>

#include "tests/test_targets.hpp"
#include "workloads/gemm/gemm_functional.hpp"
#include "workloads/gemm/numeric_rounding.hpp"

using namespace xpusim;
using namespace xpusim::gemm;

TEST(NumericRounding, RoundsToNearestEven) {
  EXPECT_EQ(round_to_dtype(0.1, DType::kBf16), 0.10009765625);
  EXPECT_EQ(round_to_dtype(1 + std::ldexp(1.0, -8), DType::kBf16), 1.0);  // tie -> even
  EXPECT_EQ(round_to_dtype(1 + 3 * std::ldexp(1.0, -8), DType::kBf16), 1 + std::ldexp(1.0, -6));
  EXPECT_EQ(round_to_dtype(0.1, DType::kFp16), 0.0999755859375);
  EXPECT_EQ(round_to_dtype(65519.0, DType::kFp16), 65504.0);
  EXPECT_EQ(round_to_dtype(65520.0, DType::kFp16), std::numeric_limits<double>::infinity());
  EXPECT_EQ(round_to_dtype(3e-8, DType::kFp16), 5.9604644775390625e-08);  // subnormal 2^-24
  EXPECT_EQ(round_to_dtype(2.9e-8, DType::kFp16), 0.0);                   // below half of 2^-24
  EXPECT_EQ(round_to_dtype(1 + std::ldexp(1.0, -11), DType::kTf32), 1.0);
  EXPECT_EQ(round_to_dtype(1 + std::ldexp(3.0, -11), DType::kTf32), 1 + std::ldexp(1.0, -9));
  EXPECT_EQ(round_to_dtype(0.3, DType::kFp8), 0.3125);
  EXPECT_EQ(round_to_dtype(500.0, DType::kFp8), 448.0);  // saturates
  EXPECT_EQ(round_to_dtype(-1e6, DType::kFp8), -448.0);
  EXPECT_EQ(round_to_dtype(std::ldexp(1.0, -9), DType::kFp8),
            std::ldexp(1.0, -9));  // min subnormal
  EXPECT_EQ(round_to_dtype(2.5, DType::kInt8), 2.0);
  EXPECT_EQ(round_to_dtype(-300, DType::kInt8), -128.0);
}

namespace {

struct Case {
  const char* shape;
  DType in;
  KernelTarget target;
  GemmPlanOptions options;
};

GemmCheck run(const Case& c, GemmPlan* plan_out = nullptr) {
  GemmProblem problem = parse_gemm_problem(c.shape, c.in);
  GemmPlan plan = plan_gemm(problem, c.target, c.options);
  if (plan_out) *plan_out = plan;
  return check_gemm(problem, plan);
}

}  // namespace

TEST(GemmFunctional, MatchesReferenceWithinBound) {
  const Case cases[] = {
      {"1000x1999x777", DType::kBf16, test::h100_sxm(), {}},
      {"1x4096x4096", DType::kBf16, test::h100_sxm(), {}},
      {"4097x31x129", DType::kFp16, test::a100_sxm_80gb(), {}},
      {"64x2112x7168", DType::kFp8, test::h800_sxm(), {}},
      {"128x4096x1536", DType::kFp8, test::h800_sxm(), {}},
      {"3x5x7", DType::kTf32, test::a100_sxm_80gb(), {}},
      {"512x384x640", DType::kTf32, test::h100_sxm(), {}},
      {"257x129x1025", DType::kInt8, test::h100_sxm(), {}},
      {"33x65x4099", DType::kInt8, test::a100_sxm_80gb(), {.split_k = 2}},
      {"100x300x5000", DType::kFp16, test::h100_sxm(), {.split_k = 3}},
      {"640x480x320", DType::kFp8, test::h100_sxm(), {}},
      {"1x1x1", DType::kBf16, test::h100_sxm(), {}},
      {"300x200x100", DType::kBf16, test::a100_sxm_80gb(), {.bm = 64, .bn = 64}},
  };
  for (const Case& c : cases) {
    GemmPlan plan;
    GemmCheck check = run(c, &plan);
    SCOPED_TRACE(plan.to_string() + check.to_string());
    ASSERT_TRUE(check.computed);
    EXPECT_TRUE(check.within_bound);
    EXPECT_GT(check.max_abs_reference, 0);
    if (c.in == DType::kInt8) {
      EXPECT_EQ(check.max_abs_error, 0);
    } else {
      // The bound is a bound, not slack: K * 2^-24 relative at most.
      EXPECT_LE(check.error_bound, 1.01 * (double(plan.problem.k) + plan.split_k) *
                                       std::ldexp(1.0, -24) * double(plan.problem.k));
    }
  }
}

TEST(GemmFunctional, SplitKPlanChosenByThePlannerStaysWithinBound) {
  GemmPlan plan;
  GemmCheck check = run({"256x256x32768", DType::kBf16, test::h100_sxm(), {}}, &plan);
  ASSERT_GT(plan.split_k, 1u) << plan.to_string();
  ASSERT_TRUE(check.computed);
  EXPECT_TRUE(check.within_bound) << check.to_string();
  EXPECT_GT(check.max_abs_error, 0);  // fp32 summation of 32768 terms is not exact
}

TEST(GemmFunctional, SameSeedSameNumbers) {
  Case c{"200x100x300", DType::kFp8, test::h100_sxm(), {}};
  GemmCheck a = run(c), b = run(c);
  EXPECT_EQ(a.max_abs_error, b.max_abs_error);
  EXPECT_EQ(a.max_abs_reference, b.max_abs_reference);
  GemmProblem problem = parse_gemm_problem(c.shape, c.in);
  GemmCheck other = check_gemm(problem, plan_gemm(problem, c.target), {.seed = 7});
  EXPECT_NE(other.max_abs_reference, a.max_abs_reference);
}

TEST(GemmFunctional, LargeProblemsSkipValues) {
  GemmProblem problem = parse_gemm_problem("32768x32768x32768", DType::kFp8);
  GemmCheck check = check_gemm(problem, plan_gemm(problem, test::h100_sxm()));
  EXPECT_FALSE(check.computed);
  EXPECT_NE(check.skipped_because.find("exceeds the limit"), std::string::npos);
  GemmProblem wide = parse_gemm_problem("65536x65536x1", DType::kBf16);
  EXPECT_FALSE(check_gemm(wide, plan_gemm(wide, test::h100_sxm())).computed);
}

TEST(GemmFunctional, ATilingMistakeIsCaught) {
  GemmProblem problem = parse_gemm_problem("300x200x1000", DType::kBf16);
  GemmPlan plan = plan_gemm(problem, test::h100_sxm());
  ASSERT_TRUE(check_gemm(problem, plan).within_bound);
  GemmPlan dropped = plan;  // the splits now cover only half of K
  dropped.k_steps_per_split = (plan.k_steps + 1) / 2;
  dropped.split_k = 1;
  GemmCheck check = check_gemm(problem, dropped);
  EXPECT_FALSE(check.within_bound) << check.to_string();
}
