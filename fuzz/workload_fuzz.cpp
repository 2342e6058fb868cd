// libFuzzer target: workload specs (GEMM shapes, attention specs, STREAM arguments).
#include <cstddef>
#include <cstdint>
#include <string_view>

#include "sim/fuzzing/entry_points.hpp"

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  static const xpusim::KernelTarget target = xpusim::fuzzing::default_fuzz_target();
  xpusim::fuzzing::fuzz_workload(std::string_view(reinterpret_cast<const char*>(data), size),
                                 target);
  return 0;
}
