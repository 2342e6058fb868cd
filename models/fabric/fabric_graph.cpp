#include "models/fabric/fabric_graph.hpp"

#include <fmt/format.h>

#include <algorithm>
#include <boost/graph/dijkstra_shortest_paths.hpp>
#include <boost/property_map/function_property_map.hpp>
#include <cmath>
#include <limits>

#include "sim/common/error.hpp"

namespace xpusim::fabric {
namespace {

// A receive buffer covering two round trips at line rate: links are built not to be credit-bound
// at full speed (buffer sizes are not published; this is the usual design rule).
void size_credits(LinkSpec& spec) {
  const double rate = spec.server_rate();
  const double packet = spec.packet.payload + spec.packet.header;
  const double rtt = packet / rate + 2.0 * picos_to_seconds(spec.latency);
  spec.credit_bytes = static_cast<std::uint64_t>(std::ceil(2.0 * rtt * rate / packet) * packet);
}

std::string gbs(double bytes_per_s) {
  return fmt::format("{:.4g} GB/s", bytes_per_s / 1e9);
}
std::string us(Picos p) {
  return fmt::format("{:.3g} us", picos_to_seconds(p) * 1e6);
}

void build_switched(Fabric& f, const config::SystemConfig& sys) {
  const auto& chip = sys.chip;
  const auto& sw = sys.fabric_switch;
  const int n = sys.devices;
  const int links = chip.scale_up.links;
  if (links < sw.count)
    throw UserError(
        fmt::format("system {}: each of the {} switch chips needs a link from every "
                    "device, but {} has {} scale-up links",
                    sys.name, sw.count, chip.name, links));
  if (sw.ports > 0 && static_cast<long>(n) * links > static_cast<long>(sw.count) * sw.ports)
    throw UserError(
        fmt::format("system {}: {} devices x {} links need {} switch ports, {} chips "
                    "x {} ports give {}",
                    sys.name, n, links, n * links, sw.count, sw.ports, sw.count * sw.ports));
  const double lane_bw = std::min(chip.scale_up.link_bandwidth, sw.port_bandwidth);
  const Picos sw_lat = seconds_to_picos(sw.latency);
  const Picos hop = seconds_to_picos(std::max(0.0, chip.scale_up.latency - sw.latency) / 2);
  const int s = f.add_switch(sw.generation.empty() ? "switch" : sw.generation, sw_lat,
                             sw.in_network_reduction, sw.count, 1);
  for (int d = 0; d < n; ++d) f.add_bundle(d, s, scale_up_bundle(chip, links, lane_bw, hop));
  const int per_chip_lo = links / sw.count, per_chip_hi = (links + sw.count - 1) / sw.count;
  f.describe(fmt::format(
      "{} devices, each with {} {} links of {} per direction; {} {} switch chips ({} ports "
      "each, {} of {} used), {}-{} links from each device to each chip",
      n, links, chip.scale_up.technology, gbs(lane_bw), sw.count, sw.generation, sw.ports,
      n * links, sw.count * sw.ports, per_chip_lo, per_chip_hi));
  if (sw.generation == "nvswitch4" && sw.count % 2 == 0)
    f.describe(fmt::format("{} switch trays of 2 chips", sw.count / 2));
  f.describe(fmt::format(
      "the chips are parallel planes (each reaches every device): merged into one logical "
      "switch, {} per direction per device; link hop {}, switch {}{}",
      gbs(links * lane_bw), us(hop), us(sw_lat),
      sw.in_network_reduction ? ", in-network reduction (NVLS)" : ""));
}

void build_full_mesh(Fabric& f, const config::SystemConfig& sys) {
  const auto& chip = sys.chip;
  const int n = sys.devices;
  const int lanes = n > 1 ? chip.scale_up.links / (n - 1) : 0;
  if (n > 1 && lanes < 1)
    throw UserError(
        fmt::format("system {}: a full mesh of {} devices needs {} links per device, "
                    "{} has {}",
                    sys.name, n, n - 1, chip.name, chip.scale_up.links));
  const Picos hop = seconds_to_picos(chip.scale_up.latency);
  for (int a = 0; a < n; ++a)
    for (int b = a + 1; b < n; ++b)
      f.add_bundle(a, b, scale_up_bundle(chip, lanes, chip.scale_up.link_bandwidth, hop));
  f.describe(
      fmt::format("{} devices fully connected: {} {} link(s) of {} per direction per pair "
                  "({} links per device used of {}); hop {}",
                  n, lanes, chip.scale_up.technology, gbs(chip.scale_up.link_bandwidth),
                  lanes * (n - 1), chip.scale_up.links, us(hop)));
}

void build_two_tier(Fabric& f, const config::SystemConfig& sys) {
  const auto& chip = sys.chip;
  const auto& sw = sys.fabric_switch;
  const int n = sys.devices;
  if (sw.ports <= 0 || n % sw.ports != 0)
    throw UserError(
        fmt::format("system {}: switched_optical needs devices ({}) to be a multiple "
                    "of switch.ports ({}), one port per node on each top-tier chip",
                    sys.name, n, sw.ports));
  const int nodes = sw.ports;
  const int per_node = n / nodes;
  const double lane_bw = std::min(chip.scale_up.link_bandwidth, sw.port_bandwidth);
  const Picos sw_lat = seconds_to_picos(sw.latency);
  const Picos hop = seconds_to_picos(std::max(0.0, chip.scale_up.latency - sw.latency) / 2);
  const int uplinks = sw.count;  // each top-tier chip has one port to each node
  const int top = f.add_switch(sw.generation + "_l2", sw_lat, false, sw.count, 2);
  const double device_bw = chip.scale_up.links * lane_bw;
  for (int node = 0; node < nodes; ++node) {
    const int l1 =
        f.add_switch(fmt::format("{}_l1_node{}", sw.generation, node), sw_lat, false, 0, 1);
    for (int i = 0; i < per_node; ++i)
      f.add_bundle(node * per_node + i, l1,
                   scale_up_bundle(chip, chip.scale_up.links, lane_bw, hop));
    LinkSpec trunk = scale_up_bundle(chip, uplinks, lane_bw, hop);
    trunk.servers = std::max(1, static_cast<int>(std::lround(uplinks * lane_bw / device_bw)));
    size_credits(trunk);
    f.add_bundle(l1, top, trunk);
  }
  f.describe(fmt::format(
      "{} devices in {} nodes of {}; each device has {} {} links of {} per direction to its "
      "node's first-tier (on-board) switch planes, merged into one logical switch per node",
      n, nodes, per_node, chip.scale_up.links, chip.scale_up.technology, gbs(lane_bw)));
  f.describe(fmt::format(
      "each node has {} uplinks ({} per direction) to the {} second-tier {} chips ({} ports "
      "each), merged into one logical switch; uplink trunk carried as {} streams of {}",
      uplinks, gbs(uplinks * lane_bw), sw.count, sw.generation, sw.ports,
      std::max(1, static_cast<int>(std::lround(uplinks * lane_bw / device_bw))), gbs(device_bw)));
  f.describe(
      fmt::format("link hop {}, switch {} per tier; node-local traffic turns at the first "
                  "tier, node-to-node traffic crosses three switches",
                  us(hop), us(sw_lat)));
}

void build_pcie(Fabric& f, const config::SystemConfig& sys, const std::string& why) {
  const auto& chip = sys.chip;
  if (chip.pcie.bandwidth <= 0 || chip.pcie.lanes <= 0)
    throw UserError(fmt::format("system {}: chip {} has no PCIe figures for the fallback fabric",
                                sys.name, chip.name));
  // A PCIe switch traversal (~150 ns, Broadcom PEX class) and a device-to-device small-message
  // latency of ~1.5 us through it: estimates.
  const Picos sw_lat = 150 * kPicosPerNs;
  const Picos hop = 675 * kPicosPerNs;
  const int s =
      f.add_switch(fmt::format("pcie{}_switch", chip.pcie.generation), sw_lat, false, 1, 1);
  for (int d = 0; d < sys.devices; ++d) {
    LinkSpec spec;
    spec.technology = "pcie";
    spec.lanes = chip.pcie.lanes;
    spec.lane_bandwidth = chip.pcie.bandwidth / chip.pcie.lanes;
    spec.latency = hop;
    spec.packet = link_technology("pcie").packet;
    size_credits(spec);
    f.add_bundle(d, s, spec);
  }
  f.describe(
      fmt::format("PCIe fallback ({}): {} devices on one PCIe Gen{} x{} switch, {} per "
                  "direction per device; hop {} (estimate), switch {} (estimate)",
                  why, sys.devices, chip.pcie.generation, chip.pcie.lanes, gbs(chip.pcie.bandwidth),
                  us(hop), us(sw_lat)));
}

}  // namespace

LinkSpec scale_up_bundle(const config::ChipConfig& chip, int lanes, double lane_bandwidth,
                         Picos latency) {
  const LinkTechnology tech = link_technology(chip.scale_up.technology);
  LinkSpec s;
  s.technology = chip.scale_up.technology;
  s.lanes = lanes;
  s.lane_bandwidth = lane_bandwidth;
  s.latency = latency;
  s.packet = tech.packet;
  if (tech.credit_bytes_per_lane > 0)
    s.credit_bytes = tech.credit_bytes_per_lane * static_cast<std::uint64_t>(lanes);
  else
    size_credits(s);
  return s;
}

Fabric::Fabric(std::string name, std::string topology, int devices)
    : name_(std::move(name)), topology_(std::move(topology)), devices_(devices) {
  if (devices < 1) throw UserError("a fabric needs at least one device");
  for (int d = 0; d < devices; ++d) {
    FabricVertex v;
    v.kind = FabricVertex::Kind::kDevice;
    v.name = fmt::format("dev{}", d);
    v.device = d;
    graph_[boost::add_vertex(graph_)] = v;
  }
}

int Fabric::add_switch(const std::string& name, Picos latency, bool reduction, int physical_chips,
                       int tier) {
  FabricVertex v;
  v.kind = FabricVertex::Kind::kSwitch;
  v.name = name;
  v.latency = latency;
  v.reduction = reduction;
  v.physical_chips = physical_chips;
  v.tier = tier;
  // add_vertex(graph) then the bundle: add_vertex(bundle, graph) goes through Boost's named-graph
  // lookup, which GCC 12 flags as uninitialised under -fsanitize.
  const auto id = boost::add_vertex(graph_);
  graph_[id] = v;
  return static_cast<int>(id);
}

int Fabric::add_bundle(int a, int b, const LinkSpec& spec) {
  if (spec.lanes < 1 || spec.lane_bandwidth <= 0 || spec.servers < 1)
    throw UserError(
        fmt::format("fabric {}: link {}-{} needs lanes, bandwidth and servers > 0", name_, a, b));
  const int id = static_cast<int>(links_.size());
  for (auto [from, to] : {std::pair{a, b}, std::pair{b, a}}) {
    FabricEdge e;
    e.link = static_cast<int>(links_.size());
    boost::add_edge(static_cast<std::size_t>(from), static_cast<std::size_t>(to), e, graph_);
    links_.push_back(spec);
    ends_.emplace_back(from, to);
  }
  finalized_ = false;
  return id;
}

int Fabric::link_between(int a, int b) const {
  auto [e, found] = boost::edge(static_cast<std::size_t>(a), static_cast<std::size_t>(b), graph_);
  return found ? graph_[e].link : -1;
}

void Fabric::finalize() {
  const std::size_t nv = boost::num_vertices(graph_);
  routes_.assign(static_cast<std::size_t>(devices_) * devices_, {});
  // Weight: latency in ps, plus one per hop so that equal latencies prefer fewer hops; switches
  // add their traversal on the way out of them.
  std::vector<double> weight(links_.size());
  for (std::size_t i = 0; i < links_.size(); ++i) {
    const int from = ends_[i].first;
    weight[i] = static_cast<double>(links_[i].latency) + 1.0 +
                static_cast<double>(graph_[static_cast<std::size_t>(from)].latency);
  }
  auto weight_map = boost::make_function_property_map<FabricGraph::edge_descriptor, double>(
      [&](FabricGraph::edge_descriptor e) { return weight[graph_[e].link]; });
  std::vector<std::size_t> pred(nv);
  std::vector<double> dist(nv);
  for (int src = 0; src < devices_; ++src) {
    boost::dijkstra_shortest_paths(graph_, static_cast<std::size_t>(src),
                                   boost::weight_map(weight_map)
                                       .predecessor_map(boost::make_iterator_property_map(
                                           pred.begin(), boost::get(boost::vertex_index, graph_)))
                                       .distance_map(boost::make_iterator_property_map(
                                           dist.begin(), boost::get(boost::vertex_index, graph_))));
    for (int dst = 0; dst < devices_; ++dst) {
      if (dst == src) continue;
      if (pred[static_cast<std::size_t>(dst)] == static_cast<std::size_t>(dst))
        throw UserError(fmt::format("fabric {}: no path from device {} to {}", name_, src, dst));
      std::vector<int> path;
      for (std::size_t v = static_cast<std::size_t>(dst); v != static_cast<std::size_t>(src);
           v = pred[v])
        path.push_back(link_between(static_cast<int>(pred[v]), static_cast<int>(v)));
      std::reverse(path.begin(), path.end());
      routes_[static_cast<std::size_t>(src) * devices_ + dst] = std::move(path);
    }
  }
  reduction_switch_ = -1;
  for (std::size_t v = 0; v < nv; ++v) {
    if (!graph_[v].reduction) continue;
    bool all = true;
    for (int d = 0; d < devices_ && all; ++d) all = link_between(d, static_cast<int>(v)) >= 0;
    if (all) reduction_switch_ = static_cast<int>(v);
  }
  finalized_ = true;
}

const std::vector<int>& Fabric::route(int src, int dst) const {
  if (!finalized_) throw std::logic_error("Fabric::route before finalize()");
  return routes_.at(static_cast<std::size_t>(src) * devices_ + dst);
}

Picos Fabric::route_latency(int src, int dst) const {
  Picos t = 0;
  const auto& r = route(src, dst);
  for (std::size_t i = 0; i < r.size(); ++i) {
    t += link(r[i]).latency;
    if (i > 0) t += vertex(link_source(r[i])).latency;
  }
  return t;
}

double Fabric::device_bandwidth() const {
  double bw = 0;
  for (std::size_t i = 0; i < links_.size(); ++i)
    if (ends_[i].first == 0) bw += links_[i].raw_bandwidth();
  return bw;
}

Fabric Fabric::build(const config::SystemConfig& sys, const FabricOptions& options) {
  Fabric f(sys.name, sys.topology, sys.devices);
  const bool has_links = sys.chip.scale_up.links > 0 && sys.chip.scale_up.link_bandwidth > 0;
  if (options.force_pcie || !has_links || sys.devices == 1) {
    f.topology_ = "pcie";
    build_pcie(f, sys,
               options.force_pcie ? "asked for"
               : !has_links       ? "the chip has no scale-up links"
                                  : "a single device");
  } else if (sys.topology == "switched") {
    build_switched(f, sys);
  } else if (sys.topology == "full_mesh") {
    build_full_mesh(f, sys);
  } else if (sys.topology == "switched_optical") {
    build_two_tier(f, sys);
  } else {
    throw UserError(
        fmt::format("system {}: topology '{}' is not modelled", sys.name, sys.topology));
  }
  f.finalize();
  return f;
}

}  // namespace xpusim::fabric
