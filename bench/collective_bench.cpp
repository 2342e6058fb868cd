// A 1 GiB all-reduce on the two big scale-up domains (issue target: <= 5 s host time each).
// Counters per iteration: wall_s (host seconds), busbw_GBps (simulated), ops and messages (the
// simulator's units of work, which stay bounded because chunks, not bytes, are simulated).
#include <benchmark/benchmark.h>

#include <chrono>
#include <string>

#include "sim/config/system_config.hpp"
#include "workloads/collective/collective.hpp"

namespace {

using namespace xpusim;

void BM_AllReduce1GiB(benchmark::State& state, const std::string& system_name) {
  const config::SystemConfig system =
      config::load_system(system_name, XPUSIM_SOURCE_DIR "/configs");
  collective::CollectiveRequest request;
  request.op = collective::CollectiveOp::kAllReduce;
  request.bytes = 1ull << 30;
  double wall = 0, busbw = 0, ops = 0, messages = 0;
  for (auto _ : state) {
    const auto t0 = std::chrono::steady_clock::now();
    const collective::CollectiveResult r = collective::simulate_collective(system, request);
    wall += std::chrono::duration<double>(std::chrono::steady_clock::now() - t0).count();
    busbw += r.busbw;
    ops += static_cast<double>(r.ops);
    messages += static_cast<double>(r.messages);
  }
  const double n = static_cast<double>(state.iterations());
  state.counters["wall_s"] = wall / n;
  state.counters["busbw_GBps"] = busbw / n / 1e9;
  state.counters["ops"] = ops / n;
  state.counters["messages"] = messages / n;
}
BENCHMARK_CAPTURE(BM_AllReduce1GiB, gb200_nvl72, std::string("gb200_nvl72"))
    ->Unit(benchmark::kMillisecond)
    ->UseRealTime()
    ->Iterations(3);
BENCHMARK_CAPTURE(BM_AllReduce1GiB, cloudmatrix384, std::string("cloudmatrix384"))
    ->Unit(benchmark::kMillisecond)
    ->UseRealTime()
    ->Iterations(3);

}  // namespace
