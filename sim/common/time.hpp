#pragma once
// Simulated time is kept as integer picoseconds so that every model is deterministic and
// independent of floating-point summation order.
#include <cstdint>

namespace xpusim {

using Picos = std::uint64_t;

constexpr Picos kPicosPerNs = 1000;
constexpr Picos kPicosPerUs = 1000 * kPicosPerNs;

// Rounds a duration in seconds to picoseconds (never below zero).
constexpr Picos seconds_to_picos(double seconds) {
  return seconds <= 0 ? 0 : static_cast<Picos>(seconds * 1e12 + 0.5);
}
constexpr double picos_to_seconds(Picos p) {
  return static_cast<double>(p) * 1e-12;
}

}  // namespace xpusim
