#include "sim/config/config_files.hpp"

#include <yaml-cpp/yaml.h>

#include <algorithm>

namespace xpusim::config {
namespace fs = std::filesystem;

namespace {

class DiskConfigFiles final : public ConfigFiles {
 public:
  bool exists(const fs::path& file) const override {
    std::error_code ec;
    return fs::exists(file, ec);
  }
  YAML::Node parse(const fs::path& file) const override { return YAML::LoadFile(file.string()); }
  std::vector<std::string> names_in(const fs::path& dir) const override {
    std::vector<std::string> names;
    std::error_code ec;
    for (const auto& e : fs::directory_iterator(dir, ec))
      if (e.path().extension() == ".yaml") names.push_back(e.path().stem().string());
    std::sort(names.begin(), names.end());
    return names;
  }
};

}  // namespace

const ConfigFiles& disk_config_files() {
  static const DiskConfigFiles files;
  return files;
}

}  // namespace xpusim::config
