// `xpusim regress DIR [--update]`: re-runs every golden point and prints the drift per metric.
#include <iostream>

#include "sim/cli/context.hpp"
#include "sim/explore/regress.hpp"
#include "sim/validate/child_pool.hpp"

namespace xpusim::cli {
namespace {

struct RegressCliOptions {
  std::string dir;
  bool update = false;
  std::vector<std::string> sets;
  int jobs = validate::available_cpus();
};

void run_regress(const RegressCliOptions& opt, const CliContext& ctx) {
  explore::RegressOptions o;
  o.extra_sets = opt.sets;
  o.jobs = opt.jobs;
  o.update = opt.update;
  const explore::RegressReport report = explore::regress(opt.dir, ctx.config_dir(), o);
  std::cout << explore::to_text(report, opt.update);
  std::cout.flush();
  // --update accepts drift, not points that no longer run.
  if (report.failed_points > 0 || (!opt.update && report.beyond_tolerance > 0))
    throw CLI::RuntimeError(1);
}

}  // namespace

void register_regress(CLI::App& app, CliContext& ctx) {
  auto opt = std::make_shared<RegressCliOptions>();
  CLI::App* cmd = app.add_subcommand(
      "regress",
      "Regression check of the performance model against golden results: every DIR/*.json "
      "names a point (target chip or system, --set overrides, workload) and the metrics it gave "
      "when last accepted, each with a tolerance. Re-runs them, prints golden, now and the drift "
      "per metric, and exits with status 1 when any metric is beyond its tolerance (or a point "
      "fails). After an intended model change: --update, review `git diff DIR`, commit "
      "(docs/regress.md).");
  cmd->add_option("dir", opt->dir, "folder of golden files (the project's: tests/golden)")
      ->required();
  cmd->add_flag("--update", opt->update,
                "rewrite the golden values with today's results (tolerances are kept; new "
                "metrics get 0.5%); exits 0");
  cmd->add_option("--jobs,-j", opt->jobs,
                  "simulations run side by side, each in its own process (default: the number of "
                  "processors available)")
      ->check(CLI::Range(1, 4096));
  add_set_option(cmd, opt->sets);
  cmd->callback([opt, &ctx] { run_regress(*opt, ctx); });
}

}  // namespace xpusim::cli
