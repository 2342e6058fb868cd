// `xpusim compare`: one LLM workload (workloads/*.yaml) on several chips, one row per chip.
#include <iostream>

#include "sim/cli/context.hpp"
#include "sim/llm/compare.hpp"
#include "sim/validate/child_pool.hpp"

namespace xpusim::cli {
namespace {

struct CompareOptions {
  std::string chips;
  llm::CompareRequest req;
  double quantum_ns = 250;
  OutputFormat format = OutputFormat::kTable;
};

std::vector<std::string> split_list(const std::string& s) {
  std::vector<std::string> out;
  std::size_t start = 0;
  while (start <= s.size()) {
    const std::size_t comma = s.find(',', start);
    const std::string item = s.substr(start, comma == std::string::npos ? comma : comma - start);
    if (!item.empty()) out.push_back(item);
    if (comma == std::string::npos) break;
    start = comma + 1;
  }
  return out;
}

}  // namespace

void register_compare(CLI::App& app, CliContext& ctx) {
  auto opt = std::make_shared<CompareOptions>();
  opt->req.jobs = validate::available_cpus();
  CLI::App* cmd = app.add_subcommand(
      "compare",
      "Run one LLM workload (workloads/<name>.yaml: model, phase, batch, lengths, dtypes, "
      "parallelism) on several chips, each in its standard system (or --system, or a mesh "
      "built from its links): one row per chip with tokens/s, the ratio to the first chip, the "
      "time split by bottleneck and the memory fit.");
  cmd->add_option("--chips", opt->chips, "comma-separated chip names, e.g. h100_sxm,h20,h200_sxm")
      ->required();
  cmd->add_option("--workload", opt->req.workload,
                  "workload name in workloads/ (e.g. llama3-70b-decode) or a YAML path")
      ->required();
  cmd->add_option("--system", opt->req.system,
                  "run every chip in this system's fabric (default: each chip's standard system)");
  cmd->add_flag("--max-batch", opt->req.max_batch,
                "per chip, use the largest batch that fits in memory");
  cmd->add_option("--jobs", opt->req.jobs,
                  "chips simulated side by side in child processes (default: CPUs available)")
      ->check(CLI::Range(1, 256));
  cmd->add_option("--quantum", opt->quantum_ns, "temporal-decoupling quantum in ns (default 250)");
  cmd->add_option("--set", opt->req.sets,
                  "override a workload key (batch=128, context=8192, parallel.tp=4, "
                  "dtypes.weights=bf16) or a chip parameter (compute.units=114); repeatable")
      ->allow_extra_args(false);
  add_format_option(cmd, opt->format);
  cmd->callback([opt, &ctx] {
    opt->req.chips = split_list(opt->chips);
    const llm::Comparison c =
        llm::compare(opt->req, ctx.config_dir(), platform_options(opt->quantum_ns));
    switch (opt->format) {
      case OutputFormat::kJson:
        std::cout << llm::to_json(c).dump(2) << "\n";
        break;
      case OutputFormat::kCsv:
        std::cout << llm::to_csv(c);
        break;
      case OutputFormat::kTable:
        std::cout << llm::to_table(c);
        break;
    }
  });
}

}  // namespace xpusim::cli
