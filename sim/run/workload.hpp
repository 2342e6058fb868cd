#pragma once
// The workloads `run`, `trace record` and `validate` build: what the user asked for, turned into
// a trace by the functional core's planner for a given chip.
#include <cstdint>
#include <optional>
#include <string>

#include "models/platform/platform.hpp"
#include "sim/config/chip_config.hpp"
#include "sim/run/run_report.hpp"
#include "sim/trace/trace.hpp"
#include "workloads/attention/attention_plan.hpp"
#include "workloads/gemm/gemm_plan.hpp"
#include "workloads/stream/stream_trace.hpp"

namespace xpusim::run {

struct WorkloadSpec {
  enum class Kind { kGemm, kStream, kAttention } kind = Kind::kGemm;
  gemm::GemmProblem gemm;
  attention::AttentionProblem attention;
  stream::StreamOp stream_op = stream::StreamOp::kCopy;
  std::uint64_t stream_elements = stream::kBabelStreamDefaultElements;
  DType dtype = DType::kBf16;
};

struct BuiltWorkload {
  trace::Trace trace;
  std::string description;  // "gemm 8192x8192x8192 bf16"
  std::string plan;         // the planner's explanation
  double flops = 0;         // useful work (GEMM)
  double bytes = 0;         // bytes the benchmark counts as moved (STREAM)
  std::optional<gemm::GemmPlan> gemm_plan;
  std::optional<attention::AttentionPlan> attention_plan;
};

WorkloadSpec gemm_spec(const std::string& shape, DType dtype);
// "batch=..,heads=..,kv_heads=..,head_dim=..,seq_q=..,seq_kv=..,causal=..,pass=fwd|bwd|decode"
// (',' or ';'); `dtype`, when given, overrides the text's.
WorkloadSpec attention_spec(const std::string& text, std::optional<DType> dtype);
WorkloadSpec stream_spec(const std::string& op, DType dtype, std::uint64_t elements);

BuiltWorkload build_workload(const WorkloadSpec& spec, const config::ChipConfig& chip);

// Builds, replays on a fresh platform and reports.
RunReport simulate(const BuiltWorkload& work, const config::ChipConfig& chip,
                   const platform::PlatformOptions& options = {});

}  // namespace xpusim::run
