#pragma once
// A shared bandwidth resource (L2 slices, a link) that requests may reach slightly out of time
// order, as they do under temporal decoupling. Time is cut into buckets of fixed length, each
// holding rate x length bytes; a request fills the free capacity of the buckets from its arrival
// on, so an earlier request arriving late still uses idle capacity before a later one instead of
// queueing behind it (which a single busy-until time would force).
#include <cstdint>
#include <deque>

#include "sim/common/time.hpp"

namespace xpusim::memory {

class BandwidthLedger {
 public:
  // `bytes_per_second` > 0; `bucket` is the time resolution.
  BandwidthLedger(double bytes_per_second, Picos bucket);

  // Serves `bytes` arriving at `arrival`; returns when the last byte has passed.
  Picos transfer(Picos arrival, std::uint64_t bytes);

  double bytes_per_second() const { return rate_; }
  std::uint64_t total_bytes() const { return total_bytes_; }
  // Fraction of capacity used over [0, until].
  double utilisation(Picos until) const;

 private:
  double rate_;
  Picos bucket_;
  double bucket_capacity_;        // bytes per bucket
  std::deque<double> used_;       // bytes used per bucket, from bucket index base_
  std::uint64_t base_ = 0;
  std::uint64_t total_bytes_ = 0;
};

}  // namespace xpusim::memory
