// Tests of models/hbm: each expectation is derived from the timing parameters by hand, not copied
// from the model's output.
#include <gtest/gtest.h>

#include <cmath>
#include <cstdint>
#include <set>
#include <tuple>
#include <vector>

#include "models/hbm/hbm_model.hpp"
#include "models/hbm/hbm_presets.hpp"
#include "sim/common/error.hpp"

namespace xpusim::hbm {
namespace {

constexpr std::uint64_t kMiB = 1 << 20;
constexpr std::uint64_t kPiece = 4096;

// Issues [base, base + bytes) in 4 KB pieces, all arriving at `arrival` (a deep queue); returns
// when the last byte is done, buffered writes included.
Picos stream(HbmModel& hbm, std::uint64_t base, std::uint64_t bytes, bool is_write,
             Picos arrival = 0) {
  Picos done = arrival;
  for (std::uint64_t off = 0; off < bytes; off += kPiece) {
    done = std::max(done, hbm.access(base + off, kPiece, is_write, arrival));
  }
  return std::max(done, hbm.drain(done));
}

double fraction_of_peak(const HbmModel& hbm, std::uint64_t bytes, Picos time) {
  return static_cast<double>(bytes) / picos_to_seconds(time) / hbm.config().peak_bandwidth();
}

// Two addresses in the same bank of the same pseudo-channel, in different rows.
std::pair<std::uint64_t, std::uint64_t> same_bank_other_row(const HbmModel& hbm) {
  const HbmLocation a = hbm.locate(0);
  for (std::uint64_t addr = 256; addr < 1024 * kMiB; addr += 256) {
    const HbmLocation b = hbm.locate(addr);
    if (b.pseudo_channel == a.pseudo_channel && b.bank_group == a.bank_group && b.bank == a.bank &&
        b.row != a.row) {
      return {0, addr};
    }
  }
  ADD_FAILURE() << "no conflicting address found";
  return {0, 0};
}

// n 32-byte reads alternating between addresses a and b, the i-th arriving at i * spacing; returns
// when the last is done.
Picos read_alternating(HbmModel& hbm, std::uint64_t a, std::uint64_t b, int n, Picos spacing) {
  Picos done = 0;
  for (int i = 0; i < n; ++i) {
    done = std::max(done, hbm.access(i % 2 ? b : a, 32, false, static_cast<Picos>(i) * spacing));
  }
  return done;
}

TEST(HbmConfig, PeakBandwidthIsPinMath) {
  // 5 stacks x 16 channels x 2 pseudo-channels x 32 DQ x 5.23 Gb/s / 8 = 3.3472 TB/s.
  EXPECT_NEAR(h100_hbm3().peak_bandwidth(), 5.0 * 16 * 2 * 32 * 5.23e9 / 8, 1e3);
  EXPECT_NEAR(h100_hbm3().peak_bandwidth(), 3.35e12, 0.01e12);
  // 5 x 8 x 2 x 64 DQ at 3.186 Gb/s = 2039 GB/s.
  EXPECT_NEAR(a100_hbm2e().peak_bandwidth(), 2039e9, 1e6);
  EXPECT_EQ(HbmModel(h100_hbm3()).pseudo_channel_count(), 160);
  EXPECT_EQ(h100_hbm3().burst_bytes(), 32u);   // 32 DQ x BL8
  EXPECT_EQ(a100_hbm2e().burst_bytes(), 32u);  // 64 DQ x BL4
}

TEST(HbmConfig, ValidateRejectsNonsense) {
  EXPECT_NO_THROW(h100_hbm3().validate());
  EXPECT_NO_THROW(a100_hbm2e().validate());
  static int count = 0;
  const auto rejects = [](auto mutate) {
    SCOPED_TRACE(::testing::Message() << "case " << ++count);
    HbmConfig c = h100_hbm3();
    mutate(c);
    EXPECT_THROW(c.validate(), UserError);
    EXPECT_THROW(HbmModel{c}, UserError);
  };
  rejects([](HbmConfig& c) { c.stacks = 0; });
  rejects([](HbmConfig& c) { c.channels_per_stack = -1; });
  rejects([](HbmConfig& c) { c.bank_groups = 0; });
  rejects([](HbmConfig& c) { c.data_rate_bits_per_s = 0; });
  rejects([](HbmConfig& c) { c.data_rate_bits_per_s = std::nan(""); });
  rejects([](HbmConfig& c) { c.pseudo_channel_width_bits = 12; });
  rejects([](HbmConfig& c) { c.interleave_bytes = 100; });  // not a multiple of 32 B bursts
  rejects([](HbmConfig& c) { c.row_bytes = 640; });         // not a multiple of 256 B chunks
  rejects([](HbmConfig& c) { c.capacity_bytes = 1 << 20; });
  rejects([](HbmConfig& c) { c.write_queue_depth = 0; });
  rejects([](HbmConfig& c) { c.timing.burst_length = 0; });
  rejects([](HbmConfig& c) { c.timing.tRC = c.timing.tRAS - 1; });
  rejects([](HbmConfig& c) { c.timing.tRFCpb = c.timing.tREFI; });
}

TEST(HbmModel, RejectsAccessOutsideMemory) {
  HbmModel hbm(h100_hbm3());
  EXPECT_THROW(hbm.access(80ull << 30, 32, false, 0), UserError);
  EXPECT_THROW(hbm.access((80ull << 30) - 32, 64, false, 0), UserError);
}

TEST(HbmModel, IsolatedReadLatencyIsActivateCasBurstAndPath) {
  HbmModel hbm(h100_hbm3());
  const Picos arrival = 1000;
  // Closed bank: ACT at arrival, read tRCD_rd = 19.4 ns later, data CL = 12.5 ns after that, one
  // BL8 burst at 5.23 Gb/s (8 / 5.23e9 s = 1.530 ns), then 480 ns back to the SM.
  const Picos expected = 19400 + 12500 + 1530 + 480000;
  EXPECT_EQ(hbm.access(0, 32, false, arrival) - arrival, expected);
  EXPECT_EQ(hbm.stats().activates, 1u);
  EXPECT_EQ(hbm.stats().row_misses, 1u);
}

TEST(HbmModel, WritesArePostedAndDrainOnRequest) {
  HbmModel hbm(h100_hbm3());
  EXPECT_EQ(hbm.access(0, 32, true, 5000), 5000u);  // into the queue at once
  EXPECT_EQ(hbm.stats().bursts, 0u);                // nothing on the bus yet
  // Drain: ACT at 5 ns, write tRCD_wr = 9.4 ns later, data CWL = 6.25 ns after it, one burst.
  EXPECT_EQ(hbm.drain(5000), 5000u + 9400 + 6250 + 1530);
  EXPECT_EQ(hbm.stats().bytes_written, 32u);
}

TEST(HbmModel, OpenRowHitsBeatAlternatingRowsOfOneBank) {
  const HbmConfig config = h100_hbm3();
  const HbmTiming& t = config.timing;
  const int n = 16;
  HbmModel open_row(config);
  Picos open_done = 0;
  for (int i = 0; i < n; ++i) {
    open_done = std::max(open_done, open_row.access(32 * (i % 8), 32, false, 0));
  }
  // One ACT, then one read per tCCD_L (same bank, so same bank group: 4 tCK = 3.06 ns).
  EXPECT_EQ(open_done, t.tRCD_rd + (n - 1) * t.tCCD_L + t.CL + 1530 + config.access_latency);
  EXPECT_EQ(open_row.stats().row_hits, static_cast<std::uint64_t>(n - 1));

  // Alternating rows of one bank, each read arriving one tRC after the last: by then the other
  // row has been closed, so every read needs PRE + ACT (nothing queued to reorder).
  ASSERT_GE(t.tRC, t.tRAS + t.tRP);
  HbmModel alternating(config);
  const auto [a, b] = same_bank_other_row(alternating);
  const Picos alt_done = read_alternating(alternating, a, b, n, t.tRC);
  // The last read: PRE at its arrival (tRAS has passed), ACT tRP later, then tRCD, CL, a burst.
  EXPECT_EQ(alt_done, (n - 1) * t.tRC + t.tRP + t.tRCD_rd + t.CL + 1530 + config.access_latency);
  EXPECT_EQ(alternating.stats().row_conflicts, static_cast<std::uint64_t>(n - 1));
  EXPECT_EQ(alternating.stats().reordered_hits, 0u);
}

TEST(HbmModel, QueuedRowHitsGoBeforeTheConflictingActivate) {
  // The same alternating rows, all queued at time 0: like an FR-FCFS controller, the model serves
  // the reads of the first row before closing it, so there is one PRE + ACT, not n - 1.
  const HbmConfig config = h100_hbm3();
  const HbmTiming& t = config.timing;
  const int n = 16;
  HbmModel hbm(config);
  const auto [a, b] = same_bank_other_row(hbm);
  const Picos done = read_alternating(hbm, a, b, n, 0);
  EXPECT_EQ(hbm.stats().activates, 2u);
  EXPECT_EQ(hbm.stats().row_conflicts, 1u);
  EXPECT_EQ(hbm.stats().reordered_hits, static_cast<std::uint64_t>(n / 2 - 1));
  EXPECT_EQ(hbm.stats().row_hits, static_cast<std::uint64_t>(n - 2));
  // Served in arrival order it would take (n - 1) tRC; reordered, one tRC-ish switch and n column
  // commands tCCD_L apart.
  EXPECT_LT(done, 3 * t.tRC + n * t.tCCD_L + t.CL + 1530 + config.access_latency);

  // A row only waits for a row's worth of reordered data: past that the conflict is served.
  HbmModel capped(config);
  const std::uint64_t bursts_per_row = config.row_bytes / config.burst_bytes();
  capped.access(a, 32, false, 0);
  capped.access(b, 32, false, 0);
  for (std::uint64_t i = 0; i < bursts_per_row + 4; ++i) capped.access(a, 32, false, 0);
  EXPECT_EQ(capped.stats().reordered_hits, bursts_per_row);
  EXPECT_EQ(capped.stats().row_conflicts, 2u);  // then a is opened again
}

TEST(HbmModel, FourActivateWindowSpacesTheFifthActivate) {
  const HbmConfig config = h100_hbm3();
  const HbmTiming& t = config.timing;
  HbmModel hbm(config);
  // Five reads to five different banks of pseudo-channel 0 (rows of consecutive chunks spread over
  // the bank groups and banks), all at time 0: ACTs go tRRD apart until the fifth, which must
  // wait for the first + tFAW.
  std::vector<std::uint64_t> addrs;
  std::set<std::pair<int, int>> banks;
  const std::uint64_t round = 256ull * hbm.pseudo_channel_count();
  for (std::uint64_t addr = 0; addrs.size() < 5; addr += 256) {
    const HbmLocation loc = hbm.locate(addr);
    if (loc.pseudo_channel == 0 && banks.insert({loc.bank_group, loc.bank}).second) {
      addrs.push_back(addr);
    }
    ASSERT_LT(addr, 4096 * round);
  }
  Picos last = 0;
  for (std::uint64_t addr : addrs) last = hbm.access(addr, 32, false, 0);
  EXPECT_EQ(hbm.stats().activates, 5u);
  EXPECT_EQ(last, t.tFAW + t.tRCD_rd + t.CL + 1530 + config.access_latency);
}

TEST(HbmModel, StreamingReadsGetMostButNotAllOfPeak) {
  HbmModel hbm(h100_hbm3());
  const std::uint64_t bytes = 64 * kMiB;
  const Picos done = stream(hbm, 0, bytes, false);
  const double fraction = fraction_of_peak(hbm, bytes, done);
  EXPECT_GT(fraction, 0.85);
  EXPECT_LT(fraction, 1.0);  // at least the first access's latency is not streaming
  EXPECT_EQ(hbm.stats().bytes_read, bytes);
  EXPECT_EQ(hbm.stats().bursts, bytes / 32);
  EXPECT_NE(hbm.where_peak_went(done).find("of peak"), std::string::npos);
}

TEST(HbmModel, RefreshCostsStreamingBandwidth) {
  const std::uint64_t bytes = 64 * kMiB;
  for (RefreshMode mode : {RefreshMode::kAllBank, RefreshMode::kPerBank}) {
    HbmConfig with = h100_hbm3();
    with.refresh_mode = mode;
    HbmConfig without = with;
    without.timing.tREFI = 1000 * kPicosPerUs * 1000;  // one second: never within the stream
    HbmModel a(with), b(without);
    const Picos t_with = stream(a, 0, bytes, false);
    const Picos t_without = stream(b, 0, bytes, false);
    EXPECT_GT(a.stats().refreshes, 0u);
    EXPECT_EQ(b.stats().refreshes, 0u);
    const double loss = 1.0 - static_cast<double>(t_without) / t_with;
    if (mode == RefreshMode::kAllBank) {
      // REFab stops the pseudo-channel tRFC every tREFI: 350 / 3900 = 9% of the time (plus the
      // tRP to close rows first).
      EXPECT_LT(t_without, t_with);
      EXPECT_GT(a.stats().refresh_blocked, 0u);
      EXPECT_GT(loss, 0.07);
      EXPECT_LT(loss, 0.12);
    } else {
      // REFpb blocks one bank in 16 at a time; a stream has other banks' work to do meanwhile.
      EXPECT_LE(t_without, t_with);
      EXPECT_LT(loss, 0.01);
    }
  }
}

TEST(HbmModel, ReadWriteMixTurnsTheBusAroundAndIsSlower) {
  const std::uint64_t bytes = 32 * kMiB;
  HbmModel reads(h100_hbm3());
  const Picos t_reads = stream(reads, 0, 2 * bytes, false);
  HbmModel mix(h100_hbm3());
  Picos done = 0;
  for (std::uint64_t off = 0; off < bytes; off += kPiece) {
    done = std::max(done, mix.access(off, kPiece, false, 0));
    done = std::max(done, mix.access(512 * kMiB + off, kPiece, true, 0));
  }
  done = std::max(done, mix.drain(done));
  EXPECT_EQ(reads.stats().read_write_turnarounds, 0u);
  EXPECT_GT(mix.stats().read_write_turnarounds, 0u);
  EXPECT_GT(mix.stats().turnaround, 0u);
  EXPECT_GT(done, t_reads);  // same bytes, same bursts; the turnarounds are extra
}

TEST(HbmModel, DeeperWriteQueueTurnsAroundLess) {
  const std::uint64_t bytes = 16 * kMiB;
  std::vector<std::pair<std::uint64_t, Picos>> results;
  for (int depth : {16, 128}) {
    HbmConfig config = h100_hbm3();
    config.write_queue_depth = depth;
    HbmModel hbm(config);
    Picos done = 0;
    for (std::uint64_t off = 0; off < bytes; off += kPiece) {
      done = std::max(done, hbm.access(off, kPiece, false, 0));
      done = std::max(done, hbm.access(512 * kMiB + off, kPiece, true, 0));
    }
    done = std::max(done, hbm.drain(done));
    results.push_back({hbm.stats().read_write_turnarounds, done});
  }
  // One drain per `depth` write bursts, two turnarounds each: 8x fewer drains at 128 than 16.
  EXPECT_LT(results[1].first * 4, results[0].first);
  EXPECT_LT(results[1].second, results[0].second);
}

TEST(HbmModel, FourActivateWindowLimitsRandomAccess) {
  // 32 B reads at random addresses: every one opens a row. A pseudo-channel then moves at most 4
  // bursts per tFAW: 160 x 4 x 32 B / 15 ns = 1.37 TB/s, 41% of peak (tRRD_S = 2.5 ns and
  // tRC / 16 banks = 2.8 ns allow more ACTs than that).
  const auto run = [](Picos tFAW) {
    HbmConfig config = h100_hbm3();
    config.timing.tFAW = tFAW;
    HbmModel hbm(config);
    std::uint64_t x = 12345;
    Picos done = 0;
    const int n = 1 << 20;
    for (int i = 0; i < n; ++i) {
      x = x * 6364136223846793005ull + 1442695040888963407ull;
      done = std::max(done, hbm.access((x >> 20) % (80ull << 30) & ~31ull, 32, false, 0));
    }
    return std::pair{fraction_of_peak(hbm, 32ull * n, done), hbm.stats().activates};
  };
  const HbmConfig config = h100_hbm3();
  const double bound =
      160.0 * 4 * 32 / picos_to_seconds(config.timing.tFAW) / config.peak_bandwidth();
  const auto [fraction, activates] = run(config.timing.tFAW);
  EXPECT_GT(activates, (1u << 20) * 99 / 100);
  EXPECT_LT(fraction, 0.5);
  EXPECT_LE(fraction, bound);
  EXPECT_GT(fraction, 0.85 * bound);
  // With the window at 4 x tRRD_S it no longer binds; the next limit is tRC in each of 16 banks
  // (one ACT per 45 / 16 = 2.8 ns instead of 3.75 ns).
  const double relaxed = run(4 * config.timing.tRRD_S).first;
  EXPECT_GT(relaxed, fraction * 1.1);
  EXPECT_LT(relaxed,
            160.0 * 16 * 32 / picos_to_seconds(config.timing.tRC) / config.peak_bandwidth());
}

TEST(HbmModel, SameRequestsGiveSameTimesAndStats) {
  const auto run = [] {
    HbmModel hbm(a100_hbm2e());
    std::vector<Picos> times;
    std::uint64_t x = 7;
    for (int i = 0; i < 20000; ++i) {
      x = x * 6364136223846793005ull + 1442695040888963407ull;
      const Picos arrival = i * 700 + (x >> 60) * 300;  // roughly, not strictly, in order
      const std::uint64_t addr = (x >> 24) % (8ull << 30);
      times.push_back(hbm.access(addr, 64 + (x >> 50) % 8192, (x >> 40) % 3 == 0, arrival));
    }
    times.push_back(hbm.drain(times.back()));
    return std::pair{times, hbm.stats()};
  };
  const auto [t1, s1] = run();
  const auto [t2, s2] = run();
  EXPECT_EQ(t1, t2);
  const auto fields = [](const HbmStats& s) {
    return std::tuple{s.bytes_read,
                      s.bytes_written,
                      s.bursts,
                      s.activates,
                      s.row_hits,
                      s.row_misses,
                      s.row_conflicts,
                      s.refreshes,
                      s.read_write_turnarounds,
                      s.data_transfer,
                      s.refresh_blocked,
                      s.turnaround,
                      s.bank_stall,
                      s.idle};
  };
  EXPECT_EQ(fields(s1), fields(s2));
}

TEST(HbmModel, InterleaveCoversEveryPseudoChannelAndTilesSpread) {
  HbmModel hbm(h100_hbm3());
  const int pcs = hbm.pseudo_channel_count();
  std::set<int> seen;
  for (int i = 0; i < pcs; ++i) seen.insert(hbm.locate(256ull * i).pseudo_channel);
  EXPECT_EQ(static_cast<int>(seen.size()), pcs);  // one round of chunks: each channel once
  // The rows of a tile whose stride is a multiple of pcs * 256 B would all land on one
  // pseudo-channel without the hash.
  std::set<int> tile;
  for (int row = 0; row < 128; ++row)
    tile.insert(hbm.locate(4ull * pcs * 256 * row).pseudo_channel);
  EXPECT_GT(tile.size(), 64u);
  // Consecutive chunks of one pseudo-channel alternate bank groups.
  const std::uint64_t round = 256ull * pcs;
  std::set<int> groups;
  for (int i = 0; i < 4; ++i) groups.insert(hbm.locate(i * round).bank_group);
  EXPECT_EQ(groups.size(), 4u);
}

TEST(HbmModel, TileIsItsRows) {
  HbmModel tile(h100_hbm3()), rows(h100_hbm3());
  const std::uint64_t stride = 1 << 16;
  Picos expected = 0;
  for (std::uint32_t r = 0; r < 64; ++r) {
    expected = std::max(expected, rows.access(4096 + r * stride, 512, false, 100));
  }
  EXPECT_EQ(tile.access_2d(4096, 64, 512, stride, false, 100), expected);
  EXPECT_EQ(tile.stats().bytes_read, 64u * 512);
}

}  // namespace
}  // namespace xpusim::hbm
