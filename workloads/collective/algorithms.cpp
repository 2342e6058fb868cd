#include "workloads/collective/algorithms.hpp"

#include <fmt/format.h>

#include <algorithm>
#include <cmath>
#include <numeric>

#include "sim/common/error.hpp"

namespace xpusim::collective {

const char* to_string(CollectiveOp op) {
  switch (op) {
    case CollectiveOp::kAllReduce:
      return "allreduce";
    case CollectiveOp::kAllGather:
      return "allgather";
    case CollectiveOp::kReduceScatter:
      return "reducescatter";
    case CollectiveOp::kAllToAll:
      return "alltoall";
    case CollectiveOp::kSendRecv:
      return "sendrecv";
  }
  return "?";
}

const char* to_string(Algorithm a) {
  switch (a) {
    case Algorithm::kAuto:
      return "auto";
    case Algorithm::kRing:
      return "ring";
    case Algorithm::kTree:
      return "tree";
    case Algorithm::kNvls:
      return "nvls";
    case Algorithm::kDirect:
      return "direct";
  }
  return "?";
}

const char* to_string(Protocol p) {
  switch (p) {
    case Protocol::kAuto:
      return "auto";
    case Protocol::kLL:
      return "ll";
    case Protocol::kLL128:
      return "ll128";
    case Protocol::kSimple:
      return "simple";
  }
  return "?";
}

const ProtocolSpec& protocol_spec(Protocol p) {
  // Buffers: LL 8 lines x 512 threads x 8 steps x 16 B = 512 KB (half of it flags); LL128 120
  // elements x 640 threads x 8 steps x 8 B = 4.69 MB (120 of 128 bytes data); Simple 4 MB.
  // Synchronisation costs are estimates (see docs/fabric.md): an LL receiver spins on the flag
  // inside each line; LL128 adds a warp-level check per 128-byte line; Simple waits for a flag
  // the sender writes after a memory fence, one more trip over the link.
  static const ProtocolSpec ll{.id = Protocol::kLL,
                               .name = "ll",
                               .wire_factor = 2.0,
                               .step_bytes = 32 * 1024,
                               .chunk_steps = 1,
                               .slice_steps = 1,
                               .step_sync = 300 * kPicosPerNs,
                               .setup = 2 * kPicosPerUs,
                               .flag_after_data = false};
  static const ProtocolSpec ll128{.id = Protocol::kLL128,
                                  .name = "ll128",
                                  .wire_factor = 128.0 / 120.0,
                                  .step_bytes = 576000,
                                  .chunk_steps = 1,
                                  .slice_steps = 1,
                                  .step_sync = 600 * kPicosPerNs,
                                  .setup = 4 * kPicosPerUs,
                                  .flag_after_data = false};
  static const ProtocolSpec simple{.id = Protocol::kSimple,
                                   .name = "simple",
                                   .wire_factor = 1.0,
                                   .step_bytes = 512 * 1024,
                                   .chunk_steps = 4,
                                   .slice_steps = 2,
                                   .step_sync = 1 * kPicosPerUs,
                                   .setup = 3 * kPicosPerUs,
                                   .flag_after_data = true};
  switch (p) {
    case Protocol::kLL:
      return ll;
    case Protocol::kLL128:
      return ll128;
    default:
      return simple;
  }
}

TreeNode binary_tree_node(int n, int rank) {
  TreeNode t;
  int bit = 1;
  while (bit < n && !(bit & rank)) bit <<= 1;
  if (rank == 0) {
    t.child1 = n > 1 ? bit >> 1 : -1;
    return t;
  }
  int up = (rank ^ bit) | (bit << 1);
  if (up >= n) up = rank ^ bit;
  t.parent = up;
  int low = bit >> 1;
  t.child0 = low == 0 ? -1 : rank - low;
  int down1 = low == 0 ? -1 : rank + low;
  while (down1 >= n) {
    low >>= 1;
    down1 = low == 0 ? -1 : rank + low;
  }
  t.child1 = down1;
  return t;
}

TreeNode second_tree_node(int n, int rank) {
  TreeNode t;
  if (n % 2 == 1) {
    const TreeNode s = binary_tree_node(n, (rank - 1 + n) % n);
    auto map = [n](int x) { return x < 0 ? -1 : (x + 1) % n; };
    t.parent = map(s.parent);
    t.child0 = map(s.child0);
    t.child1 = map(s.child1);
  } else {
    const TreeNode s = binary_tree_node(n, n - 1 - rank);
    auto map = [n](int x) { return x < 0 ? -1 : n - 1 - x; };
    t.parent = map(s.parent);
    t.child0 = map(s.child1);
    t.child1 = map(s.child0);
  }
  return t;
}

std::uint64_t nvls_chunk_for(std::uint64_t bytes, const AlgoParams& p) {
  std::uint64_t chunk = p.nvls_chunk;
  const std::uint64_t ops = static_cast<std::uint64_t>(p.nvls_channels) * p.devices;
  if (bytes < 64 * ops * chunk && chunk > 65536) chunk = 65536;
  if (bytes < 8 * ops * chunk && chunk > 32768) chunk = 32768;
  if (bytes < 2 * ops * chunk && chunk > 16384) chunk = 16384;
  return chunk;
}

namespace {

constexpr std::uint32_t kNone = Trace::kNone;
constexpr std::uint64_t kMaxDirectSends = 400000;

std::uint64_t ceil_div(std::uint64_t a, std::uint64_t b) {
  return (a + b - 1) / b;
}

std::uint64_t on_wire(std::uint64_t bytes, const ProtocolSpec& ps) {
  return static_cast<std::uint64_t>(std::ceil(static_cast<double>(bytes) * ps.wire_factor));
}

Trace start_trace(CollectiveOp op, Algorithm a, const ProtocolSpec& ps, std::uint64_t bytes,
                  const AlgoParams& p) {
  if (p.devices < 2) throw UserError("a collective needs at least two devices");
  Trace t;
  t.op = to_string(op);
  t.algorithm = to_string(a);
  t.protocol = ps.name;
  t.devices = p.devices;
  t.bytes = bytes;
  return t;
}

// The launch: every rank's first operation waits for it.
std::uint32_t add_launch(Trace& t, Picos setup, const AlgoParams& p) {
  Op launch;
  launch.kind = OpKind::kNop;
  launch.delay = p.launch + setup;
  return t.add(launch, {});
}

Op send_op(int from, int to, std::uint64_t bytes, std::uint64_t mem, const ProtocolSpec& ps,
           const AlgoParams& p) {
  Op o;
  o.kind = OpKind::kSend;
  o.device = from;
  o.peer = to;
  o.bytes = bytes;
  o.link_bytes = on_wire(bytes, ps);
  o.mem_bytes = mem;
  o.delay = ps.step_sync;
  o.post = ps.flag_after_data ? p.flag_latency : 0;
  return o;
}

Op compute_op(int device, std::uint64_t mem, Picos delay = 0) {
  Op o;
  o.kind = OpKind::kCompute;
  o.device = device;
  o.mem_bytes = mem;
  o.delay = delay;
  return o;
}

Op nop(Picos delay = 0) {
  Op o;
  o.kind = OpKind::kNop;
  o.delay = delay;
  return o;
}

// Splits `total` into `parts` nearly equal pieces (the first ones one byte larger).
std::uint64_t piece(std::uint64_t total, std::uint64_t parts, std::uint64_t i) {
  return total / parts + (i < total % parts ? 1 : 0);
}

// ---------------------------------------------------------------------------------------------
// Ring

void ring_on(Trace& t, CollectiveOp op, std::uint64_t ring_bytes, const std::vector<int>& order,
             int channels, std::uint32_t launch, const ProtocolSpec& ps, const AlgoParams& p) {
  const int n = static_cast<int>(order.size());
  const bool all_reduce = op == CollectiveOp::kAllReduce;
  const bool reduce_scatter = op == CollectiveOp::kReduceScatter;
  const int send_steps = all_reduce ? 2 * (n - 1) : n - 1;
  // Reduce-scatter ends with a local reduction of the last data received (one more "step").
  const int steps = send_steps + (reduce_scatter ? 1 : 0);
  const std::uint64_t seg = ceil_div(ring_bytes, static_cast<std::uint64_t>(n));  // per rank/step
  if (seg == 0) return;
  const std::uint64_t chunk = ps.step_bytes * static_cast<std::uint64_t>(ps.chunk_steps);
  const std::uint64_t loop = static_cast<std::uint64_t>(channels) * chunk;
  const std::uint64_t iterations = ceil_div(seg, loop);
  const int slices = std::max(1, ps.chunk_steps / ps.slice_steps);
  const int window = std::max(1, p.slots / ps.slice_steps);  // slices in flight per connection
  const std::uint64_t per_iter = static_cast<std::uint64_t>(steps) * slices;
  std::vector<int> next(static_cast<std::size_t>(n)), prev(static_cast<std::size_t>(n));
  for (int i = 0; i < n; ++i) {
    next[static_cast<std::size_t>(order[static_cast<std::size_t>(i)])] =
        order[static_cast<std::size_t>((i + 1) % n)];
    prev[static_cast<std::size_t>(order[static_cast<std::size_t>(i)])] =
        order[static_cast<std::size_t>((i + n - 1) % n)];
  }
  // ids[q * n + rank]: the operation of `rank` at sequence position q.
  const std::uint64_t total_q = iterations * per_iter;
  std::vector<std::uint32_t> ids(static_cast<std::size_t>(total_q * n), kNone);
  auto id = [&](std::uint64_t q, int r) -> std::uint32_t& {
    return ids[static_cast<std::size_t>(q * n + r)];
  };
  for (std::uint64_t it = 0; it < iterations; ++it) {
    const std::uint64_t bytes_it = std::min(loop, seg - it * loop);
    const std::uint64_t nslices = std::min<std::uint64_t>(slices, bytes_it);
    for (int k = 0; k < steps; ++k) {
      for (int j = 0; j < slices; ++j) {
        const std::uint64_t q = it * per_iter + static_cast<std::uint64_t>(k) * slices + j;
        if (static_cast<std::uint64_t>(j) >= nslices) {
          // Fewer slices than usual in a tiny last loop: keep the sequence, move nothing.
          for (int r = 0; r < n; ++r) id(q, r) = q > 0 ? id(q - 1, r) : launch;
          continue;
        }
        const std::uint64_t b = piece(bytes_it, nslices, static_cast<std::uint64_t>(j));
        for (int r = 0; r < n; ++r) {
          const std::uint32_t data =
              k > 0 ? id(q - slices, prev[static_cast<std::size_t>(r)]) : kNone;
          // Step 0 of each loop needs only the launch (and a slot); later steps need the data.
          const std::uint32_t before = k == 0 ? launch : kNone;
          // FIFO slot: the receiver must have consumed what we sent `window` slices ago.
          std::uint32_t slot = kNone;
          if (q >= static_cast<std::uint64_t>(window)) {
            const std::uint64_t old = q - window;
            const int old_k = static_cast<int>((old % per_iter) / slices);
            if (old_k + 1 < steps) slot = id(old + slices, next[static_cast<std::size_t>(r)]);
          }
          if (reduce_scatter && k == send_steps) {
            id(q, r) = t.add(compute_op(r, 3 * b), {data});
            continue;
          }
          std::uint64_t mem = b;  // read what is sent
          if ((all_reduce || reduce_scatter) && k >= 1 && k <= n - 2) mem = 2 * b;
          if (all_reduce && k == n - 1) mem = 3 * b;
          if (op == CollectiveOp::kAllGather && k == 0) mem = 2 * b;  // also the local copy
          id(q, r) = t.add(send_op(r, next[static_cast<std::size_t>(r)], b, mem, ps, p),
                           {data, before, slot});
        }
      }
    }
  }
  t.notes.push_back(
      fmt::format("ring over {} ranks: {} channels x {} B chunks, {} loop(s), {} "
                  "slice(s) per chunk, {} slices in flight per connection",
                  n, channels, chunk, iterations, slices, window));
}

// ---------------------------------------------------------------------------------------------
// Double binary tree

void tree_on(Trace& t, std::uint64_t bytes, bool second, int channels, std::uint32_t launch,
             const ProtocolSpec& ps, const AlgoParams& p) {
  const int n = p.devices;
  if (bytes == 0) return;
  std::vector<TreeNode> nodes(static_cast<std::size_t>(n));
  int root = -1;
  for (int r = 0; r < n; ++r) {
    nodes[static_cast<std::size_t>(r)] = second ? second_tree_node(n, r) : binary_tree_node(n, r);
    if (nodes[static_cast<std::size_t>(r)].parent < 0) root = r;
  }
  // Depth of each rank, for ordering (children before parents going up).
  std::vector<int> depth(static_cast<std::size_t>(n), 0);
  int max_depth = 0;
  for (int r = 0; r < n; ++r) {
    int d = 0;
    for (int v = r; nodes[static_cast<std::size_t>(v)].parent >= 0;
         v = nodes[static_cast<std::size_t>(v)].parent)
      ++d;
    depth[static_cast<std::size_t>(r)] = d;
    max_depth = std::max(max_depth, d);
  }
  std::vector<int> up_order(static_cast<std::size_t>(n));
  std::iota(up_order.begin(), up_order.end(), 0);
  std::stable_sort(up_order.begin(), up_order.end(), [&](int a, int b) {
    return depth[static_cast<std::size_t>(a)] > depth[static_cast<std::size_t>(b)];
  });
  std::vector<int> down_order(up_order.rbegin(), up_order.rend());
  std::stable_sort(down_order.begin(), down_order.end(), [&](int a, int b) {
    return depth[static_cast<std::size_t>(a)] < depth[static_cast<std::size_t>(b)];
  });
  // NCCL halves the tree chunk while the pipeline would be shorter than 8 x depth chunks.
  std::uint64_t chunk = ps.step_bytes;
  while (bytes / (static_cast<std::uint64_t>(channels) * chunk) <
             static_cast<std::uint64_t>(max_depth + 1) * 8 &&
         chunk > 65536)
    chunk /= 2;
  const std::uint64_t agg = static_cast<std::uint64_t>(channels) * chunk;
  const std::uint64_t count = ceil_div(bytes, agg);
  const int window = p.slots;
  auto children = [&](int r) {
    std::vector<int> c;
    const TreeNode& tn = nodes[static_cast<std::size_t>(r)];
    if (tn.child0 >= 0) c.push_back(tn.child0);
    if (tn.child1 >= 0) c.push_back(tn.child1);
    return c;
  };
  // up[c][r]: rank r's send of chunk c to its parent (the root: its reduction);
  // down[c][r]: the last of rank r's sends of chunk c to its children (or its receipt).
  std::vector<std::vector<std::uint32_t>> up(count), down(count), to_child(count);
  for (std::uint64_t c = 0; c < count; ++c) {
    const std::uint64_t b = std::min(agg, bytes - c * agg);
    up[c].assign(static_cast<std::size_t>(n), kNone);
    down[c].assign(static_cast<std::size_t>(n), kNone);
    for (int r : up_order) {
      const auto kids = children(r);
      std::vector<std::uint32_t> deps;
      for (int k : kids) deps.push_back(up[c][static_cast<std::size_t>(k)]);
      if (kids.empty()) deps.push_back(launch);
      const std::uint64_t mem = (1 + kids.size()) * b;
      if (r == root) {
        up[c][static_cast<std::size_t>(r)] = t.add(compute_op(r, mem + b, ps.step_sync), deps);
        continue;
      }
      const int parent = nodes[static_cast<std::size_t>(r)].parent;
      // FIFO slot: the parent has consumed (forwarded or reduced) what we sent `window` ago.
      if (c >= static_cast<std::uint64_t>(window))
        deps.push_back(up[c - window][static_cast<std::size_t>(parent)]);
      up[c][static_cast<std::size_t>(r)] = t.add(send_op(r, parent, b, mem, ps, p), deps);
    }
    to_child[c].assign(static_cast<std::size_t>(n), kNone);
    for (int r : down_order) {
      const auto kids = children(r);
      // What r forwards is the result: the root's reduction, or what its parent sent it.
      const std::uint32_t have =
          r == root ? up[c][static_cast<std::size_t>(r)] : to_child[c][static_cast<std::size_t>(r)];
      std::uint32_t last = have;
      for (int k : kids) {
        std::vector<std::uint32_t> deps{have};
        if (c >= static_cast<std::uint64_t>(window) && !children(k).empty())
          deps.push_back(down[c - window][static_cast<std::size_t>(k)]);
        last = t.add(send_op(r, k, b, b, ps, p), deps);
        to_child[c][static_cast<std::size_t>(k)] = last;
      }
      down[c][static_cast<std::size_t>(r)] = last;
    }
  }
  t.notes.push_back(fmt::format("{} binary tree (depth {}): {} channels x {} B chunks, {} chunks",
                                second ? "second" : "first", max_depth, channels, chunk, count));
}

// ---------------------------------------------------------------------------------------------
// NVLS

Trace nvls_impl(CollectiveOp op, std::uint64_t bytes, const AlgoParams& p) {
  const ProtocolSpec& ps = protocol_spec(Protocol::kSimple);
  Trace t = start_trace(op, Algorithm::kNvls, ps, bytes, p);
  const int n = p.devices;
  const std::uint32_t launch = add_launch(t, p.nvls_setup, p);
  const std::uint64_t chunk = nvls_chunk_for(bytes, p);
  const std::uint64_t per_head = static_cast<std::uint64_t>(p.nvls_channels) * chunk;
  const std::uint64_t loop = per_head * n;
  const std::uint64_t iterations = std::max<std::uint64_t>(1, ceil_div(bytes, loop));
  const int w = p.nvls_slots;
  const bool reduce = op != CollectiveOp::kAllGather;
  const bool gather = op != CollectiveOp::kReduceScatter;
  std::vector<std::uint32_t> sc(n, launch), ld(n, launch), mc(n, launch), ga(n, launch);
  std::vector<std::uint32_t> sc_done, ld_done, mc_done, ga_done;
  for (std::uint64_t it = 0; it < iterations; ++it) {
    const std::uint64_t rem = std::min(loop, bytes - std::min(bytes, it * loop));
    const std::uint64_t c = std::max<std::uint64_t>(1, ceil_div(rem, n));  // per head
    const bool reuse = it >= static_cast<std::uint64_t>(w);  // a slot of `w` loops ago
    const std::uint32_t ld_old = reuse && reduce ? ld_done[it - w] : kNone;
    const std::uint32_t ga_old = reuse && gather ? ga_done[it - w] : kNone;
    std::vector<std::uint32_t> all;
    if (reduce) {
      // Scatter: each rank copies its loop of input into the multicast buffer.
      for (int g = 0; g < n; ++g) {
        sc[g] = t.add(compute_op(g, 2 * c * n), {sc[g], ld_old});
        all.push_back(sc[g]);
      }
      sc_done.push_back(t.add(nop(p.nvls_sync), all));
      all.clear();
      // Load-reduce: rank h reads its share, reduced by the switch over every rank.
      for (int h = 0; h < n; ++h) {
        Op o;
        o.kind = OpKind::kSwitchReduce;
        o.device = h;
        o.bytes = o.link_bytes = c;
        o.mem_bytes = gather ? 0 : c;  // reduce-scatter writes its result out
        ld[h] = t.add(o, {sc_done.back(), ld[h]});
        all.push_back(ld[h]);
      }
      ld_done.push_back(t.add(nop(), all));
      all.clear();
    }
    if (gather) {
      // Multicast store: the share (reduced, or the rank's own input) to every rank.
      for (int h = 0; h < n; ++h) {
        Op o;
        o.kind = OpKind::kMulticast;
        o.device = h;
        o.bytes = o.link_bytes = c;
        o.mem_bytes = reduce ? 0 : c;
        mc[h] = t.add(o, {reduce ? ld[h] : launch, mc[h], ga_old});
        all.push_back(mc[h]);
      }
      mc_done.push_back(t.add(nop(p.nvls_sync), all));
      all.clear();
      // Gather: each rank copies the loop's results out of the multicast buffer.
      for (int g = 0; g < n; ++g) {
        ga[g] = t.add(compute_op(g, 2 * c * n), {mc_done.back(), ga[g]});
        all.push_back(ga[g]);
      }
      ga_done.push_back(t.add(nop(), all));
    }
  }
  t.notes.push_back(fmt::format("nvls: {} channels x {} B chunks x {} heads, {} loop(s), {} slots",
                                p.nvls_channels, chunk, n, iterations, w));
  return t;
}

// ---------------------------------------------------------------------------------------------
// Direct (one-shot) exchanges

const ProtocolSpec& p2p_protocol(std::uint64_t per_peer, const AlgoParams& p) {
  if (p.protocol != Protocol::kAuto && p.protocol != Protocol::kSimple)
    return protocol_spec(p.protocol);
  return per_peer <= p.p2p_ll_threshold ? protocol_spec(Protocol::kLL)
                                        : protocol_spec(Protocol::kSimple);
}

}  // namespace

Trace ring_trace(CollectiveOp op, std::uint64_t bytes, const AlgoParams& p) {
  if (op != CollectiveOp::kAllReduce && op != CollectiveOp::kAllGather &&
      op != CollectiveOp::kReduceScatter)
    throw UserError(fmt::format("ring does not run {}", to_string(op)));
  const ProtocolSpec& ps = protocol_spec(p.protocol);
  Trace t = start_trace(op, Algorithm::kRing, ps, bytes, p);
  const std::uint32_t launch = add_launch(t, ps.setup, p);
  std::vector<std::vector<int>> rings = p.rings;
  if (rings.empty()) {
    rings.emplace_back(static_cast<std::size_t>(p.devices));
    std::iota(rings.back().begin(), rings.back().end(), 0);
  }
  const std::uint64_t nr = rings.size();
  const int channels = std::max(1, p.channels / static_cast<int>(nr));
  for (std::uint64_t i = 0; i < nr; ++i)
    ring_on(t, op, piece(bytes, nr, i), rings[i], channels, launch, ps, p);
  if (nr > 1) t.notes.push_back(fmt::format("{} rings, the data split evenly", nr));
  return t;
}

Trace tree_trace(CollectiveOp op, std::uint64_t bytes, const AlgoParams& p) {
  if (op != CollectiveOp::kAllReduce)
    throw UserError(fmt::format("tree runs allreduce only, not {}", to_string(op)));
  const ProtocolSpec& ps = protocol_spec(p.protocol);
  Trace t = start_trace(op, Algorithm::kTree, ps, bytes, p);
  const std::uint32_t launch = add_launch(t, ps.setup, p);
  const int channels = std::max(1, p.channels / 2);
  tree_on(t, bytes / 2 + bytes % 2, false, channels, launch, ps, p);
  tree_on(t, bytes / 2, true, channels, launch, ps, p);
  return t;
}

Trace nvls_trace(CollectiveOp op, std::uint64_t bytes, const AlgoParams& p) {
  if (op != CollectiveOp::kAllReduce && op != CollectiveOp::kAllGather &&
      op != CollectiveOp::kReduceScatter)
    throw UserError(fmt::format("nvls does not run {}", to_string(op)));
  return nvls_impl(op, bytes, p);
}

Trace direct_trace(CollectiveOp op, std::uint64_t bytes, const AlgoParams& p) {
  const int n = p.devices;
  const bool sendrecv = op == CollectiveOp::kSendRecv;
  if (op != CollectiveOp::kAllToAll && op != CollectiveOp::kAllGather && !sendrecv &&
      op != CollectiveOp::kAllReduce && op != CollectiveOp::kReduceScatter)
    throw UserError(fmt::format("direct does not run {}", to_string(op)));
  // Bytes each rank sends each peer (send/recv: its whole buffer, to the next rank only).
  const std::uint64_t share = sendrecv ? bytes : ceil_div(bytes, static_cast<std::uint64_t>(n));
  const ProtocolSpec& ps = p2p_protocol(share, p);
  Trace t = start_trace(op, Algorithm::kDirect, ps, bytes, p);
  const std::uint32_t launch = add_launch(t, ps.setup, p);
  const int peers = sendrecv ? 1 : n - 1;
  std::uint64_t chunk = std::min(p.p2p_chunk, std::max<std::uint64_t>(1, share));
  std::uint64_t count = std::max<std::uint64_t>(1, ceil_div(share, chunk));
  // On large domains (n^2 peer pairs) merge consecutive p2p chunks so that the trace stays
  // under kMaxDirectSends sends: 384 ranks have 147072 pairs.
  const std::uint64_t phases = op == CollectiveOp::kAllReduce ? 2 : 1;
  const std::uint64_t most = std::max<std::uint64_t>(
      1, kMaxDirectSends / (static_cast<std::uint64_t>(n) * peers * phases));
  if (count > most) {
    count = most;
    chunk = ceil_div(share, count);
    t.notes.push_back(
        fmt::format("direct: p2p chunks merged to {} B to keep {} peer pairs under "
                    "{} sends",
                    chunk, static_cast<std::uint64_t>(n) * peers, kMaxDirectSends));
  }
  const std::uint64_t window = static_cast<std::uint64_t>(std::max(1, p.slots));
  auto bytes_of = [&](std::uint64_t c) {
    return std::min(chunk, share - std::min(share, c * chunk));
  };
  const std::size_t lanes = static_cast<std::size_t>(n) * peers;
  // sent[c][r * peers + d - 1]: rank r's send of chunk c to peer r + d. A connection holds
  // `window` chunks: chunk c waits for chunk c - window to have landed.
  std::vector<std::vector<std::uint32_t>> sent(count, std::vector<std::uint32_t>(lanes, kNone));
  std::vector<std::vector<std::uint32_t>> back;
  auto slot = [&](const std::vector<std::vector<std::uint32_t>>& ids, std::uint64_t c,
                  std::size_t lane) { return c >= window ? ids[c - window][lane] : launch; };
  const bool exchange_only = op == CollectiveOp::kAllToAll || op == CollectiveOp::kAllGather;
  if (exchange_only)
    for (int r = 0; r < n; ++r) t.add(compute_op(r, 2 * share), {launch});  // own share
  if (op == CollectiveOp::kAllReduce) back.assign(count, std::vector<std::uint32_t>(lanes, kNone));
  for (std::uint64_t c = 0; c < count; ++c) {
    const std::uint64_t b = bytes_of(c);
    std::vector<std::vector<std::uint32_t>> in(static_cast<std::size_t>(n));
    for (int r = 0; r < n; ++r)
      for (int d = 1; d <= peers; ++d) {
        const std::size_t lane = static_cast<std::size_t>(r) * peers + d - 1;
        const int to = (r + d) % n;
        sent[c][lane] = t.add(send_op(r, to, b, b, ps, p), {slot(sent, c, lane)});
        in[static_cast<std::size_t>(to)].push_back(sent[c][lane]);
      }
    if (exchange_only || sendrecv) continue;
    // Each owner reduces its share of the chunk from every peer, then (all-reduce) returns it.
    for (int q = 0; q < n; ++q) {
      const std::uint32_t red =
          t.add(compute_op(q, (static_cast<std::uint64_t>(n) + 1) * b, ps.step_sync),
                in[static_cast<std::size_t>(q)]);
      if (op != CollectiveOp::kAllReduce) continue;
      for (int d = 1; d <= peers; ++d) {
        const std::size_t lane = static_cast<std::size_t>(q) * peers + d - 1;
        back[c][lane] = t.add(send_op(q, (q + d) % n, b, b, ps, p), {red, slot(back, c, lane)});
      }
    }
  }
  if (sendrecv)
    t.notes.push_back(fmt::format("send/recv to the next rank: {} chunk(s) of {} B, {} in flight",
                                  count, chunk, window));
  else
    t.notes.push_back(
        fmt::format("direct: every rank sends each of {} peers {} chunk(s) of {} B, {} in flight{}",
                    n - 1, count, chunk, window,
                    op == CollectiveOp::kAllReduce ? "; owners reduce and send the result back"
                    : op == CollectiveOp::kReduceScatter ? "; owners reduce"
                                                         : ""));
  return t;
}

}  // namespace xpusim::collective
