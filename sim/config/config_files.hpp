#pragma once
// Where config files come from. The loader asks this interface, never the file system directly:
// the default reads from disk; the config fuzz target serves its input from memory and keeps the
// shipped configs parsed once (sim/fuzzing), so an input costs its own parse only.
#include <filesystem>
#include <string>
#include <vector>

namespace YAML {
class Node;  // yaml-cpp; only the loader and the implementations need it whole
}

namespace xpusim::config {

class ConfigFiles {
 public:
  virtual ~ConfigFiles() = default;
  virtual bool exists(const std::filesystem::path& file) const = 0;
  // The parsed document. Throws YAML::BadFile when the file cannot be read and
  // YAML::ParserException on a syntax error. Callers only read the result (through const
  // nodes): an implementation may hand out the same document more than once.
  virtual YAML::Node parse(const std::filesystem::path& file) const = 0;
  // Stems of the *.yaml files in `dir`, sorted (empty when there is no such directory).
  virtual std::vector<std::string> names_in(const std::filesystem::path& dir) const = 0;
};

// The file system. Stateless, so one shared instance serves every caller.
const ConfigFiles& disk_config_files();

}  // namespace xpusim::config
