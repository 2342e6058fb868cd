// Workload specs from the CLI's strings. Kept apart from workload.cpp (which builds and simulates)
// so that the parsers link without the SystemC models, as the fuzz targets do.
#include <fmt/format.h>

#include "sim/common/error.hpp"
#include "sim/run/workload_spec.hpp"

namespace xpusim::run {

WorkloadSpec gemm_spec(const std::string& shape, DType dtype) {
  if (!gemm::is_gemm_input_dtype(dtype))
    throw UserError(fmt::format("--dtype {}: GEMM inputs may be tf32, bf16, fp16, fp8 or int8",
                                dtype_name(dtype)));
  WorkloadSpec s;
  s.kind = WorkloadSpec::Kind::kGemm;
  s.dtype = dtype;
  s.gemm = gemm::parse_gemm_problem(shape, dtype);
  return s;
}

WorkloadSpec attention_spec(const std::string& text, std::optional<DType> dtype) {
  WorkloadSpec s;
  s.kind = WorkloadSpec::Kind::kAttention;
  s.attention = attention::parse_attention_problem(text);
  if (dtype) {
    s.attention.dtype = *dtype;
    attention::validate(s.attention);
  }
  s.dtype = s.attention.dtype;
  return s;
}

WorkloadSpec stream_spec(const std::string& op, DType dtype, std::uint64_t elements) {
  WorkloadSpec s;
  s.kind = WorkloadSpec::Kind::kStream;
  const auto parsed = stream::parse_stream_op(op);
  if (!parsed)
    throw UserError(fmt::format("stream op '{}': give copy, scale, add, triad or dot", op));
  s.stream_op = *parsed;
  s.dtype = dtype;
  s.stream_elements = elements;
  return s;
}

}  // namespace xpusim::run
