// `xpusim claims`: regenerates docs/claims.md from simulations of each seed claim.
#include <fstream>
#include <iostream>

#include "sim/cli/context.hpp"
#include "sim/common/error.hpp"
#include "sim/llm/claims.hpp"

namespace xpusim::cli {

void register_claims(CLI::App& app, CliContext& ctx) {
  auto out = std::make_shared<std::string>();
  CLI::App* cmd = app.add_subcommand(
      "claims",
      "Check every seed claim (C1-C15 of ../shared/reference/seed-claims.md) against the "
      "simulator and print docs/claims.md (Markdown): figures, workload, verdict and why.");
  cmd->add_option("--out", *out, "write the Markdown to this file instead of stdout");
  cmd->callback([out, &ctx] {
    const std::string md = llm::claims_markdown(ctx.config_dir());
    if (out->empty()) {
      std::cout << md;
      return;
    }
    std::ofstream f(*out);
    if (!f) throw UserError(*out + ": cannot write");
    f << md;
  });
}

}  // namespace xpusim::cli
