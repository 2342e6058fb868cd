#pragma once
// What `xpusim run` reports for one replay: latency, throughput, achieved bandwidth per level,
// utilisation per unit, waves, and the bottleneck with the evidence that names it.
#include <nlohmann/json.hpp>
#include <string>
#include <vector>

#include "models/platform/platform.hpp"
#include "sim/run/power_model.hpp"

namespace xpusim::run {

struct Utilisation {
  std::string unit;  // "tensor", "vector", "sfu", "l2", "hbm"
  double fraction = 0;
};

struct RunReport {
  std::string chip;
  std::string workload;      // e.g. "gemm 8192x8192x8192 bf16"
  double latency_s = 0;      // launch to end of the last kernel
  double kernel_s = 0;       // first CTA to last CTA end, summed over kernels
  double launch_s = 0;       // launch overheads
  double flops = 0;          // useful work of the workload
  double counted_bytes = 0;  // bytes the benchmark counts (STREAM), 0 otherwise
  double tflops = 0;         // flops / latency
  double hbm_bytes = 0, l2_bytes = 0;
  double hbm_bw = 0, l2_bw = 0;  // achieved, bytes/s over kernel time
  double hbm_peak = 0;
  std::vector<Utilisation> utilisation;
  std::uint64_t ctas = 0;
  int ctas_per_unit = 0;
  double waves = 0;
  double unit_occupancy = 0;  // mean fraction of units holding a CTA over kernel time
  double l2_hit_rate = 0;
  std::string bottleneck;
  std::string evidence;
  std::string hbm_where_peak_went;
  PowerEstimate power;  // the operating point the run used
  platform::RunResult raw;

  double utilisation_of(const std::string& unit) const;
  nlohmann::ordered_json to_json() const;
};

// `flops` is the workload's useful work (2*M*N*K for a GEMM); 0 takes the trace's MMA FLOPs.
RunReport make_report(const platform::RunResult& r, const std::string& workload, double flops);

std::string to_table(const RunReport& r);

}  // namespace xpusim::run
