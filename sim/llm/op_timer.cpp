#include "sim/llm/op_timer.hpp"

#include <fmt/format.h>

#include <algorithm>

#include "sim/common/error.hpp"
#include "sim/run/power_model.hpp"
#include "sim/run/workload.hpp"

namespace xpusim::llm {

TimeSplit& TimeSplit::operator+=(const TimeSplit& o) {
  compute_s += o.compute_s;
  hbm_s += o.hbm_s;
  interconnect_s += o.interconnect_s;
  launch_s += o.launch_s;
  return *this;
}

TimeSplit TimeSplit::scaled(double f) const {
  return {compute_s * f, hbm_s * f, interconnect_s * f, launch_s * f};
}

std::string TimeSplit::dominant() const {
  const double m = std::max({compute_s, hbm_s, interconnect_s, launch_s});
  if (m == compute_s) return "compute";
  if (m == hbm_s) return "HBM";
  if (m == interconnect_s) return "interconnect";
  return "launch/latency";
}

OpTimer::OpTimer(config::ChipConfig chip, std::optional<config::SystemConfig> system,
                 platform::PlatformOptions options)
    : chip_(std::move(chip)), system_(std::move(system)), options_(options) {}

const OpTime& OpTimer::time(const Op& op) {
  ++lookups_;
  const std::string key = op.key();
  auto it = cache_.find(key);
  if (it == cache_.end()) it = cache_.emplace(key, simulate(op)).first;
  return it->second;
}

const collective::CollectiveModel& OpTimer::collective_model(int ranks) {
  auto it = fabrics_.find(ranks);
  if (it != fabrics_.end()) return it->second;
  if (!system_)
    throw UserError(
        fmt::format("{}: a collective over {} chips needs a system", chip_.name, ranks));
  if (ranks > system_->devices)
    throw UserError(fmt::format("system {} has {} devices; the workload needs {} in one group",
                                system_->name, system_->devices, ranks));
  config::SystemConfig group = *system_;
  group.devices = ranks;  // a sub-group of the domain: same links and switches
  return fabrics_.emplace(ranks, collective::build_model(group)).first->second;
}

OpTime OpTimer::simulate(const Op& op) {
  OpTime t;
  if (op.kind == Op::Kind::kCollective) {
    collective::CollectiveRequest req;
    req.op = op.collective;
    req.bytes = op.collective_bytes;
    const auto r = collective::simulate_collective(collective_model(op.ranks),
                                                   system_ ? system_->name : chip_.name, req);
    t.split.interconnect_s = r.time_s;
    t.bottleneck = fmt::format("{} {}", r.algorithm, r.protocol);
    return t;
  }
  run::BuiltWorkload work;
  switch (op.kind) {
    case Op::Kind::kGemm: {
      // A batch narrower than the MMA's rows runs swapped (C^T = W^T X^T), as the small-M
      // kernels of TensorRT-LLM and CUTLASS do: the tokens become the tile's narrow N side
      // instead of being padded to 64 rows of tensor-core work.
      std::uint64_t m = op.gemm.m, n = op.gemm.n;
      if (m < static_cast<std::uint64_t>(chip_.compute.mma_rows) && n > m) std::swap(m, n);
      work = run::build_workload(run::gemm_spec(fmt::format("{}x{}x{}", m, n, op.gemm.k), op.dtype),
                                 chip_);
      break;
    }
    case Op::Kind::kAttention: {
      run::WorkloadSpec spec;
      spec.kind = run::WorkloadSpec::Kind::kAttention;
      spec.attention = op.attention;
      spec.dtype = op.attention.dtype;
      work = run::build_workload(spec, chip_);
      break;
    }
    default: {
      // Norms, activations, residuals, embedding gathers: memory-bound element-wise kernels,
      // run as STREAM kernels over fp32 words of the same byte count.
      const std::uint64_t elements = std::max<std::uint64_t>(1, op.vector_bytes / 4);
      work = run::build_workload(run::stream_spec(std::string(stream::stream_op_name(op.vector_op)),
                                                  DType::kFp32, elements),
                                 chip_);
      break;
    }
  }
  const run::RunReport rep = run::simulate(work, chip_, options_);
  const double kernel = std::max(0.0, rep.latency_s - rep.launch_s);
  t.split.launch_s = rep.launch_s;
  const std::string& b = rep.bottleneck;
  if (b.starts_with("compute") || b.starts_with("vector") || b.starts_with("SFU") ||
      b.starts_with("parallelism"))
    t.split.compute_s = kernel;
  else if (b.starts_with("HBM") || b.starts_with("L2"))
    t.split.hbm_s = kernel;
  else
    t.split.launch_s += kernel;
  t.bottleneck = b;
  return t;
}

}  // namespace xpusim::llm
