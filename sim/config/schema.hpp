#pragma once
// The parameter registry: every configurable parameter is declared once with its type, unit,
// default (or required), valid range and a one-line description. The loader validates files
// against it and `xpusim describe` prints it.
#include <functional>
#include <limits>
#include <optional>
#include <string>
#include <vector>

#include "sim/config/units.hpp"

namespace xpusim::config {

enum class ParamType { kInt, kNumber, kQuantity, kString, kBool, kEnum };

// Where a value came from: a file position or a command-line override.
struct Origin {
  std::string file;              // file path, or "--set" for command-line overrides
  int line = 0;                  // 1-based; 0 when unknown
  int column = 0;                // 1-based
  std::string describe() const;  // "file:line:col" or "--set"
};

struct ParamValue {
  ParamType type = ParamType::kNumber;
  double number = 0;  // kInt, kNumber and kQuantity (base unit, or cycles)
  bool cycles = false;
  bool flag = false;                    // kBool
  std::string text;                     // kString, kEnum
  std::optional<std::string> estimate;  // note when the value is marked as an estimate
  Origin origin;
  bool is_default = false;
};

struct ParamSpec {
  std::string path;  // dotted key path, e.g. "memory.timing.tRCD_rd"
  ParamType type = ParamType::kNumber;
  UnitKind unit = UnitKind::kSize;  // for kQuantity
  std::string cycle_clock;          // for time: "N cycles" allowed, counted in this frequency param
  bool required = false;
  std::optional<std::string> default_text;  // parsed like a file value
  double min = -std::numeric_limits<double>::infinity();
  double max = std::numeric_limits<double>::infinity();
  bool min_exclusive = false;        // "> min" rather than ">= min"
  std::vector<std::string> choices;  // kEnum
  std::string description;

  std::string type_label() const;   // "int", "bandwidth", "enum{...}" ...
  std::string range_label() const;  // "> 0", "1..4096", ""
};

// A spec plus how to store its value into the typed config T.
template <class T>
struct Binding {
  ParamSpec spec;
  std::function<void(T&, const ParamValue&)> store;
};

// Fluent construction of a binding, so each parameter reads as one statement in the registry.
template <class T>
class ParamBuilder {
 public:
  ParamBuilder(std::vector<Binding<T>>& out, std::string path, ParamType type) : out_(out) {
    b_.spec.path = std::move(path);
    b_.spec.type = type;
  }
  ~ParamBuilder() { out_.push_back(std::move(b_)); }
  ParamBuilder(const ParamBuilder&) = delete;
  ParamBuilder& operator=(const ParamBuilder&) = delete;

  ParamBuilder& unit(UnitKind u) {
    b_.spec.unit = u;
    return *this;
  }
  ParamBuilder& cycles_of(std::string clock) {
    b_.spec.cycle_clock = std::move(clock);
    return *this;
  }
  ParamBuilder& required() {
    b_.spec.required = true;
    return *this;
  }
  ParamBuilder& dflt(std::string text) {
    b_.spec.default_text = std::move(text);
    return *this;
  }
  ParamBuilder& min(double v) {
    b_.spec.min = v;
    return *this;
  }
  ParamBuilder& positive() {
    b_.spec.min = 0;
    b_.spec.min_exclusive = true;
    return *this;
  }
  ParamBuilder& max(double v) {
    b_.spec.max = v;
    return *this;
  }
  ParamBuilder& choices(std::vector<std::string> c) {
    b_.spec.choices = std::move(c);
    return *this;
  }
  ParamBuilder& desc(std::string d) {
    b_.spec.description = std::move(d);
    return *this;
  }
  template <class F>
  ParamBuilder& store(F f) {
    b_.store = std::move(f);
    return *this;
  }

 private:
  std::vector<Binding<T>>& out_;
  Binding<T> b_;
};

// Stores a value into a field of matching type.
void assign(int& field, const ParamValue& v);
void assign(double& field, const ParamValue& v);
void assign(std::uint64_t& field, const ParamValue& v);
void assign(std::string& field, const ParamValue& v);
void assign(bool& field, const ParamValue& v);

// Returns a store function writing into the field `access(config)` returns.
template <class F>
auto field(F access) {
  return [access](auto& config, const ParamValue& v) { assign(access(config), v); };
}

}  // namespace xpusim::config
