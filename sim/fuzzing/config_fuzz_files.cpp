#include "sim/fuzzing/config_fuzz_files.hpp"

#include <algorithm>

namespace xpusim::fuzzing {
namespace fs = std::filesystem;

ConfigFuzzFiles::ConfigFuzzFiles(const fs::path& shipped_dir) {
  for (const char* kind : {"chips", "systems"})
    for (const std::string& stem : config::disk_config_files().names_in(shipped_dir / kind))
      shipped_.emplace(fs::path(kind) / (stem + ".yaml"),
                       YAML::LoadFile((shipped_dir / kind / (stem + ".yaml")).string()));
}

const fs::path& ConfigFuzzFiles::root() {
  static const fs::path path = "/xpusim-fuzz-configs";
  return path;
}

void ConfigFuzzFiles::put(const std::string& kind, const std::string& stem,
                          std::optional<std::string> text) {
  const fs::path key = fs::path(kind) / (stem + ".yaml");
  if (text)
    inputs_[key] = std::move(*text);
  else
    inputs_.erase(key);
}

fs::path ConfigFuzzFiles::key_of(const fs::path& file) {
  const fs::path rel = file.lexically_normal().lexically_relative(root());
  // Exactly <kind>/<stem>.yaml: no "..", no deeper directories.
  auto it = rel.begin();
  if (rel.empty() || std::distance(rel.begin(), rel.end()) != 2) return {};
  const std::string kind = it->string();
  if ((kind != "chips" && kind != "systems") || rel.extension() != ".yaml") return {};
  return rel;
}

bool ConfigFuzzFiles::exists(const fs::path& file) const {
  const fs::path key = key_of(file);
  return !key.empty() && (inputs_.count(key) > 0 || shipped_.count(key) > 0);
}

YAML::Node ConfigFuzzFiles::parse(const fs::path& file) const {
  const fs::path key = key_of(file);
  if (!key.empty()) {
    if (auto in = inputs_.find(key); in != inputs_.end()) return YAML::Load(in->second);
    if (auto s = shipped_.find(key); s != shipped_.end()) return s->second;
  }
  throw YAML::BadFile(file.string());
}

std::vector<std::string> ConfigFuzzFiles::names_in(const fs::path& dir) const {
  std::vector<std::string> names;
  const fs::path kind = dir.lexically_normal().lexically_relative(root());
  auto collect = [&](const auto& by_key) {
    for (const auto& [key, unused] : by_key)
      if (key.parent_path() == kind) names.push_back(key.stem().string());
  };
  collect(inputs_);
  collect(shipped_);
  std::sort(names.begin(), names.end());
  names.erase(std::unique(names.begin(), names.end()), names.end());
  return names;
}

}  // namespace xpusim::fuzzing
