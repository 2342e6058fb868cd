#pragma once
// Times the ops of a lowered pass on one chip (and, for collectives, its scale-up system), each
// distinct op simulated once: a cache keyed by the op and the chip, held in the object.
#include <cstdint>
#include <map>
#include <optional>
#include <string>

#include "models/platform/platform.hpp"
#include "sim/config/chip_config.hpp"
#include "sim/config/system_config.hpp"
#include "sim/llm/lowering.hpp"
#include "sim/run/workload.hpp"
#include "workloads/collective/collective.hpp"

namespace xpusim::llm {

// Where time goes, in seconds; the parts add up to total_s.
struct TimeSplit {
  double compute_s = 0;       // tensor cores, vector units, SFU, or units too few CTAs keep busy
  double hbm_s = 0;           // HBM (and L2) bandwidth
  double interconnect_s = 0;  // collectives on the scale-up fabric
  double launch_s = 0;        // kernel launches and latency (pipeline fill, memory latency)
  double total() const { return compute_s + hbm_s + interconnect_s + launch_s; }
  TimeSplit& operator+=(const TimeSplit& o);
  TimeSplit scaled(double f) const;
  // "compute", "HBM", "interconnect" or "launch/latency": the largest part.
  std::string dominant() const;
};

struct OpTime {
  TimeSplit split;
  std::string bottleneck;  // the simulator's own verdict for the op
};

class OpTimer {
 public:
  // `system`: the scale-up domain collectives run on (needed only for ops with ranks > 1).
  OpTimer(config::ChipConfig chip, std::optional<config::SystemConfig> system,
          platform::PlatformOptions options = {});

  // One execution of `op`; simulated on first use, then from the cache.
  const OpTime& time(const Op& op);

  const config::ChipConfig& chip() const { return chip_; }
  const std::optional<config::SystemConfig>& system() const { return system_; }
  std::size_t simulations() const { return cache_.size(); }
  std::size_t lookups() const { return lookups_; }

 private:
  OpTime simulate(const Op& op);
  const collective::CollectiveModel& collective_model(int ranks);

  config::ChipConfig chip_;
  std::optional<config::SystemConfig> system_;
  platform::PlatformOptions options_;
  std::map<std::string, OpTime> cache_;  // op key -> time; the chip is fixed per object
  std::map<int, collective::CollectiveModel> fabrics_;  // by rank count
  std::size_t lookups_ = 0;
};

}  // namespace xpusim::llm
