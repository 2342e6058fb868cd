// One FlashAttention-3 forward pass through the whole simulator, as `xpusim run --chip h100_sxm
// --attention batch=1,heads=16,head_dim=128,seq_q=16384,seq_kv=16384` does it: plan and emit the
// trace, probe the power-limited clock on its first two waves, replay the whole trace at that
// clock. Target (issue 4): <= 0.5 s host wall time. Counters per iteration:
//   wall_s     host seconds for build_workload + simulate
//   ops_per_s  trace ops executed in the full replay (loops expanded) per host second
// BM_AttentionTrace16k times the plan and trace emission alone.
#include <benchmark/benchmark.h>

#include <chrono>

#include "sim/config/chip_config.hpp"
#include "sim/run/workload.hpp"

namespace {

using namespace xpusim;

constexpr const char* kForward16k =
    "batch=1,heads=16,kv_heads=16,head_dim=128,seq_q=16384,seq_kv=16384,causal=0,pass=fwd";

const config::ChipConfig& h100() {
  static const config::ChipConfig chip =
      config::load_chip("h100_sxm", XPUSIM_SOURCE_DIR "/configs");
  return chip;
}

void BM_AttentionForward16k(benchmark::State& state) {
  const config::ChipConfig& chip = h100();
  const run::WorkloadSpec spec = run::attention_spec(kForward16k, std::nullopt);
  double wall = 0, ops = 0;
  for (auto _ : state) {
    const auto t0 = std::chrono::steady_clock::now();
    const run::BuiltWorkload work = run::build_workload(spec, chip);
    const run::RunReport rep = run::simulate(work, chip);
    wall += std::chrono::duration<double>(std::chrono::steady_clock::now() - t0).count();
    ops += static_cast<double>(rep.raw.totals.ops_executed);
    benchmark::DoNotOptimize(rep.tflops);
  }
  state.counters["wall_s"] = wall / static_cast<double>(state.iterations());
  state.counters["ops_per_s"] = ops / wall;
}
BENCHMARK(BM_AttentionForward16k)->Unit(benchmark::kMillisecond)->UseRealTime()->Iterations(3);

void BM_AttentionTrace16k(benchmark::State& state) {
  const config::ChipConfig& chip = h100();
  const run::WorkloadSpec spec = run::attention_spec(kForward16k, std::nullopt);
  for (auto _ : state) {
    const run::BuiltWorkload work = run::build_workload(spec, chip);
    benchmark::DoNotOptimize(work.trace.kernels.size());
  }
}
BENCHMARK(BM_AttentionTrace16k)->Unit(benchmark::kMillisecond)->UseRealTime();

}  // namespace
