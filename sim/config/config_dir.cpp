#include "sim/config/config_dir.hpp"

#include <fmt/format.h>
#include <cstdlib>

#include "sim/common/error.hpp"

namespace xpusim::config {
namespace fs = std::filesystem;

fs::path find_config_dir(const std::string& explicit_dir, const char* argv0) {
  auto usable = [](const fs::path& p) { return fs::is_directory(p / "chips"); };
  if (!explicit_dir.empty()) {
    if (!usable(explicit_dir))
      throw UserError(fmt::format("--config-dir {}: no chips/ folder there", explicit_dir));
    return explicit_dir;
  }
  if (const char* env = std::getenv("XPUSIM_CONFIG_DIR"); env != nullptr && *env != '\0') {
    if (!usable(env))
      throw UserError(fmt::format("XPUSIM_CONFIG_DIR={}: no chips/ folder there", env));
    return env;
  }
  if (argv0 != nullptr) {
    std::error_code ec;
    const fs::path exe = fs::canonical(fs::path(argv0), ec);
    if (!ec && usable(exe.parent_path().parent_path() / "configs"))
      return exe.parent_path().parent_path() / "configs";
  }
  const fs::path source = fs::path(XPUSIM_SOURCE_DIR) / "configs";
  if (usable(source)) return source;
  throw UserError("cannot find the configs/ folder: pass --config-dir or set XPUSIM_CONFIG_DIR");
}

}  // namespace xpusim::config
