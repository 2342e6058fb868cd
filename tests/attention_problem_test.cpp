#include <gtest/gtest.h>

#include <fstream>
#include <sstream>

#include "sim/common/error.hpp"
#include "tests/test_support.hpp"
#include "tests/test_targets.hpp"
#include "workloads/attention/attention_plan.hpp"

using namespace xpusim;
using namespace xpusim::attention;

TEST(AttentionProblem, ParsesTheMeasuredRowsWithTheirFlopCount) {
  // Every attention row of reference/measured.csv parses (';' separators), and its FLOPs are the
  // FA papers' 4 * batch * heads * seq_q * seq_kv * head_dim.
  const auto path = xpusim::testing::shared_dir() / "reference" / "measured.csv";
  if (!std::filesystem::exists(path))
    GTEST_SKIP() << path << " not found (shared/ is not beside the checkout)";
  std::ifstream csv(path);
  ASSERT_TRUE(csv) << path;
  std::string line;
  int rows = 0;
  while (std::getline(csv, line)) {
    std::vector<std::string> f;
    std::stringstream ss(line);
    for (std::string cell; std::getline(ss, cell, ',');) f.push_back(cell);
    if (f.size() < 6 || f[3] != "attention") continue;
    const AttentionProblem p = parse_attention_problem(f[5]);
    SCOPED_TRACE(f[5]);
    const double expected = 4.0 * p.batch * p.heads * p.seqlens_q[0] * p.seqlens_kv[0] * p.head_dim;
    EXPECT_EQ(p.flops(), expected);
    EXPECT_FALSE(p.causal);
    EXPECT_EQ(p.pass, Pass::kForward);
    ++rows;
  }
  EXPECT_GE(rows, 6);
}

TEST(AttentionProblem, CommaOrSemicolonAndDefaults) {
  const AttentionProblem a = parse_attention_problem(
      "batch=2,heads=16,kv_heads=16,head_dim=128,seq_q=8192,seq_kv=8192,causal=0,pass=fwd");
  const AttentionProblem b =
      parse_attention_problem(" batch = 2 ; heads=16;head_dim=128; seq_q=8192;seq_kv=8192; ");
  EXPECT_EQ(a, b);
  EXPECT_EQ(b.kv_heads, 16u);
  EXPECT_EQ(b.head_dim_v, 128u);
  EXPECT_EQ(b.dtype, DType::kBf16);
  EXPECT_EQ(b.page_size, 0u);
  EXPECT_EQ(b.seqlens_q, std::vector<std::uint64_t>(2, 8192));
  const AttentionProblem d = parse_attention_problem(
      "batch=1,heads=8,kv_heads=1,head_dim=64,seq_q=1,seq_kv=100,pass=decode,dtype=fp8");
  EXPECT_EQ(d.page_size, kDefaultPageSize);
  EXPECT_EQ(d.kernel_shape().group(), 8u);
  EXPECT_EQ(d.output_dtype(), DType::kBf16);
}

TEST(AttentionProblem, VarlenListsGiveTheBatch) {
  const AttentionProblem p =
      parse_attention_problem("heads=2,head_dim=64,seq_q=3:5:7,seq_kv=100,causal=1");
  EXPECT_EQ(p.batch, 3u);
  EXPECT_EQ(p.seqlens_kv, std::vector<std::uint64_t>(3, 100));
  EXPECT_TRUE(p.varlen());
  EXPECT_EQ(p.q_offset(2), 8u);
  EXPECT_EQ(p.total_q(), 15u);
  EXPECT_EQ(p.kv_offset(1), 100u);
  EXPECT_THROW(parse_attention_problem("batch=2,heads=2,head_dim=64,seq_q=3:5:7,seq_kv=9"),
               UserError);
}

TEST(AttentionProblem, CausalCountsTheUnmaskedPairsExactly) {
  // Bottom-right aligned mask: row i of q queries against kv keys sees kv - q + i + 1 keys.
  for (const char* text : {"batch=1,heads=1,head_dim=64,seq_q=300,seq_kv=300,causal=1",
                           "heads=3,head_dim=64,seq_q=1:77:200,seq_kv=5:100:1000,causal=1"}) {
    const AttentionProblem p = parse_attention_problem(text);
    double pairs = 0;
    for (std::uint64_t b = 0; b < p.batch; ++b)
      for (std::uint64_t i = 0; i < p.q_len(b); ++i) {
        const std::uint64_t seen = p.visible_keys(b, i);
        EXPECT_EQ(seen, p.kv_len(b) - p.q_len(b) + i + 1);
        pairs += double(seen);
      }
    EXPECT_EQ(p.flops(), 4.0 * p.heads * pairs * 64);
  }
  const AttentionProblem square =
      parse_attention_problem("batch=1,heads=1,head_dim=128,seq_q=1000,seq_kv=1000,causal=1");
  EXPECT_EQ(square.pairs(0), 1000.0 * 1001 / 2);
}

TEST(AttentionProblem, BackwardIsTwoAndAHalfForwards) {
  AttentionProblem p = parse_attention_problem("batch=2,heads=4,head_dim=128,seq_q=512,seq_kv=512");
  const double fwd = p.flops();
  p.pass = Pass::kBackward;
  EXPECT_DOUBLE_EQ(p.flops(), 2.5 * fwd);
  // With d_v != d_qk: S, dP, dV, dK, dQ = 2 * pairs * (3 d + 2 d_v).
  const AttentionProblem q = parse_attention_problem(
      "batch=1,heads=1,head_dim=192,head_dim_v=128,seq_q=10,seq_kv=10,pass=bwd");
  EXPECT_DOUBLE_EQ(q.flops(), 2.0 * 100 * (3 * 192 + 2 * 128));
}

TEST(AttentionProblem, MlaKernelShapes) {
  const AttentionProblem decode = parse_attention_problem(
      "batch=4,heads=128,head_dim=128,seq_q=1,seq_kv=4096,kv_lora_rank=512,rope_dim=64,"
      "pass=decode");
  const KernelShape s = decode.kernel_shape();
  EXPECT_EQ(s.kv_heads, 1u);
  EXPECT_EQ(s.head_dim, 576u);
  EXPECT_EQ(s.head_dim_v, 512u);
  EXPECT_DOUBLE_EQ(decode.softmax_scale(), 1 / std::sqrt(192.0));
  EXPECT_DOUBLE_EQ(decode.flops(), 2.0 * 4 * 128 * 4096 * (576 + 512));
  AttentionProblem prefill = decode;
  prefill.pass = Pass::kForward;
  prefill.page_size = 0;
  EXPECT_EQ(prefill.kernel_shape().head_dim, 192u);
  EXPECT_EQ(prefill.kernel_shape().kv_heads, 128u);
}

TEST(AttentionProblem, ErrorsNameTheKey) {
  const std::pair<const char*, const char*> bad[] = {
      {"batch=1,heads=2,head_dim=64,seq_q=8,seq_kv=8,colour=red", "unknown key 'colour'"},
      {"batch=1,heads=2,head_dim=64,seq_q=8", "missing key 'seq_kv'"},
      {"heads=2,head_dim=64,seq_q=8,seq_kv=8", "missing key 'batch'"},
      {"batch=1,heads=2,head_dim=64,seq_q=0,seq_kv=8", "seq_q=0: must be at least 1"},
      {"batch=1,heads=-2,head_dim=64,seq_q=8,seq_kv=8", "heads=-2: is negative"},
      {"batch=1,heads=2,head_dim=6x,seq_q=8,seq_kv=8", "head_dim=6x: is not a whole number"},
      {"batch=1,heads=6,kv_heads=4,head_dim=64,seq_q=8,seq_kv=8", "not a multiple of kv_heads"},
      {"batch=1,batch=2,heads=2,head_dim=64,seq_q=8,seq_kv=8", "'batch' is given twice"},
      {"batch=1,heads=2,head_dim=60,seq_q=8,seq_kv=8", "multiples of 8"},
      {"batch=1,heads=2,head_dim=512,seq_q=8,seq_kv=8", "stop at 256"},
      {"batch=1,heads=2,head_dim=64,seq_q=9,seq_kv=8,causal=1", "seq_q 9 > seq_kv 8"},
      {"batch=1,heads=2,head_dim=64,seq_q=8,seq_kv=8,causal=maybe", "causal=maybe"},
      {"batch=1,heads=2,head_dim=64,seq_q=8,seq_kv=8,pass=sideways", "pass=sideways"},
      {"batch=1,heads=2,head_dim=64,seq_q=8,seq_kv=8,dtype=fp32", "dtype=fp32"},
      {"batch=1,heads=2,head_dim=64,seq_q=8,seq_kv=8,pass=bwd,dtype=fp8", "no FP8 backward"},
      {"batch=1,heads=2,head_dim=64,seq_q=8,seq_kv=8,page_size=16", "page_size applies"},
      {"batch=1,heads=2,head_dim=64,seq_q=1,seq_kv=8,kv_lora_rank=512", "missing key 'rope_dim'"},
      {"batch=1,heads=4,kv_heads=1,head_dim=64,seq_q=1,seq_kv=8,kv_lora_rank=512,rope_dim=64",
       "kv_heads=1: MLA"},
      {"batch=1,heads=2,head_dim=64,seq_q=8,seq_kv=8,oops", "'oops' is not key=value"},
  };
  for (const auto& [text, expected] : bad) {
    try {
      parse_attention_problem(text);
      ADD_FAILURE() << "no error for " << text;
    } catch (const UserError& e) {
      const std::string message = e.what();
      EXPECT_NE(message.find(expected), std::string::npos) << message;
      EXPECT_NE(message.find(text), std::string::npos) << "the message quotes the text";
    }
  }
}

TEST(AttentionPlan, HopperUsesFa3TilesWithTwoConsumers) {
  const AttentionProblem p =
      parse_attention_problem("batch=2,heads=16,head_dim=128,seq_q=8192,seq_kv=8192");
  const AttentionPlan plan = plan_attention(p, test::h100_sxm());
  EXPECT_EQ(plan.kernel, AttentionKernel::kFa3WarpSpecialized);
  EXPECT_EQ(plan.bm, 128u);
  EXPECT_EQ(plan.bn, 128u);
  EXPECT_EQ(plan.consumers, 2u);
  EXPECT_EQ(plan.stages, 2u);
  EXPECT_EQ(plan.threads_per_cta, 384u);
  EXPECT_EQ(plan.work.size(), 2u * 16 * 64);  // batch * heads * ceil(seq_q / BM)
  EXPECT_LE(plan.smem_bytes_per_cta, test::h100_sxm().max_smem_per_cta);
  EXPECT_LE(plan.threads_per_cta * plan.registers_per_thread, 65536u);
  EXPECT_EQ(plan.ctas_per_unit, 1u);
  EXPECT_EQ(double(plan.executed_mma_flops()), p.flops());
  EXPECT_NE(plan.to_string().find("FA3"), std::string::npos);
  // d = 256: FA3 narrows the KV tile to 80 keys so that Q and two (K, V) stages fit.
  const AttentionPlan wide =
      plan_attention(parse_attention_problem("batch=1,heads=1,head_dim=256,seq_q=512,seq_kv=512"),
                     test::h100_sxm());
  EXPECT_EQ(wide.bn, 80u);
  EXPECT_LE(wide.smem_bytes_per_cta, test::h100_sxm().max_smem_per_cta);
}

TEST(AttentionPlan, AmpereUsesFa2Tiles) {
  const KernelTarget a100 = test::a100_sxm_80gb();
  const AttentionPlan hd128 = plan_attention(
      parse_attention_problem("batch=1,heads=4,head_dim=128,seq_q=1000,seq_kv=1000"), a100);
  EXPECT_EQ(hd128.kernel, AttentionKernel::kFa2SingleStream);
  EXPECT_EQ(hd128.bm, 128u);
  EXPECT_EQ(hd128.bn, 64u);
  EXPECT_EQ(hd128.consumers, 1u);
  EXPECT_EQ(hd128.threads_per_cta, 128u);
  EXPECT_EQ(hd128.work.size(), 4u * 8);
  // FA2 keeps Q, one K and one V buffer: 32 + 16 + 16 KiB.
  EXPECT_EQ(hd128.smem_bytes_per_cta, 64u * 1024);
  const AttentionPlan hd64 = plan_attention(
      parse_attention_problem("batch=1,heads=4,head_dim=64,seq_q=1000,seq_kv=1000"), a100);
  EXPECT_EQ(hd64.bn, 128u);
  EXPECT_THROW(plan_attention(parse_attention_problem(
                                  "batch=1,heads=4,head_dim=64,seq_q=10,seq_kv=10,dtype=fp8"),
                              a100),
               UserError);
}

TEST(AttentionPlan, CausalFa3LaunchesLongestTilesFirst) {
  const AttentionProblem p =
      parse_attention_problem("batch=1,heads=2,head_dim=128,seq_q=1024,seq_kv=1024,causal=1");
  const AttentionPlan plan = plan_attention(p, test::h100_sxm());
  ASSERT_EQ(plan.work.size(), 16u);
  EXPECT_EQ(plan.work[0].tile, 7u);
  EXPECT_EQ(plan.kv_tiles_of(plan.work[0]).size(), 8u);
  EXPECT_EQ(plan.kv_tiles_of(plan.work[7]).size(), 1u);
  // Diagonal tiles are executed in full: more MMA work than the useful FLOPs, by the masked
  // half of the 16 diagonal 128x128 tiles (minus their diagonals).
  const double masked_pairs = 16 * (128.0 * 127 / 2);
  EXPECT_EQ(double(plan.executed_mma_flops()), p.flops() + 4 * 128 * masked_pairs);
}

// Every CTA is listed (plan and trace), so the count is bounded: 2^22. A fuzzer's 2.6 M heads (132
// M CTAs) once asked for a 4.2 GB allocation; a 2 M-CTA prefill still plans, in launch order with
// every logical id once.
TEST(AttentionPlan, CtaCountIsBoundedWithAClearError) {
  try {
    plan_attention(parse_attention_problem(
                       "batch=1,heads=2652306,head_dim=128,seq_q=6370,seq_kv=8192,causal=1"),
                   test::h100_sxm());
    FAIL() << "expected a UserError";
  } catch (const xpusim::UserError& e) {
    EXPECT_NE(std::string(e.what()).find("at most 4194304"), std::string::npos) << e.what();
    EXPECT_NE(std::string(e.what()).find("heads"), std::string::npos) << e.what();
  }
  const AttentionPlan big = plan_attention(
      parse_attention_problem("batch=1,heads=32768,head_dim=128,seq_q=8192,seq_kv=8192"),
      test::h100_sxm());
  ASSERT_EQ(big.work.size(), 32768u * (8192 / big.bm));
  std::vector<bool> seen(big.work.size());
  for (std::size_t i = 0; i < big.work.size(); ++i) {
    const CtaWork& w = big.work[i];
    ASSERT_LT(w.id, seen.size());
    EXPECT_FALSE(seen[w.id]);
    seen[w.id] = true;
    // FA3 launch order: (head, tile) with tiles fastest; ids count the same way here.
    EXPECT_EQ(w.id, i);
    EXPECT_EQ(w.head, i / (8192 / big.bm));
  }
}

TEST(AttentionPlan, DecodeSplitsOnlyWhenTheGridIsSmall) {
  const KernelTarget h100 = test::h100_sxm();
  // 4 sequences x 8 KV heads = 32 CTAs for 132 SMs: split the 32K keys.
  const AttentionPlan few = plan_attention(
      parse_attention_problem("batch=4,heads=64,kv_heads=8,head_dim=128,seq_q=1,seq_kv=32768,"
                              "pass=decode,page_size=16"),
      h100);
  EXPECT_GT(few.num_splits, 1u);
  EXPECT_EQ(few.work.size(), 32u * few.num_splits);
  EXPECT_EQ(few.bm, 64u);
  // 128 sequences x 8 KV heads fill the chip: no split.
  const AttentionPlan many = plan_attention(
      parse_attention_problem("batch=128,heads=64,kv_heads=8,head_dim=128,seq_q=1,seq_kv=4096,"
                              "pass=decode"),
      h100);
  EXPECT_EQ(many.num_splits, 1u);
  // MLA: 128 heads of one sequence pack into two 64-row tiles; V's 512 columns split between two
  // consumers (FlashMLA).
  const AttentionPlan mla =
      plan_attention(parse_attention_problem("batch=2,heads=128,head_dim=128,seq_q=1,seq_kv=8192,"
                                             "kv_lora_rank=512,rope_dim=64,pass=decode"),
                     h100);
  EXPECT_EQ(mla.row_tiles(0), 2u);
  EXPECT_TRUE(mla.consumers_split_v);
  EXPECT_EQ(mla.consumers, 2u);
  EXPECT_EQ(mla.bn, 64u);
  EXPECT_LE(mla.smem_bytes_per_cta, h100.max_smem_per_cta);
}

TEST(AttentionPlan, BackwardTiles) {
  const AttentionPlan plan = plan_attention(
      parse_attention_problem("batch=1,heads=2,head_dim=128,seq_q=1000,seq_kv=700,pass=bwd"),
      test::a100_sxm_80gb());
  EXPECT_EQ(plan.bm, 64u);
  EXPECT_EQ(plan.bn, 128u);
  EXPECT_EQ(plan.work.size(), 2u * 6);  // one CTA per KV tile
  EXPECT_EQ(plan.q_tiles_of(plan.work[0]).size(), 16u);
  EXPECT_LE(plan.smem_bytes_per_cta, test::a100_sxm_80gb().max_smem_per_cta);
  EXPECT_EQ(double(plan.executed_mma_flops()), plan.problem.flops());
}
