// Recorder::to_json and write: the Trace Event Format's JSON Object Format ("traceEvents",
// "displayTimeUnit"), as ui.perfetto.dev and chrome://tracing read it. Timestamps are
// microseconds with three decimals: every time is rounded to a whole nanosecond first, so spans
// that do not overlap in picoseconds do not overlap in the file either.
#include <fmt/format.h>

#include <algorithm>
#include <fstream>
#include <iterator>
#include <nlohmann/json.hpp>

#include "sim/common/error.hpp"
#include "sim/timeline/recorder.hpp"

namespace xpusim::timeline {
namespace {

// Process ids, in display order; SM u is kUnitPid + u.
constexpr int kPlatformPid = 1, kUnitsPid = 2, kL2Pid = 3, kHbmPid = 4, kLinksPid = 5,
              kUnitPid = 100;
// Thread ids are unique in the whole file (pid x kTidsPerPid + a local id), so no viewer can
// mistake one process's thread for another's; local id 0 is the process itself.
constexpr int kTidsPerPid = 100000;
constexpr int kPhaseTid = 1;       // + phase, in an SM's process
constexpr int kCtaTid = 1000;      // + lane, in an SM's process
constexpr int kRefreshTid = 1000;  // + 100 x pseudo-channel + lane, in the HBM process

Picos to_ns(Picos ps) {
  return (ps + 500) / 1000;
}

class EventWriter {
 public:
  explicit EventWriter(std::string& out) : out_(out) {}

  void process(int pid, const std::string& name, int sort) {
    meta(pid, -1, "process_name", fmt::format("{{\"name\":{}}}", quote(name)));
    meta(pid, -1, "process_sort_index", fmt::format("{{\"sort_index\":{}}}", sort));
  }
  // A thread (track) of process `pid` with local id `tid`, shown in `sort` order.
  void thread(int pid, int tid, const std::string& name, int sort) {
    meta(pid, tid, "thread_name", fmt::format("{{\"name\":{}}}", quote(name)));
    meta(pid, tid, "thread_sort_index", fmt::format("{{\"sort_index\":{}}}", sort));
  }
  // A complete event; `args` is a JSON object's text or empty.
  void span(int pid, int tid, Picos start, Picos end, const std::string& quoted_name,
            const std::string& args) {
    const Picos s = to_ns(start), e = to_ns(end);
    begin();
    fmt::format_to(std::back_inserter(out_),
                   "{{\"ph\":\"X\",\"pid\":{},\"tid\":{},\"ts\":{}.{:03},\"dur\":{}.{:03},"
                   "\"name\":{}",
                   pid, global_tid(pid, tid), s / 1000, s % 1000, (e - s) / 1000, (e - s) % 1000,
                   quoted_name);
    if (!args.empty()) fmt::format_to(std::back_inserter(out_), ",\"args\":{}", args);
    out_ += '}';
  }
  void counter(int pid, Picos at, const std::string& quoted_name, const std::string& args) {
    const Picos t = to_ns(at);
    begin();
    fmt::format_to(std::back_inserter(out_),
                   "{{\"ph\":\"C\",\"pid\":{},\"tid\":{},\"ts\":{}.{:03},\"name\":{},\"args\":{}}}",
                   pid, global_tid(pid, 0), t / 1000, t % 1000, quoted_name, args);
  }
  std::uint64_t events() const { return events_; }
  static std::string quote(const std::string& s) { return nlohmann::json(s).dump(); }

 private:
  static int global_tid(int pid, int local) { return pid * kTidsPerPid + local; }
  // Every event carries pid, tid and ts, as the format's common fields; process-wide metadata
  // and counters (which are process-scoped) use the process's own thread (local id 0).
  void meta(int pid, int tid, const char* what, const std::string& args) {
    begin();
    fmt::format_to(std::back_inserter(out_),
                   "{{\"ph\":\"M\",\"pid\":{},\"tid\":{},\"ts\":0,\"name\":\"{}\",\"args\":{}}}",
                   pid, global_tid(pid, std::max(tid, 0)), what, args);
  }
  void begin() { out_ += events_++ == 0 ? "\n" : ",\n"; }
  std::string& out_;
  std::uint64_t events_ = 0;
};

std::string micros(Picos ps) {  // a duration in microseconds, exact to the picosecond
  return fmt::format("{}.{:06}", ps / kPicosPerUs, ps % kPicosPerUs);
}

}  // namespace

std::string Recorder::to_json(int level, std::uint64_t* events) const {
  const int sm_cap =
      std::min<int>(static_cast<int>(unit_tracks_.size()), options_.sm_tracks >> level);
  const int refresh_cap = std::min<int>(static_cast<int>(refresh_tracks_.size()),
                                        (options_.hbm_detail_channels >> level) * per_channel_);
  const std::size_t points = std::max<std::size_t>(options_.counter_points >> level, 8);
  const Picos gap = options_.merge_gap << (2 * level);

  std::vector<std::string> quoted;
  for (const auto& n : names_) quoted.push_back(EventWriter::quote(n));

  std::string out =
      "{\"displayTimeUnit\":\"ns\",\"otherData\":{\"generator\":\"xpusim\","
      "\"aggregation_level\":" +
      std::to_string(level) + "},\"traceEvents\":[";
  EventWriter w(out);

  // Platform: kernels and their launch overheads.
  if (!kernels_.empty()) w.process(kPlatformPid, "platform: kernels", 0);
  const auto kernel_lanes = kernels_.lanes();
  for (std::size_t lane = 0; lane < kernel_lanes.size(); ++lane) {
    const int tid = 1 + static_cast<int>(lane);
    w.thread(kPlatformPid, tid, lane == 0 ? "kernels" : fmt::format("kernels ({})", lane + 1), tid);
    for (const auto& s : kernel_lanes[lane])
      w.span(kPlatformPid, tid, s.start, s.end, quoted[s.name], "");
  }

  // Counters in time bins: each written sample covers `group` bins.
  const std::size_t bins = bins_.bins();
  const std::size_t group = std::max<std::size_t>(1, (bins + points - 1) / points);
  const Picos width = bins_.width();
  // Writes one counter track: `value(series sums over the group, seconds covered)` gives the args.
  const auto counter_track = [&](int pid, const std::string& name, auto args_of) {
    const std::string q = EventWriter::quote(name);
    std::string last;
    for (std::size_t g0 = 0; g0 < bins; g0 += group) {
      const Picos start = g0 * width;
      const Picos stop = std::min<Picos>(std::max(end_, start + 1), (g0 + group) * width);
      const std::size_t g1 = std::min(bins, g0 + group);
      std::string args = args_of(g0, g1, stop - start);
      if (args == last) continue;
      w.counter(pid, start, q, args);
      last = std::move(args);
    }
    if (bins > 0) w.counter(pid, std::max(end_, (bins - 1) * width), q, args_of(0, 0, 1));
  };
  const auto sum = [&](std::size_t series, std::size_t g0, std::size_t g1) {
    double s = 0;
    for (std::size_t b = g0; b < g1; ++b) s += bins_.value(series, b);
    return s;
  };

  if (!link_names_.empty()) {
    const int link_cap =
        std::min<int>(static_cast<int>(link_tracks_.size()), options_.link_tracks >> level);
    w.process(kLinksPid, fmt::format("fabric: {} links (one direction each)", link_names_.size()),
              4);
    counter_track(kLinksPid, "all links", [&](std::size_t g0, std::size_t g1, Picos span) {
      // Mean messages one link direction carries at once (each of its servers, and the
      // read-request channel of NVLS loads, carries one).
      const double links = static_cast<double>(link_names_.size());
      return fmt::format("{{\"messages_per_link\":{:.4f}}}",
                         sum(kLinkBusy, g0, g1) / (static_cast<double>(span) * links));
    });
    const std::string q = EventWriter::quote("busy");
    for (int l = 0; l < link_cap; ++l) {
      if (link_tracks_[l].empty()) continue;
      w.thread(kLinksPid, 1 + l, link_names_[l], 1 + l);
      for (const MergedSpan& s : link_tracks_[l].spans(gap))
        w.span(kLinksPid, 1 + l, s.start, s.end, q,
               fmt::format("{{\"busy_us\":{},\"messages\":{}}}", micros(s.covered), s.count));
    }
  }
  if (units_ == 0) {  // a fabric-only run: no SMs, L2 or HBM
    out += "\n]}\n";
    if (events) *events = w.events();
    return out;
  }

  w.process(kUnitsPid, fmt::format("SMs: all {} units", units_), 1);
  counter_track(kUnitsPid, "SMs", [&](std::size_t g0, std::size_t g1, Picos span) {
    const double t = static_cast<double>(span);
    return fmt::format("{{\"tensor_busy\":{:.4f},\"ctas_resident\":{:.2f}}}",
                       sum(kTensor, g0, g1) / (t * std::max(units_, 1)),
                       sum(kResident, g0, g1) / t);
  });

  w.process(kL2Pid, "L2 (one pool: slices are not modelled)", 2);
  counter_track(kL2Pid, "L2", [&](std::size_t g0, std::size_t g1, Picos span) {
    const double sec = picos_to_seconds(span);
    const double hit = sum(kL2Hit, g0, g1), miss = sum(kL2Miss, g0, g1),
                 write = sum(kL2Write, g0, g1);
    const double used = l2_bandwidth_ > 0 ? (hit + miss + write) / (l2_bandwidth_ * sec) : 0;
    return fmt::format(
        "{{\"bandwidth_used\":{:.4f},\"hit_GBps\":{:.1f},\"miss_GBps\":{:.1f},\"write_GBps\":{:.1f}"
        "}}",
        used, hit / sec / 1e9, miss / sec / 1e9, write / sec / 1e9);
  });

  if (channels_ > 0) {
    w.process(kHbmPid,
              fmt::format("HBM: {} channels x {} pseudo-channels", channels_, per_channel_), 3);
    const auto hbm_args = [&](int first, int last, std::size_t g0, std::size_t g1, Picos span) {
      double busy = 0, refresh = 0;
      for (int c = first; c < last; ++c) {
        busy += sum(hbm_busy_series(c), g0, g1);
        refresh += sum(hbm_refresh_series(c), g0, g1);
      }
      const double pcs = static_cast<double>(span) * per_channel_ * (last - first);
      return fmt::format("{{\"bus_busy\":{:.4f},\"refresh\":{:.4f}}}", busy / pcs,
                         refresh / (pcs * banks_));
    };
    counter_track(kHbmPid, "all channels", [&](std::size_t g0, std::size_t g1, Picos span) {
      return hbm_args(0, channels_, g0, g1, span);
    });
    for (int c = 0; c < channels_; ++c)
      counter_track(kHbmPid, fmt::format("ch {}", c),
                    [&](std::size_t g0, std::size_t g1, Picos span) {
                      return hbm_args(c, c + 1, g0, g1, span);
                    });
    for (int pc = 0; pc < refresh_cap; ++pc) {
      const auto lanes = refresh_tracks_[pc].lanes();
      for (std::size_t lane = 0; lane < lanes.size(); ++lane) {
        // Lanes of one pseudo-channel are at most its banks: one bank's refreshes never overlap.
        const int tid = kRefreshTid + 100 * pc + static_cast<int>(lane);
        w.thread(kHbmPid, tid,
                 fmt::format("ch {} pc {} refresh{}", pc / per_channel_, pc % per_channel_,
                             lane == 0 ? "" : fmt::format(" ({})", lane + 1)),
                 tid);
        for (const auto& s : lanes[lane])
          w.span(kHbmPid, tid, s.start, s.end, quoted[s.name],
                 s.arg >= 0 ? fmt::format("{{\"bank\":{}}}", s.arg) : "");
      }
    }
  }

  for (int u = 0; u < sm_cap; ++u) {
    const Unit& unit = unit_tracks_[u];
    const int pid = kUnitPid + u;
    w.process(pid, fmt::format("SM {}", u), 10 + u);
    const auto lanes = unit.ctas.lanes();
    for (std::size_t lane = 0; lane < lanes.size(); ++lane) {
      const int tid = kCtaTid + static_cast<int>(lane);
      w.thread(pid, tid, fmt::format("CTA slot {}", lane), static_cast<int>(lane));
      for (const auto& s : lanes[lane])
        w.span(pid, tid, s.start, s.end, quoted[s.name], fmt::format("{{\"cta\":{}}}", s.arg));
    }
    for (std::size_t p = 0; p < kSmPhases; ++p) {
      if (unit.phases[p].empty()) continue;
      const int tid = kPhaseTid + static_cast<int>(p);
      const char* name = sm_phase_name(static_cast<SmPhase>(p));
      w.thread(pid, tid, name, kCtaTid + tid);  // below the CTA slots
      const std::string q = EventWriter::quote(name);
      for (const MergedSpan& s : unit.phases[p].spans(gap))
        w.span(pid, tid, s.start, s.end, q,
               fmt::format("{{\"busy_us\":{},\"merged\":{}}}", micros(s.covered), s.count));
    }
  }
  out += "\n]}\n";
  if (events) *events = w.events();
  return out;
}

WriteSummary Recorder::write(const std::string& path) const {
  const auto budget = static_cast<std::uint64_t>(options_.max_mb * 1e6);
  for (int level = 0; level <= 12; ++level) {
    WriteSummary sum;
    const std::string text = to_json(level, &sum.events);
    if (text.size() > budget) continue;
    std::ofstream f(path, std::ios::binary);
    if (!f) throw UserError(fmt::format("--timeline {}: cannot open the file for writing", path));
    f << text;
    f.close();
    if (!f) throw UserError(fmt::format("--timeline {}: write failed", path));
    sum.bytes = text.size();
    sum.level = level;
    return sum;
  }
  throw UserError(
      fmt::format("--timeline {}: even fully aggregated the timeline exceeds --timeline-max-mb {}",
                  path, options_.max_mb));
}

}  // namespace xpusim::timeline
