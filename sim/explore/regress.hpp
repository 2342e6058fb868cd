#pragma once
// `xpusim regress DIR`: golden results. Each DIR/*.json file holds one point (target, --set
// overrides, workload) and the metrics it gave when last accepted, each with a tolerance:
//
//   {"target": "h100_sxm", "sets": [], "workload": {"gemm": "4096x4096x4096", "dtype": "bf16"},
//    "metrics": {"latency_s": {"value": 1.78e-04, "rel_tol": 0.005}, "bottleneck": {"value":
//    "..."}}}
//
// A number passes when |now - golden| <= max(rel_tol * |golden|, abs_tol) (both default 0);
// a string when it is equal. --update rewrites the values and keeps the tolerances.
#include <filesystem>
#include <string>
#include <vector>

namespace xpusim::explore {

struct MetricDrift {
  std::string file;    // golden file name, e.g. "h100_sxm_gemm_4096.json"
  std::string metric;  // "latency_s"; "(run)" when the point failed to run
  std::string golden, now;
  double drift = 0;       // (now - golden) / golden for numbers; 0 for strings
  std::string tolerance;  // "0.5%", "exact"
  std::string status;     // "ok", "DRIFT", "new", "missing", "FAILED"
};

struct RegressOptions {
  std::vector<std::string> extra_sets;  // appended to every golden's sets (--set)
  int jobs = 1;
  bool update = false;
  double default_rel_tol = 0.005;  // for metrics --update adds
};

struct RegressReport {
  std::vector<MetricDrift> rows;
  int files = 0;
  int beyond_tolerance = 0;  // rows whose status is DRIFT, missing or FAILED
  int files_updated = 0;
  int failed_points = 0;  // golden points that did not run
};

RegressReport regress(const std::filesystem::path& golden_dir,
                      const std::filesystem::path& config_dir, const RegressOptions& options);

std::string to_text(const RegressReport& report, bool update);

}  // namespace xpusim::explore
