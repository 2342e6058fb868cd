// Die-to-die links in multi-die packages: the address map over memory dies, the link's packet and
// bandwidth arithmetic, the platform's far traffic, and bad die configs. Expected values come from
// hand calculation (docs/fabric.md, "Die-to-die links").
#include <gtest/gtest.h>

#include <set>

#include "models/fabric/die_link.hpp"
#include "models/hbm/die_interleave.hpp"
#include "sim/common/error.hpp"
#include "sim/config/chip_config.hpp"
#include "sim/run/workload.hpp"
#include "test_support.hpp"

using namespace xpusim;

namespace {

config::ChipConfig chip(const std::string& name, const std::vector<std::string>& sets = {}) {
  return config::load_chip(name, xpusim::testing::config_dir(), sets);
}

run::RunReport stream_copy(const config::ChipConfig& c) {
  return run::simulate(run::build_workload(run::stream_spec("copy", DType::kFp64, 1 << 24), c), c);
}

double far_fraction(const run::RunReport& r) {
  const auto& d = r.raw.die_to_die;
  return static_cast<double>(d.far_bytes) / static_cast<double>(d.near_bytes + d.far_bytes);
}

std::uint64_t link_data_bytes(const run::RunReport& r) {
  std::uint64_t sum = 0;
  for (const auto& l : r.raw.die_to_die.links) sum += l.stats.data_bytes;
  return sum;
}

std::string load_error(const std::string& name, const std::vector<std::string>& sets) {
  try {
    chip(name, sets);
  } catch (const UserError& e) {
    return e.what();
  }
  return "";
}

TEST(DieInterleave, BlocksGoRoundTheDiesHashedByStripeAndPackIntoLocalAddresses) {
  // 2 dies, 4 KiB blocks: stripe s = block / 2 holds blocks 2s and 2s+1; block b goes to die
  // (b + h(s)) mod 2 with h(s) the number of 1 bits of s; the block is local block s of its die.
  const hbm::DieInterleave map(2, 4096);
  EXPECT_EQ(map.home(0), 0);     // block 0, stripe 0
  EXPECT_EQ(map.home(4095), 0);  // still block 0
  EXPECT_EQ(map.home(4096), 1);  // block 1, stripe 0
  EXPECT_EQ(map.home(8192), 1);  // block 2, stripe 1 (one bit): (2 + 1) mod 2
  EXPECT_EQ(map.home(12288), 0);
  EXPECT_EQ(map.local(8192 + 5), 4096u + 5);  // stripe 1
  EXPECT_EQ(map.local(4096 + 7), 7u);         // stripe 0
  // A bijection: 8 blocks land on 2 dies x 4 distinct local blocks.
  std::set<std::pair<int, std::uint64_t>> seen;
  for (std::uint64_t a = 0; a < 8 * 4096; a += 4096) seen.insert({map.home(a), map.local(a)});
  EXPECT_EQ(seen.size(), 8u);
  // A 6 KiB range from 3 KiB: 1 KiB of block 0 (die 0), block 1 (die 1), 1 KiB of block 2 (die 1).
  std::vector<std::tuple<int, std::uint64_t, std::uint64_t>> pieces;
  map.split(3072, 6144,
            [&](int d, std::uint64_t local, std::uint64_t n) { pieces.emplace_back(d, local, n); });
  const std::vector<std::tuple<int, std::uint64_t, std::uint64_t>> expected{
      {0, 3072, 1024}, {1, 0, 4096}, {1, 4096, 1024}};
  EXPECT_EQ(pieces, expected);
  // Rows 16 KiB apart (stripes 0, 2, 4, ..., 14): the bit counts of 0..7 are even for 0, 3, 5, 6,
  // so 4 of 8 rows are on each die, where plain modulo would put all 8 on die 0.
  int on_die_1 = 0;
  for (std::uint64_t row = 0; row < 8; ++row) on_die_1 += map.home(row * 16384);
  EXPECT_EQ(on_die_1, 4);
}

TEST(DieLink, PacketsHeadersAndQueueing) {
  fabric::LinkSpec spec;
  spec.lane_bandwidth = 100e9;  // 100 GB/s: 10 ps per byte
  spec.packet = fabric::PacketFormat{64, 16, 64, 16, 1.0};
  fabric::DieLink link(spec, 20 * kPicosPerNs);
  // 6400 B of writes: 100 packets of 64 + 16 B = 8000 wire bytes = 80 ns.
  EXPECT_EQ(link.transfer(0, 6400, fabric::PacketKind::kWrite), 80 * kPicosPerNs);
  // A second one offered at the same time waits for the first: done at 160 ns, 80 ns of stall.
  EXPECT_EQ(link.transfer(0, 6400, fabric::PacketKind::kWrite), 160 * kPicosPerNs);
  // Read requests for 6400 B: 100 header-only packets of 16 B = 1600 B, carrying no data.
  link.transfer(200 * kPicosPerNs, 6400, fabric::PacketKind::kReadRequest);
  const fabric::DieLinkStats& s = link.stats();
  EXPECT_EQ(s.transfers, 3u);
  EXPECT_EQ(s.data_bytes, 12800u);
  EXPECT_EQ(s.wire_bytes, 16000u + 1600u);
  EXPECT_EQ(s.busy, 176 * kPicosPerNs);
  // (1 ps of rounding in the ledger's floor for the requests)
  EXPECT_NEAR(static_cast<double>(s.stall), 80.0 * kPicosPerNs, 1.0);
}

TEST(DieToDie, SingleDieChipsHaveNoLinks) {
  const auto r = stream_copy(chip("h100_sxm"));
  EXPECT_EQ(r.raw.die_to_die.memory_dies, 1);
  EXPECT_TRUE(r.raw.die_to_die.links.empty());
  EXPECT_FALSE(r.to_json()["components"].contains("die_to_die"));
  EXPECT_EQ(r.utilisation_of("d2d"), 0);
}

TEST(DieToDie, HalfOfUniformlyInterleavedTrafficCrossesOnTwoDies) {
  const auto r = stream_copy(chip("b200"));
  EXPECT_EQ(r.raw.die_to_die.links.size(), 2u);
  // Every unit reads and writes whole arrays spread evenly over both dies: half is far.
  EXPECT_NEAR(far_fraction(r), 0.5, 0.01);
  // STREAM loads are not multicast, so the links carry exactly the far bytes.
  EXPECT_EQ(link_data_bytes(r), r.raw.die_to_die.far_bytes);
  const auto json = r.to_json()["components"]["die_to_die"];
  EXPECT_EQ(json["memory_dies"], 2);
  EXPECT_EQ(json["links"].size(), 2u);
}

TEST(DieToDie, ThreeQuartersCrossOnFourMemoryDies) {
  // MI300X: 8 compute dies on 4 I/O dies; memory interleaved over all 4, so 3 of 4 blocks are on
  // another I/O die; 12 directed links in the full mesh.
  const auto r = stream_copy(chip("mi300x"));
  EXPECT_EQ(r.raw.die_to_die.memory_dies, 4);
  EXPECT_EQ(r.raw.die_to_die.links.size(), 12u);
  EXPECT_NEAR(far_fraction(r), 0.75, 0.01);
}

TEST(DieToDie, EnormousLinkMatchesTheSingleDieResult) {
  const auto one = stream_copy(chip("b200", {"die_to_die.dies=1"}));
  const auto two =
      stream_copy(chip("b200", {"die_to_die.bandwidth=1000 TB/s", "die_to_die.latency=0 ns"}));
  EXPECT_EQ(two.raw.die_to_die.memory_dies, 2);
  EXPECT_NEAR(two.latency_s / one.latency_s, 1.0, 0.01);
}

TEST(DieToDie, GemmOnAnEnormousLinkMatchesOneDieAndHalfItsTrafficCrosses) {
  // A GEMM's tiles are reused from L2; with the L2 memory-side, hits on the other die's half
  // cross as well, so half of all unit traffic crosses, and an ideal link changes nothing.
  auto gemm = [](const config::ChipConfig& c) {
    return run::simulate(run::build_workload(run::gemm_spec("4096x4096x4096", DType::kBf16), c), c);
  };
  const auto one = gemm(chip("b200", {"die_to_die.dies=1"}));
  const auto two =
      gemm(chip("b200", {"die_to_die.bandwidth=1000 TB/s", "die_to_die.latency=0 ns"}));
  EXPECT_NEAR(far_fraction(two), 0.5, 0.01);
  EXPECT_NEAR(two.latency_s / one.latency_s, 1.0, 0.01);
}

TEST(DieToDie, NarrowLinkBoundsCopyByTheFarShare) {
  // Copy of N bytes read and N written (counted 2N), half of each far. Die 0's units read N/4
  // from die 1 and write N/4 to it; die 1's the same the other way. Each direction carries N/2 of
  // data in 64 B packets with 16 B headers (0.625 N wire) plus the requests of the N/4 read the
  // other way (N/4 / 64 x 16 B = 0.0625 N): 0.6875 N per direction. At B per direction the copy
  // cannot beat 2N / (0.6875 N / B) = 2.909 B, and with the link the limit it should reach it.
  const double b = 200e9;
  const auto r = stream_copy(chip("b200", {"die_to_die.bandwidth=200 GB/s"}));
  const double counted = r.counted_bytes / r.kernel_s;
  EXPECT_LT(counted, 2.0 / 0.6875 * b * 1.001);
  EXPECT_GT(counted, 0.95 * 2.0 / 0.6875 * b);
  EXPECT_EQ(r.bottleneck, "die-to-die link") << r.evidence;
  EXPECT_GT(r.utilisation_of("d2d"), 0.95);
}

TEST(DieToDie, BadDieConfigsNameTheKey) {
  struct Case {
    std::vector<std::string> sets;
    std::string key, phrase;
  };
  const std::vector<Case> cases{
      {{"compute.units=147"}, "die_to_die.dies", "compute.units (147) is not divisible by 2"},
      {{"memory.stacks=7"}, "die_to_die.dies", "memory.stacks (7) is not divisible by 2"},
      {{"l2.slices=161"}, "die_to_die.dies", "l2.slices (161) is not divisible by 2"},
      {{"die_to_die.bandwidth=0 TB/s"}, "die_to_die.bandwidth", "must be above 0"},
      {{"die_to_die.interleave=300 B"}, "die_to_die.interleave", "not a multiple"},
      {{"die_to_die.memory_dies=3"}, "die_to_die.memory_dies", "cannot be grouped evenly"},
      {{"die_to_die.dies=0"}, "die_to_die.dies", "out of range"},
  };
  for (const Case& c : cases) {
    const std::string msg = load_error("b200", c.sets);
    ASSERT_FALSE(msg.empty()) << c.sets.front() << " loaded without error";
    EXPECT_NE(msg.find("b200.yaml"), std::string::npos) << msg;
    EXPECT_NE(msg.find(c.key), std::string::npos) << msg;
    EXPECT_NE(msg.find(c.phrase), std::string::npos) << msg;
  }
}

}  // namespace
