#include "sim/config/chip_config.hpp"

#include <fmt/format.h>
#include <algorithm>

#include "sim/common/error.hpp"

namespace xpusim::config {
namespace fs = std::filesystem;

double MemoryConfig::peak_bandwidth() const {
  return static_cast<double>(stacks) * channels_per_stack * pseudo_channels_per_channel *
         pseudo_channel_width_bits * data_rate;
}

double ChipConfig::peak_flops(DType d) const {
  return compute.units * compute.clock * compute.tensor_flops_per_clock[static_cast<int>(d)];
}

KernelTarget ChipConfig::kernel_target() const {
  KernelTarget t;
  t.chip = name;
  t.family = family;
  t.units = compute.units;
  t.clock_hz = compute.sustained_clock;
  t.smem_per_unit = compute.smem_per_unit;
  t.max_smem_per_cta = compute.max_smem_per_cta;
  t.registers_per_unit = compute.registers_per_unit;
  t.max_threads_per_unit = compute.max_threads_per_unit;
  t.max_ctas_per_unit = compute.max_ctas_per_unit;
  t.max_cluster_size = compute.max_cluster_size;
  t.async_copy = compute.async_copy == "tma"        ? AsyncCopy::kTma
                 : compute.async_copy == "cp_async" ? AsyncCopy::kCpAsync
                                                    : AsyncCopy::kNone;
  t.tensor_flops_per_clock = compute.tensor_flops_per_clock;
  t.l2_bytes = l2.size;
  t.l2_bandwidth = l2.bandwidth;
  t.memory_bandwidth = memory.peak_bandwidth();
  return t;
}

std::vector<std::string> list_configs(const fs::path& dir, const ConfigFiles& files) {
  return files.names_in(dir);
}

// A name or a path: the name is looked up in `dir`; an unknown name gets a suggestion.
fs::path resolve_config(const std::string& name_or_path, const fs::path& dir, const char* what,
                        const ConfigFiles& files) {
  if (name_or_path.find('/') != std::string::npos || name_or_path.ends_with(".yaml")) {
    if (!files.exists(name_or_path)) throw UserError(fmt::format("{}: no such file", name_or_path));
    return name_or_path;
  }
  fs::path file = dir / (name_or_path + ".yaml");
  if (files.exists(file)) return file;
  const std::vector<std::string> known = list_configs(dir, files);
  std::string hint;
  std::size_t best = 4;
  for (const std::string& k : known)
    if (std::size_t d = edit_distance(name_or_path, k, best); d < best) best = d, hint = k;
  throw UserError(fmt::format("unknown {} '{}'{}; known: {}", what, name_or_path,
                              hint.empty() ? "" : fmt::format(" (did you mean '{}'?)", hint),
                              fmt::join(known, ", ")));
}

namespace {

// A multi-die package must split its units, L2 slices and HBM stacks evenly among the dies.
template <typename Where>
void check_dies(const ChipConfig& c, const Where& where, std::vector<std::string>& errors) {
  const DieToDieConfig& d = c.die_to_die;
  const int mem = d.memory_die_count();
  const std::string mem_key = d.memory_dies > 0 ? "die_to_die.memory_dies" : "die_to_die.dies";
  const auto need = [&](bool ok, const std::string& key, const std::string& what) {
    if (!ok) errors.push_back(fmt::format("{}: {}: {}", where(key), key, what));
  };
  need(d.dies % mem == 0, "die_to_die.memory_dies",
       fmt::format("{} compute dies cannot be grouped evenly over {} memory dies", d.dies, mem));
  need(c.compute.units % d.dies == 0, "die_to_die.dies",
       fmt::format("compute.units ({}) is not divisible by {} dies", c.compute.units, d.dies));
  need(c.memory.stacks % mem == 0, mem_key,
       fmt::format("memory.stacks ({}) is not divisible by {} memory dies", c.memory.stacks, mem));
  need(c.l2.slices % mem == 0, mem_key,
       fmt::format("l2.slices ({}) is not divisible by {} memory dies", c.l2.slices, mem));
  if (mem > 1) {
    need(d.bandwidth > 0, "die_to_die.bandwidth",
         fmt::format("must be above 0 with {} memory dies", mem));
    need(c.memory.interleave > 0 && d.interleave % c.memory.interleave == 0,
         "die_to_die.interleave",
         fmt::format("{} B is not a multiple of memory.interleave ({} B)", d.interleave,
                     c.memory.interleave));
  }
}

// Checks that involve more than one key; each names the key and where it was set.
void check_consistency(const ChipConfig& c, const LoadedParams& p) {
  std::vector<std::string> errors;
  auto where = [&](const std::string& key) {
    const ParamValue* v = p.find(key);
    return v && !v->is_default ? v->origin.describe() : p.file.string();
  };
  if (c.compute.max_smem_per_cta > c.compute.smem_per_unit)
    errors.push_back(fmt::format("{}: compute.max_smem_per_cta exceeds compute.smem_per_unit",
                                 where("compute.max_smem_per_cta")));
  bool any_tensor = false;
  for (double r : c.compute.tensor_flops_per_clock) any_tensor |= r > 0;
  if (!any_tensor)
    errors.push_back(fmt::format("{}: compute.tensor_flops_per_clock: no dtype has a rate above 0",
                                 p.file.string()));
  const std::uint64_t burst = static_cast<std::uint64_t>(c.memory.pseudo_channel_width_bits) *
                              c.memory.timing.burst_length / 8;
  if (burst == 0 || c.memory.interleave % burst != 0)
    errors.push_back(
        fmt::format("{}: memory.interleave ({} B) must be a multiple of the burst ({} B)",
                    where("memory.interleave"), c.memory.interleave, burst));
  if (c.memory.row_size < burst)
    errors.push_back(
        fmt::format("{}: memory.row_size is smaller than one burst", where("memory.row_size")));
  check_dies(c, where, errors);
  if (!errors.empty()) {
    std::string msg = fmt::format("invalid chip config {}:", p.file.string());
    for (const auto& e : errors) msg += "\n  " + e;
    throw UserError(msg);
  }
}

}  // namespace

ChipConfig load_chip(const std::string& name_or_path, const fs::path& config_dir,
                     const std::vector<std::string>& sets, const ConfigFiles& files) {
  const fs::path file = resolve_config(name_or_path, config_dir / "chips", "chip", files);
  // Immutable once built, like the registry it indexes: one per process.
  static const ConfigLoader loader(specs_of(chip_bindings()), "chip");
  const LoadedParams params = loader.load(file, sets, files);
  ChipConfig chip;
  chip.file = file;
  apply_bindings(chip_bindings(), params, chip);
  if (chip.compute.sustained_clock <= 0) chip.compute.sustained_clock = chip.compute.clock;
  if (chip.compute.boost_clock <= 0) chip.compute.boost_clock = chip.compute.clock;
  if (chip.compute.inflight_bytes_per_unit == 0)
    chip.compute.inflight_bytes_per_unit = chip.compute.smem_per_unit;
  for (const auto& [path, v] : params.values)
    if (v.estimate) chip.estimates[path] = *v.estimate;
  check_consistency(chip, params);
  return chip;
}

}  // namespace xpusim::config
