#include "sim/explore/sweep_store.hpp"

#include <fmt/format.h>

#include <algorithm>
#include <fstream>
#include <sstream>

#include "sim/common/error.hpp"
#include "sim/report/table.hpp"

namespace xpusim::explore {
namespace {

std::string read_all(const std::filesystem::path& p) {
  std::ifstream in(p, std::ios::binary);
  std::stringstream ss;
  ss << in.rdbuf();
  return ss.str();
}

std::string cell(const nlohmann::ordered_json& v) {
  if (v.is_null()) return "";
  if (v.is_string()) return v.get<std::string>();
  if (v.is_number_float()) return fmt::format("{}", v.get<double>());  // shortest round-trip
  return v.dump();
}

std::string csv_line(const std::vector<std::string>& cells) {
  std::string line;
  for (std::size_t i = 0; i < cells.size(); ++i) {
    if (i > 0) line += ',';
    line += report::csv_field(cells[i]);
  }
  line += '\n';
  return line;
}

}  // namespace

Record make_record(const SweepSpec& spec, const SweepPoint& p, const Outcome& o) {
  Record r;
  r["id"] = p.point.id();
  r["index"] = p.index;
  r["target"] = p.point.target;
  r["workload"] = p.point.workload.canonical();
  r["parameters"] = nlohmann::ordered_json::object();
  for (std::size_t i = 0; i < spec.parameters.size(); ++i)
    r["parameters"][spec.parameters[i].key] = p.values[i];
  r["status"] = o.ok ? "ok" : "error";
  r["error"] = o.error;
  r["metrics"] = o.ok ? o.metrics : nlohmann::ordered_json::object();
  return r;
}

std::map<std::string, Record> read_records(const std::filesystem::path& jsonl, bool repair) {
  std::map<std::string, Record> records;
  if (!std::filesystem::exists(jsonl)) return records;
  const std::string text = read_all(jsonl);
  std::size_t pos = 0, line = 0, good_end = 0;
  while (pos < text.size()) {
    ++line;
    const std::size_t nl = text.find('\n', pos);
    if (nl == std::string::npos) break;  // a partial last line: its writer was killed
    const std::string body = text.substr(pos, nl - pos);
    try {
      Record r = Record::parse(body);
      const std::string id = r.at("id").get<std::string>();
      records[id] = std::move(r);
    } catch (const std::exception& e) {
      throw UserError(fmt::format("{}:{}: not a sweep record ({}); remove the line to go on",
                                  jsonl.string(), line, e.what()));
    }
    pos = nl + 1;
    good_end = pos;
  }
  if (repair && good_end < text.size()) std::filesystem::resize_file(jsonl, good_end);
  return records;
}

SweepStore::SweepStore(const std::filesystem::path& dir, const SweepSpec& spec, bool resume)
    : dir_(dir) {
  for (const auto& p : spec.parameters) parameters_.push_back(p.key);
  // The metric columns of every kind the sweep uses, in registry order.
  for (const auto& kind : workload_kinds()) {
    const bool used = std::any_of(spec.workloads.begin(), spec.workloads.end(),
                                  [&](const Workload& w) { return w.kind == kind.name; });
    if (!used) continue;
    for (const auto& m : kind.metrics)
      if (std::find(metrics_.begin(), metrics_.end(), m) == metrics_.end()) metrics_.push_back(m);
  }
  std::error_code ec;
  std::filesystem::create_directories(dir_, ec);
  if (ec) throw UserError(fmt::format("{}: cannot create: {}", dir_.string(), ec.message()));
  const bool existing =
      std::filesystem::exists(jsonl_path()) && std::filesystem::file_size(jsonl_path()) > 0;
  if (existing && !resume)
    throw UserError(fmt::format(
        "{} holds results of an earlier sweep: pass --resume to finish it, or choose another "
        "--out",
        jsonl_path().string()));
  if (existing) {
    records_ = read_records(jsonl_path(), true);
    // The CSV may lag the JSONL by a line (killed between the two appends): rebuild it.
    std::vector<const Record*> order;
    for (const auto& [id, r] : records_) order.push_back(&r);
    std::string csv = csv_header();
    for (const Record* r : order) csv += csv_row(*r);
    write_file_atomically(csv_path(), csv);
  } else {
    write_file_atomically(jsonl_path(), "");
    write_file_atomically(csv_path(), csv_header());
  }
  jsonl_.emplace(jsonl_path());
  csv_.emplace(csv_path());
}

std::string SweepStore::csv_header() const {
  std::vector<std::string> cols = {"id", "index", "target", "workload"};
  cols.insert(cols.end(), parameters_.begin(), parameters_.end());
  cols.push_back("status");
  cols.push_back("error");
  cols.insert(cols.end(), metrics_.begin(), metrics_.end());
  return csv_line(cols);
}

std::string SweepStore::csv_row(const Record& r) const {
  std::vector<std::string> cells = {cell(r["id"]), cell(r["index"]), cell(r["target"]),
                                    cell(r["workload"])};
  const auto& params = r["parameters"];
  for (const auto& p : parameters_) cells.push_back(params.contains(p) ? cell(params[p]) : "");
  cells.push_back(cell(r["status"]));
  cells.push_back(cell(r["error"]));
  const auto& metrics = r["metrics"];
  for (const auto& m : metrics_) cells.push_back(metrics.contains(m) ? cell(metrics[m]) : "");
  return csv_line(cells);
}

void SweepStore::add(const Record& record) {
  jsonl_->append(record.dump());
  std::string row = csv_row(record);
  row.pop_back();  // the appender adds the newline
  csv_->append(row);
  records_[record.at("id").get<std::string>()] = record;
}

void SweepStore::rewrite_sorted() {
  std::vector<const Record*> order;
  for (const auto& [id, r] : records_) order.push_back(&r);
  std::stable_sort(order.begin(), order.end(), [](const Record* a, const Record* b) {
    return a->at("index").get<std::uint64_t>() < b->at("index").get<std::uint64_t>();
  });  // ties (a spec edited between runs) stay in id order: records_ is keyed by id
  rewrite(order);
}

std::size_t count_failed(const SweepStore& store, const std::vector<SweepPoint>& points) {
  std::size_t n = 0;
  for (const SweepPoint& p : points) {
    const auto it = store.records().find(p.point.id());
    if (it != store.records().end() && it->second["status"] != "ok") ++n;
  }
  return n;
}

void SweepStore::rewrite(const std::vector<const Record*>& order) {
  std::string jsonl, csv = csv_header();
  for (const Record* r : order) {
    jsonl += r->dump() + "\n";
    csv += csv_row(*r);
  }
  jsonl_.reset();
  csv_.reset();
  write_file_atomically(jsonl_path(), jsonl);
  write_file_atomically(csv_path(), csv);
  jsonl_.emplace(jsonl_path());
  csv_.emplace(csv_path());
}

}  // namespace xpusim::explore
