// Replays every input kept under fuzz/regressions/<target>/ (inputs that once crashed a fuzzer,
// docs/hardening.md) and the seed corpora under fuzz/corpus/<target>/ through the same entry points
// the libFuzzer targets call, in the ordinary build. An entry point returns normally for any input
// (kRejected when the input got a UserError); anything else fails the test or aborts the run.
#include <gtest/gtest.h>

#include <algorithm>
#include <filesystem>
#include <vector>

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
  const xpusim::testing::TempDir scratch;
  const auto files = inputs_of("config");
  ASSERT_FALSE(files.empty()) << "no seed corpus under fuzz/corpus/config";
  int accepted = 0;
  for (const fs::path& f : files) {
    SCOPED_TRACE(f.string());
    accepted += xpusim::fuzzing::fuzz_config(read_file(f), scratch.path()) == Outcome::kAccepted;
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

  const xpusim::testing::TempDir scratch;
  const std::string h100 = read_file(xpusim::testing::config_dir() / "chips/h100_sxm.yaml");
  const std::string base = "#@base\n" + h100;  // a base keeps its own name
  EXPECT_EQ(xpusim::fuzzing::fuzz_config(
                "name: fuzz_chip\ndisplay_name: Fuzz\nbase: fuzz_base\n" + base, scratch.path()),
            Outcome::kAccepted);
  EXPECT_EQ(xpusim::fuzzing::fuzz_config("name: fuzz_chip\ndisplay_name: Fuzz\nbase: fuzz_base\n" +
                                             base + "#@set\ncompute.units=0\n",
                                         scratch.path()),
            Outcome::kRejected);
  // An integer key without a maximum of its own still has the int range's (was UB: 1e11 -> int).
  EXPECT_EQ(xpusim::fuzzing::fuzz_config("name: fuzz_chip\ndisplay_name: Fuzz\nbase: fuzz_base\n" +
                                             base + "#@set\ncompute.max_ctas_per_unit=2147483648\n",
                                         scratch.path()),
            Outcome::kRejected);
}

}  // namespace

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
