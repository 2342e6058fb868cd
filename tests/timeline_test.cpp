// --timeline: the trace-event file of a real run is valid, bounded, agrees with the run's own
// figures, and recording it changes nothing the run reports.
#include <gtest/gtest.h>

#include <algorithm>
#include <cmath>
#include <map>
#include <nlohmann/json.hpp>
#include <set>

#include "sim/config/chip_config.hpp"
#include "sim/run/workload.hpp"
#include "sim/timeline/recorder.hpp"
#include "test_support.hpp"

using namespace xpusim;
using xpusim::testing::run_cli;
using xpusim::testing::TempDir;

namespace {

config::ChipConfig chip(const std::string& name, const std::vector<std::string>& sets = {}) {
  return config::load_chip(name, xpusim::testing::config_dir(), sets);
}

// Microseconds with three decimals, as written, back to whole nanoseconds.
std::int64_t ns(const nlohmann::json& v) {
  return std::llround(v.get<double>() * 1000);
}

struct Recorded {
  run::RunReport report;
  nlohmann::json trace;
  timeline::WriteSummary summary;
};

Recorded record(const config::ChipConfig& c, const run::WorkloadSpec& spec,
                timeline::TimelineOptions options = {}) {
  timeline::Recorder recorder(options);
  platform::PlatformOptions po;
  po.timeline = &recorder;
  Recorded r;
  r.report = run::simulate(run::build_workload(spec, c), c, po);
  TempDir dir;
  const auto path = (dir.path() / "timeline.json").string();
  r.summary = recorder.write(path);
  r.trace = nlohmann::json::parse(xpusim::testing::read_file(path));
  return r;
}

// Everything the Trace Event Format requires of the events we write, and what Perfetto needs to
// label tracks; fills `spans` with the complete events per (pid, tid), in file order.
using SpanMap = std::map<std::pair<int, int>, std::vector<nlohmann::json>>;
void check_trace_events(const nlohmann::json& trace, SpanMap& spans) {
  EXPECT_TRUE(trace.is_object());
  EXPECT_EQ(trace.value("displayTimeUnit", ""), "ns");
  const auto& events = trace.at("traceEvents");
  EXPECT_TRUE(events.is_array());
  std::set<int> named_processes;
  std::set<std::pair<int, int>> named_threads;
  std::set<int> used_pids;
  for (const auto& e : events) {
    const std::string ph = e.at("ph");
    ASSERT_TRUE(e.at("pid").is_number_integer());
    ASSERT_TRUE(e.at("tid").is_number_integer());
    ASSERT_TRUE(e.at("ts").is_number());
    ASSERT_TRUE(e.at("name").is_string());
    const int pid = e["pid"];
    if (ph == "M") {
      const std::string what = e["name"];
      ASSERT_TRUE(e.at("args").is_object());
      if (what == "process_name") named_processes.insert(pid);
      if (what == "thread_name") named_threads.insert({pid, e.at("tid").get<int>()});
      if (what.ends_with("_name")) {
        ASSERT_TRUE(e["args"].at("name").is_string());
      } else {
        ASSERT_TRUE(what == "process_sort_index" || what == "thread_sort_index") << what;
        ASSERT_TRUE(e["args"].at("sort_index").is_number_integer());
      }
    } else if (ph == "X") {
      ASSERT_TRUE(e.at("tid").is_number_integer());
      ASSERT_TRUE(e.at("ts").is_number());
      ASSERT_TRUE(e.at("dur").is_number());
      ASSERT_GE(e["ts"].get<double>(), 0);
      ASSERT_GE(e["dur"].get<double>(), 0);
      spans[{pid, e["tid"].get<int>()}].push_back(e);
      used_pids.insert(pid);
    } else if (ph == "C") {
      ASSERT_TRUE(e.at("ts").is_number());
      ASSERT_TRUE(e.at("args").is_object());
      for (const auto& [k, v] : e["args"].items()) ASSERT_TRUE(v.is_number()) << k;
      used_pids.insert(pid);
    } else {
      ADD_FAILURE() << "unexpected phase " << ph;
    }
  }
  for (int pid : used_pids) EXPECT_TRUE(named_processes.count(pid)) << "pid " << pid;
  for (const auto& [track, list] : spans) {
    EXPECT_TRUE(named_threads.count(track)) << track.first << "/" << track.second;
    for (std::size_t i = 1; i < list.size(); ++i) {
      // Monotone, and no overlap on one thread track: Perfetto would nest them otherwise.
      ASSERT_LE(ns(list[i - 1]["ts"]), ns(list[i]["ts"]));
      ASSERT_LE(ns(list[i - 1]["ts"]) + ns(list[i - 1]["dur"]), ns(list[i]["ts"]))
          << list[i - 1] << " overlaps " << list[i];
    }
  }
}

SpanMap check_trace_events(const nlohmann::json& trace) {
  SpanMap spans;
  check_trace_events(trace, spans);
  return spans;
}

std::map<std::pair<int, int>, std::string> thread_names(const nlohmann::json& trace) {
  std::map<std::pair<int, int>, std::string> names;
  for (const auto& e : trace["traceEvents"])
    if (e["ph"] == "M" && e["name"] == "thread_name")
      names[{e["pid"].get<int>(), e["tid"].get<int>()}] = e["args"]["name"];
  return names;
}

class TimelineGemm8k : public ::testing::Test {
 protected:
  static void SetUpTestSuite() {
    h100_ = new config::ChipConfig(chip("h100_sxm"));
    run_ = new Recorded(record(*h100_, run::gemm_spec("8192x8192x8192", DType::kBf16)));
  }
  static void TearDownTestSuite() {
    delete run_;
    delete h100_;
  }
  static inline config::ChipConfig* h100_ = nullptr;
  static inline Recorded* run_ = nullptr;
};

TEST_F(TimelineGemm8k, IsValidTraceEventJsonUnder50Mb) {
  check_trace_events(run_->trace);
  EXPECT_EQ(run_->summary.level, 0);  // fits the default budget without coarsening
  EXPECT_LT(run_->summary.bytes, 50'000'000u);
  EXPECT_EQ(run_->summary.events, run_->trace["traceEvents"].size());
  std::cout << "8192^3 timeline: " << run_->summary.bytes << " bytes, " << run_->summary.events
            << " events\n";
}

TEST_F(TimelineGemm8k, EverySmHasCtaAndPhaseTracks) {
  const auto names = thread_names(run_->trace);
  std::set<int> sms_with_ctas, sms_with_mma;
  for (const auto& [track, name] : names) {
    if (name.starts_with("CTA slot")) sms_with_ctas.insert(track.first);
    if (name.starts_with("MMA")) sms_with_mma.insert(track.first);
  }
  EXPECT_EQ(sms_with_ctas.size(), static_cast<std::size_t>(h100_->compute.units));
  EXPECT_EQ(sms_with_mma.size(), static_cast<std::size_t>(h100_->compute.units));
}

// The CTA spans are the units' residency and the MMA spans the tensor pipes' busy time, so they
// must reproduce the report's occupancy and tensor utilisation. Tolerances: each CTA span's
// ends are rounded to the nanosecond (<= 1 ns per span); the MMA spans' busy_us is exact to the
// picosecond, while their durations also hold the gaps (< merge gap) they closed.
TEST_F(TimelineGemm8k, SmSpansAgreeWithReportedUtilisation) {
  const auto spans = check_trace_events(run_->trace);
  const auto names = thread_names(run_->trace);
  double cta_ns = 0, mma_busy_us = 0, mma_dur_ns = 0, merges = 0;
  std::size_t ctas = 0, mma_spans = 0;
  for (const auto& [track, list] : spans) {
    const std::string& name = names.at(track);
    for (const auto& e : list) {
      if (name.starts_with("CTA slot")) {
        cta_ns += static_cast<double>(ns(e["dur"]));
        ++ctas;
      } else if (name.starts_with("MMA")) {
        mma_busy_us += e["args"]["busy_us"].get<double>();
        mma_dur_ns += static_cast<double>(ns(e["dur"]));
        merges += e["args"]["merged"].get<double>() - 1;
        ++mma_spans;
      }
    }
  }
  const auto& rep = run_->report;
  ASSERT_EQ(ctas, 2048u);  // 8192/128 x 8192/256 output tiles
  const double unit_ns = rep.kernel_s * 1e9 * h100_->compute.units;
  EXPECT_NEAR(cta_ns / unit_ns, rep.unit_occupancy, (ctas * 1.0) / unit_ns + 1e-12);
  EXPECT_NEAR(mma_busy_us * 1e3 / unit_ns, rep.utilisation_of("tensor"), 1e-9);
  const double gap_ns = timeline::TimelineOptions{}.merge_gap / 1e3;
  EXPECT_GE(mma_dur_ns + 1.0 * mma_spans, mma_busy_us * 1e3);  // rounding of each span's ends
  EXPECT_LE(mma_dur_ns, mma_busy_us * 1e3 + merges * gap_ns + 1.0 * mma_spans);
}

// Per-bank refresh (the H100 config): each detailed bank refreshes once per tREFI from its
// staggered first due time; a REFpb may be postponed while its bank finishes a row, never by a
// tenth of tREFI, and none is lost or doubled.
TEST_F(TimelineGemm8k, HbmRefreshFollowsTrefiFromTheConfig) {
  const auto spans = check_trace_events(run_->trace);
  const auto names = thread_names(run_->trace);
  const auto trefi = std::llround(h100_->memory.timing.tREFI * 1e9);  // 3900 ns
  const auto trfcpb = std::llround(h100_->memory.timing.tRFCpb * 1e9);
  // (pseudo-channel, bank): a pseudo-channel's refreshes may take several lanes ("... refresh (2)")
  std::map<std::pair<std::string, int>, std::vector<std::int64_t>> starts;
  for (const auto& [track, list] : spans) {
    const std::string& name = names.at(track);
    const auto refresh = name.find(" refresh");
    if (refresh == std::string::npos) continue;
    for (const auto& e : list) {
      EXPECT_EQ(e["name"], "REFpb");
      EXPECT_EQ(ns(e["dur"]), trfcpb);
      starts[{name.substr(0, refresh), e["args"]["bank"].get<int>()}].push_back(ns(e["ts"]));
    }
  }
  const int banks = h100_->memory.bank_groups * h100_->memory.banks_per_group;
  ASSERT_EQ(starts.size(), 8u * banks);  // 4 detail channels x 2 pseudo-channels x 16 banks
  const auto run_ns = std::llround(run_->report.latency_s * 1e9);
  std::vector<std::int64_t> diffs;
  for (auto& [key, s] : starts) {
    std::sort(s.begin(), s.end());
    EXPECT_GE(static_cast<std::int64_t>(s.size()), run_ns / trefi - 2);
    EXPECT_EQ(static_cast<std::int64_t>(s.size()),
              (s.back() - s.front() + trefi / 2) / trefi + 1);  // one per tREFI, none missing
    for (std::size_t i = 1; i < s.size(); ++i) {
      diffs.push_back(s[i] - s[i - 1]);
      EXPECT_NEAR(s[i] - s[i - 1], trefi, trefi / 10);
    }
  }
  std::nth_element(diffs.begin(), diffs.begin() + diffs.size() / 2, diffs.end());
  EXPECT_EQ(diffs[diffs.size() / 2], trefi);  // most are not postponed at all
}

// All-bank refresh (REFab) on a pseudo-channel: once per tREFI, tRFC long.
TEST(Timeline, AllBankRefreshFollowsTrefi) {
  const auto a100 = chip("a100_sxm_80gb");
  const auto r = record(a100, run::gemm_spec("4096x4096x4096", DType::kFp16));
  const auto spans = check_trace_events(r.trace);
  const auto trefi = std::llround(a100.memory.timing.tREFI * 1e9);
  std::size_t tracks = 0;
  for (const auto& [track, list] : spans) {
    if (track.first != 4) continue;  // the HBM process
    ++tracks;
    ASSERT_GT(list.size(), 3u);
    for (std::size_t i = 0; i < list.size(); ++i) {
      EXPECT_EQ(list[i]["name"], "REFab");
      EXPECT_EQ(ns(list[i]["dur"]), std::llround(a100.memory.timing.tRFC * 1e9));
      if (i > 0) {
        EXPECT_NEAR(ns(list[i]["ts"]) - ns(list[i - 1]["ts"]), trefi, trefi / 10);
      }
    }
  }
  EXPECT_EQ(tracks, 8u);  // 4 detail channels x 2 pseudo-channels, one lane each
}

// Recording must not perturb the simulation: the same report, byte for byte.
TEST(Timeline, RunReportIsByteIdenticalWithAndWithoutTimeline) {
  const auto h100 = chip("h100_sxm");
  for (const auto& spec :
       {run::gemm_spec("2048x2048x2048", DType::kBf16),
        run::attention_spec("batch=1,heads=8,head_dim=128,seq_q=2048,seq_kv=2048", std::nullopt),
        run::stream_spec("triad", DType::kFp64, 1 << 22)}) {
    const auto work = run::build_workload(spec, h100);
    const std::string plain = run::simulate(work, h100).to_json().dump();
    timeline::Recorder recorder;
    platform::PlatformOptions po;
    po.timeline = &recorder;
    const std::string recorded = run::simulate(work, h100, po).to_json().dump();
    EXPECT_EQ(plain, recorded) << work.description;
  }
}

// Determinism: the same run gives the same file, byte for byte.
TEST(Timeline, SameRunGivesTheSameFile) {
  const auto h100 = chip("h100_sxm");
  const auto work = run::build_workload(run::gemm_spec("1024x1024x4096", DType::kBf16), h100);
  std::string text[2];
  for (auto& t : text) {
    timeline::Recorder recorder;
    platform::PlatformOptions po;
    po.timeline = &recorder;
    run::simulate(work, h100, po);
    t = recorder.to_json(0);
  }
  EXPECT_GT(text[0].size(), 1000u);
  EXPECT_EQ(text[0], text[1]);
}

TEST(Timeline, AttentionShowsSoftmaxPipes) {
  const auto r = record(
      chip("h100_sxm"),
      run::attention_spec("batch=1,heads=8,head_dim=128,seq_q=2048,seq_kv=2048", std::nullopt));
  check_trace_events(r.trace);
  std::set<std::string> names;
  for (const auto& [track, name] : thread_names(r.trace)) names.insert(name);
  for (const char* n : {"MMA (tensor pipe)", "SFU (exp, softmax)", "vector pipe", "loads in flight",
                        "stores", "CTA slot 0"})
    EXPECT_TRUE(names.count(n)) << n;
}

// SMs past the cap have no tracks of their own but stay in the aggregate counters: integrated
// over time, `SMs tensor_busy` (a step function, a sample per bin group) gives the tensor busy
// time of all units, i.e. the report's utilisation (samples are rounded to 1e-4).
TEST(Timeline, SmCapKeepsEveryUnitInTheCounters) {
  timeline::TimelineOptions o;
  o.sm_tracks = 4;
  const auto c = chip("h100_sxm");
  const auto r = record(c, run::gemm_spec("4096x4096x4096", DType::kBf16), o);
  check_trace_events(r.trace);
  std::set<int> sm_pids;
  double integral_us = 0, last_ts = 0, last_value = 0;
  for (const auto& e : r.trace["traceEvents"]) {
    if (e["ph"] == "M" && e["name"] == "process_name" &&
        e["args"]["name"].get<std::string>().starts_with("SM "))
      sm_pids.insert(e["pid"].get<int>());
    if (e["ph"] == "C" && e["name"] == "SMs") {
      const double ts = e["ts"].get<double>();
      integral_us += last_value * (ts - last_ts);
      last_ts = ts;
      last_value = e["args"]["tensor_busy"].get<double>();
    }
  }
  EXPECT_EQ(sm_pids.size(), 4u);
  EXPECT_NEAR(integral_us / (r.report.kernel_s * 1e6), r.report.utilisation_of("tensor"), 2e-4);
}

// Co-resident CTAs take one lane each: BabelStream triad on H100 runs 2 CTAs per SM over 15 waves
// (4096 CTAs), so every SM shows exactly 2 CTA slots, and all 4096 CTAs appear.
TEST(Timeline, CoResidentCtasTakeOneSlotEach) {
  const auto r = record(chip("h100_sxm"), run::stream_spec("triad", DType::kFp64, 1 << 22));
  ASSERT_EQ(r.report.ctas_per_unit, 2);
  const auto spans = check_trace_events(r.trace);
  const auto names = thread_names(r.trace);
  std::map<int, int> slots;  // per SM process
  std::size_t ctas = 0;
  for (const auto& [track, list] : spans)
    if (names.at(track).starts_with("CTA slot")) {
      ++slots[track.first];
      ctas += list.size();
    }
  EXPECT_EQ(slots.size(), 132u);
  for (const auto& [pid, n] : slots) EXPECT_EQ(n, 2) << "pid " << pid;
  EXPECT_EQ(ctas, 4096u);  // 2^22 elements / 1024 per CTA
}

// A small budget forces aggregation: fewer detail tracks and samples, still a valid file.
TEST(Timeline, SizeBudgetCoarsensUntilItFits) {
  timeline::TimelineOptions o;
  o.max_mb = 0.3;
  const auto r = record(chip("h100_sxm"), run::gemm_spec("4096x4096x4096", DType::kBf16), o);
  EXPECT_GT(r.summary.level, 0);
  EXPECT_LE(r.summary.bytes, 300'000u);
  check_trace_events(r.trace);
  EXPECT_EQ(r.trace["otherData"]["aggregation_level"], r.summary.level);
}

TEST(Timeline, CliWritesTheFileAndRejectsBadOptions) {
  TempDir dir;
  const auto path = dir.path() / "t.json";
  const auto ok = run_cli("run --chip h100_sxm --gemm 1024x1024x1024 --timeline " + path.string());
  ASSERT_EQ(ok.status, 0) << ok.err;
  EXPECT_NE(ok.err.find("timeline: "), std::string::npos) << ok.err;
  check_trace_events(nlohmann::json::parse(xpusim::testing::read_file(path)));

  const auto bad = run_cli("run --chip h100_sxm --gemm 1024x1024x1024 --timeline " + path.string() +
                           " --timeline-max-mb 0");
  EXPECT_EQ(bad.status, 2);
  EXPECT_NE(bad.err.find("--timeline-max-mb"), std::string::npos) << bad.err;
  const auto unwritable = run_cli("run --chip h100_sxm --gemm 1024x1024x1024 --timeline " +
                                  (dir.path() / "no/such/dir/t.json").string());
  EXPECT_EQ(unwritable.status, 2);
  EXPECT_NE(unwritable.err.find("cannot open"), std::string::npos) << unwritable.err;
}

// A collective's timeline: one track per link direction of the fabric. HGX H100 8x: each GPU has
// one NVLink bundle to the (logical) NVSwitch, two directions each.
TEST(Timeline, CollectiveHasOneTrackPerLinkDirection) {
  TempDir dir;
  const auto path = dir.path() / "ar.json";
  const auto r = run_cli(
      "collective --system hgx_h100_8x --op allreduce --bytes 64M --format json --timeline " +
      path.string());
  ASSERT_EQ(r.status, 0) << r.err;
  const auto report = nlohmann::json::parse(r.out);
  const auto trace = nlohmann::json::parse(xpusim::testing::read_file(path));
  const auto spans = check_trace_events(trace);
  const auto names = thread_names(trace);
  EXPECT_EQ(names.size(), 16u);
  const auto end_ns = std::llround(report["results"][0]["time_us"].get<double>() * 1000);
  for (const auto& [track, list] : spans) {
    EXPECT_NE(names.at(track).find(" -> "), std::string::npos);
    ASSERT_FALSE(list.empty());
    EXPECT_LE(ns(list.back()["ts"]) + ns(list.back()["dur"]), end_ns + 1);
  }
  const auto several =
      run_cli("collective --system hgx_h100_8x --bytes 1M..4M --timeline " + path.string());
  EXPECT_EQ(several.status, 2);
  EXPECT_NE(several.err.find("one size"), std::string::npos) << several.err;
}

}  // namespace

namespace {

// On a chip with two memory dies every HBM channel of both dies has its own counter track, and a
// copy that touches all memory keeps every one of them busy at some point.
TEST(Timeline, EveryHbmChannelOfEveryMemoryDieHasATrack) {
  const auto b200 = chip("b200");
  ASSERT_EQ(b200.die_to_die.memory_die_count(), 2);
  const auto r = record(b200, run::stream_spec("copy", DType::kFp64, 1u << 22));
  std::set<std::string> busy;
  for (const auto& e : r.trace.at("traceEvents"))
    if (e.at("ph") == "C" && e.at("name").get<std::string>().starts_with("ch ") &&
        e.at("args").value("bus_busy", 0.0) > 0)
      busy.insert(e.at("name").get<std::string>());
  const int channels = b200.memory.stacks * b200.memory.channels_per_stack;
  EXPECT_EQ(busy.size(), static_cast<std::size_t>(channels));
  for (int k = 0; k < channels; ++k) EXPECT_TRUE(busy.contains("ch " + std::to_string(k))) << k;
}

}  // namespace
