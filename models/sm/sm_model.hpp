#pragma once
// A streaming multiprocessor (or CU / AI core): resident CTAs up to its shared-memory, register,
// thread and CTA limits; one tensor-core pipe, one vector pipe and one SFU pipe shared by them;
// an asynchronous copy path into shared-memory stages. The streams of the resident CTAs (one per
// CTA, or a producer and consumers in warp-specialised kernels) are resumable states, each with its
// own local time; one SystemC thread per unit advances them in local-time order, so the shared
// pipes are claimed in simulated-time order whatever the quantum. The unit as a whole runs ahead
// of simulated time by at most one quantum before it synchronises (temporal decoupling: only
// cross-unit state, the L2 and HBM, sees the quantum). Streams of a CTA meet at the stages' full
// and empty barriers.
#include <systemc>

#include <array>
#include <cstdint>
#include <functional>
#include <memory>
#include <queue>
#include <string>
#include <vector>

#include "models/l2/l2_cache.hpp"
#include "sim/common/dtype.hpp"
#include "sim/common/time.hpp"
#include "sim/trace/trace.hpp"

namespace xpusim::timeline {
class Recorder;
}

namespace xpusim::sm {

struct SmParams {
  double clock_hz = 1e9;
  std::array<double, kAllDTypes.size()> tensor_flops_per_clock{};
  double vector_fp32_flops_per_clock = 0;
  double vector_fp64_flops_per_clock = 0;
  double sfu_ops_per_clock = 0;
  std::uint64_t smem_bytes = 0;
  int registers = 0;
  int max_threads = 0;
  int max_ctas = 0;
  std::uint64_t inflight_bytes = 0;  // outstanding load bytes the unit sustains
  int mma_m_granularity = 16;        // rows the tensor instruction computes at once
  // Cycles after an MMA leaves the pipe before SFU work may read its result (the
  // accumulator); MMAs chained behind it are not delayed.
  double tensor_latency_cycles = 0;
  // A second, warp-level tensor instruction (Hopper's mma.sync: 16 rows at a lower rate); an MMA
  // takes whichever path finishes it first, so few-row products (decode) are not padded to 64.
  int mma_sync_rows = 0;
  double mma_sync_rate = 1;
  Picos quantum = 500 * kPicosPerNs;
};

struct SmStats {
  Picos tensor_busy = 0, vector_busy = 0, sfu_busy = 0;
  Picos resident_time = 0;  // sum over CTAs of their residency
  std::uint64_t ctas = 0;
  std::uint64_t mma_flops = 0;  // useful FLOPs as the trace states them
  std::uint64_t load_bytes = 0, store_bytes = 0;
  Picos load_wait = 0;  // time CTAs spent blocked waiting for stages to fill
};

// Resources one CTA of a kernel occupies.
struct CtaFootprint {
  std::uint64_t smem = 0;
  int threads = 0;
  int registers = 0;
};
CtaFootprint footprint(const trace::Kernel& k);
// How many CTAs of footprint `f` fit on one idle unit (0: none).
int ctas_per_unit(const SmParams& p, const CtaFootprint& f);

class SmModel : public sc_core::sc_module {
 public:
  using DoneFn = std::function<void(int sm, Picos end)>;

  SmModel(sc_core::sc_module_name name, int index, const SmParams& params, l2::L2Cache& l2,
          DoneFn on_done);
  ~SmModel() override;

  // How many CTAs of this footprint fit on an idle unit (0: none).
  int capacity_for(const CtaFootprint& f) const;
  bool can_host(const CtaFootprint& f) const;
  int resident() const { return resident_; }
  // Runs `cta` of `kernel` from `start`; on_done is called at its end, after resources are freed.
  void launch(const trace::Kernel& kernel, const trace::Cta& cta, Picos start);

  const SmStats& stats() const { return stats_; }
  void set_timeline(timeline::Recorder* timeline) { timeline_ = timeline; }
  Picos mma_duration(const trace::Mma& mma) const;

 private:
  struct CtaRun;     // one resident CTA: its streams' shared state (sm_model.cpp)
  struct StreamRun;  // one stream: where it is in its program and its local time
  // The unit's agenda: runnable streams by local time, and CTAs that have ended (stream null),
  // at their end. `seq` (push order) breaks ties, so the order is deterministic.
  struct Entry {
    Picos t = 0;
    std::uint64_t seq = 0;
    StreamRun* stream = nullptr;
    CtaRun* run = nullptr;
    bool operator>(const Entry& o) const { return t != o.t ? t > o.t : seq > o.seq; }
  };
  enum class Step { kRan, kParked, kEnded };

  void unit_loop();
  bool needs_clock(const Entry& e) const;
  void push(Picos t, StreamRun* stream, CtaRun* run);
  Step step(StreamRun& s);
  void close_open_fill(CtaRun& run, Picos t);
  void wake_ready(CtaRun& run);
  void finish_cta(CtaRun* run, Picos end);
  Picos use_pipe(Picos& busy_until, Picos at, Picos duration, Picos& busy_sum);
  Picos admit_load(Picos at, std::uint64_t bytes);

  int index_;
  SmParams params_;
  l2::L2Cache& l2_;
  DoneFn on_done_;
  std::vector<std::unique_ptr<CtaRun>> runs_;  // the resident CTAs
  std::priority_queue<Entry, std::vector<Entry>, std::greater<>> agenda_;
  std::uint64_t next_seq_ = 0;
  sc_core::sc_event wake_;  // the scheduler's next agenda time, or a CTA launched on this unit
  bool thread_started_ = false;
  int resident_ = 0;
  std::uint64_t smem_used_ = 0;
  int threads_used_ = 0;
  int registers_used_ = 0;
  CtaFootprint resident_footprint_;  // of the running kernel's CTAs (one kernel runs at a time)
  Picos tensor_busy_until_ = 0, vector_busy_until_ = 0, sfu_busy_until_ = 0;
  // Completion times of loads in flight (min-heap) and their bytes.
  std::priority_queue<std::pair<Picos, std::uint64_t>, std::vector<std::pair<Picos, std::uint64_t>>,
                      std::greater<>>
      inflight_;
  std::uint64_t inflight_bytes_ = 0;
  SmStats stats_;
  Picos tensor_latency_ = 0;                // params_.tensor_latency_cycles in picoseconds
  timeline::Recorder* timeline_ = nullptr;  // null: no timeline asked for
};

}  // namespace xpusim::sm
