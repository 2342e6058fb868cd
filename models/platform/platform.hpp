#pragma once
// One chip as a SystemC platform: CTA scheduler, units (SMs) with tensor/vector/SFU pipes and
// async copies, the L2 at tile granularity, and HBM with banks, rows and refresh, all built from
// the chip config. A Platform replays one trace (SystemC cannot rewind time); build another for
// the next run.
#include <memory>
#include <string>
#include <vector>

#include "models/fabric/die_link.hpp"
#include "models/hbm/hbm_model.hpp"
#include "models/l2/l2_cache.hpp"
#include "models/platform/cta_scheduler.hpp"
#include "models/platform/sim_context.hpp"
#include "models/sm/sm_model.hpp"
#include "sim/config/chip_config.hpp"
#include "sim/timeline/recorder.hpp"
#include "sim/trace/trace.hpp"
#include "sim/trace/trace_stats.hpp"

namespace xpusim::platform {

struct PlatformOptions {
  Picos quantum = 250 * kPicosPerNs;       // how far a CTA may run ahead of simulated time
  timeline::Recorder* timeline = nullptr;  // records the run when set (sim/timeline)
};

// Multi-die packages: how much of the units' traffic crossed, and what each link carried.
struct DieToDieResult {
  int dies = 1, memory_dies = 1;
  double link_bandwidth = 0;  // bytes/s per direction, each link
  struct Link {
    int from = 0, to = 0;
    fabric::DieLinkStats stats;
  };
  std::vector<Link> links;
  std::uint64_t near_bytes = 0, far_bytes = 0;  // unit reads and writes by home die
};

struct RunResult {
  std::string chip;
  Picos total = 0;  // from the first launch to the end of the last kernel
  std::vector<KernelRecord> kernels;
  int units = 0;
  std::vector<sm::SmStats> unit_stats;
  sm::SmStats unit_total;
  l2::L2Stats l2;
  std::uint64_t l2_bytes = 0;
  double l2_bandwidth = 0;  // bytes/s, capacity
  hbm::HbmStats hbm;
  double hbm_peak = 0;  // bytes/s
  int hbm_pseudo_channels = 0;
  std::string hbm_where_peak_went;
  DieToDieResult die_to_die;
  trace::TraceTotals totals;
  std::uint64_t simulated_events = 0;  // SystemC delta cycles, a proxy for work done
};

// The HBM model's parameters from a chip config: the whole memory, or with `memory_dies` > 1 the
// stacks and capacity of one memory die.
hbm::HbmConfig hbm_config_from(const config::ChipConfig& chip, int memory_dies = 1);
sm::SmParams sm_params_from(const config::ChipConfig& chip, Picos quantum);

// Checks that `trace` can run on `chip` (family, dtypes, occupancy, streams); throws UserError.
void check_replayable(const trace::Trace& trace, const config::ChipConfig& chip);

class Platform {
 public:
  explicit Platform(const config::ChipConfig& chip, PlatformOptions options = {});
  ~Platform();
  RunResult run(const trace::Trace& trace);

 private:
  config::ChipConfig chip_;
  PlatformOptions options_;
  SimContext context_;  // first member after the config: built before the modules, freed after
  std::vector<std::unique_ptr<hbm::HbmModel>> memories_;  // one per memory die
  std::vector<std::unique_ptr<fabric::DieLink>> links_;   // [from * dies + to]; null diagonal
  std::unique_ptr<l2::L2Cache> l2_;
  std::vector<std::unique_ptr<sm::SmModel>> units_;
  std::unique_ptr<CtaScheduler> scheduler_;
  bool used_ = false;
};

}  // namespace xpusim::platform
