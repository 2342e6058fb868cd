#include "sim/llm/claims.hpp"

#include <fmt/format.h>

#include <map>

#include "sim/common/error.hpp"
#include "sim/llm/compare.hpp"
#include "sim/run/workload.hpp"
#include "sim/specs/chip_metrics.hpp"
#include "workloads/collective/collective.hpp"

namespace xpusim::llm {
namespace {

struct Claim {
  std::string id, claim, figures, workload, verdict, reason;
};

class Checker {
 public:
  Checker(std::filesystem::path config_dir, platform::PlatformOptions options)
      : dir_(std::move(config_dir)), options_(options) {}

  const config::ChipConfig& chip(const std::string& name) {
    auto it = chips_.find(name);
    if (it == chips_.end()) it = chips_.emplace(name, config::load_chip(name, dir_)).first;
    return it->second;
  }

  LlmWorkload workload(const std::string& model, Phase phase, std::uint64_t batch,
                       std::uint64_t length, DType dtype, int tp, int ep = 1) {
    LlmWorkload w;
    w.name = fmt::format("{}-{}", model, phase_name(phase));
    w.model = load_model(model, workloads_dir(dir_) / "models");
    w.phase = phase;
    w.batch = batch;
    w.context = length;
    w.input_len = length;
    w.weight_dtype = w.kv_dtype = dtype;
    if (w.model.is_mla()) w.kv_dtype = DType::kBf16;
    w.activation_dtype = DType::kBf16;
    w.parallel.tp = tp;
    w.parallel.ep = ep;
    check_workload(w);
    return w;
  }

  // The result, or nullopt with the reason in `why`.
  std::optional<LlmResult> run(const LlmWorkload& w, const std::string& chip_name, std::string& why,
                               bool max_batch = false) {
    try {
      return evaluate_on(w, chip(chip_name), "", dir_, max_batch, options_);
    } catch (const UserError& e) {
      why = e.what();
      return std::nullopt;
    }
  }

  double gemm_tflops(const std::string& chip_name, const std::string& shape, DType dtype) {
    const auto& c = chip(chip_name);
    const run::BuiltWorkload work = run::build_workload(run::gemm_spec(shape, dtype), c);
    return run::simulate(work, c, options_).tflops;
  }

  const std::filesystem::path& dir() const { return dir_; }

 private:
  std::filesystem::path dir_;
  platform::PlatformOptions options_;
  std::map<std::string, config::ChipConfig> chips_;
};

std::string escape(std::string s) {
  for (std::size_t i = 0; (i = s.find('|', i)) != std::string::npos; i += 2) s.replace(i, 1, "\\|");
  for (auto& c : s)
    if (c == '\n') c = ' ';
  return s;
}

// Per-chip throughput ratio of the same workload, b over a.
std::string ratio_line(Checker& k, const LlmWorkload& w, const std::string& a, const std::string& b,
                       double& ratio, bool max_batch = false) {
  std::string why_a, why_b;
  const auto ra = k.run(w, a, why_a, max_batch);
  const auto rb = k.run(w, b, why_b, max_batch);
  if (!ra || !rb) {
    ratio = 0;
    return fmt::format("not simulated: {}", !ra ? why_a : why_b);
  }
  ratio = rb->tokens_per_s_per_chip / ra->tokens_per_s_per_chip;
  return fmt::format(
      "{} {:.0f} tok/s/chip ({}-bound, batch {}), {} {:.0f} ({}-bound, batch {}): "
      "{:.2f}x",
      a, ra->tokens_per_s_per_chip, ra->split.dominant(), ra->batch, b, rb->tokens_per_s_per_chip,
      rb->split.dominant(), rb->batch, ratio);
}

}  // namespace

std::string claims_markdown(const std::filesystem::path& config_dir,
                            const platform::PlatformOptions& options) {
  Checker k(config_dir, options);
  std::vector<Claim> claims;
  std::string sweep_md;

  {  // C1
    const auto m = specs::compute_metrics(k.chip("h20"));
    double fp8 = 0, bf16 = 0;
    for (const auto& p : m.peaks) {
      if (p.dtype == DType::kFp8) fp8 = p.derived_tflops;
      if (p.dtype == DType::kBf16) bf16 = p.derived_tflops;
    }
    const bool ok = std::abs(fp8 - 296) < 3 && std::abs(bf16 - 148) < 1.5 &&
                    std::abs(m.memory_capacity_gb - 96) < 1 &&
                    std::abs(m.memory_bandwidth_tbs - 4.0) < 0.05;
    claims.push_back(
        {"C1", "H20: 96 GB HBM3, 4.0 TB/s, FP8 296 TF, FP16 148 TF",
         fmt::format("h20 config: FP8 {:.1f} TF, BF16 {:.1f} TF, {:.0f} GB, {:.2f} TB/s", fp8, bf16,
                     m.memory_capacity_gb, m.memory_bandwidth_tbs),
         "`xpusim specs h20`", ok ? "reproduced" : "not",
         "peaks derived from units x clock x rate; the SM count (78) and clock are "
         "estimates chosen to give the published peaks"});
  }
  double prefill_ratio = 0;
  {  // C2
    const double h100 = k.gemm_tflops("h100_sxm", "8192x8192x8192", DType::kBf16);
    const double h20 = k.gemm_tflops("h20", "8192x8192x8192", DType::kBf16);
    const auto w = k.workload("llama3-8b", Phase::kPrefill, 1, 2048, DType::kBf16, 1);
    const std::string pre = ratio_line(k, w, "h100_sxm", "h20", prefill_ratio);
    const double g = h20 / h100;
    const bool ok = g >= 0.12 && g <= 0.20 && prefill_ratio >= 0.12 && prefill_ratio <= 0.22;
    claims.push_back(
        {"C2", "H20 compute ~15% of H100",
         fmt::format("GEMM 8192^3 BF16: H100 {:.0f} TF/s, H20 {:.0f} TF/s: {:.2f}x; prefill: {}",
                     h100, h20, g, pre),
         "GEMM 8192x8192x8192 bf16; Llama-3-8B prefill, 1 x 2048 tokens, BF16, TP1",
         ok ? "reproduced" : "partly",
         "H20's tensor rate is a quarter of H100's per SM on 78 of 132 SMs (0.15x peak); "
         "compute-bound work follows it"});
  }
  {  // C3: the batch sweep
    sweep_md += "### C3: decode batch sweep, H20 against H100\n\n";
    sweep_md +=
        "Llama-2-13B, BF16 weights and KV, TP1, context 1024, one decode step; tokens/s per "
        "chip.\n\n| batch | H100 tok/s | H100 bound | H20 tok/s | H20 bound | H20 / H100 |\n"
        "|---|---|---|---|---|---|\n";
    std::uint64_t last_win = 0, first_loss = 0;
    double best = 0, at16 = 0;
    for (std::uint64_t b : {1, 2, 4, 8, 16, 32, 48, 64}) {
      const auto w = k.workload("llama2-13b", Phase::kDecode, b, 1024, DType::kBf16, 1);
      std::string wa, wb;  // why a chip did not run (memory)
      const auto a = k.run(w, "h100_sxm", wa);
      const auto h = k.run(w, "h20", wb);
      if (!a || !h) {
        sweep_md += fmt::format("| {} | {} | | {} | | |\n", b, a ? "" : "does not fit",
                                h ? "" : "does not fit");
        continue;
      }
      const double r = h->tokens_per_s_per_chip / a->tokens_per_s_per_chip;
      best = std::max(best, r);
      if (b == 16) at16 = r;
      if (r > 1) last_win = b;
      if (r < 1 && first_loss == 0) first_loss = b;
      sweep_md +=
          fmt::format("| {} | {:.0f} | {} | {:.0f} | {} | {:.2f} |\n", b, a->tokens_per_s_per_chip,
                      a->split.dominant(), h->tokens_per_s_per_chip, h->split.dominant(), r);
    }
    sweep_md += fmt::format(
        "\nH20 leads up to batch {} and trails from batch {}. Decode reads every weight once per "
        "step, so while it is bandwidth-bound H20 gains at most its bandwidth ratio (4.0 / 3.35 = "
        "1.19x); BF16 decode does about `batch` FLOPs per weight byte, and H20's ridge is 148 TF "
        "/ 4.0 TB/s = 37 FLOP per byte, so the lead should end near batch 37 (H100's ridge is "
        "~295). Per-op times: `xpusim compare --format json`.\n\n",
        last_win, first_loss);
    double dratio = 0;
    const auto dw = k.workload("llama3-70b", Phase::kDecode, 64, 4096, DType::kFp8, 8);
    const std::string dline = ratio_line(k, dw, "h100_sxm", "h20", dratio);
    const bool ok = best >= 1.1 && best <= 1.25 && at16 >= 1.05;
    claims.push_back(
        {"C3", "H20 ~20% faster than H100 at inference",
         fmt::format("best H20/H100 decode ratio {:.2f}x (batch 16: {:.2f}x; H20 ahead up to "
                     "batch {}, behind from {}); at the FP8 TP8 batch-64 serving point: {}",
                     best, at16, last_win, first_loss, dline),
         "decode sweep below; llama3-70b-decode (FP8, TP8, batch 64, context 4096)",
         ok ? "reproduced" : (best > 1.0 ? "partly" : "not"),
         "H20 leads while decode is bandwidth-bound (at most 4.0 / 3.35 = 1.19x) and loses once "
         "the batch passes its ridge (148 TF / 4.0 TB/s: batch ~37 in BF16; see the sweep). FP8 "
         "weights halve the bytes per FLOP, so at the FP8 TP8 batch-64 serving point H20 trails. "
         "Measured support is one test (1.1x, Llama-2-13B FP16, batch 16); the 96 vs 80 GB "
         "capacity lets H20 hold ~20% more KV cache"});
  }
  {  // C4
    const auto& c = k.chip("h20_141g");
    const bool est = c.is_estimate("memory.data_rate") || c.is_estimate("memory.stacks");
    claims.push_back({"C4", "an H20 with 141 GB of HBM exists",
                      fmt::format("h20_141g: {:.0f} GB, {:.2f} TB/s{}", c.memory.capacity / 1e9,
                                  c.memory.peak_bandwidth() / 1e12,
                                  est ? " (bandwidth marked as an estimate)" : ""),
                      "`xpusim specs h20_141g`", "reproduced",
                      "the config exists; its bandwidth is unconfirmed and marked so"});
  }
  {  // C5
    double small = 0, serving = 0, big = 0;
    const auto w1 = k.workload("llama2-13b", Phase::kDecode, 1, 2048, DType::kBf16, 1);
    const std::string l1 = ratio_line(k, w1, "h100_sxm", "h200_sxm", small);
    const auto w2 = k.workload("llama3-70b", Phase::kDecode, 64, 4096, DType::kFp8, 8);
    const std::string l2 = ratio_line(k, w2, "h100_sxm", "h200_sxm", serving);
    const auto w3 = k.workload("llama2-70b", Phase::kDecode, 1, 2048, DType::kFp8, 1);
    const std::string l3 = ratio_line(k, w3, "h100_sxm", "h200_sxm", big, true);
    const bool ok = small > 1.3 && big > 1.6;
    claims.push_back(
        {"C5", "H200: +60-90% over H100; inference 2x",
         fmt::format("batch 1: {}; FP8 TP8 batch 64: {}; Llama-2-70B FP8 TP1 at the largest "
                     "batch each fits (context 2048): {}",
                     l1, l2, l3),
         "Llama-2-13B decode BF16 TP1 batch 1; llama3-70b-decode; Llama-2-70B decode FP8 TP1 "
         "--max-batch",
         ok ? "reproduced" : "partly",
         "bandwidth alone gives up to 1.43x (1.33x simulated at batch 1); more than 2x needs the "
         "larger batch that 141 GB allows: at TP1 H100 keeps only ~10 GB for KV beside 69 GB of "
         "FP8 weights, so the capacity-limited ratio overshoots NVIDIA's 1.9x; the energy half is "
         "not simulated"});
  }
  {  // C6
    const double a = k.gemm_tflops("h100_sxm", "4096x4096x4096", DType::kBf16);
    const double b = k.gemm_tflops("h800_sxm", "4096x4096x4096", DType::kBf16);
    double r = 0;
    const auto w = k.workload("llama3-70b", Phase::kDecode, 64, 4096, DType::kFp8, 8);
    const std::string line = ratio_line(k, w, "h100_sxm", "h800_sxm", r);
    claims.push_back(
        {"C6", "H800: the China H100, NVLink cut to 400 GB/s",
         fmt::format("GEMM 4096^3: H100 {:.1f}, H800 {:.1f} TF/s; TP8 decode: {}", a, b, line),
         "GEMM 4096^3 bf16; llama3-70b-decode on hgx_h100_8x / hgx_h800_8x",
         std::abs(a - b) < 0.01 * a && r < 1 ? "reproduced" : "partly",
         "same SMs and HBM; only the all-reduces slow down"});
  }
  {  // C7
    std::string have;
    for (const char* n : {"a100_sxm_80gb", "a800_sxm", "h100_sxm", "h800_sxm"}) {
      k.chip(n);
      have += std::string(have.empty() ? "" : ", ") + n;
    }
    claims.push_back({"C7", "A100, A800, H100, H800 banned since 2022/2023",
                      "configs load: " + have, "`xpusim specs`", "reproduced",
                      "the configs exist; `xpusim specs` classifies each under the Oct 2022 and "
                      "Oct 2023 rules"});
  }
  {  // C8
    const auto cm = specs::compute_metrics(config::load_system("cloudmatrix384", k.dir()));
    const auto nvl = specs::compute_metrics(config::load_system("gb200_nvl72", k.dir()));
    const double per_chip = k.chip("ascend_910c").peak_flops(DType::kBf16) /
                            k.chip("b200_gb200").peak_flops(DType::kBf16);
    claims.push_back(
        {"C8", "CloudMatrix 384: 300 PF BF16, each chip ~1/3 of a Blackwell, rivals NVL72",
         fmt::format("CloudMatrix 384 {:.0f} PF BF16 dense ({} chips), NVL72 {:.0f} PF; per chip "
                     "910C / B200 {:.2f}",
                     cm.bf16_pflops, cm.devices, nvl.bf16_pflops, per_chip),
         "`xpusim specs cloudmatrix384 gb200_nvl72`; collectives: `xpusim collective`",
         std::abs(cm.bf16_pflops - 300) < 30 && per_chip > 0.25 && per_chip < 0.4 ? "reproduced"
                                                                                  : "partly",
         "aggregate peaks from the configs; 384 chips at a third each outweigh 72"});
  }
  {  // C9
    double r = 0;
    const auto w = k.workload("llama3-8b", Phase::kTraining, 1, 4096, DType::kBf16, 8);
    const std::string line = ratio_line(k, w, "h20", "ascend_910c", r);
    claims.push_back({"C9", "Ascend 910C ~80% of an H20 in large-model training", line,
                      "Llama-3-8B training step (forward + backward), 1 x 4096 tokens, BF16, TP8",
                      r == 0 ? "not" : (r > 0.6 && r < 1.0 ? "reproduced" : "not"),
                      "910C has ~5x H20's BF16 peak: on hardware alone it should beat H20 in "
                      "compute-bound training; the claim reflects software maturity, which the "
                      "simulator does not model"});
  }
  {  // C10
    double r = 0;
    const auto w = k.workload("deepseek-r1", Phase::kDecode, 64, 2048, DType::kFp8, 8, 8);
    std::string line = ratio_line(k, w, "h200_sxm", "mi300x", r);
    std::string used = "DeepSeek-R1 decode, FP8 weights, TP8 EP8, batch 64, context 2048";
    if (r == 0) {
      // A dense stand-in of similar active size, so that the row still has a hardware figure.
      double proxy = 0;
      const auto d = k.workload("llama3-70b", Phase::kDecode, 64, 4096, DType::kFp8, 8);
      line +=
          "; dense stand-in (llama3-70b-decode): " + ratio_line(k, d, "h200_sxm", "mi300x", proxy);
      used += "; stand-in llama3-70b-decode (FP8, TP8, batch 64, context 4096)";
    }
    claims.push_back({"C10", "MI300X up to 5x H200 on DeepSeek-R1", line, used,
                      r == 0 ? "not" : (r >= 4 ? "reproduced" : "not"),
                      r == 0 ? "not simulated on MI300X: the MLA decode kernel model finds no "
                               "tile for its 64 KB LDS (FlashMLA is a Hopper kernel); on bandwidth "
                               "alone (5.3 vs 4.8 TB/s) hardware gives ~1.1x, so a 5x gap is a "
                               "serving-stack result"
                             : "MLA decode runs on MI300X's 64 KB LDS with fewer rows per CTA; "
                               "the simulated steps are not HBM-bound (see the bound column), so "
                               "the ratio follows the per-op overheads; on bandwidth alone (5.3 "
                               "vs 4.8 TB/s) hardware gives ~1.1x, so a 5x gap is a serving-stack "
                               "result"});
  }
  auto peer = [&](const char* id, const char* claim, const char* a, const char* b, double lo,
                  double hi, const std::string& reason) {
    double r = 0;
    const auto w = k.workload("llama2-13b", Phase::kDecode, 16, 2048, DType::kBf16, 1);
    const std::string line = ratio_line(k, w, a, b, r);
    claims.push_back({id, claim, line,
                      "Llama-2-13B decode, BF16, TP1, batch 16, context 2048 (C3's measured case)",
                      r == 0 ? "not" : (r >= lo && r <= hi ? "reproduced" : "partly"), reason});
  };
  peer("C11", "Cambricon MLU590 close to A100 at inference", "a100_sxm_80gb", "mlu590", 0.8, 1.25,
       "the MLU590 config is estimated throughout (no published peaks)");
  const config::DieToDieConfig& br100_dies = k.chip("br100").die_to_die;
  peer(
      "C12", "Biren BR100 comparable to A100", "a100_sxm_80gb", "br100", 0.8, 1.25,
      fmt::format("bandwidth alone would give 0.80x (1.64 vs 2.04 TB/s); in the simulation "
                  "{:.0f}% of every weight read crosses BR100's die-to-die link, set at {:.0f} "
                  "GB/s each way (the 896 GB/s of [S25] read as both directions), and the "
                  "16-row GEMMs saturate it, so the ratio follows that link; read as 896 GB/s "
                  "each way it stops being the limit (compare --set "
                  "die_to_die.bandwidth=896GB/s); BR100's config rests on estimates",
                  100.0 * (1.0 - 1.0 / br100_dies.memory_die_count()), br100_dies.bandwidth / 1e9));
  peer("C13", "Gaudi 2 roughly on a par with H200 in some areas", "h200_sxm", "gaudi2", 0.8, 1.25,
       "Gaudi 2 has half H200's bandwidth (2.46 vs 4.8 TB/s), so ~0.5x at best; its GEMMs "
       "simulate HBM-bound, but decode attention (many short CTAs on 2 MMEs, each refilling its "
       "pipeline) and the element-wise ops (1024-thread STREAM blocks, no TPC model) stay "
       "latency-bound (see the bound column): a limit of the Gaudi 2 model, not a hardware "
       "verdict");
  {  // C14
    std::string s;
    for (const char* n : {"h100_sxm", "h800_sxm", "h20", "a100_sxm_80gb", "ascend_910b"}) {
      const auto m = specs::compute_metrics(k.chip(n));
      s += fmt::format("{}{} TPP {:.0f}", s.empty() ? "" : "; ", n, m.tpp);
    }
    claims.push_back({"C14",
                      "export threshold 4800 -> 2400 TOPS; 2025 licence on memory and "
                      "interconnect bandwidth",
                      s, "`xpusim specs` (TPP, performance density, bandwidths, rule classes)",
                      "reproduced",
                      "H100/H800/A100 exceed TPP 4800; H20 (2368) passes under both lines, so "
                      "the 2025 licence had to key on bandwidth"});
  }
  {  // C15
    const auto w = k.workload("llama3-70b", Phase::kDecode, 64, 4096, DType::kFp8, 8);
    std::string s;
    for (const char* n : {"h100_sxm", "h20"}) {
      std::string why;
      const auto r = k.run(w, n, why);
      const double rent = k.chip(n).rental_usd_per_hour;
      if (r && rent > 0)
        s += fmt::format("{}{}: {:.2f} USD/h, {:.0f} tok/s/chip, {:.2f} USD per million tokens",
                         s.empty() ? "" : "; ", n, rent, r->tokens_per_s_per_chip,
                         rent / 3600 / r->tokens_per_s_per_chip * 1e6);
    }
    claims.push_back({"C15", "H100 rental ~8 -> ~2 USD/GPU-hour; H20 ~25k USD", s,
                      "llama3-70b-decode; rental_usd_per_hour from the chip configs", "partly",
                      "prices are config fields marked as estimates (H20's rental is a "
                      "placeholder), not simulated"});
  }

  std::string md =
      "# Seed claims against the simulator\n\n"
      "Generated by `xpusim claims` (do not edit by hand). Each claim of "
      "`../shared/reference/seed-claims.md`, the simulated figures, the workload behind them and "
      "a verdict: reproduced, partly (the direction holds, not the size, or only in part of the "
      "range) or not. Workloads and assumptions: docs/llm.md.\n\n"
      "| # | claim | simulated | workload | verdict | why |\n|---|---|---|---|---|---|\n";
  for (const auto& c : claims)
    md += fmt::format("| {} | {} | {} | {} | {} | {} |\n", c.id, escape(c.claim), escape(c.figures),
                      escape(c.workload), c.verdict, escape(c.reason));
  md += fmt::format("\nPrefill (compute-bound) ratio H20 / H100: {:.2f}.\n\n", prefill_ratio);
  md += sweep_md;
  return md;
}

}  // namespace xpusim::llm
