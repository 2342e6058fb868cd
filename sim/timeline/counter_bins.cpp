#include "sim/timeline/counter_bins.hpp"

#include <algorithm>
#include <stdexcept>

namespace xpusim::timeline {

CounterBins::CounterBins(Picos min_width, std::size_t max_bins)
    : width_(min_width), max_bins_(max_bins) {
  if (min_width == 0 || max_bins < 2)
    throw std::invalid_argument("CounterBins needs a positive width and at least two bins");
}

void CounterBins::fold() {
  width_ *= 2;
  for (auto& v : values_) {
    for (std::size_t i = 0; i < v.size(); ++i) v[i / 2] = (i % 2 == 0) ? v[i] : v[i / 2] + v[i];
    v.resize((v.size() + 1) / 2);
  }
  bins_ = (bins_ + 1) / 2;
}

void CounterBins::ensure(Picos last) {
  while (last / width_ >= max_bins_) fold();
  bins_ = std::max<std::size_t>(bins_, last / width_ + 1);
}

void CounterBins::add_busy(std::size_t series, Picos start, Picos end, double weight) {
  if (end <= start) return;
  ensure(end - 1);
  auto& v = values_[series];
  const std::size_t last = (end - 1) / width_;
  if (v.size() <= last) v.resize(last + 1, 0.0);
  for (std::size_t b = start / width_; b <= last; ++b) {
    const Picos lo = std::max<Picos>(start, b * width_);
    const Picos hi = std::min<Picos>(end, (b + 1) * width_);
    v[b] += weight * static_cast<double>(hi - lo);
  }
}

void CounterBins::add_spread(std::size_t series, Picos start, Picos end, double amount) {
  if (end <= start) {
    ensure(start);
    auto& v = values_[series];
    const std::size_t b = start / width_;
    if (v.size() <= b) v.resize(b + 1, 0.0);
    v[b] += amount;
    return;
  }
  add_busy(series, start, end, amount / static_cast<double>(end - start));
}

double CounterBins::value(std::size_t series, std::size_t bin) const {
  const auto& v = values_[series];
  return bin < v.size() ? v[bin] : 0.0;
}

}  // namespace xpusim::timeline
