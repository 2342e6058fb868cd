// The whole simulator on the 8192^3 BF16 GEMM on h100_sxm, as `xpusim run --chip h100_sxm --gemm
// 8192x8192x8192` does it: plan and emit the trace, probe the power-limited clock on its first two
// waves, replay the whole trace at that clock. Counters (per iteration, host wall time):
//   wall_s            host seconds for build_workload + simulate
//   sim_events_per_s  SystemC delta cycles of the full replay per host second (a proxy: a delta
//                     cycle may run many processes or one)
//   ops_per_s         trace ops executed in the full replay (loops expanded) per host second
//   hbm_runs_per_s    HBM runs (a request's bursts to one row of one bank) per host second, the
//                     unit of work of the DRAM model
//   peak_rss_MB       the process's peak resident set so far (getrusage)
// BM_GemmTrace8192 times the trace emission alone.
#include <benchmark/benchmark.h>
#include <sys/resource.h>

#include <chrono>
#include <string>

#include "sim/config/chip_config.hpp"
#include "sim/run/workload.hpp"
#include "sim/trace/trace_stats.hpp"

namespace {

using namespace xpusim;

const config::ChipConfig& h100() {
  static const config::ChipConfig chip =
      config::load_chip("h100_sxm", XPUSIM_SOURCE_DIR "/configs");
  return chip;
}

double peak_rss_mb() {
  rusage usage{};
  getrusage(RUSAGE_SELF, &usage);
  return static_cast<double>(usage.ru_maxrss) / 1024.0;  // ru_maxrss is in KiB on Linux
}

void BM_Gemm8192(benchmark::State& state) {
  const config::ChipConfig& chip = h100();
  const run::WorkloadSpec spec = run::gemm_spec("8192x8192x8192", DType::kBf16);
  double wall = 0, events = 0, ops = 0, hbm_runs = 0;
  for (auto _ : state) {
    const auto t0 = std::chrono::steady_clock::now();
    const run::BuiltWorkload work = run::build_workload(spec, chip);
    const run::RunReport rep = run::simulate(work, chip);
    wall += std::chrono::duration<double>(std::chrono::steady_clock::now() - t0).count();
    events += static_cast<double>(rep.raw.simulated_events);
    ops += static_cast<double>(rep.raw.totals.ops_executed);
    const hbm::HbmStats& h = rep.raw.hbm;
    hbm_runs += static_cast<double>(h.row_hits + h.row_misses + h.row_conflicts);
    benchmark::DoNotOptimize(rep.tflops);
  }
  const double n = static_cast<double>(state.iterations());
  state.counters["wall_s"] = wall / n;
  state.counters["sim_events_per_s"] = events / wall;
  state.counters["ops_per_s"] = ops / wall;
  state.counters["hbm_runs_per_s"] = hbm_runs / wall;
  state.counters["peak_rss_MB"] = peak_rss_mb();
}
BENCHMARK(BM_Gemm8192)->Unit(benchmark::kMillisecond)->UseRealTime()->Iterations(3);

void BM_GemmTrace8192(benchmark::State& state) {
  const config::ChipConfig& chip = h100();
  const run::WorkloadSpec spec = run::gemm_spec("8192x8192x8192", DType::kBf16);
  for (auto _ : state) {
    const run::BuiltWorkload work = run::build_workload(spec, chip);
    benchmark::DoNotOptimize(work.trace.kernels.size());
  }
}
BENCHMARK(BM_GemmTrace8192)->Unit(benchmark::kMillisecond)->UseRealTime();

}  // namespace
