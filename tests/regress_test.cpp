// `xpusim regress`: golden files pass as committed, a deliberate model change trips them, and
// --update clears the drift.
#include <gtest/gtest.h>

#include <nlohmann/json.hpp>

#include "test_support.hpp"

namespace xpusim::testing {
namespace {

// A golden folder holding one committed golden file (HBM-bound STREAM triad on H100 SXM).
TempDir golden_copy(const std::string& name) {
  TempDir dir;
  std::filesystem::copy_file(source_dir() / "tests/golden" / name, dir.path() / name);
  return dir;
}

TEST(Regress, CommittedGoldensPass) {
  const CliResult r = run_cli("regress " + (source_dir() / "tests/golden").string() + " -j 2");
  EXPECT_EQ(r.status, 0) << r.out << r.err;
  EXPECT_NE(r.out.find("0 metrics beyond tolerance"), std::string::npos) << r.out;
}

TEST(Regress, ChangedHbmDataRateTripsAndUpdateClears) {
  TempDir golden = golden_copy("h100_sxm_stream_triad.json");
  // A changed model: H100's HBM3 pin rate halved (5.23 -> 2.615 Gb/s) in a copy of the configs.
  // STREAM triad is HBM-bound, so its bandwidth must fall by about half.
  TempDir configs;
  std::filesystem::copy(config_dir(), configs.path(), std::filesystem::copy_options::recursive);
  const auto chip = configs.path() / "chips/h100_sxm.yaml";
  std::string yaml = read_file(chip);
  const auto at = yaml.find("data_rate:");
  ASSERT_NE(at, std::string::npos);
  const auto end = yaml.find('\n', at);
  const std::string old_line = yaml.substr(at, end - at);
  yaml.replace(at, end - at, "data_rate: 2.615 Gb/s");
  std::ofstream(chip) << yaml;

  const std::string changed =
      "--config-dir " + configs.path().string() + " regress " + golden.path().string() + " -j 1";
  const CliResult tripped = run_cli(changed);
  EXPECT_EQ(tripped.status, 1) << old_line << "\n" << tripped.out << tripped.err;
  EXPECT_NE(tripped.out.find("DRIFT"), std::string::npos) << tripped.out;

  // The drift of stream_gbs, as printed, is about -50% (the HBM-bound rate halves; latency
  // terms keep it from being exactly half).
  const auto row = tripped.out.find("stream_gbs");
  ASSERT_NE(row, std::string::npos);
  const std::string line = tripped.out.substr(row, tripped.out.find('\n', row) - row);
  const auto pct = line.find('%');
  const auto start = line.rfind(' ', pct);
  const double drift = std::stod(line.substr(start + 1, pct - start - 1));
  EXPECT_LT(drift, -40) << line;
  EXPECT_GT(drift, -55) << line;

  const CliResult updated = run_cli(changed + " --update");
  EXPECT_EQ(updated.status, 0) << updated.out << updated.err;
  EXPECT_NE(updated.out.find("1 updated"), std::string::npos) << updated.out;
  const CliResult clean = run_cli(changed);
  EXPECT_EQ(clean.status, 0) << clean.out << clean.err;

  // The updated file kept its tolerances and its point.
  const auto doc = nlohmann::json::parse(read_file(golden.path() / "h100_sxm_stream_triad.json"));
  EXPECT_EQ(doc["target"], "h100_sxm");
  EXPECT_DOUBLE_EQ(doc["metrics"]["stream_gbs"]["rel_tol"].get<double>(), 0.005);

  // And the unchanged model now drifts from it the other way.
  const CliResult back = run_cli("regress " + golden.path().string() + " -j 1");
  EXPECT_EQ(back.status, 1) << back.out;
}

TEST(Regress, SetOverrideIsPassedThrough) {
  TempDir golden = golden_copy("h100_sxm_gemm_4096.json");
  // Half the SMs: a compute-bound GEMM takes about twice as long.
  const CliResult r = run_cli("regress " + golden.path().string() + " -j 1 --set compute.units=66");
  EXPECT_EQ(r.status, 1) << r.out << r.err;
  EXPECT_NE(r.out.find("latency_s"), std::string::npos);
}

TEST(Regress, BadGoldenFileIsAUserError) {
  TempDir golden;
  golden.write("bad.json", R"({"target": "h100_sxm", "workload": {"gemm": "64x64x64"},
    "metrics": {"latency_s": {"value": 1e-6, "rel_tol": -1}}})");
  const CliResult r = run_cli("regress " + golden.path().string());
  EXPECT_EQ(r.status, 2);
  EXPECT_NE(r.err.find("bad.json: metrics.latency_s: rel_tol must be a number >= 0"),
            std::string::npos)
      << r.err;
  golden.write("bad.json", R"({"target": "h100_sxm", "workload": {"gemm": "64x64x64", "x": "1"}})");
  const CliResult r2 = run_cli("regress " + golden.path().string());
  EXPECT_EQ(r2.status, 2);
  EXPECT_NE(r2.err.find("workload key 'x' is not an option of gemm"), std::string::npos) << r2.err;
}

TEST(Regress, PointThatNoLongerRunsFailsEvenWithUpdate) {
  TempDir golden;
  golden.write("gone.json", R"({"target": "no_such_chip", "workload": {"gemm": "64x64x64"},
    "metrics": {"latency_s": {"value": 1e-6, "rel_tol": 0.01}}})");
  const std::string before = read_file(golden.path() / "gone.json");
  for (const std::string extra : {"", " --update"}) {
    const CliResult r = run_cli("regress " + golden.path().string() + extra);
    EXPECT_EQ(r.status, 1) << extra << r.out << r.err;
    EXPECT_NE(r.out.find("FAILED: unknown chip 'no_such_chip'"), std::string::npos) << r.out;
  }
  EXPECT_EQ(read_file(golden.path() / "gone.json"), before);
}

}  // namespace
}  // namespace xpusim::testing
