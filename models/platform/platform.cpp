#include "models/platform/platform.hpp"

#include <systemc>

#include <fmt/format.h>
#include <set>

#include "sim/common/error.hpp"

namespace xpusim::platform {

hbm::HbmConfig hbm_config_from(const config::ChipConfig& chip, int memory_dies) {
  const auto& m = chip.memory;
  const auto ps = [](double seconds) { return seconds_to_picos(seconds); };
  hbm::HbmConfig h;
  h.stacks = m.stacks / memory_dies;
  h.channels_per_stack = m.channels_per_stack;
  h.pseudo_channels_per_channel = m.pseudo_channels_per_channel;
  h.bank_groups = m.bank_groups;
  h.banks_per_group = m.banks_per_group;
  h.pseudo_channel_width_bits = m.pseudo_channel_width_bits;
  h.data_rate_bits_per_s = m.data_rate * 8;  // the config keeps bytes/s per pin
  h.row_bytes = m.row_size;
  h.interleave_bytes = m.interleave;
  h.capacity_bytes = m.capacity / static_cast<std::uint64_t>(memory_dies);
  h.access_latency = ps(m.access_latency);
  h.write_queue_depth = m.write_queue_depth;
  h.refresh_mode =
      m.refresh_mode == "all_bank" ? hbm::RefreshMode::kAllBank : hbm::RefreshMode::kPerBank;
  const auto& t = m.timing;
  h.timing = hbm::HbmTiming{
      ps(1.0 / m.clock), ps(t.CL),   ps(t.CWL),    ps(t.tRCD_rd), ps(t.tRCD_wr), ps(t.tRP),
      ps(t.tRAS),        ps(t.tRC),  ps(t.tFAW),   ps(t.tRRD_S),  ps(t.tRRD_L),  ps(t.tCCD_S),
      ps(t.tCCD_L),      ps(t.tWR),  ps(t.tWTR_S), ps(t.tWTR_L),  ps(t.tRTW),    ps(t.tRTP),
      ps(t.tREFI),       ps(t.tRFC), ps(t.tRFCpb), t.burst_length};
  return h;
}

sm::SmParams sm_params_from(const config::ChipConfig& chip, Picos quantum) {
  const auto& c = chip.compute;
  sm::SmParams p;
  p.clock_hz = c.sustained_clock;
  p.tensor_flops_per_clock = c.tensor_flops_per_clock;
  p.vector_fp32_flops_per_clock = c.vector_fp32_flops_per_clock;
  p.vector_fp64_flops_per_clock = c.vector_fp64_flops_per_clock > 0 ? c.vector_fp64_flops_per_clock
                                                                    : c.vector_fp32_flops_per_clock;
  p.sfu_ops_per_clock = c.sfu_ops_per_clock;
  p.smem_bytes = c.smem_per_unit;
  p.registers = c.registers_per_unit;
  p.max_threads = c.max_threads_per_unit;
  p.max_ctas = c.max_ctas_per_unit;
  p.inflight_bytes = c.inflight_bytes_per_unit;
  p.mma_m_granularity = c.mma_rows;
  p.tensor_latency_cycles = c.tensor_latency;
  p.mma_sync_rows = c.mma_sync_rows;
  p.mma_sync_rate = c.mma_sync_rate;
  p.quantum = quantum;
  return p;
}

void check_replayable(const trace::Trace& trace, const config::ChipConfig& chip) {
  if (trace.family != chip.family)
    throw UserError(
        fmt::format("trace recorded for the {} family ({}) cannot replay on {} ({} family)",
                    trace.family, trace.recorded_for, chip.name, chip.family));
  const sm::SmParams p = sm_params_from(chip, 1);
  std::set<DType> dtypes;
  for (const auto& k : trace.kernels) {
    const sm::CtaFootprint f = sm::footprint(k);
    if (f.smem > p.smem_bytes || f.smem > chip.compute.max_smem_per_cta ||
        f.threads > p.max_threads || f.registers > p.registers)
      throw UserError(fmt::format(
          "kernel '{}' needs {} B shared memory, {} threads and {} registers per CTA; {} offers {} "
          "B "
          "(max {} B per CTA), {} threads and {} registers per {}",
          k.name, f.smem, f.threads, f.registers, chip.name, p.smem_bytes,
          chip.compute.max_smem_per_cta, p.max_threads, p.registers, chip.compute.unit_name));
    for (const auto& cta : k.ctas) {
      if (cta.streams.empty())
        throw UserError(fmt::format("kernel '{}': CTA {} has no stream", k.name, cta.id));
      for (const auto& stream : cta.streams)
        for (const auto& op : stream)
          if (op.opcode == trace::Opcode::kMma) dtypes.insert(op.mma.dtype);
    }
  }
  for (DType d : dtypes)
    if (chip.compute.tensor_flops_per_clock[static_cast<int>(d)] <= 0)
      throw UserError(
          fmt::format("{} has no {} tensor-core rate (compute.tensor_flops_per_clock.{} is 0)",
                      chip.name, dtype_name(d), dtype_name(d)));
}

namespace {

// The die-to-die link of one direction between two memory dies.
fabric::LinkSpec die_link_spec(const config::ChipConfig& chip) {
  const config::DieToDieConfig& d = chip.die_to_die;
  fabric::LinkSpec spec;
  spec.technology = "die_to_die";
  spec.lanes = 1;
  spec.lane_bandwidth = d.bandwidth;
  spec.latency = seconds_to_picos(d.latency);
  const auto payload = static_cast<std::uint32_t>(d.packet_payload);
  const auto header = static_cast<std::uint32_t>(d.packet_header);
  spec.packet = fabric::PacketFormat{payload, header, payload, header, 1.0};
  return spec;
}

constexpr Picos kDieLinkBucket = 20 * kPicosPerNs;  // as the L2's ledger

}  // namespace

Platform::Platform(const config::ChipConfig& chip, PlatformOptions options)
    : chip_(chip), options_(options) {
  const int memory_dies = chip_.die_to_die.memory_die_count();
  const l2::L2Params l2_params{chip_.l2.size, chip_.l2.bandwidth,
                               seconds_to_picos(chip_.l2.hit_latency)};
  if (memory_dies == 1) {
    hbm::HbmConfig hc = hbm_config_from(chip_);
    hc.validate();
    memories_.push_back(std::make_unique<hbm::HbmModel>(hc));
    l2_ = std::make_unique<l2::L2Cache>(l2_params, *memories_.front());
  } else {
    // Units are split evenly over the compute dies, compute dies evenly over the memory dies
    // (the config loader checked the divisions); memory is interleaved over the memory dies.
    hbm::HbmConfig hc = hbm_config_from(chip_, memory_dies);
    hc.validate();
    l2::DieRouting routing;
    routing.interleave = hbm::DieInterleave(memory_dies, chip_.die_to_die.interleave);
    routing.latency = seconds_to_picos(chip_.die_to_die.latency);
    const int per_memory_die = chip_.compute.units / memory_dies;
    for (int u = 0; u < chip_.compute.units; ++u) routing.unit_die.push_back(u / per_memory_die);
    for (int d = 0; d < memory_dies; ++d) {
      memories_.push_back(std::make_unique<hbm::HbmModel>(hc));
      routing.memories.push_back(memories_.back().get());
    }
    const fabric::LinkSpec spec = die_link_spec(chip_);
    for (int from = 0; from < memory_dies; ++from)
      for (int to = 0; to < memory_dies; ++to) {
        links_.push_back(from == to ? nullptr
                                    : std::make_unique<fabric::DieLink>(spec, kDieLinkBucket));
        routing.links.push_back(links_.back().get());
      }
    l2_ = std::make_unique<l2::L2Cache>(l2_params, std::move(routing));
  }
  const sm::SmParams params = sm_params_from(chip_, options_.quantum);
  std::vector<sm::SmModel*> raw;
  for (int i = 0; i < chip_.compute.units; ++i) {
    units_.push_back(std::make_unique<sm::SmModel>(
        fmt::format("sm{}", i).c_str(), i, params, *l2_,
        [this](int unit, Picos end) { scheduler_->on_cta_done(unit, end); }));
    raw.push_back(units_.back().get());
  }
  scheduler_ = std::make_unique<CtaScheduler>(raw, seconds_to_picos(chip_.launch_overhead),
                                              seconds_to_picos(chip_.compute.cta_launch_latency));
  if (timeline::Recorder* tl = options_.timeline) {
    tl->set_units(chip_.compute.units);
    // One HBM track per pseudo-channel of every memory die, die after die.
    const hbm::HbmConfig& hc = memories_.front()->config();
    const int per_die = memories_.front()->pseudo_channel_count();
    tl->set_hbm(per_die * static_cast<int>(memories_.size()), hc.pseudo_channels_per_channel,
                hc.banks_per_pseudo_channel(), hc.refresh_mode == hbm::RefreshMode::kPerBank);
    tl->set_l2(chip_.l2.bandwidth);
    for (std::size_t d = 0; d < memories_.size(); ++d)
      memories_[d]->set_timeline(tl, static_cast<int>(d) * per_die);
    l2_->set_timeline(tl);
    for (auto& u : units_) u->set_timeline(tl);
  }
}

Platform::~Platform() = default;

RunResult Platform::run(const trace::Trace& trace) {
  if (used_) throw std::logic_error("a Platform replays one trace; build a new one");
  used_ = true;
  check_replayable(trace, chip_);
  scheduler_->start(trace);
  sc_core::sc_start();
  if (!scheduler_->finished())
    throw std::logic_error("simulation ended before every CTA finished (scheduler stalled)");

  RunResult r;
  r.chip = chip_.name;
  r.kernels = scheduler_->records();
  r.total = r.kernels.empty() ? 0 : r.kernels.back().end;
  r.units = chip_.compute.units;
  for (const auto& u : units_) {
    const sm::SmStats& s = u->stats();
    r.unit_stats.push_back(s);
    r.unit_total.tensor_busy += s.tensor_busy;
    r.unit_total.vector_busy += s.vector_busy;
    r.unit_total.sfu_busy += s.sfu_busy;
    r.unit_total.resident_time += s.resident_time;
    r.unit_total.ctas += s.ctas;
    r.unit_total.mma_flops += s.mma_flops;
    r.unit_total.load_bytes += s.load_bytes;
    r.unit_total.store_bytes += s.store_bytes;
    r.unit_total.load_wait += s.load_wait;
  }
  r.l2 = l2_->stats();
  r.l2_bytes = l2_->total_bytes();
  r.l2_bandwidth = chip_.l2.bandwidth;
  std::vector<const hbm::HbmModel*> memories;
  for (const auto& m : memories_) {
    r.hbm += m->stats();
    r.hbm_peak += m->config().peak_bandwidth();
    r.hbm_pseudo_channels += m->pseudo_channel_count();
    memories.push_back(m.get());
  }
  r.hbm_where_peak_went = hbm::HbmModel::where_peak_went(memories, r.total);
  DieToDieResult& d2d = r.die_to_die;
  d2d.dies = chip_.die_to_die.dies;
  d2d.memory_dies = static_cast<int>(memories_.size());
  d2d.link_bandwidth = d2d.memory_dies > 1 ? chip_.die_to_die.bandwidth : 0;
  for (std::size_t i = 0; i < links_.size(); ++i)
    if (links_[i])
      d2d.links.push_back({static_cast<int>(i) / d2d.memory_dies,
                           static_cast<int>(i) % d2d.memory_dies, links_[i]->stats()});
  d2d.near_bytes = r.l2.near_bytes;
  d2d.far_bytes = r.l2.far_bytes;
  r.totals = trace::summarize(trace);
  r.simulated_events = sc_core::sc_delta_count();
  if (options_.timeline)
    for (const auto& k : r.kernels) options_.timeline->kernel(k.name, k.launch, k.start, k.end);
  return r;
}

}  // namespace xpusim::platform
