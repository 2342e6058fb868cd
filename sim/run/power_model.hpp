#pragma once
// Power-limited clock. A chip under heavy tensor load draws more than its TDP at its highest
// sustained clock; the power controller lowers the clock (and with it the voltage) until the
// power fits. Dynamic tensor power scales as f * V^2 ~ f^3; idle and DRAM power do not scale
// with the core clock. The activity comes from simulating a prefix of the trace (its first
// waves) at the highest clock.
#include <string>

#include "models/platform/platform.hpp"
#include "sim/config/chip_config.hpp"
#include "sim/trace/trace.hpp"

namespace xpusim::run {

struct PowerEstimate {
  bool modelled = false;                        // the chip has power parameters
  bool limited = false;                         // the clock had to drop
  double idle_w = 0, tensor_w = 0, dram_w = 0;  // at the highest sustained clock
  double unlimited_w = 0;                       // their sum
  double power_w = 0;                           // at the chosen clock
  double max_clock_hz = 0, clock_hz = 0;
};

// The first `waves` waves of CTAs of every kernel (all of a kernel when it has fewer).
trace::Trace trace_prefix(const trace::Trace& trace, const config::ChipConfig& chip, double waves);

// Power of a run at the highest sustained clock and the clock that fits the TDP.
PowerEstimate solve_clock(const platform::RunResult& run, const trace::Trace& simulated,
                          const config::ChipConfig& chip);

}  // namespace xpusim::run
