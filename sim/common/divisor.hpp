#pragma once
// Division by a value fixed at run time (a config parameter) on a hot path. Powers of two shift;
// other values multiply by a precomputed reciprocal, exact for every dividend below `limit`
// (Lemire, Kaser and Kurz, "Faster remainder by direct computation", 2019: with
// c = ceil(2^64 / d), floor(x / d) = floor(c * x / 2^64) for x < 2^(64 - ceil(log2 d))); larger
// dividends divide. The quotient and remainder are always exactly those of `/` and `%`.
#include <bit>
#include <cstdint>
#include <stdexcept>

namespace xpusim {

class Divisor {
 public:
  explicit Divisor(std::uint64_t v = 1) : value_(v) {
    if (v == 0) throw std::invalid_argument("Divisor: division by zero");
    if (std::has_single_bit(value_)) {
      shift_ = std::countr_zero(value_);
    } else {
      magic_ = ~std::uint64_t{0} / value_ + 1;  // ceil(2^64 / d): d is not a power of two
      limit_ = std::uint64_t{1} << (64 - std::bit_width(value_ - 1));
    }
  }

  std::uint64_t value() const { return value_; }
  std::uint64_t div(std::uint64_t x) const {
    if (shift_ >= 0) return x >> shift_;
    if (x < limit_) return mul_high(x, magic_);
    return x / value_;
  }
  std::uint64_t mod(std::uint64_t x) const {
    return shift_ >= 0 ? x & (value_ - 1) : x - div(x) * value_;
  }

 private:
  static std::uint64_t mul_high(std::uint64_t a, std::uint64_t b) {
    __extension__ typedef unsigned __int128 U128;
    return static_cast<std::uint64_t>((static_cast<U128>(a) * b) >> 64);
  }

  std::uint64_t value_;
  int shift_ = -1;           // log2(value_) when a power of two
  std::uint64_t magic_ = 0;  // ceil(2^64 / value_) otherwise
  std::uint64_t limit_ = 0;  // dividends below this use magic_
};

// Division by a power of two: a shift and a mask, without Divisor's test of which kind it is.
class Pow2Divisor {
 public:
  explicit Pow2Divisor(std::uint64_t v) : shift_(std::countr_zero(v)), mask_(v - 1) {
    if (!std::has_single_bit(v)) throw std::invalid_argument("Pow2Divisor: not a power of two");
  }
  std::uint64_t value() const { return mask_ + 1; }
  std::uint64_t div(std::uint64_t x) const { return x >> shift_; }
  std::uint64_t mod(std::uint64_t x) const { return x & mask_; }

 private:
  int shift_;
  std::uint64_t mask_;
};

}  // namespace xpusim
