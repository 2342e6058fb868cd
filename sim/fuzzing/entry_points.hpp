#pragma once
// The fuzz targets' bodies, as plain library functions so that the libFuzzer drivers (fuzz/) and
// the regression test (tests/fuzz_regressions_test.cpp) run exactly the same code. Each takes
// arbitrary bytes and returns normally, kRejected when the input got a UserError (the expected
// answer to bad input); any other exception escapes, and a failed internal check aborts: both are
// bugs. docs/hardening.md describes the input layouts.
#include <filesystem>
#include <string_view>

#include "sim/common/kernel_target.hpp"
#include "sim/fuzzing/config_fuzz_files.hpp"

namespace xpusim::fuzzing {

enum class Outcome { kAccepted, kRejected };

// Chip and system configs. The input is YAML text split into sections by marker lines:
//   <chip YAML>        the chip fuzz_chip (name it fuzz_chip)
//   #@base             optional: what follows is the chip fuzz_base (base: fuzz_base)
//   #@system           optional: the system fuzz_system, loaded instead of the chip
//   #@set              optional: one --set key=value per line (for the chip, or the system)
// The sections are files in memory (ConfigFuzzFiles) beside every shipped config, so a chip may
// also say `base: h100_sxm` and a system `chip: h100_sxm`. `files` keeps the shipped configs
// parsed; the caller builds it once (default_config_fuzz_files) and reuses it for every input.
Outcome fuzz_config(std::string_view input, ConfigFuzzFiles& files);
ConfigFuzzFiles default_config_fuzz_files();  // the source tree's configs/

// Workload specs as the CLI takes them. First line: gemm, attention or stream, optionally
// followed by a dtype name; second line: the spec (GEMM shape, attention key=value list, or a
// STREAM op and element count). A parsed workload is planned for `target`; small ones are also
// emitted as traces, which must pass validate_trace.
Outcome fuzz_workload(std::string_view input, const KernelTarget& target);

// Trace files, binary or JSON (read_trace tells them apart). A trace that reads must write and
// read back to an equal trace in both forms. A binary input is also tried with its header's
// length and CRC-32 recomputed, so that mutations reach the payload parser.
Outcome fuzz_trace(std::string_view input);

// The chip fuzz_workload plans for: h100_sxm from the source tree's configs.
KernelTarget default_fuzz_target();

}  // namespace xpusim::fuzzing
