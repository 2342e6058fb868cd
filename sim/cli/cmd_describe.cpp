// `xpusim describe [component]`: every registered parameter with type, unit, range, default.
#include <fmt/format.h>

#include <iostream>
#include <nlohmann/json.hpp>

#include "sim/cli/context.hpp"
#include "sim/common/error.hpp"
#include "sim/config/system_config.hpp"
#include "sim/llm/llm_workload.hpp"
#include "sim/report/table.hpp"

namespace xpusim::cli {
namespace {

struct DescribeOptions {
  std::string component;
  OutputFormat format = OutputFormat::kTable;
};

void run_describe(const DescribeOptions& opt) {
  struct Group {
    const char* kind;
    std::vector<config::ParamSpec> specs;
  };
  const Group groups[] = {{"chip", config::specs_of(config::chip_bindings())},
                          {"system", config::specs_of(config::system_bindings())},
                          {"model", config::specs_of(llm::model_bindings())},
                          {"workload", config::specs_of(llm::workload_bindings())}};
  const std::string& want = opt.component;
  auto selected = [&](const char* kind, const std::string& path) {
    if (want.empty() || want == kind) return true;
    return path == want || path.starts_with(want + ".");
  };
  report::Table t({"config", "key", "type", "range", "default", "description"});
  nlohmann::json rows = nlohmann::json::array();
  for (const auto& g : groups)
    for (const auto& s : g.specs) {
      if (!selected(g.kind, s.path)) continue;
      const std::string dflt = s.required ? "required" : s.default_text.value_or("optional");
      t.add_row({g.kind, s.path, s.type_label(), s.range_label(), dflt, s.description});
      rows.push_back({{"config", g.kind},
                      {"key", s.path},
                      {"type", s.type_label()},
                      {"range", s.range_label()},
                      {"default", dflt},
                      {"description", s.description}});
    }
  if (rows.empty())
    throw UserError(
        fmt::format("describe: no parameter or component named '{}' (try 'compute', "
                    "'memory.timing', 'system' or no argument)",
                    want));
  switch (opt.format) {
    case OutputFormat::kJson:
      std::cout << rows.dump(2) << "\n";
      break;
    case OutputFormat::kCsv:
      std::cout << t.to_csv();
      break;
    case OutputFormat::kTable:
      std::cout << t.to_text(true);
      break;
  }
}

}  // namespace

void register_describe(CLI::App& app, CliContext&) {
  auto opt = std::make_shared<DescribeOptions>();
  CLI::App* cmd = app.add_subcommand(
      "describe",
      "List every config parameter with its type and unit, valid range, default (or 'required') "
      "and "
      "a one-line description. COMPONENT filters: a section such as compute, l2, memory, "
      "memory.timing, scale_up, or 'chip' / 'system', or one key.");
  cmd->add_option("component", opt->component,
                  "section, key, 'chip', 'system', 'model' or 'workload' (default: all)");
  add_format_option(cmd, opt->format);
  cmd->callback([opt] { run_describe(*opt); });
}

}  // namespace xpusim::cli
