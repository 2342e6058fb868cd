#pragma once
// US export-control classification (ECCN 3A090 and the 2025-26 letters and rules) from the
// thresholds in ../shared/reference/chips.md. Each verdict carries the test that decided it.
#include <string>
#include <vector>

namespace xpusim::specs {

struct ExportInputs {
  double tpp = 0;       // TOPS x bit length, max over precisions, dense
  double pd = 0;        // TPP / applicable die area (mm2)
  double io_gbs = 0;    // bidirectional chip-to-chip bandwidth, GB/s
  double dram_gbs = 0;  // memory bandwidth, GB/s
};

struct RuleVerdict {
  std::string rule;     // "oct2022", "oct2023", "apr2025", "jan2026"
  std::string verdict;  // e.g. "3A090.a", "outside 3A090", "caught", "case-by-case"
  std::string reason;   // the threshold that decided it, with the figures
};

std::vector<RuleVerdict> classify_export(const ExportInputs& in);

}  // namespace xpusim::specs
