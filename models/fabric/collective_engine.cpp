#include "models/fabric/collective_engine.hpp"

#include <fmt/format.h>

#include <algorithm>
#include <cmath>
#include <stdexcept>

namespace xpusim::fabric {
namespace {

Picos now_ps() {
  return static_cast<Picos>(sc_core::sc_time_stamp().value());
}

}  // namespace

CollectiveEngine::CollectiveEngine(sc_core::sc_module_name name, Network& net,
                                   const collective::Trace& trace, double memory_rate)
    : sc_core::sc_module(name), net_(net), trace_(trace), memory_rate_(memory_rate) {
  const std::size_t n = trace.ops.size();
  if (n >= 0xffffffffu) throw std::logic_error("collective trace too large");
  switch_ = net.fabric().reduction_switch();
  // Successor lists (CSR) from the dependency lists.
  std::vector<std::uint32_t> count(n + 1, 0);
  waiting_.assign(n, 0);
  for (std::size_t i = 0; i < n; ++i) {
    const collective::Op& op = trace.ops[i];
    waiting_[i] = op.dep_count;
    for (std::uint32_t k = 0; k < op.dep_count; ++k) {
      const std::uint32_t d = trace.deps[op.first_dep + k];
      if (d >= i) throw std::logic_error("collective trace: a dependency must come earlier");
      ++count[d + 1];
    }
  }
  for (std::size_t i = 0; i < n; ++i) count[i + 1] += count[i];
  succ_begin_ = count;
  succ_.resize(trace.deps.size());
  for (std::size_t i = 0; i < n; ++i) {
    const collective::Op& op = trace.ops[i];
    for (std::uint32_t k = 0; k < op.dep_count; ++k)
      succ_[count[trace.deps[op.first_dep + k]]++] = static_cast<std::uint32_t>(i);
  }
  parts_.assign(n, 0);
  post_paid_.assign(n, 0);
  ready_at_.assign(n, 0);
  done_at_.assign(n, 0);
  memory_free_.assign(static_cast<std::size_t>(std::max(1, trace.devices)), 0);
  for (std::size_t i = 0; i < n; ++i)
    if (waiting_[i] == 0)
      events_.push({trace.ops[i].delay, seq_++, static_cast<std::uint32_t>(i), false});
  SC_METHOD(step);  // runs at initialisation, then when woken
  sensitive << wake_;
}

void CollectiveEngine::schedule(Picos t, std::uint32_t op, bool complete) {
  events_.push({t, seq_++, op, complete});
  const Picos now = now_ps();
  if (t <= now)
    wake_.notify(sc_core::SC_ZERO_TIME);
  else
    wake_.notify(sc_core::sc_time(static_cast<double>(t - now), sc_core::SC_PS));
}

void CollectiveEngine::step() {
  const Picos now = now_ps();
  while (!events_.empty() && events_.top().time <= now) {
    const Event e = events_.top();
    events_.pop();
    if (e.complete)
      part_done(e.op, now);
    else
      issue(e.op, now);
  }
  if (!events_.empty())
    wake_.notify(sc_core::sc_time(static_cast<double>(events_.top().time - now), sc_core::SC_PS));
}

void CollectiveEngine::issue(std::uint32_t i, Picos now) {
  const collective::Op& op = trace_.ops[i];
  ++stats_.ops;
  std::uint8_t parts = 0;
  switch (op.kind) {
    case collective::OpKind::kSend:
      if (op.peer == op.device || op.peer < 0 || op.peer >= trace_.devices)
        throw std::logic_error(fmt::format("collective trace: op {} sends to {}", i, op.peer));
      net_.send(op.device, op.peer, op.link_bytes, now, this, i);
      ++parts;
      break;
    case collective::OpKind::kSwitchReduce:
    case collective::OpKind::kMulticast:
      if (switch_ < 0)
        throw std::logic_error("collective trace uses NVLS on a fabric without a reducing switch");
      if (op.kind == collective::OpKind::kSwitchReduce) {
        net_.switch_reduce(op.device, switch_, op.link_bytes, now, this, i);
        if (const Picos t = net_.load_time(op.device, switch_, op.bytes); t > 0) {
          schedule(now + t, i, true);  // loads in flight bound the rate
          ++parts;
        }
      } else {
        net_.multicast(op.device, switch_, op.link_bytes, now, this, i);
      }
      ++parts;
      break;
    case collective::OpKind::kCompute:
    case collective::OpKind::kNop:
      break;
  }
  if (op.mem_bytes > 0 && memory_rate_ > 0) {
    Picos& free = memory_free_.at(static_cast<std::size_t>(op.device));
    const Picos start = std::max(free, now);
    const Picos busy = seconds_to_picos(static_cast<double>(op.mem_bytes) / memory_rate_);
    free = start + busy;
    stats_.memory_busy += busy;
    schedule(free, i, true);
    ++parts;
  }
  parts_[i] = parts;
  if (parts == 0) {
    parts_[i] = 1;
    part_done(i, now);
  }
}

void CollectiveEngine::message_done(std::uint64_t tag, Picos arrival) {
  part_done(static_cast<std::uint32_t>(tag), arrival);
}

void CollectiveEngine::part_done(std::uint32_t i, Picos t) {
  if (--parts_[i] > 0) return;
  const collective::Op& op = trace_.ops[i];
  if (op.post > 0 && !post_paid_[i]) {
    // The data is in; completion (the flag a Simple-protocol receiver waits for) comes later.
    post_paid_[i] = 1;
    parts_[i] = 1;
    schedule(t + op.post, i, true);
    return;
  }
  const Picos at = t;
  done_at_[i] = at;
  ++completed_;
  stats_.finish = std::max(stats_.finish, at);
  for (std::uint32_t k = succ_begin_[i]; k < succ_begin_[i + 1]; ++k) {
    const std::uint32_t s = succ_[k];
    ready_at_[s] = std::max(ready_at_[s], at);
    if (--waiting_[s] == 0) {
      const Picos when = ready_at_[s] + trace_.ops[s].delay;
      if (when <= now_ps())
        issue(s, now_ps());
      else
        schedule(when, s, false);
    }
  }
}

}  // namespace xpusim::fabric
