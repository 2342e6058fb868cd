#include "models/l2/l2_cache.hpp"

#include <algorithm>

#include "models/hbm/hbm_model.hpp"
#include "sim/timeline/recorder.hpp"

namespace xpusim::l2 {

namespace {
constexpr Picos kLedgerBucket = 20 * kPicosPerNs;
}

std::size_t L2Cache::KeyHash::operator()(const Key& k) const {
  std::uint64_t h = k.addr * 0x9E3779B97F4A7C15ull;
  h ^= (k.row_stride + 0x632BE59BD9B4E019ull + (h << 6) + (h >> 2));
  h ^= (std::uint64_t{k.rows} << 32 | k.row_bytes) * 0xC2B2AE3D27D4EB4Full;
  return static_cast<std::size_t>(h ^ (h >> 29));
}

L2Cache::L2Cache(const L2Params& params, hbm::HbmModel& memory)
    : params_(params), memory_(memory), ledger_(params.bandwidth, kLedgerBucket) {}

void L2Cache::insert(const Key& key, std::uint64_t bytes, Picos ready) {
  if (bytes > params_.capacity) return;  // larger than the cache: streams through
  while (resident_bytes_ + bytes > params_.capacity && !entries_.empty()) {
    const auto victim = entries_.oldest();
    resident_bytes_ -= entries_.value(victim).bytes;
    entries_.erase(victim);
    ++stats_.evictions;
  }
  entries_.insert(key, Entry{ready, bytes});
  resident_bytes_ += bytes;
}

Picos L2Cache::read(const BoxAccess& box, Picos at, std::uint32_t share) {
  const Key key{box.addr, box.row_stride, box.rows, box.row_bytes};
  const std::uint64_t bytes = box.bytes();
  const std::uint64_t moved_bytes = bytes / std::max<std::uint32_t>(share, 1);
  const Picos moved = ledger_.transfer(at, moved_bytes);
  if (const auto id = entries_.find(key); id != entries_.kNone) {
    const Entry& e = entries_.value(id);
    if (timeline_)
      timeline_->l2_transfer(timeline::L2Traffic::kHit, at, moved,
                             static_cast<double>(moved_bytes));
    entries_.touch(id);
    if (e.ready > at) {
      ++stats_.inflight_merges;
    } else {
      ++stats_.read_hits;
      stats_.hit_bytes += bytes;
    }
    return std::max(moved, e.ready) + params_.hit_latency;
  }
  ++stats_.read_misses;
  stats_.miss_bytes += bytes;
  const Picos fetched =
      memory_.access_2d(box.addr, box.rows, box.row_bytes, box.row_stride, false, at);
  insert(key, bytes, fetched);
  if (timeline_)
    timeline_->l2_transfer(timeline::L2Traffic::kMiss, at, moved, static_cast<double>(moved_bytes));
  return std::max(moved + params_.hit_latency, fetched);
}

Picos L2Cache::write(const BoxAccess& box, Picos at) {
  const Key key{box.addr, box.row_stride, box.rows, box.row_bytes};
  const std::uint64_t bytes = box.bytes();
  stats_.write_bytes += bytes;
  const Picos moved = ledger_.transfer(at, bytes);
  if (timeline_)
    timeline_->l2_transfer(timeline::L2Traffic::kWrite, at, moved, static_cast<double>(bytes));
  const Picos accepted =
      memory_.access_2d(box.addr, box.rows, box.row_bytes, box.row_stride, true, at);
  if (const auto id = entries_.find(key); id != entries_.kNone) {
    entries_.value(id).ready = moved;
    entries_.touch(id);
  } else {
    insert(key, bytes, moved);
  }
  return std::max(moved, accepted);
}

}  // namespace xpusim::l2
