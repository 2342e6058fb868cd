// Bad chip configs: each must fail with a message naming the file, the line and the key path.
#include <gtest/gtest.h>

#include <fmt/format.h>

#include "sim/common/error.hpp"
#include "sim/config/chip_config.hpp"
#include "sim/config/system_config.hpp"
#include "test_support.hpp"

using namespace xpusim;
using xpusim::testing::TempDir;

namespace {

struct BadCase {
  const char* name;
  std::string body;      // the YAML after the three header lines (name, display_name, base)
  std::string key;       // the key path the message must name
  int line;              // the line the message must name (0: the message names no line)
  std::string contains;  // a phrase the message must contain
};

// The header takes lines 1-3, so the case body starts at line 4.
std::string with_header(const std::string& body) {
  return "name: bad\ndisplay_name: Bad chip\nbase: h100_sxm\n" + body;
}

std::string load_error(const TempDir& dir, const std::vector<std::string>& sets = {}) {
  try {
    config::load_chip("bad", dir.path(), sets);
  } catch (const UserError& e) {
    return e.what();
  }
  return "";
}

class BadChipConfig : public ::testing::TestWithParam<BadCase> {};

TEST_P(BadChipConfig, MessageNamesFileLineAndKey) {
  const BadCase& c = GetParam();
  TempDir dir;
  dir.write("chips/h100_sxm.yaml",
            xpusim::testing::read_file(xpusim::testing::config_dir() / "chips/h100_sxm.yaml"));
  const auto file = dir.write("chips/bad.yaml", with_header(c.body));
  const std::string msg = load_error(dir);
  ASSERT_FALSE(msg.empty()) << c.name << ": loaded without error";
  if (c.line > 0) {
    EXPECT_NE(msg.find(fmt::format("{}:{}:", file.string(), c.line)), std::string::npos)
        << c.name << ": no file:line " << c.line << " in\n"
        << msg;
  }
  EXPECT_NE(msg.find(c.key), std::string::npos) << c.name << ": key missing in\n" << msg;
  EXPECT_NE(msg.find(c.contains), std::string::npos)
      << c.name << ": '" << c.contains << "' missing in\n"
      << msg;
}

const BadCase kCases[] = {
    {"unknown_top_key", "colour: red\n", "colour", 4, "unknown key"},
    {"typo_nested_key", "compute:\n  unitz: 100\n", "compute.unitz", 5,
     "did you mean 'compute.units'"},
    {"zero_units", "compute:\n  units: 0\n", "compute.units", 5, "out of range"},
    {"negative_bandwidth", "l2:\n  bandwidth: -5 TB/s\n", "l2.bandwidth", 5, "out of range"},
    {"bare_number_needs_unit", "l2:\n  size: 50\n", "l2.size", 5, "no unit"},
    {"wrong_unit_kind", "memory:\n  data_rate: 5 GHz\n", "memory.data_rate", 5, "is a frequency"},
    {"unknown_unit", "l2:\n  hit_latency: 150 parsecs\n", "l2.hit_latency", 5, "unknown unit"},
    {"fractional_int", "compute:\n  units: 78.5\n", "compute.units", 5, "expected an integer"},
    {"int_with_unit", "compute:\n  units: 78 SM\n", "compute.units", 5, "expected an integer"},
    {"bad_enum", "memory:\n  technology: hbm9\n", "memory.technology", 5, "not one of"},
    {"bad_enum_copy_engine", "compute:\n  async_copy: dma\n", "compute.async_copy", 5,
     "not one of"},
    {"section_is_scalar", "compute: 5\n", "compute", 4, "expected a mapping"},
    {"estimate_without_value", "compute:\n  units: {estimate: \"why\"}\n", "compute.units", 5,
     "needs 'value'"},
    {"estimate_extra_key", "compute:\n  units: {value: 10, note: x}\n", "compute.units.note", 5,
     "unknown key"},
    {"duplicate_key", "tdp: 700 W\ntdp: 600 W\n", "tdp", 5, "duplicate key"},
    {"list_for_scalar", "compute:\n  units: [1, 2]\n", "compute.units", 5, "single value"},
    {"empty_value", "tdp:\n", "tdp", 4, "has no value"},
    {"yaml_syntax", "compute:\n  units: [1, 2\n", "YAML syntax error", 6, "YAML syntax error"},
    {"cycles_without_clock", "l2:\n  hit_latency: 200 cycles\n", "l2.hit_latency", 5,
     "cycles are not allowed"},
    {"smem_per_cta_exceeds_unit", "compute:\n  max_smem_per_cta: 300 KiB\n",
     "compute.max_smem_per_cta", 5, "exceeds"},
    {"interleave_not_burst_multiple", "memory:\n  interleave: 100 B\n", "memory.interleave", 5,
     "multiple of the burst"},
    {"clock_out_of_range", "compute:\n  clock: 50 GHz\n", "compute.clock", 5, "out of range"},
    {"negative_timing", "memory:\n  timing:\n    tRP: -1 ns\n", "memory.timing.tRP", 6,
     "out of range"},
    {"negative_cycles", "memory:\n  timing:\n    CL: -3 cycles\n", "memory.timing.CL", 6,
     "out of range"},
    {"bool_for_number", "price_usd: true\n", "price_usd", 4, "plain number"},
    {"number_with_unit_for_plain", "compute:\n  sfu_ops_per_clock: 16 ops\n",
     "compute.sfu_ops_per_clock", 5, "plain number"},
    {"key_in_wrong_section", "compute:\n  hit_latency: 150 ns\n", "compute.hit_latency", 5,
     "did you mean 'l2.hit_latency'"},
    {"all_tensor_rates_zero",
     "compute:\n  tensor_flops_per_clock:\n    fp64: 0\n    tf32: 0\n    bf16: 0\n    fp16: 0\n    "
     "fp8: 0\n    int8: 0\n",
     "compute.tensor_flops_per_clock", 0, "no dtype has a rate"},
};

INSTANTIATE_TEST_SUITE_P(Cases, BadChipConfig, ::testing::ValuesIn(kCases),
                         [](const auto& info) { return std::string(info.param.name); });

TEST(BadChipConfigFiles, NameMustMatchFile) {
  TempDir dir;
  dir.write("chips/h100_sxm.yaml",
            xpusim::testing::read_file(xpusim::testing::config_dir() / "chips/h100_sxm.yaml"));
  const auto file = dir.write("chips/bad.yaml", "name: other\ndisplay_name: X\nbase: h100_sxm\n");
  const std::string msg = load_error(dir);
  EXPECT_NE(msg.find(file.string() + ":1:"), std::string::npos) << msg;
  EXPECT_NE(msg.find("name"), std::string::npos) << msg;
  EXPECT_NE(msg.find("does not match"), std::string::npos) << msg;
}

TEST(BadChipConfigFiles, MissingBaseNamesTheKeyAndLine) {
  TempDir dir;
  const auto file = dir.write("chips/bad.yaml", "name: bad\ndisplay_name: X\nbase: h100_sxn\n");
  const std::string msg = load_error(dir);
  EXPECT_NE(msg.find(file.string() + ":3:"), std::string::npos) << msg;
  EXPECT_NE(msg.find("base"), std::string::npos) << msg;
  EXPECT_NE(msg.find("no config named 'h100_sxn'"), std::string::npos) << msg;
}

TEST(BadChipConfigFiles, InheritanceCycleIsReported) {
  TempDir dir;
  dir.write("chips/a.yaml", "name: a\ndisplay_name: A\nbase: bad\n");
  dir.write("chips/bad.yaml", "name: bad\ndisplay_name: X\nbase: a\n");
  const std::string msg = load_error(dir);
  EXPECT_NE(msg.find("cycle"), std::string::npos) << msg;
  EXPECT_NE(msg.find("base"), std::string::npos) << msg;
}

TEST(BadChipConfigFiles, MissingRequiredKeyNamesTheKey) {
  TempDir dir;
  // A standalone file with a compute section but no units.
  const auto file = dir.write("chips/bad.yaml",
                              "name: bad\ndisplay_name: X\nvendor: nvidia\nfamily: hopper\n"
                              "compute:\n  clock: 1 GHz\n");
  const std::string msg = load_error(dir);
  EXPECT_NE(msg.find("compute.units"), std::string::npos) << msg;
  EXPECT_NE(msg.find("missing required key"), std::string::npos) << msg;
  EXPECT_NE(msg.find(file.string() + ":5:"), std::string::npos) << "names the compute: line\n"
                                                                << msg;
}

TEST(BadChipConfigFiles, TopLevelMustBeAMapping) {
  TempDir dir;
  const auto file = dir.write("chips/bad.yaml", "- a\n- b\n");
  const std::string msg = load_error(dir);
  EXPECT_NE(msg.find(file.string() + ":1:"), std::string::npos) << msg;
  EXPECT_NE(msg.find("mapping"), std::string::npos) << msg;
}

TEST(BadChipConfigSets, UnknownKeyAndBadValueOnTheCommandLine) {
  const auto dir = xpusim::testing::config_dir();
  auto err = [&](const std::vector<std::string>& sets) {
    try {
      config::load_chip("h100_sxm", dir, sets);
    } catch (const UserError& e) {
      return std::string(e.what());
    }
    return std::string();
  };
  std::string msg = err({"compute.unitz=114"});
  EXPECT_NE(msg.find("--set compute.unitz=114"), std::string::npos) << msg;
  EXPECT_NE(msg.find("did you mean 'compute.units'"), std::string::npos) << msg;
  msg = err({"memory.data_rate=6.4"});
  EXPECT_NE(msg.find("memory.data_rate"), std::string::npos) << msg;
  EXPECT_NE(msg.find("no unit"), std::string::npos) << msg;
  msg = err({"compute.units"});
  EXPECT_NE(msg.find("expected key=value"), std::string::npos) << msg;
}

TEST(BadSystemConfig, BoolAndChipErrorsNameTheirKeys) {
  TempDir dir;
  dir.write("chips/h100_sxm.yaml",
            xpusim::testing::read_file(xpusim::testing::config_dir() / "chips/h100_sxm.yaml"));
  const auto file = dir.write("systems/s.yaml",
                              "name: s\ndisplay_name: S\nchip: h100_sxm\ndevices: 8\n"
                              "topology: switched\nswitch:\n  count: 4\n  port_bandwidth: 25 GB/s\n"
                              "  in_network_reduction: maybe\n");
  std::string msg;
  try {
    config::load_system("s", dir.path());
  } catch (const UserError& e) {
    msg = e.what();
  }
  EXPECT_NE(msg.find(file.string() + ":9:"), std::string::npos) << msg;
  EXPECT_NE(msg.find("switch.in_network_reduction"), std::string::npos) << msg;
  EXPECT_NE(msg.find("true or false"), std::string::npos) << msg;

  dir.write("systems/s.yaml",
            "name: s\ndisplay_name: S\nchip: h100_sxx\ndevices: 8\ntopology: full_mesh\n");
  msg.clear();
  try {
    config::load_system("s", dir.path());
  } catch (const UserError& e) {
    msg = e.what();
  }
  EXPECT_NE(msg.find(":3:"), std::string::npos) << msg;
  EXPECT_NE(msg.find("did you mean 'h100_sxm'"), std::string::npos) << msg;
}

TEST(BadChipConfigCli, ErrorGoesToStderrAndNothingIsPrinted) {
  const auto r = xpusim::testing::run_cli("specs h100_sxm --set compute.units=0");
  EXPECT_EQ(r.status, 2);
  EXPECT_TRUE(r.out.empty()) << r.out;
  EXPECT_NE(r.err.find("compute.units"), std::string::npos) << r.err;
  const auto unknown = xpusim::testing::run_cli("specs h100_sx");
  EXPECT_EQ(unknown.status, 2);
  EXPECT_NE(unknown.err.find("did you mean 'h100_sxm'"), std::string::npos) << unknown.err;
}

}  // namespace

// Suggestions rest on the Levenshtein distance; the bounded form must agree with it below the
// bound (textbook pairs) and stop at the bound.
TEST(ConfigSuggestions, EditDistanceWithAndWithoutLimit) {
  using xpusim::config::edit_distance;
  EXPECT_EQ(edit_distance("kitten", "sitting"), 3u);
  EXPECT_EQ(edit_distance("flaw", "lawn"), 2u);
  EXPECT_EQ(edit_distance("", "abc"), 3u);
  EXPECT_EQ(edit_distance("units", "units"), 0u);
  EXPECT_EQ(edit_distance("kitten", "sitting", 4), 3u);
  EXPECT_EQ(edit_distance("kitten", "sitting", 3), 3u);
  EXPECT_EQ(edit_distance("kitten", "sitting", 2), 2u);
  EXPECT_EQ(edit_distance("a", "abcdefgh", 4), 4u);  // stopped by the length gap alone
  EXPECT_EQ(edit_distance("abcdefgh", "zyxwvuts", 4), 4u);
}

// Past the error cap nothing more is listed; a file of many unknown keys still loads quickly
// into one bounded message (each unknown key once cost a comparison with every known key).
TEST(BadChipConfigFiles, ManyUnknownKeysGiveABoundedMessage) {
  TempDir dir;
  std::string body = "name: bad\ndisplay_name: X\nbase: h100_sxm\n";
  dir.write("chips/h100_sxm.yaml",
            xpusim::testing::read_file(xpusim::testing::config_dir() / "chips/h100_sxm.yaml"));
  for (int i = 0; i < 2000; ++i) body += fmt::format("unknown_key_{}: 1\n", i);
  body += "compute:\n  unitz: 3\n";
  dir.write("chips/bad.yaml", body);
  const std::string msg = load_error(dir);
  EXPECT_NE(msg.find("unknown_key_0: unknown key"), std::string::npos) << msg.substr(0, 400);
  EXPECT_NE(msg.find("further errors not shown"), std::string::npos);
  EXPECT_EQ(msg.find("unknown_key_1999"), std::string::npos);
  EXPECT_LT(msg.size(), 4000u);
}
