#include "models/l2/l2_cache.hpp"

#include <algorithm>
#include <stdexcept>

#include "models/fabric/die_link.hpp"
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
    : params_(params), memory_(&memory) {
  ledgers_.emplace_back(params.bandwidth, kLedgerBucket);
}

L2Cache::L2Cache(const L2Params& params, DieRouting routing)
    : params_(params), memory_(nullptr), routing_(std::move(routing)) {
  const int dies = routing_.interleave.dies();
  if (static_cast<int>(routing_.memories.size()) != dies ||
      routing_.links.size() != static_cast<std::size_t>(dies * dies))
    throw std::invalid_argument("L2Cache: one memory per die and dies x dies links");
  for (int d = 0; d < dies; ++d) ledgers_.emplace_back(params.bandwidth / dies, kLedgerBucket);
}

std::uint64_t L2Cache::total_bytes() const {
  std::uint64_t sum = 0;
  for (const auto& l : ledgers_) sum += l.total_bytes();
  return sum;
}

int L2Cache::die_of(int unit) const {
  if (unit < 0 || static_cast<std::size_t>(unit) >= routing_.unit_die.size()) return 0;
  return routing_.unit_die[static_cast<std::size_t>(unit)];
}

std::vector<std::uint64_t> L2Cache::bytes_per_die(const BoxAccess& box) const {
  std::vector<std::uint64_t> per(static_cast<std::size_t>(routing_.interleave.dies()), 0);
  for (std::uint32_t r = 0; r < box.rows; ++r)
    routing_.interleave.split(
        box.addr + r * box.row_stride, box.row_bytes,
        [&](int die, std::uint64_t, std::uint64_t n) { per[static_cast<std::size_t>(die)] += n; });
  return per;
}

const std::vector<std::uint64_t>& L2Cache::split_of(const BoxAccess& box) {
  constexpr std::size_t kMaxSplits = 1 << 20;  // bounds the memory; refilled on demand
  const Key key{box.addr, box.row_stride, box.rows, box.row_bytes};
  if (auto it = splits_.find(key); it != splits_.end()) return it->second;
  if (splits_.size() >= kMaxSplits) splits_.clear();
  return splits_.emplace(key, bytes_per_die(box)).first->second;
}

Picos L2Cache::move_multi_die(const std::vector<std::uint64_t>& per_die, int die, Picos at,
                              std::uint32_t share, bool is_write, bool& far) {
  const int dies = routing_.interleave.dies();
  Picos moved = at;
  far = false;
  for (int home = 0; home < dies; ++home) {
    const std::uint64_t bytes = per_die[static_cast<std::size_t>(home)];
    if (bytes == 0) continue;
    const std::uint64_t carried = is_write ? bytes : bytes / std::max<std::uint32_t>(share, 1);
    Picos m = ledgers_[static_cast<std::size_t>(home)].transfer(at, carried);
    if (home == die) {
      stats_.near_bytes += bytes;
    } else {
      far = true;
      stats_.far_bytes += bytes;
      fabric::DieLink* out = routing_.links[static_cast<std::size_t>(die * dies + home)];
      fabric::DieLink* back = routing_.links[static_cast<std::size_t>(home * dies + die)];
      if (is_write) {
        m = std::max(m, out->transfer(at, carried, fabric::PacketKind::kWrite));
      } else {
        out->transfer(at, carried, fabric::PacketKind::kReadRequest);
        m = std::max(m, back->transfer(at, carried, fabric::PacketKind::kReadResponse));
      }
    }
    moved = std::max(moved, m);
  }
  return moved;
}

Picos L2Cache::memory_access_multi_die(const BoxAccess& box, bool is_write, Picos at,
                                       int requester) {
  Picos done = at;
  for (std::uint32_t r = 0; r < box.rows; ++r)
    routing_.interleave.split(
        box.addr + r * box.row_stride, box.row_bytes,
        [&](int die, std::uint64_t local, std::uint64_t n) {
          // A far write reaches its home die's memory once it has crossed.
          const Picos arrival = is_write && die != requester ? at + routing_.latency : at;
          done = std::max(done, routing_.memories[static_cast<std::size_t>(die)]->access(
                                    local, n, is_write, arrival));
        });
  return done;
}

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

Picos L2Cache::read(const BoxAccess& box, Picos at, std::uint32_t share, int unit) {
  const Key key{box.addr, box.row_stride, box.rows, box.row_bytes};
  const std::uint64_t bytes = box.bytes();
  const std::uint64_t moved_bytes = bytes / std::max<std::uint32_t>(share, 1);
  bool far = false;
  const Picos moved = memory_ ? ledgers_.front().transfer(at, moved_bytes)
                              : move_multi_die(split_of(box), die_of(unit), at, share, false, far);
  const Picos crossing = far ? routing_.latency : 0;
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
    return std::max(moved, e.ready) + params_.hit_latency + crossing;
  }
  ++stats_.read_misses;
  stats_.miss_bytes += bytes;
  const Picos fetched =
      memory_ ? memory_->access_2d(box.addr, box.rows, box.row_bytes, box.row_stride, false, at)
              : memory_access_multi_die(box, false, at, die_of(unit));
  insert(key, bytes, fetched);
  if (timeline_)
    timeline_->l2_transfer(timeline::L2Traffic::kMiss, at, moved, static_cast<double>(moved_bytes));
  return std::max(moved + params_.hit_latency, fetched) + crossing;
}

Picos L2Cache::write(const BoxAccess& box, Picos at, int unit) {
  const Key key{box.addr, box.row_stride, box.rows, box.row_bytes};
  const std::uint64_t bytes = box.bytes();
  stats_.write_bytes += bytes;
  Picos moved = 0, accepted = 0;
  if (!memory_) {
    // The data crosses to its home die, is accepted by that die's slices, and is written through
    // to that die's memory once it has arrived.
    bool far = false;
    moved = move_multi_die(split_of(box), die_of(unit), at, 1, true, far) +
            (far ? routing_.latency : 0);
    accepted = memory_access_multi_die(box, true, at, die_of(unit));
  } else {
    moved = ledgers_.front().transfer(at, bytes);
    accepted = memory_->access_2d(box.addr, box.rows, box.row_bytes, box.row_stride, true, at);
  }
  if (timeline_)
    timeline_->l2_transfer(timeline::L2Traffic::kWrite, at, moved, static_cast<double>(bytes));
  if (const auto id = entries_.find(key); id != entries_.kNone) {
    entries_.value(id).ready = moved;
    entries_.touch(id);
  } else {
    insert(key, bytes, moved);
  }
  return std::max(moved, accepted);
}

}  // namespace xpusim::l2
