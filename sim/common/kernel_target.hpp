#pragma once
// What a kernel planner (GEMM tiling, attention tiling, STREAM) needs to know about the chip it
// targets. Filled from the chip config; kept free of the config machinery so that planners and
// their tests do not depend on YAML.
#include <array>
#include <cstdint>
#include <string>

#include "sim/common/dtype.hpp"

namespace xpusim {

enum class AsyncCopy { kNone, kCpAsync, kTma };

struct KernelTarget {
  std::string chip;    // config name, e.g. "h100_sxm"
  std::string family;  // "hopper", "ampere", ... traces replay within a family
  int units = 1;       // SMs / CUs / AI cores
  double clock_hz = 1e9;
  std::uint64_t smem_per_unit = 0;
  std::uint64_t max_smem_per_cta = 0;
  int registers_per_unit = 65536;
  int max_threads_per_unit = 2048;
  int max_ctas_per_unit = 32;
  int max_cluster_size = 1;
  AsyncCopy async_copy = AsyncCopy::kCpAsync;
  // Dense tensor-core FLOP per clock per unit, indexed by DType; 0 where unsupported.
  std::array<double, kAllDTypes.size()> tensor_flops_per_clock{};
  std::uint64_t l2_bytes = 0;
  double l2_bandwidth = 0;      // bytes/s the L2 delivers to all units together; 0 if unknown
  double memory_bandwidth = 0;  // bytes/s

  double tensor_rate(DType d) const { return tensor_flops_per_clock[static_cast<int>(d)]; }
};

}  // namespace xpusim
