#pragma once
// How a multi-die package spreads one physical address space over its memory dies: memory is cut
// into `granule`-byte blocks, D consecutive blocks form a stripe with one block on each die, and
// each die sees its blocks packed into a local address space (stripe s at local block s). Within
// stripe s, block b goes to die (b + h(s)) mod D, h(s) being the sum of the base-D digits of s:
// a hash as GPU address maps use, so that strided accesses (a tile's rows, whose stride is often a
// multiple of D blocks) spread over the dies instead of all landing on one. The map is a
// bijection, so every die's HBM model receives dense local addresses. With one die it is the
// identity.
#include <array>
#include <bit>
#include <cstdint>

#include "sim/common/divisor.hpp"

namespace xpusim::hbm {

class DieInterleave {
 public:
  DieInterleave(int dies, std::uint64_t granule);  // dies >= 1, granule > 0

  int dies() const { return dies_; }
  std::uint64_t granule() const { return granule_; }
  int home(std::uint64_t addr) const {
    const std::uint64_t block = granule_div_.div(addr), d = static_cast<std::uint64_t>(dies_);
    if (digit_bits_ > 0) {
      // D = 2^k: the digit sum mod D from k popcounts (bit j of every digit weighs 2^j).
      const std::uint64_t s = block >> digit_bits_;
      std::uint64_t h = 0;
      for (int j = 0; j < digit_bits_; ++j)
        h +=
            static_cast<std::uint64_t>(std::popcount(s & digit_masks_[static_cast<std::size_t>(j)]))
            << j;
      return static_cast<int>((block + h) & (d - 1));
    }
    std::uint64_t h = 0;
    for (std::uint64_t s = dies_div_.div(block); s > 0; s = dies_div_.div(s)) h += dies_div_.mod(s);
    return static_cast<int>(dies_div_.mod(block + h));
  }
  std::uint64_t local(std::uint64_t addr) const {
    return dies_div_.div(granule_div_.div(addr)) * granule_ + granule_div_.mod(addr);
  }
  // Calls f(die, local_addr, bytes) for each piece of [addr, addr + bytes) that stays on one die,
  // in address order.
  template <typename F>
  void split(std::uint64_t addr, std::uint64_t bytes, F&& f) const {
    while (bytes > 0) {
      const std::uint64_t in_granule = granule_ - granule_div_.mod(addr);
      const std::uint64_t n = bytes < in_granule ? bytes : in_granule;
      f(home(addr), local(addr), n);
      addr += n;
      bytes -= n;
    }
  }

 private:
  int dies_;
  std::uint64_t granule_;
  Divisor granule_div_, dies_div_;
  int digit_bits_ = 0;                          // k when dies = 2^k > 1, else 0
  std::array<std::uint64_t, 4> digit_masks_{};  // bit j of every k-bit digit
};

}  // namespace xpusim::hbm
