#include "sim/explore/progress.hpp"

#include <fmt/format.h>
#include <unistd.h>

#include <cstdio>
#include <string>

namespace xpusim::explore {
namespace {

std::string duration(double s) {
  const long t = static_cast<long>(s + 0.5);
  if (t >= 3600) return fmt::format("{}h{:02}m", t / 3600, (t % 3600) / 60);
  if (t >= 60) return fmt::format("{}m{:02}s", t / 60, t % 60);
  return fmt::format("{}s", t);
}

}  // namespace

ProgressBar::ProgressBar(std::size_t total)
    : total_(total),
      enabled_(::isatty(STDERR_FILENO) == 1),
      start_(std::chrono::steady_clock::now()) {}

ProgressBar::~ProgressBar() {
  if (drawn_) std::fputc('\n', stderr);
}

void ProgressBar::update(std::size_t done, std::size_t failed) {
  if (!enabled_ || total_ == 0) return;
  constexpr int kWidth = 30;
  const double fraction = static_cast<double>(done) / static_cast<double>(total_);
  const int filled = static_cast<int>(fraction * kWidth);
  const double elapsed =
      std::chrono::duration<double>(std::chrono::steady_clock::now() - start_).count();
  const std::string eta =
      done == 0
          ? "?"
          : duration(elapsed / static_cast<double>(done) * static_cast<double>(total_ - done));
  std::fprintf(stderr, "\r[%s%s] %zu/%zu %3.0f%%  elapsed %s  ETA %s%s\033[K",
               std::string(static_cast<std::size_t>(filled), '#').c_str(),
               std::string(static_cast<std::size_t>(kWidth - filled), '.').c_str(), done, total_,
               fraction * 100, duration(elapsed).c_str(), eta.c_str(),
               failed ? fmt::format("  ({} failed)", failed).c_str() : "");
  std::fflush(stderr);
  drawn_ = true;
}

}  // namespace xpusim::explore
