#include "models/hbm/hbm_config.hpp"

#include <fmt/format.h>

#include <cmath>

#include "sim/common/error.hpp"

namespace xpusim::hbm {
namespace {

void require(bool ok, const std::string& message) {
  if (!ok) throw UserError("hbm config: " + message);
}

void require_positive(long long value, const char* name) {
  require(value > 0, fmt::format("{} must be positive (got {})", name, value));
}

}  // namespace

void HbmConfig::validate() const {
  require_positive(stacks, "stacks");
  require_positive(channels_per_stack, "channels_per_stack");
  require_positive(pseudo_channels_per_channel, "pseudo_channels_per_channel");
  require_positive(bank_groups, "bank_groups");
  require_positive(banks_per_group, "banks_per_group");
  require_positive(pseudo_channel_width_bits, "pseudo_channel_width_bits");
  require(pseudo_channel_width_bits % 8 == 0,
          fmt::format("pseudo_channel_width_bits must be a whole number of bytes (got {})",
                      pseudo_channel_width_bits));
  require(
      std::isfinite(data_rate_bits_per_s) && data_rate_bits_per_s > 0,
      fmt::format("data_rate must be a positive pin rate (got {} bit/s)", data_rate_bits_per_s));
  require_positive(timing.burst_length, "timing.burst_length");
  require(burst_time() > 0, "data_rate is so high that a burst takes under a picosecond");

  const std::uint64_t burst = burst_bytes();
  require(burst > 0, "width x burst_length must move at least one byte");
  require(interleave_bytes > 0 && interleave_bytes % burst == 0,
          fmt::format("interleave_bytes ({}) must be a positive multiple of the burst size ({} B)",
                      interleave_bytes, burst));
  require(row_bytes > 0 && row_bytes % interleave_bytes == 0,
          fmt::format("row_bytes ({}) must be a positive multiple of interleave_bytes ({})",
                      row_bytes, interleave_bytes));
  const std::uint64_t one_row_everywhere =
      static_cast<std::uint64_t>(pseudo_channel_count()) * banks_per_pseudo_channel() * row_bytes;
  require(capacity_bytes >= one_row_everywhere,
          fmt::format("capacity_bytes ({}) is less than one row in every bank ({})", capacity_bytes,
                      one_row_everywhere));
  require_positive(write_queue_depth, "write_queue_depth");

  const HbmTiming& t = timing;
  require(t.tCK > 0, "timing.tCK must be positive");
  require(t.CL > 0 && t.tRCD_rd > 0 && t.tRCD_wr > 0 && t.tRP > 0 && t.tRAS > 0,
          "timing.CL, tRCD_rd, tRCD_wr, tRP and tRAS must be positive");
  require(t.tRC >= t.tRAS,
          fmt::format("timing.tRC ({} ps) must be at least tRAS ({} ps)", t.tRC, t.tRAS));
  require(t.tCCD_L >= t.tCCD_S, "timing.tCCD_L must be at least tCCD_S");
  require(t.tRRD_L >= t.tRRD_S, "timing.tRRD_L must be at least tRRD_S");
  require(t.tREFI > 0, "timing.tREFI must be positive (make it huge to switch refresh off)");
  if (refresh_mode == RefreshMode::kAllBank) {
    require(t.tRFC > 0 && t.tRFC < t.tREFI, "timing.tRFC must be positive and below tREFI");
  } else {
    require(t.tRFCpb > 0 && t.tRFCpb < t.tREFI, "timing.tRFCpb must be positive and below tREFI");
  }
}

double HbmConfig::peak_bandwidth() const {
  return static_cast<double>(pseudo_channel_count()) * pseudo_channel_width_bits *
         data_rate_bits_per_s / 8.0;
}

}  // namespace xpusim::hbm
