#include "sim/trace/loop_folder.hpp"

#include <limits>

namespace xpusim::trace {
namespace {

bool same_box_shape(const Box& a, const Box& b) {
  return a.tensor == b.tensor && a.rows == b.rows && a.row_bytes == b.row_bytes &&
         a.row_stride == b.row_stride;
}

// Everything but the address (addr, addr_step) and the stage must match for two iterations to
// share a loop body.
bool same_shape(const Op& a, const Op& b) {
  if (a.opcode != b.opcode) return false;
  switch (a.opcode) {
    case Opcode::kTileLoad:
      static_assert(sizeof(TileLoad) == sizeof(Box) + 8, "compare every field of TileLoad");
      return same_box_shape(a.load.box, b.load.box) && a.load.multicast == b.load.multicast;
    case Opcode::kTileStore:
      static_assert(sizeof(TileStore) == sizeof(Box) + 8, "compare every field of TileStore");
      return same_box_shape(a.store.box, b.store.box) && a.store.atomic == b.store.atomic;
    case Opcode::kWaitFull:
    case Opcode::kRelease:
    case Opcode::kWaitEmpty:
      static_assert(sizeof(StageRef) == 4, "StageRef holds only the stage");
      return true;
    default:
      return a == b;
  }
}

}  // namespace

bool LoopFolder::continues_run(std::span<const Op> ops) {
  if (count_ == 0 || ops.size() != first_.size()) return false;
  if (count_ == std::numeric_limits<std::uint32_t>::max()) return false;
  for (std::size_t i = 0; i < ops.size(); ++i) {
    const Op& a = first_[i];
    const Op& b = ops[i];
    if (!same_shape(a, b)) return false;
    if (a.has_stage() && b.stage_base() != (a.stage_base() + count_) % num_stages_) return false;
    if (const Box* box = a.box()) {
      // Wrapping arithmetic: a negative step is fine; the trace checker bounds the range later.
      std::int64_t delta = static_cast<std::int64_t>(b.box()->addr - box->addr);
      if (count_ == 1) continue;
      if (static_cast<std::int64_t>(steps_[i] * static_cast<std::int64_t>(count_)) != delta)
        return false;
    }
  }
  if (count_ == 1) {
    for (std::size_t i = 0; i < ops.size(); ++i)
      steps_[i] = first_[i].box()
                      ? static_cast<std::int64_t>(ops[i].box()->addr - first_[i].box()->addr)
                      : 0;
  }
  return true;
}

void LoopFolder::add_iteration(std::span<const Op> ops) {
  if (continues_run(ops)) {
    ++count_;
    return;
  }
  flush();
  first_.assign(ops.begin(), ops.end());
  steps_.assign(ops.size(), 0);
  count_ = 1;
}

void LoopFolder::add(const Op& op) {
  flush();
  out_.push_back(op);
}

void LoopFolder::flush() {
  if (count_ == 0) return;
  if (count_ > 1) out_.push_back(Op::loop_begin(count_));
  for (std::size_t i = 0; i < first_.size(); ++i) {
    Op op = first_[i];
    if (Box* box = op.box()) box->addr_step = count_ > 1 ? steps_[i] : 0;
    out_.push_back(op);
  }
  if (count_ > 1) out_.push_back(Op::loop_end());
  first_.clear();
  count_ = 0;
}

}  // namespace xpusim::trace
