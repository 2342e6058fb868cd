#pragma once
// The config fuzz target's file source: the input's sections live in memory under a virtual
// directory, beside every shipped config, parsed once when the object is built and shared by all
// loads afterwards. An input can thus name a shipped chip as its base (or its system's chip) and
// cost only the parse of its own few lines. Nothing outside the shipped config directory is ever
// read: any other path does not exist.
#include <yaml-cpp/yaml.h>

#include <filesystem>
#include <map>
#include <optional>
#include <set>
#include <string>
#include <vector>

#include "sim/config/config_files.hpp"

namespace xpusim::fuzzing {

class ConfigFuzzFiles final : public config::ConfigFiles {
 public:
  // Parses every chips/*.yaml and systems/*.yaml of `shipped_dir`.
  explicit ConfigFuzzFiles(const std::filesystem::path& shipped_dir);

  // The virtual config directory (it has chips/ and systems/); it does not exist on disk.
  static const std::filesystem::path& root();

  // Replaces the in-memory file `kind`/`stem`.yaml (kind: chips or systems); nullopt removes it.
  // An in-memory file hides a shipped one of the same name.
  void put(const std::string& kind, const std::string& stem, std::optional<std::string> text);

  bool exists(const std::filesystem::path& file) const override;
  YAML::Node parse(const std::filesystem::path& file) const override;
  std::vector<std::string> names_in(const std::filesystem::path& dir) const override;

 private:
  // `file` as kind/stem.yaml under root(), or empty when it is anything else.
  static std::filesystem::path key_of(const std::filesystem::path& file);

  std::map<std::filesystem::path, std::string> inputs_;  // by key_of
  std::map<std::filesystem::path, YAML::Node> shipped_;  // by key_of, parsed
};

}  // namespace xpusim::fuzzing
