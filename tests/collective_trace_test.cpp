// Collective traces and their parameters: byte counts per algorithm, trees, chunking, parsing.
#include <gtest/gtest.h>

#include <numeric>
#include <set>

#include "sim/common/error.hpp"
#include "workloads/collective/algorithms.hpp"
#include "workloads/collective/collective.hpp"

namespace xpusim::collective {
namespace {

AlgoParams params(int n, Protocol proto = Protocol::kSimple) {
  AlgoParams p;
  p.devices = n;
  p.protocol = proto;
  p.channels = 8;
  p.launch = 4 * kPicosPerUs;
  return p;
}

TEST(CollectiveTrace, RingMovesNcclTestsBytes) {
  const int n = 8;
  const std::uint64_t S = 64ull << 20;
  for (Protocol proto : {Protocol::kLL, Protocol::kLL128, Protocol::kSimple}) {
    const auto p = params(n, proto);
    // Every rank sends 2(n-1) shares of S/n for all-reduce, n-1 for the others.
    EXPECT_EQ(ring_trace(CollectiveOp::kAllReduce, S, p).sent_bytes(), 2ull * (n - 1) * S);
    EXPECT_EQ(ring_trace(CollectiveOp::kAllGather, S, p).sent_bytes(), (n - 1) * S);
    EXPECT_EQ(ring_trace(CollectiveOp::kReduceScatter, S, p).sent_bytes(), (n - 1) * S);
  }
  // LL doubles what goes on the links.
  const Trace ll = ring_trace(CollectiveOp::kAllReduce, S, params(n, Protocol::kLL));
  std::uint64_t link = 0;
  for (const Op& o : ll.ops) link += o.link_bytes;
  EXPECT_EQ(link, 2 * ll.sent_bytes());
}

TEST(CollectiveTrace, RingChunksAndSlicesAsNccl) {
  // Simple: 512 KB steps, 4 steps per chunk, 2 per slice; 8 channels: loops of 8 x 2 MB per rank.
  const auto p = params(8);
  const Trace t = ring_trace(CollectiveOp::kAllReduce, 8ull * 32 << 20, p);  // 32 MB per rank
  // 2 loops x 14 steps x 2 slices x 8 ranks, plus the launch.
  EXPECT_EQ(t.ops.size(), 1u + 2 * 14 * 2 * 8);
  // Dependencies always point backwards.
  for (std::size_t i = 0; i < t.ops.size(); ++i)
    for (std::uint32_t k = 0; k < t.ops[i].dep_count; ++k)
      EXPECT_LT(t.deps[t.ops[i].first_dep + k], i);
}

TEST(CollectiveTrace, MultipleRingsSplitTheData) {
  auto p = params(8);
  p.rings = {{0, 1, 2, 3, 4, 5, 6, 7}, {0, 7, 6, 5, 4, 3, 2, 1}, {0, 3, 6, 1, 4, 7, 2, 5}};
  const std::uint64_t S = 48ull << 20;
  EXPECT_EQ(ring_trace(CollectiveOp::kAllReduce, S, p).sent_bytes(), 14 * S);
}

TEST(CollectiveTrace, DoubleBinaryTree) {
  for (int n : {2, 3, 5, 8, 13, 72, 384}) {
    for (bool second : {false, true}) {
      int roots = 0, edges = 0;
      std::vector<int> parent_count(static_cast<std::size_t>(n), 0);
      for (int r = 0; r < n; ++r) {
        const TreeNode t = second ? second_tree_node(n, r) : binary_tree_node(n, r);
        if (t.parent < 0) ++roots;
        for (int c : {t.child0, t.child1})
          if (c >= 0) {
            ASSERT_LT(c, n);
            const TreeNode ct = second ? second_tree_node(n, c) : binary_tree_node(n, c);
            EXPECT_EQ(ct.parent, r) << n << " " << second;
            ++parent_count[static_cast<std::size_t>(c)];
            ++edges;
          }
      }
      EXPECT_EQ(roots, 1) << n;
      EXPECT_EQ(edges, n - 1) << n;  // spanning
    }
  }
  // n = 8: every rank is an inner node in at most one of the two trees.
  for (int r = 0; r < 8; ++r) {
    const TreeNode a = binary_tree_node(8, r), b = second_tree_node(8, r);
    const bool inner_a = a.parent >= 0 && a.child0 >= 0, inner_b = b.parent >= 0 && b.child0 >= 0;
    EXPECT_FALSE(inner_a && inner_b) << r;
  }
  // Tree all-reduce: in each tree every non-root rank sends its half up once and receives it
  // down once.
  const std::uint64_t S = 16ull << 20;
  EXPECT_EQ(tree_trace(CollectiveOp::kAllReduce, S, params(8)).sent_bytes(), 2ull * 7 * S);
  EXPECT_THROW(tree_trace(CollectiveOp::kAllGather, S, params(8)), UserError);
}

TEST(CollectiveTrace, NvlsChunksShrinkForSmallSizes) {
  const auto p = params(8);  // 16 NVLS channels x 8 ranks = 128 concurrent chunks
  EXPECT_EQ(nvls_chunk_for(1ull << 20, p), 16384u);
  EXPECT_EQ(nvls_chunk_for(16ull << 20, p), 32768u);
  EXPECT_EQ(nvls_chunk_for(256ull << 20, p), 65536u);
  EXPECT_EQ(nvls_chunk_for(1ull << 30, p), 131072u);
  const Trace t = nvls_trace(CollectiveOp::kAllReduce, 1ull << 30, p);
  // 64 loops of 8 x 2 MB: each rank load-reduces and multicasts 1/8 of the data.
  std::uint64_t reduced = 0, cast = 0;
  for (const Op& o : t.ops) {
    if (o.kind == OpKind::kSwitchReduce) reduced += o.bytes;
    if (o.kind == OpKind::kMulticast) cast += o.bytes;
  }
  EXPECT_EQ(reduced, 1ull << 30);
  EXPECT_EQ(cast, 1ull << 30);
  EXPECT_THROW(nvls_trace(CollectiveOp::kAllToAll, 1024, p), UserError);
}

TEST(CollectiveTrace, DirectExchanges) {
  const int n = 8;
  const std::uint64_t S = 8ull << 20;
  EXPECT_EQ(direct_trace(CollectiveOp::kAllToAll, S, params(n)).sent_bytes(), (n - 1) * S);
  EXPECT_EQ(direct_trace(CollectiveOp::kSendRecv, S, params(n)).sent_bytes(), n * S);
  EXPECT_EQ(direct_trace(CollectiveOp::kAllReduce, S, params(n)).sent_bytes(), 2 * (n - 1) * S);
  // Small shares go as LL, as NCCL's p2p does under its LL threshold.
  EXPECT_EQ(direct_trace(CollectiveOp::kAllToAll, 64 * 1024, params(n, Protocol::kAuto)).protocol,
            "ll");
}

TEST(CollectiveParse, ByteRanges) {
  EXPECT_EQ(parse_bytes("1K"), 1024u);
  EXPECT_EQ(parse_bytes("8G"), 8ull << 30);
  EXPECT_EQ(parse_bytes("512"), 512u);
  EXPECT_EQ(parse_bytes("4MiB"), 4u << 20);
  const auto r = parse_byte_range("1K..8G");
  ASSERT_EQ(r.size(), 24u);
  EXPECT_EQ(r.front(), 1024u);
  EXPECT_EQ(r.back(), 8ull << 30);
  EXPECT_EQ(parse_byte_range("1M..1M"), std::vector<std::uint64_t>{1u << 20});
  EXPECT_EQ(parse_byte_range("3K..10K"), (std::vector<std::uint64_t>{3072, 6144}));
  for (const char* bad : {"0", "0..1K", "1K..", "..1K", "8G..1K", "1Q", "abc", "1K...2K", "-1", "",
                          "99999999999999999999", "20000000T"})
    EXPECT_THROW(parse_byte_range(bad), UserError) << bad;
  EXPECT_EQ(format_bytes(8ull << 30), "8G");
  EXPECT_EQ(format_bytes(1536), "1536");
}

TEST(CollectiveParse, NamesAndFactors) {
  EXPECT_EQ(parse_op("allreduce"), CollectiveOp::kAllReduce);
  EXPECT_EQ(parse_op("ALL_GATHER"), CollectiveOp::kAllGather);
  EXPECT_THROW(parse_op("broadcastx"), UserError);
  EXPECT_EQ(parse_algorithm("nvls"), Algorithm::kNvls);
  EXPECT_THROW(parse_algorithm("butterfly"), UserError);
  EXPECT_THROW(parse_protocol("ll64"), UserError);
  EXPECT_DOUBLE_EQ(bus_factor(CollectiveOp::kAllReduce, 8), 1.75);
  EXPECT_DOUBLE_EQ(bus_factor(CollectiveOp::kAllGather, 8), 0.875);
  EXPECT_DOUBLE_EQ(bus_factor(CollectiveOp::kAllToAll, 4), 0.75);
  EXPECT_DOUBLE_EQ(bus_factor(CollectiveOp::kSendRecv, 8), 1.0);
}

}  // namespace
}  // namespace xpusim::collective
