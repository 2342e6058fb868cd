#include "sim/llm/compare.hpp"

#include <fmt/format.h>

#include <algorithm>
#include <set>

#include "sim/common/error.hpp"
#include "sim/report/table.hpp"
#include "sim/validate/child_pool.hpp"
#include "workloads/collective/collective.hpp"

namespace xpusim::llm {
namespace {

nlohmann::ordered_json split_json(const TimeSplit& s) {
  return {{"compute_s", s.compute_s},
          {"hbm_s", s.hbm_s},
          {"interconnect_s", s.interconnect_s},
          {"launch_s", s.launch_s}};
}

TimeSplit split_from(const nlohmann::json& j) {
  return {j.at("compute_s").get<double>(), j.at("hbm_s").get<double>(),
          j.at("interconnect_s").get<double>(), j.at("launch_s").get<double>()};
}

LlmResult result_from(const nlohmann::json& j) {
  LlmResult r;
  r.chip = j.at("chip");
  r.system = j.at("system");
  r.chips = j.at("chips");
  r.batch = j.at("batch");
  r.time_s = j.at("time_s");
  r.tokens_per_s = j.at("tokens_per_s");
  r.tokens_per_s_per_chip = j.at("tokens_per_s_per_chip");
  r.ttft_s = j.at("ttft_s");
  r.tpot_s = j.at("tpot_s");
  r.flops_per_chip = j.at("flops_per_chip");
  r.split = split_from(j.at("bottleneck"));
  const auto& m = j.at("memory");
  r.memory.weights_bytes = m.at("weights_GB").get<double>() * 1e9;
  r.memory.kv_cache_bytes = m.at("kv_cache_GB").get<double>() * 1e9;
  r.memory.activations_bytes = m.at("activations_GB").get<double>() * 1e9;
  r.memory.capacity_bytes = m.at("capacity_GB").get<double>() * 1e9;
  r.memory.fits = m.at("fits");
  r.gemm_dtype = parse_dtype(j.at("gemm_dtype").get<std::string>()).value_or(DType::kBf16);
  r.attention_dtype =
      parse_dtype(j.at("attention_dtype").get<std::string>()).value_or(DType::kBf16);
  r.distinct_ops = j.at("distinct_ops");
  r.op_executions = j.at("op_executions");
  for (const auto& n : j.at("notes")) r.notes.push_back(n);
  for (const auto& o : j.at("ops"))
    r.ops.push_back({o.at("pass"), o.at("name"), o.at("key"), o.at("bottleneck"), o.at("count"),
                     split_from(o.at("each")), o.at("total_s")});
  return r;
}

std::string gb(double bytes) {
  return fmt::format("{:.1f}", bytes / 1e9);
}

}  // namespace

void split_sets(const std::vector<std::string>& sets, std::vector<std::string>& workload_sets,
                std::vector<std::string>& chip_sets) {
  std::set<std::string> keys;
  for (const auto& b : workload_bindings()) keys.insert(b.spec.path);
  for (const auto& s : sets) {
    const std::string key = s.substr(0, s.find('='));
    (keys.count(key) ? workload_sets : chip_sets).push_back(s);
  }
}

std::optional<config::SystemConfig> system_for(const config::ChipConfig& chip, int devices,
                                               const std::string& system_name,
                                               const std::filesystem::path& config_dir,
                                               std::vector<std::string>& notes) {
  if (devices <= 1) return std::nullopt;
  if (!system_name.empty()) {
    config::SystemConfig s = config::load_system(system_name, config_dir);
    if (s.chip_name != chip.name)
      notes.push_back(
          fmt::format("{} in {}'s fabric (its chip {} replaced)", chip.name, s.name, s.chip_name));
    s.chip = chip;
    s.chip_name = chip.name;
    return s;
  }
  const int domain = std::max(8, devices);
  try {
    const std::string name = collective::standard_system_for(chip.name, domain, config_dir);
    config::SystemConfig s = config::load_system(name, config_dir);
    s.chip = chip;  // keeps --set overrides
    return s;
  } catch (const UserError&) {
    // No standard system: a full mesh over the chip's own scale-up links.
  }
  // A system of `domain` of this chip, named after how it was built.
  const auto built = [&](const char* suffix, const char* how, const char* topology) {
    config::SystemConfig s;
    s.name = fmt::format("{}_{}x_{}", chip.name, domain, suffix);
    s.display_name = fmt::format("{} x {} (built: {})", domain, chip.display_name, how);
    s.chip_name = chip.name;
    s.chip = chip;
    s.devices = domain;
    s.topology = topology;
    return s;
  };
  if (chip.scale_up.links < domain - 1) {
    // Too few links for a full mesh: one ideal switch with a port per link.
    config::SystemConfig s = built("switch", "one switch, a port per link", "switched");
    s.fabric_switch.generation = "ideal";
    s.fabric_switch.count = 1;
    s.fabric_switch.ports = std::max(1, chip.scale_up.links) * domain;
    s.fabric_switch.port_bandwidth = chip.scale_up.link_bandwidth;
    s.fabric_switch.latency = chip.scale_up.latency;
    notes.push_back(fmt::format(
        "no system config for {} x {} and {} links cannot make a full mesh: one non-blocking "
        "switch with a port per link ({} x {:.0f} GB/s), switch latency = link latency",
        domain, chip.name, chip.scale_up.links, chip.scale_up.links,
        chip.scale_up.link_bandwidth / 1e9));
    return s;
  }
  config::SystemConfig s = built("mesh", "full mesh of its links", "full_mesh");
  notes.push_back(fmt::format(
      "no system config for {} x {}: a full mesh built from its scale-up links ({} x {:.0f} GB/s)",
      domain, chip.name, chip.scale_up.links, chip.scale_up.link_bandwidth / 1e9));
  return s;
}

LlmResult evaluate_on(const LlmWorkload& workload, const config::ChipConfig& chip,
                      const std::string& system_name, const std::filesystem::path& config_dir,
                      bool use_max_batch, const platform::PlatformOptions& options) {
  LlmWorkload w = workload;
  std::vector<std::string> notes;
  if (use_max_batch) {
    std::vector<std::string> ignored;  // evaluate() notes the fallbacks
    const LlmWorkload run = on_chip(w, chip, ignored);
    const std::uint64_t b = max_batch(run, chip, run.weight_dtype);
    if (b > 0) {
      notes.push_back(fmt::format("--max-batch: batch {} (largest that fits)", b));
      w.batch = b;
    }
  }
  auto system = system_for(chip, w.parallel.devices(), system_name, config_dir, notes);
  OpTimer timer(chip, std::move(system), options);
  LlmResult r = evaluate(w, timer);
  r.notes.insert(r.notes.begin(), notes.begin(), notes.end());
  return r;
}

Comparison compare(const CompareRequest& req, const std::filesystem::path& config_dir,
                   const platform::PlatformOptions& options) {
  if (req.chips.empty()) throw UserError("--chips: give at least one chip");
  std::vector<std::string> wsets, csets;
  split_sets(req.sets, wsets, csets);
  Comparison c;
  c.workload = load_workload(req.workload, workloads_dir(config_dir), wsets);
  std::vector<config::ChipConfig> chips;
  for (const auto& name : req.chips) chips.push_back(config::load_chip(name, config_dir, csets));
  c.rows.resize(chips.size());
  auto run_one = [&](std::size_t i) {
    return evaluate_on(c.workload, chips[i], req.system, config_dir, req.max_batch, options);
  };
  if (req.jobs > 1 && chips.size() > 1) {
    validate::ChildPool pool(req.jobs);
    for (std::size_t i = 0; i < chips.size(); ++i)
      pool.launch([&, i] {
        nlohmann::json j;
        try {
          j = {{"ok", true}, {"result", to_json(run_one(i))}};
        } catch (const UserError& e) {
          j = {{"ok", false}, {"error", e.what()}};
        }
        return j.dump();
      });
    const auto& results = pool.results();
    for (std::size_t i = 0; i < chips.size(); ++i) {
      if (!results[i].delivered) {
        c.rows[i].result.chip = chips[i].name;
        c.rows[i].error = "simulation process failed: " + results[i].failure;
        continue;
      }
      const auto j = nlohmann::json::parse(results[i].data);
      if (j.at("ok"))
        c.rows[i].result = result_from(j.at("result"));
      else {
        c.rows[i].result.chip = chips[i].name;
        c.rows[i].error = j.at("error");
      }
    }
  } else {
    for (std::size_t i = 0; i < chips.size(); ++i) {
      try {
        c.rows[i].result = run_one(i);
      } catch (const UserError& e) {
        c.rows[i].result.chip = chips[i].name;
        c.rows[i].error = e.what();
      }
    }
  }
  // Nothing ran: the workload itself is the problem (does not fit, no such dtype...).
  if (std::all_of(c.rows.begin(), c.rows.end(),
                  [](const CompareRow& r) { return !r.error.empty(); })) {
    std::string msg;
    for (const auto& r : c.rows) msg += (msg.empty() ? "" : "\n") + r.error;
    throw UserError(msg);
  }
  const double first =
      c.rows.front().error.empty() ? c.rows.front().result.tokens_per_s_per_chip : 0;
  for (auto& row : c.rows)
    if (row.error.empty() && first > 0)
      row.ratio_to_first = row.result.tokens_per_s_per_chip / first;
  return c;
}

nlohmann::ordered_json to_json(const LlmResult& r) {
  nlohmann::ordered_json j;
  j["chip"] = r.chip;
  j["system"] = r.system;
  j["chips"] = r.chips;
  j["batch"] = r.batch;
  j["time_s"] = r.time_s;
  j["tokens_per_s"] = r.tokens_per_s;
  j["tokens_per_s_per_chip"] = r.tokens_per_s_per_chip;
  j["ttft_s"] = r.ttft_s;
  j["tpot_s"] = r.tpot_s;
  j["flops_per_chip"] = r.flops_per_chip;
  j["bottleneck"] = split_json(r.split);
  j["dominant"] = r.split.dominant();
  j["memory"] = {{"weights_GB", r.memory.weights_bytes / 1e9},
                 {"kv_cache_GB", r.memory.kv_cache_bytes / 1e9},
                 {"activations_GB", r.memory.activations_bytes / 1e9},
                 {"capacity_GB", r.memory.capacity_bytes / 1e9},
                 {"fits", r.memory.fits}};
  j["gemm_dtype"] = std::string(dtype_name(r.gemm_dtype));
  j["attention_dtype"] = std::string(dtype_name(r.attention_dtype));
  j["distinct_ops"] = r.distinct_ops;
  j["op_executions"] = r.op_executions;
  j["notes"] = r.notes;
  j["ops"] = nlohmann::ordered_json::array();
  for (const auto& o : r.ops)
    j["ops"].push_back({{"pass", o.pass},
                        {"name", o.name},
                        {"key", o.key},
                        {"bottleneck", o.bottleneck},
                        {"count", o.count},
                        {"each", split_json(o.each)},
                        {"total_s", o.total_s}});
  return j;
}

nlohmann::ordered_json to_json(const Comparison& c) {
  const LlmWorkload& w = c.workload;
  nlohmann::ordered_json j;
  j["workload"] = {{"name", w.name},
                   {"model", w.model.name},
                   {"phase", phase_name(w.phase)},
                   {"batch", w.batch},
                   {"input_len", w.input_len},
                   {"output_len", w.output_len},
                   {"context", w.context},
                   {"weights_dtype", std::string(dtype_name(w.weight_dtype))},
                   {"kv_cache_dtype", std::string(dtype_name(w.kv_dtype))},
                   {"activations_dtype", std::string(dtype_name(w.activation_dtype))},
                   {"tp", w.parallel.tp},
                   {"pp", w.parallel.pp},
                   {"ep", w.parallel.ep},
                   {"params_B", w.model.total_params() / 1e9},
                   {"active_params_B", w.model.active_params() / 1e9},
                   {"summary", w.summary()}};
  j["rows"] = nlohmann::ordered_json::array();
  for (const auto& row : c.rows) {
    nlohmann::ordered_json r;
    if (row.error.empty()) {
      r = to_json(row.result);
      // Keep the documented order: ratio after the throughput figures.
      nlohmann::ordered_json o;
      for (auto it = r.begin(); it != r.end(); ++it) {
        o[it.key()] = it.value();
        if (it.key() == "tokens_per_s_per_chip") o["ratio_to_first"] = row.ratio_to_first;
      }
      r = o;
    } else {
      r = {{"chip", row.result.chip}, {"error", row.error}};
    }
    j["rows"].push_back(r);
  }
  return j;
}

std::string to_table(const Comparison& c) {
  std::string out = fmt::format("# {}\n", c.workload.summary());
  if (!c.workload.description.empty()) out += "# " + c.workload.description + "\n";
  const bool serving = c.workload.phase == Phase::kServing;
  std::vector<std::string> head = {"chip",  "system",     "batch", "time ms",
                                   "tok/s", "tok/s/chip", "ratio"};
  if (serving) head.insert(head.begin() + 4, "TTFT ms");
  for (const char* h : {"compute", "HBM", "interconn", "launch", "bound", "mem GB", "fits"})
    head.push_back(h);
  report::Table t(head);
  std::vector<std::string> notes;
  for (const auto& row : c.rows) {
    const LlmResult& r = row.result;
    if (!row.error.empty()) {
      std::vector<std::string> cells(head.size(), "-");
      cells[0] = r.chip;
      cells.back() = "error";
      t.add_row(cells);
      notes.push_back(fmt::format("{}: {}", r.chip, row.error));
      continue;
    }
    auto pct = [&](double part) { return fmt::format("{:.0f}%", 100 * part / r.time_s); };
    std::vector<std::string> cells = {r.chip,
                                      r.system,
                                      std::to_string(r.batch),
                                      fmt::format("{:.3f}", r.time_s * 1e3),
                                      fmt::format("{:.0f}", r.tokens_per_s),
                                      fmt::format("{:.0f}", r.tokens_per_s_per_chip),
                                      fmt::format("{:.2f}", row.ratio_to_first)};
    if (serving) cells.insert(cells.begin() + 4, fmt::format("{:.1f}", r.ttft_s * 1e3));
    for (auto s : {pct(r.split.compute_s), pct(r.split.hbm_s), pct(r.split.interconnect_s),
                   pct(r.split.launch_s), r.split.dominant(),
                   fmt::format("{}/{}", gb(r.memory.total()), gb(r.memory.capacity_bytes)),
                   r.memory.fits ? std::string("yes") : std::string("no")})
      cells.push_back(s);
    t.add_row(cells);
    for (const auto& n : r.notes) notes.push_back(fmt::format("{}: {}", r.chip, n));
    notes.push_back(fmt::format("{}: {} distinct ops simulated for {:.0f} executions per chip",
                                r.chip, r.distinct_ops, r.op_executions));
  }
  out += t.to_text();
  out +=
      "# ratio: tokens/s per chip against the first row; time split per chip (compute, HBM, "
      "interconnect, launch/latency)\n";
  for (const auto& n : notes) out += "# " + n + "\n";
  return out;
}

std::string to_csv(const Comparison& c) {
  report::Table t({"chip", "system", "batch", "time_s", "tokens_per_s", "tokens_per_s_per_chip",
                   "ratio_to_first", "ttft_s", "tpot_s", "compute_s", "hbm_s", "interconnect_s",
                   "launch_s", "weights_GB", "kv_cache_GB", "activations_GB", "capacity_GB", "fits",
                   "error"});
  for (const auto& row : c.rows) {
    const LlmResult& r = row.result;
    auto g = [](double v) { return fmt::format("{:.6g}", v); };
    if (!row.error.empty()) {
      std::vector<std::string> cells(19, "");
      cells[0] = r.chip;
      cells[18] = row.error;
      t.add_row(cells);
      continue;
    }
    t.add_row({r.chip, r.system, std::to_string(r.batch), g(r.time_s), g(r.tokens_per_s),
               g(r.tokens_per_s_per_chip), g(row.ratio_to_first), g(r.ttft_s), g(r.tpot_s),
               g(r.split.compute_s), g(r.split.hbm_s), g(r.split.interconnect_s),
               g(r.split.launch_s), g(r.memory.weights_bytes / 1e9),
               g(r.memory.kv_cache_bytes / 1e9), g(r.memory.activations_bytes / 1e9),
               g(r.memory.capacity_bytes / 1e9), r.memory.fits ? "true" : "false", ""});
  }
  return t.to_csv();
}

}  // namespace xpusim::llm
