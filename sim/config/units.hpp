#pragma once
// Physical quantities in config files: "<number> <unit>", parsed into SI base units
// (bytes, bytes/s, Hz, seconds, watts, mm2, bits). A bare number where a unit is required and a
// unit of the wrong kind are errors.
#include <optional>
#include <string>
#include <string_view>

namespace xpusim::config {

enum class UnitKind { kSize, kBandwidth, kFrequency, kTime, kPower, kArea, kBits };

std::string_view unit_kind_name(UnitKind kind);
// The base unit values are stored in, as printed by `describe` (e.g. "B/s").
std::string_view unit_kind_base(UnitKind kind);
// A typical example of the kind, for error messages (e.g. "3.35 TB/s").
std::string_view unit_kind_example(UnitKind kind);

struct Quantity {
  double value = 0;     // in the kind's base unit; for cycles, the cycle count
  bool cycles = false;  // "N cycles": resolved later against a clock in scope
};

// Parses `text` as a quantity of `kind`. Returns the quantity, or an error message (without
// location) in `error`. `allow_cycles` permits "N cycles" for time.
std::optional<Quantity> parse_quantity(std::string_view text, UnitKind kind, bool allow_cycles,
                                       std::string& error);

// Formats a base-unit value with a readable unit, e.g. 3.35e12 B/s -> "3.35 TB/s".
std::string format_quantity(double value, UnitKind kind);

}  // namespace xpusim::config
