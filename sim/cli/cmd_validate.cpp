// `xpusim validate <csv>`: simulated against measured, per row and per kind.
#include <fmt/format.h>

#include <iostream>

#include "sim/cli/context.hpp"
#include "sim/report/table.hpp"
#include "sim/validate/child_pool.hpp"
#include "sim/validate/validate.hpp"

namespace xpusim::cli {
namespace {

// One line per row, the JSON form's fields; empty cells where a row has no simulated value.
void print_csv(const std::vector<validate::ValidationRow>& rows) {
  std::cout << "id,kind,status,chip,metric,unit,simulated,measured,rel_error,bottleneck,message\n";
  for (const auto& r : rows) {
    const bool ok = r.status == "ok";
    std::cout << report::csv_field(r.id) << ',' << report::csv_field(r.kind) << ',' << r.status
              << ',' << report::csv_field(r.chip) << ',' << report::csv_field(r.metric) << ','
              << report::csv_field(r.unit) << ',' << (ok ? fmt::format("{:.6g}", r.simulated) : "")
              << ',' << fmt::format("{:.6g}", r.measured) << ','
              << (ok ? fmt::format("{:.6g}", r.rel_error) : "") << ','
              << report::csv_field(r.bottleneck) << ',' << report::csv_field(r.message) << '\n';
  }
}

struct ValidateOptions {
  std::string file;
  std::vector<std::string> sets;
  double quantum_ns = 250;
  int jobs = validate::available_cpus();
  OutputFormat format = OutputFormat::kTable;
};

void run_validate(const ValidateOptions& opt, const CliContext& ctx) {
  const validate::CsvTable table = validate::read_csv_file(opt.file);
  const auto rows = validate::validate_table(table, ctx.config_dir(),
                                             platform_options(opt.quantum_ns), opt.sets, opt.jobs);
  if (opt.format == OutputFormat::kJson)
    std::cout << validate::to_json(rows).dump(2) << "\n";
  else if (opt.format == OutputFormat::kCsv)
    print_csv(rows);
  else
    std::cout << validate::to_text(rows, validate::summarize(rows));
}

}  // namespace

void register_validate(CLI::App& app, CliContext& ctx) {
  auto opt = std::make_shared<ValidateOptions>();
  CLI::App* cmd = app.add_subcommand("validate",
                                     "Simulate every row of a measurements CSV (columns "
                                     "id,chip,devices,kind,dtype,params,metric,value,unit"
                                     "[,source], as ../shared/reference/measured.csv) whose kind "
                                     "is supported (gemm, stream, attention, allreduce) and print "
                                     "simulated, measured and signed relative error per row, and "
                                     "the median and max |error| per kind. "
                                     "Other kinds are listed as skipped.");
  cmd->add_option("file", opt->file, "CSV file")->required();
  cmd->add_option("--quantum", opt->quantum_ns, "temporal-decoupling quantum in ns");
  cmd->add_option("--jobs,-j", opt->jobs,
                  "simulations run side by side, each in its own process (default: the number of "
                  "processors available); the output does not depend on it")
      ->check(CLI::Range(1, 4096));
  add_set_option(cmd, opt->sets);
  add_format_option(cmd, opt->format);
  cmd->callback([opt, &ctx] { run_validate(*opt, ctx); });
}

}  // namespace xpusim::cli
