#pragma once
// How a multi-die package spreads one physical address space over its memory dies: memory is cut
// into `granule`-byte blocks, D consecutive blocks form a stripe with one block on each die, and
// each die sees its blocks packed into a local address space (stripe s at local block s). Within
// stripe s, block b goes to die (b + h(s)) mod D, h(s) being the sum of the base-D digits of s:
// a hash as GPU address maps use, so that strided accesses (a tile's rows, whose stride is often a
// multiple of D blocks) spread over the dies instead of all landing on one. The map is a
// bijection, so every die's HBM model receives dense local addresses. With one die it is the
// identity.
#include <cstdint>

namespace xpusim::hbm {

class DieInterleave {
 public:
  DieInterleave(int dies, std::uint64_t granule);  // dies >= 1, granule > 0

  int dies() const { return dies_; }
  std::uint64_t granule() const { return granule_; }
  int home(std::uint64_t addr) const {
    const std::uint64_t block = addr / granule_, d = static_cast<std::uint64_t>(dies_);
    std::uint64_t h = 0;
    for (std::uint64_t s = block / d; s > 0; s /= d) h += s % d;
    return static_cast<int>((block + h) % d);
  }
  std::uint64_t local(std::uint64_t addr) const {
    return addr / granule_ / static_cast<std::uint64_t>(dies_) * granule_ + addr % granule_;
  }
  // Calls f(die, local_addr, bytes) for each piece of [addr, addr + bytes) that stays on one die,
  // in address order.
  template <typename F>
  void split(std::uint64_t addr, std::uint64_t bytes, F&& f) const {
    while (bytes > 0) {
      const std::uint64_t in_granule = granule_ - addr % granule_;
      const std::uint64_t n = bytes < in_granule ? bytes : in_granule;
      f(home(addr), local(addr), n);
      addr += n;
      bytes -= n;
    }
  }

 private:
  int dies_;
  std::uint64_t granule_;
};

}  // namespace xpusim::hbm
