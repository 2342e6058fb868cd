#include "models/memory/bandwidth_ledger.hpp"

#include <algorithm>
#include <cmath>
#include <stdexcept>

namespace xpusim::memory {

namespace {
// Buckets older than this behind the newest one are forgotten; a request that old is served from
// the oldest bucket kept. Temporal decoupling keeps arrivals far closer together than this.
constexpr std::uint64_t kHistoryBuckets = 1 << 14;
}  // namespace

BandwidthLedger::BandwidthLedger(double bytes_per_second, Picos bucket)
    : rate_(bytes_per_second), bucket_(bucket) {
  if (!(bytes_per_second > 0) || bucket == 0)
    throw std::invalid_argument("BandwidthLedger needs a positive rate and bucket");
  bucket_capacity_ = rate_ * picos_to_seconds(bucket_);
}

Picos BandwidthLedger::transfer(Picos arrival, std::uint64_t bytes) {
  total_bytes_ += bytes;
  std::uint64_t b = std::max<std::uint64_t>(arrival / bucket_, base_);
  // A request cannot finish before its own transfer time, whatever the buckets say.
  const Picos floor = arrival + static_cast<Picos>(std::ceil(bytes / rate_ * 1e12));
  double left = static_cast<double>(bytes);
  Picos finish = arrival;
  while (left > 0) {
    while (b - base_ >= used_.size()) used_.push_back(0.0);
    double& used = used_[b - base_];
    const double free = bucket_capacity_ - used;
    if (free > 0) {
      const double take = std::min(free, left);
      used += take;
      left -= take;
      finish = b * bucket_ + static_cast<Picos>(used / bucket_capacity_ * bucket_);
    }
    if (left > 0) ++b;
  }
  while (used_.size() > 2 * kHistoryBuckets) {
    used_.pop_front();
    ++base_;
  }
  return std::max(finish, floor);
}

double BandwidthLedger::utilisation(Picos until) const {
  const double capacity = rate_ * picos_to_seconds(until);
  return capacity > 0 ? std::min(1.0, total_bytes_ / capacity) : 0.0;
}

}  // namespace xpusim::memory
