// Classes from the table in ../shared/reference/chips.md ("US export-control metrics"), typed in
// here from that file: TPP, PD and I/O per chip and the class the rule gives.
#include <gtest/gtest.h>

#include "sim/specs/export_rules.hpp"

using namespace xpusim::specs;

namespace {

std::string verdict(const ExportInputs& in, const std::string& rule) {
  for (const auto& v : classify_export(in))
    if (v.rule == rule) return v.verdict;
  return "";
}

TEST(ExportRules, ChipsMdTable) {
  // chip: TPP, PD, bidirectional I/O GB/s, DRAM GB/s
  const ExportInputs h100{15831, 19.4, 900, 3350};
  const ExportInputs h800{15831, 19.4, 400, 3350};
  const ExportInputs h20{2368, 2.91, 900, 4000};
  const ExportInputs a100{4992, 6.04, 600, 2039};
  const ExportInputs a800{4992, 6.04, 400, 2039};
  const ExportInputs gaudi2{6920, 0, 600, 2460};
  EXPECT_EQ(verdict(h100, "oct2022"), "controlled");
  EXPECT_EQ(verdict(h800, "oct2022"), "not controlled");
  EXPECT_EQ(verdict(h20, "oct2022"), "not controlled");
  EXPECT_EQ(verdict(a100, "oct2022"), "controlled");
  EXPECT_EQ(verdict(a800, "oct2022"), "not controlled");
  EXPECT_EQ(verdict(gaudi2, "oct2022"), "controlled");  // exactly 600 GB/s
  EXPECT_EQ(verdict(h100, "oct2023"), "3A090.a");
  EXPECT_EQ(verdict(h800, "oct2023"), "3A090.a");
  EXPECT_EQ(verdict(a800, "oct2023"), "3A090.a");
  EXPECT_EQ(verdict(h20, "oct2023"), "outside 3A090");
  EXPECT_EQ(verdict(h20, "apr2025"), "caught");  // 4.0 TB/s >= 1.4
}

TEST(ExportRules, Oct2023Boundaries) {
  EXPECT_EQ(verdict({4800, 1, 0, 0}, "oct2023"), "3A090.a");
  EXPECT_EQ(verdict({4799, 1.5, 0, 0}, "oct2023"), "outside 3A090");
  EXPECT_EQ(verdict({1600, 5.92, 0, 0}, "oct2023"), "3A090.a");
  EXPECT_EQ(verdict({2400, 1.6, 0, 0}, "oct2023"), "3A090.b");
  EXPECT_EQ(verdict({1600, 3.2, 0, 0}, "oct2023"), "3A090.b");
  EXPECT_EQ(verdict({1599, 10, 0, 0}, "oct2023"), "outside 3A090");
  EXPECT_EQ(verdict({2399, 3.19, 0, 0}, "oct2023"), "outside 3A090");
}

TEST(ExportRules, Apr2025AndJan2026Triggers) {
  EXPECT_EQ(verdict({0, 0, 0, 1400}, "apr2025"), "caught");
  EXPECT_EQ(verdict({0, 0, 1100, 0}, "apr2025"), "caught");
  EXPECT_EQ(verdict({0, 0, 800, 900}, "apr2025"), "caught");  // sum 1700
  EXPECT_EQ(verdict({0, 0, 800, 899}, "apr2025"), "not caught");
  EXPECT_EQ(verdict({20999, 0, 0, 6499}, "jan2026"), "case-by-case");
  EXPECT_EQ(verdict({21000, 0, 0, 100}, "jan2026"), "above case-by-case");
  EXPECT_EQ(verdict({100, 0, 0, 6500}, "jan2026"), "above case-by-case");
}

TEST(ExportRules, ReasonNamesTheDecidingThreshold) {
  for (const auto& v : classify_export({2368, 2.91, 900, 4000})) {
    if (v.rule == "oct2023") {
      EXPECT_NE(v.reason.find("2400"), std::string::npos) << v.reason;
    }
    if (v.rule == "apr2025") {
      EXPECT_NE(v.reason.find("1400"), std::string::npos) << v.reason;
    }
  }
}

}  // namespace
