#pragma once
// One simulation that `sweep` and `regress` run: a target (a chip, or a system for system-level
// workloads), --set overrides and a workload, and the flat metrics it yields. Workload kinds are
// a registry, so a new kind (e.g. an LLM `compare` workload) plugs in by adding one entry.
#include <filesystem>
#include <functional>
#include <map>
#include <nlohmann/json.hpp>
#include <string>
#include <vector>

namespace xpusim::explore {

// A workload as the YAML and JSON files write it: a map whose kind key carries the main value
// ({gemm: 4096x4096x4096, dtype: bf16}, {stream: triad}, {allreduce: 256M, algo: nvls}).
struct Workload {
  std::string kind;                           // the registry key present in `fields`
  std::map<std::string, std::string> fields;  // every key, the kind's included
  // "gemm=4096x4096x4096 dtype=bf16": the kind first, then the other keys sorted.
  std::string canonical() const;
};

struct Point {
  std::string target;             // chip name (chip workloads) or system name (system workloads)
  std::vector<std::string> sets;  // key=value chip overrides, in order
  Workload workload;
  // Stable identity: 16 hex digits of a 64-bit FNV-1a hash of the canonical text. The same
  // target, overrides and workload give the same id on any machine and in any run.
  std::string id() const;
  std::string canonical() const;  // "h100_sxm|compute.units=114|gemm=... dtype=bf16"
};

// Metric name -> number or string, in the kind's metric order.
using Metrics = nlohmann::ordered_json;

struct WorkloadKind {
  std::string name;
  bool system_target = false;        // targets a system config (configs/systems), not a chip
  std::vector<std::string> options;  // keys allowed besides the kind's own
  std::vector<std::string> metrics;  // what evaluate() returns, in order
  std::function<Metrics(const Point&, const std::filesystem::path& config_dir)> evaluate;
};

// Every workload kind, in a fixed order.
const std::vector<WorkloadKind>& workload_kinds();
// The kind named `name`; UserError listing the known ones otherwise.
const WorkloadKind& find_workload_kind(const std::string& name);

// Builds a Workload from key/value pairs, checking that exactly one key is a kind and every
// other key is one of its options. `where` prefixes error messages ("sweep.yaml:12").
Workload make_workload(const std::map<std::string, std::string>& fields, const std::string& where);
Workload workload_from_json(const nlohmann::ordered_json& j, const std::string& where);
nlohmann::ordered_json to_json(const Workload& w);

// Runs the point's simulation in this process. Bad input (unknown chip, bad --set) throws
// UserError.
Metrics evaluate(const Point& point, const std::filesystem::path& config_dir);

}  // namespace xpusim::explore
