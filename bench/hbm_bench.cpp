// BabelStream on the HBM model: 3 arrays of 256 MB (2^25 fp64, BabelStream's default size) streamed
// as dot (a.b), copy (c = a) and triad (a = b + s*c), issued in 4 KB pieces by every SM the way
// thread blocks are dispatched: each SM keeps 16 pieces in flight (64 KB, inflight_bytes_per_unit
// of configs/chips/h100_sxm.yaml) and takes the next piece of the array when one completes; a
// piece's store goes out when its reads are back and, being posted, does not hold the SM (the L2
// absorbs it). Counters: simulated bandwidth, its fraction of peak next to the measured one
// (../shared/reference/measured.csv), and host cost.
#include <benchmark/benchmark.h>

#include <chrono>
#include <cstdint>
#include <functional>
#include <queue>
#include <utility>
#include <vector>

#include "models/hbm/hbm_model.hpp"
#include "models/hbm/hbm_presets.hpp"

namespace {

using xpusim::Picos;
using namespace xpusim::hbm;

constexpr std::uint64_t kArrayBytes = std::uint64_t{1} << 28;
constexpr std::uint64_t kPiece = 4096;
constexpr int kPiecesPerSm = 16;
constexpr std::uint64_t kA = 0, kB = kArrayBytes, kC = 2 * kArrayBytes;

struct Kernel {
  std::vector<std::uint64_t> reads;
  bool writes = false;
  std::uint64_t write_base = 0;
};
const Kernel kDot{{kA, kB}, false, 0};
const Kernel kCopy{{kA}, true, kC};
const Kernel kTriad{{kB, kC}, true, kA};

struct Outcome {
  Picos end = 0;
  double bytes = 0;
  std::uint64_t bursts = 0;
  std::string summary;
};

Outcome run_stream(const HbmConfig& config, int sms, const Kernel& kernel) {
  HbmModel hbm(config);
  const std::uint64_t pieces = kArrayBytes / kPiece;
  const int slots = sms * kPiecesPerSm;
  std::vector<std::int64_t> pending_write(slots, -1);
  using Event = std::pair<Picos, int>;  // (time, slot); ties go to the lower slot
  std::priority_queue<Event, std::vector<Event>, std::greater<>> events;
  for (int s = 0; s < slots; ++s) events.push({0, s});
  std::uint64_t next_piece = 0;
  Picos end = 0;
  const auto write = [&](int slot, Picos now) {  // a store: posted, the SM does not wait on it
    if (pending_write[slot] < 0) return;
    const auto offset = static_cast<std::uint64_t>(pending_write[slot]) * kPiece;
    end = std::max(end, hbm.access(kernel.write_base + offset, kPiece, true, now));
    pending_write[slot] = -1;
  };
  while (!events.empty()) {
    const auto [now, slot] = events.top();
    events.pop();
    write(slot, now);  // the reads of this slot's last piece are back: store its result
    if (next_piece == pieces) continue;
    const std::uint64_t piece = next_piece++;
    Picos done = now;
    for (std::uint64_t base : kernel.reads) {
      done = std::max(done, hbm.access(base + piece * kPiece, kPiece, false, now));
    }
    if (kernel.writes) pending_write[slot] = static_cast<std::int64_t>(piece);
    end = std::max(end, done);
    events.push({done, slot});
  }
  end = std::max(end, hbm.drain(end));
  Outcome out;
  out.end = end;
  out.bytes = static_cast<double>(kArrayBytes) * (kernel.reads.size() + (kernel.writes ? 1 : 0));
  out.bursts = hbm.stats().bursts;
  out.summary = hbm.where_peak_went(end);
  return out;
}

void BM_Stream(benchmark::State& state, HbmConfig config, int sms, Kernel kernel,
               double measured_tbps) {
  Outcome out;
  double host_seconds = 0;
  for (auto _ : state) {
    const auto t0 = std::chrono::steady_clock::now();
    out = run_stream(config, sms, kernel);
    host_seconds = std::chrono::duration<double>(std::chrono::steady_clock::now() - t0).count();
  }
  const double bandwidth = out.bytes / xpusim::picos_to_seconds(out.end);
  const double peak = config.peak_bandwidth();
  state.counters["sim_TBps"] = bandwidth / 1e12;
  state.counters["sim_pct_peak"] = 100 * bandwidth / peak;
  if (measured_tbps > 0) state.counters["real_pct_peak"] = 100 * measured_tbps * 1e12 / peak;
  state.counters["host_s_per_GB"] = host_seconds / (out.bytes / 1e9);
  state.counters["Mbursts_per_host_s"] = static_cast<double>(out.bursts) / host_seconds / 1e6;
  state.SetLabel(out.summary);
}

HbmConfig with_refresh(HbmConfig config, RefreshMode mode) {
  config.refresh_mode = mode;
  return config;
}

#define STREAM(name, ...) \
  BENCHMARK_CAPTURE(BM_Stream, name, __VA_ARGS__)->Iterations(1)->Unit(benchmark::kMillisecond)

// Presets, against measured.csv.
STREAM(h100_dot, h100_hbm3(), 132, kDot, 3.18);
STREAM(h100_copy, h100_hbm3(), 132, kCopy, 2.90);
STREAM(h100_triad, h100_hbm3(), 132, kTriad, 2.97);
STREAM(a100_dot, a100_hbm2e(), 108, kDot, 0);
STREAM(a100_copy, a100_hbm2e(), 108, kCopy, 1.61);
STREAM(a100_triad, a100_hbm2e(), 108, kTriad, 1.70);
// The other refresh mode of each, to show what that choice is worth.
STREAM(h100_dot_allbank, with_refresh(h100_hbm3(), RefreshMode::kAllBank), 132, kDot, 3.18);
STREAM(h100_copy_allbank, with_refresh(h100_hbm3(), RefreshMode::kAllBank), 132, kCopy, 2.90);
STREAM(h100_triad_allbank, with_refresh(h100_hbm3(), RefreshMode::kAllBank), 132, kTriad, 2.97);
STREAM(a100_copy_perbank, with_refresh(a100_hbm2e(), RefreshMode::kPerBank), 108, kCopy, 1.61);
STREAM(a100_triad_perbank, with_refresh(a100_hbm2e(), RefreshMode::kPerBank), 108, kTriad, 1.70);

}  // namespace
