#include "sim/specs/chip_metrics.hpp"

#include <fmt/format.h>
#include <cmath>

namespace xpusim::specs {

ChipMetrics compute_metrics(const config::ChipConfig& c) {
  ChipMetrics m;
  m.name = c.name;
  m.display_name = c.display_name;
  auto est = [&](std::initializer_list<std::string> keys) {
    bool any = false;
    for (const std::string& k : keys) any |= c.is_estimate(k);
    return any;
  };
  const bool core_estimate = est({"compute.units", "compute.clock"});
  for (DType d : kAllDTypes) {
    PeakFigure p{d};
    p.derived_tflops = c.peak_flops(d) / 1e12;
    p.datasheet_tflops = c.datasheet.tflops[static_cast<int>(d)];
    if (p.derived_tflops <= 0 && p.datasheet_tflops <= 0) continue;
    p.differs = p.datasheet_tflops > 0 &&
                std::fabs(p.derived_tflops - p.datasheet_tflops) > 0.02 * p.datasheet_tflops;
    p.estimate = core_estimate ||
                 c.is_estimate(fmt::format("compute.tensor_flops_per_clock.{}", dtype_name(d)));
    m.peaks.push_back(p);
    // TPP = 2 x MacTOPS x bit length = TOPS x bits, the maximum over precisions [S29].
    const double tpp = p.derived_tflops * dtype_bits(d);
    if (tpp > m.tpp) {
      m.tpp = tpp;
      m.tpp_dtype = std::string(dtype_name(d));
      m.tpp_estimate = p.estimate;
    }
  }
  m.pd = c.die_area_mm2 > 0 ? m.tpp / c.die_area_mm2 : 0;
  m.pd_estimate = m.tpp_estimate || c.is_estimate("die_area");
  m.memory_capacity_gb = c.memory.capacity / 1e9;
  m.memory_bandwidth_tbs = c.memory.peak_bandwidth() / 1e12;
  m.datasheet_memory_bandwidth_tbs = c.datasheet.memory_bandwidth / 1e12;
  m.memory_bandwidth_differs =
      m.datasheet_memory_bandwidth_tbs > 0 &&
      std::fabs(m.memory_bandwidth_tbs - m.datasheet_memory_bandwidth_tbs) >
          0.02 * m.datasheet_memory_bandwidth_tbs;
  m.memory_estimate =
      est({"memory.stacks", "memory.channels_per_stack", "memory.data_rate",
           "memory.pseudo_channel_width", "memory.pseudo_channels_per_channel", "memory.capacity"});
  m.scale_up_gbs = c.scale_up.bidirectional_bandwidth() / 1e9;
  m.scale_up_estimate = est({"scale_up.links", "scale_up.link_bandwidth"});
  const double bf16 = c.peak_flops(DType::kBf16);
  m.machine_balance_bf16 = c.memory.peak_bandwidth() > 0 ? bf16 / c.memory.peak_bandwidth() : 0;
  m.export_rules =
      classify_export(ExportInputs{m.tpp, m.pd, m.scale_up_gbs, m.memory_bandwidth_tbs * 1000});
  for (const auto& [k, note] : c.estimates) m.estimates.emplace_back(k, note);
  return m;
}

SystemMetrics compute_metrics(const config::SystemConfig& s) {
  SystemMetrics m;
  m.name = s.name;
  m.display_name = s.display_name;
  m.chip = s.chip.name;
  m.devices = s.devices;
  m.topology = s.topology;
  m.bf16_pflops = s.devices * s.chip.peak_flops(DType::kBf16) / 1e15;
  m.fp8_pflops = s.devices * s.chip.peak_flops(DType::kFp8) / 1e15;
  m.memory_tb = s.devices * s.chip.memory.capacity / 1e12;
  m.memory_bandwidth_tbs = s.devices * s.chip.memory.peak_bandwidth() / 1e12;
  m.scale_up_tbs = s.devices * s.chip.scale_up.bidirectional_bandwidth() / 1e12;
  m.power_kw = s.power_w / 1e3;
  return m;
}

}  // namespace xpusim::specs
