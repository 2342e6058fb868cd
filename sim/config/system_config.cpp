#include "sim/config/system_config.hpp"

#include <fmt/format.h>

#include "sim/common/error.hpp"

namespace xpusim::config {
namespace {

using P = ParamBuilder<SystemConfig>;
using T = ParamType;
using U = UnitKind;

std::vector<Binding<SystemConfig>> make_bindings() {
  std::vector<Binding<SystemConfig>> r;
  P(r, "name", T::kString).required().desc("config name; must equal the file name").store(field([
  ](SystemConfig & s) -> auto& { return s.name; }));
  P(r, "base", T::kString).desc("config this one inherits from (same folder)");
  P(r, "display_name", T::kString).required().desc("human-readable system name").store(field([
  ](SystemConfig & s) -> auto& { return s.display_name; }));
  P(r, "chip", T::kString).required().desc("chip config every device uses").store(field([
  ](SystemConfig & s) -> auto& { return s.chip_name; }));
  P(r, "devices", T::kInt)
      .required()
      .min(1)
      .max(1000000)
      .desc("chips in the scale-up domain")
      .store(field([](SystemConfig & s) -> auto& { return s.devices; }));
  P(r, "topology", T::kEnum)
      .required()
      .choices({"switched", "full_mesh", "switched_optical"})
      .desc("how the chips' scale-up links connect")
      .store(field([](SystemConfig & s) -> auto& { return s.topology; }));
  P(r, "switch.generation", T::kString).desc("switch chip (nvswitch3, ...)").store(field([
  ](SystemConfig & s) -> auto& { return s.fabric_switch.generation; }));
  P(r, "switch.count", T::kInt).min(1).max(100000).desc("switch chips in the domain").store(field([
  ](SystemConfig & s) -> auto& { return s.fabric_switch.count; }));
  P(r, "switch.ports", T::kInt).min(1).max(4096).desc("link ports per switch chip").store(field([
  ](SystemConfig & s) -> auto& { return s.fabric_switch.ports; }));
  P(r, "switch.port_bandwidth", T::kQuantity)
      .unit(U::kBandwidth)
      .positive()
      .desc("bandwidth per switch port, per direction")
      .store(field([](SystemConfig & s) -> auto& { return s.fabric_switch.port_bandwidth; }));
  P(r, "switch.latency", T::kQuantity)
      .unit(U::kTime)
      .min(0)
      .max(1e-3)
      .desc("latency through one switch")
      .store(field([](SystemConfig & s) -> auto& { return s.fabric_switch.latency; }));
  P(r, "switch.in_network_reduction", T::kBool)
      .dflt("false")
      .desc("switch reduces in the network (NVLink SHARP / NVLS)")
      .store(field([](SystemConfig & s) -> auto& { return s.fabric_switch.in_network_reduction; }));
  P(r, "power", T::kQuantity)
      .unit(U::kPower)
      .min(0)
      .desc("system power where published")
      .store(field([](SystemConfig & s) -> auto& { return s.power_w; }));
  P(r, "price_usd", T::kNumber)
      .dflt("0")
      .min(0)
      .desc("system price in USD (0 = unknown)")
      .store(field([](SystemConfig & s) -> auto& { return s.price_usd; }));
  return r;
}

}  // namespace

const std::vector<Binding<SystemConfig>>& system_bindings() {
  static const std::vector<Binding<SystemConfig>> bindings = make_bindings();
  return bindings;
}

SystemConfig load_system(const std::string& name_or_path, const std::filesystem::path& config_dir,
                         const std::vector<std::string>& sets,
                         const std::vector<std::string>& chip_sets, const ConfigFiles& files) {
  const auto file = resolve_config(name_or_path, config_dir / "systems", "system", files);
  // Immutable once built, like the registry it indexes: one per process.
  static const ConfigLoader loader(specs_of(system_bindings()), "system");
  const LoadedParams params = loader.load(file, sets, files);
  SystemConfig sys;
  sys.file = file;
  apply_bindings(system_bindings(), params, sys);
  for (const auto& [path, v] : params.values)
    if (v.estimate) sys.estimates[path] = *v.estimate;
  if ((sys.topology == "switched" || sys.topology == "switched_optical") &&
      (sys.fabric_switch.count <= 0 || sys.fabric_switch.port_bandwidth <= 0))
    throw UserError(
        fmt::format("invalid system config {}: topology '{}' needs switch.count and "
                    "switch.port_bandwidth",
                    file.string(), sys.topology));
  try {
    sys.chip = load_chip(sys.chip_name, config_dir, chip_sets, files);
  } catch (const UserError& e) {
    const ParamValue* chip = params.find("chip");
    throw UserError(
        fmt::format("{}: chip: {}", chip ? chip->origin.describe() : file.string(), e.what()));
  }
  return sys;
}

}  // namespace xpusim::config
