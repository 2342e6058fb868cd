// The Slurm backend of `xpusim sweep`: one job array, task K runs shard K of N with the local
// backend into DIR/shards/K, and the shards' records are merged into DIR.
#include <fmt/format.h>
#include <spawn.h>
#include <sys/wait.h>
#include <unistd.h>

#include <algorithm>
#include <cerrno>
#include <cstring>
#include <iostream>

#include "sim/common/error.hpp"
#include "sim/explore/atomic_file.hpp"
#include "sim/explore/sweep_run.hpp"
#include "sim/explore/sweep_store.hpp"

extern char** environ;

namespace xpusim::explore {
namespace {

std::string shell_quote(const std::string& s) {
  std::string q = "'";
  for (char c : s) q += c == '\'' ? std::string("'\\''") : std::string(1, c);
  return q + "'";
}

// Runs `argv` (searched on PATH) with stdout sent to our stderr, and returns its exit status.
int spawn_and_wait(const std::vector<std::string>& argv) {
  std::vector<char*> args;
  for (const auto& a : argv) args.push_back(const_cast<char*>(a.c_str()));
  args.push_back(nullptr);
  posix_spawn_file_actions_t actions;
  posix_spawn_file_actions_init(&actions);
  posix_spawn_file_actions_adddup2(&actions, STDERR_FILENO, STDOUT_FILENO);
  pid_t pid = -1;
  const int err = ::posix_spawnp(&pid, args[0], &actions, nullptr, args.data(), environ);
  posix_spawn_file_actions_destroy(&actions);
  if (err == ENOENT)
    throw UserError(
        fmt::format("{} not found: install Slurm's client (Debian: slurm-client; "
                    "scripts/slurm-localhost.sh install) or use --backend local",
                    argv[0]));
  if (err != 0) throw UserError(fmt::format("cannot run {}: {}", argv[0], std::strerror(err)));
  int status = 0;
  while (::waitpid(pid, &status, 0) < 0)
    if (errno != EINTR)
      throw UserError(fmt::format("waiting for {}: {}", argv[0], std::strerror(errno)));
  if (WIFEXITED(status)) return WEXITSTATUS(status);
  return 128 + (WIFSIGNALED(status) ? WTERMSIG(status) : 0);
}

}  // namespace

SweepSummary run_sweep_slurm(const SweepSpec& spec, const SweepOptions& options,
                             const SlurmOptions& slurm) {
  const std::vector<SweepPoint> points = expand(spec);
  SweepStore store(options.out, spec, options.resume);
  const std::filesystem::path out = std::filesystem::absolute(options.out);
  const std::filesystem::path shards_dir = out / "shards", slurm_dir = out / "slurm";
  const int shards = std::max(1, std::min<int>(slurm.shards, static_cast<int>(points.size())));
  // Shard results of an earlier submission are reused only when resuming.
  if (!options.resume) std::filesystem::remove_all(shards_dir);
  std::filesystem::create_directories(shards_dir);
  std::filesystem::create_directories(slurm_dir);

  const std::string script = fmt::format(
      "#!/bin/sh\n"
      "# Written by `xpusim sweep --backend slurm`: array task K runs shard K of {0}.\n"
      "set -e\n"
      "k=\"$SLURM_ARRAY_TASK_ID\"\n"
      "exec {1} --config-dir {2} sweep {3} --backend local --out {4}/\"$k\" --shard \"$k/{0}\" "
      "--jobs {5} --resume{6}\n",
      shards, shell_quote(std::filesystem::absolute(slurm.xpusim).string()),
      shell_quote(std::filesystem::absolute(options.config_dir).string()),
      shell_quote(std::filesystem::absolute(spec.file).string()), shell_quote(shards_dir.string()),
      options.jobs, options.retry_failed ? " --retry-failed" : "");
  const std::filesystem::path script_path = slurm_dir / "task.sh";
  write_file_atomically(script_path, script);
  std::filesystem::permissions(script_path, std::filesystem::perms::owner_exec,
                               std::filesystem::perm_options::add);

  std::vector<std::string> argv = {"sbatch",
                                   "--parsable",
                                   "--wait",
                                   fmt::format("--array=0-{}", shards - 1),
                                   "--job-name=xpusim-sweep",
                                   fmt::format("--cpus-per-task={}", options.jobs),
                                   "--output=" + (slurm_dir / "task-%a.log").string(),
                                   "--chdir=" + out.string()};
  argv.insert(argv.end(), slurm.sbatch_args.begin(), slurm.sbatch_args.end());
  argv.push_back(script_path.string());
  // Resuming a sweep whose points all have a record: nothing to submit.
  const std::size_t pending = static_cast<std::size_t>(
      std::count_if(points.begin(), points.end(), [&](const SweepPoint& p) {
        const auto it = store.records().find(p.point.id());
        return it == store.records().end() ||
               (options.retry_failed && it->second["status"] != "ok");
      }));
  int status = 0;
  if (pending > 0) {
    std::cerr << fmt::format(
        "sweep: submitting {} points ({} to run) as a Slurm array of {} tasks (logs in {})\n",
        points.size(), pending, shards, slurm_dir.string());
    status = spawn_and_wait(argv);
  }
  if (status != 0)
    std::cerr << fmt::format(
        "sweep: sbatch --wait exited with status {}: an array task failed (see "
        "{}/task-*.log); merging what finished\n",
        status, slurm_dir.string());

  SweepSummary s;
  s.points = points.size();
  s.csv = store.csv_path();
  s.jsonl = store.jsonl_path();
  std::map<std::string, Record> gathered;
  for (int k = 0; k < shards; ++k) {
    auto part = read_records(shards_dir / std::to_string(k) / "results.jsonl", false);
    gathered.insert(part.begin(), part.end());
  }
  for (const SweepPoint& p : points) {
    const std::string id = p.point.id();
    const auto it = store.records().find(id);
    const bool had = it != store.records().end();
    const auto got = gathered.find(id);
    const bool fresh = got != gathered.end() && (!had || got->second != it->second);
    if (had && !fresh) {
      ++s.skipped;
      continue;
    }
    if (got == gathered.end()) {
      ++s.missing;
      continue;
    }
    store.add(got->second);
    ++s.ran;
    ++(got->second["status"] == "ok" ? s.ok : s.failed);
  }
  store.rewrite_sorted();
  s.failed_total = count_failed(store, points);
  return s;
}

}  // namespace xpusim::explore
