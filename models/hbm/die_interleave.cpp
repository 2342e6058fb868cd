#include "models/hbm/die_interleave.hpp"

#include <stdexcept>

namespace xpusim::hbm {

DieInterleave::DieInterleave(int dies, std::uint64_t granule)
    : dies_(dies),
      granule_(granule),
      granule_div_(granule == 0 ? 1 : granule),
      dies_div_(dies < 1 ? 1 : static_cast<std::uint64_t>(dies)) {
  // The config loader rejects bad values with the key named; this guards direct construction.
  if (dies < 1 || granule == 0)
    throw std::invalid_argument("DieInterleave: dies >= 1, granule > 0");
  if (dies > 1 && std::has_single_bit(static_cast<unsigned>(dies)) && dies <= 16) {
    digit_bits_ = std::countr_zero(static_cast<unsigned>(dies));
    for (int j = 0; j < digit_bits_; ++j)
      for (int bit = j; bit < 64; bit += digit_bits_)
        digit_masks_[static_cast<std::size_t>(j)] |= std::uint64_t{1} << bit;
  }
}

}  // namespace xpusim::hbm
