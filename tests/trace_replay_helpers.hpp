#pragma once
// Test helpers that expand a stream's loops into the ops it executes, with stages and addresses
// resolved as docs/trace-format.md defines them.
#include <functional>

#include "sim/trace/trace.hpp"

namespace xpusim::test {

inline void expand_range(const trace::Stream& s, std::size_t begin, std::size_t end,
                         std::uint64_t iter, std::uint32_t stages,
                         const std::function<void(const trace::Op&)>& f) {
  for (std::size_t i = begin; i < end; ++i) {
    const trace::Op& op = s[i];
    if (op.opcode == trace::Opcode::kLoopBegin) {
      std::size_t j = i + 1;
      for (int depth = 1; depth > 0; ++j) {
        if (s[j].opcode == trace::Opcode::kLoopBegin) ++depth;
        if (s[j].opcode == trace::Opcode::kLoopEnd) --depth;
      }
      for (std::uint64_t it = 0; it < op.loop.count; ++it)
        expand_range(s, i + 1, j - 1, it, stages, f);
      i = j - 1;
      continue;
    }
    trace::Op r = op;
    if (r.has_stage())
      r.set_stage_base(static_cast<std::uint32_t>((iter + r.stage_base()) % stages));
    if (trace::Box* b = r.box()) {
      b->addr += iter * b->addr_step;
      b->addr_step = 0;
    }
    f(r);
  }
}

// Calls f for every op the stream executes (no LOOP markers), stage and address resolved.
inline void expand(const trace::Stream& s, std::uint32_t stages,
                   const std::function<void(const trace::Op&)>& f) {
  expand_range(s, 0, s.size(), 0, stages, f);
}

}  // namespace xpusim::test
