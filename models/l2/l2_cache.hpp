#pragma once
// The last-level cache at tile granularity: a tile (a 2-D box of a tensor) is the unit of
// residency, so reuse of the same A or B tile by many CTAs shows as hits, and capacity shows as
// evictions when the working set of a wave outgrows it. Requests for a tile still in flight
// merge with the first (as MSHRs do). Hits and fills pass the L2-to-SM bandwidth; misses go to
// the memory model.
//
// On a multi-die package (DieRouting) the L2 is memory-side: each memory die's slices cache the
// addresses homed on that die (hbm::DieInterleave) and have that die's share of the bandwidth.
// The part of a unit's access homed on another die crosses the die-to-die links both ways (read
// requests out, data back; write data out), whether it hits or misses, and costs their latency.
// Residency is still one LRU pool over the whole capacity (with uniform interleave each die's
// slices hold about its share).
#include <cstdint>
#include <unordered_map>
#include <vector>

#include "models/hbm/die_interleave.hpp"
#include "models/l2/lru_table.hpp"
#include "models/memory/bandwidth_ledger.hpp"
#include "sim/common/time.hpp"

namespace xpusim::hbm {
class HbmModel;
}
namespace xpusim::timeline {
class Recorder;
}  // namespace xpusim::timeline

namespace xpusim::fabric {
class DieLink;
}

namespace xpusim::l2 {

struct BoxAccess {
  std::uint64_t addr = 0;
  std::uint32_t rows = 0;
  std::uint32_t row_bytes = 0;
  std::uint64_t row_stride = 0;
  std::uint64_t bytes() const { return std::uint64_t{rows} * row_bytes; }
};

struct L2Params {
  std::uint64_t capacity = 0;
  double bandwidth = 0;  // bytes/s, all slices
  Picos hit_latency = 0;
};

struct L2Stats {
  std::uint64_t read_hits = 0, read_misses = 0, inflight_merges = 0;
  std::uint64_t hit_bytes = 0, miss_bytes = 0, write_bytes = 0;
  std::uint64_t evictions = 0;
  // Multi-die only: bytes units read or wrote whose home is their own memory die, or another.
  std::uint64_t near_bytes = 0, far_bytes = 0;
};

// How a multi-die package reaches memory.
struct DieRouting {
  hbm::DieInterleave interleave{1, 4096};  // address -> home memory die, and its local address
  std::vector<int> unit_die;               // memory die of each unit (index: unit)
  std::vector<hbm::HbmModel*> memories;    // one per memory die
  std::vector<fabric::DieLink*> links;     // [from * dies + to]; null on the diagonal
  Picos latency = 0;                       // added once to an access that crosses
};

class L2Cache {
 public:
  L2Cache(const L2Params& params, hbm::HbmModel& memory);
  // Multi-die: `params` are the whole package's; each memory die gets its share of the bandwidth.
  L2Cache(const L2Params& params, DieRouting routing);

  // A read of `box` issued at `at` by `unit`; `share` CTAs receive the same data by multicast and
  // share the L2 bandwidth it costs. Returns when the data has landed in shared memory.
  Picos read(const BoxAccess& box, Picos at, std::uint32_t share = 1, int unit = 0);
  // A write (allocates in L2 and is written through to memory, posted). Returns when accepted.
  Picos write(const BoxAccess& box, Picos at, int unit = 0);

  const L2Stats& stats() const { return stats_; }
  void set_timeline(timeline::Recorder* timeline) { timeline_ = timeline; }
  // Bytes that passed the L2-to-unit bandwidth, all dies.
  std::uint64_t total_bytes() const;

 private:
  struct Key {
    std::uint64_t addr, row_stride;
    std::uint32_t rows, row_bytes;
    bool operator==(const Key&) const = default;
  };
  struct KeyHash {
    std::size_t operator()(const Key& k) const;
  };
  struct Entry {
    Picos ready = 0;
    std::uint64_t bytes = 0;
  };
  void insert(const Key& key, std::uint64_t bytes, Picos ready);
  // Multi-die: the box's bytes per home die, and the time its slices (and the links, for the far
  // part) have moved them to or from `die`; sets `far` when any part crossed.
  std::vector<std::uint64_t> bytes_per_die(const BoxAccess& box) const;
  // bytes_per_die, remembered per box: kernels reload the same boxes many times.
  const std::vector<std::uint64_t>& split_of(const BoxAccess& box);
  Picos move_multi_die(const std::vector<std::uint64_t>& per_die, int die, Picos at,
                       std::uint32_t share, bool is_write, bool& far);
  // Multi-die: the box's rows, piece by piece, at their home dies' memories.
  Picos memory_access_multi_die(const BoxAccess& box, bool is_write, Picos at, int requester);
  int die_of(int unit) const;

  L2Params params_;
  hbm::HbmModel* memory_;
  std::vector<memory::BandwidthLedger> ledgers_;  // one per memory die
  DieRouting routing_;
  std::unordered_map<Key, std::vector<std::uint64_t>, KeyHash> splits_;
  LruTable<Key, KeyHash, Entry> entries_;  // evicts the least recently used first
  std::uint64_t resident_bytes_ = 0;
  L2Stats stats_;
  timeline::Recorder* timeline_ = nullptr;  // null: no timeline asked for
};

}  // namespace xpusim::l2
