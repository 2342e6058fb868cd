#include <gtest/gtest.h>

#include <cmath>

#include "tests/test_targets.hpp"
#include "workloads/attention/attention_functional.hpp"
#include "workloads/attention/attention_layout.hpp"

using namespace xpusim;
using namespace xpusim::attention;

namespace {

struct Case {
  const char* name;
  const char* problem;
  KernelTarget target;
  AttentionPlanOptions options;
};

// The functional configurations: every feature on both kernel families, small enough to run in
// seconds, with ragged tails (lengths not multiples of the tiles).
std::vector<Case> cases() {
  const KernelTarget h100 = test::h100_sxm(), a100 = test::a100_sxm_80gb();
  // A cp.async chip with CDNA3's 64 KB LDS: MLA decode needs fewer rows per CTA and per combine.
  KernelTarget lds64 = a100;
  lds64.smem_per_unit = lds64.max_smem_per_cta = 64 * 1024;
  return {
      {"mha", "batch=2,heads=2,head_dim=64,seq_q=200,seq_kv=333", h100, {}},
      {"mha_fa2", "batch=2,heads=2,head_dim=128,seq_q=200,seq_kv=333", a100, {}},
      {"causal", "batch=1,heads=3,head_dim=64,seq_q=300,seq_kv=300,causal=1", h100, {}},
      {"causal_rect_fa2",
       "batch=1,heads=2,head_dim=64,seq_q=150,seq_kv=470,causal=1",
       a100,
       {.bm = 64, .bn = 32}},
      {"gqa", "batch=2,heads=8,kv_heads=2,head_dim=64,seq_q=130,seq_kv=260,causal=1", h100, {}},
      {"mqa_fp16",
       "batch=1,heads=4,kv_heads=1,head_dim=128,seq_q=100,seq_kv=300,dtype=fp16",
       a100,
       {}},
      {"varlen",
       "heads=2,kv_heads=1,head_dim=64,seq_q=17:300:129,seq_kv=17:450:200,causal=1",
       h100,
       {.bn = 64}},
      {"fp8", "batch=1,heads=2,head_dim=128,seq_q=256,seq_kv=384,dtype=fp8", h100, {}},
      {"dv_differs", "batch=1,heads=2,head_dim=192,head_dim_v=128,seq_q=140,seq_kv=220", h100, {}},
      {"hd256", "batch=1,heads=1,head_dim=256,seq_q=150,seq_kv=250,causal=1", h100, {}},
      {"decode_split",
       "batch=3,heads=8,kv_heads=2,head_dim=128,seq_q=1,seq_kv=700:1500:90,"
       "pass=decode,page_size=16",
       h100,
       {.num_splits = 4}},
      {"decode_causal_fa2",
       "batch=2,heads=4,kv_heads=1,head_dim=64,seq_q=3,seq_kv=900:517,"
       "causal=1,pass=decode,page_size=64",
       a100,
       {.num_splits = 3}},
      {"decode_heuristic",
       "batch=1,heads=16,kv_heads=2,head_dim=128,seq_q=2,seq_kv=2000,"
       "pass=decode,page_size=32",
       h100,
       {}},
      {"mla_decode",
       "batch=2,heads=16,head_dim=128,seq_q=1,seq_kv=300:650,kv_lora_rank=512,"
       "rope_dim=64,pass=decode",
       h100,
       {.num_splits = 3}},
      {"mla_decode_64k_lds",
       "batch=2,heads=16,head_dim=128,seq_q=1,seq_kv=300:650,kv_lora_rank=512,"
       "rope_dim=64,pass=decode",
       lds64,
       {.num_splits = 3}},
      {"mla_prefill",
       "batch=1,heads=2,head_dim=128,seq_q=100,seq_kv=100,kv_lora_rank=128,"
       "rope_dim=64,causal=1",
       h100,
       {}},
      {"bwd", "batch=1,heads=2,head_dim=64,seq_q=200,seq_kv=250,pass=bwd", h100, {}},
      {"bwd_causal_gqa_fa2",
       "batch=2,heads=4,kv_heads=2,head_dim=128,seq_q=150,seq_kv=150,"
       "causal=1,pass=bwd",
       a100,
       {}},
      {"bwd_varlen_fp16",
       "heads=2,head_dim=64,seq_q=70:190,seq_kv=90:190,causal=1,pass=bwd,"
       "dtype=fp16",
       h100,
       {.bm = 32, .bn = 64}},
  };
}

AttentionCheck run(const Case& c, bool round_intermediates, AttentionPlan* plan_out = nullptr) {
  const AttentionProblem problem = parse_attention_problem(c.problem);
  const AttentionPlan plan = plan_attention(problem, c.target, c.options);
  if (plan_out) *plan_out = plan;
  AttentionCheckOptions o;
  o.round_intermediates = round_intermediates;
  return check_attention(problem, plan, o);
}

}  // namespace

TEST(AttentionFunctional, EveryConfigurationWithinItsBound) {
  ASSERT_GE(cases().size(), 12u);
  for (const Case& c : cases()) {
    AttentionPlan plan;
    const AttentionCheck check = run(c, true, &plan);
    SCOPED_TRACE(std::string(c.name) + "\n" + plan.to_string() + check.to_string());
    ASSERT_TRUE(check.computed);
    EXPECT_TRUE(check.within_bound());
    EXPECT_FALSE(check.outputs.empty());
    for (const ErrorCheck& e : check.outputs) {
      EXPECT_GT(e.max_abs_reference, 0);
      EXPECT_GT(e.max_abs_error, 0) << "an fp32 kernel should not be exact";
    }
  }
}

TEST(AttentionFunctional, Fp32IntermediatesLeaveOnlyAccumulationError) {
  // With P and dS kept in fp32 only fp32 accumulation and exp/log rounding remain. The bounds are
  // worst cases (a score may err by gamma_d * scale * sum |q||k|, which grows with d and |q|), so
  // they sit 100-1000x above the errors actually seen, yet stay well within the values: the
  // forward's ~1e-3 of max |O| (1.5e-2 for MLA's 576-wide scores), the gradients' below 1e-3 of
  // the largest gradient (their inputs O and LSE enter with their measured errors).
  for (const Case& c : cases()) {
    const AttentionCheck check = run(c, false);
    SCOPED_TRACE(std::string(c.name) + "\n" + check.to_string());
    EXPECT_TRUE(check.within_bound());
    for (const ErrorCheck& e : check.outputs) {
      const double relative = e.name[0] == 'd' ? 5e-3 : 2e-2;
      EXPECT_LT(e.max_bound, relative * e.max_abs_reference + 1e-6) << e.name;
    }
  }
}

TEST(AttentionFunctional, ATilingMistakeIsCaught) {
  // Plans that skip work the problem needs: a causal plan for a full problem (KV tiles past the
  // diagonal never visited; query tiles above it never visited by the backward), and decode
  // splits that cover half of the KV tiles.
  auto fails = [](const char* text, auto mutate) {
    const AttentionProblem p = parse_attention_problem(text);
    AttentionPlan plan = plan_attention(p, test::h100_sxm(), {.num_splits = 4});
    AttentionCheckOptions o;
    o.round_intermediates = false;
    EXPECT_TRUE(check_attention(p, plan, o).within_bound()) << text;
    mutate(plan);
    const AttentionCheck check = check_attention(p, plan, o);
    EXPECT_TRUE(check.computed);
    EXPECT_FALSE(check.within_bound()) << text << "\n" << check.to_string();
  };
  fails("batch=1,heads=1,head_dim=64,seq_q=300,seq_kv=300",
        [](AttentionPlan& p) { p.problem.causal = true; });
  fails("batch=1,heads=1,head_dim=64,seq_q=300,seq_kv=300,pass=bwd",
        [](AttentionPlan& p) { p.problem.causal = true; });
  fails("batch=1,heads=4,kv_heads=1,head_dim=64,seq_q=1,seq_kv=1000,pass=decode",
        [](AttentionPlan& p) { p.num_splits = 8; });
}

TEST(AttentionFunctional, RoundingPToTheInputTypeIsTheDominantError) {
  // The kernels feed P to the second MMA in bf16: that error (~2^-9 relative) dwarfs the fp32
  // one, and the check sees it.
  const Case c = cases()[0];
  const AttentionCheck rounded = run(c, true), fp32 = run(c, false);
  EXPECT_GT(rounded.output("O")->max_abs_error, 20 * fp32.output("O")->max_abs_error);
}

TEST(AttentionFunctional, CausalSkipsFullyMaskedTiles) {
  // 300 rows, 128x128 tiles on H100: query tile t sees KV tiles 0..t only: 1 + 2 + 3 per head.
  const Case c = cases()[2];
  const AttentionCheck check = run(c, true);
  EXPECT_EQ(check.tiles_visited, 3u * (1 + 2 + 3));
  const AttentionCheck full =
      run({"full", "batch=1,heads=3,head_dim=64,seq_q=300,seq_kv=300", test::h100_sxm(), {}}, true);
  EXPECT_EQ(full.tiles_visited, 3u * 9);
}

TEST(AttentionFunctional, MlaAbsorbedEqualsUnabsorbed) {
  // q_nope W_UK^T . c_kv = q_nope . (c_kv W_UK) and (P c_kv) W_UV = P (c_kv W_UV): the same
  // attention up to double rounding.
  for (const Case& c : cases()) {
    const AttentionProblem p = parse_attention_problem(c.problem);
    if (!p.mla) continue;
    const AttentionCheck check = run(c, true);
    SCOPED_TRACE(c.name);
    EXPECT_GE(check.mla_absorption_error, 0);
    EXPECT_LT(check.mla_absorption_error, 1e-12);
    EXPECT_TRUE(check.within_bound()) << check.to_string();
  }
}

TEST(AttentionFunctional, DecodeUsesThePageTableAndSplits) {
  const AttentionProblem p = parse_attention_problem(cases()[10].problem);
  const PageTable t = make_page_table(p);
  ASSERT_EQ(t.pages.size(), 3u);
  EXPECT_EQ(t.pages[0].size(), (700u + 15) / 16);
  EXPECT_EQ(t.total_pages(), (700u + 15) / 16 + 1500 / 16 + 1 + (90 + 15) / 16);
  // A permutation of all pages, and not the identity.
  std::vector<std::uint64_t> seen;
  bool shuffled = false;
  std::uint64_t logical = 0;
  for (const auto& seq : t.pages)
    for (std::uint64_t page : seq) {
      seen.push_back(page);
      shuffled |= page != logical++;
    }
  std::sort(seen.begin(), seen.end());
  for (std::size_t i = 0; i < seen.size(); ++i) EXPECT_EQ(seen[i], i);
  EXPECT_TRUE(shuffled);
  const AttentionPlan plan = plan_attention(p, test::h100_sxm(), {.num_splits = 4});
  EXPECT_EQ(plan.num_splits, 4u);
  // 700 keys are 6 tiles of 128 (2 per split: the fourth split is empty), 90 keys one tile (three
  // empty splits); empty splits write (0, -inf) partials. Two KV heads.
  std::uint64_t empty = 0;
  for (const CtaWork& w : plan.work) empty += plan.kv_tiles_of(w).size() == 0;
  EXPECT_EQ(empty, 2u * (1 + 3));
}

TEST(AttentionFunctional, Deterministic) {
  const Case c = cases()[6];
  const AttentionCheck a = run(c, true), b = run(c, true);
  EXPECT_EQ(a.to_string(), b.to_string());
}

TEST(AttentionFunctional, LargeProblemsAreSkippedNotComputed) {
  const AttentionProblem p = parse_attention_problem(
      "batch=2,heads=16,kv_heads=16,head_dim=128,seq_q=8192,seq_kv=8192,causal=0,pass=fwd");
  const AttentionCheck check = check_attention(p, plan_attention(p, test::h100_sxm()));
  EXPECT_FALSE(check.computed);
  EXPECT_NE(check.to_string().find("exceed"), std::string::npos);
}
