#include "sim/config/schema.hpp"

#include <fmt/format.h>
#include <cmath>

#include "sim/common/error.hpp"

namespace xpusim::config {

std::string Origin::describe() const {
  if (line <= 0) return file;
  return fmt::format("{}:{}:{}", file, line, column);
}

std::string ParamSpec::type_label() const {
  switch (type) {
    case ParamType::kInt:
      return "int";
    case ParamType::kNumber:
      return "number";
    case ParamType::kQuantity:
      return std::string(unit_kind_name(unit)) +
             (cycle_clock.empty() ? "" : " or cycles of " + cycle_clock);
    case ParamType::kString:
      return "string";
    case ParamType::kBool:
      return "bool";
    case ParamType::kEnum: {
      std::string s = "one of ";
      for (std::size_t i = 0; i < choices.size(); ++i) s += (i ? "|" : "") + choices[i];
      return s;
    }
  }
  return "?";
}

std::string ParamSpec::range_label() const {
  if (type != ParamType::kInt && type != ParamType::kNumber && type != ParamType::kQuantity)
    return "";
  auto num = [&](double v) {
    return type == ParamType::kQuantity ? format_quantity(v, unit) : fmt::format("{:g}", v);
  };
  const bool has_min = std::isfinite(min), has_max = std::isfinite(max);
  if (has_min && has_max) return fmt::format("{}..{}", num(min), num(max));
  if (has_min) return fmt::format("{} {}", min_exclusive ? ">" : ">=", num(min));
  if (has_max) return fmt::format("<= {}", num(max));
  return "";
}

void assign(int& field, const ParamValue& v) {
  field = static_cast<int>(v.number);
}
void assign(double& field, const ParamValue& v) {
  field = v.number;
}
void assign(std::uint64_t& field, const ParamValue& v) {
  // llround's result is unspecified beyond 2^63: such a value would be stored as garbage.
  if (!(v.number >= 0 && v.number < 0x1p63))
    throw UserError(
        fmt::format("{}: {} does not fit in a 64-bit count", v.origin.describe(), v.number));
  field = static_cast<std::uint64_t>(std::llround(v.number));
}
void assign(std::string& field, const ParamValue& v) {
  field = v.text;
}
void assign(bool& field, const ParamValue& v) {
  field = v.flag;
}

}  // namespace xpusim::config
