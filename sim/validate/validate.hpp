#pragma once
// `xpusim validate`: simulates every row of a measurements file (the columns of
// ../shared/reference/measured.csv) whose kind the simulator supports, and compares.
#include <filesystem>
#include <nlohmann/json.hpp>
#include <string>
#include <vector>

#include "models/platform/platform.hpp"
#include "sim/validate/csv.hpp"

namespace xpusim::validate {

struct ValidationRow {
  std::string id, kind, chip, metric, unit;
  std::string status;                                 // "ok", "skipped", "error"
  std::string message;                                // why skipped / the error
  double simulated = 0, measured = 0, rel_error = 0;  // rel_error = (sim - measured) / measured
  std::string bottleneck;
};

struct KindSummary {
  std::string kind;
  int rows = 0;
  double median_abs_error = 0, max_abs_error = 0;
};

// Simulates each distinct chip and workload of the table once. With jobs > 1 the simulations run
// in child processes, up to `jobs` at a time; the rows are the same for any number of jobs. A
// simulation that fails (a fault of the simulator, or a child process that dies) makes its rows
// errors.
std::vector<ValidationRow> validate_table(const CsvTable& table,
                                          const std::filesystem::path& config_dir,
                                          const platform::PlatformOptions& options,
                                          const std::vector<std::string>& sets = {}, int jobs = 1);
std::vector<KindSummary> summarize(const std::vector<ValidationRow>& rows);

std::string to_text(const std::vector<ValidationRow>& rows,
                    const std::vector<KindSummary>& summary);
nlohmann::ordered_json to_json(const std::vector<ValidationRow>& rows);

}  // namespace xpusim::validate
