#pragma once
// Replays a collective trace on a Network: an operation starts `delay` after its last dependency
// has completed; sends and NVLS operations go to the network, memory traffic to the device's
// memory (one stream per device, at `memory_rate`); an operation with both completes when both
// have. A SystemC process that sleeps until the next operation is due.
#include <systemc>

#include <cstdint>
#include <queue>
#include <vector>

#include "models/fabric/network.hpp"
#include "workloads/collective/collective_trace.hpp"

namespace xpusim::fabric {

struct EngineStats {
  std::uint64_t ops = 0;
  Picos finish = 0;       // completion of the last operation
  Picos memory_busy = 0;  // summed over devices
};

class CollectiveEngine : public sc_core::sc_module, public MessageSink {
 public:
  SC_HAS_PROCESS(CollectiveEngine);
  // `memory_rate`: bytes/s one device's reduction and copy kernels move.
  CollectiveEngine(sc_core::sc_module_name name, Network& net, const collective::Trace& trace,
                   double memory_rate);

  void message_done(std::uint64_t tag, Picos arrival) override;
  bool finished() const { return completed_ == trace_.ops.size(); }
  const EngineStats& stats() const { return stats_; }
  // Completion time of operation `i` (valid once finished).
  Picos completion(std::uint32_t i) const { return done_at_.at(i); }

 private:
  struct Event {
    Picos time;
    std::uint64_t seq;
    std::uint32_t op;
    bool complete;  // a part completes (else: the op is issued)
    bool operator>(const Event& o) const { return time != o.time ? time > o.time : seq > o.seq; }
  };

  void step();
  void schedule(Picos t, std::uint32_t op, bool complete);
  void issue(std::uint32_t op, Picos now);
  void part_done(std::uint32_t op, Picos t);

  Network& net_;
  const collective::Trace& trace_;
  double memory_rate_;
  int switch_ = -1;
  sc_core::sc_event wake_;
  std::priority_queue<Event, std::vector<Event>, std::greater<>> events_;
  std::uint64_t seq_ = 0;
  std::vector<std::uint32_t> succ_begin_, succ_;
  std::vector<std::uint32_t> waiting_;  // dependencies not yet complete
  std::vector<std::uint8_t> parts_;     // parts (network, memory) not yet complete
  std::vector<std::uint8_t> post_paid_;
  std::vector<Picos> ready_at_, done_at_;
  std::vector<Picos> memory_free_;
  std::size_t completed_ = 0;
  EngineStats stats_;
};

}  // namespace xpusim::fabric
