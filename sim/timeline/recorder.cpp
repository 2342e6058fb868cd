#include "sim/timeline/recorder.hpp"

#include <algorithm>

namespace xpusim::timeline {

const char* sm_phase_name(SmPhase p) {
  switch (p) {
    case SmPhase::kMma:
      return "MMA (tensor pipe)";
    case SmPhase::kVector:
      return "vector pipe";
    case SmPhase::kSfu:
      return "SFU (exp, softmax)";
    case SmPhase::kLoad:
      return "loads in flight";
    case SmPhase::kLoadWait:
      return "waiting for loads";
    case SmPhase::kStore:
      return "stores";
  }
  return "?";
}

Recorder::Recorder(const TimelineOptions& options)
    : options_(options), bins_(options.min_bin, options.max_bins) {
  bins_.resize(kFixedSeries);
  refab_name_ = name_id("REFab");
  refpb_name_ = name_id("REFpb");
}

std::uint32_t Recorder::name_id(const std::string& name) {
  const auto [it, inserted] =
      name_ids_.try_emplace(name, static_cast<std::uint32_t>(names_.size()));
  if (inserted) names_.push_back(name);
  return it->second;
}

void Recorder::set_units(int units) {
  units_ = units;
  unit_tracks_.clear();
  const int detailed = std::clamp(options_.sm_tracks, 0, units);
  for (int i = 0; i < detailed; ++i) {
    Unit& u = unit_tracks_.emplace_back();
    for (auto& p : u.phases) p = UnionTrack(options_.merge_gap);
  }
}

void Recorder::set_hbm(int pseudo_channels, int pseudo_channels_per_channel,
                       int banks_per_pseudo_channel, bool per_bank_refresh) {
  pseudo_channels_ = pseudo_channels;
  per_channel_ = std::max(pseudo_channels_per_channel, 1);
  channels_ = (pseudo_channels + per_channel_ - 1) / per_channel_;
  banks_ = std::max(banks_per_pseudo_channel, 1);
  per_bank_refresh_ = per_bank_refresh;
  const int detailed = std::clamp(options_.hbm_detail_channels, 0, channels_) * per_channel_;
  refresh_tracks_.assign(static_cast<std::size_t>(std::min(detailed, pseudo_channels)), {});
  bins_.resize(kFixedSeries + 2 * static_cast<std::size_t>(channels_));
}

void Recorder::set_l2(double bytes_per_second) {
  l2_bandwidth_ = bytes_per_second;
}

void Recorder::set_links(const std::vector<std::string>& names) {
  link_names_ = names;
  const auto detailed = std::min<std::size_t>(names.size(), std::max(options_.link_tracks, 0));
  link_tracks_.assign(detailed, UnionTrack(options_.merge_gap));
}

void Recorder::link_busy(int link, Picos start, Picos end) {
  if (end <= start) return;
  end_ = std::max(end_, end);
  bins_.add_busy(kLinkBusy, start, end);
  if (link < static_cast<int>(link_tracks_.size())) link_tracks_[link].add(start, end);
}

void Recorder::cta(int unit, const std::string& kernel, std::uint32_t cta, Picos start, Picos end) {
  end_ = std::max(end_, end);
  bins_.add_busy(kResident, start, end);
  if (unit < static_cast<int>(unit_tracks_.size()))
    unit_tracks_[unit].ctas.add({start, end, name_id(kernel), cta});
}

void Recorder::sm_phase(int unit, SmPhase phase, Picos start, Picos end) {
  if (end <= start) return;
  end_ = std::max(end_, end);
  if (phase == SmPhase::kMma) bins_.add_busy(kTensor, start, end);
  if (unit < static_cast<int>(unit_tracks_.size()))
    unit_tracks_[unit].phases[static_cast<std::size_t>(phase)].add(start, end);
}

void Recorder::hbm_bus(int pseudo_channel, Picos start, Picos end) {
  end_ = std::max(end_, end);
  bins_.add_busy(hbm_busy_series(pseudo_channel / per_channel_), start, end);
}

void Recorder::hbm_refresh(int pseudo_channel, int bank, Picos first, Picos period,
                           std::uint64_t count, Picos duration) {
  const std::uint32_t name = bank < 0 ? refab_name_ : refpb_name_;
  // Refresh time in bank-picoseconds: an all-bank refresh stops every bank.
  const double banks = bank < 0 ? banks_ : 1;
  const std::size_t series = hbm_refresh_series(pseudo_channel / per_channel_);
  const bool detailed = pseudo_channel < static_cast<int>(refresh_tracks_.size());
  for (std::uint64_t i = 0; i < count; ++i) {
    const Picos start = first + i * period;
    end_ = std::max(end_, start + duration);
    bins_.add_busy(series, start, start + duration, banks);
    if (detailed) refresh_tracks_[pseudo_channel].add({start, start + duration, name, bank});
  }
}

void Recorder::l2_transfer(L2Traffic kind, Picos start, Picos end, double bytes) {
  end_ = std::max(end_, end);
  const std::size_t series = kind == L2Traffic::kHit    ? kL2Hit
                             : kind == L2Traffic::kMiss ? kL2Miss
                                                        : kL2Write;
  bins_.add_spread(series, start, end, bytes);
}

void Recorder::kernel(const std::string& name, Picos launch, Picos start, Picos end) {
  end_ = std::max(end_, end);
  if (start > launch) kernels_.add({launch, start, name_id("launch overhead"), -1});
  kernels_.add({start, end, name_id(name), -1});
}

}  // namespace xpusim::timeline
