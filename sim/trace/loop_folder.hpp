#pragma once
// Builds a stream from a software pipeline written one iteration at a time, folding runs of
// iterations into LOOP_BEGIN/LOOP_END. Emitters write each iteration with absolute stages and
// addresses; consecutive iterations fold into one loop when they have the same ops and differ
// only by a constant address step per op and a stage that advances by one (mod num_stages).
// Ragged iterations (a clipped last k-step, a partial last chunk) simply end a run.
#include <cstdint>
#include <span>
#include <vector>

#include "sim/trace/trace.hpp"

namespace xpusim::trace {

class LoopFolder {
 public:
  LoopFolder(Stream& out, std::uint32_t num_stages) : out_(out), num_stages_(num_stages) {}
  ~LoopFolder() = default;

  // Ops of one iteration: stage_base holds the iteration's absolute stage, box addresses are
  // absolute and addr_step is ignored.
  void add_iteration(std::span<const Op> ops);
  // An op outside any loop (ends the current run).
  void add(const Op& op);
  // Emits the pending run; call before using `out`.
  void flush();

 private:
  bool continues_run(std::span<const Op> ops);

  Stream& out_;
  std::uint32_t num_stages_;
  std::vector<Op> first_;            // first iteration of the pending run
  std::vector<std::int64_t> steps_;  // address step of each op, fixed by the second iteration
  std::uint32_t count_ = 0;          // iterations in the pending run
};

}  // namespace xpusim::trace
