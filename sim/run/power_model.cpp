#include "sim/run/power_model.hpp"

#include "sim/trace/trace_stats.hpp"

#include <algorithm>
#include <cmath>

namespace xpusim::run {

trace::Trace trace_prefix(const trace::Trace& trace, const config::ChipConfig& chip, double waves) {
  const sm::SmParams p = platform::sm_params_from(chip, 1);
  trace::Trace out;
  out.version = trace.version;
  out.family = trace.family;
  out.recorded_for = trace.recorded_for;
  out.description = trace.description;
  out.tensors = trace.tensors;
  for (const auto& k : trace.kernels) {
    const int per_unit = std::max(1, sm::ctas_per_unit(p, sm::footprint(k)));
    const auto keep = static_cast<std::size_t>(std::ceil(waves * chip.compute.units * per_unit));
    trace::Kernel& copy = out.kernels.emplace_back();
    copy.name = k.name;
    copy.threads_per_cta = k.threads_per_cta;
    copy.smem_bytes_per_cta = k.smem_bytes_per_cta;
    copy.registers_per_thread = k.registers_per_thread;
    copy.cluster_size = k.cluster_size;
    copy.num_stages = k.num_stages;
    // Only the CTAs kept are copied: a large grid's trace is tens of MB.
    copy.ctas.assign(k.ctas.begin(), k.ctas.begin() + std::min(keep, k.ctas.size()));
  }
  return out;
}

PowerEstimate solve_clock(const platform::RunResult& run, const trace::Trace& simulated,
                          const config::ChipConfig& chip) {
  PowerEstimate e;
  e.max_clock_hz = e.clock_hz = chip.compute.sustained_clock;
  if (!chip.power.enabled() || run.total == 0) return e;
  e.modelled = true;
  const double seconds = picos_to_seconds(run.total);
  const auto flops = trace::summarize(simulated).mma_flops_by_dtype;
  double joules = 0;
  for (std::size_t d = 0; d < flops.size(); ++d)
    joules += flops[d] * chip.power.tensor_pj_per_flop[d] * 1e-12;
  e.idle_w = chip.power.idle_w;
  e.tensor_w = joules / seconds;
  e.dram_w = static_cast<double>(run.hbm.bytes_read + run.hbm.bytes_written) *
             chip.power.dram_pj_per_byte * 1e-12 / seconds;
  e.unlimited_w = e.idle_w + e.tensor_w + e.dram_w;
  e.power_w = e.unlimited_w;
  if (e.unlimited_w <= chip.tdp_w || e.tensor_w <= 0) return e;
  // idle + dram + tensor * (f / f_max)^3 = TDP; the clock never drops below a third.
  const double room = std::max(chip.tdp_w - e.idle_w - e.dram_w, 0.0);
  const double ratio = std::clamp(std::cbrt(room / e.tensor_w), 1.0 / 3.0, 1.0);
  e.limited = true;
  e.clock_hz = e.max_clock_hz * ratio;
  e.power_w = e.idle_w + e.dram_w + e.tensor_w * ratio * ratio * ratio;
  return e;
}

}  // namespace xpusim::run
