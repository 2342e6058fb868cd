#pragma once
// Where a sweep's results go: DIR/results.jsonl (one JSON record per finished point) and
// DIR/results.csv (the same, one row per point). Each record is appended and fsync'd as its
// point finishes, JSONL first, so a killed sweep loses no finished point; results.jsonl is the
// record of truth and `--resume` rebuilds the CSV from it. When every point of a sweep has
// finished, both files are rewritten sorted by (grid index, point id), so a finished sweep's
// files are the same bytes whatever --jobs or backend produced them.
#include <filesystem>
#include <map>
#include <nlohmann/json.hpp>
#include <optional>
#include <string>
#include <vector>

#include "sim/explore/atomic_file.hpp"
#include "sim/explore/point_runner.hpp"
#include "sim/explore/sweep_spec.hpp"

namespace xpusim::explore {

using Record = nlohmann::ordered_json;

// The record of one finished point (status "ok" with metrics, or "error" with the error).
Record make_record(const SweepSpec& spec, const SweepPoint& p, const Outcome& o);

// Reads the complete records of a results.jsonl (id -> record, a later line replacing an earlier
// one). A partial last line (a writer killed mid-line) is ignored, and cut off when `repair`;
// a bad line elsewhere is a UserError naming the file and line.
std::map<std::string, Record> read_records(const std::filesystem::path& jsonl, bool repair);

class SweepStore {
 public:
  // Opens DIR (created if needed). Without `resume`, existing results are an error; with it, they
  // are loaded and the CSV is rebuilt from the JSONL.
  SweepStore(const std::filesystem::path& dir, const SweepSpec& spec, bool resume);

  const std::map<std::string, Record>& records() const { return records_; }
  bool finished(const std::string& id) const { return records_.count(id) > 0; }
  void add(const Record& record);  // appends to both files, durably
  // Rewrites both files sorted; call when every point has finished.
  void rewrite_sorted();

  std::filesystem::path jsonl_path() const { return dir_ / "results.jsonl"; }
  std::filesystem::path csv_path() const { return dir_ / "results.csv"; }

 private:
  std::string csv_header() const;
  std::string csv_row(const Record& r) const;
  void rewrite(const std::vector<const Record*>& order);

  std::filesystem::path dir_;
  std::vector<std::string> parameters_, metrics_;
  std::map<std::string, Record> records_;
  std::optional<LineAppender> jsonl_, csv_;
};

// How many of `points` have an "error" record in `store`.
std::size_t count_failed(const SweepStore& store, const std::vector<SweepPoint>& points);

}  // namespace xpusim::explore
