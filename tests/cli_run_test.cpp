// The run, trace and validate commands as a user drives them.
#include <gtest/gtest.h>

#include <nlohmann/json.hpp>

#include <fstream>
#include <sstream>

#include "test_support.hpp"

using xpusim::testing::run_cli;
using xpusim::testing::TempDir;

namespace {

nlohmann::json json_of(const xpusim::testing::CliResult& r) {
  EXPECT_EQ(r.status, 0) << r.err;
  return nlohmann::json::parse(r.out);
}

TEST(CliRun, GemmReportIsCompleteJson) {
  const auto j =
      json_of(run_cli("run --chip h100_sxm --gemm 1024x1024x1024 --format json --check"));
  EXPECT_GT(j["latency_s"].get<double>(), 0);
  EXPECT_NEAR(j["flops"].get<double>(), 2.0 * 1024 * 1024 * 1024, 1);
  for (const char* u : {"tensor", "vector", "sfu", "l2", "hbm"})
    EXPECT_TRUE(j["utilisation"].contains(u)) << u;
  EXPECT_FALSE(j["bottleneck"].get<std::string>().empty());
  EXPECT_TRUE(j["functional_check"]["computed"].get<bool>());
  EXPECT_TRUE(j["functional_check"]["within_bound"].get<bool>());
  EXPECT_TRUE(j["components"]["hbm"].contains("row_hits"));
}

TEST(CliRun, SameRunTwiceGivesByteIdenticalJson) {
  const auto a =
      run_cli("run --chip a100_sxm_80gb --gemm 1000x1999x777 --dtype fp16 --format json");
  const auto b =
      run_cli("run --chip a100_sxm_80gb --gemm 1000x1999x777 --dtype fp16 --format json");
  ASSERT_EQ(a.status, 0) << a.err;
  EXPECT_EQ(a.out, b.out);
}

TEST(CliRun, BadWorkloadsAreClearErrors) {
  struct Case {
    const char* args;
    const char* phrase;
  };
  const Case cases[] = {
      {"run --chip h100_sxm --gemm 10x-5x3", "10x-5x3"},
      {"run --chip h100_sxm --gemm 0x5x3", "0x5x3"},
      {"run --chip h100_sxm --gemm 8x8", "8x8"},
      {"run --chip h100_sxm", "exactly one workload"},
      {"run --chip h100_sxm --gemm 64x64x64 --stream copy", "exactly one workload"},
      {"run --chip h100_sxm --stream saxpy", "saxpy"},
      {"run --chip h100_sxm --gemm 64x64x64 --dtype fp7", "fp7"},
      {"run --chip a100_sxm_80gb --gemm 64x64x64 --dtype fp8", "fp8"},
      {"run --chip h100_sxm --gemm 64x64x64 --quantum 0", "--quantum"},
  };
  for (const Case& c : cases) {
    const auto r = run_cli(c.args);
    EXPECT_EQ(r.status, 2) << c.args << "\n" << r.err;
    EXPECT_TRUE(r.out.empty()) << c.args;
    EXPECT_NE(r.err.find(c.phrase), std::string::npos) << c.args << "\n" << r.err;
  }
}

TEST(CliTrace, RecordedTraceReplaysOnAChipOfTheSameFamily) {
  TempDir dir;
  const auto file = (dir.path() / "g.trace").string();
  const auto rec = run_cli("trace record --chip h100_sxm --gemm 2048x2048x2048 --out " + file);
  ASSERT_EQ(rec.status, 0) << rec.err;
  // H800 is H100 silicon with fewer NVLinks: replaying the H100 trace on it gives exactly what
  // planning and running on H800 directly gives.
  const auto replay = json_of(run_cli("trace replay " + file + " --chip h800_sxm --format json"));
  const auto direct = json_of(run_cli("run --chip h800_sxm --gemm 2048x2048x2048 --format json"));
  EXPECT_EQ(replay["latency_s"], direct["latency_s"]);
  // A JSON trace replays the same as the binary one.
  const auto json_file = (dir.path() / "g.json").string();
  ASSERT_EQ(run_cli("trace record --chip h100_sxm --gemm 2048x2048x2048 --out " + json_file).status,
            0);
  const auto from_json =
      json_of(run_cli("trace replay " + json_file + " --chip h800_sxm --format json"));
  EXPECT_EQ(from_json["latency_s"], direct["latency_s"]);
}

// `trace record --attention` once dropped the attention spec ("give exactly one workload").
TEST(CliTrace, AttentionTraceRecordsAndReplaysAsTheDirectRun) {
  TempDir dir;
  const auto file = (dir.path() / "a.trace").string();
  const std::string spec = "batch=1,heads=4,kv_heads=2,head_dim=128,seq_q=512,seq_kv=512,causal=1";
  const auto rec = run_cli("trace record --chip h100_sxm --attention " + spec + " --out " + file);
  ASSERT_EQ(rec.status, 0) << rec.err;
  const auto replay = json_of(run_cli("trace replay " + file + " --chip h100_sxm --format json"));
  const auto direct =
      json_of(run_cli("run --chip h100_sxm --attention " + spec + " --format json"));
  EXPECT_EQ(replay["latency_s"], direct["latency_s"]);
  EXPECT_EQ(
      run_cli("trace record --chip h100_sxm --attention " + spec + " --gemm 8x8x8 --out " + file)
          .status,
      2);
}

TEST(CliTrace, WrongFamilyAndDamagedFilesAreClearErrors) {
  TempDir dir;
  const auto file = (dir.path() / "g.trace").string();
  ASSERT_EQ(run_cli("trace record --chip h100_sxm --gemm 512x512x512 --out " + file).status, 0);
  const auto wrong = run_cli("trace replay " + file + " --chip a100_sxm_80gb");
  EXPECT_EQ(wrong.status, 2);
  EXPECT_NE(wrong.err.find("hopper"), std::string::npos) << wrong.err;
  const std::string bytes = xpusim::testing::read_file(file);
  const auto cut = dir.write("cut.trace", bytes.substr(0, bytes.size() / 2));
  const auto truncated = run_cli("trace replay " + cut.string() + " --chip h100_sxm");
  EXPECT_EQ(truncated.status, 2);
  EXPECT_NE(truncated.err.find(cut.string()), std::string::npos) << truncated.err;
  const auto missing =
      run_cli("trace replay " + (dir.path() / "none").string() + " --chip h100_sxm");
  EXPECT_EQ(missing.status, 2);
}

TEST(CliValidate, AnyFileWithTheColumnsWorks) {
  TempDir dir;
  // Columns in another order than measured.csv, no source column; measured values are invented.
  const auto csv =
      dir.write("m.csv",
                "kind,id,chip,devices,dtype,params,metric,value,unit\n"
                "gemm,g1,h100_sxm,1,bf16,M=1024;N=1024;K=1024,throughput,500,TFLOP/s\n"
                "gemm,g2,h100_sxm,1,bf16,M=1024;N=1024;K=1024,time,0.01,ms\n"
                "power,a1,h100_sxm,8,fp8,model=llama2-70b,tokens_per_s,100,tok/s\n"
                "gemm,bad,h100_sxm,1,bf16,M=1024;N=1024;K=1024,throughput,-3,TFLOP/s\n");
  const auto j = json_of(run_cli("validate " + csv.string() + " --format json"));
  ASSERT_EQ(j.size(), 4u);
  EXPECT_EQ(j[0]["id"], "g1");
  EXPECT_EQ(j[0]["status"], "ok");
  for (const char* f : {"id", "kind", "status", "simulated", "measured", "unit", "rel_error"})
    EXPECT_TRUE(j[0].contains(f)) << f;
  const double sim = j[0]["simulated"].get<double>();
  EXPECT_NEAR(j[0]["rel_error"].get<double>(), (sim - 500) / 500, 1e-12);
  // The time row is the same simulation seen as a time: 2*1024^3 FLOP / throughput.
  EXPECT_NEAR(j[1]["simulated"].get<double>(), 2.0 * 1024 * 1024 * 1024 / (sim * 1e12) * 1e3, 1e-9);
  EXPECT_EQ(j[2]["status"], "skipped");
  EXPECT_TRUE(j[2]["simulated"].is_null());
  EXPECT_EQ(j[3]["status"], "error");
  EXPECT_NE(j[3]["message"].get<std::string>().find("m.csv:5"), std::string::npos) << j[3];
}

TEST(CliValidate, MissingColumnOrBrokenFileIsAnError) {
  TempDir dir;
  const auto csv = dir.write("m.csv", "id,chip,kind\nx,h100_sxm,gemm\n");
  const auto r = run_cli("validate " + csv.string());
  EXPECT_EQ(r.status, 2);
  EXPECT_NE(r.err.find("missing column"), std::string::npos) << r.err;
  const auto quote = dir.write("q.csv", "id,chip\n\"unterminated,x\n");
  const auto q = run_cli("validate " + quote.string());
  EXPECT_EQ(q.status, 2);
  EXPECT_NE(q.err.find("q.csv:2"), std::string::npos) << q.err;
}

}  // namespace

namespace xpusim {
namespace {

// `validate --format csv` writes a header and one parseable line per row (not the text table).
TEST(CliValidate, CsvOutputHasOneLinePerRow) {
  xpusim::testing::TempDir dir;
  const auto csv = dir.path() / "rows.csv";
  {
    std::ofstream out(csv);
    out << "id,chip,devices,kind,dtype,params,metric,value,unit\n"
           "g1,h100_sxm,1,gemm,bf16,M=512;N=512;K=512,throughput,100,TFLOP/s\n"
           "bad,no_such_chip,1,gemm,bf16,M=64;N=64;K=64,throughput,1,TFLOP/s\n";
  }
  const auto r = xpusim::testing::run_cli("validate --jobs 1 --format csv " + csv.string());
  ASSERT_EQ(r.status, 0) << r.err;
  std::istringstream lines(r.out);
  std::string header, ok, bad, extra;
  std::getline(lines, header);
  std::getline(lines, ok);
  std::getline(lines, bad);
  EXPECT_FALSE(std::getline(lines, extra)) << "unexpected line: " << extra;
  EXPECT_EQ(header.rfind("id,kind,status,chip,metric,unit,simulated,measured,rel_error", 0), 0u);
  EXPECT_EQ(ok.rfind("g1,gemm,ok,h100_sxm,throughput,TFLOP/s,", 0), 0u) << ok;
  EXPECT_EQ(bad.rfind("bad,gemm,error,no_such_chip,", 0), 0u) << bad;
}

}  // namespace
}  // namespace xpusim
