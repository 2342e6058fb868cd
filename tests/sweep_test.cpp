// `xpusim sweep`: grid and sample expansion, streamed results, failed points, --jobs
// independence, and kill-then-resume.
#include <gtest/gtest.h>
#include <signal.h>
#include <spawn.h>
#include <sys/wait.h>
#include <unistd.h>

#include <fcntl.h>
#include <fmt/format.h>
#include <algorithm>

#include <chrono>
#include <nlohmann/json.hpp>
#include <set>
#include <thread>

#include "sim/common/error.hpp"
#include "sim/explore/sweep_spec.hpp"
#include "sim/explore/sweep_store.hpp"
#include "test_support.hpp"

extern char** environ;

namespace xpusim::testing {
namespace {

using explore::expand;
using explore::read_sweep_spec;

std::vector<std::string> lines_of(const std::string& text) {
  std::vector<std::string> out;
  std::size_t pos = 0;
  while (pos < text.size()) {
    const auto nl = text.find('\n', pos);
    if (nl == std::string::npos) break;  // a partial last line is not a line
    out.push_back(text.substr(pos, nl - pos));
    pos = nl + 1;
  }
  return out;
}

// 2 chips x 3 values x 2 workloads = 12 points.
const char* kSmallGrid = R"(chips: [h100_sxm, h20]
parameters:
  compute.units: [40, 60, 78]
workloads:
  - {gemm: 256x256x256}
  - {gemm: 512x256x128, dtype: fp16}
)";

TEST(SweepSpec, GridOrderIsWorkloadThenTargetThenParametersLastFastest) {
  TempDir dir;
  const auto spec = read_sweep_spec(dir.write("s.yaml", R"(chips: [h100_sxm, h20]
parameters:
  compute.units: [40, 60, 78]
  memory.data_rate: {from: 2, to: 4, step: 1, unit: Gb/s}
workloads:
  - {gemm: 256x256x256}
  - {stream: triad, elements: 4096}
)"));
  EXPECT_EQ(explore::grid_size(spec), 2u * 2u * 3u * 3u);  // 2 workloads x 2 chips x 3 x 3
  const auto points = expand(spec);
  ASSERT_EQ(points.size(), 36u);
  EXPECT_EQ(points[0].point.canonical(),
            "h100_sxm|compute.units=40;memory.data_rate=2Gb/s|gemm=256x256x256");
  EXPECT_EQ(points[1].point.canonical(),
            "h100_sxm|compute.units=40;memory.data_rate=3Gb/s|gemm=256x256x256");
  EXPECT_EQ(points[3].point.canonical(),
            "h100_sxm|compute.units=60;memory.data_rate=2Gb/s|gemm=256x256x256");
  EXPECT_EQ(points[9].point.canonical(),
            "h20|compute.units=40;memory.data_rate=2Gb/s|gemm=256x256x256");
  EXPECT_EQ(points[18].point.canonical(),
            "h100_sxm|compute.units=40;memory.data_rate=2Gb/s|stream=triad elements=4096");
  std::set<std::string> ids;
  for (const auto& p : points) ids.insert(p.point.id());
  EXPECT_EQ(ids.size(), 36u);
}

TEST(SweepSpec, PointIdIsAStableHashOfThePoint) {
  explore::Point p;
  p.target = "h100_sxm";
  p.workload = explore::make_workload({{"gemm", "256x256x256"}}, "test");
  // FNV-1a 64 of "h100_sxm||gemm=256x256x256", computed independently (Python:
  // h=0xcbf29ce484222325; for b in s.encode(): h=((h^b)*0x100000001b3)%2**64).
  EXPECT_EQ(p.canonical(), "h100_sxm||gemm=256x256x256");
  EXPECT_EQ(p.id(), "3c97ace5100a0bc5");
}

TEST(SweepSpec, RandomSampleIsSeededDistinctAndInGridOrder) {
  TempDir dir;
  const std::string body = std::string(kSmallGrid) + "sample: {count: 5, seed: 42}\n";
  const auto a = expand(read_sweep_spec(dir.write("a.yaml", body)));
  const auto b = expand(read_sweep_spec(dir.write("b.yaml", body)));
  ASSERT_EQ(a.size(), 5u);
  for (std::size_t i = 0; i < a.size(); ++i) {
    EXPECT_EQ(a[i].index, b[i].index);
    EXPECT_LT(a[i].index, 12u);
    if (i > 0) {
      EXPECT_LT(a[i - 1].index, a[i].index);
    }
  }
  // A sample as large as the grid is the grid.
  const auto all = expand(read_sweep_spec(
      dir.write("c.yaml", std::string(kSmallGrid) + "sample: {count: 100, seed: 1}\n")));
  EXPECT_EQ(all.size(), 12u);
}

TEST(SweepSpec, ShardsPartitionThePoints) {
  TempDir dir;
  const auto points = expand(read_sweep_spec(dir.write("s.yaml", kSmallGrid)));
  std::multiset<std::uint64_t> seen;
  for (int k = 0; k < 5; ++k)
    for (const auto& p : explore::select_shard(points, k, 5)) seen.insert(p.index);
  ASSERT_EQ(seen.size(), 12u);
  for (std::uint64_t i = 0; i < 12; ++i) EXPECT_EQ(seen.count(i), 1u);
}

TEST(SweepSpec, BadFilesNameFileLineAndKey) {
  TempDir dir;
  auto message = [&](const std::string& body) {
    try {
      read_sweep_spec(dir.write("bad.yaml", body));
    } catch (const UserError& e) {
      return std::string(e.what());
    }
    return std::string("no error");
  };
  EXPECT_NE(message("chips: [h100_sxm]\nworkload:\n  - {gemm: 1x1x1}\n")
                .find("bad.yaml:2: workload: unknown key"),
            std::string::npos);
  EXPECT_NE(message("chips: [h100_sxm]\nworkloads:\n  - {gemm: 1x1x1, colour: red}\n")
                .find("bad.yaml:3: workloads[0]: workload key 'colour' is not an option of gemm"),
            std::string::npos);
  EXPECT_NE(message("chips: [h100_sxm]\nparameters:\n  compute.units: {from: 1, to: 4}\n"
                    "workloads:\n  - {gemm: 1x1x1}\n")
                .find("bad.yaml:3: parameters.compute.units: a range needs from, to and one of "
                      "step or count"),
            std::string::npos);
  EXPECT_NE(message("workloads:\n  - {allreduce: 1M}\n").find("needs a systems list"),
            std::string::npos);
  EXPECT_EQ(message("chips: [h100_sxm, h100_sxm]\nworkloads:\n  - {gemm: 64x64x64}\n"),
            "no error");  // read_sweep_spec accepts it; expand() refuses the duplicate
  EXPECT_THROW(expand(read_sweep_spec(dir.write(
                   "dup.yaml", "chips: [h100_sxm, h100_sxm]\nworkloads:\n  - {gemm: 64x64x64}\n"))),
               UserError);
}

std::string sweep_cmd(const std::filesystem::path& spec, const std::filesystem::path& out,
                      int jobs) {
  return "sweep " + spec.string() + " --out " + out.string() + " --jobs " + std::to_string(jobs);
}

TEST(Sweep, JobsOneAndTwoGiveTheSameFiles) {
  TempDir dir;
  const auto spec = dir.write("s.yaml", kSmallGrid);
  const CliResult one = run_cli(sweep_cmd(spec, dir.path() / "one", 1));
  const CliResult two = run_cli(sweep_cmd(spec, dir.path() / "two", 2));
  ASSERT_EQ(one.status, 0) << one.out << one.err;
  ASSERT_EQ(two.status, 0) << two.out << two.err;
  EXPECT_NE(one.out.find("12 points: 0 already finished (skipped), 12 run now (12 ok, 0 failed)"),
            std::string::npos)
      << one.out;
  const std::string jsonl = read_file(dir.path() / "one/results.jsonl");
  EXPECT_EQ(lines_of(jsonl).size(), 12u);
  EXPECT_EQ(jsonl, read_file(dir.path() / "two/results.jsonl"));
  EXPECT_EQ(read_file(dir.path() / "one/results.csv"), read_file(dir.path() / "two/results.csv"));
  // The CSV: a header and one row per point, in grid order.
  const auto rows = lines_of(read_file(dir.path() / "one/results.csv"));
  ASSERT_EQ(rows.size(), 13u);
  EXPECT_EQ(rows[0].rfind("id,index,target,workload,compute.units,status,error,latency_s,", 0), 0u)
      << rows[0];
  EXPECT_NE(rows[1].find(",0,h100_sxm,gemm=256x256x256,40,ok,,"), std::string::npos) << rows[1];
}

TEST(Sweep, FailedPointIsRecordedAndTheSweepGoesOn) {
  TempDir dir;
  const auto spec = dir.write("s.yaml", R"(chips: [no_such_chip, h100_sxm]
parameters:
  compute.units: [66, 0]
workloads:
  - {gemm: 256x256x256}
)");
  const CliResult r = run_cli(sweep_cmd(spec, dir.path() / "out", 2));
  EXPECT_EQ(r.status, 0) << r.out << r.err;  // every point has a record
  EXPECT_NE(r.err.find("3 points failed"), std::string::npos) << r.err;
  EXPECT_NE(r.out.find("4 points: 0 already finished (skipped), 4 run now (1 ok, 3 failed)"),
            std::string::npos)
      << r.out;
  const auto records = explore::read_records(dir.path() / "out/results.jsonl", false);
  ASSERT_EQ(records.size(), 4u);
  int ok = 0;
  for (const auto& [id, rec] : records) {
    if (rec["status"] == "ok") {
      ++ok;
      EXPECT_EQ(rec["target"], "h100_sxm");
      EXPECT_GT(rec["metrics"]["latency_s"].get<double>(), 0);
    } else if (rec["target"] == "no_such_chip") {
      EXPECT_NE(rec["error"].get<std::string>().find("unknown chip 'no_such_chip'"),
                std::string::npos);
    } else {
      EXPECT_NE(rec["error"].get<std::string>().find("compute.units"), std::string::npos)
          << rec["error"];
    }
  }
  EXPECT_EQ(ok, 1);
  // --strict turns failed points into exit status 1 (here on a resume that runs nothing).
  const CliResult strict = run_cli(sweep_cmd(spec, dir.path() / "out", 2) + " --resume --strict");
  EXPECT_EQ(strict.status, 1) << strict.out << strict.err;
  EXPECT_NE(strict.out.find("4 already finished (skipped), 0 run now"), std::string::npos)
      << strict.out;
}

TEST(Sweep, ExistingResultsNeedResume) {
  TempDir dir;
  const auto spec = dir.write("s.yaml", "chips: [h100_sxm]\nworkloads:\n  - {gemm: 64x64x64}\n");
  ASSERT_EQ(run_cli(sweep_cmd(spec, dir.path() / "out", 1)).status, 0);
  const CliResult again = run_cli(sweep_cmd(spec, dir.path() / "out", 1));
  EXPECT_EQ(again.status, 2);
  EXPECT_NE(again.err.find("pass --resume"), std::string::npos) << again.err;
  const CliResult resumed = run_cli(sweep_cmd(spec, dir.path() / "out", 1) + " --resume");
  EXPECT_EQ(resumed.status, 0);
  EXPECT_NE(resumed.out.find("1 already finished (skipped), 0 run now"), std::string::npos)
      << resumed.out;
}

TEST(Sweep, PartialLastLineIsCutOffOnResume) {
  TempDir dir;
  const auto spec = dir.write("s.yaml", kSmallGrid);
  ASSERT_EQ(run_cli(sweep_cmd(spec, dir.path() / "full", 2)).status, 0);
  // A sweep killed while writing its fourth record: three whole lines and half of one.
  const auto full = lines_of(read_file(dir.path() / "full/results.jsonl"));
  std::filesystem::create_directories(dir.path() / "cut");
  std::ofstream(dir.path() / "cut/results.jsonl") << full[0] << "\n"
                                                  << full[1] << "\n"
                                                  << full[2] << "\n"
                                                  << full[3].substr(0, 40);
  const CliResult r = run_cli(sweep_cmd(spec, dir.path() / "cut", 2) + " --resume");
  ASSERT_EQ(r.status, 0) << r.out << r.err;
  EXPECT_NE(r.out.find("3 already finished (skipped), 9 run now"), std::string::npos) << r.out;
  EXPECT_EQ(read_file(dir.path() / "cut/results.jsonl"),
            read_file(dir.path() / "full/results.jsonl"));
  EXPECT_EQ(read_file(dir.path() / "cut/results.csv"), read_file(dir.path() / "full/results.csv"));
}

// Starts the CLI in its own process group (so that its simulation children can be killed with
// it) and returns its pid.
pid_t spawn_cli(const std::vector<std::string>& args) {
  std::vector<std::string> argv = {XPUSIM_BINARY};
  argv.insert(argv.end(), args.begin(), args.end());
  std::vector<char*> raw;
  for (auto& a : argv) raw.push_back(a.data());
  raw.push_back(nullptr);
  posix_spawnattr_t attr;
  posix_spawnattr_init(&attr);
  posix_spawnattr_setflags(&attr, POSIX_SPAWN_SETPGROUP);
  posix_spawnattr_setpgroup(&attr, 0);
  posix_spawn_file_actions_t files;
  posix_spawn_file_actions_init(&files);
  posix_spawn_file_actions_addopen(&files, STDOUT_FILENO, "/dev/null", O_WRONLY, 0);
  posix_spawn_file_actions_addopen(&files, STDERR_FILENO, "/dev/null", O_WRONLY, 0);
  pid_t pid = -1;
  const int err = posix_spawn(&pid, raw[0], &files, &attr, raw.data(), environ);
  posix_spawn_file_actions_destroy(&files);
  posix_spawnattr_destroy(&attr);
  return err == 0 ? pid : -1;
}

TEST(Sweep, KilledSweepResumesWithoutLosingOrRecomputingPoints) {
  TempDir dir;
  // 3 chips x 10 values x 1 workload = 30 points of about 0.1 s each.
  const auto spec = dir.write("s.yaml", R"(chips: [h100_sxm, h20, a100_sxm_80gb]
parameters:
  compute.units: {from: 40, to: 76, step: 4}
workloads:
  - {gemm: 2048x2048x1024}
)");
  const auto out = dir.path() / "killed";
  const pid_t pid = spawn_cli({"sweep", spec.string(), "--out", out.string(), "--jobs", "2"});
  ASSERT_GT(pid, 0);
  // Kill it (and its simulation children) once at least 4 points have finished.
  const auto jsonl = out / "results.jsonl";
  const auto deadline = std::chrono::steady_clock::now() + std::chrono::seconds(120);
  while (lines_of(read_file(jsonl)).size() < 4 && std::chrono::steady_clock::now() < deadline)
    std::this_thread::sleep_for(std::chrono::milliseconds(5));
  ::kill(-pid, SIGKILL);
  int status = 0;
  ::waitpid(pid, &status, 0);
  ASSERT_TRUE(WIFSIGNALED(status)) << "the sweep ended before it could be killed";
  const auto before = lines_of(read_file(jsonl));
  ASSERT_GE(before.size(), 4u);
  ASSERT_LT(before.size(), 30u) << "every point finished before the kill";
  std::cout << "killed after " << before.size() << " of 30 points\n";

  const CliResult resumed = run_cli(sweep_cmd(spec, out, 2) + " --resume");
  ASSERT_EQ(resumed.status, 0) << resumed.out << resumed.err;
  // No finished point recomputed: exactly the unfinished ones ran.
  EXPECT_NE(resumed.out.find(fmt::format("30 points: {} already finished (skipped), {} run now",
                                         before.size(), 30 - before.size())),
            std::string::npos)
      << resumed.out;
  // None lost: every record written before the kill is in the final file, unchanged.
  const auto after = lines_of(read_file(jsonl));
  ASSERT_EQ(after.size(), 30u);
  const std::set<std::string> final_lines(after.begin(), after.end());
  for (const auto& line : before) EXPECT_EQ(final_lines.count(line), 1u) << line;
  // And the result equals an uninterrupted run's, byte for byte.
  ASSERT_EQ(run_cli(sweep_cmd(spec, dir.path() / "straight", 2)).status, 0);
  EXPECT_EQ(read_file(jsonl), read_file(dir.path() / "straight/results.jsonl"));
  EXPECT_EQ(read_file(out / "results.csv"), read_file(dir.path() / "straight/results.csv"));
}

}  // namespace
}  // namespace xpusim::testing
