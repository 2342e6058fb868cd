#pragma once
// The fabric as SystemC modules: one LinkModule per direction of each link bundle. A message (a
// chunk, never single bytes) crosses its route hop by hop with virtual cut-through: a switch
// forwards its head once the first packet is in and the switch latency has passed, and the
// message leaves a link no sooner than it arrived there. Each server of a link sends one message
// at a time, in arrival order. Back-pressure: when a message is larger than the receive buffer
// behind a link (its credits) and the next link is busy, the upstream link cannot finish it
// before the downstream link has drained all but a buffer's worth; until then the upstream link
// is held (head-of-line blocking), and it frees only when that time is known. Credit round trips
// also bound each link's rate (see serialization_time).
//
// Switches with in-network reduction (NVLink SHARP) serve two operations: a load-reduce (the
// requester's read requests fan out to every device, the responses are reduced in the switch and
// the result returns to the requester) and a multicast store (one message in, a copy to every
// device out). Both are cut-through; the switch buffers them without limit.
//
// Read requests use a separate virtual channel of each link, so that they never queue behind data;
// their wire time is still taken from the link's data bandwidth.
//
// Processes compute the next time something happens and sleep until then (no ticking). Build a
// Network inside a live SimContext; it serves one simulation.
#include <systemc>

#include <cstdint>
#include <deque>
#include <memory>
#include <queue>
#include <vector>

#include "models/fabric/fabric_graph.hpp"

namespace xpusim::timeline {
class Recorder;
}

namespace xpusim::fabric {

// Told when a message (or a switch operation) has fully arrived, at that simulated time.
class MessageSink {
 public:
  virtual ~MessageSink() = default;
  virtual void message_done(std::uint64_t tag, Picos arrival) = 0;
};

struct LinkStats {
  std::uint64_t messages = 0;
  std::uint64_t data_bytes = 0;
  std::uint64_t wire_bytes = 0;
  Picos busy = 0;  // time its servers were occupied (sending or held by back-pressure)
};

class Network;

class LinkModule : public sc_core::sc_module {
 public:
  SC_HAS_PROCESS(LinkModule);
  LinkModule(sc_core::sc_module_name name, Network& net, int id, const LinkSpec& spec);

  // Runs serve() at `t` (or at once when t is not in the future).
  void wake_at(Picos t);
  const LinkSpec& spec() const { return spec_; }
  const LinkStats& stats() const { return stats_; }
  void set_timeline(timeline::Recorder* timeline) { timeline_ = timeline; }

 private:
  friend class Network;
  struct Event {
    Picos time;
    std::uint64_t seq;
    std::uint32_t msg;
    std::uint32_t hop;
    bool operator>(const Event& o) const { return time != o.time ? time > o.time : seq > o.seq; }
  };
  using Heap = std::priority_queue<Event, std::vector<Event>, std::greater<>>;
  struct Server {
    std::deque<std::pair<std::uint32_t, std::uint32_t>> queue;  // (message, hop)
    std::int64_t current_msg = -1;
    std::uint32_t current_hop = 0;
    Picos free_at = 0;
    Picos debt = 0;  // control traffic to pay after the current message
  };

  void serve();
  bool serve_server(Server& s, Picos now);

  Network& net_;
  int id_;
  LinkSpec spec_;
  sc_core::sc_event wake_;
  std::vector<Server> servers_;
  // Read requests travel on their own virtual channel: they never wait behind data, and the wire
  // time they take is charged to the least loaded data server (it starts its next message later).
  Server control_;
  Heap arrivals_;     // heads reaching this link
  Heap completions_;  // tails reaching the far end (last hop of a message)
  LinkStats stats_;
  timeline::Recorder* timeline_ = nullptr;  // null: no timeline asked for
};

class Network {
 public:
  static constexpr int kMaxHops = 6;

  // `memory_latency`: a device's time to answer a read (NVLS load-reduce responses).
  Network(const Fabric& fabric, Picos memory_latency);
  ~Network();
  Network(const Network&) = delete;
  Network& operator=(const Network&) = delete;

  const Fabric& fabric() const { return fabric_; }

  // A message of `bytes` along `links` (a route), entering the first link at `ready` (not before
  // now). `sink` is told at the tail's arrival.
  void send(const std::vector<int>& links, std::uint64_t bytes, PacketKind kind, Picos ready,
            MessageSink* sink, std::uint64_t tag);
  // Device to device over the fabric's route.
  void send(int src, int dst, std::uint64_t bytes, Picos ready, MessageSink* sink,
            std::uint64_t tag) {
    send(fabric_.route(src, dst), bytes, PacketKind::kWrite, ready, sink, tag);
  }
  // NVLS load-reduce through `sw`: `requester` obtains `bytes` reduced over every device.
  void switch_reduce(int requester, int sw, std::uint64_t bytes, Picos ready, MessageSink* sink,
                     std::uint64_t tag);
  // NVLS multicast store through `sw`: every device receives `src`'s `bytes`.
  void multicast(int src, int sw, std::uint64_t bytes, Picos ready, MessageSink* sink,
                 std::uint64_t tag);

  // Bytes of NVLS loads a device keeps in flight (0: unlimited). A load-reduce of n bytes then
  // takes at least load_time() = n x round trip / window (Little's law), the round trip being
  // request, switch, device memory, response, switch, back. The bound applies to the operation,
  // not to its messages: the links still carry its packets at their rate, interleaved with
  // others' (a stretched message would hold a link server and block them).
  void set_load_window(std::uint64_t bytes) { load_window_ = bytes; }
  Picos load_round_trip(int requester, int sw, int source) const;
  Picos load_time(int requester, int sw, std::uint64_t bytes) const;

  const LinkModule& link(int id) const { return *links_.at(static_cast<std::size_t>(id)); }
  std::uint64_t messages_sent() const { return messages_sent_; }
  // Records every link's busy time into `timeline` (sim/timeline), named after its ends.
  void set_timeline(timeline::Recorder* timeline);

 private:
  friend class LinkModule;
  struct Hop {
    int link = -1;
    int server = -1;
    std::uint64_t wire = 0;
    Picos ser = 0, first = 0;
    Picos start = 0, end = 0, bp_bound = 0;
    bool started = false, resolved = false, needs_bp = false;
  };
  struct Message {
    int nhops = 0;
    Hop hops[kMaxHops];
    std::uint64_t bytes = 0;
    PacketKind kind = PacketKind::kWrite;
    Picos tail_min = 0;
    bool tail_known = true;
    int group = -1;     // completion counted in a group (to a sink)
    int junction = -1;  // feeds a junction's input
    int released = 0;   // hops whose link server has let go of the message
    bool delivered = false;
  };
  struct Group {
    int left = 0;
    MessageSink* sink = nullptr;
    std::uint64_t tag = 0;
  };
  // A switch (or device) operation waiting for its inputs' heads and tails to start its outputs.
  struct Output {
    std::vector<int> links;
    std::uint64_t bytes = 0;
    PacketKind kind = PacketKind::kWrite;
    int group = -1, junction = -1;
    std::uint32_t msg = 0;  // once launched
  };
  struct Junction {
    int heads_left = 0, tails_left = 0;
    Picos head_max = 0, tail_max = 0, delay = 0;
    std::vector<Output> outputs;
  };

  std::uint32_t new_message(const std::vector<int>& links, std::uint64_t bytes, PacketKind kind);
  int new_group(int count, MessageSink* sink, std::uint64_t tag);
  int new_junction(int inputs, Picos delay);
  void launch(std::uint32_t m, Picos ready);
  // Called by the link that starts hop `h` of message `m` at `now`.
  void start_hop(std::uint32_t m, std::uint32_t h, Picos now);
  void try_resolve(std::uint32_t m, std::uint32_t h);
  void set_tail(std::uint32_t m, Picos tail_min);
  void deliver(std::uint32_t m, Picos now);
  void release(std::uint32_t m);  // a link server is done with one of m's hops
  void maybe_free(std::uint32_t m);
  void junction_head(int j, Picos t);
  void junction_tail(int j, Picos t);
  Picos switch_latency_after(int link) const;

  const Fabric& fabric_;
  Picos memory_latency_;
  std::uint64_t load_window_ = 0;
  std::vector<std::unique_ptr<LinkModule>> links_;
  std::deque<Message> messages_;
  std::vector<std::uint32_t> free_messages_;
  std::deque<Group> groups_;
  std::vector<int> free_groups_;
  std::deque<Junction> junctions_;
  std::vector<int> free_junctions_;
  std::uint64_t seq_ = 0;
  std::uint64_t messages_sent_ = 0;
};

}  // namespace xpusim::fabric
