#include "sim/config/loader.hpp"

#include <yaml-cpp/yaml.h>

#include <fmt/format.h>
#include <algorithm>
#include <charconv>
#include <cmath>
#include <limits>
#include <set>

#include "sim/common/error.hpp"

namespace xpusim::config {
namespace fs = std::filesystem;

const ParamValue* LoadedParams::find(const std::string& path) const {
  auto it = values.find(path);
  return it == values.end() ? nullptr : &it->second;
}

std::size_t edit_distance(const std::string& a, const std::string& b, std::size_t limit) {
  // The distance is at least the difference in length, and a row's minimum never decreases:
  // both let a caller that only wants close matches stop early (fuzzed configs hold hundreds of
  // unknown keys, each compared with every known one).
  const std::size_t gap = a.size() > b.size() ? a.size() - b.size() : b.size() - a.size();
  if (gap >= limit) return limit;
  std::vector<std::size_t> prev(b.size() + 1), cur(b.size() + 1);
  for (std::size_t j = 0; j <= b.size(); ++j) prev[j] = j;
  for (std::size_t i = 1; i <= a.size(); ++i) {
    cur[0] = i;
    std::size_t row_min = cur[0];
    for (std::size_t j = 1; j <= b.size(); ++j) {
      cur[j] = std::min(std::min(prev[j], cur[j - 1]) + 1, prev[j - 1] + (a[i - 1] != b[j - 1]));
      row_min = std::min(row_min, cur[j]);
    }
    if (row_min >= limit) return limit;
    std::swap(prev, cur);
  }
  return std::min(prev[b.size()], limit);
}

namespace {

constexpr int kMaxBaseDepth = 8;
constexpr std::size_t kMaxErrors = 25;
// "Did you mean" is worked out for this many unknown keys per load: each costs a comparison with
// every known key, and a file with hundreds of them (a fuzzer's) would spend its time there.
constexpr std::size_t kMaxSuggestions = 8;

Origin origin_of(const YAML::Node& node, const fs::path& file) {
  const YAML::Mark m = node.Mark();
  return Origin{file.string(), m.line >= 0 ? m.line + 1 : 0, m.column >= 0 ? m.column + 1 : 0};
}

// yaml-cpp's Node::operator= writes through to the node it refers to, so entries are only ever
// copy-constructed (emplace), never assigned.
struct RawEntry {
  YAML::Node node;  // the scalar value
  std::optional<std::string> estimate;
  Origin origin;
};

bool parse_int(const std::string& s, double& out) {
  long long v = 0;
  auto [p, ec] = std::from_chars(s.data(), s.data() + s.size(), v);
  if (s.empty() || ec != std::errc() || p != s.data() + s.size()) return false;
  out = static_cast<double>(v);
  return true;
}

bool parse_number(const std::string& s, double& out) {
  auto [p, ec] = std::from_chars(s.data(), s.data() + s.size(), out);
  return !s.empty() && ec == std::errc() && p == s.data() + s.size() && std::isfinite(out);
}

}  // namespace

// Everything one load accumulates; kept per call so a loader object has no mutable state.
struct LoadContext {
  std::map<std::string, RawEntry> raw;
  std::map<std::string, Origin> groups;  // where each mapping was opened, for "missing key" errors
  std::vector<fs::path> chain;
  std::vector<std::string> errors;
  std::map<std::string, ParamValue> values;
  bool fatal = false;  // a file could not be read at all; later checks would only add noise

  void fatal_error(const Origin& where, const std::string& path, const std::string& msg) {
    fatal = true;
    error(where, path, msg);
  }

  std::size_t suggestions = 0;  // "did you mean" hints worked out so far

  void error(const Origin& where, const std::string& path, const std::string& msg) {
    if (errors.size() < kMaxErrors)
      errors.push_back(path.empty() ? fmt::format("{}: {}", where.describe(), msg)
                                    : fmt::format("{}: {}: {}", where.describe(), path, msg));
  }
};

class LoaderImpl {
 public:
  LoaderImpl(const std::vector<ParamSpec>& specs, const std::string& what,
             const std::map<std::string, std::size_t>& index, const std::set<std::string>& groups,
             const ConfigFiles& files)
      : specs_(specs), what_(what), index_(index), groups_(groups), files_(files) {}

  void load_file(const fs::path& file, LoadContext& ctx, int depth) const {
    if (std::find(ctx.chain.begin(), ctx.chain.end(), file) != ctx.chain.end()) {
      ctx.fatal_error(Origin{file.string()}, "base", "inheritance cycle through " + file.string());
      return;
    }
    if (depth > kMaxBaseDepth) {
      ctx.fatal_error(Origin{file.string()}, "base", "base chain deeper than 8 files");
      return;
    }
    // Read through const nodes only: `files_` may hand out a shared document.
    YAML::Node parsed;
    try {
      parsed = files_.parse(file);
    } catch (const YAML::BadFile&) {
      ctx.fatal_error(Origin{file.string()}, "", fmt::format("cannot open {} config file", what_));
      return;
    } catch (const YAML::ParserException& e) {
      ctx.fatal_error(Origin{file.string(), e.mark.line + 1, e.mark.column + 1}, "",
                      "YAML syntax error: " + e.msg);
      return;
    }
    const YAML::Node& root = parsed;
    ctx.chain.push_back(file);
    if (!root.IsMap()) {
      ctx.fatal_error(Origin{file.string(), 1, 1}, "",
                      fmt::format("a {} config must be a YAML mapping of keys", what_));
      return;
    }
    // Parents first, so that this file's keys override theirs.
    if (YAML::Node base = root["base"]; base) {
      if (!base.IsScalar() || base.Scalar().empty()) {
        ctx.error(origin_of(base, file), "base", "expected the name of another config");
      } else {
        fs::path base_file = file.parent_path() / (base.Scalar() + ".yaml");
        if (!files_.exists(base_file))
          ctx.fatal_error(origin_of(base, file), "base",
                          fmt::format("no config named '{}' (looked for {})", base.Scalar(),
                                      base_file.string()));
        else
          load_file(base_file, ctx, depth + 1);
      }
    }
    // A file's identity is its own, never inherited.
    ctx.raw.erase("name");
    ctx.raw.erase("display_name");
    flatten(root, "", file, ctx);
  }

  void flatten(const YAML::Node& map, const std::string& prefix, const fs::path& file,
               LoadContext& ctx) const {
    std::set<std::string> seen;
    for (auto it = map.begin(); it != map.end(); ++it) {
      const YAML::Node key = it->first;
      const YAML::Node val = it->second;
      if (!key.IsScalar()) {
        ctx.error(origin_of(key, file), prefix, "keys must be plain names");
        continue;
      }
      const std::string path = prefix.empty() ? key.Scalar() : prefix + "." + key.Scalar();
      if (!seen.insert(key.Scalar()).second) {
        ctx.error(origin_of(key, file), path, "duplicate key");
        continue;
      }
      if (path == "base") continue;  // handled by load_file
      if (const ParamSpec* spec = find_spec(path)) {
        add_leaf(*spec, key, val, file, ctx);
      } else if (groups_.count(path)) {
        ctx.groups[path] = origin_of(key, file);
        if (val.IsNull()) continue;
        if (!val.IsMap()) {
          ctx.error(origin_of(val, file), path, "expected a mapping of keys under this section");
          continue;
        }
        flatten(val, path, file, ctx);
      } else {
        ctx.error(origin_of(key, file), path, "unknown key" + hint_for(path, ctx));
      }
    }
  }

  void add_leaf(const ParamSpec& spec, const YAML::Node& key, const YAML::Node& val,
                const fs::path& file, LoadContext& ctx) const {
    YAML::Node scalar = val;
    std::optional<std::string> estimate;
    Origin where = origin_of(val, file);
    if (val.IsMap()) {
      // {value: V, estimate: "why"} marks an estimate or a conflicting figure.
      for (auto it = val.begin(); it != val.end(); ++it) {
        const std::string k = it->first.Scalar();
        if (k != "value" && k != "estimate")
          ctx.error(origin_of(it->first, file), spec.path + "." + k,
                    "unknown key (a value may be written {value: V, estimate: \"why\"})");
      }
      if (!val["value"]) {
        ctx.error(origin_of(val, file), spec.path, "a {value:, estimate:} entry needs 'value'");
        return;
      }
      const YAML::Node est = val["estimate"];
      if (est) {
        if (!est.IsScalar() || est.Scalar().empty())
          ctx.error(origin_of(est, file), spec.path, "'estimate' must be a note saying why");
        else
          estimate = est.Scalar();
      }
      scalar.reset(val["value"]);
      where = origin_of(scalar, file);
    }
    if (scalar.IsNull() || !scalar.IsDefined()) {
      ctx.error(origin_of(key, file), spec.path, "has no value");
      return;
    }
    if (!scalar.IsScalar()) {
      ctx.error(where, spec.path, "expected a single value, not a list or mapping");
      return;
    }
    ctx.raw.erase(spec.path);
    ctx.raw.emplace(spec.path, RawEntry{scalar, estimate, where});
  }

  void apply_set(const std::string& set, LoadContext& ctx) const {
    const Origin where{"--set " + set};
    const auto eq = set.find('=');
    if (eq == std::string::npos || eq == 0) {
      ctx.error(where, "", "expected key=value, e.g. --set compute.units=114");
      return;
    }
    const std::string path = set.substr(0, eq);
    const ParamSpec* spec = find_spec(path);
    if (spec == nullptr) {
      ctx.error(where, path, "unknown key" + hint_for(path, ctx));
      return;
    }
    YAML::Node node;
    try {
      node = YAML::Load(set.substr(eq + 1));
    } catch (const YAML::Exception& e) {
      ctx.error(where, path, "cannot parse the value: " + e.msg);
      return;
    }
    if (!node.IsScalar()) {
      ctx.error(where, path, "expected a single value");
      return;
    }
    ctx.raw.erase(path);
    ctx.raw.emplace(path, RawEntry{node, std::nullopt, where});
  }

  void parse_entry(const ParamSpec& spec, const RawEntry& raw, LoadContext& ctx) const {
    ParamValue v;
    v.type = spec.type;
    v.origin = raw.origin;
    v.estimate = raw.estimate;
    const std::string s = raw.node.Scalar();
    switch (spec.type) {
      case ParamType::kInt:
        if (!parse_int(s, v.number)) {
          std::string msg = fmt::format("expected an integer, got '{}'", s);
          double d = 0;
          if (!parse_number(s, d) && s.find(' ') != std::string::npos)
            msg += " (this key takes no unit)";
          return ctx.error(raw.origin, spec.path, msg);
        }
        // Integer keys are stored in an int; a key without its own maximum still has that one.
        if (std::abs(v.number) > std::numeric_limits<int>::max())
          return ctx.error(
              raw.origin, spec.path,
              fmt::format("{} is too large (at most {})", s, std::numeric_limits<int>::max()));
        break;
      case ParamType::kNumber:
        if (!parse_number(s, v.number))
          return ctx.error(
              raw.origin, spec.path,
              fmt::format("expected a plain number (this key takes no unit), got '{}'", s));
        break;
      case ParamType::kQuantity: {
        std::string err;
        auto q = parse_quantity(s, spec.unit, !spec.cycle_clock.empty(), err);
        if (!q) return ctx.error(raw.origin, spec.path, err);
        v.number = q->value;
        v.cycles = q->cycles;
        break;
      }
      case ParamType::kString:
        v.text = s;
        break;
      case ParamType::kBool:
        if (s != "true" && s != "false")
          return ctx.error(raw.origin, spec.path,
                           fmt::format("expected true or false, got '{}'", s));
        v.flag = s == "true";
        break;
      case ParamType::kEnum:
        if (std::find(spec.choices.begin(), spec.choices.end(), s) == spec.choices.end())
          return ctx.error(raw.origin, spec.path,
                           fmt::format("'{}' is not one of: {}", s, fmt::join(spec.choices, ", ")));
        v.text = s;
        break;
    }
    if (spec.type == ParamType::kInt || spec.type == ParamType::kNumber ||
        spec.type == ParamType::kQuantity) {
      // Cycle counts are checked for sign only; the clock that scales them comes later.
      const double lo = v.cycles ? 0 : spec.min;
      const bool below = spec.min_exclusive ? v.number <= lo : v.number < lo;
      if (below || (!v.cycles && v.number > spec.max))
        return ctx.error(raw.origin, spec.path,
                         fmt::format("{} is out of range (allowed: {})", s, spec.range_label()));
    }
    ctx.values[spec.path] = std::move(v);
  }

  void finish(const fs::path& top, LoadContext& ctx) const {
    for (const ParamSpec& spec : specs_) {
      if (auto it = ctx.raw.find(spec.path); it != ctx.raw.end()) {
        parse_entry(spec, it->second, ctx);
      } else if (spec.default_text) {
        RawEntry def{YAML::Node(*spec.default_text), std::nullopt, Origin{"default"}};
        parse_entry(spec, def, ctx);
        if (auto v = ctx.values.find(spec.path); v != ctx.values.end()) v->second.is_default = true;
      } else if (spec.required) {
        ctx.error(
            nearest_group(spec.path, top, ctx), spec.path,
            fmt::format("missing required key ({}: {})", spec.type_label(), spec.description));
      }
    }
    resolve_cycles(ctx);
  }

  // "N cycles" becomes seconds with the clock the spec names.
  void resolve_cycles(LoadContext& ctx) const {
    for (const ParamSpec& spec : specs_) {
      auto it = ctx.values.find(spec.path);
      if (it == ctx.values.end() || !it->second.cycles) continue;
      auto clock = ctx.values.find(spec.cycle_clock);
      if (clock == ctx.values.end() || clock->second.number <= 0) {
        ctx.error(it->second.origin, spec.path,
                  fmt::format("given in cycles but {} is not set", spec.cycle_clock));
        continue;
      }
      it->second.number /= clock->second.number;
      it->second.cycles = false;
    }
  }

  // " (did you mean 'x'?)" for an unknown key, or nothing once kMaxSuggestions were made or the
  // message would not be listed anyway.
  std::string hint_for(const std::string& path, LoadContext& ctx) const {
    if (ctx.errors.size() >= kMaxErrors || ctx.suggestions >= kMaxSuggestions) return "";
    ++ctx.suggestions;
    return suggest(path);
  }

  std::string suggest(const std::string& path) const {
    std::string best;
    std::size_t best_d = 4;  // suggest only close matches
    auto consider = [&](const std::string& cand) {
      const std::size_t d = edit_distance(path, cand, best_d);
      if (d < best_d) best_d = d, best = cand;
    };
    for (const ParamSpec& s : specs_) consider(s.path);
    for (const std::string& g : groups_) consider(g);
    // A key put under the wrong section: same last component elsewhere.
    const std::string last =
        path.substr(path.rfind('.') == std::string::npos ? 0 : path.rfind('.') + 1);
    if (best.empty())
      for (const ParamSpec& s : specs_)
        if (s.path.size() > last.size() && s.path.ends_with("." + last)) best = s.path;
    return best.empty() ? "" : fmt::format(" (did you mean '{}'?)", best);
  }

 private:
  const ParamSpec* find_spec(const std::string& path) const {
    auto it = index_.find(path);
    return it == index_.end() ? nullptr : &specs_[it->second];
  }

  Origin nearest_group(std::string path, const fs::path& top, const LoadContext& ctx) const {
    for (auto dot = path.rfind('.'); dot != std::string::npos; dot = path.rfind('.')) {
      path = path.substr(0, dot);
      if (auto it = ctx.groups.find(path); it != ctx.groups.end()) return it->second;
    }
    return Origin{top.string(), 1, 1};
  }

  const std::vector<ParamSpec>& specs_;
  const std::string& what_;
  const std::map<std::string, std::size_t>& index_;
  const std::set<std::string>& groups_;
  const ConfigFiles& files_;
};

ConfigLoader::ConfigLoader(std::vector<ParamSpec> specs, std::string what)
    : specs_(std::move(specs)), what_(std::move(what)) {
  for (std::size_t i = 0; i < specs_.size(); ++i) {
    index_[specs_[i].path] = i;
    std::string p = specs_[i].path;
    for (auto dot = p.rfind('.'); dot != std::string::npos; dot = p.rfind('.')) {
      p = p.substr(0, dot);
      groups_.insert(p);
    }
  }
}

LoadedParams ConfigLoader::load(const fs::path& file, const std::vector<std::string>& sets,
                                const ConfigFiles& files) const {
  LoaderImpl impl(specs_, what_, index_, groups_, files);
  LoadContext ctx;
  impl.load_file(file, ctx, 0);
  if (!ctx.fatal) {
    for (const std::string& s : sets) impl.apply_set(s, ctx);
    impl.finish(file, ctx);
  }
  if (ctx.errors.empty()) {
    const std::string stem = file.stem().string();
    if (auto it = ctx.values.find("name"); it != ctx.values.end() && it->second.text != stem)
      ctx.error(it->second.origin, "name",
                fmt::format("'{}' does not match the file name '{}'", it->second.text, stem));
  }
  if (!ctx.errors.empty()) {
    std::string msg = fmt::format("invalid {} config {}:", what_, file.string());
    for (const std::string& e : ctx.errors) msg += "\n  " + e;
    if (ctx.errors.size() >= kMaxErrors) msg += "\n  (further errors not shown)";
    throw UserError(msg);
  }
  LoadedParams out;
  out.file = file;
  out.values = std::move(ctx.values);
  out.chain = std::move(ctx.chain);
  return out;
}

}  // namespace xpusim::config
