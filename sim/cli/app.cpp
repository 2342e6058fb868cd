#include "sim/cli/app.hpp"

#include <cstdlib>
#include <iostream>

#include "sim/cli/context.hpp"
#include "sim/common/error.hpp"
#include "sim/config/config_dir.hpp"

namespace xpusim::cli {

std::filesystem::path CliContext::config_dir() const {
  return config::find_config_dir(config_dir_option, argv0);
}

void add_format_option(CLI::App* cmd, OutputFormat& format) {
  cmd->add_option("--format", format, "output: table (default), json or csv")
      ->transform(CLI::CheckedTransformer(
          std::map<std::string, OutputFormat>{{"table", OutputFormat::kTable},
                                              {"json", OutputFormat::kJson},
                                              {"csv", OutputFormat::kCsv}},
          CLI::ignore_case));
}

void add_set_option(CLI::App* cmd, std::vector<std::string>& sets) {
  // One value per flag, so that positional arguments after it stay positional.
  cmd->add_option("--set", sets,
                  "override a chip parameter, e.g. --set compute.units=114 or "
                  "--set memory.data_rate=6.4Gb/s (repeatable; see `xpusim describe`)")
      ->allow_extra_args(false);
}

int run_app(int argc, char** argv) {
  // SystemC prints a banner on first use; our stdout carries JSON and CSV.
  setenv("SC_COPYRIGHT_MESSAGE", "DISABLE", 1);
  CLI::App app{
      "xpusim: a cycle-approximate simulator of AI accelerators.\n"
      "Chips and systems are YAML files in configs/ (see `xpusim describe`)."};
  app.require_subcommand(1);
  app.set_version_flag("--version", "xpusim 0.1");
  CliContext ctx;
  ctx.argv0 = argc > 0 ? argv[0] : nullptr;
  app.add_option(
      "--config-dir", ctx.config_dir_option,
      "folder holding chips/ and systems/ (default: $XPUSIM_CONFIG_DIR or the built-in configs)");
  register_specs(app, ctx);
  register_describe(app, ctx);
  register_run(app, ctx);
  register_trace(app, ctx);
  register_validate(app, ctx);
  register_collective(app, ctx);
  register_regress(app, ctx);
  register_sweep(app, ctx);
  try {
    app.parse(argc, argv);
  } catch (const CLI::ParseError& e) {
    return app.exit(e);
  } catch (const UserError& e) {
    std::cerr << "error: " << e.what() << "\n";
    return 2;
  } catch (const std::exception& e) {
    // A fault of the simulator, not of the input: say so instead of aborting.
    std::cerr << "internal error (please report): " << e.what() << "\n";
    return 3;
  }
  return 0;
}

}  // namespace xpusim::cli
