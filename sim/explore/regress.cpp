#include "sim/explore/regress.hpp"

#include <fmt/format.h>

#include <algorithm>
#include <cmath>
#include <fstream>
#include <nlohmann/json.hpp>
#include <sstream>

#include "sim/common/error.hpp"
#include "sim/explore/atomic_file.hpp"
#include "sim/explore/point_runner.hpp"
#include "sim/report/table.hpp"

namespace xpusim::explore {
namespace {

using json = nlohmann::ordered_json;

struct Golden {
  std::filesystem::path path;
  std::string text;  // as read, to tell whether --update changes it
  json doc;
  Point point;
};

double number_at(const json& spec, const char* key, const std::string& where) {
  if (!spec.contains(key)) return 0;
  const json& v = spec.at(key);
  if (!v.is_number() || v.get<double>() < 0)
    throw UserError(fmt::format("{}: {} must be a number >= 0", where, key));
  return v.get<double>();
}

Golden read_golden(const std::filesystem::path& path) {
  Golden g;
  g.path = path;
  std::ifstream in(path, std::ios::binary);
  if (!in) throw UserError(fmt::format("{}: cannot read", path.string()));
  std::stringstream ss;
  ss << in.rdbuf();
  g.text = ss.str();
  const std::string where = path.string();
  try {
    g.doc = json::parse(g.text);
  } catch (const json::parse_error& e) {
    throw UserError(fmt::format("{}: not valid JSON: {}", where, e.what()));
  }
  if (!g.doc.is_object()) throw UserError(where + ": must hold a JSON object");
  if (!g.doc.contains("target") || !g.doc["target"].is_string())
    throw UserError(where + ": target: give the chip or system name as a string");
  g.point.target = g.doc["target"].get<std::string>();
  if (g.doc.contains("sets")) {
    if (!g.doc["sets"].is_array()) throw UserError(where + ": sets: give an array of key=value");
    for (const auto& s : g.doc["sets"]) {
      if (!s.is_string()) throw UserError(where + ": sets: give an array of key=value strings");
      g.point.sets.push_back(s.get<std::string>());
    }
  }
  if (!g.doc.contains("workload")) throw UserError(where + ": workload: missing");
  g.point.workload = workload_from_json(g.doc["workload"], where + ": workload");
  if (!g.doc.contains("metrics")) g.doc["metrics"] = json::object();
  if (!g.doc["metrics"].is_object()) throw UserError(where + ": metrics: must be an object");
  for (const auto& [name, spec] : g.doc["metrics"].items()) {
    const std::string w = fmt::format("{}: metrics.{}", where, name);
    if (!spec.is_object() || !spec.contains("value"))
      throw UserError(w + ": give an object with a value (and rel_tol / abs_tol)");
    if (!spec["value"].is_number() && !spec["value"].is_string())
      throw UserError(w + ".value: must be a number or a string");
    number_at(spec, "rel_tol", w);
    number_at(spec, "abs_tol", w);
  }
  return g;
}

std::string show(const json& v) {
  if (v.is_string()) return v.get<std::string>();
  return fmt::format("{:.6g}", v.get<double>());
}

// Compares one metric; fills the row's golden/now/drift/tolerance/status.
MetricDrift compare(const std::string& file, const std::string& name, const json& spec,
                    const json* now) {
  MetricDrift d;
  d.file = file;
  d.metric = name;
  const json& golden = spec.at("value");
  d.golden = show(golden);
  const double rel = spec.value("rel_tol", 0.0), abs = spec.value("abs_tol", 0.0);
  d.tolerance = golden.is_string() ? "exact"
                : abs > 0          ? fmt::format("{:.3g}% or {:.3g}", rel * 100, abs)
                                   : fmt::format("{:.3g}%", rel * 100);
  if (!now) {
    d.now = "-";
    d.status = "missing";
    return d;
  }
  d.now = show(*now);
  if (golden.is_string() || now->is_string()) {
    d.status = (*now == golden) ? "ok" : "DRIFT";
    return d;
  }
  const double g = golden.get<double>(), n = now->get<double>();
  d.drift = g != 0 ? (n - g) / g : (n == 0 ? 0 : INFINITY);
  d.status = std::fabs(n - g) <= std::max(rel * std::fabs(g), abs) ? "ok" : "DRIFT";
  return d;
}

}  // namespace

RegressReport regress(const std::filesystem::path& golden_dir,
                      const std::filesystem::path& config_dir, const RegressOptions& options) {
  if (!std::filesystem::is_directory(golden_dir))
    throw UserError(fmt::format("{}: not a folder of golden files", golden_dir.string()));
  std::vector<std::filesystem::path> files;
  for (const auto& e : std::filesystem::directory_iterator(golden_dir))
    if (e.is_regular_file() && e.path().extension() == ".json") files.push_back(e.path());
  std::sort(files.begin(), files.end());
  if (files.empty())
    throw UserError(fmt::format("{}: no golden files (*.json)", golden_dir.string()));

  std::vector<Golden> goldens;
  std::vector<Point> points;
  for (const auto& f : files) {
    goldens.push_back(read_golden(f));
    Point p = goldens.back().point;
    p.sets.insert(p.sets.end(), options.extra_sets.begin(), options.extra_sets.end());
    points.push_back(std::move(p));
  }
  std::vector<Outcome> outcomes(points.size());
  run_points(points, config_dir, options.jobs,
             [&](std::size_t i, const Outcome& o) { outcomes[i] = o; });

  RegressReport report;
  report.files = static_cast<int>(goldens.size());
  for (std::size_t i = 0; i < goldens.size(); ++i) {
    Golden& g = goldens[i];
    const Outcome& o = outcomes[i];
    const std::string file = g.path.filename().string();
    if (!o.ok) {
      report.rows.push_back({file, "(run)", "-", "-", 0, "-", "FAILED: " + o.error});
      ++report.beyond_tolerance;
      ++report.failed_points;
      continue;
    }
    json& metrics = g.doc["metrics"];
    for (const auto& [name, spec] : metrics.items()) {
      const json* now = o.metrics.contains(name) ? &o.metrics[name] : nullptr;
      report.rows.push_back(compare(file, name, spec, now));
      if (report.rows.back().status != "ok") ++report.beyond_tolerance;
    }
    for (const auto& [name, value] : o.metrics.items())
      if (!metrics.contains(name))
        report.rows.push_back({file, name, "-", show(value), 0, "-", "new"});
    if (!options.update) continue;
    // Keep tolerances, take today's values, add new metrics, drop vanished ones.
    json updated = json::object();
    for (const auto& [name, value] : o.metrics.items()) {
      json spec = metrics.contains(name) ? metrics[name] : json::object();
      if (!metrics.contains(name) && !value.is_string()) spec["rel_tol"] = options.default_rel_tol;
      spec["value"] = value;
      // "value" first for readability.
      json ordered = {{"value", value}};
      for (const auto& [k, v] : spec.items())
        if (k != "value") ordered[k] = v;
      updated[name] = ordered;
    }
    metrics = updated;
    const std::string text = g.doc.dump(2) + "\n";
    if (text != g.text) {
      write_file_atomically(g.path, text);
      ++report.files_updated;
    }
  }
  return report;
}

std::string to_text(const RegressReport& report, bool update) {
  report::Table t({"golden", "metric", "golden value", "now", "drift", "tolerance", "status"});
  for (const auto& r : report.rows)
    t.add_row({r.file, r.metric, r.golden, r.now,
               r.golden == "-" || r.now == "-" || r.tolerance == "exact"
                   ? "-"
                   : fmt::format("{:+.3f}%", r.drift * 100),
               r.tolerance, r.status});
  std::string text = t.to_text(true);
  if (update)
    text += fmt::format(
        "regress: {} golden files, {} updated ({} metrics were beyond tolerance "
        "before the update)\n",
        report.files, report.files_updated, report.beyond_tolerance);
  else
    text +=
        fmt::format("regress: {} golden files, {} metrics beyond tolerance{}\n", report.files,
                    report.beyond_tolerance,
                    report.beyond_tolerance ? " (FAIL; if the change is intended: "
                                              "xpusim regress DIR --update, see docs/regress.md)"
                                            : "");
  if (report.failed_points)
    text += fmt::format("regress: {} golden points FAILED to run (not updated)\n",
                        report.failed_points);
  return text;
}

}  // namespace xpusim::explore
