// `validate`: the rows do not depend on how many processes simulate them, and a simulation that
// fails in its process becomes a row error, never a hang.
#include <gtest/gtest.h>

#include <unistd.h>
#include <csignal>
#include <cstdlib>
#include <stdexcept>
#include <string>

#include "sim/validate/child_pool.hpp"
#include "sim/validate/csv.hpp"
#include "sim/validate/validate.hpp"
#include "test_support.hpp"

namespace xpusim::validate {
namespace {

TEST(ChildPool, AnswersComeBackInLaunchOrder) {
  ChildPool pool(2);
  for (int i = 0; i < 5; ++i) pool.launch([i] { return "task " + std::to_string(i); });
  const auto& results = pool.results();
  ASSERT_EQ(results.size(), 5u);
  for (int i = 0; i < 5; ++i) {
    EXPECT_TRUE(results[i].delivered) << results[i].failure;
    EXPECT_EQ(results[i].data, "task " + std::to_string(i));
  }
}

TEST(ChildPool, AnswerLargerThanAPipeBuffer) {
  ChildPool pool(3);
  const std::string big(3 << 20, 'x');
  pool.launch([&] { return big; });
  pool.launch([] { return std::string(); });
  const auto& results = pool.results();
  EXPECT_TRUE(results[0].delivered);
  EXPECT_EQ(results[0].data, big);
  EXPECT_TRUE(results[1].delivered);
  EXPECT_EQ(results[1].data, "");
}

TEST(ChildPool, FailuresAreReportedNotWaitedOn) {
  ChildPool pool(2);
  pool.launch([]() -> std::string { throw std::runtime_error("no tensor rate"); });
  pool.launch([]() -> std::string {
    std::signal(SIGABRT, SIG_DFL);
    std::abort();
  });
  pool.launch([]() -> std::string { _exit(3); });
  pool.launch([] { return std::string("fine"); });
  const auto& results = pool.results();
  ASSERT_EQ(results.size(), 4u);
  EXPECT_FALSE(results[0].delivered);
  EXPECT_EQ(results[0].failure, "exception: no tensor rate");
  EXPECT_FALSE(results[1].delivered);
  EXPECT_NE(results[1].failure.find("killed by signal 6"), std::string::npos) << results[1].failure;
  EXPECT_FALSE(results[2].delivered);
  EXPECT_EQ(results[2].failure, "exited with status 3");
  EXPECT_TRUE(results[3].delivered);
  EXPECT_EQ(results[3].data, "fine");
}

TEST(ChildPool, AtLeastOneCpu) {
  EXPECT_GE(available_cpus(), 1);
}

TEST(Validate, RowsDoNotDependOnTheNumberOfJobs) {
  // Small workloads; repeated chip+workload pairs, skipped rows and row errors among them.
  const CsvTable table = parse_csv(
      "id,chip,devices,kind,dtype,params,metric,value,unit\n"
      "g1,h100_sxm,1,gemm,bf16,M=1024;N=1024;K=1024,throughput,500,TFLOP/s\n"
      "s1,h100_sxm,1,stream,fp64,op=copy;elements=1000000,bandwidth,2.9,TB/s\n"
      "a1,h100_sxm,8,allreduce,bf16,bytes=1048576,busbw,43.7,GB/s\n"
      "g2,a100_sxm_80gb,1,gemm,fp16,M=512;N=768;K=1024,throughput,100,TFLOP/s\n"
      "g1t,h100_sxm,1,gemm,bf16,M=1024;N=1024;K=1024,time,0.01,ms\n"
      "bad1,h100_sxm,1,gemm,bf99,M=1;N=1;K=1,throughput,1,TFLOP/s\n"
      "bad2,no_such_chip,1,gemm,bf16,M=64;N=64;K=64,throughput,1,TFLOP/s\n"
      "bad3,a100_sxm_80gb,1,gemm,fp8,M=64;N=64;K=64,throughput,1,TFLOP/s\n"
      "bad4,h100_sxm,1,gemm,bf16,M=1024;N=1024;K=1024,bandwidth,1,furlongs\n"
      "s2,a100_sxm_80gb,1,stream,fp64,op=triad;elements=500000,bandwidth,1.7,TB/s\n",
      "table.csv");
  const auto config_dir = xpusim::testing::config_dir();
  const auto one = validate_table(table, config_dir, {}, {}, 1);
  const auto three = validate_table(table, config_dir, {}, {}, 3);
  EXPECT_EQ(to_json(one).dump(2), to_json(three).dump(2));
  ASSERT_EQ(one.size(), 10u);
  EXPECT_EQ(one[0].status, "ok");
  EXPECT_EQ(one[2].status, "ok");  // an all-reduce on hgx_h100_8x
  EXPECT_GT(one[2].simulated, 0);
  EXPECT_EQ(one[4].status, "ok");
  EXPECT_EQ(one[4].bottleneck, one[0].bottleneck);  // the same simulation
  for (int i : {5, 6, 7, 8}) EXPECT_EQ(one[i].status, "error") << one[i].id;
  EXPECT_NE(one[8].message.find("table.csv:10:"), std::string::npos) << one[8].message;
}

}  // namespace
}  // namespace xpusim::validate
