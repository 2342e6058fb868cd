#include "models/sm/sm_model.hpp"

#include <algorithm>
#include <cmath>
#include <deque>

#include "sim/common/error.hpp"
#include "sim/timeline/recorder.hpp"

namespace xpusim::sm {

// Each stream runs on its own SystemC coroutine stack. AddressSanitizer's redzones make frames
// several times larger, so sanitizer builds give the coroutines more room (docs/hardening.md).
#if defined(__SANITIZE_ADDRESS__)
constexpr std::size_t kSlotStackBytes = 0x40000;
#else
constexpr std::size_t kSlotStackBytes = 0x8000;
#endif
namespace {

using trace::Opcode;

// The platform keeps SystemC's default 1 ps resolution, so picoseconds are the raw time value
// (from_value skips the floating-point scaling of the unit constructor; same result).
sc_core::sc_time to_sc(Picos p) {
  return sc_core::sc_time::from_value(static_cast<sc_dt::uint64>(p));
}
Picos now_picos() {
  return static_cast<Picos>(sc_core::sc_time_stamp().value());
}

std::uint32_t round_up(std::uint32_t v, std::uint32_t g) {
  return g ? (v + g - 1) / g * g : v;
}

// Loop bookkeeping of a stream: where each open loop began, its count and current iteration.
struct LoopFrame {
  std::size_t begin;  // index of the LOOP_BEGIN op
  std::uint32_t count;
  std::uint32_t iter;
};

}  // namespace

CtaFootprint footprint(const trace::Kernel& k) {
  return CtaFootprint{k.smem_bytes_per_cta, static_cast<int>(k.threads_per_cta),
                      static_cast<int>(k.threads_per_cta * k.registers_per_thread)};
}

SmModel::SmModel(sc_core::sc_module_name name, int index, const SmParams& params, l2::L2Cache& l2,
                 DoneFn on_done)
    : sc_core::sc_module(name),
      index_(index),
      params_(params),
      l2_(l2),
      on_done_(std::move(on_done)) {}

int ctas_per_unit(const SmParams& p, const CtaFootprint& f) {
  int n = p.max_ctas;
  if (f.smem > 0) n = std::min<int>(n, static_cast<int>(p.smem_bytes / f.smem));
  if (f.threads > 0) n = std::min(n, p.max_threads / f.threads);
  if (f.registers > 0) n = std::min(n, p.registers / f.registers);
  return std::max(n, 0);
}

int SmModel::capacity_for(const CtaFootprint& f) const {
  return ctas_per_unit(params_, f);
}

bool SmModel::can_host(const CtaFootprint& f) const {
  return resident_ < params_.max_ctas && smem_used_ + f.smem <= params_.smem_bytes &&
         threads_used_ + f.threads <= params_.max_threads &&
         registers_used_ + f.registers <= params_.registers;
}

// One resident CTA. With a single stream, program order alone orders loads and waits: a stage's
// pending loads are those issued since its last WAIT_FULL. With several streams (producer and
// consumers), stage s is filled once per phase: the producer's k-th WAIT_EMPTY(s) opens fill k
// (after the consumers' k-1-th RELEASE(s)), the loads that follow belong to it, and the fill is
// complete once the producer moves on to its next WAIT_EMPTY or ends; a consumer's k-th
// WAIT_FULL(s) waits for fill k to be complete and to have landed. With several consumer streams
// (FA3's two warpgroups) each consumes every fill, and the stage is empty again once all of them
// have released it.
struct SmModel::CtaRun {
  struct Stage {
    Picos ready = 0;           // when the loads of the current fill have landed
    std::uint32_t opened = 0;  // fills opened by the producer
    bool closed = false;       // the current fill's loads have all been issued
    std::uint32_t released = 0;
    Picos released_at = 0;
  };
  const trace::Kernel* kernel = nullptr;
  const trace::Cta* cta = nullptr;
  Picos start = 0;
  bool multi = false;
  std::vector<Stage> stages;
  std::vector<std::vector<std::uint32_t>> waits;  // per stream: WAIT_FULLs done per stage
  int open_stage = -1;                            // the producer's fill still taking loads
  std::uint32_t consumers = 1;  // streams that WAIT_FULL: each must RELEASE a fill
  std::size_t streams_left = 0;
  Picos end = 0;  // latest stream end or store acceptance

  // A stream blocked at a barrier: which one, and for which fill. When another stream makes
  // progress only the streams whose barrier now holds are woken (each has its own event).
  enum class Barrier { kNone, kFull, kEmpty };
  struct Blocked {
    Barrier on = Barrier::kNone;
    std::size_t stage = 0;
    std::uint32_t fill = 0;
  };
  std::vector<Blocked> blocked;        // per stream
  std::deque<sc_core::sc_event> wake;  // per stream (events cannot move, so not a vector)

  // Fill `fill` of stage `s` is complete (its loads may still be landing).
  bool full(std::size_t s, std::uint32_t fill) const {
    return stages[s].opened > fill && stages[s].closed;
  }
  // Every consumer has released the fills of stage `s` before `fill`.
  bool empty(std::size_t s, std::uint32_t fill) const {
    return stages[s].released >= fill * consumers;
  }
  bool holds(const Blocked& b) const {
    return b.on == Barrier::kFull ? full(b.stage, b.fill) : empty(b.stage, b.fill);
  }
  // Wakes the blocked streams whose barrier holds now. The conditions only ever become true (a
  // stage is refilled only after its waiting consumers released it), so a woken stream's
  // barrier still holds when it runs.
  void wake_ready() {
    for (std::size_t i = 0; i < blocked.size(); ++i) {
      if (blocked[i].on == Barrier::kNone || !holds(blocked[i])) continue;
      blocked[i].on = Barrier::kNone;
      wake[i].notify();
    }
  }
};

void SmModel::launch(const trace::Kernel& kernel, const trace::Cta& cta, Picos start) {
  const CtaFootprint f = footprint(kernel);
  ++resident_;
  smem_used_ += f.smem;
  threads_used_ += f.threads;
  registers_used_ += f.registers;
  auto* run = new CtaRun;
  run->kernel = &kernel;
  run->cta = &cta;
  run->start = start;
  run->end = start;
  run->multi = cta.streams.size() > 1;
  run->stages.resize(std::max<std::uint32_t>(kernel.num_stages, 1));
  run->waits.assign(cta.streams.size(), std::vector<std::uint32_t>(run->stages.size(), 0));
  run->streams_left = cta.streams.size();
  run->blocked.resize(cta.streams.size());
  run->wake.resize(cta.streams.size());
  if (run->multi) {
    std::uint32_t consumers = 0;
    for (const auto& stream : cta.streams)
      consumers += std::any_of(stream.begin(), stream.end(), [](const trace::Op& op) {
        return op.opcode == trace::Opcode::kWaitFull;
      });
    run->consumers = std::max<std::uint32_t>(consumers, 1);
  }
  for (std::size_t i = 0; i < cta.streams.size(); ++i) assign(Job{run, i});
}

void SmModel::assign(const Job& job) {
  for (auto& s : slots_) {
    if (s->busy) continue;
    s->busy = true;
    s->job = job;
    s->wake.notify(sc_core::SC_ZERO_TIME);
    return;
  }
  slots_.push_back(std::make_unique<Slot>());
  Slot* slot = slots_.back().get();
  slot->busy = true;
  slot->job = job;
  sc_core::sc_spawn_options opts;
  opts.set_stack_size(kSlotStackBytes);
  sc_core::sc_spawn([this, slot] { slot_loop(slot); }, nullptr, &opts);
}

void SmModel::slot_loop(Slot* slot) {
  // Not `for (;;)`: GCC would infer noreturn and have ASan call __asan_handle_no_return, which
  // aborts on a SystemC coroutine stack (docs/hardening.md). The loop ends only with the
  // simulation.
  while (sc_core::sc_get_status() != sc_core::SC_STOPPED) {
    while (!slot->busy) sc_core::wait(slot->wake);
    const Job job = slot->job;
    const Picos end = run_stream(*job.run, job.stream);
    CtaRun* run = job.run;
    run->end = std::max(run->end, end);
    slot->busy = false;
    if (--run->streams_left == 0) finish_cta(run, run->end);
  }
}

void SmModel::finish_cta(CtaRun* run, Picos end) {
  sync_to(end);
  const CtaFootprint f = footprint(*run->kernel);
  --resident_;
  smem_used_ -= f.smem;
  threads_used_ -= f.threads;
  registers_used_ -= f.registers;
  stats_.resident_time += end - run->start;
  if (timeline_) timeline_->cta(index_, run->kernel->name, run->cta->id, run->start, end);
  ++stats_.ctas;
  delete run;
  on_done_(index_, end);
}

Picos SmModel::sync_to(Picos t) {
  const Picos now = now_picos();
  if (t <= now) return now;
  sc_core::wait(to_sc(t - now));
  return now_picos();
}

Picos SmModel::use_pipe(Picos& busy_until, Picos at, Picos duration, Picos& busy_sum) {
  const Picos start = std::max(at, busy_until);
  busy_until = start + duration;
  busy_sum += duration;
  return busy_until;
}

Picos SmModel::admit_load(Picos at, std::uint64_t bytes) {
  // Retire loads that have landed; wait for more to land while the new one would not fit.
  while (!inflight_.empty() &&
         (inflight_.top().first <= at || inflight_bytes_ + bytes > params_.inflight_bytes)) {
    at = std::max(at, inflight_.top().first);
    inflight_bytes_ -= inflight_.top().second;
    inflight_.pop();
  }
  return at;
}

Picos SmModel::mma_duration(const trace::Mma& mma) const {
  const double rate = params_.tensor_flops_per_clock[static_cast<int>(mma.dtype)];
  // The tensor instruction computes whole fragments: pad to its granularity.
  const std::uint32_t k_gran = std::max(4, 256 / dtype_bits(mma.dtype));
  auto padded_flops = [&](int rows) {
    return 2.0 * round_up(mma.m, rows) * round_up(mma.n, 8) * round_up(mma.k, k_gran);
  };
  double seconds = padded_flops(params_.mma_m_granularity) / rate / params_.clock_hz;
  if (params_.mma_sync_rows > 0)
    seconds = std::min(seconds, padded_flops(params_.mma_sync_rows) /
                                    (rate * params_.mma_sync_rate) / params_.clock_hz);
  return static_cast<Picos>(std::ceil(seconds * 1e12));
}

Picos SmModel::run_stream(CtaRun& run, std::size_t stream) {
  const trace::Stream& ops = run.cta->streams[stream];
  // Simulated time moves only while this thread waits; `now` is refreshed after every wait.
  Picos now = sync_to(run.start);
  Picos t = run.start;
  // The last MMA shape and its duration: a loop body repeats the same one.
  trace::Mma last_mma;
  Picos last_mma_time = 0;
  bool have_last_mma = false;
  Picos stores_done = t;
  // When the results of this stream's MMAs issued so far are readable (wgmma.wait_group 0).
  Picos mma_results = t;
  const auto tensor_latency =
      static_cast<Picos>(std::llround(params_.tensor_latency_cycles * 1e12 / params_.clock_hz));
  std::vector<LoopFrame> loops;
  const double cycle_ps = 1e12 / params_.clock_hz;
  auto& stages = run.stages;
  // Blocks this stream until fill `fill` of stage `s` is full or empty (`on`). It sleeps at the
  // present simulated time without first catching up with its own run-ahead time `t`: what it
  // waits for is a fill or a release, whose time the barrier itself carries (landed loads,
  // released_at), so a timed wait before it would only cost a context switch.
  auto block_until = [&](CtaRun::Barrier on, std::size_t s, std::uint32_t fill) {
    const CtaRun::Blocked b{on, s, fill};
    if (run.holds(b)) return;
    run.blocked[stream] = b;
    sc_core::wait(run.wake[stream]);
    now = now_picos();
    t = std::max(t, now);
  };
  auto close_open_fill = [&] {
    if (run.open_stage >= 0) {
      stages[run.open_stage].closed = true;
      run.open_stage = -1;
      run.wake_ready();
    }
  };

  for (std::size_t pc = 0; pc < ops.size(); ++pc) {
    const trace::Op& op = ops[pc];
    const std::uint32_t iter = loops.empty() ? 0 : loops.back().iter;
    auto stage_of = [&](std::uint32_t base) { return (iter + base) % stages.size(); };
    auto box_at = [&](const trace::Box& b) {
      return l2::BoxAccess{
          b.addr + static_cast<std::uint64_t>(static_cast<std::int64_t>(iter) * b.addr_step),
          b.rows, b.row_bytes, b.row_stride};
    };
    switch (op.opcode) {
      case Opcode::kTileLoad: {
        const l2::BoxAccess box = box_at(op.load.box);
        const std::uint64_t bytes = box.bytes();
        const Picos issue = admit_load(t, bytes);
        const Picos landed = l2_.read(box, issue, op.load.multicast, index_);
        inflight_.emplace(landed, bytes);
        inflight_bytes_ += bytes;
        auto& st = stages[stage_of(op.load.stage_base)];
        st.ready = std::max(st.ready, landed);
        stats_.load_bytes += bytes;
        if (timeline_) timeline_->sm_phase(index_, timeline::SmPhase::kLoad, issue, landed);
        t = issue;
        break;
      }
      case Opcode::kWaitFull: {
        const Picos waits_from = t;
        const std::size_t s = stage_of(op.stage.stage_base);
        auto& st = stages[s];
        if (run.multi) {
          const std::uint32_t fill = run.waits[stream][s]++;
          block_until(CtaRun::Barrier::kFull, s, fill);
        }
        if (st.ready > t) {
          stats_.load_wait += st.ready - t;
          t = st.ready;
        }
        if (!run.multi) st.ready = 0;  // the next loads to this stage start a new fill
        if (timeline_) timeline_->sm_phase(index_, timeline::SmPhase::kLoadWait, waits_from, t);
        break;
      }
      case Opcode::kWaitEmpty: {
        close_open_fill();
        const std::size_t s = stage_of(op.stage.stage_base);
        auto& st = stages[s];
        const std::uint32_t fill = st.opened;
        block_until(CtaRun::Barrier::kEmpty, s, fill);
        if (fill > 0) t = std::max(t, st.released_at);
        ++st.opened;
        st.closed = false;
        st.ready = 0;
        run.open_stage = static_cast<int>(s);
        break;
      }
      case Opcode::kRelease: {
        auto& st = stages[stage_of(op.stage.stage_base)];
        ++st.released;
        st.released_at = std::max(st.released_at, t);
        run.wake_ready();
        break;
      }
      case Opcode::kMma: {
        stats_.mma_flops += 2ull * op.mma.m * op.mma.n * op.mma.k;
        if (!have_last_mma || !(op.mma == last_mma)) {
          last_mma = op.mma;
          last_mma_time = mma_duration(op.mma);
          have_last_mma = true;
        }
        t = use_pipe(tensor_busy_until_, t, last_mma_time, stats_.tensor_busy);
        if (timeline_) timeline_->sm_phase(index_, timeline::SmPhase::kMma, t - last_mma_time, t);
        mma_results = t + tensor_latency;
        break;
      }
      case Opcode::kVector: {
        const double rate = op.vector.dtype == DType::kFp64 ? params_.vector_fp64_flops_per_clock
                                                            : params_.vector_fp32_flops_per_clock;
        const double cycles = static_cast<double>(op.vector.elements) *
                              std::max<std::uint32_t>(op.vector.flops_per_element, 1) / rate;
        const auto busy = static_cast<Picos>(std::ceil(cycles * cycle_ps));
        t = use_pipe(vector_busy_until_, t, busy, stats_.vector_busy);
        if (timeline_) timeline_->sm_phase(index_, timeline::SmPhase::kVector, t - busy, t);
        break;
      }
      case Opcode::kSfu: {
        // The exponentials read the scores from the MMA accumulator: they wait for the result.
        // (Only SFU work waits: a GEMM epilogue's vector work and stores do not, see the doc.)
        t = std::max(t, mma_results);
        const double cycles = static_cast<double>(op.sfu.elements) / params_.sfu_ops_per_clock;
        const auto busy = static_cast<Picos>(std::ceil(cycles * cycle_ps));
        t = use_pipe(sfu_busy_until_, t, busy, stats_.sfu_busy);
        if (timeline_) timeline_->sm_phase(index_, timeline::SmPhase::kSfu, t - busy, t);
        break;
      }
      case Opcode::kTileStore: {
        const l2::BoxAccess box = box_at(op.store.box);
        const Picos accepted = l2_.write(box, t, index_);
        stores_done = std::max(stores_done, accepted);
        if (timeline_) timeline_->sm_phase(index_, timeline::SmPhase::kStore, t, accepted);
        stats_.store_bytes += box.bytes();
        break;
      }
      case Opcode::kLoopBegin:
        if (op.loop.count == 0) {
          // Skip to the matching LOOP_END.
          int depth = 1;
          while (depth > 0 && ++pc < ops.size())
            depth += ops[pc].opcode == Opcode::kLoopBegin ? 1
                     : ops[pc].opcode == Opcode::kLoopEnd ? -1
                                                          : 0;
        } else {
          loops.push_back(LoopFrame{pc, op.loop.count, 0});
        }
        break;
      case Opcode::kLoopEnd:
        if (++loops.back().iter < loops.back().count)
          pc = loops.back().begin;
        else
          loops.pop_back();
        break;
      case Opcode::kSync:
        break;  // the trace emitters order streams with stage barriers; SYNC adds nothing yet
    }
    // Temporal decoupling: run ahead at most one quantum.
    if (t > now + params_.quantum) now = sync_to(t);
  }
  close_open_fill();
  const Picos end = std::max(t, stores_done);
  sync_to(end);
  return end;
}

}  // namespace xpusim::sm
