#pragma once
// Loads a YAML config against a parameter registry: resolves `base:` inheritance, applies
// `--set key=value` overrides, parses units, checks types, ranges, unknown and missing keys, and
// reports every problem with file:line:column and the key path.
#include <filesystem>
#include <limits>
#include <map>
#include <set>
#include <string>
#include <vector>

#include "sim/config/config_files.hpp"
#include "sim/config/schema.hpp"

namespace xpusim::config {

struct LoadedParams {
  std::filesystem::path file;  // the top-level file
  std::map<std::string, ParamValue>
      values;  // by key path; optional keys that are absent are missing
  std::vector<std::filesystem::path> chain;  // the file and its bases, child first

  const ParamValue* find(const std::string& path) const;
};

class ConfigLoader {
 public:
  // `what` names the kind of config in messages ("chip", "system").
  ConfigLoader(std::vector<ParamSpec> specs, std::string what);

  // Throws UserError listing every problem found.
  LoadedParams load(const std::filesystem::path& file, const std::vector<std::string>& sets,
                    const ConfigFiles& files = disk_config_files()) const;

  const std::vector<ParamSpec>& specs() const { return specs_; }

 private:
  std::vector<ParamSpec> specs_;
  std::string what_;
  // Built once here rather than per load: key path -> index in specs_, and every section name.
  std::map<std::string, std::size_t> index_;
  std::set<std::string> groups_;
};

// Stores every loaded value into `config` through the bindings.
template <class T>
void apply_bindings(const std::vector<Binding<T>>& bindings, const LoadedParams& params,
                    T& config) {
  for (const Binding<T>& b : bindings)
    if (const ParamValue* v = params.find(b.spec.path); v != nullptr && b.store)
      b.store(config, *v);
}

template <class T>
std::vector<ParamSpec> specs_of(const std::vector<Binding<T>>& bindings) {
  std::vector<ParamSpec> out;
  out.reserve(bindings.size());
  for (const Binding<T>& b : bindings) out.push_back(b.spec);
  return out;
}

// Levenshtein distance, for "did you mean" suggestions; `limit` when it is `limit` or more.
std::size_t edit_distance(const std::string& a, const std::string& b,
                          std::size_t limit = std::numeric_limits<std::size_t>::max());

}  // namespace xpusim::config
