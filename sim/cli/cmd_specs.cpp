// `xpusim specs`: side-by-side peaks, memory, links, export-rule classes of chips and systems.
#include <fmt/format.h>

#include <iostream>
#include <nlohmann/json.hpp>

#include "sim/cli/context.hpp"
#include "sim/common/error.hpp"
#include "sim/report/table.hpp"
#include "sim/specs/chip_metrics.hpp"

namespace xpusim::cli {
namespace {

using config::ChipConfig;
using config::SystemConfig;
using specs::ChipMetrics;
using specs::SystemMetrics;

struct SpecsOptions {
  std::vector<std::string> names;
  std::vector<std::string> sets;
  OutputFormat format = OutputFormat::kTable;
};

std::string mark(bool estimate) {
  return estimate ? "?" : "";
}

std::string peak_cell(const ChipMetrics& m, DType d) {
  for (const auto& p : m.peaks) {
    if (p.dtype != d) continue;
    std::string s = fmt::format("{:.1f}{}", p.derived_tflops, mark(p.estimate));
    if (p.differs) s += fmt::format(" (datasheet {:.1f})", p.datasheet_tflops);
    return s;
  }
  return "-";
}

const specs::RuleVerdict& rule(const ChipMetrics& m, const std::string& id) {
  for (const auto& r : m.export_rules)
    if (r.rule == id) return r;
  throw std::logic_error("unknown export rule " + id);
}

nlohmann::ordered_json chip_json(const ChipMetrics& m, const ChipConfig& c) {
  nlohmann::ordered_json peaks = nlohmann::ordered_json::object();
  for (const auto& p : m.peaks)
    peaks[std::string(dtype_name(p.dtype))] = {{"derived_tflops", p.derived_tflops},
                                               {"datasheet_tflops", p.datasheet_tflops},
                                               {"differs", p.differs},
                                               {"estimate", p.estimate}};
  nlohmann::ordered_json rules = nlohmann::ordered_json::object();
  for (const auto& r : m.export_rules) rules[r.rule] = {{"class", r.verdict}, {"reason", r.reason}};
  nlohmann::ordered_json est = nlohmann::ordered_json::object();
  for (const auto& [k, note] : m.estimates) est[k] = note;
  return {{"kind", "chip"},
          {"name", m.name},
          {"display_name", m.display_name},
          {"units", c.compute.units},
          {"unit_name", c.compute.unit_name},
          {"peaks", peaks},
          {"memory_technology", c.memory.technology},
          {"memory_capacity_gb", m.memory_capacity_gb},
          {"memory_bandwidth_tbs", m.memory_bandwidth_tbs},
          {"datasheet_memory_bandwidth_tbs", m.datasheet_memory_bandwidth_tbs},
          {"scale_up_gbs", m.scale_up_gbs},
          {"machine_balance_bf16_flop_per_byte", m.machine_balance_bf16},
          {"tpp", m.tpp},
          {"tpp_dtype", m.tpp_dtype},
          {"performance_density", m.pd},
          {"die_area_mm2", c.die_area_mm2},
          {"tdp_w", c.tdp_w},
          {"price_usd", c.price_usd},
          {"export", rules},
          {"estimates", est}};
}

nlohmann::ordered_json system_json(const SystemMetrics& m) {
  return {{"kind", "system"},
          {"name", m.name},
          {"display_name", m.display_name},
          {"chip", m.chip},
          {"devices", m.devices},
          {"topology", m.topology},
          {"bf16_pflops", m.bf16_pflops},
          {"fp8_pflops", m.fp8_pflops},
          {"memory_tb", m.memory_tb},
          {"memory_bandwidth_tbs", m.memory_bandwidth_tbs},
          {"scale_up_tbs", m.scale_up_tbs},
          {"power_kw", m.power_kw}};
}

std::string chips_table(const std::vector<ChipMetrics>& ms, const std::vector<ChipConfig>& cs) {
  std::vector<std::string> header{"metric"};
  for (const auto& m : ms) header.push_back(m.name);
  report::Table t(header);
  auto row = [&](const std::string& label, auto cell) {
    std::vector<std::string> r{label};
    for (std::size_t i = 0; i < ms.size(); ++i) r.push_back(cell(ms[i], cs[i]));
    t.add_row(r);
  };
  row("units", [](const ChipMetrics&, const ChipConfig& c) {
    return fmt::format("{} {}{}", c.compute.units, c.compute.unit_name,
                       mark(c.is_estimate("compute.units")));
  });
  const std::pair<DType, const char*> shown[] = {
      {DType::kFp64, "FP64 TFLOPS"}, {DType::kTf32, "TF32 TFLOPS"}, {DType::kBf16, "BF16 TFLOPS"},
      {DType::kFp16, "FP16 TFLOPS"}, {DType::kFp8, "FP8 TFLOPS"},   {DType::kInt8, "INT8 TOPS"},
      {DType::kFp4, "FP4 TFLOPS"}};
  for (const auto& [d, label] : shown) {
    bool any = false;
    for (const auto& m : ms) any |= peak_cell(m, d) != "-";
    if (any)
      row(label, [d = d](const ChipMetrics& m, const ChipConfig&) { return peak_cell(m, d); });
  }
  row("memory", [](const ChipMetrics& m, const ChipConfig& c) {
    return fmt::format("{:.0f} GB {}{}", m.memory_capacity_gb, c.memory.technology,
                       mark(c.is_estimate("memory.capacity")));
  });
  row("memory TB/s", [](const ChipMetrics& m, const ChipConfig&) {
    std::string s = fmt::format("{:.2f}{}", m.memory_bandwidth_tbs, mark(m.memory_estimate));
    if (m.memory_bandwidth_differs)
      s += fmt::format(" (datasheet {:.2f})", m.datasheet_memory_bandwidth_tbs);
    return s;
  });
  row("scale-up GB/s (bidir)", [](const ChipMetrics& m, const ChipConfig&) {
    return fmt::format("{:.0f}{}", m.scale_up_gbs, mark(m.scale_up_estimate));
  });
  row("balance BF16 FLOP/B", [](const ChipMetrics& m, const ChipConfig&) {
    return fmt::format("{:.0f}", m.machine_balance_bf16);
  });
  row("TPP", [](const ChipMetrics& m, const ChipConfig&) {
    return fmt::format("{:.0f}{}", m.tpp, mark(m.tpp_estimate));
  });
  row("PD (TPP/mm2)", [](const ChipMetrics& m, const ChipConfig&) {
    return fmt::format("{:.2f}{}", m.pd, mark(m.pd_estimate));
  });
  row("Oct 2022 rule",
      [](const ChipMetrics& m, const ChipConfig&) { return rule(m, "oct2022").verdict; });
  row("Oct 2023 rule",
      [](const ChipMetrics& m, const ChipConfig&) { return rule(m, "oct2023").verdict; });
  row("Apr 2025 letters",
      [](const ChipMetrics& m, const ChipConfig&) { return rule(m, "apr2025").verdict; });
  row("Jan 2026 rule",
      [](const ChipMetrics& m, const ChipConfig&) { return rule(m, "jan2026").verdict; });
  std::string out = t.to_text();
  out += "\nExport classes decided by:\n";
  for (const auto& m : ms)
    for (const auto& r : m.export_rules)
      out += fmt::format("  {:<14} {:<8} {:<20} {}\n", m.name, r.rule, r.verdict, r.reason);
  bool any_estimate = false;
  for (const auto& m : ms) any_estimate |= !m.estimates.empty();
  if (any_estimate) {
    out +=
        "\n? = derived from an estimated or conflicting value. Estimated values in the configs:\n";
    for (const auto& m : ms)
      for (const auto& [k, note] : m.estimates)
        out += fmt::format("  {:<14} {}: {}\n", m.name, k, note);
  }
  return out;
}

std::string systems_table(const std::vector<SystemMetrics>& ms) {
  report::Table t({"system", "chip", "devices", "topology", "BF16 PFLOPS", "FP8 PFLOPS",
                   "memory TB", "memory TB/s", "scale-up TB/s", "power kW"});
  for (const auto& m : ms)
    t.add_row({m.name, m.chip, std::to_string(m.devices), m.topology,
               fmt::format("{:.1f}", m.bf16_pflops), fmt::format("{:.1f}", m.fp8_pflops),
               fmt::format("{:.2f}", m.memory_tb), fmt::format("{:.1f}", m.memory_bandwidth_tbs),
               fmt::format("{:.1f}", m.scale_up_tbs),
               m.power_kw > 0 ? fmt::format("{:.1f}", m.power_kw) : "-"});
  return t.to_text();
}

std::string flat_csv(const nlohmann::ordered_json& rows) {
  // Union of flattened columns in first-seen order, one line per chip or system.
  std::vector<std::string> cols;
  std::vector<nlohmann::ordered_json> flat;
  for (const auto& r : rows) {
    nlohmann::ordered_json f = r.flatten();
    for (auto it = f.begin(); it != f.end(); ++it) {
      std::string key = it.key().substr(1);
      for (auto& ch : key) ch = ch == '/' ? '.' : ch;
      if (std::find(cols.begin(), cols.end(), key) == cols.end()) cols.push_back(key);
    }
    flat.push_back(f);
  }
  report::Table t(cols);
  for (const auto& f : flat) {
    std::vector<std::string> line;
    for (const auto& c : cols) {
      std::string ptr = "/" + c;
      for (auto& ch : ptr) ch = ch == '.' ? '/' : ch;
      const auto it = f.find(ptr);
      if (it == f.end())
        line.push_back("");
      else
        line.push_back(it->is_string() ? it->get<std::string>() : it->dump());
    }
    t.add_row(line);
  }
  return t.to_csv();
}

void run_specs(const SpecsOptions& opt, const CliContext& ctx) {
  const auto dir = ctx.config_dir();
  std::vector<std::string> names = opt.names;
  if (names.empty()) {
    names = config::list_configs(dir / "chips");
    for (const auto& s : config::list_configs(dir / "systems")) names.push_back(s);
  }
  std::vector<ChipConfig> chips;
  std::vector<config::SystemConfig> systems;
  const auto known_systems = config::list_configs(dir / "systems");
  for (const auto& n : names) {
    if (std::find(known_systems.begin(), known_systems.end(), n) != known_systems.end() ||
        n.find("/systems/") != std::string::npos)
      systems.push_back(config::load_system(n, dir, {}, opt.sets));
    else
      chips.push_back(config::load_chip(n, dir, opt.sets));
  }
  std::vector<ChipMetrics> cm;
  for (const auto& c : chips) cm.push_back(specs::compute_metrics(c));
  std::vector<SystemMetrics> sm;
  for (const auto& s : systems) sm.push_back(specs::compute_metrics(s));

  nlohmann::ordered_json rows = nlohmann::ordered_json::array();
  for (std::size_t i = 0; i < cm.size(); ++i) rows.push_back(chip_json(cm[i], chips[i]));
  for (const auto& m : sm) rows.push_back(system_json(m));
  switch (opt.format) {
    case OutputFormat::kJson:
      std::cout << rows.dump(2) << "\n";
      break;
    case OutputFormat::kCsv:
      std::cout << flat_csv(rows);
      break;
    case OutputFormat::kTable:
      if (!cm.empty()) std::cout << chips_table(cm, chips);
      if (!sm.empty()) std::cout << (cm.empty() ? "" : "\n") << systems_table(sm);
      break;
  }
}

}  // namespace

void register_specs(CLI::App& app, CliContext& ctx) {
  auto opt = std::make_shared<SpecsOptions>();
  CLI::App* cmd = app.add_subcommand(
      "specs",
      "Peaks per dtype (derived from units x clock x rate), memory, scale-up bandwidth, machine "
      "balance, TPP, performance density and export-rule classes of chips and systems, side by "
      "side. "
      "Values marked ? come from estimates.");
  cmd->add_option("names", opt->names, "chip or system config names or YAML paths (default: all)");
  add_set_option(cmd, opt->sets);
  add_format_option(cmd, opt->format);
  cmd->callback([opt, &ctx] { run_specs(*opt, ctx); });
}

}  // namespace xpusim::cli
