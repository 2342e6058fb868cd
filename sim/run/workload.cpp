#include "sim/run/workload.hpp"

#include <fmt/format.h>

#include "sim/common/error.hpp"
#include "sim/run/power_model.hpp"
#include "workloads/attention/attention_trace.hpp"
#include "workloads/gemm/gemm_trace.hpp"

namespace xpusim::run {

BuiltWorkload build_workload(const WorkloadSpec& spec, const config::ChipConfig& chip) {
  const KernelTarget target = chip.kernel_target();
  BuiltWorkload w;
  if (spec.kind == WorkloadSpec::Kind::kGemm) {
    if (chip.compute.tensor_flops_per_clock[static_cast<int>(spec.dtype)] <= 0)
      throw UserError(fmt::format("{} has no {} tensor-core rate: a {} GEMM cannot run on it",
                                  chip.name, dtype_name(spec.dtype), dtype_name(spec.dtype)));
    gemm::GemmPlan plan = gemm::plan_gemm(spec.gemm, target);
    w.trace = gemm::emit_gemm_trace(spec.gemm, plan, target);
    w.description = fmt::format("gemm {}x{}x{} {}", spec.gemm.m, spec.gemm.n, spec.gemm.k,
                                dtype_name(spec.dtype));
    w.plan = plan.to_string();
    w.flops = spec.gemm.flops();
    w.gemm_plan = plan;
  } else if (spec.kind == WorkloadSpec::Kind::kAttention) {
    if (chip.compute.tensor_flops_per_clock[static_cast<int>(spec.attention.dtype)] <= 0)
      throw UserError(fmt::format("{} has no {} tensor-core rate: {} attention cannot run on it",
                                  chip.name, dtype_name(spec.attention.dtype),
                                  dtype_name(spec.attention.dtype)));
    attention::AttentionPlan plan = attention::plan_attention(spec.attention, target);
    w.trace = attention::emit_attention_trace(spec.attention, plan, target);
    w.description = "attention " + spec.attention.to_string();
    w.plan = plan.to_string();
    w.flops = spec.attention.flops();
    w.attention_plan = plan;
  } else {
    w.trace = stream::emit_stream_trace(spec.stream_op, target, spec.stream_elements, spec.dtype);
    w.description = fmt::format("stream {} {} x {}", stream::stream_op_name(spec.stream_op),
                                spec.stream_elements, dtype_name(spec.dtype));
    w.bytes = static_cast<double>(
        stream::babelstream_bytes(spec.stream_op, spec.stream_elements, spec.dtype));
  }
  return w;
}

namespace {

// True when the prefix kept every CTA of every kernel: the probe is then the whole run.
bool covers_whole(const trace::Trace& prefix, const trace::Trace& trace) {
  if (prefix.kernels.size() != trace.kernels.size()) return false;
  for (std::size_t i = 0; i < prefix.kernels.size(); ++i)
    if (prefix.kernels[i].ctas.size() != trace.kernels[i].ctas.size()) return false;
  return true;
}

RunReport report_of(const platform::RunResult& r, const BuiltWorkload& work,
                    const PowerEstimate& power) {
  RunReport rep = make_report(r, work.description, work.flops);
  rep.counted_bytes = work.bytes;
  rep.power = power;
  return rep;
}

}  // namespace

RunReport simulate(const BuiltWorkload& work, const config::ChipConfig& chip,
                   const platform::PlatformOptions& options) {
  // The operating point first: the first two waves at the highest sustained clock give the
  // power; if it exceeds the TDP the whole run uses the clock that fits.
  PowerEstimate power;
  power.max_clock_hz = power.clock_hz = chip.compute.sustained_clock;
  config::ChipConfig at_clock = chip;
  if (chip.power.enabled()) {
    const trace::Trace prefix = trace_prefix(work.trace, chip, 2.0);
    const bool whole = covers_whole(prefix, work.trace);
    const trace::Trace& probed = whole ? work.trace : prefix;
    platform::PlatformOptions probe_options = options;
    probe_options.timeline = nullptr;  // the timeline shows the run, not the clock probe
    platform::Platform probe(chip, probe_options);
    const platform::RunResult r = probe.run(probed);
    power = solve_clock(r, probed, chip);
    // A run no longer than two waves whose clock holds was the probe itself: replaying it at the
    // same clock would repeat it exactly (unless a timeline must record it).
    if (whole && !power.limited && power.clock_hz == chip.compute.sustained_clock &&
        options.timeline == nullptr)
      return report_of(r, work, power);
    at_clock.compute.sustained_clock = power.clock_hz;
  }
  platform::Platform p(at_clock, options);
  return report_of(p.run(work.trace), work, power);
}

}  // namespace xpusim::run
