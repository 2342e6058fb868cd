#include "sim/trace/trace_stats.hpp"

namespace xpusim::trace {
namespace {

void add_stream(const Stream& stream, TraceTotals& t) {
  std::uint64_t repeat[kMaxLoopDepth + 1] = {1};  // how often an op at each depth runs
  int depth = 0;
  for (const Op& op : stream) {
    ++t.ops_listed;
    if (op.opcode == Opcode::kLoopBegin) {
      repeat[depth + 1] = repeat[depth] * op.loop.count;
      ++depth;
      continue;
    }
    if (op.opcode == Opcode::kLoopEnd) {
      --depth;
      continue;
    }
    std::uint64_t n = repeat[depth];
    t.ops_executed += n;
    switch (op.opcode) {
      case Opcode::kMma: {
        const std::uint64_t flops = n * 2 * std::uint64_t{op.mma.m} * op.mma.n * op.mma.k;
        t.mma_flops += flops;
        t.mma_flops_by_dtype[static_cast<int>(op.mma.dtype)] += flops;
        break;
      }
      case Opcode::kVector:
        t.vector_flops += n * op.vector.elements * op.vector.flops_per_element;
        break;
      case Opcode::kSfu:
        t.sfu_elements += n * op.sfu.elements;
        break;
      case Opcode::kTileLoad: {
        std::uint64_t bytes = n * op.load.box.bytes();
        TensorTraffic& tt = t.per_tensor[op.load.box.tensor];
        tt.loaded_bytes += bytes;
        tt.fetched_bytes += bytes / op.load.multicast;
        t.loaded_bytes += bytes;
        t.fetched_bytes += bytes / op.load.multicast;
        break;
      }
      case Opcode::kTileStore: {
        std::uint64_t bytes = n * op.store.box.bytes();
        t.per_tensor[op.store.box.tensor].stored_bytes += bytes;
        t.stored_bytes += bytes;
        break;
      }
      default:
        break;
    }
  }
}

void add_kernel(const Kernel& kernel, TraceTotals& t) {
  t.ctas += kernel.ctas.size();
  for (const Cta& cta : kernel.ctas)
    for (const Stream& s : cta.streams) add_stream(s, t);
}

}  // namespace

TraceTotals summarize(const Kernel& kernel) {
  TraceTotals t;
  add_kernel(kernel, t);
  return t;
}

TraceTotals summarize(const Trace& trace) {
  TraceTotals t;
  for (const Kernel& k : trace.kernels) add_kernel(k, t);
  return t;
}

}  // namespace xpusim::trace
