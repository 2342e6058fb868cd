// `xpusim run`: one workload on one chip through the SystemC platform.
#include <fmt/format.h>

#include <iostream>

#include "sim/cli/context.hpp"
#include "sim/cli/timeline_option.hpp"
#include "sim/common/error.hpp"
#include "sim/report/table.hpp"
#include "sim/run/workload.hpp"
#include "workloads/attention/attention_functional.hpp"
#include "workloads/gemm/gemm_functional.hpp"

namespace xpusim::cli {
namespace {

struct RunOptions {
  std::string chip;
  std::string gemm;
  std::string stream;
  std::string attention;
  std::string dtype;
  std::uint64_t elements = stream::kBabelStreamDefaultElements;
  std::vector<std::string> sets;
  double quantum_ns = 250;
  bool check = false;
  bool show_plan = false;
  OutputFormat format = OutputFormat::kTable;
  TimelineOption timeline;
};

DType parse_dtype_option(const std::string& text, DType fallback) {
  if (text.empty()) return fallback;
  if (auto d = parse_dtype(text)) return *d;
  throw UserError(
      fmt::format("--dtype {}: unknown type (fp64, fp32, tf32, bf16, fp16, fp8, int8, fp4)", text));
}

}  // namespace

run::WorkloadSpec workload_from_options(const std::string& gemm, const std::string& stream_op,
                                        const std::string& dtype, std::uint64_t elements,
                                        const std::string& attention) {
  if (int(!gemm.empty()) + int(!stream_op.empty()) + int(!attention.empty()) != 1)
    throw UserError(
        "give exactly one workload: --gemm MxNxK, --stream copy|scale|add|triad|dot or "
        "--attention batch=..,heads=..,head_dim=..,seq_q=..,seq_kv=..");
  if (!gemm.empty()) return run::gemm_spec(gemm, parse_dtype_option(dtype, DType::kBf16));
  if (!attention.empty())
    return run::attention_spec(
        attention, dtype.empty() ? std::nullopt
                                 : std::optional<DType>(parse_dtype_option(dtype, DType::kBf16)));
  return run::stream_spec(stream_op, parse_dtype_option(dtype, DType::kFp64), elements);
}

platform::PlatformOptions platform_options(double quantum_ns) {
  if (!(quantum_ns >= 1 && quantum_ns <= 1e6))
    throw UserError(fmt::format("--quantum {}: give 1 to 1000000 ns", quantum_ns));
  platform::PlatformOptions o;
  o.quantum = static_cast<Picos>(quantum_ns * kPicosPerNs);
  return o;
}

namespace {

void run_run(const RunOptions& opt, const CliContext& ctx) {
  const config::ChipConfig chip = config::load_chip(opt.chip, ctx.config_dir(), opt.sets);
  const run::WorkloadSpec spec =
      workload_from_options(opt.gemm, opt.stream, opt.dtype, opt.elements, opt.attention);
  const run::BuiltWorkload work = run::build_workload(spec, chip);
  std::string check_text;
  nlohmann::ordered_json check_json;
  if (opt.check && work.attention_plan) {
    const attention::AttentionCheck c =
        attention::check_attention(spec.attention, *work.attention_plan);
    bool ok = c.computed;
    for (const auto& o : c.outputs) ok = ok && o.within_bound;
    check_text =
        c.computed ? (ok ? "within bounds" : "OUT OF BOUNDS") : "skipped: " + c.skipped_because;
    check_json = {
        {"computed", c.computed}, {"within_bound", ok}, {"skipped_because", c.skipped_because}};
    for (const auto& o : c.outputs) {
      check_text += "; " + o.to_string();
      check_json["outputs"][o.name] = {{"max_abs_error", o.max_abs_error},
                                       {"bound", o.max_bound},
                                       {"within_bound", o.within_bound}};
    }
  }
  if (opt.check && work.gemm_plan) {
    const gemm::GemmCheck c = gemm::check_gemm(spec.gemm, *work.gemm_plan);
    check_text = c.to_string();
    check_json = {{"computed", c.computed},
                  {"within_bound", c.within_bound},
                  {"max_abs_error", c.max_abs_error},
                  {"error_bound", c.error_bound},
                  {"skipped_because", c.skipped_because}};
  }
  const auto recorder = make_recorder(opt.timeline);
  platform::PlatformOptions options = platform_options(opt.quantum_ns);
  options.timeline = recorder.get();
  const run::RunReport rep = run::simulate(work, chip, options);
  if (recorder) write_timeline(opt.timeline, *recorder);
  switch (opt.format) {
    case OutputFormat::kJson: {
      nlohmann::ordered_json j = rep.to_json();
      j["plan"] = work.plan;
      if (!check_json.is_null()) j["functional_check"] = check_json;
      std::cout << j.dump(2) << "\n";
      break;
    }
    case OutputFormat::kCsv: {
      report::Table t({"chip", "workload", "latency_s", "tflops", "hbm_bytes_per_s",
                       "l2_bytes_per_s", "util_tensor", "util_hbm", "util_l2", "waves",
                       "bottleneck"});
      t.add_row({rep.chip, rep.workload, fmt::format("{:.9g}", rep.latency_s),
                 fmt::format("{:.6g}", rep.tflops), fmt::format("{:.6g}", rep.hbm_bw),
                 fmt::format("{:.6g}", rep.l2_bw),
                 fmt::format("{:.4f}", rep.utilisation_of("tensor")),
                 fmt::format("{:.4f}", rep.utilisation_of("hbm")),
                 fmt::format("{:.4f}", rep.utilisation_of("l2")), fmt::format("{:.4f}", rep.waves),
                 rep.bottleneck});
      std::cout << t.to_csv();
      break;
    }
    case OutputFormat::kTable:
      std::cout << run::to_table(rep);
      if (opt.show_plan) std::cout << "plan: " << work.plan << "\n";
      if (!check_text.empty()) std::cout << "functional check: " << check_text << "\n";
      break;
  }
}

}  // namespace

void register_run(CLI::App& app, CliContext& ctx) {
  auto opt = std::make_shared<RunOptions>();
  CLI::App* cmd = app.add_subcommand(
      "run",
      "Simulate one workload on one chip: the functional core tiles it as a real kernel would and "
      "emits a trace; the SystemC platform (CTA scheduler, SMs, L2, HBM) replays it. Reports "
      "latency, "
      "throughput, achieved bandwidth per level, utilisation per unit and the bottleneck.");
  cmd->add_option("--chip", opt->chip, "chip config name or YAML path")->required();
  cmd->add_option("--gemm", opt->gemm, "GEMM shape MxNxK (A row-major, B column-major: cuBLAS TN)");
  cmd->add_option("--stream", opt->stream, "STREAM kernel: copy, scale, add, triad or dot");
  cmd->add_option(
      "--attention", opt->attention,
      "FlashAttention: batch=..,heads=..,kv_heads=..,head_dim=..,seq_q=..,seq_kv=..,causal=0|1,"
      "pass=fwd|bwd|decode (docs/attention.md)");
  cmd->add_option("--dtype", opt->dtype, "element type (GEMM default bf16, STREAM default fp64)");
  cmd->add_option("--elements", opt->elements, "STREAM array length (default 2^25, BabelStream's)");
  cmd->add_option("--quantum", opt->quantum_ns, "temporal-decoupling quantum in ns (default 250)");
  cmd->add_flag("--check", opt->check,
                "also compute the GEMM on Eigen and check it against a plain product");
  cmd->add_flag("--plan", opt->show_plan, "print the tiling plan");
  add_set_option(cmd, opt->sets);
  add_format_option(cmd, opt->format);
  add_timeline_options(cmd, opt->timeline);
  cmd->callback([opt, &ctx] { run_run(*opt, ctx); });
}

}  // namespace xpusim::cli
