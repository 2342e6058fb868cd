// Attention traces replayed on the SystemC platform: they finish, and the throughput is plausible.
//
// FA3 consumers both RELEASE every stage; until the SM model counts one release per consuming
// stream, WAIT_EMPTY may let the producer refill a stage early. These tests only rely on what
// holds either way: the replay finishes, every MMA FLOP is executed, and the throughput stays
// below the chip's tensor peak.
#include <fmt/format.h>
#include <gtest/gtest.h>

#include "models/platform/platform.hpp"
#include "sim/config/chip_config.hpp"
#include "sim/run/workload.hpp"
#include "tests/test_support.hpp"
#include "workloads/attention/attention_trace.hpp"

using namespace xpusim;
using namespace xpusim::attention;

namespace {

config::ChipConfig chip(const std::string& name, const std::vector<std::string>& sets = {}) {
  return config::load_chip(name, xpusim::testing::config_dir(), sets);
}

struct Replay {
  AttentionPlan plan;
  run::RunReport report;
  std::uint64_t trace_mma_flops = 0;
};

Replay replay(const config::ChipConfig& c, const char* text) {
  const KernelTarget target = c.kernel_target();
  const AttentionProblem p = parse_attention_problem(text);
  Replay r;
  r.plan = plan_attention(p, target);
  run::BuiltWorkload w;
  w.trace = emit_attention_trace(p, r.plan, target);
  w.flops = p.flops();
  w.description = "attention " + p.to_string();
  w.plan = r.plan.to_string();
  r.trace_mma_flops = r.plan.executed_mma_flops();
  r.report = run::simulate(w, c);
  return r;
}

// Dense BF16 tensor peak at the clock the datasheet quotes.
double bf16_peak(const config::ChipConfig& c) {
  return c.compute.units * c.compute.tensor_flops_per_clock[static_cast<int>(DType::kBf16)] *
         c.compute.clock;
}

}  // namespace

TEST(AttentionReplay, ForwardOnH100AndA100FinishesBelowPeak) {
  for (const char* name : {"h100_sxm", "a100_sxm_80gb"}) {
    const auto c = chip(name);
    const Replay r = replay(c, "batch=2,heads=16,head_dim=128,seq_q=2048,seq_kv=2048,causal=0");
    SCOPED_TRACE(std::string(name) + "\n" + r.plan.to_string() + r.report.evidence);
    EXPECT_EQ(r.report.raw.unit_total.mma_flops, r.trace_mma_flops);
    EXPECT_EQ(r.report.ctas, r.plan.work.size());
    EXPECT_GT(r.report.latency_s, 0);
    EXPECT_LT(r.report.tflops * 1e12, bf16_peak(c));
    EXPECT_GT(r.report.tflops * 1e12, 0.4 * bf16_peak(c)) << "a large forward is compute-bound";
    EXPECT_EQ(r.report.bottleneck, "compute (tensor cores)");
  }
}

TEST(AttentionReplay, DecodeAndBackwardFinishOnBothFamilies) {
  const char* problems[] = {
      ("batch=4,heads=32,kv_heads=8,head_dim=128,seq_q=1,seq_kv=4000:8000:100:3000,pass=decode,"
       "page_size=16"),
      "batch=1,heads=8,head_dim=128,seq_q=1024,seq_kv=1024,causal=1,pass=bwd",
      "batch=1,heads=8,kv_heads=2,head_dim=64,seq_q=777,seq_kv=777,pass=bwd",
  };
  for (const char* name : {"h100_sxm", "a100_sxm_80gb"})
    for (const char* text : problems) {
      const auto c = chip(name);
      const Replay r = replay(c, text);
      SCOPED_TRACE(std::string(name) + "\n" + r.plan.to_string() + r.report.evidence);
      EXPECT_EQ(r.report.raw.unit_total.mma_flops, r.trace_mma_flops);
      EXPECT_GT(r.report.latency_s, 0);
      EXPECT_LT(r.report.tflops * 1e12, bf16_peak(c));
    }
  // Decode reads the KV cache once and does ~2 FLOPs per byte of it: bound by HBM.
  const auto h100 = chip("h100_sxm");
  const Replay decode = replay(h100, problems[0]);
  EXPECT_EQ(decode.report.bottleneck, "HBM bandwidth") << decode.report.evidence;
}

// GQA decode (8 query heads per KV head, one token) does 4 FLOPs per KV byte per query head:
// far below every Hopper part's FLOP/byte, once the 8 rows are computed in 16-row mma.sync
// fragments instead of 64-row wgmma ones (H20's quarter-rate tensor path was the bottleneck
// with those). So the three chips' decode times follow their HBM bandwidths (chips.md: 3.35,
// 4.0 and 4.8 TB/s). Tolerance 7%: the fixed launch overhead, the combine kernel and per-chip
// HBM efficiency pull the ratios by a few percent.
TEST(AttentionReplay, HopperDecodeTimesFollowHbmBandwidth) {
  const char* text = "batch=8,heads=64,kv_heads=8,head_dim=128,seq_q=1,seq_kv=8192,pass=decode";
  const struct {
    const char* chip;
    double tb_per_s;
  } parts[] = {{"h100_sxm", 3.35}, {"h20", 4.0}, {"h200_sxm", 4.8}};
  double h100_latency = 0;
  for (const auto& part : parts) {
    const Replay r = replay(chip(part.chip), text);
    SCOPED_TRACE(std::string(part.chip) + "\n" + r.plan.to_string() + r.report.evidence);
    EXPECT_EQ(r.report.bottleneck, "HBM bandwidth");
    if (h100_latency == 0) h100_latency = r.report.latency_s;
    const double expected = 3.35 / part.tb_per_s;  // time relative to H100
    EXPECT_NEAR(r.report.latency_s / h100_latency, expected, 0.07 * expected);
  }
}

TEST(AttentionReplay, MlaDecodeOnH100) {
  const auto h100 = chip("h100_sxm");
  const Replay r = replay(h100,
                          "batch=16,heads=128,head_dim=128,seq_q=1,seq_kv=4096,kv_lora_rank=512,"
                          "rope_dim=64,pass=decode");
  EXPECT_EQ(r.report.raw.unit_total.mma_flops, r.trace_mma_flops);
  EXPECT_LT(r.report.tflops * 1e12, bf16_peak(h100));
}

TEST(AttentionReplay, MlaDecodeFitsMi300xLdsAndIsHbmBound) {
  // DeepSeek-R1 decode per TP8 rank: 16 heads over one 576-wide latent. A 64-row Q tile alone
  // (64 x 576 x 2 B = 72 KB) overflows the 64 KB LDS, so the planner takes fewer rows per CTA.
  const auto mi300x = chip("mi300x");
  const Replay r = replay(mi300x,
                          "batch=64,heads=16,head_dim=128,seq_q=1,seq_kv=2048,kv_lora_rank=512,"
                          "rope_dim=64,pass=decode,page_size=64");
  SCOPED_TRACE(r.plan.to_string() + r.report.evidence);
  EXPECT_LE(r.plan.smem_bytes_per_cta, 64u * 1024);
  EXPECT_LE(r.plan.combine_smem_bytes(), 64u * 1024);
  EXPECT_LT(r.plan.bm, 64u);
  EXPECT_EQ(r.report.raw.unit_total.mma_flops, r.trace_mma_flops);
  EXPECT_EQ(r.report.bottleneck, "HBM bandwidth");
  // The latent cache, 64 x 2048 x 576 x 2 B = 151 MB, cannot stream faster than 5.3 TB/s.
  const double latent_bytes = 64.0 * 2048 * 576 * 2;
  EXPECT_GT(r.report.latency_s - r.report.launch_s, latent_bytes / 5.3e12);
}

TEST(AttentionReplay, SmallHeadDimsAreBoundByTheExpUnit) {
  // Per 128x128 tile an FA3 CTA does 2*2*128*128*d MMA FLOPs but 128*128 exps whatever d: at
  // d = 64 the SFU (16 exp/clk/SM on H100, 1024 clocks a tile) is as busy as the tensor cores
  // (4096 FLOP/clk/SM, 1024 clocks), at d = 128 half as busy, so d = 64 runs slower per FLOP
  // (with the fitted tensor_latency it is bound by the exp's dependency chain, not by the SFU's
  // rate). With a 4x slower SFU both are exp-bound and d = 64, with twice the exps per FLOP,
  // reaches about half the throughput of d = 128.
  const char* hd64 = "batch=2,heads=32,head_dim=64,seq_q=2048,seq_kv=2048";
  const char* hd128 = "batch=2,heads=16,head_dim=128,seq_q=2048,seq_kv=2048";
  const auto h100 = chip("h100_sxm");
  const Replay small = replay(h100, hd64), large = replay(h100, hd128);
  const auto sfu_per_tensor = [](const Replay& r) {
    return r.report.utilisation_of("sfu") / r.report.utilisation_of("tensor");
  };
  EXPECT_NEAR(sfu_per_tensor(small), 1.0, 0.05) << small.report.evidence;
  EXPECT_NEAR(sfu_per_tensor(large), 0.5, 0.05) << large.report.evidence;
  EXPECT_LT(small.report.tflops, 0.9 * large.report.tflops);
  const auto slow_exp = chip("h100_sxm", {"compute.sfu_ops_per_clock=4"});
  const Replay slow_small = replay(slow_exp, hd64), slow_large = replay(slow_exp, hd128);
  EXPECT_EQ(slow_small.report.bottleneck, "SFU (exp/softmax)");
  EXPECT_EQ(slow_large.report.bottleneck, "SFU (exp/softmax)");
  EXPECT_NEAR(slow_small.report.tflops / slow_large.report.tflops, 0.5, 0.05);
}

namespace {
// One CTA, one stream: the given ops, on a Hopper chip with the given MMA result latency.
Picos replay_ops(const std::vector<trace::Op>& ops, double latency_cycles) {
  const auto c = chip("h100_sxm", {fmt::format("compute.tensor_latency={}", latency_cycles)});
  trace::Trace t;
  t.family = c.family;
  t.recorded_for = c.name;
  trace::Kernel& k = t.kernels.emplace_back();
  k.name = "latency_probe";
  k.threads_per_cta = 128;
  k.registers_per_thread = 32;
  k.ctas.emplace_back().streams.push_back(ops);
  platform::Platform p(c);
  return p.run(t).total;
}
}  // namespace

// The exponentials of the softmax read S from the MMA accumulator, so they start only
// `tensor_latency` cycles after the MMA leaves the pipe; an MMA chained behind it does not wait.
TEST(AttentionReplay, ExpWaitsForTheMmaResultButAChainedMmaDoesNot) {
  const double cycle_s = 1.0 / chip("h100_sxm").compute.sustained_clock;
  const trace::Op s = trace::Mma{64, 128, 128, DType::kBf16};  // 512 cycles on 4096 FLOP/clk
  const trace::Op exp = trace::SfuWork{64 * 128};              // 512 cycles at 16 per clock
  const double delta_exp = picos_to_seconds(replay_ops({s, exp}, 400) - replay_ops({s, exp}, 0));
  EXPECT_NEAR(delta_exp / cycle_s, 400, 1);  // rounding to whole picoseconds
  EXPECT_EQ(replay_ops({s, s}, 400), replay_ops({s, s}, 0));
}
