#pragma once
// What every subcommand shares: global options and where the configs are.
#include <CLI/CLI.hpp>
#include <filesystem>
#include <string>
#include <vector>

#include "models/platform/platform.hpp"
#include "sim/run/workload.hpp"

namespace xpusim::cli {

struct CliContext {
  std::string config_dir_option;  // --config-dir
  const char* argv0 = nullptr;
  std::filesystem::path config_dir() const;
};

enum class OutputFormat { kTable, kJson, kCsv };

// Adds --format table|json|csv to a subcommand.
void add_format_option(CLI::App* cmd, OutputFormat& format);

// Adds the repeatable --set key=value chip override.
void add_set_option(CLI::App* cmd, std::vector<std::string>& sets);

// Each subcommand registers itself on the app; its callback runs the command.
void register_specs(CLI::App& app, CliContext& ctx);
void register_describe(CLI::App& app, CliContext& ctx);
void register_run(CLI::App& app, CliContext& ctx);
void register_trace(CLI::App& app, CliContext& ctx);
void register_validate(CLI::App& app, CliContext& ctx);
void register_collective(CLI::App& app, CliContext& ctx);
void register_regress(CLI::App& app, CliContext& ctx);
void register_sweep(CLI::App& app, CliContext& ctx);

// The workload named by --gemm / --stream and --dtype, shared by run and trace record.
run::WorkloadSpec workload_from_options(const std::string& gemm, const std::string& stream_op,
                                        const std::string& dtype, std::uint64_t elements,
                                        const std::string& attention = "");
// Platform options from --quantum (ns), checked.
platform::PlatformOptions platform_options(double quantum_ns);

}  // namespace xpusim::cli
