#include "workloads/collective/collective_trace.hpp"

namespace xpusim::collective {

namespace {

// Trace::add for any range of dependencies.
template <typename Deps>
std::uint32_t append(Trace& t, Op op, const Deps& d) {
  op.first_dep = static_cast<std::uint32_t>(t.deps.size());
  op.dep_count = 0;
  for (std::uint32_t x : d)
    if (x != Trace::kNone) t.deps.push_back(x), ++op.dep_count;
  t.ops.push_back(op);
  return static_cast<std::uint32_t>(t.ops.size() - 1);
}

}  // namespace

std::uint32_t Trace::add(Op op, std::initializer_list<std::uint32_t> d) {
  return append(*this, op, d);
}

std::uint32_t Trace::add(Op op, const std::vector<std::uint32_t>& d) {
  return append(*this, op, d);
}

std::uint64_t Trace::sent_bytes() const {
  std::uint64_t total = 0;
  for (const Op& o : ops)
    if (o.kind == OpKind::kSend || o.kind == OpKind::kSwitchReduce || o.kind == OpKind::kMulticast)
      total += o.bytes;
  return total;
}

}  // namespace xpusim::collective
