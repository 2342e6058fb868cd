// LLM workloads: parameter and memory arithmetic against hand counts, the lowering's FLOPs,
// decode's bandwidth-bound ratios, errors with file:line, and compare's determinism.
#include <gtest/gtest.h>

#include <fmt/format.h>

#include <nlohmann/json.hpp>

#include "sim/common/error.hpp"
#include "sim/config/chip_config.hpp"
#include "sim/llm/compare.hpp"
#include "sim/llm/lowering.hpp"
#include "sim/llm/memory_fit.hpp"
#include "test_support.hpp"

namespace xpusim::llm {
namespace {

using xpusim::testing::config_dir;

std::filesystem::path zoo() {
  return workloads_dir(config_dir()) / "models";
}

LlmWorkload workload(const std::string& model, Phase phase, std::uint64_t batch,
                     std::uint64_t context, DType dtype, int tp = 1) {
  LlmWorkload w;
  w.name = "test";
  w.model = load_model(model, zoo());
  w.phase = phase;
  w.batch = batch;
  w.context = context;
  w.input_len = context;
  w.output_len = 16;
  w.weight_dtype = w.kv_dtype = dtype;
  w.activation_dtype = DType::kBf16;
  w.parallel.tp = tp;
  check_workload(w);
  return w;
}

// Hand counts from the published configs: per layer q + k + v + o + gate/up/down + 2 norms.
TEST(LlmModels, ParameterCountsMatchHandCounts) {
  // Llama-2-70B: 8192^2 (q) + 2 x 8192 x 1024 (k, v) + 8192^2 (o) + 3 x 8192 x 28672 + 2 x 8192
  // = 855,654,400 per layer; x 80 + 2 x 32000 x 8192 (embedding, head) + 8192 (final norm).
  EXPECT_DOUBLE_EQ(load_model("llama2-70b", zoo()).total_params(), 68976648192.0);
  // Llama-2-7B: 4 x 4096^2 + 3 x 4096 x 11008 + 2 x 4096 per layer, x 32, + 2 x 32000 x 4096.
  EXPECT_DOUBLE_EQ(load_model("llama2-7b", zoo()).total_params(), 6738415616.0);
  // Llama-3-70B: the Llama-2-70B layers with a 128256-token vocabulary (70.6B published).
  EXPECT_DOUBLE_EQ(load_model("llama3-70b", zoo()).total_params(),
                   68452352000.0 + 2.0 * 128256 * 8192 + 8192);
  // Published totals, to 1%: Llama-3.1-405B 405.9B, Qwen2.5-72B 72.7B, DeepSeek-V3 671B with
  // 37B activated per token.
  EXPECT_NEAR(load_model("llama3-405b", zoo()).total_params() / 1e9, 405.9, 4);
  EXPECT_NEAR(load_model("qwen2.5-72b", zoo()).total_params() / 1e9, 72.7, 0.7);
  const ModelConfig ds = load_model("deepseek-v3", zoo());
  EXPECT_NEAR(ds.total_params() / 1e9, 671, 6.7);
  EXPECT_NEAR(ds.active_params() / 1e9, 37, 1.5);
  EXPECT_EQ(load_model("deepseek-r1", zoo()).total_params(), ds.total_params());
  EXPECT_EQ(ds.moe_layers(), 58u);
}

TEST(LlmMemory, WeightsAndKvCacheAreTheHandFigures) {
  const auto chip = config::load_chip("h100_sxm", config_dir());
  // Llama-2-70B in FP8 on 8 chips: 68.98 GB of weights, 8.62 GB each.
  LlmWorkload w = workload("llama2-70b", Phase::kDecode, 1, 4096, DType::kFp8, 8);
  MemoryFit f = memory_fit(w, chip, DType::kFp8);
  EXPECT_NEAR(f.weights_bytes * 8, 68976648192.0, 1);
  // KV per token: 80 layers x 2 (K, V) x 8 heads x 128 x 1 byte = 163,840 B; 4096 tokens; the 8
  // KV heads split over 8 chips.
  EXPECT_NEAR(f.kv_cache_bytes, 4096.0 * 163840 / 8, 1);
  EXPECT_EQ(f.capacity_bytes, 80e9);
  // At TP1 a 4096-token sequence holds 671 MB of FP8 KV; the 69 GB of weights leave 11 GB, so
  // about 16 such sequences fit (fewer once activations are counted).
  w.parallel.tp = 1;
  const std::uint64_t b = max_batch(w, chip, DType::kFp8);
  EXPECT_GT(b, 8u);
  EXPECT_LE(b, 16u);
  w.batch = b;
  EXPECT_TRUE(memory_fit(w, chip, DType::kFp8).fits);
  w.batch = b + 1;
  EXPECT_FALSE(memory_fit(w, chip, DType::kFp8).fits);
}

TEST(LlmLowering, DecodeFlopsAreTwicePerParameterPlusAttention) {
  const LlmWorkload w = workload("llama2-70b", Phase::kDecode, 1, 1000, DType::kBf16);
  const PassShape s{1, 1, 1001, false, true};
  const Lowered low = lower_forward(w, s, DType::kBf16, DType::kBf16);
  // Matrix products: every weight but the input embedding (a gather) and the norms, 2 FLOPs
  // each; attention: 64 heads x 1001 keys x 2 x (128 + 128) per layer.
  const double matmul_params = 68976648192.0 - 32000.0 * 8192 - (80 * 2 + 1) * 8192.0;
  const double attention = 80.0 * 64 * 1001 * 2 * (128 + 128);
  EXPECT_NEAR(low.flops, 2 * matmul_params + attention, 1);
  int gemms = 0, collectives = 0;
  for (const Op& op : low.ops) {
    gemms += op.kind == Op::Kind::kGemm;
    collectives += op.kind == Op::Kind::kCollective;
  }
  EXPECT_EQ(gemms, 5);  // qkv, o, gate_up, down, lm_head
  EXPECT_EQ(collectives, 0);
  // TP8: two all-reduces per layer of batch x 8192 bf16 values; FLOPs per chip an eighth.
  LlmWorkload w8 = w;
  w8.parallel.tp = 8;
  const Lowered low8 = lower_forward(w8, s, DType::kBf16, DType::kBf16);
  double reduces = 0;
  for (const Op& op : low8.ops)
    if (op.kind == Op::Kind::kCollective) {
      EXPECT_EQ(op.collective_bytes, 8192u * 2);
      reduces += op.count;
    }
  EXPECT_EQ(reduces, 160);
  EXPECT_NEAR(low8.flops * 8, low.flops, low.flops * 1e-3);
}

TEST(LlmLowering, MoeDecodeUsesTheActiveExpertsAndAllToAll) {
  LlmWorkload w = workload("deepseek-v3", Phase::kDecode, 256, 2048, DType::kFp8, 8);
  w.parallel.ep = 8;
  w.kv_dtype = DType::kBf16;
  check_workload(w);
  const Lowered low = lower_forward(w, {256, 1, 2049, false, true}, DType::kFp8, DType::kBf16);
  int all_to_all = 0;
  for (const Op& op : low.ops)
    all_to_all +=
        op.collective == collective::CollectiveOp::kAllToAll && op.kind == Op::Kind::kCollective;
  EXPECT_EQ(all_to_all, 2);  // dispatch and combine
  // Per token, the expert GEMMs do 2 x (8 routed + 1 shared) x 3 x 7168 x 2048 FLOPs per MoE
  // layer; over the 8 chips the expert FLOPs equal that (uniform routing, no padding here:
  // 256 x 8 / 256 = 8 tokens per expert).
  double expert = 0;
  for (const Op& op : low.ops)
    if (op.name.starts_with("expert_") || op.name.starts_with("shared_"))
      expert += op.count * op.flops();
  EXPECT_NEAR(expert * 8, 256.0 * 58 * 2 * 9 * 3 * 7168 * 2048,
              256.0 * 58 * 2 * 9 * 3 * 7168 * 2048 * 0.01);
}

TEST(LlmEstimate, SmallBatchDecodeFollowsMemoryBandwidth) {
  // Llama-2-13B bf16, batch 1: every step streams 26 GB of weights; H200 (4.8 TB/s) and H20
  // (4.0 TB/s) against H100 (3.35 TB/s) gain at most their bandwidth ratios, 1.43 and 1.19.
  const LlmWorkload w = workload("llama2-13b", Phase::kDecode, 1, 1024, DType::kBf16);
  auto tps = [&](const char* chip) {
    return evaluate_on(w, config::load_chip(chip, config_dir()), "", config_dir(), false)
        .tokens_per_s;
  };
  const double h100 = tps("h100_sxm"), h200 = tps("h200_sxm"), h20 = tps("h20");
  EXPECT_GT(h200 / h100, 1.2);
  EXPECT_LT(h200 / h100, 4.8 / 3.35 + 0.01);
  EXPECT_GT(h20 / h100, 1.05);
  EXPECT_LT(h20 / h100, 4.0 / 3.35 + 0.01);
  // Bandwidth-bound: 26 GB per step cannot take less than 26 GB / 3.35 TB/s on H100.
  EXPECT_LT(h100, 3.35e12 / (13.0158e9 * 2));
}

TEST(LlmEstimate, WorkloadThatDoesNotFitSaysByHowMuch) {
  const LlmWorkload w = workload("llama3-405b", Phase::kDecode, 1, 1024, DType::kBf16);
  try {
    evaluate_on(w, config::load_chip("h100_sxm", config_dir()), "", config_dir(), false);
    FAIL() << "405B in bf16 on one 80 GB chip fitted";
  } catch (const UserError& e) {
    const std::string m = e.what();
    EXPECT_NE(m.find("does not fit"), std::string::npos) << m;
    EXPECT_NE(m.find("GB over"), std::string::npos) << m;
    EXPECT_NE(m.find("not even batch 1"), std::string::npos) << m;
  }
}

TEST(LlmConfig, UnknownModelAndBadKeyNameTheFileAndLine) {
  try {
    load_model("llama2-70", zoo());
    FAIL();
  } catch (const UserError& e) {
    EXPECT_NE(std::string(e.what()).find("did you mean 'llama2-70b'"), std::string::npos)
        << e.what();
  }
  xpusim::testing::TempDir dir;
  const auto file = dir.write("mine.yaml",
                              "name: mine\ndisplay_name: Mine\nhidden_size: 512\n"
                              "intermediate_sise: 1024\nlayers: 2\nheads: 8\nkv_heads: 8\n"
                              "head_dim: 64\nvocab_size: 1000\nmax_context: 2048\n");
  try {
    load_model(file.string(), zoo());
    FAIL();
  } catch (const UserError& e) {
    const std::string m = e.what();
    EXPECT_NE(m.find("mine.yaml:4"), std::string::npos) << m;
    EXPECT_NE(m.find("intermediate_sise"), std::string::npos) << m;
  }
  const auto bad_heads = dir.write("odd.yaml",
                                   "name: odd\ndisplay_name: Odd\nhidden_size: 512\n"
                                   "intermediate_size: 1024\nlayers: 2\nheads: 8\nkv_heads: 3\n"
                                   "head_dim: 64\nvocab_size: 1000\nmax_context: 2048\n");
  try {
    load_model(bad_heads.string(), zoo());
    FAIL();
  } catch (const UserError& e) {
    EXPECT_NE(std::string(e.what()).find("odd.yaml:7"), std::string::npos) << e.what();
  }
}

TEST(LlmCompare, JsonIsDeterministicAndHasTheDocumentedFields) {
  xpusim::testing::TempDir dir;
  const auto wl = dir.write("small.yaml",
                            "name: small\nmodel: llama2-7b\nphase: decode\nbatch: 4\n"
                            "context: 512\nparallel:\n  tp: 2\n");
  const std::string args =
      "compare --chips h100_sxm,h20 --workload " + wl.string() + " --format json";
  const auto a = xpusim::testing::run_cli(args + " --jobs 1");
  const auto b = xpusim::testing::run_cli(args + " --jobs 2");
  ASSERT_EQ(a.status, 0) << a.err;
  EXPECT_EQ(a.out, b.out);
  const auto j = nlohmann::json::parse(a.out);
  EXPECT_EQ(j["workload"]["model"], "llama2-7b");
  ASSERT_EQ(j["rows"].size(), 2u);
  EXPECT_DOUBLE_EQ(j["rows"][0]["ratio_to_first"].get<double>(), 1.0);
  for (const auto& row : j["rows"]) {
    for (const char* k : {"chip", "system", "time_s", "tokens_per_s", "tokens_per_s_per_chip",
                          "ratio_to_first", "bottleneck", "memory"})
      EXPECT_TRUE(row.contains(k)) << k;
    for (const char* k : {"compute_s", "hbm_s", "interconnect_s", "launch_s"})
      EXPECT_TRUE(row["bottleneck"].contains(k)) << k;
    for (const char* k : {"weights_GB", "kv_cache_GB", "activations_GB", "capacity_GB", "fits"})
      EXPECT_TRUE(row["memory"].contains(k)) << k;
    const auto& s = row["bottleneck"];
    EXPECT_NEAR(s["compute_s"].get<double>() + s["hbm_s"].get<double>() +
                    s["interconnect_s"].get<double>() + s["launch_s"].get<double>(),
                row["time_s"].get<double>(), 1e-12);
    EXPECT_GT(s["interconnect_s"].get<double>(), 0);  // TP2: all-reduces
  }
  EXPECT_EQ(j["rows"][0]["system"], "hgx_h100_8x");
  EXPECT_EQ(j["rows"][1]["system"], "hgx_h20_8x");
}

TEST(LlmCompare, UnknownWorkloadKeyIsAnErrorWithLine) {
  xpusim::testing::TempDir dir;
  const auto wl = dir.write("w.yaml", "name: w\nmodel: llama2-7b\nphase: decode\nbatchsize: 4\n");
  const auto r = xpusim::testing::run_cli("compare --chips h100_sxm --workload " + wl.string());
  EXPECT_EQ(r.status, 2);
  EXPECT_NE(r.err.find("w.yaml:4"), std::string::npos) << r.err;
  EXPECT_NE(r.err.find("batchsize"), std::string::npos) << r.err;
}

}  // namespace
}  // namespace xpusim::llm

namespace xpusim::llm {
namespace {

TEST(LlmWorkloads, ShippedWorkloadsLoadAndFitOnH100) {
  const auto dir = workloads_dir(config_dir());
  const auto chip = config::load_chip("h100_sxm", config_dir());
  for (const auto& e : std::filesystem::directory_iterator(dir)) {
    if (e.path().extension() != ".yaml") continue;
    const LlmWorkload w = load_workload(e.path().stem().string(), dir);
    EXPECT_TRUE(memory_fit(w, chip, w.weight_dtype).fits) << w.name;
  }
  const LlmWorkload d = load_workload("llama3-70b-decode", dir);
  EXPECT_EQ(d.batch, 64u);
  EXPECT_EQ(d.context, 4096u);
  EXPECT_EQ(d.parallel.tp, 8);
  EXPECT_EQ(d.weight_dtype, DType::kFp8);
}

TEST(LlmEstimate, ServingStepIsDecodePlusItsShareOfPrefill) {
  // 8 sequences of 128 in / 64 out: each step decodes 8 at mean context 160, and 8 / 64 of a
  // prompt finishes, so 1/8 of a prompt is prefilled per step: 1/64 of one pass over 8 prompts
  // (8192 / 128 = 64 prompts per pass, capped at the concurrency, 8).
  LlmWorkload w = workload("llama2-7b", Phase::kServing, 8, 128, DType::kBf16);
  w.output_len = 64;
  const auto chip = config::load_chip("h100_sxm", config_dir());
  const LlmResult r = evaluate_on(w, chip, "", config_dir(), false);
  double decode = 0, prefill = 0;
  for (const auto& op : r.ops) (op.pass == "decode" ? decode : prefill) += op.total_s;
  EXPECT_NEAR(r.tpot_s, decode + prefill / 64, 1e-12);
  EXPECT_NEAR(r.tokens_per_s, 8 / r.tpot_s, 1e-6);
  EXPECT_NEAR(r.ttft_s, decode + prefill, 1e-12);
  for (const auto& op : r.ops)
    if (op.pass == "decode" && op.name == "attention") {
      EXPECT_NE(op.key.find("skv=160"), std::string::npos) << op.key;
    }
}

TEST(LlmClaims, DocumentHasEveryClaim) {
  const std::string md =
      xpusim::testing::read_file(xpusim::testing::source_dir() / "docs" / "claims.md");
  for (int i = 1; i <= 15; ++i)
    EXPECT_NE(md.find(fmt::format("| C{} |", i)), std::string::npos) << "C" << i;
  EXPECT_NE(md.find("Generated by `xpusim claims`"), std::string::npos);
  EXPECT_NE(md.find("decode batch sweep"), std::string::npos);
}

}  // namespace
}  // namespace xpusim::llm

namespace xpusim::llm {
namespace {

TEST(LlmCompare, NothingFitsIsAnErrorNamingTheLargestBatch) {
  const auto r = xpusim::testing::run_cli(
      "compare --chips h100_sxm --workload llama3-70b-decode --set batch=100000");
  EXPECT_EQ(r.status, 2);
  EXPECT_NE(r.err.find("does not fit"), std::string::npos) << r.err;
  EXPECT_NE(r.err.find("GB over"), std::string::npos) << r.err;
  EXPECT_NE(r.err.find("the largest batch that fits is"), std::string::npos) << r.err;
}

}  // namespace
}  // namespace xpusim::llm
