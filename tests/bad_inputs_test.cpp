// Bad inputs a user can give, each run through the CLI from a scratch folder: exit status 2,
// nothing on stdout, and a message naming what is wrong. docs/bad-inputs.md is the table of these
// cases with the messages the program prints; a test keeps it in step (XPUSIM_UPDATE_DOCS=1
// rewrites it).
#include <gtest/gtest.h>

#include <fmt/format.h>
#include <cstdlib>
#include <functional>
#include <sstream>

#include "test_support.hpp"

using xpusim::testing::read_file;
using xpusim::testing::run_cli;
using xpusim::testing::TempDir;

namespace {

struct BadInput {
  const char* category;
  const char* what;
  std::function<void(const TempDir&)> setup;  // files the case needs, in the scratch folder
  std::string args;
  std::string expect;  // a fragment the message must contain
};

const std::string kH100 = read_file(xpusim::testing::config_dir() / "chips/h100_sxm.yaml");

// A chip file that inherits H100 and adds `body`; errors then name ./chips/bad.yaml.
std::function<void(const TempDir&)> chip_with(std::string body) {
  return [body](const TempDir& d) {
    d.write("chips/h100_sxm.yaml", kH100);
    d.write("chips/bad.yaml", "name: bad\ndisplay_name: Bad\nbase: h100_sxm\n" + body);
  };
}

std::function<void(const TempDir&)> file(std::string name, std::string text) {
  return [name, text](const TempDir& d) { d.write(name, text); };
}

// A recorded trace, then `damage` applied to its bytes.
std::function<void(const TempDir&)> trace_with(std::string out,
                                               std::function<std::string(std::string)> damage) {
  return [out, damage](const TempDir& d) {
    const auto good = d.path() / "good.trace";
    const auto r =
        run_cli("trace record --chip h100_sxm --gemm 256x256x256 --out " + good.string());
    ASSERT_EQ(r.status, 0) << r.err;
    d.write(out, damage(read_file(good)));
  };
}

const char* kSpecsBad = "--config-dir . specs bad";

std::vector<BadInput> cases() {
  std::vector<BadInput> c;
  // Chip configs: YAML, keys, units, ranges, inheritance.
  c.push_back({"config", "YAML syntax: unclosed list", chip_with("compute:\n  units: [1, 2\n"),
               kSpecsBad, "YAML syntax error"});
  c.push_back({"config", "YAML syntax: tab indentation", chip_with("compute:\n\tunits: 3\n"),
               kSpecsBad, "YAML syntax error"});
  c.push_back({"config", "unknown key (typo)", chip_with("compute:\n  unitz: 100\n"), kSpecsBad,
               "did you mean 'compute.units'"});
  c.push_back({"config", "key in the wrong section", chip_with("compute:\n  hit_latency: 150 ns\n"),
               kSpecsBad, "did you mean 'l2.hit_latency'"});
  c.push_back(
      {"config", "size without a unit", chip_with("l2:\n  size: 50\n"), kSpecsBad, "has no unit"});
  c.push_back({"config", "unit of the wrong kind", chip_with("memory:\n  data_rate: 5 GHz\n"),
               kSpecsBad, "is a frequency, but a bandwidth is expected"});
  c.push_back({"config", "unknown unit", chip_with("l2:\n  hit_latency: 150 parsecs\n"), kSpecsBad,
               "unknown unit"});
  c.push_back({"config", "negative bandwidth", chip_with("l2:\n  bandwidth: -5 TB/s\n"), kSpecsBad,
               "out of range"});
  c.push_back(
      {"config", "zero SMs", chip_with("compute:\n  units: 0\n"), kSpecsBad, "out of range"});
  c.push_back({"config", "fractional SM count", chip_with("compute:\n  units: 78.5\n"), kSpecsBad,
               "expected an integer"});
  c.push_back({"config", "value not in the enumeration", chip_with("memory:\n  technology: hbm9\n"),
               kSpecsBad, "is not one of"});
  c.push_back({"config", "duplicate key", chip_with("tdp: 700 W\ntdp: 600 W\n"), kSpecsBad,
               "duplicate key"});
  c.push_back({"config", "cycles where no clock is in scope",
               chip_with("l2:\n  hit_latency: 200 cycles\n"), kSpecsBad, "cycles are not allowed"});
  c.push_back({"config", "shared memory per CTA above the SM's",
               chip_with("compute:\n  max_smem_per_cta: 300 KiB\n"), kSpecsBad, "exceeds"});
  c.push_back({"config", "interleave not a multiple of the burst",
               chip_with("memory:\n  interleave: 100 B\n"), kSpecsBad, "multiple of the burst"});
  c.push_back({"config", "missing required key",
               file("chips/bad.yaml",
                    "name: bad\ndisplay_name: X\nvendor: nvidia\nfamily: hopper\ncompute:\n  "
                    "clock: 1 GHz\n"),
               kSpecsBad, "missing required key"});
  c.push_back({"config", "base that does not exist",
               file("chips/bad.yaml", "name: bad\ndisplay_name: X\nbase: h100_sxn\n"), kSpecsBad,
               "no config named 'h100_sxn'"});
  c.push_back({"config", "inheritance cycle",
               [](const TempDir& d) {
                 d.write("chips/a.yaml", "name: a\ndisplay_name: A\nbase: bad\n");
                 d.write("chips/bad.yaml", "name: bad\ndisplay_name: X\nbase: a\n");
               },
               kSpecsBad, "cycle"});
  c.push_back({"config", "name differs from the file name",
               [](const TempDir& d) {
                 d.write("chips/h100_sxm.yaml", kH100);
                 d.write("chips/bad.yaml", "name: other\ndisplay_name: X\nbase: h100_sxm\n");
               },
               kSpecsBad, "does not match the file name"});
  c.push_back({"config", "unknown chip name", chip_with(""), "--config-dir . specs h100_sx",
               "did you mean 'h100_sxm'"});
  c.push_back({"config", "--set of an unknown key", chip_with(""),
               "--config-dir . specs h100_sxm --set compute.unitz=114",
               "did you mean 'compute.units'"});
  c.push_back({"config", "--set without a unit", chip_with(""),
               "--config-dir . specs h100_sxm --set memory.data_rate=6.4", "has no unit"});
  c.push_back({"config", "--set without '='", chip_with(""),
               "--config-dir . specs h100_sxm --set compute.units", "expected key=value"});
  // Traces.
  c.push_back({"trace", "truncated binary trace",
               trace_with("cut.trace", [](std::string b) { return b.substr(0, b.size() / 2); }),
               "trace replay cut.trace --chip h100_sxm", "cut.trace"});
  c.push_back({"trace", "not a trace at all", file("text.trace", "hello, world\n"),
               "trace replay text.trace --chip h100_sxm", "text.trace"});
  c.push_back({"trace", "a corrupted byte (CRC)",
               trace_with("flip.trace",
                          [](std::string b) {
                            b[b.size() - 3] ^= 0x5a;
                            return b;
                          }),
               "trace replay flip.trace --chip h100_sxm", "flip.trace"});
  c.push_back({"trace", "wrong format version",
               trace_with("v9.trace",
                          [](std::string b) {
                            b[8] = 9;
                            return b;
                          }),
               "trace replay v9.trace --chip h100_sxm", "version"});
  c.push_back({"trace", "trace of another chip family",
               trace_with("h.trace", [](std::string b) { return b; }),
               "trace replay h.trace --chip a100_sxm_80gb", "cannot replay on a100_sxm_80gb"});
  c.push_back({"trace", "missing trace file", nullptr, "trace replay nothing.trace --chip h100_sxm",
               "nothing.trace"});
  // Workloads.
  c.push_back(
      {"workload", "negative GEMM size", nullptr, "run --chip h100_sxm --gemm 10x-5x3", "10x-5x3"});
  c.push_back({"workload", "zero GEMM size", nullptr, "run --chip h100_sxm --gemm 0x5x3", "0x5x3"});
  c.push_back({"workload", "GEMM size beyond 32 bits", nullptr,
               "run --chip h100_sxm --gemm 99999999999x8x8", "99999999999"});
  c.push_back(
      {"workload", "malformed GEMM shape", nullptr, "run --chip h100_sxm --gemm 8x8", "8x8"});
  c.push_back({"workload", "FP8 on a chip without FP8 tensor cores", nullptr,
               "run --chip a100_sxm_80gb --gemm 64x64x64 --dtype fp8", "no fp8 tensor-core rate"});
  c.push_back({"workload", "unknown dtype", nullptr,
               "run --chip h100_sxm --gemm 64x64x64 --dtype fp7", "fp7"});
  c.push_back({"workload", "unknown STREAM kernel", nullptr, "run --chip h100_sxm --stream saxpy",
               "saxpy"});
  c.push_back({"workload", "two workloads at once", nullptr,
               "run --chip h100_sxm --gemm 64x64x64 --stream copy", "exactly one workload"});
  // Measurement files.
  c.push_back({"validate", "CSV without a required column",
               file("m.csv", "id,chip,kind\nx,h100_sxm,gemm\n"), "validate m.csv",
               "missing column 'devices'"});
  c.push_back({"validate", "CSV with an unterminated quote",
               file("q.csv", "id,chip\n\"unterminated,x\n"), "validate q.csv",
               "q.csv:2: unterminated quoted field"});
  c.push_back(
      {"validate", "missing CSV file", nullptr, "validate none.csv", "none.csv: cannot open"});
  return c;
}

struct Outcome {
  BadInput input;
  xpusim::testing::CliResult result;
};

Outcome run_case(const BadInput& b) {
  TempDir dir;
  if (b.setup) b.setup(dir);
  return Outcome{b, run_cli(b.args, dir.path())};
}

std::string markdown(const std::vector<Outcome>& all) {
  std::string out =
      "# Bad inputs and the messages they get\n\n"
      "Each row is a test (`tests/bad_inputs_test.cpp`): the command runs from a scratch folder "
      "holding\n"
      "the files the case needs, exits with status 2, prints nothing on stdout and this on "
      "stderr.\n"
      "Regenerate with `XPUSIM_UPDATE_DOCS=1 build/xpusim_tests --gtest_filter='BadInputs.*'`.\n\n"
      "| # | kind | input | command | message |\n|---|---|---|---|---|\n";
  int n = 0;
  for (const auto& o : all) {
    std::string msg = o.result.err;
    while (!msg.empty() && msg.back() == '\n') msg.pop_back();
    std::string cell;
    for (char ch : msg)
      cell += ch == '\n'  ? std::string("<br>")
              : ch == '|' ? std::string("\\|")
                          : std::string(1, ch);
    out += fmt::format("| {} | {} | {} | `xpusim {}` | {} |\n", ++n, o.input.category, o.input.what,
                       o.input.args, cell);
  }
  return out;
}

TEST(BadInputs, EachIsAClearErrorAndTheTableIsCurrent) {
  const auto all_cases = cases();
  ASSERT_GE(all_cases.size(), 30u);
  std::vector<Outcome> all;
  for (const BadInput& b : all_cases) {
    all.push_back(run_case(b));
    const auto& r = all.back().result;
    EXPECT_EQ(r.status, 2) << b.what << "\n" << r.err;
    EXPECT_TRUE(r.out.empty()) << b.what << " printed a result:\n" << r.out;
    EXPECT_NE(r.err.find(b.expect), std::string::npos) << b.what << ": no '" << b.expect << "' in\n"
                                                       << r.err;
  }
  const auto doc = xpusim::testing::source_dir() / "docs/bad-inputs.md";
  const std::string table = markdown(all);
  if (const char* update = std::getenv("XPUSIM_UPDATE_DOCS");
      update && std::string(update) == "1") {
    std::ofstream(doc) << table;
  }
  EXPECT_EQ(read_file(doc), table)
      << "docs/bad-inputs.md is out of date; rerun with XPUSIM_UPDATE_DOCS=1";
}

}  // namespace
