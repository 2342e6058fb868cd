#pragma once
// Collective algorithms as NCCL runs them, emitted as traces. Channels (one SM block each in
// NCCL) run the same schedule on disjoint slices of the buffer over the same links; the trace
// merges them: one operation moves every channel's slice of a step (an "aggregated chunk"), which
// keeps 8 GB collectives on 384 devices to a few hundred thousand operations.
//
//  - ring (all-reduce, all-gather, reduce-scatter): 2(n-1) (or n-1) steps per chunk, each step a
//    send to the next rank after the data of the previous step has arrived; the buffer is cut into
//    loops of channels x ranks x chunkSize, each chunk into slices; a connection holds NCCL_STEPS
//    (8) FIFO slots, so a sender may run at most 8 / sliceSteps slices ahead of its receiver.
//  - tree (all-reduce): NCCL's double binary tree over all ranks, each tree carrying half of the
//    data, reduce up and broadcast down as two concurrent pipelines of chunks.
//  - nvls (all-reduce, all-gather, reduce-scatter): NVLink SHARP as NCCL's single-node NVLS kernel
//    does it: scatter (local copy into the multicast buffer), load-reduce through the switch by
//    each rank for its share, multicast store of the result, gather (local copy out), pipelined
//    over loop iterations with FIFO slots between the stages.
//  - direct (all-to-all, send/recv, and all-reduce / all-gather / reduce-scatter as one-shot
//    exchanges): every rank sends each peer its share directly, in p2p chunks, all peers at once.
#include <cstdint>
#include <string>
#include <vector>

#include "workloads/collective/collective_trace.hpp"

namespace xpusim::collective {

enum class CollectiveOp { kAllReduce, kAllGather, kReduceScatter, kAllToAll, kSendRecv };
enum class Algorithm { kAuto, kRing, kTree, kNvls, kDirect };
enum class Protocol { kAuto, kLL, kLL128, kSimple };

const char* to_string(CollectiveOp op);
const char* to_string(Algorithm a);
const char* to_string(Protocol p);

// NCCL's protocols (src/include/device.h, collectives.h): LL moves 8-byte lines of 4 data bytes
// and a 4-byte flag; LL128 128-byte lines of 120 data bytes with an 8-byte flag; Simple moves
// plain data and posts a flag after it. Buffers per connection: LL 512 KB, LL128 ~4.7 MB, Simple
// 4 MB, each in NCCL_STEPS = 8 slots.
struct ProtocolSpec {
  Protocol id = Protocol::kSimple;
  const char* name = "simple";
  double wire_factor = 1.0;              // link bytes per data byte
  std::uint64_t step_bytes = 0;          // data bytes per FIFO slot per channel
  int chunk_steps = 1, slice_steps = 1;  // ring all-reduce / all-gather / reduce-scatter
  Picos step_sync = 0;                   // per operation: wait for the peer's flag, post ours
  Picos setup = 0;                       // per collective, after the kernel launch
  bool flag_after_data = false;          // the receiver sees data only when a later flag lands
};
const ProtocolSpec& protocol_spec(Protocol p);

struct AlgoParams {
  int devices = 0;
  Protocol protocol = Protocol::kSimple;
  int channels = 16;                    // ring / tree channels
  int slots = 8;                        // NCCL_STEPS
  Picos launch = 0;                     // kernel launch (chip launch_overhead)
  Picos flag_latency = 0;               // a flag's trip from one rank to the next (route latency)
  std::vector<std::vector<int>> rings;  // rank orders; the data is split evenly over them
  // NVLS (NCCL defaults: 16 channels, 128 KB chunks shrunk for smaller sizes)
  int nvls_channels = 16;
  std::uint64_t nvls_chunk = 128 * 1024;
  int nvls_slots = 8;
  Picos nvls_setup = 0;  // per collective, after the launch
  Picos nvls_sync = 0;   // cross-rank barrier between NVLS stages, per loop iteration
  // p2p (direct): NCCL_P2P_NVL_CHUNKSIZE and the LL threshold for p2p operations
  std::uint64_t p2p_chunk = 512 * 1024;
  std::uint64_t p2p_ll_threshold = 16 * 1024;
};

// The per-channel chunk NCCL's NVLS uses for `bytes` (enqueue.cc: 128 KB, then 64/32/16 KB when
// the message is small against channels x ranks concurrent chunks).
std::uint64_t nvls_chunk_for(std::uint64_t bytes, const AlgoParams& p);

// Each generator throws UserError when the algorithm cannot run the operation.
Trace ring_trace(CollectiveOp op, std::uint64_t bytes, const AlgoParams& p);
Trace tree_trace(CollectiveOp op, std::uint64_t bytes, const AlgoParams& p);
Trace nvls_trace(CollectiveOp op, std::uint64_t bytes, const AlgoParams& p);
Trace direct_trace(CollectiveOp op, std::uint64_t bytes, const AlgoParams& p);

// NCCL's binary tree (src/graph/trees.cc, ncclGetBtree): parent and children of `rank`, -1 where
// none; rank 0 is the root, with a single child.
struct TreeNode {
  int parent = -1, child0 = -1, child1 = -1;
};
TreeNode binary_tree_node(int ranks, int rank);
// The second tree of the double binary tree: mirrored for an even rank count, shifted for odd.
TreeNode second_tree_node(int ranks, int rank);

}  // namespace xpusim::collective
