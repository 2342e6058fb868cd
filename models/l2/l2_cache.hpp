#pragma once
// The last-level cache at tile granularity: a tile (a 2-D box of a tensor) is the unit of
// residency, so reuse of the same A or B tile by many CTAs shows as hits, and capacity shows as
// evictions when the working set of a wave outgrows it. Requests for a tile still in flight
// merge with the first (as MSHRs do). Hits and fills pass the L2-to-SM bandwidth; misses go to
// the memory model.
#include <cstdint>

#include "models/l2/lru_table.hpp"
#include "models/memory/bandwidth_ledger.hpp"
#include "sim/common/time.hpp"

namespace xpusim::hbm {
class HbmModel;
}
namespace xpusim::timeline {
class Recorder;
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
};

class L2Cache {
 public:
  L2Cache(const L2Params& params, hbm::HbmModel& memory);

  // A read of `box` issued at `at`; `share` CTAs receive the same data by multicast and share
  // the L2 bandwidth it costs. Returns when the data has landed in shared memory.
  Picos read(const BoxAccess& box, Picos at, std::uint32_t share = 1);
  // A write (allocates in L2 and is written through to memory, posted). Returns when accepted.
  Picos write(const BoxAccess& box, Picos at);

  const L2Stats& stats() const { return stats_; }
  const memory::BandwidthLedger& ledger() const { return ledger_; }
  void set_timeline(timeline::Recorder* timeline) { timeline_ = timeline; }

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

  L2Params params_;
  hbm::HbmModel& memory_;
  memory::BandwidthLedger ledger_;
  LruTable<Key, KeyHash, Entry> entries_;  // evicts the least recently used first
  std::uint64_t resident_bytes_ = 0;
  L2Stats stats_;
  timeline::Recorder* timeline_ = nullptr;  // null: no timeline asked for
};

}  // namespace xpusim::l2
