#pragma once
// `xpusim claims`: every claim C1-C15 of ../shared/reference/seed-claims.md checked against the
// simulator, as the Markdown of docs/claims.md: the simulated figures, the workload behind them
// and a verdict (reproduced, partly, not) with the reason.
#include <filesystem>
#include <string>

#include "models/platform/platform.hpp"

namespace xpusim::llm {

std::string claims_markdown(const std::filesystem::path& config_dir,
                            const platform::PlatformOptions& options = {});

}  // namespace xpusim::llm
