// What --timeline costs on the 8192^3 BF16 GEMM on h100_sxm (the workload of sim_bench.cpp):
//   BM_Gemm8192NoTimeline    simulate() as `xpusim run` does it without --timeline
//   BM_Gemm8192Timeline      the same with a Recorder attached, plus writing the file
// Counters: wall_s (host seconds per iteration, the trace built outside the timed loop),
// file_MB and events of the written timeline.
#include <benchmark/benchmark.h>

#include <chrono>
#include <filesystem>
#include <string>

#include "sim/config/chip_config.hpp"
#include "sim/run/workload.hpp"
#include "sim/timeline/recorder.hpp"

namespace {

using namespace xpusim;

const run::BuiltWorkload& gemm8192(const config::ChipConfig& chip) {
  static const run::BuiltWorkload work =
      run::build_workload(run::gemm_spec("8192x8192x8192", DType::kBf16), chip);
  return work;
}

const config::ChipConfig& h100() {
  static const config::ChipConfig chip =
      config::load_chip("h100_sxm", XPUSIM_SOURCE_DIR "/configs");
  return chip;
}

void BM_Gemm8192NoTimeline(benchmark::State& state) {
  const auto& work = gemm8192(h100());
  double wall = 0;
  for (auto _ : state) {
    const auto t0 = std::chrono::steady_clock::now();
    benchmark::DoNotOptimize(run::simulate(work, h100()));
    wall += std::chrono::duration<double>(std::chrono::steady_clock::now() - t0).count();
  }
  state.counters["wall_s"] = wall / static_cast<double>(state.iterations());
}

void BM_Gemm8192Timeline(benchmark::State& state) {
  const auto& work = gemm8192(h100());
  const auto path = std::filesystem::temp_directory_path() / "xpusim-timeline-bench.json";
  double wall = 0;
  timeline::WriteSummary written;
  for (auto _ : state) {
    const auto t0 = std::chrono::steady_clock::now();
    timeline::Recorder recorder;
    platform::PlatformOptions options;
    options.timeline = &recorder;
    benchmark::DoNotOptimize(run::simulate(work, h100(), options));
    written = recorder.write(path.string());
    wall += std::chrono::duration<double>(std::chrono::steady_clock::now() - t0).count();
  }
  std::filesystem::remove(path);
  state.counters["wall_s"] = wall / static_cast<double>(state.iterations());
  state.counters["file_MB"] = static_cast<double>(written.bytes) / 1e6;
  state.counters["events"] = static_cast<double>(written.events);
}

BENCHMARK(BM_Gemm8192NoTimeline)->Unit(benchmark::kMillisecond)->Iterations(3);
BENCHMARK(BM_Gemm8192Timeline)->Unit(benchmark::kMillisecond)->Iterations(3);

}  // namespace
