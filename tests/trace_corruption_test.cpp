// Every damaged or ill-formed trace must be refused with a UserError naming the problem; the
// readers must never crash or allocate from a count they have not checked.
#include <gtest/gtest.h>

#include <boost/crc.hpp>
#include <nlohmann/json.hpp>

#include "sim/common/error.hpp"
#include "sim/trace/trace_check.hpp"
#include "sim/trace/trace_io.hpp"
#include "tests/trace_samples.hpp"

using namespace xpusim;
using namespace xpusim::trace;

namespace {

std::string error_of(std::string_view bytes) {
  try {
    read_trace(bytes, "bad.xtr");
  } catch (const UserError& e) {
    return e.what();
  }
  return "(accepted)";
}

void put_u32(std::string& bytes, std::size_t at, std::uint32_t v) {
  for (int i = 0; i < 4; ++i) bytes[at + i] = static_cast<char>(v >> (8 * i));
}

// Recomputes the CRC so that a structural change reaches the parser.
std::string with_fixed_crc(std::string bytes) {
  boost::crc_32_type crc;
  crc.process_bytes(bytes.data() + kBinaryHeaderBytes, bytes.size() - kBinaryHeaderBytes);
  put_u32(bytes, 12, crc.checksum());
  return bytes;
}

// One CTA, one stream: LOOP_BEGIN 2, WAIT_FULL 0, TILE_LOAD, LOOP_END; offsets are known from the
// end of the file (the binary layout is documented in docs/trace-format.md).
Trace patchable_trace() {
  Trace t;
  t.family = "ampere";
  t.recorded_for = "a100";
  t.tensors = {{3, "X", 4096, 4096}};
  Kernel k;
  k.name = "k";
  k.threads_per_cta = 128;
  k.num_stages = 2;
  Cta cta;
  cta.streams.push_back({Op::loop_begin(2), Op::wait_full(0),
                         TileLoad{Box{3, 4, 64, 4096, 256, 512}, 0, 1}, Op::loop_end()});
  k.ctas.push_back(cta);
  t.kernels.push_back(k);
  return t;
}

constexpr std::size_t kLoadBytes = 45;  // opcode, stage, box (36), multicast

struct Offsets {
  std::size_t loop_end, load, wait_full, loop_begin, op_count;
  explicit Offsets(std::size_t size)
      : loop_end(size - 1),
        load(loop_end - kLoadBytes),
        wait_full(load - 5),
        loop_begin(wait_full - 5),
        op_count(loop_begin - 4) {}
};

}  // namespace

TEST(TraceCorruption, PatchableTraceOffsetsAreRight) {
  std::string bytes = write_trace_binary(patchable_trace());
  Offsets at(bytes.size());
  EXPECT_EQ(bytes[at.loop_end], 11);
  EXPECT_EQ(bytes[at.load], 1);
  EXPECT_EQ(bytes[at.wait_full], 2);
  EXPECT_EQ(bytes[at.loop_begin], 10);
  EXPECT_EQ(bytes[at.op_count], 4);
  EXPECT_EQ(error_of(with_fixed_crc(bytes)), "(accepted)");
}

TEST(TraceCorruption, TruncationAtEveryOffsetIsRefused) {
  std::string bytes = write_trace_binary(test::sample_trace());
  for (std::size_t n = 1; n < bytes.size(); ++n) {
    std::string e = error_of(std::string_view(bytes).substr(0, n));
    EXPECT_NE(e.find("bad.xtr"), std::string::npos) << n;
    EXPECT_NE(e.find("truncated"), std::string::npos) << "cut at " << n << ": " << e;
  }
  EXPECT_NE(error_of("").find("not a trace"), std::string::npos);
}

TEST(TraceCorruption, EveryFlippedByteIsRefused) {
  std::string bytes = write_trace_binary(test::sample_trace());
  for (std::size_t i = 0; i < bytes.size(); ++i) {
    for (unsigned char mask : {0x01, 0x80, 0xff}) {
      std::string bad = bytes;
      bad[i] = static_cast<char>(bad[i] ^ mask);
      EXPECT_NE(error_of(bad), "(accepted)") << "byte " << i << " ^ " << int(mask);
    }
  }
}

TEST(TraceCorruption, FlippedPayloadByteIsACrcMismatch) {
  std::string bytes = write_trace_binary(test::sample_trace());
  bytes[bytes.size() / 2] ^= 0x10;
  EXPECT_NE(error_of(bytes).find("CRC-32 mismatch"), std::string::npos);
}

TEST(TraceCorruption, WrongMagicOrVersion) {
  std::string bytes = write_trace_binary(test::sample_trace());
  std::string magic = bytes;
  magic[0] = 'Y';
  EXPECT_NE(error_of(magic).find("not a trace"), std::string::npos);
  try {
    read_trace_binary(magic, "bad.xtr");
    ADD_FAILURE() << "accepted a wrong magic";
  } catch (const UserError& e) {
    EXPECT_NE(std::string(e.what()).find("wrong magic"), std::string::npos) << e.what();
  }
  std::string version = bytes;
  version[8] = 2;
  EXPECT_NE(error_of(version).find("unsupported version 2"), std::string::npos);
}

TEST(TraceCorruption, TrailingBytesAreRefused) {
  std::string bytes = write_trace_binary(test::sample_trace()) + "x";
  EXPECT_NE(error_of(bytes).find("unexpected bytes"), std::string::npos);
}

TEST(TraceCorruption, StructuralErrorsBehindAValidCrc) {
  const std::string good = write_trace_binary(patchable_trace());
  const Offsets at(good.size());
  auto patched = [&](auto&& change) {
    std::string bytes = good;
    change(bytes);
    return error_of(with_fixed_crc(bytes));
  };
  auto expect_error = [](const std::string& e, const std::string& what, std::size_t offset) {
    EXPECT_NE(e.find(what), std::string::npos) << e;
    EXPECT_NE(e.find("byte " + std::to_string(offset) + ":"), std::string::npos) << e;
  };
  expect_error(patched([&](std::string& b) { b[at.loop_end] = 99; }), "unknown opcode 99",
               at.loop_end);
  expect_error(patched([&](std::string& b) { b[at.loop_end] = 9; }), "unbalanced loops",
               good.size());
  expect_error(patched([&](std::string& b) { put_u32(b, at.wait_full + 1, 2); }),
               "WAIT_FULL stage 2 >= num_stages 2", at.wait_full);
  expect_error(patched([&](std::string& b) { put_u32(b, at.load + 1, 7); }),
               "TILE_LOAD stage 7 >= num_stages 2", at.load);
  expect_error(patched([&](std::string& b) { put_u32(b, at.load + 5, 77); }),
               "tensor id 77 is not in the tensor table", at.load);
  expect_error(patched([&](std::string& b) { put_u32(b, at.load + 25, 0); }), "zero-size box",
               at.load);
  expect_error(patched([&](std::string& b) { put_u32(b, at.load + 25, 5000); }),
               "box reaches outside tensor 3", at.load);
  expect_error(patched([&](std::string& b) { put_u32(b, at.loop_begin + 1, 0); }),
               "loop count is 0", at.loop_begin);
  expect_error(patched([&](std::string& b) { put_u32(b, at.op_count, 0x80000001u); }), "absurd ops",
               at.op_count);
  expect_error(patched([&](std::string& b) { put_u32(b, at.op_count, 1000); }),
               "truncated or corrupt: 1000 ops", at.op_count);
  expect_error(patched([&](std::string& b) { b[at.load + 41] = 0; }), "multicast 0", at.load);
}

TEST(TraceCorruption, RulesHoldForTracesBuiltInMemory) {
  auto problem = [](auto&& change) {
    Trace t = test::sample_trace();
    change(t);
    try {
      validate_trace(t, "mem");
    } catch (const UserError& e) {
      return std::string(e.what());
    }
    return std::string("(accepted)");
  };
  EXPECT_EQ(problem([](Trace&) {}), "(accepted)");
  EXPECT_NE(problem([](Trace& t) { t.tensors[1].base = t.tensors[0].base + 8; }).find("overlaps"),
            std::string::npos);
  EXPECT_NE(problem([](Trace& t) { t.tensors[1].id = 0; }).find("tensor id 0 appears twice"),
            std::string::npos);
  EXPECT_NE(problem([](Trace& t) { t.kernels[0].ctas[1].id = 0; }).find("CTA id 0 appears twice"),
            std::string::npos);
  EXPECT_NE(
      problem([](Trace& t) { t.kernels[0].ctas.pop_back(); }).find("whole number of clusters"),
      std::string::npos);
  EXPECT_NE(problem([](Trace& t) { t.kernels[0].cluster_size = 1; }).find("multicast 2"),
            std::string::npos);
  std::string nested = problem([](Trace& t) {
    Stream& s = t.kernels[0].ctas[0].streams[1];
    s.insert(s.begin(), {Op::loop_begin(2), Op::loop_begin(2)});
    s.insert(s.end(), {Op::loop_end(), Op::loop_end()});
  });
  EXPECT_NE(nested.find("kernels[0].ctas[0].streams[1].ops[2]: loops nest deeper than 2"),
            std::string::npos)
      << nested;
  EXPECT_NE(
      problem([](Trace& t) { t.kernels[0].ctas[0].streams[1][2].mma.k = 0; }).find("zero-size MMA"),
      std::string::npos);
  EXPECT_NE(problem([](Trace& t) { t.version = 3; }).find("unsupported version 3"),
            std::string::npos);
  // Writers refuse what readers would refuse.
  Trace bad = test::sample_trace();
  bad.kernels[0].num_stages = 0;
  EXPECT_THROW(write_trace_binary(bad), UserError);
  EXPECT_THROW(write_trace_json(bad), UserError);
}

TEST(TraceCorruption, JsonErrorsNameThePath) {
  const auto good = nlohmann::json::parse(write_trace_json(test::sample_trace()));
  auto problem = [&](auto&& change) {
    nlohmann::json j = good;
    change(j);
    return error_of(j.dump());
  };
  auto expect_error = [](const std::string& e, const std::string& path, const std::string& what) {
    EXPECT_NE(e.find("bad.xtr: " + path), std::string::npos) << e;
    EXPECT_NE(e.find(what), std::string::npos) << e;
  };
  const std::string op = "/kernels/0/ctas/1/streams/0/2";
  expect_error(
      problem([&](auto& j) { j["kernels"][0]["ctas"][1]["streams"][0][2]["stage_base"] = 9; }), op,
      "TILE_LOAD stage 9 >= num_stages 2");
  expect_error(
      problem([&](auto& j) { j["kernels"][0]["ctas"][1]["streams"][0][2]["op"] = "NOPE"; }),
      op + "/op", "unknown opcode \"NOPE\"");
  expect_error(problem([&](auto& j) { j["kernels"][0]["ctas"][1]["streams"][0][2].erase("rows"); }),
               op, "missing key \"rows\"");
  expect_error(problem([&](auto& j) { j["kernels"][0]["ctas"][1]["streams"][0][2]["rows"] = -1; }),
               op + "/rows", "non-negative integer");
  expect_error(problem([&](auto& j) { j["kernels"][0]["ctas"][1]["streams"][0][2]["tensor"] = 9; }),
               op, "tensor id 9 is not in the tensor table");
  expect_error(problem([&](auto& j) { j["kernels"][0]["ctas"][1]["streams"][0][2]["rowz"] = 1; }),
               op + "/rowz", "unknown key");
  expect_error(problem([&](auto& j) { j["kernels"][0]["ctas"][1]["streams"][0].erase(4); }),
               "/kernels/0/ctas/1/streams/0:", "unbalanced loops");
  expect_error(problem([&](auto& j) { j["version"] = 2; }), "/version", "unsupported version 2");
  expect_error(problem([&](auto& j) { j["tensors"][0]["bytes"] = 0; }), "/tensors/0", "zero bytes");
  expect_error(
      problem([&](auto& j) { j["kernels"][0]["ctas"][1]["streams"][1][2]["dtype"] = "fp7"; }),
      "/kernels/0/ctas/1/streams/1/2/dtype", "unknown dtype");
}

TEST(TraceCorruption, TruncatedJsonIsRefused) {
  std::string text = write_trace_json(test::sample_trace());
  for (std::size_t n = 1; n < text.size(); n += 7) {
    std::string e = error_of(std::string_view(text).substr(0, n));
    EXPECT_NE(e, "(accepted)") << n;
  }
}
