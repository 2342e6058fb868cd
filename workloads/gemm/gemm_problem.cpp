#include "workloads/gemm/gemm_problem.hpp"

#include <fmt/format.h>

#include <array>
#include <cctype>
#include <charconv>

#include "sim/common/error.hpp"

namespace xpusim::gemm {
namespace {

std::string_view layout_name(Layout l) {
  return l == Layout::kRowMajor ? "row" : "col";
}

std::string_view trim(std::string_view s) {
  while (!s.empty() && std::isspace(static_cast<unsigned char>(s.front()))) s.remove_prefix(1);
  while (!s.empty() && std::isspace(static_cast<unsigned char>(s.back()))) s.remove_suffix(1);
  return s;
}

std::uint64_t parse_dim(std::string_view text, std::string_view shape, char name) {
  auto fail = [&](std::string_view why) {
    throw UserError(fmt::format("GEMM shape '{}': {} {}", shape, name, why));
  };
  text = trim(text);
  if (text.empty()) fail("is missing");
  if (text.front() == '-') fail(fmt::format("is negative ({})", text));
  if (text.front() == '+') text.remove_prefix(1);
  std::uint64_t value = 0;
  auto [end, ec] = std::from_chars(text.data(), text.data() + text.size(), value);
  if (ec == std::errc::result_out_of_range) fail(fmt::format("is too large ({})", text));
  if (ec != std::errc() || end != text.data() + text.size())
    fail(fmt::format("is not a whole number ('{}')", text));
  if (value == 0) fail("is zero");
  if (value > kMaxGemmDim) fail(fmt::format("is too large ({} > {})", value, kMaxGemmDim));
  return value;
}

}  // namespace

std::string GemmProblem::to_string() const {
  return fmt::format("{}x{}x{} {}->{} (A {}, B {}, C {})", m, n, k, dtype_name(in),
                     in == DType::kInt8 ? "int32" : dtype_name(out), layout_name(a_layout),
                     layout_name(b_layout), layout_name(c_layout));
}

DType default_output_dtype(DType in) {
  switch (in) {
    case DType::kFp8:
      return DType::kBf16;
    case DType::kTf32:
    case DType::kInt8:
      return DType::kFp32;
    default:
      return in;
  }
}

bool is_gemm_input_dtype(DType in) {
  return in == DType::kTf32 || in == DType::kBf16 || in == DType::kFp16 || in == DType::kFp8 ||
         in == DType::kInt8;
}

std::uint64_t element_bytes(DType d) {
  return static_cast<std::uint64_t>(dtype_bits(d) + 7) / 8;
}

GemmProblem parse_gemm_problem(std::string_view shape, DType in) {
  if (!is_gemm_input_dtype(in))
    throw UserError(
        fmt::format("GEMM input type {} is not supported (use tf32, bf16, fp16, fp8 "
                    "or int8)",
                    dtype_name(in)));
  std::array<std::string_view, 3> parts;
  std::string_view rest = trim(shape);
  bool named = rest.find('=') != std::string_view::npos;
  char separator = named ? ';' : 'x';
  for (int i = 0; i < 3; ++i) {
    auto cut = rest.find(separator);
    if ((i < 2) == (cut == std::string_view::npos))
      throw UserError(
          fmt::format("GEMM shape '{}': expected MxNxK (e.g. 4096x4096x4096) or "
                      "M=..;N=..;K=..",
                      shape));
    parts[i] = rest.substr(0, cut);
    rest = i < 2 ? rest.substr(cut + 1) : std::string_view{};
  }
  constexpr std::array<char, 3> kNames = {'M', 'N', 'K'};
  if (named) {
    for (int i = 0; i < 3; ++i) {
      std::string_view p = trim(parts[i]);
      if (p.size() < 2 || std::toupper(static_cast<unsigned char>(p[0])) != kNames[i] ||
          p[1] != '=')
        throw UserError(
            fmt::format("GEMM shape '{}': expected {}= as part {}", shape, kNames[i], i + 1));
      parts[i] = p.substr(2);
    }
  }
  GemmProblem p;
  p.m = parse_dim(parts[0], shape, 'M');
  p.n = parse_dim(parts[1], shape, 'N');
  p.k = parse_dim(parts[2], shape, 'K');
  p.in = in;
  p.out = default_output_dtype(in);
  return p;
}

}  // namespace xpusim::gemm
