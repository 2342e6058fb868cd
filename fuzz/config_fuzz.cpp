// libFuzzer target: chip and system configs (YAML, base: inheritance, --set strings).
#include <cstddef>
#include <cstdint>
#include <string_view>

#include "sim/fuzzing/entry_points.hpp"

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  // The shipped configs, parsed once per process (libFuzzer calls this for every input).
  static xpusim::fuzzing::ConfigFuzzFiles files = xpusim::fuzzing::default_config_fuzz_files();
  xpusim::fuzzing::fuzz_config(std::string_view(reinterpret_cast<const char*>(data), size), files);
  return 0;
}
