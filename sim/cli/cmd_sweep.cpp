// `xpusim sweep FILE.yaml`: a grid or a random sample over chips x --set parameters x workloads,
// run locally on all cores or on Slurm, with results streamed to CSV and JSONL.
#include <fmt/format.h>

#include <iostream>

#include "sim/cli/context.hpp"
#include "sim/common/error.hpp"
#include "sim/explore/sweep_run.hpp"
#include "sim/validate/child_pool.hpp"

namespace xpusim::cli {
namespace {

struct SweepCliOptions {
  std::string file;
  std::string out;
  std::string backend = "local";
  std::string shard;
  int jobs = validate::available_cpus();
  int slurm_shards = 16;
  std::vector<std::string> sbatch_args;
  bool resume = false;
  bool retry_failed = false;
  bool list = false;
  bool strict = false;
};

// "K/N" with 0 <= K < N.
std::pair<int, int> parse_shard(const std::string& text) {
  int k = -1, n = 0;
  char slash = 0;
  std::istringstream in(text);
  if (!(in >> k >> slash >> n) || slash != '/' || !in.eof() || n < 1 || k < 0 || k >= n)
    throw UserError(fmt::format("--shard {}: give K/N with 0 <= K < N, e.g. 0/4", text));
  return {k, n};
}

void run_sweep(SweepCliOptions opt, const CliContext& ctx, bool jobs_given) {
  // A Slurm task gets one CPU unless asked otherwise: this host's core count says nothing
  // about the nodes'.
  if (opt.backend == "slurm" && !jobs_given) opt.jobs = 1;
  const explore::SweepSpec spec = explore::read_sweep_spec(opt.file);
  if (opt.list) {
    for (const auto& p : explore::expand(spec))
      std::cout << fmt::format("{} {:>6} {}\n", p.point.id(), p.index, p.point.canonical());
    return;
  }
  explore::SweepOptions o;
  o.out = opt.out.empty() ? std::filesystem::path(opt.file).stem().string() + "-results" : opt.out;
  o.config_dir = ctx.config_dir();
  o.jobs = opt.jobs;
  o.resume = opt.resume;
  o.retry_failed = opt.retry_failed;
  if (!opt.shard.empty()) std::tie(o.shard, o.shards) = parse_shard(opt.shard);
  explore::SweepSummary s;
  if (opt.backend == "local") {
    s = explore::run_sweep_local(spec, o);
  } else {
    if (!opt.shard.empty())
      throw UserError("--shard is for the local backend (Slurm tasks use it)");
    explore::SlurmOptions slurm;
    slurm.shards = opt.slurm_shards;
    slurm.sbatch_args = opt.sbatch_args;
    slurm.xpusim = std::filesystem::read_symlink("/proc/self/exe");
    s = explore::run_sweep_slurm(spec, o, slurm);
  }
  std::cout << explore::to_text(s);
  std::cout.flush();
  if (s.failed_total > 0)
    std::cerr << fmt::format(
        "sweep: {} points failed; their errors are in the status and error "
        "columns\n",
        s.failed_total);
  if (s.missing > 0 || (opt.strict && s.failed_total > 0)) throw CLI::RuntimeError(1);
}

}  // namespace

void register_sweep(CLI::App& app, CliContext& ctx) {
  auto opt = std::make_shared<SweepCliOptions>();
  CLI::App* cmd = app.add_subcommand(
      "sweep",
      "Run a design-space sweep described by a YAML file (docs/sweep.md): chips (and systems) x "
      "--set parameter values x workloads, as the full grid or a seeded random sample. Each point "
      "is simulated in its own process; its record is appended to OUT/results.jsonl and "
      "OUT/results.csv as soon as it finishes (fsync'd), so killing the sweep loses no finished "
      "point and --resume runs only the rest. A point that fails is recorded with its error and "
      "the sweep goes on (exit status 0 once every point has a record; --strict: 1 when any "
      "failed). Once all points finished, "
      "both files are rewritten in grid order: the same bytes for any --jobs and for Slurm.");
  cmd->add_option("file", opt->file, "sweep YAML file")->required();
  cmd->add_option("--out,-o", opt->out, "results folder (default: <file stem>-results)");
  cmd->add_option("--jobs,-j", opt->jobs,
                  "points simulated side by side (default: the processors available); with "
                  "Slurm, per array task (default 1)")
      ->check(CLI::Range(1, 4096));
  cmd->add_flag("--resume", opt->resume,
                "continue the sweep in --out: points with a record there (by point id, a hash of "
                "target, overrides and workload) are skipped");
  cmd->add_flag("--retry-failed", opt->retry_failed, "with --resume: run failed points again");
  cmd->add_option("--backend", opt->backend,
                  "local (child processes on this machine, default) or slurm (a job array via "
                  "sbatch --wait; task K runs --shard K/N; shard results are merged into --out, "
                  "which must be on a file system the nodes share)")
      ->check(CLI::IsMember({"local", "slurm"}));
  cmd->add_option("--shard", opt->shard,
                  "K/N: run only every N-th point from position K (what Slurm tasks run)");
  cmd->add_option("--slurm-tasks", opt->slurm_shards,
                  "Slurm: array tasks, i.e. shards (default 16, at most one per point)")
      ->check(CLI::Range(1, 10000));
  cmd->add_option("--sbatch-arg", opt->sbatch_args,
                  "Slurm: an extra sbatch argument, e.g. --sbatch-arg=--partition=cpu (repeatable)")
      ->allow_extra_args(false);
  cmd->add_flag("--strict", opt->strict, "exit with status 1 when any point failed");
  cmd->add_flag("--list", opt->list, "print the points (id, grid index, point) and exit");
  cmd->callback([opt, cmd, &ctx] { run_sweep(*opt, ctx, cmd->count("--jobs") > 0); });
}

}  // namespace xpusim::cli
