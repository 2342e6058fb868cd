#include <gtest/gtest.h>

#include <deque>
#include <map>

#include "sim/common/error.hpp"
#include "sim/trace/trace_check.hpp"
#include "sim/trace/trace_io.hpp"
#include "sim/trace/trace_stats.hpp"
#include "tests/test_targets.hpp"
#include "tests/trace_replay_helpers.hpp"
#include "workloads/gemm/gemm_trace.hpp"

using namespace xpusim;
using namespace xpusim::gemm;
using trace::Op;
using trace::Opcode;

namespace {

struct Case {
  GemmProblem problem;
  KernelTarget target;
  GemmPlanOptions options;
};

GemmProblem problem(const char* shape, DType in, Layout a = Layout::kRowMajor,
                    Layout b = Layout::kColMajor, Layout c = Layout::kRowMajor) {
  GemmProblem p = parse_gemm_problem(shape, in);
  p.a_layout = a;
  p.b_layout = b;
  p.c_layout = c;
  return p;
}

std::vector<Case> cases() {
  return {
      {problem("1000x1999x777", DType::kBf16), test::h100_sxm(), {}},
      {problem("1x4096x4096", DType::kBf16), test::h100_sxm(), {}},
      {problem("4097x31x129", DType::kFp16), test::a100_sxm_80gb(), {}},
      {problem("64x2112x7168", DType::kFp8), test::h800_sxm(), {}},
      {problem("256x256x32768", DType::kBf16), test::h100_sxm(), {}},
      {problem("100x300x5000", DType::kFp16), test::a100_sxm_80gb(), {.split_k = 3}},
      {problem("333x222x111", DType::kTf32, Layout::kColMajor, Layout::kRowMajor,
               Layout::kColMajor),
       test::h100_sxm(),
       {.split_k = 2}},
      {problem("257x129x1025", DType::kInt8), test::a100_sxm_80gb(), {}},
      {problem("8192x8192x8192", DType::kBf16), test::h100_sxm(), {}},
  };
}

// Replays one CTA's pipeline: loads group into fills per stage, each WAIT_FULL takes the next
// fill of its stage, and the MMA after it must multiply exactly the boxes that fill brought, in
// K order. Returns the K elements the CTA multiplied.
std::uint64_t check_cta_pipeline(const trace::Kernel& k, const trace::Cta& cta,
                                 const GemmProblem& g, std::uint64_t a_base) {
  const std::uint64_t e = element_bytes(g.in);
  std::map<std::uint32_t, std::deque<std::vector<trace::Box>>> fills;
  std::vector<trace::Box> popped;
  std::uint64_t k_done = 0, first_a = 0;
  bool have_first = false;
  bool ws = cta.streams.size() == 2;
  auto on_load = [&](const Op& op, std::uint32_t& last_stage, bool& in_run) {
    if (!in_run || last_stage != op.load.stage_base) fills[op.load.stage_base].emplace_back();
    fills[op.load.stage_base].back().push_back(op.load.box);
    last_stage = op.load.stage_base;
    in_run = true;
  };
  if (ws) {  // the producer runs ahead; its fills are queued first
    std::uint32_t last = 0;
    bool in_run = false;
    test::expand(cta.streams[0], k.num_stages, [&](const Op& op) {
      if (op.opcode == Opcode::kTileLoad)
        on_load(op, last, in_run);
      else
        in_run = false;
    });
  }
  std::uint32_t last = 0;
  bool in_run = false;
  test::expand(cta.streams.back(), k.num_stages, [&](const Op& op) {
    if (op.opcode == Opcode::kTileLoad) {
      on_load(op, last, in_run);
      return;
    }
    in_run = false;
    if (op.opcode == Opcode::kWaitFull) {
      auto& queue = fills[op.stage.stage_base];
      ASSERT_FALSE(queue.empty()) << "WAIT_FULL on a stage nothing was loaded into";
      popped = queue.front();
      queue.pop_front();
    } else if (op.opcode == Opcode::kMma) {
      ASSERT_EQ(popped.size(), 2u);
      const trace::Box& a = popped[0];
      const trace::Box& b = popped[1];
      std::uint64_t a_rows = g.a_layout == Layout::kRowMajor ? op.mma.m : op.mma.k;
      std::uint64_t a_width = g.a_layout == Layout::kRowMajor ? op.mma.k : op.mma.m;
      EXPECT_EQ(a.rows, a_rows);
      EXPECT_EQ(a.row_bytes, a_width * e);
      EXPECT_EQ(b.bytes(), std::uint64_t{op.mma.n} * op.mma.k * e);
      // consecutive k-steps move along K
      std::uint64_t k_stride = g.a_layout == Layout::kRowMajor ? e : g.m * e;
      if (!have_first) {
        first_a = a.addr;
        have_first = true;
      }
      EXPECT_EQ(a.addr, first_a + k_done * k_stride);
      EXPECT_GE(a.addr, a_base);
      k_done += op.mma.k;
      popped.clear();
    }
  });
  for (auto& [stage, queue] : fills) EXPECT_TRUE(queue.empty()) << "unused fill of stage " << stage;
  return k_done;
}

}  // namespace

TEST(GemmTrace, WorkAndTrafficAddUp) {
  for (const Case& c : cases()) {
    GemmPlan plan = plan_gemm(c.problem, c.target, c.options);
    trace::Trace t = emit_gemm_trace(c.problem, plan, c.target);
    SCOPED_TRACE(plan.to_string());
    ASSERT_NO_THROW(trace::validate_trace(t, "emitted"));
    const GemmProblem& g = c.problem;
    const std::uint64_t e = element_bytes(g.in), out_e = element_bytes(g.out);
    trace::TraceTotals totals = trace::summarize(t);
    EXPECT_EQ(totals.mma_flops, 2 * g.m * g.n * g.k);
    EXPECT_GE(totals.per_tensor[kTensorA].fetched_bytes, g.m * g.k * e);
    EXPECT_GE(totals.per_tensor[kTensorB].fetched_bytes, g.k * g.n * e);
    EXPECT_GE(totals.fetched_bytes, (g.m * g.k + g.k * g.n) * e);
    EXPECT_EQ(totals.per_tensor[kTensorC].stored_bytes, g.m * g.n * out_e);
    ASSERT_EQ(t.kernels.size(), plan.split_k > 1 ? 2u : 1u);
    EXPECT_EQ(t.kernels[0].ctas.size(), plan.ctas);
    EXPECT_EQ(t.kernels[0].cluster_size, plan.cluster_size());
    EXPECT_EQ(t.kernels[0].num_stages, plan.stages);
    if (plan.split_k > 1) {
      std::uint64_t partials = plan.split_k * g.m * g.n * 4;
      EXPECT_EQ(totals.per_tensor[kTensorWorkspace].stored_bytes, partials);
      EXPECT_EQ(totals.per_tensor[kTensorWorkspace].loaded_bytes, partials);
    }
  }
}

TEST(GemmTrace, EveryCtaRunsAConsistentPipelineInRasterOrder) {
  for (const Case& c : cases()) {
    GemmPlan plan = plan_gemm(c.problem, c.target, c.options);
    trace::Trace t = emit_gemm_trace(c.problem, plan, c.target);
    SCOPED_TRACE(plan.to_string());
    const trace::Kernel& k = t.kernels[0];
    for (std::uint64_t i = 0; i < k.ctas.size(); ++i) {
      TileCoord tile = plan.tile_of(i);
      EXPECT_EQ(k.ctas[i].id, (tile.split * plan.tiles_m + tile.m) * plan.tiles_n + tile.n);
      auto [first, last] = plan.k_range(tile.split);
      ASSERT_EQ(check_cta_pipeline(k, k.ctas[i], c.problem, t.tensors[kTensorA].base),
                last - first);
      if (testing::Test::HasFailure()) return;
    }
  }
}

TEST(GemmTrace, LoadsCoverTheInputsAndStoresWriteCOnce) {
  for (const Case& c : cases()) {
    const GemmProblem& g = c.problem;
    if ((g.m * g.k + g.k * g.n) * element_bytes(g.in) > (64u << 20)) continue;
    GemmPlan plan = plan_gemm(g, c.target, c.options);
    trace::Trace t = emit_gemm_trace(g, plan, c.target);
    SCOPED_TRACE(plan.to_string());
    std::map<std::uint32_t, std::vector<std::uint8_t>> touched;
    for (const trace::TensorInfo& info : t.tensors) touched[info.id].assign(info.bytes, 0);
    for (const trace::Kernel& k : t.kernels)
      for (const trace::Cta& cta : k.ctas)
        for (const trace::Stream& s : cta.streams)
          test::expand(s, k.num_stages, [&](const Op& op) {
            const trace::Box* b = op.box();
            if (!b) return;
            std::uint64_t base = t.tensors[b->tensor].base;
            for (std::uint32_t r = 0; r < b->rows; ++r)
              for (std::uint32_t x = 0; x < b->row_bytes; ++x) {
                auto& mark = touched[b->tensor][b->addr - base + r * b->row_stride + x];
                mark = std::min(255, mark + 1);
              }
          });
    for (std::uint32_t id : {kTensorA, kTensorB})
      EXPECT_EQ(std::count(touched[id].begin(), touched[id].end(), 0), 0) << "tensor " << id;
    EXPECT_EQ(std::count(touched[kTensorC].begin(), touched[kTensorC].end(), 1),
              std::ptrdiff_t(touched[kTensorC].size()));
  }
}

TEST(GemmTrace, EdgeTilesAndTheLastKStepAreClipped) {
  GemmProblem g = problem("1000x1999x777", DType::kBf16);
  GemmPlan plan = plan_gemm(g, test::h100_sxm());
  trace::Trace t = emit_gemm_trace(g, plan, test::h100_sxm());
  std::set<std::uint32_t> ms, ns, ks;
  for (const trace::Cta& cta : t.kernels[0].ctas)
    for (const Op& op : cta.streams.back())
      if (op.opcode == Opcode::kMma) {
        ms.insert(op.mma.m);
        ns.insert(op.mma.n);
        ks.insert(op.mma.k);
      }
  EXPECT_TRUE(ms.count(1000 % plan.bm)) << plan.to_string();
  EXPECT_TRUE(ns.count(1999 % plan.bn));
  EXPECT_TRUE(ks.count(777 % plan.bk));
  EXPECT_TRUE(ks.count(plan.bk));
}

TEST(GemmTrace, ProgramsStayShortWithLoops) {
  GemmProblem g = problem("8192x8192x8192", DType::kBf16);
  GemmPlan plan = plan_gemm(g, test::h100_sxm());
  trace::Trace t = emit_gemm_trace(g, plan, test::h100_sxm());
  for (const trace::Cta& cta : t.kernels[0].ctas)
    for (const trace::Stream& s : cta.streams) EXPECT_LE(s.size(), 8u);
  // 128 k-steps per CTA executed, a handful of ops listed
  trace::TraceTotals totals = trace::summarize(t);
  EXPECT_GT(totals.ops_executed, 100 * totals.ops_listed / 10);
}

TEST(GemmTrace, SameInputsGiveIdenticalBinaryTraces) {
  for (const Case& c : cases()) {
    GemmPlan plan = plan_gemm(c.problem, c.target, c.options);
    std::string a = trace::write_trace_binary(emit_gemm_trace(c.problem, plan, c.target));
    GemmPlan again = plan_gemm(c.problem, c.target, c.options);
    std::string b = trace::write_trace_binary(emit_gemm_trace(c.problem, again, c.target));
    EXPECT_EQ(a, b);
    trace::Trace back = trace::read_trace(a, "gemm.xtr");
    EXPECT_EQ(trace::write_trace_binary(back), a);
    if (a.size() < (1u << 20)) {
      std::string json = trace::write_trace_json(back);
      EXPECT_EQ(trace::read_trace(json, "gemm.json"), back);
    }
  }
}

TEST(GemmTrace, RefusesAPlanForAnotherProblem) {
  GemmProblem g = problem("128x128x128", DType::kBf16);
  GemmPlan plan = plan_gemm(g, test::h100_sxm());
  EXPECT_THROW(emit_gemm_trace(problem("128x128x256", DType::kBf16), plan, test::h100_sxm()),
               UserError);
}
