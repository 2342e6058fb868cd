#include "sim/validate/validate.hpp"

#include <fmt/format.h>

#include <algorithm>
#include <bit>
#include <cmath>
#include <cstring>
#include <map>
#include <optional>
#include <stdexcept>

#include "sim/common/error.hpp"
#include "sim/llm/compare.hpp"
#include "sim/report/table.hpp"
#include "sim/run/workload.hpp"
#include "sim/validate/child_pool.hpp"
#include "workloads/collective/collective.hpp"

namespace xpusim::validate {
namespace {

const char* kRequired[] = {"id",     "chip",   "devices", "kind", "dtype",
                           "params", "metric", "value",   "unit"};

// "a=1;b=x" -> {a: 1, b: x}
std::map<std::string, std::string> parse_params(const std::string& text) {
  std::map<std::string, std::string> out;
  std::size_t start = 0;
  while (start <= text.size()) {
    const std::size_t end = std::min(text.find(';', start), text.size());
    const std::string item = text.substr(start, end - start);
    if (!item.empty()) {
      const auto eq = item.find('=');
      if (eq == std::string::npos)
        throw UserError(fmt::format("params: '{}' is not key=value", item));
      out[item.substr(0, eq)] = item.substr(eq + 1);
    }
    start = end + 1;
  }
  return out;
}

double parse_value(const std::string& s) {
  std::size_t used = 0;
  double v = 0;
  try {
    v = std::stod(s, &used);
  } catch (const std::exception&) {
    used = 0;
  }
  if (used != s.size() || !std::isfinite(v) || v <= 0)
    throw UserError(fmt::format("value '{}' is not a positive number", s));
  return v;
}

// What a row needs from a simulation: the figures its metrics read, or why there are none.
struct Outcome {
  bool ok = false;
  double tflops = 0, latency_s = 0, counted_bytes = 0, hbm_bw = 0;
  double busbw_gbs = 0;     // collectives: nccl-tests bus bandwidth
  double tokens_per_s = 0;  // llm: generated tokens per second over the row's devices
  std::string bottleneck;
  std::string error;  // the row's message when not ok
};

// An all-reduce on the chip's standard system of that many devices (e.g. 8 x h100_sxm ->
// hgx_h100_8x), as nccl-tests measures it.
Outcome simulate_allreduce(const config::SystemConfig& system, std::uint64_t bytes,
                           const std::string& algo) {
  Outcome o;
  try {
    o.busbw_gbs = collective::simulate_allreduce_busbw(system, bytes, algo);
    o.ok = true;
    o.bottleneck = fmt::format("interconnect ({} on {})", algo, system.name);
  } catch (const UserError& e) {
    o.error = e.what();
  } catch (const std::exception& e) {
    o.error = fmt::format("internal error: {}", e.what());
  }
  return o;
}

// An LLM benchmark row: the workload workloads/<model>-mlperf-<scenario>.yaml on `devices` chips
// (instances of the workload's tensor/pipeline group side by side), at the largest batch that
// fits, as MLPerf's offline scenario fills memory.
Outcome simulate_llm(const config::ChipConfig& chip, const std::string& workload, int devices,
                     DType dtype, const std::filesystem::path& config_dir,
                     const platform::PlatformOptions& options) {
  Outcome o;
  try {
    const llm::LlmWorkload w = llm::load_workload(workload, llm::workloads_dir(config_dir));
    if (w.weight_dtype != dtype)
      throw UserError(fmt::format("dtype {}: workload {} runs {} weights", dtype_name(dtype),
                                  w.name, dtype_name(w.weight_dtype)));
    if (devices % w.parallel.devices() != 0)
      throw UserError(fmt::format("devices {}: not a multiple of the workload's {} chips", devices,
                                  w.parallel.devices()));
    const llm::LlmResult r = llm::evaluate_on(w, chip, "", config_dir, true, options);
    o.ok = true;
    o.tokens_per_s = r.tokens_per_s_per_chip * devices;
    o.bottleneck =
        fmt::format("{} (batch {} per TP{} instance)", r.split.dominant(), r.batch, w.parallel.tp);
  } catch (const UserError& e) {
    o.error = e.what();
  } catch (const std::exception& e) {
    o.error = fmt::format("internal error: {}", e.what());
  }
  return o;
}

Outcome simulate_workload(const run::BuiltWorkload& work, const config::ChipConfig& chip,
                          const platform::PlatformOptions& options) {
  Outcome o;
  try {
    const run::RunReport rep = run::simulate(work, chip, options);
    o.ok = true;
    o.tflops = rep.tflops;
    o.latency_s = rep.latency_s;
    o.counted_bytes = rep.counted_bytes;
    o.hbm_bw = rep.hbm_bw;
    o.bottleneck = rep.bottleneck;
  } catch (const UserError& e) {
    o.error = e.what();
  } catch (const std::exception& e) {  // a fault of the simulator, not of the row
    o.error = fmt::format("internal error: {}", e.what());
  }
  return o;
}

// An Outcome through a child's pipe: doubles bit for bit, strings length-prefixed.
void put(std::string& out, std::uint64_t v) {
  out.append(reinterpret_cast<const char*>(&v), sizeof v);
}
void put(std::string& out, double v) {
  put(out, std::bit_cast<std::uint64_t>(v));
}
void put(std::string& out, const std::string& v) {
  put(out, std::uint64_t{v.size()});
  out += v;
}

std::string encode(const Outcome& o) {
  std::string out(1, o.ok ? '1' : '0');
  put(out, o.tflops);
  put(out, o.latency_s);
  put(out, o.counted_bytes);
  put(out, o.hbm_bw);
  put(out, o.busbw_gbs);
  put(out, o.tokens_per_s);
  put(out, o.bottleneck);
  put(out, o.error);
  return out;
}

Outcome decode(const std::string& in) {
  std::size_t pos = 1;
  const auto u64 = [&] {
    std::uint64_t v = 0;
    if (pos + sizeof v > in.size()) throw std::runtime_error("truncated");
    std::memcpy(&v, in.data() + pos, sizeof v);
    pos += sizeof v;
    return v;
  };
  const auto str = [&] {
    const std::uint64_t n = u64();
    if (n > in.size() - pos) throw std::runtime_error("truncated");
    std::string v = in.substr(pos, n);
    pos += n;
    return v;
  };
  if (in.empty()) throw std::runtime_error("empty");
  Outcome o;
  o.ok = in[0] == '1';
  o.tflops = std::bit_cast<double>(u64());
  o.latency_s = std::bit_cast<double>(u64());
  o.counted_bytes = std::bit_cast<double>(u64());
  o.hbm_bw = std::bit_cast<double>(u64());
  o.busbw_gbs = std::bit_cast<double>(u64());
  o.tokens_per_s = std::bit_cast<double>(u64());
  o.bottleneck = str();
  o.error = str();
  return o;
}

// The simulated figure in the row's unit.
double simulated_in(const Outcome& rep, const std::string& metric, const std::string& unit) {
  if (metric == "throughput") {
    if (unit == "TFLOP/s") return rep.tflops;
    if (unit == "GFLOP/s") return rep.tflops * 1e3;
  } else if (metric == "time") {
    if (unit == "ms") return rep.latency_s * 1e3;
    if (unit == "us") return rep.latency_s * 1e6;
    if (unit == "s") return rep.latency_s;
  } else if (metric == "busbw") {
    if (unit == "GB/s") return rep.busbw_gbs;
    if (unit == "TB/s") return rep.busbw_gbs / 1e3;
  } else if (metric == "tokens_per_s") {
    if (unit == "tok/s") return rep.tokens_per_s;
  } else if (metric == "bandwidth") {
    const double bw = rep.counted_bytes > 0 ? rep.counted_bytes / rep.latency_s : rep.hbm_bw;
    if (unit == "TB/s") return bw / 1e12;
    if (unit == "GB/s") return bw / 1e9;
  }
  throw UserError(
      fmt::format("metric '{}' in unit '{}' is not supported for this kind", metric, unit));
}

}  // namespace

std::vector<ValidationRow> validate_table(const CsvTable& table,
                                          const std::filesystem::path& config_dir,
                                          const platform::PlatformOptions& options,
                                          const std::vector<std::string>& sets, int jobs) {
  for (const char* col : kRequired)
    if (!table.column.count(col))
      throw UserError(fmt::format("{}: missing column '{}' (needs {})", table.source, col,
                                  "id,chip,devices,kind,dtype,params,metric,value,unit"));
  // Rows are checked and their workloads built in order, here; each distinct chip and workload
  // is simulated once, in this process (jobs == 1) or in a child process, up to `jobs` at a time
  // (the results do not depend on which). Rows then take their figures in order.
  std::map<std::string, config::ChipConfig> chips;
  std::map<std::string, std::size_t> simulation_of;  // chip|workload -> index in outcomes
  std::vector<Outcome> outcomes;                     // jobs == 1
  std::optional<ChildPool> pool;                     // jobs > 1
  if (jobs > 1) pool.emplace(jobs);
  // Runs `simulate` (returning an Outcome) here or in a child and records where its result lands.
  auto schedule = [&](const std::string& key, auto simulate) {
    std::size_t index;
    if (pool) {
      index = pool->launch([&] { return encode(simulate()); });
    } else {
      index = outcomes.size();
      outcomes.push_back(simulate());
    }
    simulation_of.emplace(key, index);
  };
  struct Pending {
    std::size_t row;
    std::size_t simulation;
    int line;
  };
  std::vector<Pending> pending;
  std::vector<ValidationRow> rows;
  for (const CsvRecord& rec : table.records) {
    ValidationRow row;
    auto get = [&](const char* col) {
      const std::size_t i = table.column.at(col);
      return i < rec.fields.size() ? rec.fields[i] : std::string();
    };
    row.id = get("id");
    row.kind = get("kind");
    row.chip = get("chip");
    row.metric = get("metric");
    row.unit = get("unit");
    try {
      if (rec.fields.size() < table.header.size())
        throw UserError(
            fmt::format("{} fields, the header has {}", rec.fields.size(), table.header.size()));
      row.measured = parse_value(get("value"));
      const bool collective = row.kind == "allreduce";
      if (row.kind == "llm") {
        const auto params = parse_params(get("params"));
        int devices = 0;
        try {
          devices = std::stoi(get("devices"));
        } catch (const std::exception&) {
          devices = 0;
        }
        if (devices < 1)
          throw UserError(fmt::format("devices '{}': give 1 or more", get("devices")));
        const auto model = params.find("model");
        const auto scenario = params.find("scenario");
        if (model == params.end() || scenario == params.end())
          throw UserError("llm params need model=NAME;scenario=NAME");
        const auto dtype = parse_dtype(get("dtype"));
        if (!dtype) throw UserError(fmt::format("dtype '{}' is unknown", get("dtype")));
        const std::string workload = fmt::format("{}-mlperf-{}", model->second, scenario->second);
        if (!chips.count(row.chip))
          chips.emplace(row.chip, config::load_chip(row.chip, config_dir, sets));
        const config::ChipConfig& chip = chips.at(row.chip);
        const std::string key = fmt::format("llm|{}|{}|{}", row.chip, workload, devices);
        if (!simulation_of.count(key))
          schedule(key, [&] {
            return simulate_llm(chip, workload, devices, *dtype, config_dir, options);
          });
        pending.push_back({rows.size(), simulation_of.at(key), rec.line});
        rows.push_back(row);
        continue;
      }
      if (row.kind != "gemm" && row.kind != "stream" && row.kind != "attention" && !collective) {
        row.status = "skipped";
        row.message = fmt::format("kind '{}' is not simulated yet", row.kind);
        rows.push_back(row);
        continue;
      }
      const auto params = parse_params(get("params"));
      if (collective) {
        int devices = 0;
        try {
          devices = std::stoi(get("devices"));
        } catch (const std::exception&) {
          devices = 0;
        }
        if (devices < 2)
          throw UserError(
              fmt::format("devices '{}': an all-reduce needs 2 or more", get("devices")));
        const auto bytes_it = params.find("bytes");
        if (bytes_it == params.end()) throw UserError("allreduce params need bytes=N");
        const std::uint64_t bytes = std::stoull(bytes_it->second);
        const auto algo_it = params.find("algo");
        const std::string algo = algo_it == params.end() ? "auto" : algo_it->second;
        const std::string system_name =
            collective::standard_system_for(row.chip, devices, config_dir);
        const std::string key = fmt::format("allreduce|{}|{}|{}", system_name, bytes, algo);
        if (!simulation_of.count(key)) {
          const config::SystemConfig system =
              config::load_system(system_name, config_dir, {}, sets);
          schedule(key, [&] { return simulate_allreduce(system, bytes, algo); });
        }
        pending.push_back({rows.size(), simulation_of.at(key), rec.line});
        rows.push_back(row);
        continue;
      }
      if (get("devices") != "1") throw UserError("gemm, stream and attention rows run on 1 device");
      const auto dtype = parse_dtype(get("dtype"));
      if (!dtype) throw UserError(fmt::format("dtype '{}' is unknown", get("dtype")));
      run::WorkloadSpec spec;
      if (row.kind == "gemm") {
        spec = run::gemm_spec(get("params"), *dtype);
      } else if (row.kind == "attention") {
        spec = run::attention_spec(get("params"), *dtype);
      } else {
        const auto op = params.find("op");
        if (op == params.end()) throw UserError("stream params need op=copy|scale|add|triad|dot");
        std::uint64_t elements = stream::kBabelStreamDefaultElements;
        if (auto e = params.find("elements"); e != params.end()) elements = std::stoull(e->second);
        spec = run::stream_spec(op->second, *dtype, elements);
      }
      if (!chips.count(row.chip))
        chips.emplace(row.chip, config::load_chip(row.chip, config_dir, sets));
      const config::ChipConfig& chip = chips.at(row.chip);
      const run::BuiltWorkload work = run::build_workload(spec, chip);
      const std::string key = row.chip + "|" + work.description;
      if (!simulation_of.count(key))
        schedule(key, [&] { return simulate_workload(work, chip, options); });
      pending.push_back({rows.size(), simulation_of.at(key), rec.line});
    } catch (const UserError& e) {
      row.status = "error";
      row.message = fmt::format("{}:{}: {}", table.source, rec.line, e.what());
    }
    rows.push_back(row);
  }
  if (pool) {
    for (const ChildPool::Result& r : pool->results()) {
      Outcome o;
      try {
        if (!r.delivered) throw std::runtime_error(r.failure);
        o = decode(r.data);
      } catch (const std::exception& e) {
        o = Outcome{};
        o.error = fmt::format("simulation process failed: {}", e.what());
      }
      outcomes.push_back(std::move(o));
    }
  }
  for (const Pending& p : pending) {
    ValidationRow& row = rows[p.row];
    const Outcome& o = outcomes[p.simulation];
    try {
      if (!o.ok) throw UserError(o.error);
      row.simulated = simulated_in(o, row.metric, row.unit);
      row.rel_error = (row.simulated - row.measured) / row.measured;
      row.bottleneck = o.bottleneck;
      row.status = "ok";
    } catch (const UserError& e) {
      row.status = "error";
      row.message = fmt::format("{}:{}: {}", table.source, p.line, e.what());
    }
  }
  return rows;
}

std::vector<KindSummary> summarize(const std::vector<ValidationRow>& rows) {
  std::map<std::string, std::vector<double>> errs;
  std::vector<std::string> order;
  for (const auto& r : rows) {
    if (r.status != "ok") continue;
    if (!errs.count(r.kind)) order.push_back(r.kind);
    errs[r.kind].push_back(std::fabs(r.rel_error));
  }
  std::vector<KindSummary> out;
  for (const auto& kind : order) {
    auto v = errs[kind];
    std::sort(v.begin(), v.end());
    const std::size_t n = v.size();
    const double median = n % 2 ? v[n / 2] : 0.5 * (v[n / 2 - 1] + v[n / 2]);
    out.push_back({kind, static_cast<int>(n), median, v.back()});
  }
  return out;
}

std::string to_text(const std::vector<ValidationRow>& rows,
                    const std::vector<KindSummary>& summary) {
  report::Table t(
      {"id", "kind", "chip", "simulated", "measured", "unit", "error", "bottleneck / note"});
  for (const auto& r : rows) {
    if (r.status == "ok")
      t.add_row({r.id, r.kind, r.chip, fmt::format("{:.4g}", r.simulated),
                 fmt::format("{:.4g}", r.measured), r.unit,
                 fmt::format("{:+.1f}%", 100 * r.rel_error), r.bottleneck});
    else
      t.add_row({r.id, r.kind, r.chip, "-", fmt::format("{:.4g}", r.measured), r.unit, r.status,
                 r.message});
  }
  std::string out = t.to_text();
  out += "\n";
  report::Table s({"kind", "rows", "median |error|", "max |error|"});
  for (const auto& k : summary)
    s.add_row({k.kind, std::to_string(k.rows), fmt::format("{:.1f}%", 100 * k.median_abs_error),
               fmt::format("{:.1f}%", 100 * k.max_abs_error)});
  out += s.to_text();
  int skipped = 0, errors = 0;
  for (const auto& r : rows) {
    skipped += r.status == "skipped";
    errors += r.status == "error";
  }
  out += fmt::format("{} rows: {} simulated, {} skipped (kind not supported yet), {} errors\n",
                     rows.size(), rows.size() - skipped - errors, skipped, errors);
  return out;
}

nlohmann::ordered_json to_json(const std::vector<ValidationRow>& rows) {
  nlohmann::ordered_json out = nlohmann::ordered_json::array();
  for (const auto& r : rows) {
    nlohmann::ordered_json j = {{"id", r.id}, {"kind", r.kind}, {"status", r.status}};
    j["simulated"] =
        r.status == "ok" ? nlohmann::ordered_json(r.simulated) : nlohmann::ordered_json(nullptr);
    j["measured"] = r.measured;
    j["unit"] = r.unit;
    j["rel_error"] =
        r.status == "ok" ? nlohmann::ordered_json(r.rel_error) : nlohmann::ordered_json(nullptr);
    j["chip"] = r.chip;
    j["metric"] = r.metric;
    if (!r.bottleneck.empty()) j["bottleneck"] = r.bottleneck;
    if (!r.message.empty()) j["message"] = r.message;
    out.push_back(j);
  }
  return out;
}

}  // namespace xpusim::validate
