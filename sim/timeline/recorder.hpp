#pragma once
// A timeline of one platform run, for Perfetto / chrome://tracing (docs/timeline.md). The
// platform hands one Recorder to its components (PlatformOptions::timeline); each calls it from
// a hook guarded by a null check, so a run without a timeline pays only that check, and
// recording never changes what the models compute. Sizes stay bounded: spans of one kind on one
// track merge, utilisations are counters in time bins that widen as the run grows, only the
// first SMs and HBM channels get detail tracks (every unit is in the aggregate counters), and
// write() coarsens all three until the file fits its byte budget.
#include <array>
#include <cstdint>
#include <map>
#include <string>
#include <vector>

#include "sim/common/time.hpp"
#include "sim/timeline/counter_bins.hpp"
#include "sim/timeline/span_tracks.hpp"

namespace xpusim::timeline {

struct TimelineOptions {
  Picos merge_gap = 50 * kPicosPerNs;  // same-kind spans of one track closer than this merge
  Picos min_bin = 100 * kPicosPerNs;   // counter bins start this wide ...
  std::size_t max_bins = 4096;         // ... and double when a run needs more of them
  std::size_t counter_points = 1000;   // at most this many samples per counter track written
  int sm_tracks = 160;                 // SMs with their own tracks (all of today's GPUs)
  int hbm_detail_channels = 4;         // HBM channels whose refresh commands are drawn
  int link_tracks = 128;               // fabric links (one direction each) with their own track
  double max_mb = 32;                  // file budget (MB = 1e6 bytes)
};

// What an SM does, one track each.
enum class SmPhase : std::uint8_t { kMma, kVector, kSfu, kLoad, kLoadWait, kStore };
inline constexpr std::size_t kSmPhases = 6;
const char* sm_phase_name(SmPhase p);

enum class L2Traffic : std::uint8_t { kHit, kMiss, kWrite };

struct WriteSummary {
  std::uint64_t bytes = 0;
  std::uint64_t events = 0;
  int level = 0;  // aggregation steps write() needed to fit the budget (0: as configured)
};

class Recorder {
 public:
  explicit Recorder(const TimelineOptions& options = {});

  // Layout, from the platform before the run.
  void set_units(int units);
  void set_hbm(int pseudo_channels, int pseudo_channels_per_channel, int banks_per_pseudo_channel,
               bool per_bank_refresh);
  void set_l2(double bytes_per_second);
  // Fabric links, one direction of a bundle each.
  void set_links(const std::vector<std::string>& names);

  // Hooks. Times are simulated picoseconds.
  void cta(int unit, const std::string& kernel, std::uint32_t cta, Picos start, Picos end);
  void sm_phase(int unit, SmPhase phase, Picos start, Picos end);
  void hbm_bus(int pseudo_channel, Picos start, Picos end);
  // `count` refreshes of `duration`, `period` apart from `first` (bank -1: all-bank REFab).
  void hbm_refresh(int pseudo_channel, int bank, Picos first, Picos period, std::uint64_t count,
                   Picos duration);
  void l2_transfer(L2Traffic kind, Picos start, Picos end, double bytes);
  void kernel(const std::string& name, Picos launch, Picos start, Picos end);
  // A link server occupied by one message (sending, or held by back-pressure).
  void link_busy(int link, Picos start, Picos end);

  // The trace-event JSON at aggregation `level` (each level halves the detail caps and counter
  // samples and quadruples the merge gap).
  std::string to_json(int level, std::uint64_t* events = nullptr) const;
  // Writes the finest level that fits options.max_mb; throws UserError when none does or the
  // file cannot be written.
  WriteSummary write(const std::string& path) const;

  const TimelineOptions& options() const { return options_; }

 private:
  struct Unit {
    std::array<UnionTrack, kSmPhases> phases;
    LaneTrack ctas;
  };
  // Counter series: fixed ones first, then HBM busy and refresh per channel.
  enum Series : std::size_t {
    kTensor,
    kResident,
    kL2Hit,
    kL2Miss,
    kL2Write,
    kLinkBusy,
    kFixedSeries
  };
  std::size_t hbm_busy_series(int channel) const { return kFixedSeries + channel; }
  std::size_t hbm_refresh_series(int channel) const {
    return kFixedSeries + static_cast<std::size_t>(channels_) + channel;
  }
  std::uint32_t name_id(const std::string& name);

  TimelineOptions options_;
  int units_ = 0;
  std::vector<Unit> unit_tracks_;  // the first min(units, sm_tracks)
  int pseudo_channels_ = 0, per_channel_ = 1, channels_ = 0, banks_ = 1;
  bool per_bank_refresh_ = false;
  std::vector<LaneTrack> refresh_tracks_;  // pseudo-channels of the detail channels
  double l2_bandwidth_ = 0;
  LaneTrack kernels_;
  std::vector<std::string> link_names_;
  std::vector<UnionTrack> link_tracks_;  // the first min(links, link_tracks)
  CounterBins bins_;
  Picos end_ = 0;  // latest time any hook saw
  std::vector<std::string> names_;
  std::map<std::string, std::uint32_t> name_ids_;
  std::uint32_t refab_name_ = 0, refpb_name_ = 0;
};

}  // namespace xpusim::timeline
