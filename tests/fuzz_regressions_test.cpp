// Replays every input kept under fuzz/regressions/<target>/ (inputs that once crashed a fuzzer,
// docs/hardening.md) and the seed corpora under fuzz/corpus/<target>/ through the same entry points
// the libFuzzer targets call, in the ordinary build. An entry point returns normally for any input
// (kRejected when the input got a UserError); anything else fails the test or aborts the run.
#include <gtest/gtest.h>

#include <algorithm>
#include <filesystem>
#include <vector>

#include "sim/config/chip_config.hpp"
#include "sim/fuzzing/entry_points.hpp"
#include "sim/trace/trace_check.hpp"
#include "test_support.hpp"

namespace {
namespace fs = std::filesystem;
using xpusim::fuzzing::Outcome;
using xpusim::testing::read_file;
using xpusim::testing::source_dir;

// Files of a folder, sorted; none when the folder does not exist.
std::vector<fs::path> inputs_in(const fs::path& dir) {
  std::vector<fs::path> out;
  std::error_code ec;
  for (const auto& e : fs::directory_iterator(dir, ec))
    if (e.is_regular_file()) out.push_back(e.path());
  std::sort(out.begin(), out.end());
  return out;
}

std::vector<fs::path> inputs_of(const char* target) {
  std::vector<fs::path> all = inputs_in(source_dir() / "fuzz/regressions" / target);
  for (const fs::path& p : inputs_in(source_dir() / "fuzz/corpus" / target)) all.push_back(p);
  return all;
}

TEST(FuzzRegressions, ConfigInputsReturnNormally) {
  auto configs = xpusim::fuzzing::default_config_fuzz_files();
  const auto files = inputs_of("config");
  ASSERT_FALSE(files.empty()) << "no seed corpus under fuzz/corpus/config";
  int accepted = 0;
  for (const fs::path& f : files) {
    SCOPED_TRACE(f.string());
    accepted += xpusim::fuzzing::fuzz_config(read_file(f), configs) == Outcome::kAccepted;
  }
  // Every shipped chip config is in the seed corpus, so some inputs must load.
  EXPECT_GT(accepted, 0);
}

TEST(FuzzRegressions, WorkloadInputsReturnNormally) {
  const xpusim::KernelTarget target = xpusim::fuzzing::default_fuzz_target();
  const auto files = inputs_of("workload");
  ASSERT_FALSE(files.empty()) << "no seed corpus under fuzz/corpus/workload";
  int accepted = 0;
  for (const fs::path& f : files) {
    SCOPED_TRACE(f.string());
    accepted += xpusim::fuzzing::fuzz_workload(read_file(f), target) == Outcome::kAccepted;
  }
  EXPECT_GT(accepted, 0);
}

TEST(FuzzRegressions, TraceInputsReturnNormally) {
  const auto files = inputs_of("trace");
  ASSERT_FALSE(files.empty()) << "no seed corpus under fuzz/corpus/trace";
  int accepted = 0;
  for (const fs::path& f : files) {
    SCOPED_TRACE(f.string());
    accepted += xpusim::fuzzing::fuzz_trace(read_file(f)) == Outcome::kAccepted;
  }
  EXPECT_GT(accepted, 0);
}

// The entry points' verdicts on a few hand-written inputs, so that a layout change is noticed.
TEST(FuzzRegressions, EntryPointsAcceptGoodAndRejectBadInputs) {
  const xpusim::KernelTarget target = xpusim::fuzzing::default_fuzz_target();
  EXPECT_EQ(xpusim::fuzzing::fuzz_workload("gemm bf16\n256x256x256", target), Outcome::kAccepted);
  EXPECT_EQ(xpusim::fuzzing::fuzz_workload("gemm\n256x0x256", target), Outcome::kRejected);
  EXPECT_EQ(xpusim::fuzzing::fuzz_workload("stream fp32\ntriad 4096", target), Outcome::kAccepted);
  EXPECT_EQ(xpusim::fuzzing::fuzz_workload("stream\ntriad 0", target), Outcome::kRejected);
  // 2^20 sequences is the most a problem holds (each has its own length entries).
  EXPECT_EQ(xpusim::fuzzing::fuzz_workload(
                "attention\nbatch=1048577,heads=1,head_dim=64,seq_q=64,seq_kv=64", target),
            Outcome::kRejected);
  EXPECT_EQ(xpusim::fuzzing::fuzz_trace("not a trace"), Outcome::kRejected);
  EXPECT_EQ(xpusim::fuzzing::fuzz_trace("XPUTRACE"), Outcome::kRejected);

  auto configs = xpusim::fuzzing::default_config_fuzz_files();
  const std::string h100 = read_file(xpusim::testing::config_dir() / "chips/h100_sxm.yaml");
  const std::string base = "#@base\n" + h100;  // a base keeps its own name
  EXPECT_EQ(xpusim::fuzzing::fuzz_config(
                "name: fuzz_chip\ndisplay_name: Fuzz\nbase: fuzz_base\n" + base, configs),
            Outcome::kAccepted);
  EXPECT_EQ(xpusim::fuzzing::fuzz_config("name: fuzz_chip\ndisplay_name: Fuzz\nbase: fuzz_base\n" +
                                             base + "#@set\ncompute.units=0\n",
                                         configs),
            Outcome::kRejected);
  // An integer key without a maximum of its own still has the int range's (was UB: 1e11 -> int).
  EXPECT_EQ(xpusim::fuzzing::fuzz_config("name: fuzz_chip\ndisplay_name: Fuzz\nbase: fuzz_base\n" +
                                             base + "#@set\ncompute.max_ctas_per_unit=2147483648\n",
                                         configs),
            Outcome::kRejected);
}

}  // namespace

// The config target's in-memory files: shipped configs are there to inherit from, parsed once and
// shared, so loading through them must not change them, and nothing outside them is reachable.
TEST(FuzzRegressions, ConfigFuzzFilesServeShippedConfigsUnchanged) {
  namespace config = xpusim::config;
  auto files = xpusim::fuzzing::default_config_fuzz_files();
  const fs::path& dir = xpusim::fuzzing::ConfigFuzzFiles::root();
  const std::string chip = "name: fuzz_chip\ndisplay_name: Fuzz\nbase: h100_sxm\n";
  EXPECT_EQ(xpusim::fuzzing::fuzz_config(chip, files), Outcome::kAccepted);
  EXPECT_EQ(xpusim::fuzzing::fuzz_config(chip + "compute:\n  units: 0\n", files),
            Outcome::kRejected);
  // The same chip as from disk, and the same again after the loads above (a shared document that
  // a load had changed would show here).
  const config::ChipConfig disk = config::load_chip("h100_sxm", xpusim::testing::config_dir());
  for (int i = 0; i < 2; ++i) {
    const config::ChipConfig mem = config::load_chip("h100_sxm", dir, {}, files);
    EXPECT_EQ(mem.compute.units, disk.compute.units);
    EXPECT_EQ(mem.memory.peak_bandwidth(), disk.memory.peak_bandwidth());
    EXPECT_EQ(mem.peak_flops(xpusim::DType::kBf16), disk.peak_flops(xpusim::DType::kBf16));
  }
  // A system in memory naming a shipped chip.
  EXPECT_EQ(xpusim::fuzzing::fuzz_config(
                "#@system\nname: fuzz_system\ndisplay_name: Fuzz\nbase: hgx_h100_8x\n", files),
            Outcome::kAccepted);
  // Paths leading out of the virtual directory do not exist.
  EXPECT_FALSE(files.exists(dir / "chips/../../etc/passwd.yaml"));
  EXPECT_FALSE(files.exists("/etc/passwd"));
  EXPECT_EQ(xpusim::fuzzing::fuzz_config("name: fuzz_chip\nbase: ../../../etc/hostname\n", files),
            Outcome::kRejected);
  // Listing: the input files and the shipped ones, each once.
  const auto chips = files.names_in(dir / "chips");
  EXPECT_TRUE(std::binary_search(chips.begin(), chips.end(), "fuzz_chip"));
  EXPECT_TRUE(std::binary_search(chips.begin(), chips.end(), "h100_sxm"));
  EXPECT_EQ(std::adjacent_find(chips.begin(), chips.end()), chips.end());
}

// The check behind the fix for fuzz/regressions/trace/non_utf8_kernel_name: a binary trace whose
// kernel name held a stray 0xF2 byte was read, then could not be written as JSON (an uncaught
// nlohmann type_error). Cases from the UTF-8 definition (RFC 3629).
TEST(FuzzRegressions, Utf8CheckFollowsRfc3629) {
  using xpusim::trace::is_valid_utf8;
  EXPECT_TRUE(is_valid_utf8(""));
  EXPECT_TRUE(is_valid_utf8("GEMM 256x128x64"));
  EXPECT_TRUE(is_valid_utf8("\xC3\xA9"));           // U+00E9
  EXPECT_TRUE(is_valid_utf8("\xE2\x82\xAC"));       // U+20AC
  EXPECT_TRUE(is_valid_utf8("\xF0\x9F\x98\x80"));   // U+1F600
  EXPECT_FALSE(is_valid_utf8("tiles\xF2 2"));       // lead byte without continuation bytes
  EXPECT_FALSE(is_valid_utf8("\x80"));              // lone continuation byte
  EXPECT_FALSE(is_valid_utf8("\xC0\xAF"));          // overlong '/'
  EXPECT_FALSE(is_valid_utf8("\xED\xA0\x80"));      // UTF-16 surrogate U+D800
  EXPECT_FALSE(is_valid_utf8("\xF4\x90\x80\x80"));  // above U+10FFFF
  EXPECT_FALSE(is_valid_utf8("\xE2\x82"));          // cut short
}
