#include "models/platform/cta_scheduler.hpp"

#include <fmt/format.h>
#include <algorithm>

#include "sim/common/error.hpp"

namespace xpusim::platform {

CtaScheduler::CtaScheduler(std::vector<sm::SmModel*> units, Picos launch_overhead,
                           Picos cta_launch_latency)
    : units_(std::move(units)),
      launch_overhead_(launch_overhead),
      cta_launch_latency_(cta_launch_latency) {}

void CtaScheduler::start(const trace::Trace& trace) {
  trace_ = &trace;
  records_.clear();
  finished_ = trace.kernels.empty();
  if (!finished_) begin_kernel(0, 0);
}

void CtaScheduler::begin_kernel(std::size_t k, Picos at) {
  kernel_ = k;
  next_cta_ = 0;
  running_ = 0;
  const trace::Kernel& kernel = trace_->kernels[k];
  KernelRecord rec;
  rec.name = kernel.name;
  rec.launch = at;
  rec.ctas = kernel.ctas.size();
  rec.ctas_per_unit = units_.front()->capacity_for(sm::footprint(kernel));
  rec.waves = static_cast<double>(rec.ctas) /
              (static_cast<double>(units_.size()) * std::max(rec.ctas_per_unit, 1));
  rec.start = rec.end = at + launch_overhead_;
  records_.push_back(rec);
  kernel_ready_ = at + launch_overhead_;
  if (kernel.ctas.empty()) {
    on_cta_done(-1, kernel_ready_);
    return;
  }
  dispatch(kernel_ready_);
}

void CtaScheduler::dispatch(Picos at) {
  const trace::Kernel& kernel = trace_->kernels[kernel_];
  const sm::CtaFootprint f = sm::footprint(kernel);
  const std::size_t cluster = std::max<std::uint32_t>(kernel.cluster_size, 1);
  std::vector<sm::SmModel*> chosen;
  while (next_cta_ < kernel.ctas.size()) {
    // Breadth-first: the least loaded units that can host, lowest index first. Units are visited
    // one residency level at a time, in index order within a level: the order a stable sort by
    // residency would give, without sorting for every CTA.
    chosen.clear();
    int most_resident = 0;
    for (const sm::SmModel* u : units_) most_resident = std::max(most_resident, u->resident());
    const std::size_t group = std::min(cluster, kernel.ctas.size() - next_cta_);
    for (int level = 0; level <= most_resident && chosen.size() < group; ++level) {
      for (sm::SmModel* u : units_) {
        if (chosen.size() == group) break;
        if (u->resident() == level && u->can_host(f)) chosen.push_back(u);
      }
    }
    if (chosen.size() < group) return;  // wait for CTAs to finish
    for (std::size_t i = 0; i < group; ++i) {
      chosen[i]->launch(kernel, kernel.ctas[next_cta_++], at + cta_launch_latency_);
      ++running_;
    }
  }
}

void CtaScheduler::on_cta_done(int unit, Picos end) {
  if (unit >= 0) --running_;
  KernelRecord& rec = records_.back();
  rec.end = std::max(rec.end, end);
  const trace::Kernel& kernel = trace_->kernels[kernel_];
  if (next_cta_ < kernel.ctas.size()) {
    dispatch(std::max(end, kernel_ready_));
    return;
  }
  if (running_ > 0) return;
  if (kernel_ + 1 < trace_->kernels.size())
    begin_kernel(kernel_ + 1, rec.end);
  else
    finished_ = true;
}

}  // namespace xpusim::platform
