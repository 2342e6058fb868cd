#pragma once

namespace xpusim::cli {

// Parses the command line, runs the chosen subcommand and returns the process exit status.
int run_app(int argc, char** argv);

}  // namespace xpusim::cli
