#include "workloads/stream/stream_trace.hpp"

#include <fmt/format.h>

#include <algorithm>
#include <array>
#include <vector>

#include "sim/common/error.hpp"
#include "sim/trace/loop_folder.hpp"
#include "sim/trace/trace_check.hpp"

namespace xpusim::stream {
namespace {

using trace::Box;
using trace::Op;

constexpr std::uint64_t kAlignment = std::uint64_t{2} << 20;
constexpr std::uint32_t kA = 0, kB = 1, kC = 2, kSums = 3, kDotResult = 4;

struct Kind {
  std::vector<std::uint32_t> reads;
  std::uint32_t writes;  // array id; unused for dot
  std::uint32_t flops_per_element;
};

Kind kind_of(StreamOp op) {
  switch (op) {
    case StreamOp::kCopy:
      return {{kA}, kC, 0};
    case StreamOp::kScale:
      return {{kC}, kB, 1};
    case StreamOp::kAdd:
      return {{kA, kB}, kC, 1};
    case StreamOp::kTriad:
      return {{kB, kC}, kA, 2};
    case StreamOp::kDot:
      return {{kA, kB}, kSums, 2};
  }
  return {};
}

Box chunk_box(const trace::TensorInfo& t, std::uint64_t first, std::uint64_t count,
              std::uint64_t elem) {
  auto bytes = static_cast<std::uint32_t>(count * elem);
  return Box{t.id, 1, bytes, t.base + first * elem, 0, bytes};
}

// Grid-stride loop of CTA `block` over the 1024-element chunks of the arrays: loads, waits, does
// the arithmetic and (except dot) stores; a ragged last chunk ends the loop's run.
void grid_stride(trace::Stream& s, const trace::Trace& t, const Kind& kind, std::uint64_t block,
                 std::uint64_t grid, std::uint64_t elements, std::uint64_t elem, DType dtype,
                 bool store) {
  trace::LoopFolder folder(s, 1);
  std::uint64_t chunks = (elements + kBabelStreamBlockThreads - 1) / kBabelStreamBlockThreads;
  for (std::uint64_t chunk = block; chunk < chunks; chunk += grid) {
    std::uint64_t first = chunk * kBabelStreamBlockThreads;
    std::uint64_t count = std::min<std::uint64_t>(kBabelStreamBlockThreads, elements - first);
    std::array<Op, 5> body;
    std::size_t n = 0;
    for (std::uint32_t id : kind.reads)
      body[n++] = trace::TileLoad{chunk_box(t.tensors[id], first, count, elem), 0, 1};
    body[n++] = Op::wait_full(0);
    body[n++] = trace::VectorWork{count, kind.flops_per_element, dtype};
    if (store) body[n++] = trace::TileStore{chunk_box(t.tensors[kind.writes], first, count, elem)};
    folder.add_iteration(std::span<const Op>(body.data(), n));
  }
  folder.flush();
}

// The shared-memory tree of dot_kernel: for offset = 512, 256, ..., 1: barrier, then `offset`
// threads add a pair.
void block_reduction(trace::Stream& s, std::uint32_t threads, DType dtype) {
  for (std::uint32_t offset = threads / 2; offset > 0; offset /= 2) {
    s.push_back(Op::sync());
    s.push_back(trace::VectorWork{offset, 1, dtype});
  }
}

trace::Kernel kernel_head(std::string name, std::uint32_t threads, std::uint32_t smem) {
  trace::Kernel k;
  k.name = std::move(name);
  k.threads_per_cta = threads;
  k.smem_bytes_per_cta = smem;
  k.registers_per_thread = 32;
  return k;
}

}  // namespace

std::string_view stream_op_name(StreamOp op) {
  switch (op) {
    case StreamOp::kCopy:
      return "copy";
    case StreamOp::kScale:
      return "scale";
    case StreamOp::kAdd:
      return "add";
    case StreamOp::kTriad:
      return "triad";
    case StreamOp::kDot:
      return "dot";
  }
  return "?";
}

std::optional<StreamOp> parse_stream_op(std::string_view name) {
  if (name == "mul") return StreamOp::kScale;
  for (StreamOp op :
       {StreamOp::kCopy, StreamOp::kScale, StreamOp::kAdd, StreamOp::kTriad, StreamOp::kDot})
    if (stream_op_name(op) == name) return op;
  return std::nullopt;
}

std::uint64_t babelstream_bytes(StreamOp op, std::uint64_t elements, DType dtype) {
  std::uint64_t arrays = (op == StreamOp::kAdd || op == StreamOp::kTriad) ? 3 : 2;
  return arrays * elements * static_cast<std::uint64_t>(dtype_bits(dtype) / 8);
}

trace::Trace emit_stream_trace(StreamOp op, const KernelTarget& target, std::uint64_t elements,
                               DType dtype) {
  if (dtype != DType::kFp64 && dtype != DType::kFp32)
    throw UserError(fmt::format("STREAM: element type {} is not one BabelStream runs (fp64, fp32)",
                                dtype_name(dtype)));
  if (elements == 0 || elements > kMaxStreamElements)
    throw UserError(
        fmt::format("STREAM: {} elements is outside 1..{}", elements, kMaxStreamElements));
  if (target.units < 1)
    throw UserError(fmt::format("chip '{}': needs at least one unit", target.chip));
  const std::uint64_t elem = dtype_bits(dtype) / 8;
  const std::uint32_t threads = kBabelStreamBlockThreads;
  if (target.max_threads_per_unit < int(threads))
    throw UserError(fmt::format("chip '{}': BabelStream needs {}-thread blocks", target.chip,
                                kBabelStreamBlockThreads));
  const Kind kind = kind_of(op);
  const bool dot = op == StreamOp::kDot;
  const std::uint64_t chunks = (elements + threads - 1) / threads;
  const std::uint64_t grid = dot ? std::uint64_t(target.units) * kDotBlocksPerUnit : chunks;
  if (grid > trace::kMaxCount)
    throw UserError(fmt::format("STREAM: {} blocks is more than a trace holds", grid));

  trace::Trace t;
  t.family = target.family;
  t.recorded_for = target.chip;
  t.description =
      fmt::format("BabelStream {} of {} {} elements ({} bytes counted)", stream_op_name(op),
                  elements, dtype_name(dtype), babelstream_bytes(op, elements, dtype));
  std::uint64_t next = kAlignment;
  auto place = [&](std::uint32_t id, const char* name, std::uint64_t bytes) {
    t.tensors.push_back({id, name, next, bytes});
    next += (bytes + kAlignment - 1) / kAlignment * kAlignment;
  };
  place(kA, "a", elements * elem);
  place(kB, "b", elements * elem);
  place(kC, "c", elements * elem);
  if (dot) {
    place(kSums, "sums", grid * elem);
    place(kDotResult, "dot result", elem);
  }

  trace::Kernel k = kernel_head(fmt::format("babelstream_{}", stream_op_name(op)), threads,
                                dot ? threads * static_cast<std::uint32_t>(elem) : 0);
  k.ctas.reserve(grid);
  for (std::uint64_t block = 0; block < grid; ++block) {
    trace::Cta cta;
    cta.id = static_cast<std::uint32_t>(block);
    trace::Stream& s = cta.streams.emplace_back();
    grid_stride(s, t, kind, block, grid, elements, elem, dtype, !dot);
    if (dot) {
      block_reduction(s, threads, dtype);
      s.push_back(trace::TileStore{chunk_box(t.tensors[kSums], block, 1, elem)});
    }
    k.ctas.push_back(std::move(cta));
  }
  t.kernels.push_back(std::move(k));

  if (dot) {
    trace::Kernel final_sum =
        kernel_head("babelstream_dot_final", threads, threads * static_cast<std::uint32_t>(elem));
    trace::Cta cta;
    trace::Stream& s = cta.streams.emplace_back();
    for (std::uint64_t first = 0; first < grid; first += threads) {
      std::uint64_t count = std::min<std::uint64_t>(threads, grid - first);
      s.push_back(trace::TileLoad{chunk_box(t.tensors[kSums], first, count, elem), 0, 1});
      s.push_back(Op::wait_full(0));
      s.push_back(trace::VectorWork{count, 1, dtype});
    }
    block_reduction(s, threads, dtype);
    s.push_back(trace::TileStore{chunk_box(t.tensors[kDotResult], 0, 1, elem)});
    final_sum.ctas.push_back(std::move(cta));
    t.kernels.push_back(std::move(final_sum));
  }
  return t;
}

}  // namespace xpusim::stream
