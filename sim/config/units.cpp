#include "sim/config/units.hpp"

#include <fmt/format.h>
#include <array>
#include <cctype>
#include <charconv>
#include <cmath>

namespace xpusim::config {
namespace {

struct UnitDef {
  std::string_view symbol;
  UnitKind kind;
  double scale;  // multiply to get the base unit
};

// Case matters: B is bytes and b is bits.
constexpr std::array kUnits = {
    UnitDef{"B", UnitKind::kSize, 1},
    UnitDef{"KB", UnitKind::kSize, 1e3},
    UnitDef{"kB", UnitKind::kSize, 1e3},
    UnitDef{"MB", UnitKind::kSize, 1e6},
    UnitDef{"GB", UnitKind::kSize, 1e9},
    UnitDef{"TB", UnitKind::kSize, 1e12},
    UnitDef{"KiB", UnitKind::kSize, 1024.0},
    UnitDef{"MiB", UnitKind::kSize, 1024.0 * 1024},
    UnitDef{"GiB", UnitKind::kSize, 1024.0 * 1024 * 1024},
    UnitDef{"TiB", UnitKind::kSize, 1024.0 * 1024 * 1024 * 1024},
    UnitDef{"B/s", UnitKind::kBandwidth, 1},
    UnitDef{"KB/s", UnitKind::kBandwidth, 1e3},
    UnitDef{"kB/s", UnitKind::kBandwidth, 1e3},
    UnitDef{"MB/s", UnitKind::kBandwidth, 1e6},
    UnitDef{"GB/s", UnitKind::kBandwidth, 1e9},
    UnitDef{"TB/s", UnitKind::kBandwidth, 1e12},
    UnitDef{"KiB/s", UnitKind::kBandwidth, 1024.0},
    UnitDef{"MiB/s", UnitKind::kBandwidth, 1024.0 * 1024},
    UnitDef{"GiB/s", UnitKind::kBandwidth, 1024.0 * 1024 * 1024},
    UnitDef{"TiB/s", UnitKind::kBandwidth, 1024.0 * 1024 * 1024 * 1024},
    UnitDef{"b/s", UnitKind::kBandwidth, 1.0 / 8},
    UnitDef{"Mb/s", UnitKind::kBandwidth, 1e6 / 8},
    UnitDef{"Gb/s", UnitKind::kBandwidth, 1e9 / 8},
    UnitDef{"Tb/s", UnitKind::kBandwidth, 1e12 / 8},
    UnitDef{"Mbps", UnitKind::kBandwidth, 1e6 / 8},
    UnitDef{"Gbps", UnitKind::kBandwidth, 1e9 / 8},
    UnitDef{"Hz", UnitKind::kFrequency, 1},
    UnitDef{"kHz", UnitKind::kFrequency, 1e3},
    UnitDef{"MHz", UnitKind::kFrequency, 1e6},
    UnitDef{"GHz", UnitKind::kFrequency, 1e9},
    UnitDef{"ps", UnitKind::kTime, 1e-12},
    UnitDef{"ns", UnitKind::kTime, 1e-9},
    UnitDef{"us", UnitKind::kTime, 1e-6},
    UnitDef{"ms", UnitKind::kTime, 1e-3},
    UnitDef{"s", UnitKind::kTime, 1},
    UnitDef{"W", UnitKind::kPower, 1},
    UnitDef{"kW", UnitKind::kPower, 1e3},
    UnitDef{"MW", UnitKind::kPower, 1e6},
    UnitDef{"mm2", UnitKind::kArea, 1},
    UnitDef{"mm^2", UnitKind::kArea, 1},
    UnitDef{"bit", UnitKind::kBits, 1},
    UnitDef{"bits", UnitKind::kBits, 1},
};

std::string_view trim(std::string_view s) {
  while (!s.empty() && (s.front() == ' ' || s.front() == '\t')) s.remove_prefix(1);
  while (!s.empty() && (s.back() == ' ' || s.back() == '\t')) s.remove_suffix(1);
  return s;
}

}  // namespace

std::string_view unit_kind_name(UnitKind kind) {
  switch (kind) {
    case UnitKind::kSize:
      return "size";
    case UnitKind::kBandwidth:
      return "bandwidth";
    case UnitKind::kFrequency:
      return "frequency";
    case UnitKind::kTime:
      return "time";
    case UnitKind::kPower:
      return "power";
    case UnitKind::kArea:
      return "area";
    case UnitKind::kBits:
      return "bit width";
  }
  return "?";
}

std::string_view unit_kind_base(UnitKind kind) {
  switch (kind) {
    case UnitKind::kSize:
      return "B";
    case UnitKind::kBandwidth:
      return "B/s";
    case UnitKind::kFrequency:
      return "Hz";
    case UnitKind::kTime:
      return "s";
    case UnitKind::kPower:
      return "W";
    case UnitKind::kArea:
      return "mm2";
    case UnitKind::kBits:
      return "bit";
  }
  return "?";
}

std::string_view unit_kind_example(UnitKind kind) {
  switch (kind) {
    case UnitKind::kSize:
      return "50 MB or 228 KiB";
    case UnitKind::kBandwidth:
      return "3.35 TB/s or 5.2 Gb/s";
    case UnitKind::kFrequency:
      return "1.83 GHz";
    case UnitKind::kTime:
      return "19.4 ns";
    case UnitKind::kPower:
      return "700 W";
    case UnitKind::kArea:
      return "814 mm2";
    case UnitKind::kBits:
      return "32 bit";
  }
  return "?";
}

std::optional<Quantity> parse_quantity(std::string_view text, UnitKind kind, bool allow_cycles,
                                       std::string& error) {
  std::string_view s = trim(text);
  // The number: optional sign, digits, fraction, exponent.
  std::size_t end = 0;
  while (end < s.size() && (std::isdigit(static_cast<unsigned char>(s[end])) || s[end] == '.' ||
                            s[end] == '-' || s[end] == '+' || s[end] == 'e' || s[end] == 'E')) {
    // 'e' only counts as an exponent when a digit or sign follows it.
    if ((s[end] == 'e' || s[end] == 'E') &&
        !(end + 1 < s.size() && (std::isdigit(static_cast<unsigned char>(s[end + 1])) ||
                                 s[end + 1] == '-' || s[end + 1] == '+')))
      break;
    ++end;
  }
  std::string number(s.substr(0, end));
  std::string_view unit = trim(s.substr(end));
  double value = 0;
  auto [ptr, ec] = std::from_chars(number.data(), number.data() + number.size(), value);
  if (number.empty() || ec != std::errc() || ptr != number.data() + number.size() ||
      !std::isfinite(value)) {
    error = fmt::format("'{}' is not a {}: expected a number and a unit, e.g. '{}'", text,
                        unit_kind_name(kind), unit_kind_example(kind));
    return std::nullopt;
  }
  if (unit.empty()) {
    error = fmt::format("'{}' has no unit: a {} needs one, e.g. '{}'", text, unit_kind_name(kind),
                        unit_kind_example(kind));
    return std::nullopt;
  }
  if (unit == "cycles" || unit == "cycle") {
    if (kind == UnitKind::kTime && allow_cycles) return Quantity{value, true};
    error =
        fmt::format("'{}': cycles are not allowed here (no clock in scope); give a {} such as '{}'",
                    text, unit_kind_name(kind), unit_kind_example(kind));
    return std::nullopt;
  }
  for (const UnitDef& u : kUnits) {
    if (u.symbol != unit) continue;
    if (u.kind != kind) {
      error = fmt::format("'{}' is a {}, but a {} is expected, e.g. '{}'", text,
                          unit_kind_name(u.kind), unit_kind_name(kind), unit_kind_example(kind));
      return std::nullopt;
    }
    return Quantity{value * u.scale, false};
  }
  error = fmt::format("'{}': unknown unit '{}' for a {} (e.g. '{}')", text, unit,
                      unit_kind_name(kind), unit_kind_example(kind));
  return std::nullopt;
}

std::string format_quantity(double value, UnitKind kind) {
  struct Step {
    double scale;
    std::string_view symbol;
  };
  auto pick = [&](std::initializer_list<Step> steps) {
    Step best = *steps.begin();
    for (const Step& st : steps)
      if (std::fabs(value) >= st.scale) best = st;
    return fmt::format("{:.4g} {}", value / best.scale, best.symbol);
  };
  switch (kind) {
    case UnitKind::kSize:
      return pick({{1, "B"}, {1e3, "KB"}, {1e6, "MB"}, {1e9, "GB"}, {1e12, "TB"}});
    case UnitKind::kBandwidth:
      return pick({{1, "B/s"}, {1e3, "KB/s"}, {1e6, "MB/s"}, {1e9, "GB/s"}, {1e12, "TB/s"}});
    case UnitKind::kFrequency:
      return pick({{1, "Hz"}, {1e3, "kHz"}, {1e6, "MHz"}, {1e9, "GHz"}});
    case UnitKind::kTime:
      return pick({{1e-12, "ps"}, {1e-9, "ns"}, {1e-6, "us"}, {1e-3, "ms"}, {1, "s"}});
    case UnitKind::kPower:
      return pick({{1, "W"}, {1e3, "kW"}});
    case UnitKind::kArea:
      return fmt::format("{:.4g} mm2", value);
    case UnitKind::kBits:
      return fmt::format("{:.4g} bit", value);
  }
  return fmt::format("{}", value);
}

}  // namespace xpusim::config
