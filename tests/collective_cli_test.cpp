// `xpusim collective` through the binary: formats, ranges, errors.
#include <gtest/gtest.h>

#include <nlohmann/json.hpp>

#include "test_support.hpp"

namespace xpusim {
namespace {

using testing::run_cli;

TEST(CollectiveCli, TableLikeNcclTests) {
  const auto r = run_cli("collective --system hgx_h100_8x --bytes 1M..4M");
  ASSERT_EQ(r.status, 0) << r.err;
  EXPECT_NE(r.out.find("size"), std::string::npos);
  EXPECT_NE(r.out.find("busbw GB/s"), std::string::npos);
  EXPECT_NE(r.out.find("1048576"), std::string::npos);
  EXPECT_NE(r.out.find("4194304"), std::string::npos);
  EXPECT_NE(r.out.find("HGX H100"), std::string::npos) << "the system's name in the header";
  EXPECT_NE(r.out.find("nvswitch3"), std::string::npos) << "the fabric in the header";
}

TEST(CollectiveCli, CsvAndJson) {
  const auto csv =
      run_cli("collective --system hgx_h100_8x --op allgather --bytes 1K..8K --format csv");
  ASSERT_EQ(csv.status, 0) << csv.err;
  EXPECT_EQ(std::count(csv.out.begin(), csv.out.end(), '\n'), 5);  // header + 4 sizes
  const auto js = run_cli(
      "collective --system mi300x_8x --op alltoall --bytes 64M --format json --algo direct");
  ASSERT_EQ(js.status, 0) << js.err;
  const auto j = nlohmann::json::parse(js.out);
  EXPECT_EQ(j["devices"], 8);
  ASSERT_EQ(j["results"].size(), 1u);
  EXPECT_EQ(j["results"][0]["bytes"], 64ull << 20);
  EXPECT_EQ(j["results"][0]["algorithm"], "direct");
  EXPECT_GT(j["results"][0]["busbw_gbs"].get<double>(), 100);
}

TEST(CollectiveCli, Deterministic) {
  const std::string args = "collective --system hgx_h800_8x --bytes 1K..64M --format csv";
  const auto a = run_cli(args), b = run_cli(args);
  ASSERT_EQ(a.status, 0);
  // Identical apart from the wall-time column.
  auto strip = [](const std::string& s) {
    std::string out;
    std::size_t start = 0;
    while (start < s.size()) {
      const std::size_t end = s.find('\n', start);
      const std::string line = s.substr(start, end - start);
      out += line.substr(0, line.rfind(',')) + "\n";
      start = end == std::string::npos ? s.size() : end + 1;
    }
    return out;
  };
  EXPECT_EQ(strip(a.out), strip(b.out));
}

TEST(CollectiveCli, BadInput) {
  struct Case {
    const char* args;
    const char* message;
  };
  for (const Case& c :
       {Case{"--bytes 0", "positive"}, Case{"--bytes 1K..", "range"},
        Case{"--bytes 8G..1K", "start is above"}, Case{"--bytes 1X", "suffix"},
        Case{"--op broadcastx", "unknown operation"}, Case{"--algo butterfly", "unknown algorithm"},
        Case{"--proto ll256", "unknown protocol"},
        Case{"--algo tree --op alltoall", "not available"}}) {
    const auto r = run_cli(std::string("collective --system hgx_h100_8x ") + c.args);
    EXPECT_EQ(r.status, 2) << c.args;
    EXPECT_NE(r.err.find(c.message), std::string::npos) << c.args << ": " << r.err;
  }
  const auto nvls = run_cli("collective --system mi300x_8x --algo nvls --bytes 1M");
  EXPECT_EQ(nvls.status, 2);
  EXPECT_NE(nvls.err.find("in-network reduction"), std::string::npos) << nvls.err;
  const auto unknown = run_cli("collective --system hgx_h999_8x --bytes 1M");
  EXPECT_EQ(unknown.status, 2);
  const auto missing = run_cli("collective --bytes 1M");
  EXPECT_NE(missing.status, 0);
}

}  // namespace
}  // namespace xpusim
