#include <gtest/gtest.h>

#include <cstdio>
#include <filesystem>

#include "sim/common/error.hpp"
#include "sim/trace/trace_io.hpp"
#include "tests/trace_samples.hpp"

using namespace xpusim;
using namespace xpusim::trace;

TEST(TraceIo, BinaryRoundTripIsByteIdentical) {
  Trace t = test::sample_trace();
  std::string bytes = write_trace_binary(t);
  Trace back = read_trace(bytes, "mem");
  EXPECT_EQ(back, t);
  EXPECT_EQ(write_trace_binary(back), bytes);
}

TEST(TraceIo, JsonRoundTripIsStructurallyEqual) {
  Trace t = test::sample_trace();
  std::string text = write_trace_json(t);
  Trace back = read_trace(text, "mem.json");
  EXPECT_EQ(back, t);
  EXPECT_EQ(write_trace_json(back), text);
  // And across forms: JSON -> binary gives the same bytes as writing binary directly.
  EXPECT_EQ(write_trace_binary(back), write_trace_binary(t));
}

TEST(TraceIo, SameTraceGivesSameBytes) {
  EXPECT_EQ(write_trace_binary(test::sample_trace()), write_trace_binary(test::sample_trace()));
}

TEST(TraceIo, BinaryStartsWithMagicAndVersion) {
  std::string bytes = write_trace_binary(test::sample_trace());
  ASSERT_GE(bytes.size(), kBinaryHeaderBytes);
  EXPECT_EQ(bytes.substr(0, 8), "XPUTRACE");
  EXPECT_EQ(static_cast<unsigned char>(bytes[8]), 1);
  EXPECT_EQ(bytes[9] | bytes[10] | bytes[11], 0);
}

TEST(TraceIo, FilesPickTheFormByExtension) {
  auto dir = std::filesystem::temp_directory_path();
  std::string bin = (dir / "xpusim_trace_io_test.xtr").string();
  std::string json = (dir / "xpusim_trace_io_test.json").string();
  Trace t = test::sample_trace();
  write_trace_file(bin, t);
  write_trace_file(json, t);
  EXPECT_EQ(read_trace_file(bin), t);
  EXPECT_EQ(read_trace_file(json), t);
  std::FILE* f = std::fopen(json.c_str(), "rb");
  ASSERT_NE(f, nullptr);
  EXPECT_EQ(std::fgetc(f), '{');
  std::fclose(f);
  std::filesystem::remove(bin);
  std::filesystem::remove(json);
}

TEST(TraceIo, MissingFileIsAUserError) {
  EXPECT_THROW(read_trace_file("/nonexistent/dir/trace.xtr"), UserError);
}

TEST(TraceIo, DocumentationExampleParses) {
  // The example in docs/trace-format.md, kept in sync by this test.
  std::FILE* f = std::fopen(XPUSIM_SOURCE_DIR "/docs/trace-format.md", "rb");
  ASSERT_NE(f, nullptr);
  std::string doc;
  for (int c; (c = std::fgetc(f)) != EOF;) doc.push_back(static_cast<char>(c));
  std::fclose(f);
  auto begin = doc.find("```json\n");
  ASSERT_NE(begin, std::string::npos);
  begin += 8;
  auto end = doc.find("```", begin);
  Trace t = read_trace(doc.substr(begin, end - begin), "docs/trace-format.md");
  EXPECT_EQ(t.kernels.size(), 1u);
}
