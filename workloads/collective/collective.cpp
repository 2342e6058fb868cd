#include "workloads/collective/collective.hpp"

#include <fmt/format.h>

#include <algorithm>
#include <chrono>
#include <cmath>
#include <functional>
#include <limits>
#include <numeric>
#include <systemc>

#include "models/fabric/collective_engine.hpp"
#include "models/fabric/network.hpp"
#include "models/platform/sim_context.hpp"
#include "sim/common/error.hpp"

namespace xpusim::collective {
namespace {

std::string lower(std::string s) {
  for (char& c : s) c = static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
  return s;
}

// One channel per ~20 GB/s of a device's link bandwidth: a channel is one SM block running NCCL's
// copy loop, which moves in the order of 20 GB/s (estimate); NCCL uses at most 32 (MAXCHANNELS).
int channels_for(double device_bandwidth) {
  return std::clamp(static_cast<int>(std::ceil(device_bandwidth / 20e9)), 2, 32);
}

// NVLS stage costs (see docs/fabric.md): the per-collective setup NCCL's own tuner charges NVLS
// on NVLink (tuning.cc hwLat, 25 us) less what the model simulates explicitly, and the
// cross-rank barrier between stages.
constexpr Picos kNvlsSetup = 25 * kPicosPerUs;
constexpr Picos kNvlsSync = 1500 * kPicosPerNs;
// Share of peak memory bandwidth NCCL's reduction and copy loops reach (estimate: BabelStream-like
// kernels reach 85-90% of peak on HBM3).
constexpr double kMemoryEfficiency = 0.85;
// NVLS multimem loads in flight per device: NCCL's NVLS kernel gives the load-reduce 5 warps per
// channel (all_reduce.h, nranks > 6), each thread loads 16 B vectors; 2 loads in flight per
// thread is an estimate. 16 channels x 5 x 32 x 16 B x 2 = 80 KB.
constexpr std::uint64_t kNvlsLoadBytesPerChannel = 5 * 32 * 16 * 2;

// Edge-disjoint Hamiltonian cycles of the complete graph on n vertices, found by depth-first
// search (the first cycle in lexicographic order on the edges still free, repeatedly); each is
// used in both directions. K8 gives 3 cycles, so 6 rings over 6 of each GPU's 7 links (the rest,
// a perfect matching, carries no ring).
std::vector<std::vector<int>> mesh_rings(int n) {
  std::vector<std::vector<char>> used(static_cast<std::size_t>(n),
                                      std::vector<char>(static_cast<std::size_t>(n), 0));
  std::vector<std::vector<int>> rings;
  std::vector<int> path{0};
  std::vector<char> on(static_cast<std::size_t>(n), 0);
  std::uint64_t budget = 2000000;  // search steps; n is small (a board)
  std::function<bool()> extend = [&]() -> bool {
    if (budget-- == 0) return false;
    const int v = path.back();
    if (static_cast<int>(path.size()) == n) return !used[static_cast<std::size_t>(v)][0];
    for (int w = 1; w < n; ++w) {
      if (on[static_cast<std::size_t>(w)] ||
          used[static_cast<std::size_t>(v)][static_cast<std::size_t>(w)])
        continue;
      on[static_cast<std::size_t>(w)] = 1;
      path.push_back(w);
      if (extend()) return true;
      path.pop_back();
      on[static_cast<std::size_t>(w)] = 0;
    }
    return false;
  };
  while (true) {
    path.assign(1, 0);
    std::fill(on.begin(), on.end(), 0);
    on[0] = 1;
    if (!extend()) break;
    for (int i = 0; i < n; ++i) {
      const auto a = static_cast<std::size_t>(path[static_cast<std::size_t>(i)]);
      const auto b = static_cast<std::size_t>(path[static_cast<std::size_t>((i + 1) % n)]);
      used[a][b] = used[b][a] = 1;
    }
    rings.push_back(path);
    rings.emplace_back(path.rbegin(), path.rend() - 1);
    rings.back().insert(rings.back().begin(), 0);
  }
  return rings;
}

}  // namespace

CollectiveOp parse_op(const std::string& text) {
  const std::string t = lower(text);
  if (t == "allreduce" || t == "all_reduce") return CollectiveOp::kAllReduce;
  if (t == "allgather" || t == "all_gather") return CollectiveOp::kAllGather;
  if (t == "reducescatter" || t == "reduce_scatter") return CollectiveOp::kReduceScatter;
  if (t == "alltoall" || t == "all_to_all") return CollectiveOp::kAllToAll;
  if (t == "sendrecv" || t == "send_recv") return CollectiveOp::kSendRecv;
  throw UserError(fmt::format(
      "--op {}: unknown operation (allreduce, allgather, reducescatter, alltoall, sendrecv)",
      text));
}

Algorithm parse_algorithm(const std::string& text) {
  const std::string t = lower(text);
  if (t == "auto") return Algorithm::kAuto;
  if (t == "ring") return Algorithm::kRing;
  if (t == "tree") return Algorithm::kTree;
  if (t == "nvls") return Algorithm::kNvls;
  if (t == "direct") return Algorithm::kDirect;
  throw UserError(
      fmt::format("--algo {}: unknown algorithm (ring, tree, nvls, direct, auto)", text));
}

Protocol parse_protocol(const std::string& text) {
  const std::string t = lower(text);
  if (t == "auto") return Protocol::kAuto;
  if (t == "ll") return Protocol::kLL;
  if (t == "ll128") return Protocol::kLL128;
  if (t == "simple") return Protocol::kSimple;
  throw UserError(fmt::format("--proto {}: unknown protocol (ll, ll128, simple, auto)", text));
}

std::uint64_t parse_bytes(const std::string& text) {
  std::size_t i = 0;
  while (i < text.size() && std::isdigit(static_cast<unsigned char>(text[i]))) ++i;
  if (i == 0)
    throw UserError(
        fmt::format("size '{}': give a whole number of bytes with an optional K, M, "
                    "G or T suffix (binary multiples), e.g. 1K or 8G",
                    text));
  std::uint64_t value = 0;
  for (std::size_t k = 0; k < i; ++k) {
    if (value > (std::numeric_limits<std::uint64_t>::max() - 9) / 10)
      throw UserError(fmt::format("size '{}' is too large", text));
    value = value * 10 + static_cast<std::uint64_t>(text[k] - '0');
  }
  std::string suffix = lower(text.substr(i));
  if (suffix.size() > 1 && suffix.back() == 'b') suffix.pop_back();
  if (suffix.size() > 1 && suffix.back() == 'i') suffix.pop_back();
  int shift = 0;
  if (suffix.empty() || suffix == "b")
    shift = 0;
  else if (suffix == "k")
    shift = 10;
  else if (suffix == "m")
    shift = 20;
  else if (suffix == "g")
    shift = 30;
  else if (suffix == "t")
    shift = 40;
  else
    throw UserError(
        fmt::format("size '{}': unknown suffix '{}' (K, M, G, T)", text, text.substr(i)));
  if (shift > 0 && value > (std::numeric_limits<std::uint64_t>::max() >> shift))
    throw UserError(fmt::format("size '{}' is too large", text));
  value <<= shift;
  if (value == 0) throw UserError(fmt::format("size '{}': bytes must be positive", text));
  return value;
}

std::vector<std::uint64_t> parse_byte_range(const std::string& text) {
  const auto dots = text.find("..");
  if (dots == std::string::npos) return {parse_bytes(text)};
  const std::string lo_text = text.substr(0, dots), hi_text = text.substr(dots + 2);
  if (lo_text.empty() || hi_text.empty() || hi_text.find("..") != std::string::npos)
    throw UserError(fmt::format("--bytes {}: give a size (1M) or a range LO..HI (1K..8G)", text));
  const std::uint64_t lo = parse_bytes(lo_text), hi = parse_bytes(hi_text);
  if (lo > hi) throw UserError(fmt::format("--bytes {}: the range's start is above its end", text));
  std::vector<std::uint64_t> sizes;
  for (std::uint64_t s = lo; s <= hi; s *= 2) {
    sizes.push_back(s);
    if (s > hi / 2) break;
  }
  return sizes;
}

std::string format_bytes(std::uint64_t b) {
  const char* units[] = {"B", "K", "M", "G", "T"};
  int u = 0;
  while (u < 4 && b >= 1024 && b % 1024 == 0) b /= 1024, ++u;
  return fmt::format("{}{}", b, u == 0 ? "" : units[u]);
}

double bus_factor(CollectiveOp op, int n) {
  if (n < 2) return 0;
  switch (op) {
    case CollectiveOp::kAllReduce:
      return 2.0 * (n - 1) / n;
    case CollectiveOp::kAllGather:
    case CollectiveOp::kReduceScatter:
    case CollectiveOp::kAllToAll:
      return static_cast<double>(n - 1) / n;
    case CollectiveOp::kSendRecv:
      return 1.0;
  }
  return 1.0;
}

CollectiveModel build_model(const config::SystemConfig& system, bool force_pcie) {
  fabric::FabricOptions fo;
  fo.force_pcie = force_pcie;
  CollectiveModel m{fabric::Fabric::build(system, fo), {}, 0, 0, 0, {}};
  const auto& chip = system.chip;
  AlgoParams& p = m.params;
  p.devices = system.devices;
  p.protocol = Protocol::kAuto;
  p.channels = channels_for(m.fabric.device_bandwidth());
  p.launch = seconds_to_picos(chip.launch_overhead);
  p.flag_latency = system.devices > 1 ? m.fabric.route_latency(0, 1) : 0;
  p.nvls_setup = kNvlsSetup;
  p.nvls_sync = kNvlsSync;
  if (m.fabric.topology() == "full_mesh" && system.devices > 2)
    p.rings = mesh_rings(system.devices);
  m.load_window = static_cast<std::uint64_t>(p.nvls_channels) * kNvlsLoadBytesPerChannel;
  const double mem_bw = chip.datasheet.memory_bandwidth > 0 ? chip.datasheet.memory_bandwidth
                                                            : chip.memory.peak_bandwidth();
  m.memory_rate = mem_bw * kMemoryEfficiency;
  m.memory_latency =
      seconds_to_picos(chip.memory.access_latency > 0 ? chip.memory.access_latency : 500e-9);
  m.notes = m.fabric.description();
  m.notes.push_back(fmt::format(
      "{} ring/tree channels, {} ring(s); launch {:.3g} us; reduction and copy kernels at {:.4g} "
      "GB/s ({}% of {:.4g} GB/s)",
      p.channels, std::max<std::size_t>(1, p.rings.size()), chip.launch_overhead * 1e6,
      m.memory_rate / 1e9, static_cast<int>(kMemoryEfficiency * 100), mem_bw / 1e9));
  return m;
}

std::vector<Algorithm> algorithms_for(const CollectiveModel& m, CollectiveOp op) {
  std::vector<Algorithm> a;
  switch (op) {
    case CollectiveOp::kAllReduce:
      a = {Algorithm::kRing, Algorithm::kTree};
      if (m.fabric.reduction_switch() >= 0) a.push_back(Algorithm::kNvls);
      a.push_back(Algorithm::kDirect);
      break;
    case CollectiveOp::kAllGather:
    case CollectiveOp::kReduceScatter:
      a = {Algorithm::kRing};
      if (m.fabric.reduction_switch() >= 0) a.push_back(Algorithm::kNvls);
      a.push_back(Algorithm::kDirect);
      break;
    case CollectiveOp::kAllToAll:
    case CollectiveOp::kSendRecv:
      a = {Algorithm::kDirect};
      break;
  }
  return a;
}

double estimate_time(const CollectiveModel& m, CollectiveOp op, std::uint64_t bytes, Algorithm algo,
                     Protocol proto) {
  const AlgoParams& p = m.params;
  const int n = p.devices;
  const double S = static_cast<double>(bytes);
  const fabric::Fabric& f = m.fabric;
  const ProtocolSpec& ps = protocol_spec(proto);
  // Bandwidth a rank's traffic sees: its links, less packet overhead.
  const int first = f.route(0, 1).front();
  const fabric::LinkSpec& l = f.link(first);
  const double eff =
      fabric::effective_data_rate(l, fabric::PacketKind::kWrite) / (l.raw_bandwidth() / l.servers);
  const double device_bw = f.device_bandwidth() * eff;
  const double ring_bw =
      p.rings.empty() ? device_bw : std::min(device_bw, p.rings.size() * l.raw_bandwidth() * eff);
  const double path = picos_to_seconds(f.route_latency(0, 1));
  const double step = picos_to_seconds(ps.step_sync) + path + (ps.flag_after_data ? path : 0);
  const double fixed = picos_to_seconds(p.launch + ps.setup);
  // The last slice still has to cross one hop after the pipeline has drained.
  const double slice =
      std::min(S / n, static_cast<double>(ps.step_bytes * ps.slice_steps) * p.channels);
  switch (algo) {
    case Algorithm::kRing: {
      // Each (loop, slice) is a chain of `steps` sends, one per rank, each waiting for the
      // previous one (transfer plus step latency); a connection keeps `window` slices in flight,
      // so that many chains overlap. The links bound the total.
      const int steps = op == CollectiveOp::kAllReduce ? 2 * (n - 1) : n - 1;
      const double rings = std::max<double>(1, static_cast<double>(p.rings.size()));
      const int channels = std::max(1, p.channels / static_cast<int>(rings));
      const double seg = S / rings / n;
      const double loop = static_cast<double>(ps.step_bytes) * ps.chunk_steps * channels;
      const double loops = std::max(1.0, std::ceil(seg / loop));
      const double slices = std::max(1, ps.chunk_steps / ps.slice_steps);
      const double window = std::max(1, p.slots / ps.slice_steps);
      const double chain_bw = ring_bw / rings;
      const double t_op = std::min(seg, loop) / slices * ps.wire_factor / chain_bw;
      const double chains = loops * slices;
      const double per_chain = steps * (t_op + step);
      const double links = steps * seg * ps.wire_factor / chain_bw;
      const double latency = chains <= window ? per_chain + (chains - 1) * t_op
                                              : std::ceil(chains / window) * per_chain;
      return fixed + std::max(latency, links);
    }
    case Algorithm::kTree: {
      const double depth = std::floor(std::log2(std::max(1, n))) + 1;
      // Each tree carries half the data; a rank is inner in one tree (sends up once, down twice)
      // and a leaf in the other: 2 S per rank. On a full mesh a tree edge is one link. The up
      // and down streams of an inner rank share its link unevenly: the simulated tree reaches
      // about 75% of that bound (hgx_h100_8x, 256 MB to 2 GB).
      const double bw = f.topology() == "full_mesh" ? l.raw_bandwidth() * eff : device_bw;
      return fixed + 2 * depth * step + slice / bw + 2 * S * ps.wire_factor / (0.75 * bw);
    }
    case Algorithm::kNvls: {
      // Per direction a rank carries S (1 + 1/n) of data; responses come as 64 B reads.
      const double read_eff =
          static_cast<double>(l.packet.read_payload) / (l.packet.read_payload + l.packet.header);
      double stream = S * (1.0 + 1.0 / n) / (f.device_bandwidth() * read_eff);
      const int sw = f.reduction_switch();
      double rtt = 0;
      if (sw >= 0) {
        rtt = picos_to_seconds(2 * f.vertex(sw).latency + 4 * l.latency + m.memory_latency);
        // Load-reduce streams at most window / round trip per device, n devices at once.
        if (m.load_window > 0)
          stream = std::max(stream, S * rtt / (static_cast<double>(m.load_window) * n));
      }
      // Scatter and gather copy every byte in and out of the multicast buffer (4 S of memory
      // traffic, hidden behind the stream but for the first and last loop).
      AlgoParams q = p;
      const double loop =
          std::min(S, static_cast<double>(nvls_chunk_for(bytes, q)) * p.nvls_channels * n);
      const double copies = m.memory_rate > 0 ? 4 * loop / m.memory_rate : 0;
      stream = std::max(stream, m.memory_rate > 0 ? 4 * S / m.memory_rate : 0);
      return picos_to_seconds(p.launch + p.nvls_setup + 2 * p.nvls_sync) + rtt + 2 * path + copies +
             stream;
    }
    case Algorithm::kDirect: {
      double phases = op == CollectiveOp::kAllReduce ? 2 : 1;
      double traffic = op == CollectiveOp::kSendRecv ? S : S * (n - 1) / n;
      const double bw = f.topology() == "full_mesh" ? (n - 1) * l.raw_bandwidth() * eff : device_bw;
      return fixed + phases * step + phases * traffic * ps.wire_factor / bw;
    }
    case Algorithm::kAuto:
      break;
  }
  return std::numeric_limits<double>::infinity();
}

Choice choose(const CollectiveModel& m, CollectiveOp op, std::uint64_t bytes, Algorithm algo,
              Protocol proto) {
  const auto available = algorithms_for(m, op);
  std::vector<Algorithm> algos;
  if (algo == Algorithm::kAuto) {
    // NCCL's own algorithms; direct (one-shot) reductions only when asked for, except on a full
    // mesh, where RCCL runs all-pairs (MSCCL) kernels and rings cannot use every link.
    for (Algorithm a : available)
      if (a != Algorithm::kDirect || op == CollectiveOp::kAllToAll ||
          op == CollectiveOp::kSendRecv || m.fabric.topology() == "full_mesh")
        algos.push_back(a);
  } else {
    if (std::find(available.begin(), available.end(), algo) == available.end()) {
      std::string names;
      for (Algorithm a : available) {
        if (!names.empty()) names += ", ";
        names += to_string(a);
      }
      throw UserError(fmt::format(
          "--algo {}: not available for {} on this system (available: {}){}", to_string(algo),
          to_string(op), names,
          algo == Algorithm::kNvls ? "; NVLS needs a switch with in-network reduction" : ""));
    }
    algos = {algo};
  }
  const bool pcie = m.fabric.topology() == "pcie";
  Choice best;
  best.estimate_s = std::numeric_limits<double>::infinity();
  for (Algorithm a : algos) {
    std::vector<Protocol> protos;
    if (a == Algorithm::kNvls) {
      protos = {Protocol::kSimple};
      if (proto != Protocol::kAuto && proto != Protocol::kSimple)
        throw UserError("--proto: NVLS runs the Simple protocol only");
    } else if (a == Algorithm::kDirect) {
      protos = {proto == Protocol::kAuto ? Protocol::kSimple : proto};
    } else if (proto != Protocol::kAuto) {
      protos = {proto};
    } else {
      protos = {Protocol::kLL, Protocol::kSimple};
      if (!pcie) protos.insert(protos.begin() + 1, Protocol::kLL128);  // NVLink only, as NCCL
    }
    for (Protocol pr : protos) {
      const double t = estimate_time(m, op, bytes, a, pr);
      if (t < best.estimate_s) best = Choice{a, pr, t};
    }
  }
  return best;
}

Trace build_trace(const CollectiveModel& m, CollectiveOp op, std::uint64_t bytes, const Choice& c) {
  AlgoParams p = m.params;
  p.protocol = c.protocol;
  switch (c.algorithm) {
    case Algorithm::kRing:
      return ring_trace(op, bytes, p);
    case Algorithm::kTree:
      return tree_trace(op, bytes, p);
    case Algorithm::kNvls:
      return nvls_trace(op, bytes, p);
    case Algorithm::kDirect:
      if (c.protocol == Protocol::kSimple) p.protocol = Protocol::kAuto;  // LL when tiny
      return direct_trace(op, bytes, p);
    case Algorithm::kAuto:
      break;
  }
  throw std::logic_error("build_trace: no algorithm chosen");
}

namespace {

// One simulation: its own SystemC context, built first and released last.
struct Simulation {
  platform::SimContext context;
  fabric::Network network;
  fabric::CollectiveEngine engine;
  Simulation(const CollectiveModel& m, const Trace& trace)
      : network(m.fabric, m.memory_latency), engine("collective", network, trace, m.memory_rate) {
    network.set_load_window(m.load_window);
  }
};

}  // namespace

CollectiveResult simulate_collective(const CollectiveModel& m, const std::string& system_name,
                                     const CollectiveRequest& req) {
  if (req.bytes == 0) throw UserError("bytes must be positive");
  const auto wall0 = std::chrono::steady_clock::now();
  CollectiveResult r;
  r.system = system_name;
  r.op = to_string(req.op);
  r.devices = m.params.devices;
  r.bytes = req.bytes;
  r.notes = m.notes;
  if (r.devices < 2) {
    r.algorithm = "none";
    r.protocol = std::string(1, '-');
    r.time_s = picos_to_seconds(m.params.launch) +
               (m.memory_rate > 0 ? 2.0 * static_cast<double>(req.bytes) / m.memory_rate : 0);
  } else {
    const Choice c = choose(m, req.op, req.bytes, req.algorithm, req.protocol);
    const Trace trace = build_trace(m, req.op, req.bytes, c);
    r.algorithm = to_string(c.algorithm);
    r.protocol = trace.protocol;
    r.estimate_s = c.estimate_s;
    r.ops = trace.ops.size();
    for (const auto& note : trace.notes) r.notes.push_back(note);
    Simulation sim(m, trace);
    if (req.timeline) sim.network.set_timeline(req.timeline);
    sc_core::sc_start();
    if (!sim.engine.finished())
      throw std::logic_error(fmt::format("collective simulation stalled ({} ops issued of {})",
                                         sim.engine.stats().ops, trace.ops.size()));
    r.time_s = picos_to_seconds(sim.engine.stats().finish);
    r.messages = sim.network.messages_sent();
  }
  r.algbw = r.time_s > 0 ? static_cast<double>(req.bytes) / r.time_s : 0;
  r.busbw = r.algbw * bus_factor(req.op, r.devices);
  r.wall_s = std::chrono::duration<double>(std::chrono::steady_clock::now() - wall0).count();
  return r;
}

CollectiveResult simulate_collective(const config::SystemConfig& system,
                                     const CollectiveRequest& req) {
  const CollectiveModel m = build_model(system, req.force_pcie);
  return simulate_collective(m, system.name, req);
}

double simulate_allreduce_busbw(const config::SystemConfig& system, std::uint64_t bytes,
                                const std::string& algo) {
  CollectiveRequest req;
  req.op = CollectiveOp::kAllReduce;
  req.bytes = bytes;
  req.algorithm = parse_algorithm(algo);
  return simulate_collective(system, req).busbw / 1e9;
}

std::string standard_system_for(const std::string& chip, int devices,
                                const std::filesystem::path& config_dir) {
  const auto dir = config_dir / "systems";
  std::vector<std::string> names;
  std::error_code ec;
  for (const auto& e : std::filesystem::directory_iterator(dir, ec))
    if (e.path().extension() == ".yaml") names.push_back(e.path().stem().string());
  std::sort(names.begin(), names.end());
  for (const auto& name : names) {
    const config::SystemConfig s = config::load_system(name, config_dir);
    if (s.chip_name == chip && s.devices == devices) return name;
  }
  throw UserError(fmt::format("no system in {} has {} x {}", dir.string(), devices, chip));
}

}  // namespace xpusim::collective
