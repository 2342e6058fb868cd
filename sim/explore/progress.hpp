#pragma once
// A one-line progress bar with an ETA, drawn on stderr only when stderr is a terminal (so logs,
// pipes and CI output stay clean).
#include <chrono>
#include <cstddef>

namespace xpusim::explore {

class ProgressBar {
 public:
  // `total` points to run in this invocation (already finished ones excluded).
  explicit ProgressBar(std::size_t total);
  ~ProgressBar();  // ends the line
  void update(std::size_t done, std::size_t failed);

 private:
  std::size_t total_;
  bool enabled_;
  bool drawn_ = false;
  std::chrono::steady_clock::time_point start_;
};

}  // namespace xpusim::explore
