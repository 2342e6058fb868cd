#include <gtest/gtest.h>

#include <map>
#include <set>

#include "sim/common/error.hpp"
#include "sim/trace/trace_check.hpp"
#include "sim/trace/trace_io.hpp"
#include "sim/trace/trace_stats.hpp"
#include "tests/test_targets.hpp"
#include "tests/trace_replay_helpers.hpp"
#include "workloads/attention/attention_functional.hpp"
#include "workloads/attention/attention_trace.hpp"

using namespace xpusim;
using namespace xpusim::attention;
using trace::Op;
using trace::Opcode;

namespace {

struct Case {
  const char* problem;
  KernelTarget target;
  AttentionPlanOptions options;
};

std::vector<Case> cases() {
  const KernelTarget h100 = test::h100_sxm(), a100 = test::a100_sxm_80gb();
  return {
      {"batch=2,heads=4,head_dim=128,seq_q=1000,seq_kv=1000", h100, {}},
      {"batch=2,heads=4,head_dim=128,seq_q=1000,seq_kv=1000", a100, {}},
      {"batch=1,heads=4,kv_heads=2,head_dim=64,seq_q=700,seq_kv=900,causal=1", h100, {}},
      {"batch=1,heads=4,kv_heads=2,head_dim=64,seq_q=700,seq_kv=900,causal=1", a100, {}},
      {"heads=2,head_dim=256,seq_q=100:333:64,seq_kv=100:500:64,causal=1", h100, {}},
      {"batch=1,heads=2,head_dim=128,seq_q=300,seq_kv=300,dtype=fp8", h100, {}},
      {"batch=3,heads=8,kv_heads=2,head_dim=128,seq_q=1,seq_kv=700:1500:90,pass=decode,"
       "page_size=16",
       h100,
       {.num_splits = 4}},
      {"batch=2,heads=4,kv_heads=1,head_dim=64,seq_q=3,seq_kv=900:517,causal=1,pass=decode",
       a100,
       {.num_splits = 3}},
      {"batch=2,heads=128,head_dim=128,seq_q=1,seq_kv=1000:3000,kv_lora_rank=512,rope_dim=64,"
       "pass=decode",
       h100,
       {}},
      {"batch=1,heads=2,head_dim=128,seq_q=500,seq_kv=700,pass=bwd", h100, {}},
      {"batch=2,heads=4,kv_heads=2,head_dim=64,seq_q=300,seq_kv=300,causal=1,pass=bwd", a100, {}},
  };
}

struct Built {
  AttentionProblem problem;
  AttentionPlan plan;
  trace::Trace trace;
};

Built build(const Case& c) {
  Built b;
  b.problem = parse_attention_problem(c.problem);
  b.plan = plan_attention(b.problem, c.target, c.options);
  b.trace = emit_attention_trace(b.problem, b.plan, c.target);
  return b;
}

// Ops of a stream with loops expanded.
std::vector<Op> ops_of(const trace::Stream& s, std::uint32_t stages) {
  std::vector<Op> out;
  test::expand(s, stages, [&](const Op& op) { out.push_back(op); });
  return out;
}

std::uint64_t count(const std::vector<Op>& ops, Opcode code) {
  return std::count_if(ops.begin(), ops.end(), [&](const Op& op) { return op.opcode == code; });
}

const trace::Kernel& main_kernel(const Built& b) {
  return b.trace.kernels[b.problem.pass == Pass::kBackward ? 1 : 0];
}

// Query-key pairs the causal mask removes inside the tiles the kernels still compute.
std::uint64_t masked_pairs_in_visited_tiles(const AttentionPlan& p) {
  std::uint64_t masked = 0;
  auto tile = [&](std::uint64_t b, std::uint64_t r0, std::uint64_t rows, std::uint64_t k0,
                  std::uint64_t keys) {
    for (std::uint64_t r = r0; r < r0 + rows; ++r)
      for (std::uint64_t k = k0; k < k0 + keys; ++k) masked += k >= p.visible_keys(b, r);
  };
  for (const CtaWork& w : p.work) {
    if (p.problem.pass == Pass::kBackward) {
      const TileRange r = p.q_tiles_of(w);
      for (std::uint64_t i = r.first; i < r.last; ++i)
        tile(w.batch, i * p.bm, p.rows_in_tile(w.batch, i), w.tile * p.bn,
             p.keys_in_tile(w.batch, w.tile));
    } else {
      const TileRange r = p.kv_tiles_of(w);
      for (std::uint64_t j = r.first; j < r.last; ++j)
        tile(w.batch, w.tile * p.bm, p.rows_in_tile(w.batch, w.tile), j * p.bn,
             p.keys_in_tile(w.batch, j));
    }
  }
  return masked;
}

}  // namespace

TEST(AttentionTrace, ValidatesAndItsMmaFlopsAreTheProblems) {
  for (const Case& c : cases()) {
    const Built b = build(c);
    SCOPED_TRACE(b.plan.to_string());
    ASSERT_NO_THROW(trace::validate_trace(b.trace, "emitted"));
    ASSERT_NO_THROW(trace::write_trace_binary(b.trace));
    const trace::TraceTotals totals = trace::summarize(b.trace);
    EXPECT_EQ(totals.mma_flops, b.plan.executed_mma_flops());
    const KernelShape s = b.plan.shape;
    const std::uint64_t per_pair = b.problem.pass == Pass::kBackward
                                       ? 2 * (3 * s.head_dim + 2 * s.head_dim_v)
                                       : 2 * (s.head_dim + s.head_dim_v);
    // Useful FLOPs plus the masked pairs of the tiles the mask cuts, which run as full MMAs.
    EXPECT_EQ(double(totals.mma_flops),
              b.problem.flops() + double(per_pair * masked_pairs_in_visited_tiles(b.plan)));
    if (!b.problem.causal) {
      EXPECT_EQ(double(totals.mma_flops), b.problem.flops());
    }
    EXPECT_EQ(main_kernel(b).ctas.size(), b.plan.work.size());
    EXPECT_GT(totals.sfu_elements, 0u);
  }
}

TEST(AttentionTrace, FunctionalAndTraceVisitTheSameTiles) {
  for (const Case& c : cases()) {
    const Built b = build(c);
    if (b.problem.mla) continue;  // same geometry; skipped for time
    SCOPED_TRACE(b.plan.to_string());
    std::uint64_t visits = 0;
    for (const trace::Cta& cta : main_kernel(b).ctas) {
      const auto ops = ops_of(cta.streams.back(), main_kernel(b).num_stages);
      visits += b.problem.pass == Pass::kBackward
                    ? count(ops, Opcode::kTileStore) - 2
                    : count(ops, Opcode::kWaitFull) / (cta.streams.size() == 1 ? 2 : 1);
    }
    EXPECT_EQ(visits, check_attention(b.problem, b.plan).tiles_visited);
  }
}

TEST(AttentionTrace, Fa3CtasRunAProducerAndPingPongConsumers) {
  for (const Case& c : cases()) {
    const Built b = build(c);
    if (b.plan.kernel != AttentionKernel::kFa3WarpSpecialized || b.problem.pass != Pass::kForward)
      continue;
    SCOPED_TRACE(b.plan.to_string());
    const trace::Kernel& k = b.trace.kernels[0];
    EXPECT_EQ(k.threads_per_cta, 384u);
    for (std::size_t i = 0; i < k.ctas.size(); ++i) {
      const trace::Cta& cta = k.ctas[i];
      const CtaWork& w = b.plan.work[i];
      ASSERT_EQ(cta.streams.size(), 1 + (b.plan.rows_in_tile(w.batch, w.tile) + 63) / 64);
      const auto producer = ops_of(cta.streams[0], k.num_stages);
      const std::uint64_t tiles = b.plan.kv_tiles_of(w).size();
      EXPECT_EQ(count(producer, Opcode::kWaitEmpty), tiles);
      EXPECT_EQ(count(producer, Opcode::kTileLoad), 2 * tiles + 1);  // K, V per tile, one Q
      EXPECT_EQ(producer[0].opcode, Opcode::kWaitEmpty);
      EXPECT_EQ(producer[1].load.box.tensor, kTensorQ);  // Q rides in the first fill
      for (std::size_t s = 1; s < cta.streams.size(); ++s) {
        const auto consumer = ops_of(cta.streams[s], k.num_stages);
        EXPECT_EQ(count(consumer, Opcode::kWaitFull), tiles);
        EXPECT_EQ(count(consumer, Opcode::kRelease), tiles);
        EXPECT_EQ(count(consumer, Opcode::kMma), 2 * tiles);
        std::uint32_t expected_stage = 0;
        for (const Op& op : consumer) {
          if (op.opcode == Opcode::kMma) {
            EXPECT_LE(op.mma.m, 64u);
          }
          if (op.opcode == Opcode::kWaitFull) {
            EXPECT_EQ(op.stage.stage_base, expected_stage);
            expected_stage = (expected_stage + 1) % k.num_stages;
          }
        }
        EXPECT_EQ(consumer.back().opcode, Opcode::kTileStore);
      }
    }
  }
}

TEST(AttentionTrace, Fa2CtasAlternateKAndVLoadsInOneStream) {
  const Built b = build(cases()[1]);
  const trace::Kernel& k = b.trace.kernels[0];
  for (std::size_t i = 0; i < k.ctas.size(); ++i) {
    ASSERT_EQ(k.ctas[i].streams.size(), 1u);
    const auto ops = ops_of(k.ctas[i].streams[0], k.num_stages);
    const std::uint64_t tiles = b.plan.kv_tiles_of(b.plan.work[i]).size();
    EXPECT_EQ(count(ops, Opcode::kWaitFull), 2 * tiles);
    // Loads go K0 V0 K1 V1 ... into stages 0 1 1 0 0 1 ...: V of a tile into the stage its K did
    // not use, the next K with it, so each WAIT_FULL waits for one of them.
    std::vector<std::uint32_t> tensor_order;
    for (const Op& op : ops) {
      if (op.opcode == Opcode::kTileLoad && op.load.box.tensor != kTensorQ) {
        EXPECT_EQ(op.load.stage_base, (tensor_order.size() + 1) / 2 % 2);
        tensor_order.push_back(op.load.box.tensor);
      }
    }
    ASSERT_EQ(tensor_order.size(), 2 * tiles);
    for (std::size_t j = 0; j < tensor_order.size(); ++j)
      EXPECT_EQ(tensor_order[j], j % 2 == 0 ? kTensorK : kTensorV);
  }
}

TEST(AttentionTrace, ForwardTrafficIsEveryTileOnce) {
  const Built b = build(cases()[0]);  // no mask, MHA: each CTA reads its head's whole K and V
  const trace::TraceTotals t = trace::summarize(b.trace);
  auto bytes = [&](std::uint32_t id) {
    for (const auto& info : b.trace.tensors)
      if (info.id == id) return info.bytes;
    return std::uint64_t{0};
  };
  EXPECT_EQ(t.per_tensor.at(kTensorQ).loaded_bytes, bytes(kTensorQ));
  EXPECT_EQ(t.per_tensor.at(kTensorK).loaded_bytes, bytes(kTensorK) * 8);  // 8 row tiles
  EXPECT_EQ(t.per_tensor.at(kTensorV).loaded_bytes, bytes(kTensorV) * 8);
  EXPECT_EQ(t.per_tensor.at(kTensorO).stored_bytes, bytes(kTensorO));
  EXPECT_EQ(t.per_tensor.at(kTensorLse).stored_bytes, bytes(kTensorLse));
}

TEST(AttentionTrace, DecodeReadsEveryKeyThroughThePageTable) {
  for (const Case& c : cases()) {
    const Built b = build(c);
    if (b.problem.pass != Pass::kDecode) continue;
    SCOPED_TRACE(b.plan.to_string());
    const AttentionLayout layout(b.plan);
    const std::uint64_t page = b.problem.page_size;
    const std::uint64_t row_bytes =
        b.plan.shape.kv_heads * b.plan.shape.head_dim * std::uint64_t(dtype_bytes(b.problem.dtype));
    const trace::Kernel& k = b.trace.kernels[0];
    // Slots (physical token positions) of K each (sequence, KV head, row tile) read.
    std::map<std::tuple<std::uint64_t, std::uint64_t, std::uint64_t>, std::multiset<std::uint64_t>>
        read;
    for (std::size_t i = 0; i < k.ctas.size(); ++i) {
      const CtaWork& w = b.plan.work[i];
      for (const trace::Stream& s : k.ctas[i].streams)
        for (const Op& op : ops_of(s, k.num_stages)) {
          if (op.opcode != Opcode::kTileLoad || op.load.box.tensor != kTensorK) continue;
          const std::uint64_t first = (op.load.box.addr - layout.k.base) / row_bytes;
          EXPECT_LE(first % page + op.load.box.rows, page) << "a box crosses a page";
          for (std::uint64_t r = 0; r < op.load.box.rows; ++r)
            read[{w.batch, w.head, w.tile}].insert(first + r);
        }
    }
    for (std::uint64_t bi = 0; bi < b.problem.batch; ++bi)
      for (std::uint64_t h = 0; h < b.plan.shape.kv_heads; ++h)
        for (std::uint64_t t = 0; t < b.plan.row_tiles(bi); ++t) {
          std::multiset<std::uint64_t> expected;
          const std::uint64_t last_row = t * b.plan.bm + b.plan.rows_in_tile(bi, t) - 1;
          // Whole tiles: up to the end of the last tile the rows see.
          const std::uint64_t seen = b.plan.visible_keys(bi, last_row);
          const std::uint64_t end =
              std::min(b.problem.kv_len(bi), (seen + b.plan.bn - 1) / b.plan.bn * b.plan.bn);
          for (std::uint64_t key = 0; key < end; ++key)
            expected.insert(layout.page_table.slot(bi, key));
          EXPECT_EQ((read[{bi, h, t}]), expected) << "sequence " << bi << " head " << h;
        }
    ASSERT_EQ(b.trace.kernels.size(), b.plan.num_splits > 1 ? 2u : 1u);
    if (b.plan.num_splits > 1) {
      const trace::TraceTotals t = trace::summarize(b.trace);
      // Every split writes its partials (empty ones too), and the combine reads them all.
      EXPECT_EQ(t.per_tensor.at(kTensorOPartial).stored_bytes,
                t.per_tensor.at(kTensorOPartial).loaded_bytes);
      EXPECT_EQ(t.per_tensor.at(kTensorLsePartial).stored_bytes,
                t.per_tensor.at(kTensorLsePartial).loaded_bytes);
      EXPECT_EQ(t.per_tensor.at(kTensorO).stored_bytes,
                b.problem.total_q() * b.plan.shape.heads * b.plan.shape.head_dim_v * 2);
    }
    if (b.problem.mla) {
      EXPECT_EQ(trace::summarize(b.trace).per_tensor.count(kTensorV), 0u);
    }
  }
}

TEST(AttentionTrace, BackwardAddsDqAtomicallyOncePerTilePair) {
  for (const Case& c : cases()) {
    const Built b = build(c);
    if (b.problem.pass != Pass::kBackward) continue;
    SCOPED_TRACE(b.plan.to_string());
    ASSERT_EQ(b.trace.kernels.size(), 3u);
    const trace::Kernel& k = b.trace.kernels[1];
    for (std::size_t i = 0; i < k.ctas.size(); ++i) {
      const auto ops = ops_of(k.ctas[i].streams.back(), k.num_stages);
      std::uint64_t atomics = 0;
      for (const Op& op : ops)
        if (op.opcode == Opcode::kTileStore && op.store.atomic) {
          ++atomics;
          EXPECT_EQ(op.store.box.tensor, kTensorDqAccum);
        }
      EXPECT_EQ(atomics, b.plan.q_tiles_of(b.plan.work[i]).size());
      EXPECT_EQ(count(ops, Opcode::kMma), 5 * atomics);
    }
    const trace::TraceTotals t = trace::summarize(b.trace);
    const std::uint64_t out_e = 2;
    EXPECT_EQ(t.per_tensor.at(kTensorDq).stored_bytes,
              b.problem.total_q() * b.plan.shape.heads * b.plan.shape.head_dim * out_e);
    EXPECT_EQ(t.per_tensor.at(kTensorDk).stored_bytes,
              b.problem.total_kv() * b.plan.shape.kv_heads * b.plan.shape.head_dim * out_e);
  }
}

TEST(AttentionTrace, SameInputsGiveIdenticalBinaryTraces) {
  for (const Case& c : cases()) {
    const std::string a = trace::write_trace_binary(build(c).trace);
    const std::string b = trace::write_trace_binary(build(c).trace);
    EXPECT_EQ(a, b);
    const trace::Trace back = trace::read_trace(a, "attention.xtr");
    EXPECT_EQ(trace::write_trace_binary(back), a);
    if (a.size() < (1u << 20)) {
      EXPECT_EQ(trace::read_trace(trace::write_trace_json(back), "a.json"), back);
    }
  }
}

TEST(AttentionTrace, APlanForAnotherProblemIsRefused) {
  const Built b = build(cases()[0]);
  AttentionProblem other = b.problem;
  other.causal = true;
  EXPECT_THROW(emit_attention_trace(other, b.plan, test::h100_sxm()), UserError);
}
