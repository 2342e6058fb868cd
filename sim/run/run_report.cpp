#include "sim/run/run_report.hpp"

#include <fmt/format.h>

#include <algorithm>

#include "sim/report/table.hpp"

namespace xpusim::run {

double RunReport::utilisation_of(const std::string& unit) const {
  for (const auto& u : utilisation)
    if (u.unit == unit) return u.fraction;
  return 0;
}

namespace {

double far_fraction(const platform::DieToDieResult& d) {
  const double all = static_cast<double>(d.near_bytes + d.far_bytes);
  return all > 0 ? static_cast<double>(d.far_bytes) / all : 0;
}

// Counters of the die-to-die links (multi-die packages only).
nlohmann::ordered_json die_to_die_json(const platform::DieToDieResult& d, double active_s) {
  nlohmann::ordered_json links = nlohmann::ordered_json::array();
  for (const auto& l : d.links)
    links.push_back(
        {{"from", l.from},
         {"to", l.to},
         {"transfers", l.stats.transfers},
         {"data_bytes", l.stats.data_bytes},
         {"wire_bytes", l.stats.wire_bytes},
         {"busy_s", picos_to_seconds(l.stats.busy)},
         {"stall_s", picos_to_seconds(l.stats.stall)},  // summed over transfers
         {"mean_wait_s", l.stats.transfers > 0 ? picos_to_seconds(l.stats.stall) /
                                                     static_cast<double>(l.stats.transfers)
                                               : 0.0},
         {"utilisation", active_s > 0 ? picos_to_seconds(l.stats.busy) / active_s : 0}});
  return {{"dies", d.dies},
          {"memory_dies", d.memory_dies},
          {"link_bandwidth_bytes_per_s", d.link_bandwidth},
          {"near_bytes", d.near_bytes},
          {"far_bytes", d.far_bytes},
          {"far_fraction", far_fraction(d)},
          {"links", links}};
}

}  // namespace

RunReport make_report(const platform::RunResult& r, const std::string& workload, double flops) {
  RunReport rep;
  rep.raw = r;
  rep.chip = r.chip;
  rep.workload = workload;
  rep.latency_s = picos_to_seconds(r.total);
  for (const auto& k : r.kernels) {
    rep.kernel_s += picos_to_seconds(k.end - k.start);
    rep.launch_s += picos_to_seconds(k.start - k.launch);
    rep.ctas += k.ctas;
  }
  if (!r.kernels.empty()) {
    const auto& main =
        *std::max_element(r.kernels.begin(), r.kernels.end(),
                          [](const auto& a, const auto& b) { return a.ctas < b.ctas; });
    rep.ctas_per_unit = main.ctas_per_unit;
    rep.waves = main.waves;
  }
  rep.flops = flops > 0 ? flops : static_cast<double>(r.totals.mma_flops);
  rep.tflops = rep.latency_s > 0 ? rep.flops / rep.latency_s / 1e12 : 0;
  rep.hbm_bytes = static_cast<double>(r.hbm.bytes_read + r.hbm.bytes_written);
  rep.l2_bytes = static_cast<double>(r.l2_bytes);
  const double active = std::max(rep.kernel_s, 1e-15);
  rep.hbm_bw = rep.hbm_bytes / active;
  rep.l2_bw = rep.l2_bytes / active;
  rep.hbm_peak = r.hbm_peak;
  const double unit_time = active * r.units;
  auto frac = [&](Picos busy) { return std::min(1.0, picos_to_seconds(busy) / unit_time); };
  rep.utilisation = {{"tensor", frac(r.unit_total.tensor_busy)},
                     {"vector", frac(r.unit_total.vector_busy)},
                     {"sfu", frac(r.unit_total.sfu_busy)},
                     {"l2", std::min(1.0, rep.l2_bw / r.l2_bandwidth)},
                     {"hbm", std::min(1.0, rep.hbm_bw / r.hbm_peak)}};
  const platform::DieToDieResult& d2d = r.die_to_die;
  if (d2d.memory_dies > 1) {
    // The busiest direction of the busiest die-to-die link.
    Picos busiest_link = 0;
    for (const auto& l : d2d.links) busiest_link = std::max(busiest_link, l.stats.busy);
    rep.utilisation.push_back({"d2d", std::min(1.0, picos_to_seconds(busiest_link) / active)});
  }
  rep.unit_occupancy = frac(r.unit_total.resident_time);
  const double reads =
      static_cast<double>(r.l2.read_hits + r.l2.read_misses + r.l2.inflight_merges);
  rep.l2_hit_rate = reads > 0 ? (r.l2.read_hits + r.l2.inflight_merges) / reads : 0;
  rep.hbm_where_peak_went = r.hbm_where_peak_went;

  // The bottleneck: the busiest resource if it is busy most of the time; otherwise the time is
  // going to latency (launch, pipeline fill, partial waves) rather than to throughput.
  const auto busiest =
      *std::max_element(rep.utilisation.begin(), rep.utilisation.end(),
                        [](const auto& a, const auto& b) { return a.fraction < b.fraction; });
  const double launch_share = rep.launch_s / std::max(rep.latency_s, 1e-15);
  const double tail = rep.waves > 0 ? rep.waves - std::floor(rep.waves) : 0;
  if (launch_share > 0.4) {
    rep.bottleneck = "launch overhead";
  } else if (busiest.fraction >= 0.6) {
    rep.bottleneck = busiest.unit == "tensor" ? "compute (tensor cores)"
                     : busiest.unit == "hbm"  ? "HBM bandwidth"
                     : busiest.unit == "l2"   ? "L2 bandwidth"
                     : busiest.unit == "sfu"  ? "SFU (exp/softmax)"
                     : busiest.unit == "d2d"  ? "die-to-die link"
                                              : "vector ALUs";
  } else if (rep.unit_occupancy < 0.6) {
    rep.bottleneck = "parallelism (too few CTAs / tail)";
  } else {
    rep.bottleneck = "latency (memory latency, pipeline fill)";
  }
  std::vector<std::string> ev;
  for (const auto& u : rep.utilisation)
    ev.push_back(fmt::format("{} {:.0f}%", u.unit, 100 * u.fraction));
  ev.push_back(fmt::format("units occupied {:.0f}%", 100 * rep.unit_occupancy));
  ev.push_back(fmt::format(
      "waves {:.2f}{}", rep.waves,
      tail > 0 && rep.waves > 1 ? fmt::format(" (last {:.0f}% full)", 100 * tail) : ""));
  ev.push_back(fmt::format("launch {:.0f}% of time", 100 * launch_share));
  ev.push_back(fmt::format("L2 hit rate {:.0f}%", 100 * rep.l2_hit_rate));
  if (d2d.memory_dies > 1)
    ev.push_back(fmt::format("{:.0f}% of unit traffic crossed dies", 100 * far_fraction(d2d)));
  rep.evidence = fmt::format("{}", fmt::join(ev, ", "));
  return rep;
}

nlohmann::ordered_json RunReport::to_json() const {
  nlohmann::ordered_json util = nlohmann::ordered_json::object();
  for (const auto& u : utilisation) util[u.unit] = u.fraction;
  nlohmann::ordered_json kernels = nlohmann::ordered_json::array();
  for (const auto& k : raw.kernels)
    kernels.push_back({{"name", k.name},
                       {"launch_s", picos_to_seconds(k.launch)},
                       {"start_s", picos_to_seconds(k.start)},
                       {"end_s", picos_to_seconds(k.end)},
                       {"ctas", k.ctas},
                       {"ctas_per_unit", k.ctas_per_unit},
                       {"waves", k.waves}});
  const auto& h = raw.hbm;
  nlohmann::ordered_json out = {
      {"chip", chip},
      {"workload", workload},
      {"latency_s", latency_s},
      {"kernel_s", kernel_s},
      {"launch_s", launch_s},
      {"flops", flops},
      {"tflops", tflops},
      {"counted_bytes", counted_bytes},
      {"counted_bytes_per_s", latency_s > 0 ? counted_bytes / latency_s : 0.0},
      {"bandwidth",
       {{"hbm_bytes", hbm_bytes},
        {"hbm_bytes_per_s", hbm_bw},
        {"hbm_peak_bytes_per_s", hbm_peak},
        {"l2_bytes", l2_bytes},
        {"l2_bytes_per_s", l2_bw}}},
      {"utilisation", util},
      {"clock_hz", power.clock_hz},
      {"power",
       {{"modelled", power.modelled},
        {"limited", power.limited},
        {"watts", power.power_w},
        {"unlimited_watts", power.unlimited_w},
        {"max_clock_hz", power.max_clock_hz}}},
      {"unit_occupancy", unit_occupancy},
      {"ctas", ctas},
      {"ctas_per_unit", ctas_per_unit},
      {"waves", waves},
      {"bottleneck", bottleneck},
      {"evidence", evidence},
      {"kernels", kernels},
      {"components",
       {{"l2",
         {{"read_hits", raw.l2.read_hits},
          {"read_misses", raw.l2.read_misses},
          {"inflight_merges", raw.l2.inflight_merges},
          {"hit_bytes", raw.l2.hit_bytes},
          {"miss_bytes", raw.l2.miss_bytes},
          {"write_bytes", raw.l2.write_bytes},
          {"evictions", raw.l2.evictions}}},
        {"hbm",
         {{"bytes_read", h.bytes_read},
          {"bytes_written", h.bytes_written},
          {"activates", h.activates},
          {"row_hits", h.row_hits},
          {"reordered_hits", h.reordered_hits},
          {"row_misses", h.row_misses},
          {"row_conflicts", h.row_conflicts},
          {"refreshes", h.refreshes},
          {"read_write_turnarounds", h.read_write_turnarounds},
          {"where_peak_went", hbm_where_peak_went}}},
        {"units",
         {{"tensor_busy_s", picos_to_seconds(raw.unit_total.tensor_busy)},
          {"vector_busy_s", picos_to_seconds(raw.unit_total.vector_busy)},
          {"sfu_busy_s", picos_to_seconds(raw.unit_total.sfu_busy)},
          {"load_wait_s", picos_to_seconds(raw.unit_total.load_wait)},
          {"load_bytes", raw.unit_total.load_bytes},
          {"store_bytes", raw.unit_total.store_bytes}}}}}};
  if (raw.die_to_die.memory_dies > 1)
    out["components"]["die_to_die"] = die_to_die_json(raw.die_to_die, kernel_s);
  return out;
}

std::string to_table(const RunReport& r) {
  report::Table t({"metric", "value"});
  t.add_row({"chip", r.chip});
  t.add_row({"workload", r.workload});
  t.add_row({"latency", fmt::format("{:.3f} us", r.latency_s * 1e6)});
  t.add_row({"  of which launch", fmt::format("{:.3f} us", r.launch_s * 1e6)});
  if (r.flops > 0) t.add_row({"throughput", fmt::format("{:.1f} TFLOP/s", r.tflops)});
  if (r.counted_bytes > 0)
    t.add_row({"bandwidth (as counted)",
               fmt::format("{:.3f} TB/s", r.counted_bytes / r.latency_s / 1e12)});
  t.add_row({"HBM achieved", fmt::format("{:.2f} TB/s ({:.0f}% of {:.2f})", r.hbm_bw / 1e12,
                                         100 * r.hbm_bw / r.hbm_peak, r.hbm_peak / 1e12)});
  t.add_row({"L2 achieved",
             fmt::format("{:.2f} TB/s (hit rate {:.0f}%)", r.l2_bw / 1e12, 100 * r.l2_hit_rate)});
  for (const auto& u : r.utilisation)
    t.add_row({"util " + u.unit, fmt::format("{:.1f}%", 100 * u.fraction)});
  if (r.power.modelled)
    t.add_row(
        {"clock / power",
         fmt::format("{:.3f} GHz, {:.0f} W{}", r.power.clock_hz / 1e9, r.power.power_w,
                     r.power.limited ? fmt::format(" (power-limited: {:.0f} W at {:.3f} GHz)",
                                                   r.power.unlimited_w, r.power.max_clock_hz / 1e9)
                                     : "")});
  t.add_row(
      {"CTAs", fmt::format("{} ({} per unit, {:.2f} waves)", r.ctas, r.ctas_per_unit, r.waves)});
  t.add_row({"units occupied", fmt::format("{:.1f}%", 100 * r.unit_occupancy)});
  if (const auto& d = r.raw.die_to_die; d.memory_dies > 1) {
    std::uint64_t data = 0, transfers = 0;
    Picos stall = 0;
    for (const auto& l : d.links)
      data += l.stats.data_bytes, stall += l.stats.stall, transfers += l.stats.transfers;
    t.add_row({"die-to-die",
               fmt::format("{:.1f}% of unit traffic crossed ({:.2f} GB over {} links of {:.2f} "
                           "TB/s per direction), busiest link {:.1f}%, a transfer waited {:.0f} ns "
                           "for its link on average",
                           100 * far_fraction(d), data / 1e9, d.links.size(),
                           d.link_bandwidth / 1e12, 100 * r.utilisation_of("d2d"),
                           transfers > 0 ? picos_to_seconds(stall) * 1e9 / transfers : 0.0)});
  }
  t.add_row({"bottleneck", r.bottleneck});
  std::string out = t.to_text(true);
  out += "evidence: " + r.evidence + "\n";
  out += "HBM time: " + r.hbm_where_peak_went + "\n";
  return out;
}

}  // namespace xpusim::run
