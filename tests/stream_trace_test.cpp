#include <gtest/gtest.h>

#include "sim/common/error.hpp"
#include "sim/trace/trace_check.hpp"
#include "sim/trace/trace_io.hpp"
#include "sim/trace/trace_stats.hpp"
#include "tests/test_targets.hpp"
#include "workloads/stream/stream_trace.hpp"

using namespace xpusim;
using namespace xpusim::stream;

namespace {
constexpr StreamOp kOps[] = {StreamOp::kCopy, StreamOp::kScale, StreamOp::kAdd, StreamOp::kTriad,
                             StreamOp::kDot};

// Bytes the main kernel moves to and from the three arrays (the dot partials are not counted,
// as BabelStream does not count them).
std::uint64_t array_bytes(const trace::Trace& t) {
  trace::TraceTotals totals = trace::summarize(t.kernels[0]);
  std::uint64_t bytes = 0;
  for (std::uint32_t id : {0u, 1u, 2u})
    bytes += totals.per_tensor[id].loaded_bytes + totals.per_tensor[id].stored_bytes;
  return bytes;
}
}  // namespace

TEST(StreamTrace, BytesMovedAreBabelStreamsCount) {
  EXPECT_EQ(babelstream_bytes(StreamOp::kCopy, kBabelStreamDefaultElements, DType::kFp64),
            2u * 8 * (1u << 25));
  EXPECT_EQ(babelstream_bytes(StreamOp::kTriad, 1000, DType::kFp32), 3u * 4 * 1000);
  EXPECT_EQ(babelstream_bytes(StreamOp::kDot, 1000, DType::kFp64), 2u * 8 * 1000);
  for (StreamOp op : kOps)
    for (std::uint64_t n : {kBabelStreamDefaultElements, std::uint64_t{1000003}, std::uint64_t{1}})
      for (DType d : {DType::kFp64, DType::kFp32}) {
        trace::Trace t = emit_stream_trace(op, test::h100_sxm(), n, d);
        SCOPED_TRACE(t.description);
        EXPECT_NO_THROW(trace::validate_trace(t, "stream"));
        EXPECT_EQ(array_bytes(t), babelstream_bytes(op, n, d));
      }
}

TEST(StreamTrace, KernelsHaveBabelStreamsShape) {
  trace::Trace copy = emit_stream_trace(StreamOp::kCopy, test::h100_sxm());
  ASSERT_EQ(copy.kernels.size(), 1u);
  EXPECT_EQ(copy.kernels[0].threads_per_cta, 1024u);
  EXPECT_EQ(copy.kernels[0].ctas.size(), (1u << 25) / 1024);  // one element per thread
  EXPECT_LE(copy.kernels[0].ctas[0].streams[0].size(), 4u);

  trace::Trace dot = emit_stream_trace(StreamOp::kDot, test::h100_sxm());
  ASSERT_EQ(dot.kernels.size(), 2u);
  EXPECT_EQ(dot.kernels[0].ctas.size(), 132u * 4);
  // 32768 chunks over 528 blocks: a grid-stride loop of 62 or 63 iterations, folded.
  EXPECT_LT(dot.kernels[0].ctas[0].streams[0].size(), 30u);
  trace::TraceTotals totals = trace::summarize(dot);
  EXPECT_EQ(totals.per_tensor[3].stored_bytes, 528u * 8);  // one partial per block
  EXPECT_EQ(totals.per_tensor[3].loaded_bytes, 528u * 8);  // read once by dot_final
  EXPECT_EQ(totals.per_tensor[4].stored_bytes, 8u);

  trace::Trace triad = emit_stream_trace(StreamOp::kTriad, test::a100_sxm_80gb(), 4096);
  EXPECT_EQ(trace::summarize(triad).vector_flops, 2u * 4096);
  EXPECT_EQ(triad.family, "ampere");
}

TEST(StreamTrace, RaggedArraysClipTheLastChunk) {
  trace::Trace t = emit_stream_trace(StreamOp::kAdd, test::h100_sxm(), 2 * 1024 + 5);
  ASSERT_EQ(t.kernels[0].ctas.size(), 3u);
  const trace::Stream& last = t.kernels[0].ctas[2].streams[0];
  EXPECT_EQ(last[0].load.box.row_bytes, 5u * 8);
}

TEST(StreamTrace, DeterministicAndRoundTrips) {
  for (StreamOp op : kOps) {
    std::string a = trace::write_trace_binary(emit_stream_trace(op, test::h100_sxm(), 100000));
    std::string b = trace::write_trace_binary(emit_stream_trace(op, test::h100_sxm(), 100000));
    EXPECT_EQ(a, b);
    EXPECT_EQ(trace::write_trace_binary(trace::read_trace(a, "s.xtr")), a);
  }
}

TEST(StreamTrace, NamesAndErrors) {
  EXPECT_EQ(parse_stream_op("mul"), StreamOp::kScale);
  EXPECT_EQ(parse_stream_op("triad"), StreamOp::kTriad);
  EXPECT_FALSE(parse_stream_op("nstream").has_value());
  for (StreamOp op : kOps) EXPECT_EQ(parse_stream_op(stream_op_name(op)), op);
  EXPECT_THROW(emit_stream_trace(StreamOp::kCopy, test::h100_sxm(), 0), UserError);
  EXPECT_THROW(emit_stream_trace(StreamOp::kCopy, test::h100_sxm(), 10, DType::kBf16), UserError);
}
