// Divisor must give exactly the quotient and remainder of `/` and `%` for every dividend.
#include <gtest/gtest.h>

#include <cstdint>
#include <limits>
#include <random>
#include <vector>

#include "sim/common/divisor.hpp"

namespace xpusim {
namespace {

TEST(Divisor, MatchesDivisionAndRemainder) {
  constexpr std::uint64_t kMax = std::numeric_limits<std::uint64_t>::max();
  const std::vector<std::uint64_t> divisors = {
      1,    2,    3,   5,    7,    96,         160,        192,      256, 320,
      1000, 4095, 640, 1536, 4096, 1ull << 32, 3ull << 40, kMax / 3, kMax};
  std::mt19937_64 rng(42);
  for (const std::uint64_t d : divisors) {
    const Divisor div(d);
    EXPECT_EQ(div.value(), d);
    std::vector<std::uint64_t> xs = {0, 1, d - 1, d, d + 1, kMax, kMax - 1, kMax / d * d};
    for (int shift = 1; shift < 64; ++shift) {  // around every power of two: the exactness limit
      const std::uint64_t p = std::uint64_t{1} << shift;
      xs.insert(xs.end(), {p - 1, p, p + 1});
    }
    for (int i = 0; i < 20000; ++i) {
      xs.push_back(rng());
      xs.push_back(rng() >> (i % 64));
    }
    for (const std::uint64_t x : xs) {
      ASSERT_EQ(div.div(x), x / d) << x << " / " << d;
      ASSERT_EQ(div.mod(x), x % d) << x << " % " << d;
    }
  }
}

TEST(Divisor, RejectsZero) {
  EXPECT_THROW(Divisor(0), std::invalid_argument);
}

}  // namespace
}  // namespace xpusim
