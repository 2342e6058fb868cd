#include <gtest/gtest.h>

#include "sim/trace/loop_folder.hpp"
#include "sim/trace/trace_check.hpp"
#include "sim/trace/trace_stats.hpp"
#include "tests/trace_samples.hpp"

using namespace xpusim;
using namespace xpusim::trace;

TEST(TraceModel, OpcodeNamesRoundTrip) {
  for (std::uint8_t code = 1; code <= kMaxOpcode; ++code) {
    Opcode parsed;
    ASSERT_TRUE(parse_opcode(opcode_name(static_cast<Opcode>(code)), parsed));
    EXPECT_EQ(static_cast<std::uint8_t>(parsed), code);
  }
  Opcode unused;
  EXPECT_FALSE(parse_opcode("NOP", unused));
}

TEST(TraceModel, OpIsASmallValue) {
  EXPECT_TRUE(std::is_trivially_copyable_v<Op>);
  EXPECT_LE(sizeof(Op), 56u);
  Op a = Mma{1, 2, 3, DType::kFp8};
  Op b = a;
  EXPECT_EQ(a, b);
  b.mma.k = 4;
  EXPECT_NE(a, b);
  EXPECT_NE(Op::wait_full(1), Op::release(1));
}

namespace {
std::vector<Op> k_step(std::uint32_t stage, std::uint64_t addr, std::uint32_t k) {
  return {Op::wait_full(stage), Mma{64, 64, k, DType::kBf16},
          TileLoad{Box{0, 64, 2 * k, addr, 0, 4096}, stage, 1}};
}
}  // namespace

TEST(LoopFolder, FoldsAffineIterationsAndPeelsARaggedOne) {
  Stream out;
  LoopFolder folder(out, 3);
  for (std::uint32_t i = 0; i < 10; ++i) folder.add_iteration(k_step(i % 3, 1000 + 128 * i, 64));
  folder.add_iteration(k_step(10 % 3, 1000 + 128 * 10, 9));  // clipped last k-step
  folder.add(Op::sync());
  folder.flush();
  ASSERT_EQ(out.size(), 1 + 3 + 1 + 3 + 1u);
  EXPECT_EQ(out[0], Op::loop_begin(10));
  EXPECT_EQ(out[1], Op::wait_full(0));
  EXPECT_EQ(out[3].load.box.addr, 1000u);
  EXPECT_EQ(out[3].load.box.addr_step, 128);
  EXPECT_EQ(out[4], Op::loop_end());
  EXPECT_EQ(out[5], Op::wait_full(1));  // outside a loop the stage is absolute
  EXPECT_EQ(out[6].mma.k, 9u);
  EXPECT_EQ(out[7].load.box.addr_step, 0);
  EXPECT_EQ(out[8], Op::sync());
}

TEST(LoopFolder, BreaksWhenTheStepChanges) {
  Stream out;
  LoopFolder folder(out, 1);
  for (std::uint64_t addr : {0, 100, 200, 350, 500}) folder.add_iteration(k_step(0, addr, 8));
  folder.flush();
  // 0,100,200 fold; 350,500 fold with their own step.
  ASSERT_EQ(out.size(), 2 * 5u);
  EXPECT_EQ(out[0].loop.count, 3u);
  EXPECT_EQ(out[5].loop.count, 2u);
  EXPECT_EQ(out[8].load.box.addr_step, 150);
}

TEST(TraceStats, CountsWorkWithLoopsExpanded) {
  Trace t = test::sample_trace();
  TraceTotals totals = summarize(t);
  EXPECT_EQ(totals.ctas, 2u);
  EXPECT_EQ(totals.mma_flops, 2u * 4 * 2 * 64 * 64 * 64);
  EXPECT_EQ(totals.per_tensor[0].loaded_bytes, 2u * 4 * 64 * 128);
  EXPECT_EQ(totals.per_tensor[1].fetched_bytes, 4u * 64 * 128);  // multicast to the pair
  EXPECT_EQ(totals.stored_bytes, 2u * 64 * 128);
  EXPECT_EQ(totals.vector_flops, 2u * 64 * 64 * 2);

  Stream nested = {Op::loop_begin(3), Op::loop_begin(5),          Mma{1, 1, 1, DType::kFp16},
                   Op::loop_end(),    Mma{2, 1, 1, DType::kFp16}, Op::loop_end()};
  t.kernels[0].ctas[0].streams = {nested};
  t.kernels[0].ctas.resize(1);
  t.kernels[0].cluster_size = 1;
  EXPECT_EQ(summarize(t).mma_flops, 2u * (15 + 3 * 2));
  EXPECT_NO_THROW(validate_trace(t));
}
