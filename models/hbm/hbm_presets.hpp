#pragma once
// Two HBM configurations for tests and benches until the YAML chip configs feed HbmModel.
// Source keys [Sx] are those of ../shared/reference/chips.md.
#include "models/hbm/hbm_config.hpp"

namespace xpusim::hbm {

inline constexpr Picos ns(double v) {
  return seconds_to_picos(v * 1e-9);
}

// Write bursts (32 B) buffered per pseudo-channel before a drain. NVIDIA does not publish its
// controller's; this is the one fitted parameter of the model, fitted on the ratio of the H100
// BabelStream copy and dot rows of measured.csv (2.90 / 3.18 = 0.912; 64 gives 0.915, 56 gives
// 0.904). docs/hbm-model.md gives the fit and the error on the other rows.
inline constexpr int kFittedWriteQueueDepth = 64;

// H100 SXM5 80 GB: HBM3, the memory: section of configs/chips/h100_sxm.yaml. Timings are
// Ramulator 2 HBM3_6400Mbps in ns (chips.md), so they hold at 5.23 Gb/s; tCCD stays in cycles.
inline HbmConfig h100_hbm3() {
  HbmConfig c;
  c.stacks = 5;  // [S2] 5 of 6 sites
  c.channels_per_stack = 16;
  c.pseudo_channels_per_channel = 2;  // [S33]
  c.bank_groups = 4;
  c.banks_per_group = 4;
  c.pseudo_channel_width_bits = 32;
  c.data_rate_bits_per_s = 5.23e9;  // 3.35 TB/s / 5120 pins [S2,S8]
  c.row_bytes = 1024;
  c.interleave_bytes = 256;
  c.capacity_bytes = 80ull << 30;
  c.access_latency = ns(480);  // estimate (Chips and Cheese H100): NoC + L2 miss path
  c.write_queue_depth = kFittedWriteQueueDepth;
  c.refresh_mode = RefreshMode::kPerBank;  // JESD238 REFpb; REFab (350 ns / 3.9 us) would cap
                                           // reads at 91%, below the measured 95% dot
  HbmTiming& t = c.timing;
  t.tCK = seconds_to_picos(1 / 1.3075e9);  // data rate / 4
  t.CL = ns(12.5);
  t.CWL = ns(6.25);
  t.tRCD_rd = ns(19.4);
  t.tRCD_wr = ns(9.4);
  t.tRP = ns(16.25);
  t.tRAS = ns(28.1);
  t.tRC = ns(45);
  t.tFAW = ns(15);
  t.tRRD_S = ns(2.5);
  t.tRRD_L = ns(3.125);
  t.tCCD_S = 2 * t.tCK;
  t.tCCD_L = 4 * t.tCK;
  t.tWR = ns(20.6);
  t.tWTR_S = ns(2.5);
  t.tWTR_L = ns(7.5);
  t.tRTW = ns(11);
  t.tRTP = ns(4.4);
  t.tREFI = ns(3900);
  t.tRFC = ns(350);  // JESD238 tRFCab, 16 Gb die
  t.tRFCpb = ns(160);
  t.burst_length = 8;
  return c;
}

// A100 SXM 80 GB: HBM2e in pseudo-channel mode, 5 stacks of 8 channels x 2 pseudo-channels of
// 64 DQ [S9]. 2039 GB/s / 5120 pins = 3.186 Gb/s (1593 MHz DDR; "3.2 Gb/s" rounded). Core timings
// are DRAMsim3 HBM2_8Gb_x128 (tCK = 1 ns there) kept in ns, which is what a DRAM array holds
// across speed bins; tRTW is the RL + BL/2 + 2 - WL cycles DRAMsim3 derives; tRFC is the 16 Gb
// entry of Ramulator 2's HBM2 refresh table (A100 80 GB stacks are 8-high 16 Gb dies) and
// tRFCpb its REFsb value.
inline HbmConfig a100_hbm2e() {
  HbmConfig c;
  c.stacks = 5;
  c.channels_per_stack = 8;
  c.pseudo_channels_per_channel = 2;
  c.bank_groups = 4;
  c.banks_per_group = 4;
  c.pseudo_channel_width_bits = 64;
  c.data_rate_bits_per_s = 2039e9 * 8 / 5120;
  c.row_bytes = 1024;  // HBM2 page: 2 KB per channel, 1 KB per pseudo-channel
  c.interleave_bytes = 256;
  c.capacity_bytes = 80ull << 30;
  c.access_latency = ns(480);  // estimate, as H100: affects latency, not streaming bandwidth
  c.write_queue_depth = kFittedWriteQueueDepth;
  c.refresh_mode = RefreshMode::kAllBank;  // not published; REFpb would put copy and triad 9
                                           // points above measured.csv, REFab within 2.5
  HbmTiming& t = c.timing;
  t.tCK = seconds_to_picos(1 / 1.593e9);
  t.CL = ns(14);
  t.CWL = ns(4);
  t.tRCD_rd = ns(14);
  t.tRCD_wr = ns(14);
  t.tRP = ns(14);
  t.tRAS = ns(34);
  t.tRC = ns(48);  // tRAS + tRP
  t.tFAW = ns(30);
  t.tRRD_S = ns(4);
  t.tRRD_L = ns(6);
  t.tCCD_S = ns(1);  // below one BL4 burst (1.26 ns): the bus is the limit
  t.tCCD_L = ns(2);
  t.tWR = ns(16);
  t.tWTR_S = ns(6);
  t.tWTR_L = ns(8);
  t.tRTW = ns(14);
  t.tRTP = ns(6);  // tRTP_L
  t.tREFI = ns(3900);
  t.tRFC = ns(450);
  t.tRFCpb = ns(160);
  t.burst_length = 4;
  return c;
}

}  // namespace xpusim::hbm
