#pragma once
// Numeric formats the tensor cores and vector units operate on.
#include <array>
#include <optional>
#include <string_view>

namespace xpusim {

enum class DType { kFp64, kFp32, kTf32, kBf16, kFp16, kFp8, kInt8, kFp4 };

inline constexpr std::array<DType, 8> kAllDTypes = {DType::kFp64, DType::kFp32, DType::kTf32,
                                                    DType::kBf16, DType::kFp16, DType::kFp8,
                                                    DType::kInt8, DType::kFp4};

constexpr std::string_view dtype_name(DType d) {
  switch (d) {
    case DType::kFp64:
      return "fp64";
    case DType::kFp32:
      return "fp32";
    case DType::kTf32:
      return "tf32";
    case DType::kBf16:
      return "bf16";
    case DType::kFp16:
      return "fp16";
    case DType::kFp8:
      return "fp8";
    case DType::kInt8:
      return "int8";
    case DType::kFp4:
      return "fp4";
  }
  return "?";
}

// Storage size in bits (TF32 is stored as 32 bits).
constexpr int dtype_bits(DType d) {
  switch (d) {
    case DType::kFp64:
      return 64;
    case DType::kFp32:
      return 32;
    case DType::kTf32:
      return 32;
    case DType::kBf16:
      return 16;
    case DType::kFp16:
      return 16;
    case DType::kFp8:
      return 8;
    case DType::kInt8:
      return 8;
    case DType::kFp4:
      return 4;
  }
  return 0;
}

constexpr double dtype_bytes(DType d) {
  return dtype_bits(d) / 8.0;
}

constexpr std::optional<DType> parse_dtype(std::string_view s) {
  for (DType d : kAllDTypes)
    if (dtype_name(d) == s) return d;
  return std::nullopt;
}

}  // namespace xpusim
