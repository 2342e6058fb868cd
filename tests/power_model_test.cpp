// The power-limited clock: heavy tensor load drops the clock to fit the TDP; light load does not.
#include <gtest/gtest.h>

#include "sim/config/chip_config.hpp"
#include "sim/run/workload.hpp"
#include "test_support.hpp"

using namespace xpusim;

namespace {

run::RunReport gemm(const std::string& chip, const std::string& shape, DType d,
                    const std::vector<std::string>& sets = {}) {
  const auto c = config::load_chip(chip, xpusim::testing::config_dir(), sets);
  return run::simulate(run::build_workload(run::gemm_spec(shape, d), c), c);
}

TEST(PowerModel, HeavyTensorLoadIsPowerLimited) {
  const auto r = gemm("h100_sxm", "4096x4096x4096", DType::kBf16);
  ASSERT_TRUE(r.power.modelled);
  EXPECT_TRUE(r.power.limited);
  EXPECT_LT(r.power.clock_hz, r.power.max_clock_hz);
  EXPECT_GT(r.power.unlimited_w, 700);
  EXPECT_NEAR(r.power.power_w, 700, 1e-6);  // the clock is chosen so that power equals the TDP
  // Dynamic power ~ f^3: the tensor share at the chosen clock is the TDP's remainder.
  const double ratio = r.power.clock_hz / r.power.max_clock_hz;
  EXPECT_NEAR(r.power.idle_w + r.power.dram_w + r.power.tensor_w * ratio * ratio * ratio, 700,
              1e-6);
}

TEST(PowerModel, LightLoadKeepsTheClock) {
  const auto r = gemm("h100_sxm", "64x4096x4096", DType::kBf16);  // HBM-bound, tensor mostly idle
  EXPECT_FALSE(r.power.limited);
  EXPECT_EQ(r.power.clock_hz, r.power.max_clock_hz);
  EXPECT_LT(r.power.power_w, 700);
}

TEST(PowerModel, Fp8ThrottlesMoreThanBf16AndAHigherTdpHelps) {
  const auto bf16 = gemm("h100_sxm", "4096x4096x4096", DType::kBf16);
  const auto fp8 = gemm("h100_sxm", "4096x4096x4096", DType::kFp8);
  EXPECT_LT(fp8.power.clock_hz, bf16.power.clock_hz);  // twice the FLOPs per clock
  const auto hot = gemm("h100_sxm", "4096x4096x4096", DType::kFp8, {"tdp=1000 W"});
  EXPECT_GT(hot.power.clock_hz, fp8.power.clock_hz);
  EXPECT_GT(hot.tflops, fp8.tflops);
}

TEST(PowerModel, NoPowerParametersMeansNoLimit) {
  const auto r = gemm("h100_sxm", "4096x4096x4096", DType::kBf16,
                      {"power.tensor_pj_per_flop.bf16=0", "power.tensor_pj_per_flop.fp16=0",
                       "power.tensor_pj_per_flop.tf32=0", "power.tensor_pj_per_flop.fp8=0",
                       "power.tensor_pj_per_flop.int8=0"});
  EXPECT_FALSE(r.power.modelled);
  EXPECT_EQ(r.power.clock_hz, r.power.max_clock_hz);
}

}  // namespace
