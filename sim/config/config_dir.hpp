#pragma once
#include <filesystem>
#include <string>

namespace xpusim::config {

// Where configs/ lives: the explicit option if given, else $XPUSIM_CONFIG_DIR, else the configs/
// beside the executable's build tree, else the source tree the binary was built from.
std::filesystem::path find_config_dir(const std::string& explicit_dir, const char* argv0);

}  // namespace xpusim::config
