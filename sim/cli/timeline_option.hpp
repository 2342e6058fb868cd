#pragma once
// --timeline FILE and --timeline-max-mb, shared by `run` and `trace replay`.
#include <CLI/CLI.hpp>
#include <memory>
#include <string>

#include "sim/timeline/recorder.hpp"

namespace xpusim::cli {

struct TimelineOption {
  std::string path;
  double max_mb = timeline::TimelineOptions{}.max_mb;
};

void add_timeline_options(CLI::App* cmd, TimelineOption& option);
// A recorder when --timeline was given (null otherwise); checks --timeline-max-mb.
std::unique_ptr<timeline::Recorder> make_recorder(const TimelineOption& option);
// Writes the file and says on stderr how large it came out.
void write_timeline(const TimelineOption& option, const timeline::Recorder& recorder);

}  // namespace xpusim::cli
