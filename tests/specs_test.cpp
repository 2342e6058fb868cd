// `specs` figures checked against ../shared/reference/chips.md, typed in here from that file.
#include <gtest/gtest.h>

#include <nlohmann/json.hpp>

#include "sim/config/chip_config.hpp"
#include "sim/config/system_config.hpp"
#include "sim/specs/chip_metrics.hpp"
#include "test_support.hpp"

using namespace xpusim;

namespace {

specs::ChipMetrics metrics(const std::string& chip) {
  return specs::compute_metrics(config::load_chip(chip, xpusim::testing::config_dir()));
}

double peak(const specs::ChipMetrics& m, DType d) {
  for (const auto& p : m.peaks)
    if (p.dtype == d) return p.derived_tflops;
  return 0;
}

std::string verdict(const specs::ChipMetrics& m, const std::string& rule) {
  for (const auto& r : m.export_rules)
    if (r.rule == rule) return r.verdict;
  return "";
}

TEST(Specs, H20MatchesChipsMd) {
  const auto m = metrics("h20");
  // chips.md: BF16 148, FP8 296, 96 GB at 4.0 TB/s, TPP 2368, PD 2.91.
  EXPECT_NEAR(peak(m, DType::kBf16), 148, 148 * 0.005);
  EXPECT_NEAR(peak(m, DType::kFp8), 296, 296 * 0.005);
  EXPECT_NEAR(m.memory_capacity_gb, 96, 0.5);
  EXPECT_NEAR(m.memory_bandwidth_tbs, 4.0, 0.04);
  EXPECT_NEAR(m.tpp, 2368, 2368 * 0.005);
  EXPECT_NEAR(m.pd, 2.91, 0.02);
  EXPECT_EQ(verdict(m, "oct2023"), "outside 3A090");
  EXPECT_EQ(verdict(m, "apr2025"), "caught");
  EXPECT_EQ(verdict(m, "oct2022"), "not controlled");
  EXPECT_TRUE(m.tpp_estimate) << "78 SM is an estimate (chips.md conflict 1)";
}

TEST(Specs, H100MatchesChipsMd) {
  const auto m = metrics("h100_sxm");
  // chips.md: BF16 989.4, FP8 1978.9, 3.35 TB/s, 900 GB/s NVLink, TPP 15831, PD 19.4.
  EXPECT_NEAR(peak(m, DType::kBf16), 989.4, 989.4 * 0.005);
  EXPECT_NEAR(peak(m, DType::kFp8), 1978.9, 1978.9 * 0.005);
  EXPECT_NEAR(m.memory_bandwidth_tbs, 3.35, 0.035);
  EXPECT_NEAR(m.scale_up_gbs, 900, 1);
  EXPECT_NEAR(m.tpp, 15831, 15831 * 0.005);
  EXPECT_NEAR(m.pd, 19.4, 0.1);
  EXPECT_EQ(verdict(m, "oct2023"), "3A090.a");
  EXPECT_EQ(verdict(m, "oct2022"), "controlled");
}

TEST(Specs, ExportTableOfChipsMd) {
  // chips.md export table: TPP, Oct 2022 and Oct 2023 classes.
  struct Row {
    const char* chip;
    double tpp;
    const char* oct2022;
    const char* oct2023;
  };
  const Row rows[] = {
      {"h800_sxm", 15831, "not controlled", "3A090.a"},
      {"h200_sxm", 15831, "controlled", "3A090.a"},
      {"a100_sxm_80gb", 4992, "controlled", "3A090.a"},
      {"a800_sxm", 4992, "not controlled", "3A090.a"},
      {"mi300x", 20918, "controlled", "3A090.a"},
      {"b200", 36000, nullptr, "3A090.a"},
      {"gaudi2", 6920, "controlled", "3A090.a"},
  };
  for (const Row& r : rows) {
    const auto m = metrics(r.chip);
    EXPECT_NEAR(m.tpp, r.tpp, r.tpp * 0.01) << r.chip;
    if (r.oct2022) {
      EXPECT_EQ(verdict(m, "oct2022"), r.oct2022) << r.chip;
    }
    EXPECT_EQ(verdict(m, "oct2023"), r.oct2023) << r.chip;
  }
}

TEST(Specs, DerivedPeakDifferingFromDatasheetShowsBoth) {
  // H100 FP64 tensor is quoted at 66.9 TF at the boost clock; 132 x 1.83 GHz x 256 gives 61.8.
  const auto m = metrics("h100_sxm");
  for (const auto& p : m.peaks) {
    if (p.dtype == DType::kFp64) {
      EXPECT_TRUE(p.differs);
      EXPECT_NEAR(p.datasheet_tflops, 66.9, 1e-9);
    }
    if (p.dtype == DType::kBf16) {
      EXPECT_FALSE(p.differs);
    }
  }
  const auto r = xpusim::testing::run_cli("specs h100_sxm");
  EXPECT_NE(r.out.find("(datasheet 66.9)"), std::string::npos) << r.out;
}

TEST(Specs, EveryShippedConfigLoads) {
  for (const auto& name : config::list_configs(xpusim::testing::config_dir() / "chips"))
    EXPECT_NO_THROW(metrics(name)) << name;
  for (const auto& name : config::list_configs(xpusim::testing::config_dir() / "systems"))
    EXPECT_NO_THROW(config::load_system(name, xpusim::testing::config_dir())) << name;
}

TEST(Specs, SystemsAggregate) {
  const auto nvl =
      specs::compute_metrics(config::load_system("gb200_nvl72", xpusim::testing::config_dir()));
  // chips.md: GB200 NVL72 180 PF BF16 dense, 576 TB/s HBM.
  EXPECT_NEAR(nvl.bf16_pflops, 180, 180 * 0.02);
  EXPECT_NEAR(nvl.memory_bandwidth_tbs, 576, 576 * 0.02);
  const auto cm =
      specs::compute_metrics(config::load_system("cloudmatrix384", xpusim::testing::config_dir()));
  // chips.md: 300 PF BF16 (conflict 7: ~289 PF in other sources), 1229 TB/s.
  EXPECT_NEAR(cm.bf16_pflops, 295, 10);
  EXPECT_NEAR(cm.memory_bandwidth_tbs, 1229, 1229 * 0.02);
  EXPECT_EQ(cm.devices, 384);
}

TEST(Specs, JsonAndCsvAreParseable) {
  const auto j = xpusim::testing::run_cli("specs h20 hgx_h100_8x --format json");
  ASSERT_EQ(j.status, 0) << j.err;
  const auto doc = nlohmann::json::parse(j.out);
  ASSERT_EQ(doc.size(), 2u);
  EXPECT_EQ(doc[0]["name"], "h20");
  EXPECT_EQ(doc[0]["export"]["oct2023"]["class"], "outside 3A090");
  EXPECT_EQ(doc[1]["kind"], "system");
  const auto c = xpusim::testing::run_cli("specs h20 h100_sxm --format csv");
  ASSERT_EQ(c.status, 0);
  EXPECT_EQ(std::count(c.out.begin(), c.out.end(), '\n'), 3);  // header + 2 rows
}

TEST(Specs, OutputIsDeterministic) {
  const auto a = xpusim::testing::run_cli("specs --format json");
  const auto b = xpusim::testing::run_cli("specs --format json");
  ASSERT_EQ(a.status, 0) << a.err;
  EXPECT_EQ(a.out, b.out);
}

}  // namespace
