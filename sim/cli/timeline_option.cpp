#include "sim/cli/timeline_option.hpp"

#include <fmt/format.h>

#include <iostream>

#include "sim/common/error.hpp"

namespace xpusim::cli {

void add_timeline_options(CLI::App* cmd, TimelineOption& option) {
  cmd->add_option("--timeline", option.path,
                  "also write a Perfetto / chrome://tracing timeline (trace-event JSON) of the "
                  "run to FILE (docs/timeline.md)");
  cmd->add_option("--timeline-max-mb", option.max_mb,
                  fmt::format("size budget of the timeline file in MB (default {}); detail is "
                              "aggregated until it fits",
                              timeline::TimelineOptions{}.max_mb));
}

std::unique_ptr<timeline::Recorder> make_recorder(const TimelineOption& option) {
  if (!(option.max_mb >= 0.01 && option.max_mb <= 100000))
    throw UserError(fmt::format("--timeline-max-mb {}: give 0.01 to 100000", option.max_mb));
  if (option.path.empty()) return nullptr;
  timeline::TimelineOptions o;
  o.max_mb = option.max_mb;
  return std::make_unique<timeline::Recorder>(o);
}

void write_timeline(const TimelineOption& option, const timeline::Recorder& recorder) {
  const timeline::WriteSummary s = recorder.write(option.path);
  std::cerr << fmt::format("timeline: {} ({:.2f} MB, {} events, aggregation level {})\n",
                           option.path, s.bytes / 1e6, s.events, s.level);
}

}  // namespace xpusim::cli
