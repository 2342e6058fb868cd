#include "sim/cli/app.hpp"

#include <CLI/CLI.hpp>
#include <iostream>

#include "sim/common/error.hpp"

namespace xpusim::cli {

int run_app(int argc, char** argv) {
  CLI::App app{"xpusim: cycle-approximate simulator of AI accelerators"};
  app.require_subcommand(1);
  try {
    app.parse(argc, argv);
  } catch (const CLI::ParseError& e) {
    return app.exit(e);
  } catch (const UserError& e) {
    std::cerr << "error: " << e.what() << "\n";
    return 2;
  }
  return 0;
}

}  // namespace xpusim::cli
