// libFuzzer target: chip and system configs (YAML, base: inheritance, --set strings).
#include <cstddef>
#include <cstdint>
#include <string_view>

#include "fuzz/scratch_dir.hpp"
#include "sim/fuzzing/entry_points.hpp"

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  static const xpusim::fuzzing::ScratchDir scratch;  // one per process, as libFuzzer runs it
  xpusim::fuzzing::fuzz_config(std::string_view(reinterpret_cast<const char*>(data), size),
                               scratch.path());
  return 0;
}
