#pragma once
// The workloads `run`, `trace record` and `validate` build: what the user asked for, turned into
// a trace by the functional core's planner for a given chip.
#include <cstdint>
#include <optional>
#include <string>

#include "models/platform/platform.hpp"
#include "sim/config/chip_config.hpp"
#include "sim/run/run_report.hpp"
#include "sim/run/workload_spec.hpp"
#include "sim/trace/trace.hpp"
#include "workloads/attention/attention_plan.hpp"
#include "workloads/gemm/gemm_plan.hpp"
#include "workloads/stream/stream_trace.hpp"

namespace xpusim::run {

struct BuiltWorkload {
  trace::Trace trace;
  std::string description;  // "gemm 8192x8192x8192 bf16"
  std::string plan;         // the planner's explanation
  double flops = 0;         // useful work (GEMM)
  double bytes = 0;         // bytes the benchmark counts as moved (STREAM)
  std::optional<gemm::GemmPlan> gemm_plan;
  std::optional<attention::AttentionPlan> attention_plan;
};

BuiltWorkload build_workload(const WorkloadSpec& spec, const config::ChipConfig& chip);

// Builds, replays on a fresh platform and reports.
RunReport simulate(const BuiltWorkload& work, const config::ChipConfig& chip,
                   const platform::PlatformOptions& options = {});

}  // namespace xpusim::run
