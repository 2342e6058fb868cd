#include "sim/trace/trace_check.hpp"

#include <fmt/format.h>

#include <algorithm>
#include <iterator>

#include "sim/common/error.hpp"

namespace xpusim::trace {

std::string TensorTable::add(const TensorInfo& t) {
  if (t.bytes == 0) return fmt::format("tensor {} ('{}') has zero bytes", t.id, t.name);
  if (t.base + t.bytes < t.base)
    return fmt::format("tensor {} ('{}') runs past the end of the address space", t.id, t.name);
  if (by_id_.count(t.id)) return fmt::format("tensor id {} appears twice", t.id);
  std::uint64_t end = t.base + t.bytes;
  auto next = end_by_base_.lower_bound(t.base);
  bool overlaps_next = next != end_by_base_.end() && next->first < end;
  bool overlaps_prev = next != end_by_base_.begin() && std::prev(next)->second > t.base;
  if (overlaps_next || overlaps_prev)
    return fmt::format("tensor {} ('{}') overlaps another tensor's address range", t.id, t.name);
  by_id_.emplace(t.id, t);
  end_by_base_.emplace(t.base, end);
  return {};
}

const TensorInfo* TensorTable::find(std::uint32_t id) const {
  auto it = by_id_.find(id);
  return it == by_id_.end() ? nullptr : &it->second;
}

bool is_valid_utf8(std::string_view text) {
  std::size_t i = 0;
  while (i < text.size()) {
    const auto lead = static_cast<unsigned char>(text[i]);
    // Sequence length and the smallest code point it may encode (no overlong forms).
    const std::size_t n = lead < 0x80           ? 1
                          : (lead >> 5) == 0x6  ? 2
                          : (lead >> 4) == 0xE  ? 3
                          : (lead >> 3) == 0x1E ? 4
                                                : 0;
    if (n == 0 || i + n > text.size()) return false;
    std::uint32_t cp = n == 1 ? lead : lead & (0x7F >> n);
    for (std::size_t k = 1; k < n; ++k) {
      const auto c = static_cast<unsigned char>(text[i + k]);
      if ((c & 0xC0) != 0x80) return false;
      cp = (cp << 6) | (c & 0x3F);
    }
    constexpr std::uint32_t kMin[] = {0, 0, 0x80, 0x800, 0x10000};
    if (cp < kMin[n] || cp > 0x10FFFF || (cp >= 0xD800 && cp <= 0xDFFF)) return false;
    i += n;
  }
  return true;
}

std::string check_kernel_header(const Kernel& k) {
  if (k.name.empty()) return "kernel has no name";
  if (k.threads_per_cta == 0) return "threads_per_cta is 0";
  if (k.num_stages == 0) return "num_stages is 0";
  if (k.cluster_size == 0) return "cluster_size is 0";
  return {};
}

std::string check_cta_count(std::uint64_t ctas, std::uint32_t cluster_size) {
  if (ctas == 0) return "kernel has no CTAs";
  if (cluster_size != 0 && ctas % cluster_size != 0)
    return fmt::format("{} CTAs is not a whole number of clusters of {}", ctas, cluster_size);
  return {};
}

std::string CtaIdSet::add(std::uint32_t id) {
  if (!seen_.emplace(id, true).second) return fmt::format("CTA id {} appears twice", id);
  return {};
}

std::string StreamChecker::check_box(const Box& b) const {
  const TensorInfo* t = tensors_.find(b.tensor);
  if (!t) return fmt::format("tensor id {} is not in the tensor table", b.tensor);
  if (b.rows == 0 || b.row_bytes == 0)
    return fmt::format("zero-size box ({} rows of {} bytes)", b.rows, b.row_bytes);
  if (b.rows > 1 && b.row_stride < b.row_bytes)
    return fmt::format("row_stride {} is smaller than row_bytes {}", b.row_stride, b.row_bytes);
  // Addresses are affine in the innermost loop's iteration, so the first and last bound them all.
  using Wide = __int128;
  Wide iterations = depth_ > 0 ? loop_counts_[depth_ - 1] : 1;
  Wide first = b.addr;
  Wide last = first + (iterations - 1) * Wide{b.addr_step};
  Wide lo = std::min(first, last);
  Wide hi = std::max(first, last) + Wide{b.rows - 1} * Wide{b.row_stride} + b.row_bytes;
  if (lo < Wide{t->base} || hi > Wide{t->base} + Wide{t->bytes})
    return fmt::format("box reaches outside tensor {} ('{}', {} bytes at {:#x})", t->id, t->name,
                       t->bytes, t->base);
  return {};
}

std::string StreamChecker::check(const Op& op) {
  if (op.has_stage() && op.stage_base() >= num_stages_)
    return fmt::format("{} stage {} >= num_stages {}", opcode_name(op.opcode), op.stage_base(),
                       num_stages_);
  switch (op.opcode) {
    case Opcode::kTileLoad:
      if (op.load.multicast == 0 || op.load.multicast > cluster_size_)
        return fmt::format("multicast {} outside 1..cluster_size {}", op.load.multicast,
                           cluster_size_);
      return check_box(op.load.box);
    case Opcode::kTileStore:
      return check_box(op.store.box);
    case Opcode::kMma:
      if (op.mma.m == 0 || op.mma.n == 0 || op.mma.k == 0)
        return fmt::format("zero-size MMA {}x{}x{}", op.mma.m, op.mma.n, op.mma.k);
      return {};
    case Opcode::kVector:
      if (op.vector.elements == 0) return "VECTOR of zero elements";
      return {};
    case Opcode::kSfu:
      if (op.sfu.elements == 0) return "SFU of zero elements";
      return {};
    case Opcode::kLoopBegin:
      if (depth_ == kMaxLoopDepth) return fmt::format("loops nest deeper than {}", kMaxLoopDepth);
      if (op.loop.count == 0) return "loop count is 0";
      if (op.loop.count > kMaxCount) return fmt::format("loop count {} is absurd", op.loop.count);
      loop_counts_[depth_++] = op.loop.count;
      return {};
    case Opcode::kLoopEnd:
      if (depth_ == 0) return "LOOP_END without a LOOP_BEGIN (unbalanced loops)";
      --depth_;
      return {};
    case Opcode::kWaitFull:
    case Opcode::kRelease:
    case Opcode::kWaitEmpty:
    case Opcode::kSync:
      return {};
  }
  return fmt::format("unknown opcode {}", static_cast<int>(op.opcode));
}

std::string StreamChecker::finish() const {
  if (depth_ != 0) return fmt::format("unbalanced loops: {} LOOP_BEGIN without LOOP_END", depth_);
  return {};
}

void validate_trace(const Trace& trace, std::string_view source) {
  auto fail = [&](const std::string& where, const std::string& what) {
    throw UserError(fmt::format("{}: {}: {}", source, where, what));
  };
  if (trace.version != kTraceVersion)
    fail("version",
         fmt::format("unsupported version {} (this build knows {})", trace.version, kTraceVersion));
  TensorTable tensors;
  for (std::size_t i = 0; i < trace.tensors.size(); ++i)
    if (auto e = tensors.add(trace.tensors[i]); !e.empty()) fail(fmt::format("tensors[{}]", i), e);
  for (std::size_t k = 0; k < trace.kernels.size(); ++k) {
    const Kernel& kernel = trace.kernels[k];
    std::string where = fmt::format("kernels[{}]", k);
    if (auto e = check_kernel_header(kernel); !e.empty()) fail(where, e);
    if (auto e = check_cta_count(kernel.ctas.size(), kernel.cluster_size); !e.empty())
      fail(where, e);
    CtaIdSet ids;
    for (std::size_t c = 0; c < kernel.ctas.size(); ++c) {
      const Cta& cta = kernel.ctas[c];
      std::string cta_where = fmt::format("{}.ctas[{}]", where, c);
      if (auto e = ids.add(cta.id); !e.empty()) fail(cta_where, e);
      if (cta.streams.empty()) fail(cta_where, "CTA has no streams");
      for (std::size_t s = 0; s < cta.streams.size(); ++s) {
        StreamChecker checker(kernel, tensors);
        const Stream& stream = cta.streams[s];
        for (std::size_t i = 0; i < stream.size(); ++i)
          if (auto e = checker.check(stream[i]); !e.empty())
            fail(fmt::format("{}.streams[{}].ops[{}]", cta_where, s, i), e);
        if (auto e = checker.finish(); !e.empty())
          fail(fmt::format("{}.streams[{}]", cta_where, s), e);
      }
    }
  }
}

}  // namespace xpusim::trace
