// Links and the SystemC network: single transfers against hand computations, credits,
// back-pressure through a switch, NVLS switch operations, determinism.
#include <gtest/gtest.h>

#include <functional>
#include <map>
#include <systemc>

#include "models/fabric/fabric_graph.hpp"
#include "models/fabric/network.hpp"
#include "models/platform/sim_context.hpp"

namespace xpusim::fabric {
namespace {

constexpr Picos kNs = kPicosPerNs;

LinkSpec plain_link(int lanes, double lane_bw, Picos latency, std::uint64_t credits = 0) {
  LinkSpec s;
  s.technology = "test";
  s.lanes = lanes;
  s.lane_bandwidth = lane_bw;
  s.latency = latency;
  s.packet = PacketFormat{128, 16, 64, 16, 1.0};
  s.credit_bytes = credits;
  return s;
}

struct Recorder : MessageSink {
  std::map<std::uint64_t, Picos> at;
  void message_done(std::uint64_t tag, Picos t) override { at[tag] = t; }
};

// Issues network operations at given times from a SystemC thread.
class Driver : public sc_core::sc_module {
 public:
  SC_HAS_PROCESS(Driver);
  struct Item {
    Picos at;
    std::function<void()> action;
  };
  Driver(sc_core::sc_module_name n, std::vector<Item> items)
      : sc_core::sc_module(n), items_(std::move(items)) {
    SC_THREAD(run);
  }

 private:
  void run() {
    Picos now = 0;
    for (auto& it : items_) {
      if (it.at > now)
        sc_core::wait(sc_core::sc_time(static_cast<double>(it.at - now), sc_core::SC_PS));
      now = it.at;
      it.action();
    }
  }
  std::vector<Item> items_;
};

// Runs `items` on a fresh network over `fabric`; returns arrival times by tag.
std::map<std::uint64_t, Picos> run(
    const Fabric& fabric, const std::function<std::vector<Driver::Item>(Network&, Recorder&)>& make,
    Picos memory_latency = 0) {
  platform::SimContext ctx;
  Recorder rec;
  Network net(fabric, memory_latency);
  Driver drv("driver", make(net, rec));
  sc_core::sc_start();
  return rec.at;
}

TEST(LinkMath, WireBytesAndPackets) {
  const PacketFormat f{128, 16, 64, 16, 1.0};
  EXPECT_EQ(packet_count(1000, f, PacketKind::kWrite), 8u);
  EXPECT_EQ(wire_bytes(1000, f, PacketKind::kWrite), 1000u + 8 * 16);
  EXPECT_EQ(wire_bytes(1024, f, PacketKind::kReadResponse), 1024u + 16 * 16);
  EXPECT_EQ(wire_bytes(1024, f, PacketKind::kReadRequest), 16u * 16);  // one per 64 B read
  // 2 lanes x 10 GB/s: 1128 wire bytes take 56.4 ns.
  const LinkSpec l = plain_link(2, 10e9, 500 * kNs);
  EXPECT_EQ(serialization_time(l, 1000, PacketKind::kWrite), 56400u);
  EXPECT_EQ(transfer_time(l, 1000, PacketKind::kWrite), 56400u + 500 * kNs);
  EXPECT_NEAR(effective_data_rate(l, PacketKind::kWrite), 20e9 * 128 / 144, 1);
}

TEST(LinkMath, CreditsBoundTheRate) {
  // 1 lane, 10 GB/s, 1 us one way: a round trip holds 20 KB; 8 packets of credit (1152 B) do not.
  const LinkSpec free = plain_link(1, 10e9, 1000 * kNs);
  const LinkSpec tight = plain_link(1, 10e9, 1000 * kNs, 8 * 144);
  const std::uint64_t bytes = 64 * 128;                                     // 64 packets
  EXPECT_EQ(serialization_time(free, bytes, PacketKind::kWrite), 921600u);  // 9216 B / 10 GB/s
  // Windows of 8 packets, one per round trip (14.4 ns + 2 us): 7 full waits, then 8 packets.
  const Picos rtt = 14400 + 2000 * kNs;
  EXPECT_EQ(serialization_time(tight, bytes, PacketKind::kWrite), 7 * rtt + 8 * 14400);
  EXPECT_NEAR(effective_data_rate(tight, PacketKind::kWrite), 8 * 128 / (rtt * 1e-12), 1e3);
  // No more packets than credits: no wait.
  EXPECT_EQ(serialization_time(tight, 8 * 128, PacketKind::kWrite),
            serialization_time(free, 8 * 128, PacketKind::kWrite));
}

TEST(Network, SingleTransferMatchesHandComputation) {
  Fabric f("pair", "test", 2);
  f.add_bundle(0, 1, plain_link(2, 10e9, 500 * kNs));
  f.finalize();
  const std::uint64_t bytes = 1 << 20;
  auto at = run(f, [&](Network& net, Recorder& rec) {
    return std::vector<Driver::Item>{
        {0, [&net, &rec, bytes] { net.send(0, 1, bytes, 0, &rec, 1); }},
        {10 * kPicosPerUs, [&net, &rec, bytes] { net.send(1, 0, bytes, 0, &rec, 2); }}};
  });
  // 1 MiB in 8192 packets of 128 B + 16 B: 1179648 wire bytes at 20 GB/s = 58982.4 ns.
  EXPECT_EQ(at.at(1), 58982400u + 500 * kNs);
  EXPECT_EQ(at.at(2), 10 * kPicosPerUs + 58982400u + 500 * kNs);
}

TEST(Network, CutThroughASwitch) {
  Fabric f("star", "test", 2);
  const int sw = f.add_switch("sw", 300 * kNs, false, 1, 1);
  f.add_bundle(0, sw, plain_link(4, 25e9, 350 * kNs));
  f.add_bundle(1, sw, plain_link(4, 25e9, 350 * kNs));
  f.finalize();
  const std::uint64_t bytes = 1 << 20;
  auto at = run(f, [&](Network& net, Recorder& rec) {
    return std::vector<Driver::Item>{{0, [&] { net.send(0, 1, bytes, 0, &rec, 1); }}};
  });
  const Picos ser = serialization_time(f.link(0), bytes, PacketKind::kWrite);
  const Picos first = first_packet_time(f.link(0), bytes, PacketKind::kWrite);
  // The switch forwards the head after the first packet and its latency; the tail follows it.
  EXPECT_EQ(at.at(1), first + 350 * kNs + 300 * kNs + ser + 350 * kNs);
  EXPECT_LT(at.at(1), 2 * ser);  // not store-and-forward
}

TEST(Network, MorePacketsThanCreditsTakeLonger) {
  auto arrival = [](std::uint64_t credits, std::uint64_t bytes) {
    Fabric f("pair", "test", 2);
    f.add_bundle(0, 1, plain_link(1, 10e9, 1000 * kNs, credits));
    f.finalize();
    auto at = run(f, [&](Network& net, Recorder& rec) {
      return std::vector<Driver::Item>{
          {0, [&net, &rec, bytes] { net.send(0, 1, bytes, 0, &rec, 1); }}};
    });
    return at.at(1);
  };
  const std::uint64_t credits = 8 * 144;
  // Within the credits: as fast as an unlimited link.
  EXPECT_EQ(arrival(credits, 8 * 128), arrival(0, 8 * 128));
  // 64 packets through 8 credits: a round trip per window.
  EXPECT_GT(arrival(credits, 64 * 128), 5 * arrival(0, 64 * 128));
}

TEST(Network, BackPressureHoldsTheUpstreamLink) {
  // A, then B, send 1 MiB to D through one switch; then B sends 64 KiB to the idle E. With a
  // small switch buffer B's link is held until D's link has drained A's message and most of B's
  // (head-of-line blocking); with a buffer as large as the message, B's link frees at once.
  auto b_to_e = [](std::uint64_t credits) {
    Fabric f("star", "test", 4);
    const int sw = f.add_switch("sw", 100 * kNs, false, 1, 1);
    for (int d = 0; d < 4; ++d) f.add_bundle(d, sw, plain_link(1, 10e9, 100 * kNs, credits));
    f.finalize();
    const std::uint64_t big = 1 << 20;
    auto at = run(f, [&](Network& net, Recorder& rec) {
      return std::vector<Driver::Item>{
          {0, [&net, &rec, big] { net.send(0, 2, big, 0, &rec, 1); }},  // A -> D first
          {kPicosPerUs, [&net, &rec, big] {
             net.send(1, 2, big, 0, &rec, 2);    // B -> D waits for D's link
             net.send(1, 3, 65536, 0, &rec, 3);  // B -> E behind it on B's link
           }}};
    });
    return at;
  };
  const auto small = b_to_e(64 * 1024);
  const auto large = b_to_e(4 << 20);
  const Picos ser = serialization_time(plain_link(1, 10e9, 0), 1 << 20, PacketKind::kWrite);
  // D receives both messages one after the other either way.
  EXPECT_GT(small.at(2), 2 * ser);
  EXPECT_GT(large.at(2), 2 * ser);
  // B -> E waits behind B's blocked message only when the buffer is small.
  EXPECT_GT(small.at(3), small.at(1) + ser / 2);
  EXPECT_LT(large.at(3), ser + ser / 5);
}

TEST(Network, NvlsMulticastAndLoadReduce) {
  Fabric f("nvls", "test", 3);
  const int sw = f.add_switch("sw", 300 * kNs, true, 1, 1);
  for (int d = 0; d < 3; ++d) f.add_bundle(d, sw, plain_link(4, 25e9, 350 * kNs));
  f.finalize();
  ASSERT_EQ(f.reduction_switch(), sw);
  const std::uint64_t bytes = 256 * 1024;
  auto at = run(
      f,
      [&](Network& net, Recorder& rec) {
        return std::vector<Driver::Item>{
            {0, [&net, &rec, sw, bytes] { net.multicast(0, sw, bytes, 0, &rec, 1); }},
            {100 * kPicosPerUs,
             [&net, &rec, sw, bytes] { net.switch_reduce(1, sw, bytes, 0, &rec, 2); }}};
      },
      500 * kNs);
  const LinkSpec& l = f.link(0);
  const Picos ser = serialization_time(l, bytes, PacketKind::kWrite);
  const Picos first = first_packet_time(l, bytes, PacketKind::kWrite);
  // Multicast: in through one link, out through three in parallel, cut-through.
  EXPECT_EQ(at.at(1), first + 350 * kNs + 300 * kNs + ser + 350 * kNs);
  // Load-reduce: request, fan-out, memory, responses, reduction, result, all cut-through: the
  // round trip plus one response's serialisation (the three responses share no link), plus the
  // first packets' times.
  const Picos rtt = 4 * 350 * kNs + 2 * 300 * kNs + 500 * kNs;
  const Picos resp = serialization_time(l, bytes, PacketKind::kReadResponse);
  const Picos took = at.at(2) - 100 * kPicosPerUs;
  EXPECT_GE(took, rtt + resp);
  EXPECT_LE(took, rtt + resp + 20 * kNs);
}

TEST(Network, Deterministic) {
  Fabric f("star", "test", 4);
  const int sw = f.add_switch("sw", 100 * kNs, false, 1, 1);
  for (int d = 0; d < 4; ++d) f.add_bundle(d, sw, plain_link(2, 10e9, 100 * kNs, 32 * 1024));
  f.finalize();
  auto make = [&](Network& net, Recorder& rec) {
    std::vector<Driver::Item> items;
    for (int i = 0; i < 40; ++i)
      items.push_back({static_cast<Picos>(i) * 700 * kNs, [&net, &rec, i] {
                         net.send(i % 4, (i * 3 + 1) % 4 == i % 4 ? (i + 1) % 4 : (i * 3 + 1) % 4,
                                  static_cast<std::uint64_t>(4096 + 9000 * i), 0, &rec,
                                  static_cast<std::uint64_t>(i));
                       }});
    return items;
  };
  const auto a = run(f, make);
  const auto b = run(f, make);
  EXPECT_EQ(a, b);
  EXPECT_EQ(a.size(), 40u);
}

}  // namespace
}  // namespace xpusim::fabric
