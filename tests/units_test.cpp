#include <gtest/gtest.h>

#include "sim/config/units.hpp"

using namespace xpusim::config;

namespace {

double parse_ok(const std::string& text, UnitKind kind) {
  std::string err;
  auto q = parse_quantity(text, kind, false, err);
  EXPECT_TRUE(q.has_value()) << text << ": " << err;
  return q ? q->value : -1;
}

std::string parse_err(const std::string& text, UnitKind kind, bool cycles = false) {
  std::string err;
  auto q = parse_quantity(text, kind, cycles, err);
  EXPECT_FALSE(q.has_value()) << text;
  return err;
}

}  // namespace

TEST(Units, SizesHonourDecimalAndBinaryPrefixes) {
  EXPECT_DOUBLE_EQ(parse_ok("50 MB", UnitKind::kSize), 50e6);
  EXPECT_DOUBLE_EQ(parse_ok("228 KiB", UnitKind::kSize), 228 * 1024.0);
  EXPECT_DOUBLE_EQ(parse_ok("1 GiB", UnitKind::kSize), 1073741824.0);
  EXPECT_DOUBLE_EQ(parse_ok("96GB", UnitKind::kSize), 96e9);
}

TEST(Units, BandwidthDistinguishesBytesFromBits) {
  EXPECT_DOUBLE_EQ(parse_ok("3.35 TB/s", UnitKind::kBandwidth), 3.35e12);
  EXPECT_DOUBLE_EQ(parse_ok("8 Gb/s", UnitKind::kBandwidth), 1e9);  // 8 gigabits = 1 gigabyte
  EXPECT_DOUBLE_EQ(parse_ok("1 GiB/s", UnitKind::kBandwidth), 1073741824.0);
  EXPECT_DOUBLE_EQ(parse_ok("6.4 Gbps", UnitKind::kBandwidth), 0.8e9);
}

TEST(Units, FrequencyTimeAndOthers) {
  EXPECT_DOUBLE_EQ(parse_ok("1.83 GHz", UnitKind::kFrequency), 1.83e9);
  EXPECT_DOUBLE_EQ(parse_ok("1755 MHz", UnitKind::kFrequency), 1.755e9);
  EXPECT_DOUBLE_EQ(parse_ok("19.4 ns", UnitKind::kTime), 19.4e-9);
  EXPECT_DOUBLE_EQ(parse_ok("3.9 us", UnitKind::kTime), 3.9e-6);
  EXPECT_DOUBLE_EQ(parse_ok("700 W", UnitKind::kPower), 700);
  EXPECT_DOUBLE_EQ(parse_ok("1.2 kW", UnitKind::kPower), 1200);
  EXPECT_DOUBLE_EQ(parse_ok("814 mm2", UnitKind::kArea), 814);
  EXPECT_DOUBLE_EQ(parse_ok("1e3 B", UnitKind::kSize), 1000);
}

TEST(Units, BareNumberIsAnError) {
  EXPECT_NE(parse_err("50", UnitKind::kSize).find("no unit"), std::string::npos);
}

TEST(Units, WrongKindNamesBothKinds) {
  const std::string e = parse_err("5 GHz", UnitKind::kBandwidth);
  EXPECT_NE(e.find("frequency"), std::string::npos) << e;
  EXPECT_NE(e.find("bandwidth"), std::string::npos) << e;
}

TEST(Units, UnknownUnitAndGarbage) {
  EXPECT_NE(parse_err("5 parsecs", UnitKind::kTime).find("unknown unit"), std::string::npos);
  EXPECT_FALSE(parse_err("fast", UnitKind::kTime).empty());
  EXPECT_FALSE(parse_err("", UnitKind::kTime).empty());
  EXPECT_FALSE(parse_err("1.2.3 ns", UnitKind::kTime).empty());
}

TEST(Units, CyclesOnlyWhereAClockIsInScope) {
  std::string err;
  auto q = parse_quantity("20 cycles", UnitKind::kTime, true, err);
  ASSERT_TRUE(q.has_value());
  EXPECT_TRUE(q->cycles);
  EXPECT_DOUBLE_EQ(q->value, 20);
  EXPECT_NE(parse_err("20 cycles", UnitKind::kTime, false).find("cycles are not allowed"),
            std::string::npos);
}

TEST(Units, FormatPicksReadablePrefix) {
  EXPECT_EQ(format_quantity(3.35e12, UnitKind::kBandwidth), "3.35 TB/s");
  EXPECT_EQ(format_quantity(1.83e9, UnitKind::kFrequency), "1.83 GHz");
  EXPECT_EQ(format_quantity(19.4e-9, UnitKind::kTime), "19.4 ns");
}
