#pragma once
// BabelStream's CUDA kernels as traces (UoB-HPC/BabelStream, src/cuda/CUDAStream.cu, v5):
// arrays a, b, c of `elements` values; blocks of 1024 threads (TBSIZE); grid-stride loops.
//   copy   c = a          scale (BabelStream's "mul")  b = scalar * c
//   add    c = a + b      triad  a = b + scalar * c
//   dot    sum of a * b: units * 4 blocks, each reduces its products in shared memory (a halving
//          tree of SYNC + VECTOR steps) and writes one partial sum
// Copy, scale, add and triad launch ceil(elements / 1024) blocks, so each thread handles one
// element. BabelStream adds the dot partials on the host (they live in pinned host memory); the
// trace has a one-CTA "dot_final" kernel in its place.
// Every CTA's chunk of 1024 consecutive elements is a 1-row box; the values travel through
// registers, so the kernels declare no shared memory and one stage.
#include <cstdint>
#include <optional>
#include <string_view>

#include "sim/common/kernel_target.hpp"
#include "sim/trace/trace.hpp"

namespace xpusim::stream {

enum class StreamOp { kCopy, kScale, kAdd, kTriad, kDot };

inline constexpr std::uint64_t kBabelStreamDefaultElements = std::uint64_t{1} << 25;
inline constexpr std::uint32_t kBabelStreamBlockThreads = 1024;
inline constexpr std::uint32_t kDotBlocksPerUnit = 4;
inline constexpr std::uint64_t kMaxStreamElements = std::uint64_t{1} << 40;

std::string_view stream_op_name(StreamOp op);                    // "copy", "scale", ...
std::optional<StreamOp> parse_stream_op(std::string_view name);  // also accepts "mul"

// What BabelStream reports as moved: (arrays read + arrays written) x elements x element size,
// i.e. 2 arrays for copy and scale, 3 for add and triad, 2 for dot.
std::uint64_t babelstream_bytes(StreamOp op, std::uint64_t elements, DType dtype);

// dtype: fp64 (BabelStream's default) or fp32.
trace::Trace emit_stream_trace(StreamOp op, const KernelTarget& target,
                               std::uint64_t elements = kBabelStreamDefaultElements,
                               DType dtype = DType::kFp64);

}  // namespace xpusim::stream
