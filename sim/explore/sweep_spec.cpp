#include "sim/explore/sweep_spec.hpp"

#include <fmt/format.h>
#include <yaml-cpp/yaml.h>

#include <boost/random/mersenne_twister.hpp>
#include <boost/random/uniform_int_distribution.hpp>
#include <cmath>
#include <map>
#include <set>

#include "sim/common/error.hpp"

namespace xpusim::explore {
namespace {

// "sweep.yaml:12: parameters.compute.units"
std::string at(const SweepSpec& s, const YAML::Node& n, const std::string& key) {
  return fmt::format("{}:{}: {}", s.file.string(), n.Mark().line + 1, key);
}

std::vector<std::string> string_list(const SweepSpec& s, const YAML::Node& n,
                                     const std::string& key) {
  std::vector<std::string> out;
  if (!n.IsSequence()) throw UserError(at(s, n, key) + ": give a list, e.g. [a, b]");
  for (const auto& item : n) {
    if (!item.IsScalar() || item.Scalar().empty())
      throw UserError(at(s, item, key) + ": each entry must be a non-empty name");
    out.push_back(item.Scalar());
  }
  return out;
}

double number(const SweepSpec& s, const YAML::Node& n, const std::string& key) {
  try {
    const double v = n.as<double>();
    if (std::isfinite(v)) return v;
  } catch (const YAML::Exception&) {
  }
  throw UserError(at(s, n, key) + ": give a number");
}

// {from, to, step | count, unit}: evenly spaced numbers with an optional unit suffix.
std::vector<std::string> range_values(const SweepSpec& s, const YAML::Node& n,
                                      const std::string& key) {
  for (const auto& kv : n) {
    const std::string k = kv.first.Scalar();
    if (k != "from" && k != "to" && k != "step" && k != "count" && k != "unit")
      throw UserError(at(s, kv.first, key + "." + k) +
                      ": unknown key (a range takes from, to, step or count, unit)");
  }
  if (!n["from"] || !n["to"] || (!n["step"] == !n["count"]))
    throw UserError(at(s, n, key) + ": a range needs from, to and one of step or count");
  const double from = number(s, n["from"], key + ".from"), to = number(s, n["to"], key + ".to");
  const std::string unit = n["unit"] ? n["unit"].Scalar() : "";
  if (to < from) throw UserError(at(s, n, key) + ": to must be >= from");
  std::vector<double> values;
  if (n["step"]) {
    const double step = number(s, n["step"], key + ".step");
    if (!(step > 0)) throw UserError(at(s, n["step"], key + ".step") + ": must be > 0");
    if ((to - from) / step > 100000) throw UserError(at(s, n, key) + ": more than 100000 values");
    for (long i = 0;; ++i) {
      const double v = from + static_cast<double>(i) * step;
      if (v > to + 1e-9 * step) break;
      values.push_back(v);
    }
  } else {
    const double c = number(s, n["count"], key + ".count");
    if (c < 1 || c > 100000 || c != std::floor(c))
      throw UserError(at(s, n["count"], key + ".count") + ": give an integer from 1 to 100000");
    const long count = static_cast<long>(c);
    for (long i = 0; i < count; ++i)
      values.push_back(count == 1 ? from
                                  : from + (to - from) * static_cast<double>(i) /
                                               static_cast<double>(count - 1));
  }
  std::vector<std::string> out;
  for (double v : values) out.push_back(fmt::format("{:.10g}{}", v, unit));
  return out;
}

SweepParameter parameter(const SweepSpec& s, const std::string& key, const YAML::Node& n) {
  SweepParameter p;
  p.key = key;
  const std::string where = "parameters." + key;
  if (key.find('.') == std::string::npos)
    throw UserError(at(s, n, where) + ": give a --set key such as compute.units");
  if (n.IsSequence())
    p.values = string_list(s, n, where);
  else if (n.IsMap())
    p.values = range_values(s, n, where);
  else if (n.IsScalar())
    p.values = {n.Scalar()};
  else
    throw UserError(at(s, n, where) + ": give a value, a list or a range {from, to, step}");
  if (p.values.empty()) throw UserError(at(s, n, where) + ": no values");
  std::set<std::string> seen;
  for (const auto& v : p.values)
    if (!seen.insert(v).second)
      throw UserError(at(s, n, where) + ": value " + v + " appears twice");
  return p;
}

Workload workload(const SweepSpec& s, const YAML::Node& n, std::size_t i) {
  const std::string where = at(s, n, fmt::format("workloads[{}]", i));
  if (!n.IsMap()) throw UserError(where + ": give a map such as {gemm: 4096x4096x4096}");
  std::map<std::string, std::string> fields;
  for (const auto& kv : n) {
    if (!kv.second.IsScalar())
      throw UserError(where + "." + kv.first.Scalar() + ": give a single value");
    fields[kv.first.Scalar()] = kv.second.Scalar();
  }
  return make_workload(fields, where);
}

std::uint64_t combos(const SweepSpec& spec) {
  std::uint64_t n = 1;
  for (const auto& p : spec.parameters) n *= p.values.size();
  return n;
}

const std::vector<std::string>& targets_of(const SweepSpec& spec, const Workload& w) {
  return find_workload_kind(w.kind).system_target ? spec.systems : spec.chips;
}

SweepPoint point_at(const SweepSpec& spec, std::uint64_t index) {
  const std::uint64_t per_target = combos(spec);
  std::uint64_t rest = index;
  for (const Workload& w : spec.workloads) {
    const auto& targets = targets_of(spec, w);
    const std::uint64_t block = targets.size() * per_target;
    if (rest >= block) {
      rest -= block;
      continue;
    }
    SweepPoint sp;
    sp.index = index;
    sp.point.workload = w;
    sp.point.target = targets[rest / per_target];
    std::uint64_t combo = rest % per_target;
    sp.values.resize(spec.parameters.size());
    for (std::size_t i = spec.parameters.size(); i-- > 0;) {
      const auto& values = spec.parameters[i].values;
      sp.values[i] = values[combo % values.size()];
      combo /= values.size();
    }
    for (std::size_t i = 0; i < spec.parameters.size(); ++i)
      sp.point.sets.push_back(spec.parameters[i].key + "=" + sp.values[i]);
    return sp;
  }
  throw std::logic_error("sweep point index out of range");
}

}  // namespace

SweepSpec read_sweep_spec(const std::filesystem::path& file) {
  SweepSpec s;
  s.file = file;
  if (!std::filesystem::is_regular_file(file))
    throw UserError(file.string() + ": cannot read (not a file)");
  YAML::Node root;
  try {
    root = YAML::LoadFile(file.string());
  } catch (const YAML::BadFile&) {
    throw UserError(file.string() + ": cannot read");
  } catch (const YAML::Exception& e) {
    throw UserError(
        fmt::format("{}:{}:{}: {}", file.string(), e.mark.line + 1, e.mark.column + 1, e.msg));
  }
  if (!root.IsMap()) throw UserError(file.string() + ": the sweep file must be a YAML map");
  for (const auto& kv : root) {
    const std::string k = kv.first.Scalar();
    if (k != "chips" && k != "systems" && k != "parameters" && k != "workloads" && k != "sample")
      throw UserError(at(s, kv.first, k) +
                      ": unknown key (chips, systems, parameters, workloads, sample)");
  }
  if (root["chips"]) s.chips = string_list(s, root["chips"], "chips");
  if (root["systems"]) s.systems = string_list(s, root["systems"], "systems");
  if (const YAML::Node params = root["parameters"]) {
    if (!params.IsMap()) throw UserError(at(s, params, "parameters") + ": give a map key: values");
    for (const auto& kv : params)
      s.parameters.push_back(parameter(s, kv.first.Scalar(), kv.second));
  }
  const YAML::Node works = root["workloads"];
  if (!works || !works.IsSequence() || works.size() == 0)
    throw UserError(file.string() + ": workloads: give a list of at least one workload");
  for (std::size_t i = 0; i < works.size(); ++i) {
    s.workloads.push_back(workload(s, works[i], i));
    const bool system = find_workload_kind(s.workloads.back().kind).system_target;
    if ((system ? s.systems : s.chips).empty())
      throw UserError(at(s, works[i], fmt::format("workloads[{}]", i)) + ": a " +
                      s.workloads.back().kind + " workload needs a " +
                      (system ? "systems" : "chips") + " list");
  }
  if (const YAML::Node sample = root["sample"]) {
    if (!sample.IsMap() || !sample["count"])
      throw UserError(at(s, sample, "sample") + ": give {count: N, seed: S}");
    for (const auto& kv : sample)
      if (kv.first.Scalar() != "count" && kv.first.Scalar() != "seed")
        throw UserError(at(s, kv.first, "sample." + kv.first.Scalar()) +
                        ": unknown key (count, seed)");
    try {
      s.sample_count = sample["count"].as<std::uint64_t>();
      s.seed = sample["seed"] ? sample["seed"].as<std::uint64_t>() : 0;
    } catch (const YAML::Exception&) {
      throw UserError(at(s, sample, "sample") + ": count and seed must be integers >= 0");
    }
    if (s.sample_count == 0)
      throw UserError(at(s, sample["count"], "sample.count") + ": must be >= 1");
    s.sampled = true;
  }
  return s;
}

std::uint64_t grid_size(const SweepSpec& spec) {
  std::uint64_t n = 0;
  for (const Workload& w : spec.workloads) n += targets_of(spec, w).size() * combos(spec);
  return n;
}

std::vector<SweepPoint> expand(const SweepSpec& spec) {
  const std::uint64_t total = grid_size(spec);
  std::vector<std::uint64_t> indices;
  if (!spec.sampled || spec.sample_count >= total) {
    if (total > 10'000'000)
      throw UserError(fmt::format("{}: the grid has {} points; add sample: {{count: N}}",
                                  spec.file.string(), total));
    for (std::uint64_t i = 0; i < total; ++i) indices.push_back(i);
  } else {
    // Floyd's algorithm: count distinct indices, each subset equally likely.
    boost::random::mt19937_64 rng(spec.seed);
    std::set<std::uint64_t> chosen;
    for (std::uint64_t j = total - spec.sample_count; j < total; ++j) {
      const std::uint64_t t = boost::random::uniform_int_distribution<std::uint64_t>(0, j)(rng);
      if (!chosen.insert(t).second) chosen.insert(j);
    }
    indices.assign(chosen.begin(), chosen.end());
  }
  std::vector<SweepPoint> points;
  points.reserve(indices.size());
  std::map<std::string, std::uint64_t> seen;  // id -> index
  for (std::uint64_t i : indices) {
    points.push_back(point_at(spec, i));
    const auto [it, fresh] = seen.emplace(points.back().point.id(), i);
    if (!fresh)
      throw UserError(
          fmt::format("{}: grid points {} and {} are the same simulation ({}): a chip, "
                      "system or workload is listed twice",
                      spec.file.string(), it->second, i, points.back().point.canonical()));
  }
  return points;
}

std::vector<SweepPoint> select_shard(const std::vector<SweepPoint>& points, int shard, int shards) {
  std::vector<SweepPoint> out;
  for (std::size_t i = static_cast<std::size_t>(shard); i < points.size();
       i += static_cast<std::size_t>(shards))
    out.push_back(points[i]);
  return out;
}

}  // namespace xpusim::explore
