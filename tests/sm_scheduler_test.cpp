// The SM model advances the streams of its resident CTAs in simulated-time order, and only the
// run-ahead of unit-local work depends on the temporal-decoupling quantum. So the quantum is a
// speed knob, not a model parameter: results must not move with it.
#include <gtest/gtest.h>

#include <cmath>
#include <string>

#include "sim/config/chip_config.hpp"
#include "sim/run/workload.hpp"
#include "tests/test_support.hpp"

using namespace xpusim;

namespace {

double latency_at_quantum(const run::BuiltWorkload& work, const config::ChipConfig& chip,
                          double quantum_ns) {
  platform::PlatformOptions options;
  options.quantum = static_cast<Picos>(quantum_ns * kPicosPerNs);
  return run::simulate(work, chip, options).latency_s;
}

// The same workload at quanta from well below one MMA (~280 ns for an FA3 consumer tile) to
// several of them gives the same latency.
void expect_quantum_independent(const run::WorkloadSpec& spec, const std::string& chip_name) {
  const auto chip = config::load_chip(chip_name, xpusim::testing::config_dir());
  const run::BuiltWorkload work = run::build_workload(spec, chip);
  const double reference = latency_at_quantum(work, chip, 250);
  for (double q : {50.0, 1000.0, 4000.0}) {
    SCOPED_TRACE("quantum " + std::to_string(q) + " ns");
    EXPECT_LT(std::abs(latency_at_quantum(work, chip, q) / reference - 1), 0.01);
  }
}

}  // namespace

// FA3 forward: a producer and two consumer streams share the tensor and SFU pipes, two waves.
TEST(SmScheduler, AttentionLatencyDoesNotDependOnTheQuantum) {
  expect_quantum_independent(
      run::attention_spec("batch=1,heads=16,kv_heads=16,head_dim=128,seq_q=2048,seq_kv=2048",
                          std::nullopt),
      "h100_sxm");
}

// GEMM with two CTAs per SM and several waves: CTAs are launched on units that still run one.
TEST(SmScheduler, GemmLatencyDoesNotDependOnTheQuantum) {
  expect_quantum_independent(run::gemm_spec("4096x4096x512", DType::kBf16), "h100_sxm");
}

// STREAM: many small single-stream CTAs per unit, HBM-bound.
TEST(SmScheduler, StreamLatencyDoesNotDependOnTheQuantum) {
  expect_quantum_independent(run::stream_spec("triad", DType::kFp64, 1u << 22), "h100_sxm");
}
