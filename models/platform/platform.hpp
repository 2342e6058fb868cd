#pragma once
// One chip as a SystemC platform: CTA scheduler, units (SMs) with tensor/vector/SFU pipes and
// async copies, the L2 at tile granularity, and HBM with banks, rows and refresh, all built from
// the chip config. A Platform replays one trace (SystemC cannot rewind time); build another for
// the next run.
#include <memory>
#include <string>
#include <vector>

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
  trace::TraceTotals totals;
  std::uint64_t simulated_events = 0;  // SystemC delta cycles, a proxy for work done
};

// The HBM model's parameters from a chip config.
hbm::HbmConfig hbm_config_from(const config::ChipConfig& chip);
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
  std::unique_ptr<hbm::HbmModel> hbm_;
  std::unique_ptr<l2::L2Cache> l2_;
  std::vector<std::unique_ptr<sm::SmModel>> units_;
  std::unique_ptr<CtaScheduler> scheduler_;
  bool used_ = false;
};

}  // namespace xpusim::platform
