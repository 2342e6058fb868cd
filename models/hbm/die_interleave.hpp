#pragma once
// How a multi-die package spreads one physical address space over its memory dies: consecutive
// `granule`-byte blocks go round the dies (block b on die b mod D), and each die sees its blocks
// packed into a local address space (block b at local block b / D). The map is a bijection, so
// every die's HBM model receives dense local addresses. With one die it is the identity.
#include <cstdint>

namespace xpusim::hbm {

class DieInterleave {
 public:
  DieInterleave(int dies, std::uint64_t granule);  // dies >= 1, granule > 0

  int dies() const { return dies_; }
  std::uint64_t granule() const { return granule_; }
  int home(std::uint64_t addr) const {
    return static_cast<int>(addr / granule_ % static_cast<std::uint64_t>(dies_));
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
