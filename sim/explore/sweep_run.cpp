#include "sim/explore/sweep_run.hpp"

#include <fmt/format.h>

#include "sim/explore/point_runner.hpp"
#include "sim/explore/progress.hpp"
#include "sim/explore/sweep_store.hpp"

namespace xpusim::explore {

SweepSummary run_sweep_local(const SweepSpec& spec, const SweepOptions& options) {
  const std::vector<SweepPoint> points = select_shard(expand(spec), options.shard, options.shards);
  SweepStore store(options.out, spec, options.resume);
  SweepSummary s;
  s.points = points.size();
  s.csv = store.csv_path();
  s.jsonl = store.jsonl_path();
  std::vector<const SweepPoint*> todo;
  for (const SweepPoint& p : points) {
    const auto it = store.records().find(p.point.id());
    const bool done =
        it != store.records().end() && !(options.retry_failed && it->second["status"] != "ok");
    if (done)
      ++s.skipped;
    else
      todo.push_back(&p);
  }
  std::vector<Point> to_run;
  for (const SweepPoint* p : todo) to_run.push_back(p->point);
  ProgressBar bar(to_run.size());
  bar.update(0, 0);
  run_points(to_run, options.config_dir, options.jobs, [&](std::size_t i, const Outcome& o) {
    store.add(make_record(spec, *todo[i], o));
    ++s.ran;
    ++(o.ok ? s.ok : s.failed);
    bar.update(s.ran, s.failed);
  });
  store.rewrite_sorted();
  s.failed_total = count_failed(store, points);
  return s;
}

std::string to_text(const SweepSummary& s) {
  std::string text =
      fmt::format("sweep: {} points: {} already finished (skipped), {} run now ({} ok, {} failed)",
                  s.points, s.skipped, s.ran, s.ok, s.failed);
  if (s.missing) text += fmt::format(", {} MISSING", s.missing);
  return text + fmt::format("\nresults: {}\n         {}\n", s.csv.string(), s.jsonl.string());
}

}  // namespace xpusim::explore
