#pragma once
// Parameters of the HBM timing model (models/hbm/hbm_model.hpp). Everything is physical: the
// organisation of the stacks, the pin rate, the JEDEC timing parameters, and three controller
// properties (interleave, write-queue depth, refresh mode). There is no efficiency factor: the
// fraction of peak a workload gets comes out of these.
#include <cstdint>

#include "sim/common/time.hpp"

namespace xpusim::hbm {

// kAllBank: REFab, the whole pseudo-channel stops for tRFC every tREFI.
// kPerBank: REFpb/REFsb, each bank stops for tRFCpb once per tREFI, staggered by tREFI/banks, while
// the other banks keep serving.
enum class RefreshMode { kAllBank, kPerBank };

// JEDEC timing parameters, all in picoseconds (the config layer converts ns and cycles).
struct HbmTiming {
  Picos tCK = 0;         // command clock period (HBM3: data rate / 4; HBM2e: data rate / 2)
  Picos CL = 0;          // read command -> first read data on the bus
  Picos CWL = 0;         // write command -> first write data on the bus
  Picos tRCD_rd = 0;     // ACT -> read command, same bank
  Picos tRCD_wr = 0;     // ACT -> write command, same bank
  Picos tRP = 0;         // PRE -> ACT, same bank
  Picos tRAS = 0;        // ACT -> PRE, same bank
  Picos tRC = 0;         // ACT -> ACT, same bank
  Picos tFAW = 0;        // window holding at most 4 ACTs per pseudo-channel
  Picos tRRD_S = 0;      // ACT -> ACT, different bank groups
  Picos tRRD_L = 0;      // ACT -> ACT, same bank group
  Picos tCCD_S = 0;      // column -> column, different bank groups
  Picos tCCD_L = 0;      // column -> column, same bank group
  Picos tWR = 0;         // end of write data -> PRE, same bank (write recovery)
  Picos tWTR_S = 0;      // end of write data -> read command, different bank group
  Picos tWTR_L = 0;      // end of write data -> read command, same bank group
  Picos tRTW = 0;        // read command -> write command
  Picos tRTP = 0;        // read command -> PRE, same bank
  Picos tREFI = 0;       // refresh interval (make it huge to switch refresh off)
  Picos tRFC = 0;        // all-bank refresh time
  Picos tRFCpb = 0;      // per-bank refresh time
  int burst_length = 0;  // BL: beats per column command (HBM3 BL8, HBM2e pseudo-channel BL4)
};

struct HbmConfig {
  int stacks = 0;
  int channels_per_stack = 0;
  int pseudo_channels_per_channel = 0;
  int bank_groups = 0;                 // per pseudo-channel
  int banks_per_group = 0;             // per bank group
  int pseudo_channel_width_bits = 0;   // 32 for HBM3, 64 for HBM2e pseudo-channel mode
  double data_rate_bits_per_s = 0;     // per pin
  std::uint64_t row_bytes = 0;         // page size of one bank of one pseudo-channel
  std::uint64_t interleave_bytes = 0;  // bytes on one pseudo-channel before the next one
  std::uint64_t capacity_bytes = 0;
  Picos access_latency =
      0;  // idle load-to-use latency outside the DRAM core (NoC, controller, PHY)
  int write_queue_depth = 0;  // write bursts buffered per pseudo-channel; a full queue is drained
  RefreshMode refresh_mode = RefreshMode::kAllBank;
  HbmTiming timing;

  // Throws xpusim::UserError naming the first field that makes no sense.
  void validate() const;
  // Bytes per second: stacks * channels * pseudo-channels * width * data_rate / 8.
  double peak_bandwidth() const;

  int pseudo_channel_count() const {
    return stacks * channels_per_stack * pseudo_channels_per_channel;
  }
  int banks_per_pseudo_channel() const { return bank_groups * banks_per_group; }
  // One column command moves width * BL / 8 bytes (32 B for both HBM3 and HBM2e).
  std::uint64_t burst_bytes() const {
    return static_cast<std::uint64_t>(pseudo_channel_width_bits) *
           static_cast<std::uint64_t>(timing.burst_length) / 8;
  }
  // Time one burst holds the data bus: BL beats at the pin rate, rounded to a picosecond.
  Picos burst_time() const { return seconds_to_picos(timing.burst_length / data_rate_bits_per_s); }
};

}  // namespace xpusim::hbm
