#pragma once
// What the user asked to run, parsed from the CLI's strings. Free of the SystemC platform, so the
// parsers link on their own (the fuzz targets do).
#include <cstdint>
#include <optional>
#include <string>

#include "workloads/attention/attention_problem.hpp"
#include "workloads/gemm/gemm_problem.hpp"
#include "workloads/stream/stream_trace.hpp"

namespace xpusim::run {

struct WorkloadSpec {
  enum class Kind { kGemm, kStream, kAttention } kind = Kind::kGemm;
  gemm::GemmProblem gemm;
  attention::AttentionProblem attention;
  stream::StreamOp stream_op = stream::StreamOp::kCopy;
  std::uint64_t stream_elements = stream::kBabelStreamDefaultElements;
  DType dtype = DType::kBf16;
};

WorkloadSpec gemm_spec(const std::string& shape, DType dtype);
// "batch=..,heads=..,kv_heads=..,head_dim=..,seq_q=..,seq_kv=..,causal=..,pass=fwd|bwd|decode"
// (',' or ';'); `dtype`, when given, overrides the text's.
WorkloadSpec attention_spec(const std::string& text, std::optional<DType> dtype);
WorkloadSpec stream_spec(const std::string& op, DType dtype, std::uint64_t elements);

}  // namespace xpusim::run
