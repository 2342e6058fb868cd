// Timing-core behaviour a roofline cannot show, each with the reason it must hold.
#include <gtest/gtest.h>

#include "models/platform/platform.hpp"
#include "sim/common/error.hpp"
#include "sim/config/chip_config.hpp"
#include "sim/run/power_model.hpp"
#include "sim/run/workload.hpp"
#include "test_support.hpp"
#include "workloads/gemm/gemm_trace.hpp"

using namespace xpusim;

namespace {

config::ChipConfig chip(const std::string& name, const std::vector<std::string>& sets = {}) {
  return config::load_chip(name, xpusim::testing::config_dir(), sets);
}

run::RunReport gemm(const config::ChipConfig& c, const std::string& shape, DType d = DType::kBf16) {
  return run::simulate(run::build_workload(run::gemm_spec(shape, d), c), c);
}

TEST(Platform, SeveralPlatformsRunInSequenceInOneProcess) {
  const auto h100 = chip("h100_sxm");
  const auto a = gemm(h100, "1024x1024x1024");
  const auto b = gemm(h100, "1024x1024x1024");
  EXPECT_GT(a.latency_s, 0);
  EXPECT_EQ(a.latency_s, b.latency_s);  // deterministic, and no state leaks between platforms
  EXPECT_EQ(a.to_json().dump(), b.to_json().dump());
}

TEST(Platform, TracePrefixIsTheFirstWavesOfEachKernel) {
  const auto h100 = chip("h100_sxm");
  // split-K: a GEMM kernel of more than half a wave and a reduction kernel
  const auto work = run::build_workload(run::gemm_spec("512x512x262144", DType::kFp8), h100);
  ASSERT_EQ(work.trace.kernels.size(), 2u);
  const trace::Trace prefix = run::trace_prefix(work.trace, h100, 0.5);
  trace::Trace expected = work.trace;  // everything as it was, CTAs cut to half a wave
  for (trace::Kernel& k : expected.kernels) {
    const int per_unit =
        std::max(1, sm::ctas_per_unit(platform::sm_params_from(h100, 1), sm::footprint(k)));
    const auto keep = static_cast<std::size_t>((h100.compute.units * per_unit + 1) / 2);
    if (k.ctas.size() > keep) k.ctas.resize(keep);
  }
  EXPECT_EQ(prefix, expected);
  EXPECT_LT(prefix.kernels[0].ctas.size(), work.trace.kernels[0].ctas.size());
}

TEST(Platform, LargeGemmIsComputeBoundBelowPeak) {
  const auto h100 = chip("h100_sxm");
  const auto r = gemm(h100, "8192x8192x8192");
  EXPECT_EQ(r.bottleneck, "compute (tensor cores)") << r.evidence;
  // Below the 989 TFLOPS datasheet peak (sustained clock, waves, pipeline fill) but not far.
  EXPECT_LT(r.tflops, 989.4);
  EXPECT_GT(r.tflops, 0.6 * 989.4);
}

TEST(Platform, SmallGemmIsLessEfficientThanLarge) {
  // 1024^3 runs too few tiles to fill 132 SMs for long, and launch and pipeline fill are not
  // amortised: its throughput is well below 8192^3's.
  const auto h100 = chip("h100_sxm");
  const auto small = gemm(h100, "1024x1024x1024");
  const auto large = gemm(h100, "8192x8192x8192");
  EXPECT_LT(small.tflops, 0.7 * large.tflops) << small.evidence;
}

TEST(Platform, WaveQuantisationDropsThroughputJustPastAMultipleOfTheUnits) {
  // With the tile forced, a 12x11 grid is 132 tiles (one wave on 132 SMs) and a 7x19 grid is 133
  // tiles of the same size and K: 0.8% more work that needs a second, nearly empty wave.
  const auto h100 = chip("h100_sxm");
  ASSERT_EQ(h100.compute.units, 132);
  const auto target = h100.kernel_target();
  const std::uint64_t bm = 128, bn = 256, k = 8192;
  auto grid_gemm = [&](std::uint64_t tiles_m, std::uint64_t tiles_n) {
    gemm::GemmPlanOptions o;
    o.bm = bm;
    o.bn = bn;
    o.split_k = 1;
    o.allow_clusters = false;
    const auto problem = gemm::parse_gemm_problem(
        std::to_string(tiles_m * bm) + "x" + std::to_string(tiles_n * bn) + "x" + std::to_string(k),
        DType::kBf16);
    const auto plan = gemm::plan_gemm(problem, target, o);
    EXPECT_EQ(plan.ctas, tiles_m * tiles_n);
    run::BuiltWorkload w;
    w.trace = gemm::emit_gemm_trace(problem, plan, target);
    w.flops = problem.flops();
    w.description = problem.to_string();
    return run::simulate(w, h100);
  };
  const auto full = grid_gemm(12, 11);
  const auto over = grid_gemm(7, 19);
  EXPECT_NEAR(full.waves, 1.0, 1e-9);
  EXPECT_GT(over.waves, 1.0);
  EXPECT_GT(over.latency_s, 1.6 * full.latency_s);
  EXPECT_LT(over.tflops, 0.65 * full.tflops);
}

TEST(Platform, SkinnyDecodeGemmIsBoundByHbmBandwidth) {
  // M=64 against a 7168x16384 FP8 weight: ~1 FLOP per byte of weight, far below the machine
  // balance, so HBM is the bottleneck, and the achieved bandwidth is the HBM model's, below peak.
  const auto h800 = chip("h800_sxm");
  const auto r = gemm(h800, "64x7168x16384", DType::kFp8);
  EXPECT_EQ(r.bottleneck, "HBM bandwidth") << r.evidence;
  EXPECT_LT(r.hbm_bw, r.hbm_peak);
  EXPECT_GT(r.hbm_bw, 0.5 * r.hbm_peak);
  // Its time follows bandwidth: the weight bytes over the achieved bandwidth, within 15%.
  const double weight = 7168.0 * 16384.0;
  EXPECT_NEAR(r.kernel_s, weight / r.hbm_bw, 0.15 * r.kernel_s);
}

TEST(Platform, MoreHbmBandwidthSpeedsUpSkinnyGemmButNotLargeGemm) {
  // Three more stacks: 60% more pseudo-channels, so 60% more bandwidth and activation rate
  // (a faster pin alone would soon be limited by tFAW on these 128-byte tile rows). The plan is
  // fixed so that only the memory system differs.
  const auto base = chip("h100_sxm");
  const auto fast = chip("h100_sxm", {"memory.stacks=8"});
  auto fixed_plan = [&](const config::ChipConfig& c, const std::string& shape) {
    const auto problem = gemm::parse_gemm_problem(shape, DType::kBf16);
    const auto plan = gemm::plan_gemm(problem, base.kernel_target());  // same plan on both
    run::BuiltWorkload w;
    w.trace = gemm::emit_gemm_trace(problem, plan, base.kernel_target());
    w.flops = problem.flops();
    w.description = shape;
    return run::simulate(w, c).latency_s;
  };
  const double skinny_gain = fixed_plan(base, "64x8192x8192") / fixed_plan(fast, "64x8192x8192");
  const double large_gain = fixed_plan(base, "4096x4096x4096") / fixed_plan(fast, "4096x4096x4096");
  EXPECT_GT(skinny_gain, 1.1);  // HBM-bound: follows the bandwidth (launch and L2 dilute it)
  EXPECT_LT(large_gain, 1.03);  // compute-bound: does not
}

TEST(Platform, StreamBandwidthBelowPeakBecauseOfRefreshAndTurnaround) {
  const auto h100 = chip("h100_sxm");
  auto bw = [&](const config::ChipConfig& c, const std::string& op) {
    const auto r =
        run::simulate(run::build_workload(run::stream_spec(op, DType::kFp64, 1 << 24), c), c);
    return r.counted_bytes / r.latency_s;
  };
  const double peak = h100.memory.peak_bandwidth();
  const double dot = bw(h100, "dot"), copy = bw(h100, "copy");
  EXPECT_LT(dot, peak);
  EXPECT_LT(copy, dot) << "writes turn the bus around; reads alone do not";
  // All-bank refresh (A100's HBM2e controller) stops a pseudo-channel for tRFC every tREFI:
  // without it (tREFI far beyond the run) streaming gets closer to peak.
  const auto a100 = chip("a100_sxm_80gb");
  ASSERT_EQ(a100.memory.refresh_mode, "all_bank");
  const auto a100_no_refresh = chip("a100_sxm_80gb", {"memory.timing.tREFI=90 us"});
  EXPECT_GT(bw(a100_no_refresh, "dot"), 1.03 * bw(a100, "dot"));
}

TEST(Platform, TraceFromAnotherFamilyIsRejected) {
  const auto a100 = chip("a100_sxm_80gb");
  const auto h100 = chip("h100_sxm");
  const auto w = run::build_workload(run::gemm_spec("256x256x256", DType::kFp16), a100);
  platform::Platform p(h100);
  EXPECT_THROW(p.run(w.trace), UserError);
}

TEST(Platform, Fp8GemmOnA100IsAClearError) {
  const auto a100 = chip("a100_sxm_80gb");
  try {
    run::build_workload(run::gemm_spec("256x256x256", DType::kFp8), a100);
    FAIL() << "no error";
  } catch (const UserError& e) {
    EXPECT_NE(std::string(e.what()).find("fp8"), std::string::npos) << e.what();
  }
}

}  // namespace

namespace {

TEST(Platform, SkinnyGemmFollowsTheBandwidthRatioOfH200ToH100) {
  // Same SMs, 4.8 against 3.35 TB/s (seed claim C5: ~1.4x from bandwidth alone). A weak address
  // hash once made the 6-stack H200 slower here; the ratio must follow the memory systems.
  const auto h100 = chip("h100_sxm");
  const auto h200 = chip("h200_sxm");
  const double ratio = gemm(h100, "64x8192x8192").latency_s / gemm(h200, "64x8192x8192").latency_s;
  const double bandwidth_ratio = h200.memory.peak_bandwidth() / h100.memory.peak_bandwidth();
  EXPECT_NEAR(ratio, bandwidth_ratio, 0.15 * bandwidth_ratio);
}

}  // namespace

namespace {

TEST(Platform, EveryShippedChipRunsARaggedGemmToTheEnd) {
  // A lost wake-up between a CTA's producer and consumer streams once stalled B200 runs; every
  // chip must finish a ragged GEMM (timings differ per chip, so each exercises other orders).
  for (const auto& name : config::list_configs(xpusim::testing::config_dir() / "chips")) {
    const auto c = chip(name);
    const DType d = c.compute.tensor_flops_per_clock[static_cast<int>(DType::kBf16)] > 0
                        ? DType::kBf16
                        : DType::kFp16;
    const auto r = gemm(c, "1000x777x1500", d);
    EXPECT_GT(r.latency_s, 0) << name;
    EXPECT_LT(r.tflops, c.peak_flops(d) / 1e12) << name;
  }
}

}  // namespace

namespace {

TEST(Platform, Gaudi2DecodeGemmIsHbmBound) {
  // A decode GEMM reads a 8192 x 8192 BF16 weight (134 MB) for 64 tokens: 8 FLOP per byte, far
  // below Gaudi 2's ridge (432 TF / 2.46 TB/s = 176). With only two MME units, each must keep
  // its half of the bandwidth-latency product in flight, so the planner deepens the pipeline.
  const auto gaudi2 = chip("gaudi2");
  const auto r = gemm(gaudi2, "64x8192x8192");
  EXPECT_EQ(r.bottleneck, "HBM bandwidth") << r.evidence;
  const double weight_bytes = 8192.0 * 8192 * 2;
  const double kernel_s = r.latency_s - r.launch_s;
  EXPECT_GT(kernel_s, weight_bytes / 2.46e12);
  EXPECT_LT(kernel_s, 1.5 * weight_bytes / 2.46e12);
}

}  // namespace
