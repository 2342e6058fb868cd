#pragma once
// Runs a sweep: locally in child processes (`--jobs N`), or on Slurm as a job array whose task K
// runs shard K with the local backend and whose shard results are merged into the same output.
#include <filesystem>
#include <string>
#include <vector>

#include "sim/explore/sweep_spec.hpp"

namespace xpusim::explore {

struct SweepOptions {
  std::filesystem::path out;         // results folder
  std::filesystem::path config_dir;  // chips/ and systems/
  int jobs = 1;
  bool resume = false;        // skip points whose record is in the output already
  bool retry_failed = false;  // with resume: run failed points again
  int shard = 0, shards = 1;  // run only shard `shard` of `shards`
};

struct SweepSummary {
  std::size_t points = 0;                   // in this sweep (or shard)
  std::size_t skipped = 0;                  // already finished (resume)
  std::size_t ran = 0, ok = 0, failed = 0;  // run by this invocation
  std::size_t missing = 0;       // points without a record at the end (Slurm tasks that died)
  std::size_t failed_total = 0;  // points whose record says "error", this run or earlier
  std::filesystem::path csv, jsonl;
};

SweepSummary run_sweep_local(const SweepSpec& spec, const SweepOptions& options);

struct SlurmOptions {
  int shards = 16;                       // array tasks (at most one per point)
  std::vector<std::string> sbatch_args;  // passed to sbatch as they are (--partition=..)
  std::filesystem::path xpusim;          // the binary the tasks run (this one)
};

// Submits the array with `sbatch --wait`, then merges DIR/shards/K/results.jsonl into DIR.
SweepSummary run_sweep_slurm(const SweepSpec& spec, const SweepOptions& options,
                             const SlurmOptions& slurm);

std::string to_text(const SweepSummary& s);

}  // namespace xpusim::explore
