#pragma once
// `xpusim compare`: one LLM workload on several chips, each in its scale-up system, one row per
// chip with the ratio to the first, the time split by bottleneck and the memory fit.
#include <filesystem>
#include <nlohmann/json.hpp>
#include <optional>
#include <string>
#include <vector>

#include "models/platform/platform.hpp"
#include "sim/config/system_config.hpp"
#include "sim/llm/estimate.hpp"

namespace xpusim::llm {

struct CompareRequest {
  std::vector<std::string> chips;
  std::string workload;           // name in workloads/ or a path
  std::string system;             // every chip in this system's fabric ("" = each its own)
  std::vector<std::string> sets;  // workload keys (batch=...) or chip parameters
  bool max_batch = false;         // per chip, the largest batch that fits
  int jobs = 1;                   // chips simulated side by side (child processes)
};

struct CompareRow {
  LlmResult result;
  double ratio_to_first = 0;  // tokens/s per chip against the first chip's
  std::string error;          // a chip the workload cannot run on: why
};

struct Comparison {
  LlmWorkload workload;
  std::vector<CompareRow> rows;
};

// Splits --set items into workload keys and chip parameters.
void split_sets(const std::vector<std::string>& sets, std::vector<std::string>& workload_sets,
                std::vector<std::string>& chip_sets);

// The system a chip runs `devices` chips in: `system_name` with its chip replaced, else the
// standard system in configs/systems for that many chips, else an 8-way (or `devices`-way)
// full mesh built from the chip's own scale-up links. nullopt when devices is 1.
std::optional<config::SystemConfig> system_for(const config::ChipConfig& chip, int devices,
                                               const std::string& system_name,
                                               const std::filesystem::path& config_dir,
                                               std::vector<std::string>& notes);

// Evaluates the workload on one chip (with --max-batch applied when asked).
LlmResult evaluate_on(const LlmWorkload& w, const config::ChipConfig& chip,
                      const std::string& system_name, const std::filesystem::path& config_dir,
                      bool use_max_batch, const platform::PlatformOptions& options = {});

Comparison compare(const CompareRequest& req, const std::filesystem::path& config_dir,
                   const platform::PlatformOptions& options = {});

nlohmann::ordered_json to_json(const LlmResult& r);
nlohmann::ordered_json to_json(const Comparison& c);
std::string to_table(const Comparison& c);
std::string to_csv(const Comparison& c);

}  // namespace xpusim::llm
