#pragma once
// The figures `xpusim specs` prints, derived from a chip's structure (never typed twice).
#include <optional>
#include <string>
#include <vector>

#include "sim/config/chip_config.hpp"
#include "sim/config/system_config.hpp"
#include "sim/specs/export_rules.hpp"

namespace xpusim::specs {

struct PeakFigure {
  DType dtype;
  double derived_tflops = 0;
  double datasheet_tflops = 0;  // 0 when not published
  bool differs = false;         // derived and datasheet differ by more than 2%
  bool estimate = false;        // an input is marked as an estimate
};

struct ChipMetrics {
  std::string name, display_name;
  std::vector<PeakFigure> peaks;  // dtypes the chip supports
  double memory_capacity_gb = 0;
  double memory_bandwidth_tbs = 0;
  double datasheet_memory_bandwidth_tbs = 0;
  bool memory_bandwidth_differs = false;
  double scale_up_gbs = 0;          // bidirectional
  double machine_balance_bf16 = 0;  // FLOP per byte of memory traffic
  double tpp = 0;
  std::string tpp_dtype;
  double pd = 0;
  std::vector<RuleVerdict> export_rules;
  // Key paths of estimated inputs behind the figures above, with their notes.
  std::vector<std::pair<std::string, std::string>> estimates;
  bool tpp_estimate = false, pd_estimate = false, memory_estimate = false,
       scale_up_estimate = false;
};

ChipMetrics compute_metrics(const config::ChipConfig& chip);

struct SystemMetrics {
  std::string name, display_name, chip;
  int devices = 0;
  double bf16_pflops = 0, fp8_pflops = 0;
  double memory_tb = 0, memory_bandwidth_tbs = 0;
  double scale_up_tbs = 0;  // sum of per-device bidirectional scale-up bandwidth
  std::string topology;
  double power_kw = 0;
};

SystemMetrics compute_metrics(const config::SystemConfig& sys);

}  // namespace xpusim::specs
