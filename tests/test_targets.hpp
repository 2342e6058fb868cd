#pragma once
// KernelTargets of the chips the reference rows use, filled from shared/reference/chips.md and
// configs/chips/h100_sxm.yaml, so that planner tests need no config loader.
#include "sim/common/kernel_target.hpp"

namespace xpusim::test {

inline void set_rate(KernelTarget& t, DType d, double flops_per_clock) {
  t.tensor_flops_per_clock[static_cast<int>(d)] = flops_per_clock;
}

inline KernelTarget h100_sxm() {
  KernelTarget t;
  t.chip = "h100_sxm";
  t.family = "hopper";
  t.units = 132;
  t.clock_hz = 1.83e9;
  t.smem_per_unit = 228 * 1024;
  t.max_smem_per_cta = 227 * 1024;
  t.registers_per_unit = 65536;
  t.max_threads_per_unit = 2048;
  t.max_ctas_per_unit = 32;
  t.max_cluster_size = 16;
  t.async_copy = AsyncCopy::kTma;
  set_rate(t, DType::kFp64, 256);
  set_rate(t, DType::kTf32, 2048);
  set_rate(t, DType::kBf16, 4096);
  set_rate(t, DType::kFp16, 4096);
  set_rate(t, DType::kFp8, 8192);
  set_rate(t, DType::kInt8, 8192);
  t.l2_bytes = 50'000'000;
  t.l2_bandwidth = 7.2e12;  // configs/chips/h100_sxm.yaml estimate
  t.memory_bandwidth = 3.35e12;
  return t;
}

inline KernelTarget h800_sxm() {
  KernelTarget t = h100_sxm();
  t.chip = "h800_sxm";
  return t;
}

inline KernelTarget a100_sxm_80gb() {
  KernelTarget t;
  t.chip = "a100_sxm_80gb";
  t.family = "ampere";
  t.units = 108;
  t.clock_hz = 1.41e9;
  t.smem_per_unit = 164 * 1024;
  t.max_smem_per_cta = 163 * 1024;
  t.registers_per_unit = 65536;
  t.max_threads_per_unit = 2048;
  t.max_ctas_per_unit = 32;
  t.max_cluster_size = 1;
  t.async_copy = AsyncCopy::kCpAsync;
  set_rate(t, DType::kFp64, 128);
  set_rate(t, DType::kTf32, 1024);
  set_rate(t, DType::kBf16, 2048);
  set_rate(t, DType::kFp16, 2048);
  set_rate(t, DType::kInt8, 4096);
  t.l2_bytes = 40'000'000;
  t.l2_bandwidth = 5120 * 1.41e9;  // GA100 whitepaper: 5120 bytes/clk
  t.memory_bandwidth = 2.039e12;
  return t;
}

}  // namespace xpusim::test
