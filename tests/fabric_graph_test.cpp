// The fabric graph built from each system config: vertices, bundles, routes, bandwidths.
#include <gtest/gtest.h>

#include "models/fabric/fabric_graph.hpp"
#include "sim/common/error.hpp"
#include "test_support.hpp"

namespace xpusim::fabric {
namespace {

config::SystemConfig system(const std::string& name, const std::vector<std::string>& sets = {},
                            const std::vector<std::string>& chip_sets = {}) {
  return config::load_system(name, testing::config_dir(), sets, chip_sets);
}

TEST(FabricGraph, HgxH100IsEightGpusOnOneLogicalNvSwitch) {
  const Fabric f = Fabric::build(system("hgx_h100_8x"));
  EXPECT_EQ(f.devices(), 8);
  EXPECT_EQ(f.vertex_count(), 9);
  EXPECT_EQ(f.link_count(), 16u);
  EXPECT_DOUBLE_EQ(f.device_bandwidth(), 18 * 25e9);
  const int sw = f.reduction_switch();
  ASSERT_EQ(sw, 8);
  EXPECT_EQ(f.vertex(sw).physical_chips, 4);
  EXPECT_EQ(f.route(0, 5).size(), 2u);
  // scale_up.latency (1 us) is device to device: two hops and the switch (0.3 us).
  EXPECT_EQ(f.route_latency(0, 5), kPicosPerUs);
  EXPECT_EQ(f.link(f.route(0, 5)[0]).lanes, 18);
}

TEST(FabricGraph, H800HasFewerLinksThanH100) {
  const Fabric h100 = Fabric::build(system("hgx_h100_8x"));
  const Fabric h800 = Fabric::build(system("hgx_h800_8x"));
  EXPECT_DOUBLE_EQ(h800.device_bandwidth(), 8 * 25e9);
  EXPECT_LT(h800.device_bandwidth(), h100.device_bandwidth());
}

TEST(FabricGraph, Nvl72IsOneSwitchDomain) {
  const Fabric f = Fabric::build(system("gb200_nvl72"));
  EXPECT_EQ(f.devices(), 72);
  EXPECT_GE(f.reduction_switch(), 0);
  EXPECT_EQ(f.vertex(f.reduction_switch()).physical_chips, 18);
  EXPECT_DOUBLE_EQ(f.device_bandwidth(), 18 * 50e9);
  EXPECT_EQ(f.route(0, 71).size(), 2u);
}

TEST(FabricGraph, Mi300xIsAFullMesh) {
  const Fabric f = Fabric::build(system("mi300x_8x"));
  EXPECT_EQ(f.vertex_count(), 8);
  EXPECT_EQ(f.link_count(), 56u);  // 28 pairs, both directions
  EXPECT_EQ(f.route(2, 6).size(), 1u);
  EXPECT_LT(f.reduction_switch(), 0);
  EXPECT_DOUBLE_EQ(f.device_bandwidth(), 7 * 64e9);
}

TEST(FabricGraph, CloudMatrixHasTwoSwitchTiers) {
  const Fabric f = Fabric::build(system("cloudmatrix384"));
  EXPECT_EQ(f.devices(), 384);
  EXPECT_EQ(f.vertex_count(), 384 + 48 + 1);
  EXPECT_EQ(f.route(0, 7).size(), 2u);  // same node: turns at the first tier
  EXPECT_EQ(f.route(0, 8).size(), 4u);  // next node: up to the second tier and down
  EXPECT_EQ(f.route(5, 383).size(), 4u);
  const int uplink = f.route(0, 8)[1];
  EXPECT_EQ(f.link(uplink).lanes, 112);
  EXPECT_EQ(f.link(uplink).servers, 8);
  EXPECT_LT(f.reduction_switch(), 0);
}

TEST(FabricGraph, PcieFallback) {
  fabric::FabricOptions o;
  o.force_pcie = true;
  const Fabric f = Fabric::build(system("hgx_h100_8x"), o);
  EXPECT_EQ(f.topology(), "pcie");
  EXPECT_DOUBLE_EQ(f.device_bandwidth(), 64e9);
  EXPECT_LT(f.reduction_switch(), 0);
  // A chip without scale-up links falls back by itself.
  const Fabric g = Fabric::build(system("hgx_h100_8x", {}, {"scale_up.links=0"}));
  EXPECT_EQ(g.topology(), "pcie");
}

TEST(FabricGraph, EveryRouteIsShortestAndConnected) {
  for (const char* name : {"hgx_h100_8x", "hgx_h800_8x", "hgx_h20_8x", "hgx_h200_8x", "dgx_a100_8x",
                           "gb200_nvl72", "mi300x_8x", "cloudmatrix384"}) {
    const Fabric f = Fabric::build(system(name));
    for (int a = 0; a < f.devices(); a += std::max(1, f.devices() / 16))
      for (int b = 0; b < f.devices(); ++b) {
        if (a == b) continue;
        const auto& r = f.route(a, b);
        ASSERT_FALSE(r.empty()) << name;
        EXPECT_EQ(f.link_source(r.front()), a) << name;
        EXPECT_EQ(f.link_target(r.back()), b) << name;
        for (std::size_t i = 1; i < r.size(); ++i)
          EXPECT_EQ(f.link_target(r[i - 1]), f.link_source(r[i])) << name;
      }
  }
}

TEST(FabricGraph, BadTopologiesAreRejected) {
  // A full mesh of 8 needs 7 links per device.
  EXPECT_THROW(Fabric::build(system("mi300x_8x", {}, {"scale_up.links=3"})), UserError);
  // 8 x 18 links do not fit 4 switches of 16 ports.
  EXPECT_THROW(Fabric::build(system("hgx_h100_8x", {"switch.ports=16"})), UserError);
  // CloudMatrix nodes: devices must split evenly over the top tier's ports.
  EXPECT_THROW(Fabric::build(system("cloudmatrix384", {"switch.ports=50"})), UserError);
}

TEST(FabricGraph, SeveralFabricsInOneProcess) {
  const Fabric a = Fabric::build(system("hgx_h100_8x"));
  const Fabric b = Fabric::build(system("mi300x_8x"));
  const Fabric c = Fabric::build(system("hgx_h100_8x"));
  EXPECT_EQ(a.link_count(), c.link_count());
  EXPECT_NE(a.link_count(), b.link_count());
}

}  // namespace
}  // namespace xpusim::fabric
