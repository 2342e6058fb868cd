#pragma once
// Counters sampled into fixed time bins shared by every series: a series accumulates, per bin,
// busy time (weighted) or an amount spread evenly over an interval. The bins start `min_width`
// wide; when a run outgrows `max_bins` of them, the width doubles and neighbouring bins fold
// together, so memory stays bounded whatever the run's length.
#include <cstddef>
#include <vector>

#include "sim/common/time.hpp"

namespace xpusim::timeline {

class CounterBins {
 public:
  CounterBins(Picos min_width, std::size_t max_bins);

  void resize(std::size_t series) { values_.resize(series); }
  std::size_t series() const { return values_.size(); }
  // Adds `weight` x the overlap (ps) of [start, end) with each bin.
  void add_busy(std::size_t series, Picos start, Picos end, double weight = 1.0);
  // Spreads `amount` evenly over [start, end) (all into one bin when end <= start).
  void add_spread(std::size_t series, Picos start, Picos end, double amount);

  Picos width() const { return width_; }
  // Bins in use (the same for every series; missing tails are zero).
  std::size_t bins() const { return bins_; }
  double value(std::size_t series, std::size_t bin) const;

 private:
  void ensure(Picos last);  // widens the bins until `last` falls inside max_bins_
  void fold();

  Picos width_;
  std::size_t max_bins_;
  std::size_t bins_ = 0;
  std::vector<std::vector<double>> values_;
};

}  // namespace xpusim::timeline
