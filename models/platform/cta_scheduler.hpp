#pragma once
// Dispatches the CTAs of a trace's kernels onto units in launch order, as the hardware block
// scheduler does: breadth-first over units, as many per unit as its occupancy limits allow, a
// cluster only when all its CTAs can start together, the next CTA when one finishes. Kernels run
// one after another, each after a launch overhead.
#include <cstdint>
#include <string>
#include <vector>

#include "models/sm/sm_model.hpp"
#include "sim/trace/trace.hpp"

namespace xpusim::platform {

struct KernelRecord {
  std::string name;
  Picos launch = 0;  // when the launch was requested
  Picos start = 0;   // first CTA dispatched
  Picos end = 0;     // last CTA finished
  std::uint64_t ctas = 0;
  int ctas_per_unit = 0;  // occupancy
  double waves = 0;       // ctas / (units x occupancy)
};

class CtaScheduler {
 public:
  CtaScheduler(std::vector<sm::SmModel*> units, Picos launch_overhead, Picos cta_launch_latency);

  // Queues every kernel of `trace`; the first launches at time 0.
  void start(const trace::Trace& trace);
  // Called by a unit when one of its CTAs has finished at `end`.
  void on_cta_done(int unit, Picos end);

  const std::vector<KernelRecord>& records() const { return records_; }
  bool finished() const { return finished_; }

 private:
  void begin_kernel(std::size_t k, Picos at);
  void dispatch(Picos at);

  std::vector<sm::SmModel*> units_;
  Picos launch_overhead_, cta_launch_latency_;
  const trace::Trace* trace_ = nullptr;
  std::size_t kernel_ = 0;
  std::size_t next_cta_ = 0;
  std::uint64_t running_ = 0;
  Picos kernel_ready_ = 0;  // launch overhead paid: CTAs may start
  std::vector<KernelRecord> records_;
  bool finished_ = false;
};

}  // namespace xpusim::platform
