#include <gtest/gtest.h>

#include <set>

#include "sim/common/error.hpp"
#include "sim/config/chip_config.hpp"
#include "sim/config/system_config.hpp"
#include "test_support.hpp"

using namespace xpusim;
using xpusim::testing::TempDir;

namespace {

const std::string kH100 =
    xpusim::testing::read_file(xpusim::testing::config_dir() / "chips/h100_sxm.yaml");

TEST(ConfigLoad, H100ExemplarCarriesChipsMdFigures) {
  const auto c = config::load_chip("h100_sxm", xpusim::testing::config_dir());
  // chips.md: 132 SM, 50 MB L2, 80 GB HBM3, 5 stacks, 228 KB smem, 700 W, 814 mm2.
  EXPECT_EQ(c.compute.units, 132);
  EXPECT_DOUBLE_EQ(c.l2.size, 50e6);
  EXPECT_DOUBLE_EQ(c.memory.capacity, 80e9);
  EXPECT_EQ(c.memory.stacks, 5);
  EXPECT_EQ(c.compute.smem_per_unit, 228u * 1024);
  EXPECT_DOUBLE_EQ(c.tdp_w, 700);
  EXPECT_DOUBLE_EQ(c.die_area_mm2, 814);
  // 5120-bit bus at 5.23 Gb/s per pin.
  EXPECT_NEAR(c.memory.peak_bandwidth(), 5120 * 5.23e9 / 8, 1e6);
  // Timing in cycles resolves with memory.clock: tCCD_S = 2 cycles of 1.3075 GHz.
  EXPECT_NEAR(c.memory.timing.tCCD_S, 2 / 1.3075e9, 1e-15);
}

TEST(ConfigLoad, BaseInheritanceWithOverrides) {
  TempDir dir;
  dir.write("chips/h100_sxm.yaml", kH100);
  dir.write("chips/child.yaml",
            "name: child\ndisplay_name: Child\nbase: h100_sxm\ncompute:\n  units: 114\n"
            "memory:\n  capacity: {value: 96 GB, estimate: \"test\"}\n");
  const auto c = config::load_chip("child", dir.path());
  EXPECT_EQ(c.name, "child");
  EXPECT_EQ(c.compute.units, 114);            // overridden
  EXPECT_DOUBLE_EQ(c.compute.clock, 1.83e9);  // inherited
  EXPECT_DOUBLE_EQ(c.memory.capacity, 96e9);  // overridden as an estimate
  EXPECT_TRUE(c.is_estimate("memory.capacity"));
  EXPECT_TRUE(c.is_estimate("l2.bandwidth"));  // inherited estimate
  EXPECT_FALSE(c.is_estimate("compute.units"));
}

TEST(ConfigLoad, ChildMustNameItself) {
  TempDir dir;
  dir.write("chips/h100_sxm.yaml", kH100);
  dir.write("chips/child.yaml", "base: h100_sxm\n");
  EXPECT_THROW(config::load_chip("child", dir.path()), UserError);
}

TEST(ConfigLoad, SetOverridesWinOverFiles) {
  const auto c = config::load_chip("h100_sxm", xpusim::testing::config_dir(),
                                   {"compute.units=114", "memory.data_rate=6.4 Gb/s"});
  EXPECT_EQ(c.compute.units, 114);
  EXPECT_DOUBLE_EQ(c.memory.data_rate, 0.8e9);
  // Peaks follow the structure: 114 SM x 1.83 GHz x 4096 FLOP/clk.
  EXPECT_NEAR(c.peak_flops(DType::kBf16), 114 * 1.83e9 * 4096, 1e6);
}

TEST(ConfigLoad, SustainedClockDefaultsToClock) {
  TempDir dir;
  std::string text = kH100;
  const auto pos = text.find("  sustained_clock:");
  text.erase(pos, text.find('\n', pos) - pos + 1);
  dir.write("chips/h100_sxm.yaml", text);
  const auto c = config::load_chip("h100_sxm", dir.path());
  EXPECT_DOUBLE_EQ(c.compute.sustained_clock, c.compute.clock);
}

TEST(ConfigLoad, LoadingTwiceGivesTheSameConfig) {
  const auto a = config::load_chip("h100_sxm", xpusim::testing::config_dir());
  const auto b = config::load_chip("h100_sxm", xpusim::testing::config_dir());
  EXPECT_EQ(a.estimates, b.estimates);
  EXPECT_EQ(a.memory.peak_bandwidth(), b.memory.peak_bandwidth());
  EXPECT_EQ(a.compute.tensor_flops_per_clock, b.compute.tensor_flops_per_clock);
}

TEST(Registry, EveryParameterHasTypeDescriptionAndDefaultOrRequired) {
  std::set<std::string> seen;
  for (const auto& b : config::chip_bindings()) {
    EXPECT_TRUE(seen.insert(b.spec.path).second) << "registered twice: " << b.spec.path;
    EXPECT_FALSE(b.spec.description.empty()) << b.spec.path;
    if (b.spec.path != "base") {
      EXPECT_TRUE(static_cast<bool>(b.store)) << b.spec.path;
    }
  }
  EXPECT_GT(seen.size(), 80u);
}

TEST(Registry, DescribeListsEveryParameterWithUnitAndRange) {
  const auto r = xpusim::testing::run_cli("describe --format json");
  ASSERT_EQ(r.status, 0) << r.err;
  for (const auto& b : config::chip_bindings())
    EXPECT_NE(r.out.find("\"" + b.spec.path + "\""), std::string::npos) << b.spec.path;
  for (const auto& b : config::system_bindings())
    EXPECT_NE(r.out.find("\"" + b.spec.path + "\""), std::string::npos) << b.spec.path;
  const auto timing = xpusim::testing::run_cli("describe memory.timing");
  EXPECT_EQ(timing.status, 0);
  EXPECT_NE(timing.out.find("memory.timing.tRCD_rd"), std::string::npos);
  EXPECT_NE(timing.out.find("time or cycles of memory.clock"), std::string::npos);
  EXPECT_EQ(timing.out.find("compute.units"), std::string::npos);
  const auto bad = xpusim::testing::run_cli("describe nosuchthing");
  EXPECT_EQ(bad.status, 2);
  EXPECT_TRUE(bad.out.empty());
}

}  // namespace
