#pragma once
// Totals of a trace with loops expanded: what the work and the traffic add up to. Used by tests
// (FLOPs equal 2*M*N*K, bytes at least the compulsory traffic) and by reports.
#include <array>
#include <cstdint>
#include <map>

#include "sim/trace/trace.hpp"

namespace xpusim::trace {

struct TensorTraffic {
  std::uint64_t loaded_bytes = 0;   // into shared memory, counted once per listing CTA
  std::uint64_t fetched_bytes = 0;  // from memory: a multicast load counts once per cluster
  std::uint64_t stored_bytes = 0;
};

struct TraceTotals {
  std::uint64_t mma_flops = 0;                                        // 2 per multiply-add
  std::array<std::uint64_t, kAllDTypes.size()> mma_flops_by_dtype{};  // the same, by DType
  std::uint64_t vector_flops = 0;
  std::uint64_t sfu_elements = 0;
  std::uint64_t loaded_bytes = 0;
  std::uint64_t fetched_bytes = 0;
  std::uint64_t stored_bytes = 0;
  std::uint64_t ctas = 0;
  std::uint64_t ops_listed = 0;    // ops as written
  std::uint64_t ops_executed = 0;  // with loops expanded, LOOP markers not counted
  std::map<std::uint32_t, TensorTraffic> per_tensor;
};

TraceTotals summarize(const Trace& trace);
TraceTotals summarize(const Kernel& kernel);

}  // namespace xpusim::trace
