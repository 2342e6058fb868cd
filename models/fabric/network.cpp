#include "models/fabric/network.hpp"

#include <fmt/format.h>

#include <algorithm>
#include <limits>
#include <stdexcept>

#include "sim/timeline/recorder.hpp"

namespace xpusim::fabric {
namespace {

Picos now_ps() {
  return static_cast<Picos>(sc_core::sc_time_stamp().value());
}

}  // namespace

LinkModule::LinkModule(sc_core::sc_module_name name, Network& net, int id, const LinkSpec& spec)
    : sc_core::sc_module(name), net_(net), id_(id), spec_(spec) {
  servers_.resize(static_cast<std::size_t>(std::max(1, spec.servers)));
  SC_METHOD(serve);
  sensitive << wake_;
  dont_initialize();
}

void LinkModule::wake_at(Picos t) {
  const Picos now = now_ps();
  if (t <= now)
    wake_.notify(sc_core::SC_ZERO_TIME);
  else
    wake_.notify(sc_core::sc_time(static_cast<double>(t - now), sc_core::SC_PS));
}

bool LinkModule::serve_server(Server& s, Picos now) {
  bool progress = false;
  if (s.current_msg >= 0) {
    const Network::Hop& h =
        net_.messages_[static_cast<std::size_t>(s.current_msg)].hops[s.current_hop];
    if (h.resolved && h.end <= now) {
      const auto msg = static_cast<std::uint32_t>(s.current_msg);
      s.free_at = std::max(s.free_at, h.end) + s.debt;
      s.debt = 0;
      stats_.busy += h.end - h.start;
      if (timeline_) timeline_->link_busy(id_, h.start, h.end);
      s.current_msg = -1;
      net_.release(msg);
      progress = true;
    }
  }
  if (s.current_msg < 0 && !s.queue.empty() && s.free_at <= now) {
    const auto [m, h] = s.queue.front();
    s.queue.pop_front();
    s.current_msg = m;
    s.current_hop = h;
    if (&s == &control_) {
      // Charge the request's wire time to the least loaded data server.
      Server* d = &servers_[0];
      for (Server& x : servers_)
        if (x.queue.size() + (x.current_msg >= 0) < d->queue.size() + (d->current_msg >= 0)) d = &x;
      const Picos ser = net_.messages_[m].hops[h].ser;
      if (d->current_msg < 0)
        d->free_at = std::max(d->free_at, now) + ser;
      else
        d->debt += ser;
    }
    net_.start_hop(m, h, now);
    progress = true;
  }
  return progress;
}

void LinkModule::serve() {
  const Picos now = now_ps();
  bool progress = true;
  while (progress) {
    progress = false;
    while (!arrivals_.empty() && arrivals_.top().time <= now) {
      const Event e = arrivals_.top();
      arrivals_.pop();
      if (net_.messages_[e.msg].kind == PacketKind::kReadRequest) {
        control_.queue.emplace_back(e.msg, e.hop);
        progress = true;
        continue;
      }
      // The least loaded server (queue plus the message in progress), lowest index on ties.
      std::size_t best = 0, best_load = std::numeric_limits<std::size_t>::max();
      for (std::size_t i = 0; i < servers_.size(); ++i) {
        const std::size_t load = servers_[i].queue.size() + (servers_[i].current_msg >= 0);
        if (load < best_load) best = i, best_load = load;
      }
      net_.messages_[e.msg].hops[e.hop].server = static_cast<int>(best);
      servers_[best].queue.emplace_back(e.msg, e.hop);
      progress = true;
    }
    for (Server& s : servers_) progress |= serve_server(s, now);
    progress |= serve_server(control_, now);
    while (!completions_.empty() && completions_.top().time <= now) {
      const Event e = completions_.top();
      completions_.pop();
      net_.deliver(e.msg, now);
      progress = true;
    }
  }
  Picos next = std::numeric_limits<Picos>::max();
  if (!arrivals_.empty()) next = std::min(next, arrivals_.top().time);
  if (!completions_.empty()) next = std::min(next, completions_.top().time);
  for (std::size_t i = 0; i <= servers_.size(); ++i) {
    const Server& s = i < servers_.size() ? servers_[i] : control_;
    if (s.current_msg >= 0) {
      const Network::Hop& h =
          net_.messages_[static_cast<std::size_t>(s.current_msg)].hops[s.current_hop];
      if (h.resolved) next = std::min(next, h.end);
    } else if (!s.queue.empty()) {
      next = std::min(next, s.free_at);
    }
  }
  if (next != std::numeric_limits<Picos>::max()) wake_at(next);
}

// ---------------------------------------------------------------------------------------------

Network::Network(const Fabric& fabric, Picos memory_latency)
    : fabric_(fabric), memory_latency_(memory_latency) {
  if (sc_core::sc_get_time_resolution() != sc_core::sc_time(1, sc_core::SC_PS))
    throw std::logic_error("the fabric model needs a 1 ps SystemC time resolution");
  links_.reserve(fabric.link_count());
  for (std::size_t i = 0; i < fabric.link_count(); ++i) {
    const int id = static_cast<int>(i);
    const std::string name =
        fmt::format("link_{}_{}_{}", fabric.vertex(fabric.link_source(id)).name,
                    fabric.vertex(fabric.link_target(id)).name, id);
    links_.push_back(std::make_unique<LinkModule>(name.c_str(), *this, id, fabric.link(id)));
  }
}

Network::~Network() = default;

void Network::set_timeline(timeline::Recorder* timeline) {
  std::vector<std::string> names;
  for (std::size_t i = 0; i < links_.size(); ++i) {
    const int id = static_cast<int>(i);
    names.push_back(fmt::format("{} -> {}", fabric_.vertex(fabric_.link_source(id)).name,
                                fabric_.vertex(fabric_.link_target(id)).name));
    links_[i]->set_timeline(timeline);
  }
  if (timeline) timeline->set_links(names);
}

std::uint32_t Network::new_message(const std::vector<int>& links, std::uint64_t bytes,
                                   PacketKind kind) {
  if (links.empty() || links.size() > static_cast<std::size_t>(kMaxHops))
    throw std::logic_error(
        fmt::format("a message needs 1 to {} hops, not {}", kMaxHops, links.size()));
  std::uint32_t id;
  if (!free_messages_.empty()) {
    id = free_messages_.back();
    free_messages_.pop_back();
    messages_[id] = Message{};
  } else {
    id = static_cast<std::uint32_t>(messages_.size());
    messages_.emplace_back();
  }
  Message& m = messages_[id];
  m.nhops = static_cast<int>(links.size());
  m.bytes = bytes;
  m.kind = kind;
  for (std::size_t i = 0; i < links.size(); ++i) {
    Hop& h = m.hops[i];
    const LinkSpec& spec = fabric_.link(links[i]);
    h.link = links[i];
    h.wire = wire_bytes(bytes, spec.packet, kind);
    h.ser = serialization_time(spec, bytes, kind);
    h.first = first_packet_time(spec, bytes, kind);
  }
  ++messages_sent_;
  return id;
}

int Network::new_group(int count, MessageSink* sink, std::uint64_t tag) {
  int id;
  if (!free_groups_.empty()) {
    id = free_groups_.back();
    free_groups_.pop_back();
  } else {
    id = static_cast<int>(groups_.size());
    groups_.emplace_back();
  }
  groups_[static_cast<std::size_t>(id)] = Group{count, sink, tag};
  return id;
}

int Network::new_junction(int inputs, Picos delay) {
  int id;
  if (!free_junctions_.empty()) {
    id = free_junctions_.back();
    free_junctions_.pop_back();
  } else {
    id = static_cast<int>(junctions_.size());
    junctions_.emplace_back();
  }
  Junction& j = junctions_[static_cast<std::size_t>(id)];
  j.heads_left = j.tails_left = inputs;
  j.head_max = j.tail_max = 0;
  j.delay = delay;
  j.outputs.clear();
  return id;
}

void Network::launch(std::uint32_t m, Picos ready) {
  const Picos now = now_ps();
  ready = std::max(ready, now);
  LinkModule& first = *links_[static_cast<std::size_t>(messages_[m].hops[0].link)];
  first.arrivals_.push({ready, seq_++, m, 0});
  first.wake_at(ready);
}

Picos Network::switch_latency_after(int link) const {
  return fabric_.vertex(fabric_.link_target(link)).latency;
}

void Network::send(const std::vector<int>& links, std::uint64_t bytes, PacketKind kind, Picos ready,
                   MessageSink* sink, std::uint64_t tag) {
  const std::uint32_t m = new_message(links, bytes, kind);
  messages_[m].group = new_group(1, sink, tag);
  launch(m, ready);
}

void Network::switch_reduce(int requester, int sw, std::uint64_t bytes, Picos ready,
                            MessageSink* sink, std::uint64_t tag) {
  const int n = fabric_.devices();
  const Picos sw_lat = fabric_.vertex(sw).latency;
  const int group = new_group(1, sink, tag);
  // The reduced stream back to the requester, once every device's response is in the switch.
  const int reduce = new_junction(n, sw_lat);
  junctions_[static_cast<std::size_t>(reduce)].outputs.push_back(Output{
      {fabric_.link_between(sw, requester)}, bytes, PacketKind::kReadResponse, group, -1, 0});
  // Each device answers the switch's read requests from its memory.
  const int fan = new_junction(1, sw_lat);
  for (int d = 0; d < n; ++d) {
    const int respond = new_junction(1, memory_latency_);
    junctions_[static_cast<std::size_t>(respond)].outputs.push_back(
        Output{{fabric_.link_between(d, sw)}, bytes, PacketKind::kReadResponse, -1, reduce, 0});
    junctions_[static_cast<std::size_t>(fan)].outputs.push_back(
        Output{{fabric_.link_between(sw, d)}, bytes, PacketKind::kReadRequest, -1, respond, 0});
  }
  const std::uint32_t req =
      new_message({fabric_.link_between(requester, sw)}, bytes, PacketKind::kReadRequest);
  messages_[req].junction = fan;
  launch(req, ready);
}

Picos Network::load_time(int requester, int sw, std::uint64_t bytes) const {
  if (load_window_ == 0) return 0;
  Picos rtt = 0;
  for (int d = 0; d < fabric_.devices(); ++d)
    rtt = std::max(rtt, load_round_trip(requester, sw, d));
  return static_cast<Picos>(static_cast<double>(bytes) * static_cast<double>(rtt) /
                                static_cast<double>(load_window_) +
                            0.5);
}

Picos Network::load_round_trip(int requester, int sw, int source) const {
  const Picos sw_lat = fabric_.vertex(sw).latency;
  return fabric_.link(fabric_.link_between(requester, sw)).latency + sw_lat +
         fabric_.link(fabric_.link_between(sw, source)).latency + memory_latency_ +
         fabric_.link(fabric_.link_between(source, sw)).latency + sw_lat +
         fabric_.link(fabric_.link_between(sw, requester)).latency;
}

void Network::multicast(int src, int sw, std::uint64_t bytes, Picos ready, MessageSink* sink,
                        std::uint64_t tag) {
  const int n = fabric_.devices();
  const int group = new_group(n, sink, tag);
  const int copy = new_junction(1, fabric_.vertex(sw).latency);
  for (int d = 0; d < n; ++d)
    junctions_[static_cast<std::size_t>(copy)].outputs.push_back(
        Output{{fabric_.link_between(sw, d)}, bytes, PacketKind::kWrite, group, -1, 0});
  const std::uint32_t m = new_message({fabric_.link_between(src, sw)}, bytes, PacketKind::kWrite);
  messages_[m].junction = copy;
  launch(m, ready);
}

void Network::start_hop(std::uint32_t mi, std::uint32_t h, Picos now) {
  Message& m = messages_[mi];
  Hop& hop = m.hops[h];
  hop.start = now;
  hop.started = true;
  const LinkSpec& spec = fabric_.link(hop.link);
  LinkStats& st = links_[static_cast<std::size_t>(hop.link)]->stats_;
  ++st.messages;
  st.data_bytes += m.kind == PacketKind::kReadRequest ? 0 : m.bytes;
  st.wire_bytes += hop.wire;
  const bool last = static_cast<int>(h) + 1 == m.nhops;
  if (!last) {
    hop.needs_bp = spec.credit_bytes > 0 && hop.wire > spec.credit_bytes;
    const Picos head = now + hop.first + spec.latency + switch_latency_after(hop.link);
    LinkModule& next = *links_[static_cast<std::size_t>(m.hops[h + 1].link)];
    next.arrivals_.push({head, seq_++, mi, h + 1});
    next.wake_at(head);
  } else if (m.junction >= 0) {
    junction_head(m.junction, now + hop.first + spec.latency);
  }
  if (h > 0) {
    Hop& up = m.hops[h - 1];
    if (up.needs_bp && !up.resolved) {
      // The upstream link sends its last byte once this link has drained all but the buffer
      // behind it, and a credit has come back.
      const LinkSpec& up_spec = fabric_.link(up.link);
      const double excess =
          static_cast<double>(up.wire - up_spec.credit_bytes) / static_cast<double>(up.wire);
      up.bp_bound =
          now + static_cast<Picos>(static_cast<double>(hop.ser) * excess + 0.5) + up_spec.latency;
    }
    try_resolve(mi, h - 1);
  }
  try_resolve(mi, h);
}

void Network::try_resolve(std::uint32_t mi, std::uint32_t h) {
  Message& m = messages_[mi];
  Hop& hop = m.hops[h];
  if (!hop.started || hop.resolved) return;
  const bool last = static_cast<int>(h) + 1 == m.nhops;
  const bool tail_ok = h == 0 ? m.tail_known : m.hops[h - 1].resolved;
  const bool bp_ok = !hop.needs_bp || (!last && m.hops[h + 1].started);
  if (!tail_ok || !bp_ok) return;
  Picos end = hop.start + hop.ser;
  Picos tail = m.tail_min;  // when the last byte reaches this link's sender
  if (h > 0) {
    const Hop& up = m.hops[h - 1];
    tail = up.end + fabric_.link(up.link).latency + switch_latency_after(up.link);
  }
  if (h > 0 || m.tail_min > 0) end = std::max(end, tail + hop.first);
  if (hop.needs_bp) end = std::max(end, hop.bp_bound);
  hop.end = end;
  hop.resolved = true;
  LinkModule& link = *links_[static_cast<std::size_t>(hop.link)];
  link.wake_at(end);
  if (last) {
    const Picos arrival = end + link.spec_.latency;
    link.completions_.push({arrival, seq_++, mi, h});
    link.wake_at(arrival);
    if (m.junction >= 0) junction_tail(m.junction, arrival);
  } else {
    try_resolve(mi, h + 1);
  }
}

void Network::set_tail(std::uint32_t mi, Picos tail_min) {
  Message& m = messages_[mi];
  m.tail_min = tail_min;
  m.tail_known = true;
  try_resolve(mi, 0);
}

void Network::junction_head(int ji, Picos t) {
  Junction& j = junctions_[static_cast<std::size_t>(ji)];
  j.head_max = std::max(j.head_max, t);
  if (--j.heads_left > 0) return;
  for (Output& o : j.outputs) {
    o.msg = new_message(o.links, o.bytes, o.kind);
    Message& m = messages_[o.msg];
    m.group = o.group;
    m.junction = o.junction;
    m.tail_known = false;
    launch(o.msg, j.head_max + j.delay);
  }
}

void Network::junction_tail(int ji, Picos t) {
  Junction& j = junctions_[static_cast<std::size_t>(ji)];
  j.tail_max = std::max(j.tail_max, t);
  if (--j.tails_left > 0) return;
  // Outputs may feed other junctions, which may reuse this slot: copy first.
  const Picos tail = j.tail_max + j.delay;
  std::vector<std::uint32_t> outs;
  outs.reserve(j.outputs.size());
  for (const Output& o : j.outputs) outs.push_back(o.msg);
  j.outputs.clear();
  free_junctions_.push_back(ji);
  for (std::uint32_t m : outs) set_tail(m, tail);
}

void Network::deliver(std::uint32_t mi, Picos now) {
  Message& m = messages_[mi];
  m.delivered = true;
  const int g = m.group;
  maybe_free(mi);
  if (g >= 0) {
    Group& grp = groups_[static_cast<std::size_t>(g)];
    if (--grp.left == 0) {
      MessageSink* sink = grp.sink;
      const std::uint64_t tag = grp.tag;
      free_groups_.push_back(g);
      if (sink) sink->message_done(tag, now);
    }
  }
}

void Network::release(std::uint32_t mi) {
  ++messages_[mi].released;
  maybe_free(mi);
}

void Network::maybe_free(std::uint32_t mi) {
  const Message& m = messages_[mi];
  if (m.delivered && m.released == m.nhops) free_messages_.push_back(mi);
}

}  // namespace xpusim::fabric
