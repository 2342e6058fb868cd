#include "sim/cli/app.hpp"

int main(int argc, char** argv) {
  return xpusim::cli::run_app(argc, argv);
}
