#include "models/hbm/die_interleave.hpp"

#include <stdexcept>

namespace xpusim::hbm {

DieInterleave::DieInterleave(int dies, std::uint64_t granule) : dies_(dies), granule_(granule) {
  // The config loader rejects bad values with the key named; this guards direct construction.
  if (dies < 1 || granule == 0)
    throw std::invalid_argument("DieInterleave: dies >= 1, granule > 0");
}

}  // namespace xpusim::hbm
