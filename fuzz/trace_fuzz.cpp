// libFuzzer target: trace files, binary and JSON.
#include <cstddef>
#include <cstdint>
#include <string_view>

#include "sim/fuzzing/entry_points.hpp"

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  xpusim::fuzzing::fuzz_trace(std::string_view(reinterpret_cast<const char*>(data), size));
  return 0;
}
