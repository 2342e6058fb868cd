#pragma once
// The scale-up fabric of a system as a Boost graph: devices and switches are vertices, each
// direction of a link bundle is an edge carrying a LinkSpec. Routes are shortest paths (by
// latency, then hops). Built from a SystemConfig:
//  - switched (HGX, DGX, NVL72): every device spreads its links over all switch chips; chips that
//    see the same devices are parallel planes and are merged into one logical switch whose port
//    to a device bundles all of that device's links (NVLink sprays traffic over its links);
//  - full_mesh (MI300X): one bundle per device pair, links / (devices - 1) lanes each;
//  - switched_optical (CloudMatrix 384): nodes of devices / switch.ports devices on a first-tier
//    (on-board) switch, whose uplinks reach a second tier of switch.count chips of switch.ports
//    ports (one per node); both tiers are merged over their planes;
//  - PCIe, when asked for or when the chip has no scale-up links: every device on one PCIe switch.
// Everything is held in the object: one process can build several fabrics.
#include <boost/graph/adjacency_list.hpp>
#include <string>
#include <vector>

#include "models/fabric/link.hpp"
#include "sim/config/system_config.hpp"

namespace xpusim::fabric {

struct FabricVertex {
  enum class Kind { kDevice, kSwitch };
  Kind kind = Kind::kDevice;
  std::string name;
  int device = -1;         // index of a device vertex
  int tier = 0;            // 0 for devices, 1 and 2 for switch tiers
  int physical_chips = 0;  // switch chips this logical switch stands for
  Picos latency = 0;       // one traversal of the switch
  bool reduction = false;  // reduces and multicasts in the network (NVLink SHARP)
};

struct FabricEdge {
  int link = -1;  // index into Fabric::link()
};

using FabricGraph = boost::adjacency_list<boost::vecS, boost::vecS, boost::bidirectionalS,
                                          FabricVertex, FabricEdge>;

struct FabricOptions {
  bool force_pcie = false;  // ignore the scale-up links, use the PCIe fallback
};

class Fabric {
 public:
  // Devices are vertices 0..devices-1.
  Fabric(std::string name, std::string topology, int devices);

  static Fabric build(const config::SystemConfig& system, const FabricOptions& options = {});

  // Construction (builders and tests); call finalize() before routing.
  int add_switch(const std::string& name, Picos latency, bool reduction, int physical_chips,
                 int tier);
  // A bundle in both directions between two vertices; returns the id of the a->b link (b->a is
  // the next id).
  int add_bundle(int a, int b, const LinkSpec& spec);
  void finalize();

  const std::string& name() const { return name_; }
  const std::string& topology() const { return topology_; }
  int devices() const { return devices_; }
  const FabricGraph& graph() const { return graph_; }
  const FabricVertex& vertex(int v) const { return graph_[static_cast<std::size_t>(v)]; }
  int vertex_count() const { return static_cast<int>(boost::num_vertices(graph_)); }
  std::size_t link_count() const { return links_.size(); }
  const LinkSpec& link(int id) const { return links_.at(static_cast<std::size_t>(id)); }
  int link_source(int id) const { return ends_.at(static_cast<std::size_t>(id)).first; }
  int link_target(int id) const { return ends_.at(static_cast<std::size_t>(id)).second; }
  // The link from vertex a to vertex b, or -1.
  int link_between(int a, int b) const;
  // Links from device src to device dst along the shortest path (empty when src == dst).
  const std::vector<int>& route(int src, int dst) const;
  // Latency of a route for a header: links, switches, first packets not counted.
  Picos route_latency(int src, int dst) const;
  // The switch every device reaches in one hop and that reduces in the network, or -1.
  int reduction_switch() const { return reduction_switch_; }
  // Raw per-direction bandwidth of one device's scale-up port (all its links).
  double device_bandwidth() const;
  // Human-readable lines: what was built and from which figures.
  const std::vector<std::string>& description() const { return description_; }
  void describe(std::string line) { description_.push_back(std::move(line)); }

 private:
  std::string name_, topology_;
  int devices_ = 0;
  FabricGraph graph_;
  std::vector<LinkSpec> links_;
  std::vector<std::pair<int, int>> ends_;
  std::vector<std::vector<int>> routes_;  // devices x devices
  int reduction_switch_ = -1;
  std::vector<std::string> description_;
  bool finalized_ = false;
};

// The link bundle a chip's scale-up port gives, `lanes` of its links.
LinkSpec scale_up_bundle(const config::ChipConfig& chip, int lanes, double lane_bandwidth,
                         Picos latency);

}  // namespace xpusim::fabric
