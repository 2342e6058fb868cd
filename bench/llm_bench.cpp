// LLM speed targets (issue 6), host wall time per iteration:
//   BM_Llama2_70bDecodeStep  a Llama-2-70B decode step on hgx_h100_8x (TP8, batch 64, context
//                            4096, FP8): lowering, every distinct op simulated once, the
//                            all-reduces on the fabric; target <= 1 s
//   BM_CompareAllChips       `xpusim compare` of every chip config on llama3-70b-decode, chips
//                            side by side in child processes (CPUs available); target <= 10 s
#include <benchmark/benchmark.h>

#include <chrono>

#include "sim/config/chip_config.hpp"
#include "sim/llm/compare.hpp"
#include "sim/validate/child_pool.hpp"

namespace {

using namespace xpusim;

const std::filesystem::path kConfigs = XPUSIM_SOURCE_DIR "/configs";

void BM_Llama2_70bDecodeStep(benchmark::State& state) {
  llm::LlmWorkload w = llm::load_workload("llama3-70b-decode", llm::workloads_dir(kConfigs));
  w.model = llm::load_model("llama2-70b", llm::workloads_dir(kConfigs) / "models");
  w.name = "llama2-70b-decode";
  llm::check_workload(w);
  const config::ChipConfig chip = config::load_chip("h100_sxm", kConfigs);
  double wall = 0, step = 0;
  for (auto _ : state) {
    const auto t0 = std::chrono::steady_clock::now();
    const llm::LlmResult r = llm::evaluate_on(w, chip, "hgx_h100_8x", kConfigs, false);
    wall += std::chrono::duration<double>(std::chrono::steady_clock::now() - t0).count();
    step = r.time_s;
  }
  state.counters["wall_s"] = wall / static_cast<double>(state.iterations());
  state.counters["step_ms"] = step * 1e3;
}
BENCHMARK(BM_Llama2_70bDecodeStep)->Unit(benchmark::kMillisecond)->Iterations(1);

void BM_CompareAllChips(benchmark::State& state) {
  llm::CompareRequest req;
  req.chips = config::list_configs(kConfigs / "chips");
  req.workload = "llama3-70b-decode";
  req.jobs = validate::available_cpus();
  double wall = 0;
  std::size_t rows = 0;
  for (auto _ : state) {
    const auto t0 = std::chrono::steady_clock::now();
    const llm::Comparison c = llm::compare(req, kConfigs);
    wall += std::chrono::duration<double>(std::chrono::steady_clock::now() - t0).count();
    rows = c.rows.size();
  }
  state.counters["wall_s"] = wall / static_cast<double>(state.iterations());
  state.counters["chips"] = static_cast<double>(rows);
  state.counters["jobs"] = req.jobs;
}
BENCHMARK(BM_CompareAllChips)->Unit(benchmark::kMillisecond)->Iterations(1);

}  // namespace
