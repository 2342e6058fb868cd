#include <gtest/gtest.h>

#include <set>
#include <tuple>

#include "sim/common/error.hpp"
#include "tests/test_targets.hpp"
#include "workloads/gemm/gemm_plan.hpp"

using namespace xpusim;
using namespace xpusim::gemm;

namespace {

GemmPlan plan(const char* shape, DType in, const KernelTarget& t, GemmPlanOptions o = {}) {
  return plan_gemm(parse_gemm_problem(shape, in), t, o);
}

// Shapes the functional and trace tests also use, plus the reference rows.
const char* const kShapes[] = {
    "1000x1999x777",  "1x4096x4096",     "4097x31x129",   "64x2112x7168", "128x24576x1536",
    "8192x8192x8192", "6144x17920x2816", "256x256x65536", "3x5x7",        "32768x32768x32768"};

void expect_fits(const GemmPlan& p, const KernelTarget& t) {
  SCOPED_TRACE(p.to_string());
  EXPECT_LE(p.smem_bytes_per_cta, t.max_smem_per_cta);
  EXPECT_LE(std::uint64_t{p.smem_bytes_per_cta} * p.ctas_per_unit, t.smem_per_unit);
  EXPECT_LE(p.threads_per_cta * p.ctas_per_unit, std::uint32_t(t.max_threads_per_unit));
  EXPECT_LE(std::uint64_t{p.threads_per_cta} * p.registers_per_thread * p.ctas_per_unit,
            std::uint64_t(t.registers_per_unit));
  EXPECT_LE(p.cluster_size(), std::uint32_t(t.max_cluster_size));
  EXPECT_GE(p.stages, 2u);
  EXPECT_GE(p.ctas_per_unit, 1u);
  // Tiles cover the problem exactly: no tile lies wholly outside it.
  const GemmProblem& g = p.problem;
  EXPECT_GE(p.tiles_m * p.bm, g.m);
  EXPECT_LT((p.tiles_m - 1) * p.bm, g.m);
  EXPECT_GE(p.tiles_n * p.bn, g.n);
  EXPECT_LT((p.tiles_n - 1) * p.bn, g.n);
  EXPECT_EQ(p.ctas, p.tiles_m * p.tiles_n * p.split_k);
  EXPECT_EQ(p.tiles_m % p.cluster_m, 0u);
  EXPECT_EQ(p.tiles_n % p.cluster_n, 0u);
  // The splits partition K into non-empty, contiguous ranges.
  std::uint64_t next = 0;
  for (std::uint32_t s = 0; s < p.split_k; ++s) {
    auto [first, last] = p.k_range(s);
    EXPECT_EQ(first, next);
    EXPECT_LT(first, last);
    next = last;
  }
  EXPECT_EQ(next, g.k);
}

}  // namespace

TEST(GemmPlan, HopperBf16UsesCutlassDefaultTile) {
  GemmPlan p = plan("8192x8192x8192", DType::kBf16, test::h100_sxm());
  EXPECT_EQ(p.mainloop, Mainloop::kWarpSpecializedTma);
  EXPECT_EQ(std::tie(p.bm, p.bn, p.bk), std::make_tuple(128u, 256u, 64u));
  EXPECT_EQ(p.stages, 4u);
  EXPECT_EQ(p.cluster_m * p.cluster_n, 2u);
  EXPECT_EQ(p.threads_per_cta, 384u);
  EXPECT_EQ(p.split_k, 1u);
  EXPECT_EQ(p.ctas, 64u * 32);
  EXPECT_EQ(p.waves, 16u);  // 2048 CTAs over 132 SMs: 15.5 waves, quantised up
}

TEST(GemmPlan, HopperFp8TakesTwiceTheKStep) {
  GemmPlan p = plan("8192x8192x8192", DType::kFp8, test::h100_sxm());
  EXPECT_EQ(p.bk, 128u);
  EXPECT_EQ(p.bm * p.bn, 128u * 256);
  EXPECT_EQ(p.stages, 4u);
}

TEST(GemmPlan, AmpereUsesMultistageCpAsync) {
  GemmPlan p = plan("8192x8192x8192", DType::kFp16, test::a100_sxm_80gb());
  EXPECT_EQ(p.mainloop, Mainloop::kMultistageCpAsync);
  EXPECT_EQ(p.bm * p.bn, 128u * 256);
  EXPECT_EQ(p.bk, 32u);
  EXPECT_GE(p.stages, 3u);
  EXPECT_LE(p.stages, 4u);
  EXPECT_EQ(p.threads_per_cta, 256u);
  EXPECT_EQ(p.cluster_size(), 1u);
}

TEST(GemmPlan, NeverExceedsTheChipAndCoversTheProblem) {
  for (const KernelTarget& t : {test::h100_sxm(), test::a100_sxm_80gb()})
    for (DType d : {DType::kTf32, DType::kBf16, DType::kFp16, DType::kFp8, DType::kInt8})
      for (const char* shape : kShapes) {
        if (t.tensor_rate(d) == 0) continue;
        expect_fits(plan(shape, d, t), t);
        if (parse_gemm_problem(shape, d).k >= 1024)
          expect_fits(plan(shape, d, t, {.split_k = 2}), t);
      }
}

TEST(GemmPlan, FewLongTilesSplitK) {
  GemmPlan p = plan("256x256x65536", DType::kBf16, test::h100_sxm());
  EXPECT_GT(p.split_k, 1u) << p.to_string();
  EXPECT_LE(p.ctas, 132u);
  // Plenty of tiles: no split.
  EXPECT_EQ(plan("8192x8192x65536", DType::kBf16, test::h100_sxm()).split_k, 1u);
}

TEST(GemmPlan, LaunchOrderIsABijectionThatKeepsClustersTogether) {
  for (const char* shape : {"1000x1999x777", "4097x31x129", "8192x8192x1024", "256x256x65536"}) {
    GemmPlan p = plan(shape, DType::kBf16, test::h100_sxm());
    std::set<std::tuple<std::uint64_t, std::uint64_t, std::uint32_t>> seen;
    for (std::uint64_t i = 0; i < p.ctas; ++i) {
      TileCoord c = p.tile_of(i);
      ASSERT_LT(c.m, p.tiles_m);
      ASSERT_LT(c.n, p.tiles_n);
      ASSERT_LT(c.split, p.split_k);
      seen.emplace(c.m, c.n, c.split);
      TileCoord leader = p.tile_of(i - i % p.cluster_size());
      EXPECT_EQ(c.m / p.cluster_m, leader.m / p.cluster_m);
      EXPECT_EQ(c.n / p.cluster_n, leader.n / p.cluster_n);
      EXPECT_EQ(c.split, leader.split);
    }
    EXPECT_EQ(seen.size(), p.ctas) << shape;
  }
}

TEST(GemmPlan, IsDeterministicAndExplainsItself) {
  GemmPlan a = plan("1000x1999x777", DType::kBf16, test::h100_sxm());
  GemmPlan b = plan("1000x1999x777", DType::kBf16, test::h100_sxm());
  EXPECT_EQ(a.to_string(), b.to_string());
  std::string text = a.to_string();
  EXPECT_NE(text.find(std::to_string(a.bm) + "x" + std::to_string(a.bn)), std::string::npos);
  EXPECT_NE(text.find("estimate"), std::string::npos);
  EXPECT_NE(text.find("runner-up"), std::string::npos);
}

TEST(GemmPlan, OptionsNarrowTheSearch) {
  GemmPlan p = plan("1000x1999x777", DType::kBf16, test::h100_sxm(),
                    {.bm = 64, .bn = 128, .split_k = 3, .allow_clusters = false});
  EXPECT_EQ(std::tie(p.bm, p.bn, p.split_k), std::make_tuple(64u, 128u, 3u));
  EXPECT_EQ(p.cluster_size(), 1u);
}

TEST(GemmPlan, RefusesWhatTheChipCannotDo) {
  EXPECT_THROW(plan("128x128x128", DType::kFp8, test::a100_sxm_80gb()), UserError);
  KernelTarget tiny = test::a100_sxm_80gb();
  tiny.max_smem_per_cta = 4096;
  tiny.smem_per_unit = 4096;
  try {
    plan("128x128x128", DType::kFp16, tiny);
    ADD_FAILURE();
  } catch (const UserError& e) {
    EXPECT_NE(std::string(e.what()).find("no tile"), std::string::npos) << e.what();
  }
  KernelTarget broken = test::h100_sxm();
  broken.memory_bandwidth = 0;
  EXPECT_THROW(plan("128x128x128", DType::kBf16, broken), UserError);
}
