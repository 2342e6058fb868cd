#include "sim/explore/point.hpp"

#include <fmt/format.h>

#include <algorithm>
#include <cstdint>

#include "sim/common/error.hpp"
#include "sim/config/chip_config.hpp"
#include "sim/config/system_config.hpp"
#include "sim/run/workload.hpp"
#include "workloads/collective/collective.hpp"

namespace xpusim::explore {
namespace {

std::uint64_t fnv1a64(const std::string& text) {
  std::uint64_t h = 14695981039346656037ull;
  for (unsigned char c : text) {
    h ^= c;
    h *= 1099511628211ull;
  }
  return h;
}

std::string field_or(const Workload& w, const std::string& key, const std::string& fallback) {
  auto it = w.fields.find(key);
  return it == w.fields.end() ? fallback : it->second;
}

DType dtype_or(const Workload& w, DType fallback) {
  const std::string text = field_or(w, "dtype", "");
  if (text.empty()) return fallback;
  if (auto d = parse_dtype(text)) return *d;
  throw UserError(
      fmt::format("dtype {}: unknown type (fp64, fp32, tf32, bf16, fp16, fp8, int8, fp4)", text));
}

std::uint64_t parse_count(const std::string& key, const std::string& text) {
  std::size_t used = 0;
  unsigned long long v = 0;
  try {
    v = std::stoull(text, &used);
  } catch (const std::exception&) {
    used = 0;
  }
  if (used != text.size() || v == 0)
    throw UserError(fmt::format("{} {}: give a positive integer", key, text));
  return v;
}

// The metrics of a replay on a chip, shared by every chip workload.
const std::vector<std::string> kChipMetrics = {"latency_s",   "tflops",   "hbm_gbs", "l2_gbs",
                                               "util_tensor", "util_hbm", "waves",   "bottleneck"};

Metrics chip_metrics(const run::RunReport& r, bool with_counted) {
  Metrics m;
  m["latency_s"] = r.latency_s;
  m["tflops"] = r.tflops;
  m["hbm_gbs"] = r.hbm_bw / 1e9;
  m["l2_gbs"] = r.l2_bw / 1e9;
  m["util_tensor"] = r.utilisation_of("tensor");
  m["util_hbm"] = r.utilisation_of("hbm");
  m["waves"] = r.waves;
  m["bottleneck"] = r.bottleneck;
  if (with_counted) m["stream_gbs"] = r.latency_s > 0 ? r.counted_bytes / r.latency_s / 1e9 : 0.0;
  return m;
}

Metrics run_on_chip(const Point& p, const std::filesystem::path& dir, const run::WorkloadSpec& spec,
                    bool with_counted) {
  const config::ChipConfig chip = config::load_chip(p.target, dir, p.sets);
  const run::BuiltWorkload work = run::build_workload(spec, chip);
  return chip_metrics(run::simulate(work, chip), with_counted);
}

std::vector<std::string> with(std::vector<std::string> v, const std::string& extra) {
  v.push_back(extra);
  return v;
}

std::vector<WorkloadKind> build_kinds() {
  std::vector<WorkloadKind> kinds;
  kinds.push_back({"gemm", false, {"dtype"}, kChipMetrics, [](const Point& p, const auto& dir) {
                     const Workload& w = p.workload;
                     return run_on_chip(
                         p, dir, run::gemm_spec(w.fields.at("gemm"), dtype_or(w, DType::kBf16)),
                         false);
                   }});
  kinds.push_back({"stream",
                   false,
                   {"dtype", "elements"},
                   with(kChipMetrics, "stream_gbs"),
                   [](const Point& p, const auto& dir) {
                     const Workload& w = p.workload;
                     const std::string n = field_or(w, "elements", "");
                     const std::uint64_t elements = n.empty() ? stream::kBabelStreamDefaultElements
                                                              : parse_count("elements", n);
                     return run_on_chip(p, dir,
                                        run::stream_spec(w.fields.at("stream"),
                                                         dtype_or(w, DType::kFp64), elements),
                                        true);
                   }});
  kinds.push_back(
      {"attention", false, {"dtype"}, kChipMetrics, [](const Point& p, const auto& dir) {
         const Workload& w = p.workload;
         std::optional<DType> dtype;
         if (w.fields.count("dtype")) dtype = dtype_or(w, DType::kBf16);
         return run_on_chip(p, dir, run::attention_spec(w.fields.at("attention"), dtype), false);
       }});
  // System workloads: the point's target is a system; its --set overrides go to the system's chip.
  kinds.push_back({"allreduce",
                   true,
                   {"algo", "proto"},
                   {"time_us", "algbw_gbs", "busbw_gbs", "algorithm"},
                   [](const Point& p, const auto& dir) {
                     const Workload& w = p.workload;
                     collective::CollectiveRequest req;
                     req.op = collective::CollectiveOp::kAllReduce;
                     req.bytes = collective::parse_bytes(w.fields.at("allreduce"));
                     req.algorithm = collective::parse_algorithm(field_or(w, "algo", "auto"));
                     req.protocol = collective::parse_protocol(field_or(w, "proto", "auto"));
                     const config::SystemConfig sys =
                         config::load_system(p.target, dir, {}, p.sets);
                     const collective::CollectiveResult r =
                         collective::simulate_collective(sys, req);
                     Metrics m;
                     m["time_us"] = r.time_s * 1e6;
                     m["algbw_gbs"] = r.algbw / 1e9;
                     m["busbw_gbs"] = r.busbw / 1e9;
                     m["algorithm"] = r.algorithm;
                     return m;
                   }});
  return kinds;
}

}  // namespace

std::string Workload::canonical() const {
  std::string text = kind + "=" + fields.at(kind);
  for (const auto& [k, v] : fields)  // std::map: sorted
    if (k != kind) text += " " + k + "=" + v;
  return text;
}

std::string Point::canonical() const {
  std::string text = target + "|";
  for (std::size_t i = 0; i < sets.size(); ++i) {
    if (i > 0) text += ';';
    text += sets[i];
  }
  return text + "|" + workload.canonical();
}

std::string Point::id() const {
  return fmt::format("{:016x}", fnv1a64(canonical()));
}

const std::vector<WorkloadKind>& workload_kinds() {
  static const std::vector<WorkloadKind> kinds = build_kinds();  // immutable once built
  return kinds;
}

const WorkloadKind& find_workload_kind(const std::string& name) {
  std::string known;
  for (const auto& k : workload_kinds()) {
    if (k.name == name) return k;
    if (!known.empty()) known += ", ";
    known += k.name;
  }
  throw UserError(fmt::format("unknown workload kind '{}' (known: {})", name, known));
}

Workload make_workload(const std::map<std::string, std::string>& fields, const std::string& where) {
  Workload w;
  std::string known;
  for (const auto& k : workload_kinds()) {
    if (!known.empty()) known += ", ";
    known += k.name;
    if (!fields.count(k.name)) continue;
    if (!w.kind.empty())
      throw UserError(
          fmt::format("{}: workload names two kinds ({} and {}); give one", where, w.kind, k.name));
    w.kind = k.name;
  }
  if (w.kind.empty())
    throw UserError(fmt::format("{}: workload names no kind; give one key of: {}", where, known));
  const WorkloadKind& kind = find_workload_kind(w.kind);
  for (const auto& [key, value] : fields) {
    if (key != w.kind &&
        std::find(kind.options.begin(), kind.options.end(), key) == kind.options.end())
      throw UserError(fmt::format("{}: workload key '{}' is not an option of {} (options: {})",
                                  where, key, w.kind, fmt::join(kind.options, ", ")));
    if (value.empty())
      throw UserError(fmt::format("{}: workload key '{}' has an empty value", where, key));
  }
  w.fields = fields;
  return w;
}

Workload workload_from_json(const nlohmann::ordered_json& j, const std::string& where) {
  if (!j.is_object()) throw UserError(fmt::format("{}: workload must be an object", where));
  std::map<std::string, std::string> fields;
  for (const auto& [k, v] : j.items()) {
    if (v.is_string())
      fields[k] = v.get<std::string>();
    else if (v.is_number_integer())
      fields[k] = std::to_string(v.get<long long>());
    else
      throw UserError(fmt::format("{}: workload.{} must be a string or an integer", where, k));
  }
  return make_workload(fields, where);
}

nlohmann::ordered_json to_json(const Workload& w) {
  nlohmann::ordered_json j;
  j[w.kind] = w.fields.at(w.kind);
  for (const auto& [k, v] : w.fields)
    if (k != w.kind) j[k] = v;
  return j;
}

Metrics evaluate(const Point& point, const std::filesystem::path& config_dir) {
  return find_workload_kind(point.workload.kind).evaluate(point, config_dir);
}

}  // namespace xpusim::explore
