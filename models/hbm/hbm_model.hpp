#pragma once
// Loosely-timed HBM memory-system model (HBM2e, HBM3, HBM3e). Pure C++, no SystemC: the platform
// calls it synchronously and gets back the time a request is done. Every shared resource (data
// bus, bank-group column slot, bank, ACT window, refresh) keeps busy-until times in integer
// picoseconds, so results are deterministic. Work is done per run of bursts to one open row (one
// interleave chunk), not per byte. See docs/hbm-model.md.
#include <array>
#include <cstdint>
#include <optional>
#include <string>
#include <vector>

#include "models/hbm/hbm_config.hpp"
#include "sim/common/divisor.hpp"

namespace xpusim::timeline {
class Recorder;
}

namespace xpusim::hbm {

struct HbmStats {
  std::uint64_t bytes_read = 0;
  std::uint64_t bytes_written = 0;
  std::uint64_t bursts = 0;
  std::uint64_t activates = 0;
  std::uint64_t row_hits = 0;                // column command to the open row
  std::uint64_t reordered_hits = 0;          // of those, served before a later-opened row's ACT
  std::uint64_t row_misses = 0;              // bank closed: ACT only
  std::uint64_t row_conflicts = 0;           // another row open: PRE + ACT
  std::uint64_t refreshes = 0;               // REFab per pseudo-channel, or REFpb per bank
  std::uint64_t read_write_turnarounds = 0;  // direction changes of a pseudo-channel's data bus
  // Pseudo-channel data-bus time, summed over pseudo-channels (ps). Whatever a window holds
  // beyond these is idle too (see where_peak_went).
  Picos data_transfer = 0;    // bursts on the bus
  Picos refresh_blocked = 0;  // bus waiting on a refresh (REFab, or a bank under REFpb)
  Picos turnaround = 0;       // bus waiting on tRTW / tWTR after a direction change
  Picos bank_stall = 0;       // bus waiting on ACT/PRE/tRRD/tFAW/tCCD_L
  Picos idle = 0;             // bus with nothing to do

  HbmStats& operator+=(const HbmStats& o);  // the memories of several dies as one
};

// Where one byte lives.
struct HbmLocation {
  int pseudo_channel = 0;  // global index, stack-major: stack, channel, pseudo-channel
  int stack = 0;
  int bank_group = 0;
  int bank = 0;  // within its bank group
  std::uint64_t row = 0;
  std::uint64_t column = 0;  // burst index within the row
};

class HbmModel {
 public:
  explicit HbmModel(const HbmConfig& config);  // validates the config

  // A request of `bytes` starting at physical `addr`, arriving at `arrival` (ps). Returns when its
  // last byte is delivered (reads, including access_latency) or accepted into the write queue
  // (writes are posted). Arrivals need only be roughly in time order: a request arriving before a
  // resource is free queues after it.
  Picos access(std::uint64_t addr, std::uint64_t bytes, bool is_write, Picos arrival);
  // `rows` segments of `row_bytes`, the i-th at base + i * stride (a matrix tile).
  Picos access_2d(std::uint64_t base, std::uint32_t rows, std::uint32_t row_bytes,
                  std::uint64_t stride, bool is_write, Picos arrival);
  // Writes out every buffered write; returns when the last one is in the DRAM (>= now).
  Picos drain(Picos now);

  const HbmStats& stats() const { return stats_; }
  // One line: achieved fraction of peak over `window` and where the rest of the bus time went.
  std::string where_peak_went(Picos window) const;
  // The same over the memories of several dies, as one memory.
  static std::string where_peak_went(const std::vector<const HbmModel*>& models, Picos window);
  int pseudo_channel_count() const { return num_pcs_; }
  const HbmConfig& config() const { return config_; }
  HbmLocation locate(std::uint64_t addr) const;
  // `first_channel`: this model's pseudo-channel 0 on the timeline (several memory dies share one).
  void set_timeline(timeline::Recorder* timeline, int first_channel = 0) {
    timeline_ = timeline;
    timeline_first_channel_ = first_channel;
  }

 private:
  static constexpr std::uint64_t kClosed = ~std::uint64_t{0};
  enum class Cause : std::uint8_t { kIdle, kRefresh, kTurnaround, kBank };
  enum class Dir : std::uint8_t { kNone, kRead, kWrite };

  struct Run {  // bursts of one request inside one interleave chunk: one row of one bank
    std::uint32_t pc = 0, bank = 0, bank_group = 0, bursts = 0;
    std::uint64_t row = 0;
  };
  struct alignas(64) Bank {  // one cache line each: the banks of a run are visited at random
    std::uint64_t open_row = kClosed;
    Picos act = 0;       // last ACT
    Picos next_act = 0;  // tRC after the last ACT
    Picos pre_ok = 0;    // earliest PRE (tRAS, tRTP, tWR)
    Picos ready = 0;     // earliest ACT while closed (tRP after PRE, end of refresh)
    Picos next_col = 0;  // tCCD_L after the last column command
    Picos refresh_due = 0;
  };
  // A row a bank has since closed (row conflict), kept so that a request which arrived while it
  // was still open is served from it, ahead of the conflicting ACT, as an FR-FCFS controller
  // serves row hits first. The newest is first.
  struct ClosedRow {
    std::uint64_t row = kClosed;
    Picos act = 0;             // its ACT
    Picos pre = 0;             // its PRE: the controller chose to close it then
    Picos next_col = 0;        // tCCD_L after its last column command
    std::uint32_t bursts = 0;  // served from it out of order so far (capped: kMaxReorderedBursts)
  };
  static constexpr std::size_t kRowHistory = 4;  // stands in for the queue depth; not fitted
  using RowHistory = std::array<ClosedRow, kRowHistory>;
  struct BankGroup {
    Picos next_col = 0;  // column slot: tCCD_L after the last one handed out
    Picos next_act = 0;  // ACT slot: tRRD_L after the last one handed out
  };
  struct WriteRun {
    Run run;
    Picos arrival = 0;
  };
  struct alignas(64) Pc {  // the fields schedule() reads first come first
    Picos bus_free = 0;    // data bus, packed: the end of the data transfers given to it so far
    Picos frontier = 0;    // latest data actually on the bus (later than bus_free when bank-bound)
    Cause frontier_cause = Cause::kBank;
    Dir dir = Dir::kNone;
    bool any_read = false, any_write = false;
    Picos last_read_col = 0, last_write_end = 0;  // on the packed bus: for tRTW and tWTR
    std::uint32_t last_write_bank_group = 0;
    Picos next_act = 0;               // ACT slot: tRRD_S after the last one handed out
    std::array<Picos, 4> faw_free{};  // the last 4 ACT slots + tFAW, oldest at faw_pos
    std::uint32_t faw_pos = 0;
    Picos refresh_due = 0;  // all-bank mode
    Picos drain_start = 0;  // when the last drain began: the queue is full until then
    Picos write_done = 0;   // last write data in the DRAM
    std::vector<WriteRun> write_queue;
    std::uint64_t queued_bursts = 0;
  };
  struct Slot {
    Picos start = 0, end = 0;  // packed bus slot start; when the last data beat is done
  };

  // The divisors of address decoding other than the pseudo-channel count. groups_rows is bank
  // groups x chunks per row (floor(floor(x / a) / b) is floor(x / ab)).
  template <typename Div>
  struct Mapping {
    Div interleave, groups, per_group, groups_rows, burst;
  };
  template <typename F>
  void for_each_run(std::uint64_t addr, std::uint64_t bytes, F&& f) const;
  template <typename Div, typename F>
  void for_each_run(const Mapping<Div>& m, std::uint64_t addr, std::uint64_t bytes, F&& f) const;
  template <typename Div>
  Run decode(const Mapping<Div>& m, std::uint64_t addr, std::uint64_t bytes) const;
  // Reads and writes once their range is known to be inside the memory: `rows` reads of
  // `row_bytes`, the i-th at base + i * stride, and one write.
  Picos read_checked(std::uint64_t base, std::uint32_t rows, std::uint64_t row_bytes,
                     std::uint64_t stride, Picos arrival);
  template <typename Div>
  Picos read_rows(const Mapping<Div>& m, std::uint64_t base, std::uint32_t rows,
                  std::uint64_t row_bytes, std::uint64_t stride, Picos arrival);
  Picos write_checked(std::uint64_t addr, std::uint64_t bytes, Picos arrival);
  template <bool kWrite>  // a compile-time direction: reads and writes take different paths
  Slot schedule(const Run& run, Picos earliest);
  Picos refresh_pseudo_channel(Pc& pc, std::uint32_t index, Picos until);
  bool refresh_bank(Bank& bank, Picos until);
  ClosedRow* reorderable(RowHistory& history, std::uint64_t row, std::uint32_t bursts,
                         Picos arrival);
  void close_row(RowHistory& history, const Bank& bank, Picos pre);
  void delay_bank(Bank& bank, RowHistory& history, const ClosedRow* upto, Picos by);
  void charge_gap(Pc& pc, Picos start, Picos refresh_bound, Picos turn_bound);
  void charge(Cause cause, Picos amount);
  void count_bursts(std::uint64_t bursts);
  void prefetch(const Run& run) const;  // the pseudo-channel, bank group and bank of `run`
  Picos enqueue_write(const Run& run, Picos arrival);
  void drain_pseudo_channel(std::uint32_t index, Picos now);
  void check_range(std::uint64_t addr, std::uint64_t bytes) const;

  HbmConfig config_;
  int num_pcs_ = 0;
  std::uint32_t banks_per_pc_ = 0, bank_groups_per_pc_ = 0;
  std::uint64_t burst_bytes_ = 0, chunks_per_row_ = 0;
  // Address decoding divides by these on every run (see sim/common/divisor.hpp); with the usual
  // powers of two it shifts and masks without testing which kind each is.
  Divisor pcs_div_;
  Mapping<Divisor> mapping_;
  std::optional<Mapping<Pow2Divisor>> pow2_mapping_;
  Picos burst_time_ = 0, slot_time_ = 0, ccd_l_ = 0;  // per-burst bus slot, same-group spacing
  std::vector<Pc> pcs_;
  std::vector<Bank> banks_;              // pc * banks_per_pc_ + bank_group * banks_per_group + bank
  std::vector<RowHistory> closed_rows_;  // per bank, as banks_
  std::uint32_t max_reordered_bursts_ = 0;  // per closed row: one row's worth
  std::vector<BankGroup> bank_groups_;      // pc * bank_groups + bank_group
  HbmStats stats_;
  timeline::Recorder* timeline_ = nullptr;  // null: no timeline asked for
  int timeline_first_channel_ = 0;
};

}  // namespace xpusim::hbm
