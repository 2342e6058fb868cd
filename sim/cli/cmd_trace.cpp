// `xpusim trace record|replay`: traces as files, recorded for one chip and replayed on another of
// the same family.
#include <fmt/format.h>

#include <iostream>

#include "sim/cli/context.hpp"
#include "sim/cli/timeline_option.hpp"
#include "sim/common/error.hpp"
#include "sim/run/workload.hpp"
#include "sim/trace/trace_io.hpp"
#include "sim/trace/trace_stats.hpp"

namespace xpusim::cli {
namespace {

struct RecordOptions {
  std::string chip, gemm, stream, attention, dtype, out;
  std::uint64_t elements = stream::kBabelStreamDefaultElements;
  std::vector<std::string> sets;
};

struct ReplayOptions {
  std::string file, chip;
  std::vector<std::string> sets;
  double quantum_ns = 250;
  OutputFormat format = OutputFormat::kTable;
  TimelineOption timeline;
};

void record(const RecordOptions& opt, const CliContext& ctx) {
  const config::ChipConfig chip = config::load_chip(opt.chip, ctx.config_dir(), opt.sets);
  const run::BuiltWorkload work = run::build_workload(
      workload_from_options(opt.gemm, opt.stream, opt.dtype, opt.elements, opt.attention), chip);
  trace::write_trace_file(opt.out, work.trace);
  const trace::TraceTotals t = trace::summarize(work.trace);
  std::cerr << fmt::format(
      "recorded {} for {} ({} family): {} kernels, {} CTAs, {} ops listed, {} executed -> {}\n",
      work.description, chip.name, chip.family, work.trace.kernels.size(), t.ctas, t.ops_listed,
      t.ops_executed, opt.out);
}

void replay(const ReplayOptions& opt, const CliContext& ctx) {
  const trace::Trace tr = trace::read_trace_file(opt.file);
  const config::ChipConfig chip = config::load_chip(opt.chip, ctx.config_dir(), opt.sets);
  run::BuiltWorkload work;
  work.trace = tr;
  work.description = tr.description.empty() ? opt.file : tr.description;
  const auto recorder = make_recorder(opt.timeline);
  platform::PlatformOptions options = platform_options(opt.quantum_ns);
  options.timeline = recorder.get();
  const run::RunReport rep = run::simulate(work, chip, options);
  if (recorder) write_timeline(opt.timeline, *recorder);
  if (opt.format == OutputFormat::kJson)
    std::cout << rep.to_json().dump(2) << "\n";
  else
    std::cout << run::to_table(rep);
}

}  // namespace

void register_trace(CLI::App& app, CliContext& ctx) {
  CLI::App* cmd =
      app.add_subcommand("trace", "Record a workload's trace to a file, or replay one on a chip");
  cmd->require_subcommand(1);
  auto rec = std::make_shared<RecordOptions>();
  CLI::App* r = cmd->add_subcommand(
      "record",
      "Plan a workload for a chip and write its trace (binary, or JSON if FILE ends in .json)");
  r->add_option("--chip", rec->chip, "chip the planner targets")->required();
  r->add_option("--gemm", rec->gemm, "GEMM shape MxNxK");
  r->add_option("--stream", rec->stream, "STREAM kernel: copy, scale, add, triad or dot");
  r->add_option("--attention", rec->attention, "FlashAttention problem (see `xpusim run --help`)");
  r->add_option("--dtype", rec->dtype, "element type");
  r->add_option("--elements", rec->elements, "STREAM array length");
  r->add_option("--out", rec->out, "output file")->required();
  add_set_option(r, rec->sets);
  r->callback([rec, &ctx] { record(*rec, ctx); });

  auto rep = std::make_shared<ReplayOptions>();
  CLI::App* p = cmd->add_subcommand(
      "replay", "Replay a trace file on a chip of the family it was recorded for");
  p->add_option("file", rep->file, "trace file (binary or JSON)")->required();
  p->add_option("--chip", rep->chip, "chip to replay on")->required();
  p->add_option("--quantum", rep->quantum_ns, "temporal-decoupling quantum in ns");
  add_set_option(p, rep->sets);
  add_format_option(p, rep->format);
  add_timeline_options(p, rep->timeline);
  p->callback([rep, &ctx] { replay(*rep, ctx); });
}

}  // namespace xpusim::cli
