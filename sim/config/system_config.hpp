#pragma once
// A multi-chip scale-up domain (HGX board, NVL72 rack, CloudMatrix 384), from
// configs/systems/<name>.yaml. Its simulation is the fabric model's business; here it is data.
#include <filesystem>
#include <map>
#include <string>
#include <vector>

#include "sim/config/chip_config.hpp"

namespace xpusim::config {

struct SwitchConfig {
  std::string generation;
  int count = 0;
  int ports = 0;
  double port_bandwidth = 0;  // B/s per direction
  double latency = 0;
  bool in_network_reduction = false;
};

struct SystemConfig {
  std::string name, display_name, chip_name, topology;
  std::filesystem::path file;
  int devices = 0;
  SwitchConfig fabric_switch;
  double power_w = 0;
  double price_usd = 0;
  std::map<std::string, std::string> estimates;
  ChipConfig chip;  // loaded from configs/chips/<chip>.yaml
};

const std::vector<Binding<SystemConfig>>& system_bindings();

// Loads configs/systems/<name>.yaml (or a path) and the chip it names. `chip_sets` are --set
// overrides for that chip.
SystemConfig load_system(const std::string& name_or_path, const std::filesystem::path& config_dir,
                         const std::vector<std::string>& sets = {},
                         const std::vector<std::string>& chip_sets = {},
                         const ConfigFiles& files = disk_config_files());

}  // namespace xpusim::config
