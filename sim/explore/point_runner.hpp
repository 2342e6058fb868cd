#pragma once
// Runs points in child processes (sim/validate/child_pool), `jobs` at a time, and hands each
// outcome to a callback as it arrives. A point whose input is bad, whose simulation throws or
// whose process dies becomes a failed outcome with the reason; the others go on.
#include <filesystem>
#include <functional>
#include <string>
#include <vector>

#include "sim/explore/point.hpp"

namespace xpusim::explore {

struct Outcome {
  bool ok = false;
  Metrics metrics;    // ok
  std::string error;  // otherwise
};

// Calls `done(i, outcome)` in this process for each points[i], in completion order.
void run_points(const std::vector<Point>& points, const std::filesystem::path& config_dir, int jobs,
                const std::function<void(std::size_t, const Outcome&)>& done);

}  // namespace xpusim::explore
