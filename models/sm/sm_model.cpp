#include "models/sm/sm_model.hpp"

#include <algorithm>
#include <cmath>
#include <limits>

#include "sim/common/error.hpp"
#include "sim/timeline/recorder.hpp"

namespace xpusim::sm {

// Each unit's scheduler runs on its own SystemC coroutine stack. AddressSanitizer's redzones make
// frames several times larger, so sanitizer builds give the coroutine more room
// (docs/hardening.md).
#if defined(__SANITIZE_ADDRESS__)
constexpr std::size_t kUnitStackBytes = 0x40000;
#else
constexpr std::size_t kUnitStackBytes = 0x8000;
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
      on_done_(std::move(on_done)),
      tensor_latency_(static_cast<Picos>(
          std::llround(params_.tensor_latency_cycles * 1e12 / params_.clock_hz))) {}

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

// One stream of a resident CTA, as a resumable state: the unit's scheduler executes it one op at
// a time (`step`) at its local time `t`.
struct SmModel::StreamRun {
  // Loop bookkeeping: where each open loop began, its count and current iteration.
  struct LoopFrame {
    std::size_t begin;  // index of the LOOP_BEGIN op
    std::uint32_t count;
    std::uint32_t iter;
  };
  CtaRun* run = nullptr;
  std::size_t index = 0;  // in the CTA's streams
  const trace::Stream* ops = nullptr;
  std::size_t pc = 0;
  Picos t = 0;
  std::vector<LoopFrame> loops;
  // The last MMA shape and its duration: a loop body repeats the same one.
  trace::Mma last_mma;
  Picos last_mma_time = 0;
  bool have_last_mma = false;
  Picos stores_done = 0;
  // When the results of this stream's MMAs issued so far are readable (wgmma.wait_group 0).
  Picos mma_results = 0;
};

// One resident CTA. With a single stream, program order alone orders loads and waits: a stage's
// pending loads are those issued since its last WAIT_FULL. With several streams (producer and
// consumers), stage s is filled once per phase: the producer's k-th WAIT_EMPTY(s) opens fill k
// (after the consumers' k-1-th RELEASE(s)), the loads that follow belong to it, and the fill is
// complete once the producer moves on to its next WAIT_EMPTY or ends; a consumer's k-th
// WAIT_FULL(s) waits for fill k to be complete and to have landed. With several consumer streams
// (FA3's two warpgroups) each consumes every fill, and the stage is empty again once all of them
// have released it. A stream that passes a barrier it had to wait at goes on at the barrier's
// time (the fill's completion, or the last release) if that is later than its own.
struct SmModel::CtaRun {
  struct Stage {
    Picos ready = 0;           // when the loads of the current fill have landed
    std::uint32_t opened = 0;  // fills opened by the producer
    bool closed = false;       // the current fill's loads have all been issued
    Picos closed_at = 0;       // when the producer completed the current fill
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
  std::vector<StreamRun> streams;

  // A stream parked at a barrier: which one, and for which fill. It is put back on the unit's
  // agenda once its barrier holds.
  enum class Barrier { kNone, kFull, kEmpty };
  struct Blocked {
    Barrier on = Barrier::kNone;
    std::size_t stage = 0;
    std::uint32_t fill = 0;
  };
  std::vector<Blocked> blocked;  // per stream

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
};

SmModel::~SmModel() = default;

void SmModel::launch(const trace::Kernel& kernel, const trace::Cta& cta, Picos start) {
  const CtaFootprint f = footprint(kernel);
  ++resident_;
  smem_used_ += f.smem;
  threads_used_ += f.threads;
  registers_used_ += f.registers;
  resident_footprint_ = f;
  runs_.push_back(std::make_unique<CtaRun>());
  CtaRun* run = runs_.back().get();
  run->kernel = &kernel;
  run->cta = &cta;
  run->start = start;
  run->end = start;
  run->multi = cta.streams.size() > 1;
  run->stages.resize(std::max<std::uint32_t>(kernel.num_stages, 1));
  run->waits.assign(cta.streams.size(), std::vector<std::uint32_t>(run->stages.size(), 0));
  run->streams_left = cta.streams.size();
  run->blocked.resize(cta.streams.size());
  if (run->multi) {
    std::uint32_t consumers = 0;
    for (const auto& stream : cta.streams)
      consumers += std::any_of(stream.begin(), stream.end(), [](const trace::Op& op) {
        return op.opcode == trace::Opcode::kWaitFull;
      });
    run->consumers = std::max<std::uint32_t>(consumers, 1);
  }
  run->streams.resize(cta.streams.size());
  for (std::size_t i = 0; i < cta.streams.size(); ++i) {
    StreamRun& s = run->streams[i];
    s.run = run;
    s.index = i;
    s.ops = &cta.streams[i];
    s.t = s.stores_done = s.mma_results = start;
    push(start, &s, run);
  }
  if (cta.streams.empty()) push(start, nullptr, run);
  if (!thread_started_) {
    thread_started_ = true;
    sc_core::sc_spawn_options opts;
    opts.set_stack_size(kUnitStackBytes);
    sc_core::sc_spawn([this] { unit_loop(); }, nullptr, &opts);
  } else if (sc_core::sc_is_running()) {
    // Wake the scheduler by the CTA's start if it sleeps longer (an earlier pending wake-up
    // stays: sc_event keeps the earliest notification).
    const Picos now = now_picos();
    wake_.notify(to_sc(start > now ? start - now : 0));
  }
}

void SmModel::push(Picos t, StreamRun* stream, CtaRun* run) {
  agenda_.push(Entry{t, next_seq_++, stream, run});
}

void SmModel::unit_loop() {
  // Not `for (;;)`: GCC would infer noreturn and have ASan call __asan_handle_no_return, which
  // aborts on a SystemC coroutine stack (docs/hardening.md). The loop ends only with the
  // simulation.
  while (sc_core::sc_get_status() != sc_core::SC_STOPPED) {
    if (agenda_.empty()) {
      sc_core::wait(wake_);
      continue;
    }
    const Entry top = agenda_.top();
    const Picos now = now_picos();
    // Local work runs ahead of simulated time by up to one quantum. That bound is only needed
    // while a CTA may still be launched here (its streams must not find the pipes booked far
    // ahead): a unit that cannot host another CTA of the running kernel gets none until one of
    // its own CTAs ends, which is an entry on its agenda, so it runs ahead freely.
    const Picos horizon =
        can_host(resident_footprint_) ? now + params_.quantum : std::numeric_limits<Picos>::max();
    if (top.t > (needs_clock(top) ? now : horizon)) {
      // One event for both reasons to wake (this time, or a launch): cheaper in the SystemC
      // kernel than a wait on a time or an event.
      wake_.notify(to_sc(top.t - now));
      sc_core::wait(wake_);
      continue;
    }
    agenda_.pop();
    if (!top.stream) {
      finish_cta(top.run, top.t);
      continue;
    }
    // Run the earliest stream until it parks, ends, another entry is earlier, or it reaches an
    // op that must wait for the clock.
    StreamRun& s = *top.stream;
    while (step(s) == Step::kRan) {
      if (s.t > horizon || (!agenda_.empty() && s.t > agenda_.top().t) ||
          (s.t > now && needs_clock(Entry{s.t, 0, &s, s.run}))) {
        push(s.t, &s, s.run);
        break;
      }
    }
  }
}

// Whether an entry acts on state shared with other units and so runs at its own time rather
// than up to a quantum ahead: a CTA's end (the CTA scheduler frees the slot and launches the next
// CTA) and loads and stores (the L2 and HBM ledgers serve requests in the order they arrive).
// Everything else is local to the unit and is ordered by the agenda alone.
bool SmModel::needs_clock(const Entry& e) const {
  if (!e.stream) return true;
  const trace::Stream& ops = *e.stream->ops;
  if (e.stream->pc >= ops.size()) return false;
  const Opcode op = ops[e.stream->pc].opcode;
  return op == Opcode::kTileLoad || op == Opcode::kTileStore;
}

void SmModel::finish_cta(CtaRun* run, Picos end) {
  const CtaFootprint f = footprint(*run->kernel);
  --resident_;
  smem_used_ -= f.smem;
  threads_used_ -= f.threads;
  registers_used_ -= f.registers;
  stats_.resident_time += end - run->start;
  if (timeline_) timeline_->cta(index_, run->kernel->name, run->cta->id, run->start, end);
  ++stats_.ctas;
  std::erase_if(runs_, [run](const std::unique_ptr<CtaRun>& r) { return r.get() == run; });
  on_done_(index_, end);
}

void SmModel::close_open_fill(CtaRun& run, Picos t) {
  if (run.open_stage < 0) return;
  auto& st = run.stages[run.open_stage];
  st.closed = true;
  st.closed_at = t;
  run.open_stage = -1;
  wake_ready(run);
}

// Puts back on the agenda the parked streams whose barrier holds now. The conditions only ever
// become true (a stage is refilled only after its waiting consumers released it), so a woken
// stream's barrier still holds when it runs.
void SmModel::wake_ready(CtaRun& run) {
  for (std::size_t i = 0; i < run.blocked.size(); ++i) {
    CtaRun::Blocked& b = run.blocked[i];
    if (b.on == CtaRun::Barrier::kNone || !run.holds(b)) continue;
    b.on = CtaRun::Barrier::kNone;
    push(run.streams[i].t, &run.streams[i], &run);
  }
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

// Executes the op at `s.pc` at the stream's local time. A barrier that does not hold yet parks
// the stream at that op (it is executed again once woken); the end of the program ends the
// stream.
SmModel::Step SmModel::step(StreamRun& s) {
  CtaRun& run = *s.run;
  const trace::Stream& ops = *s.ops;
  Picos& t = s.t;
  if (s.pc >= ops.size()) {
    close_open_fill(run, t);
    run.end = std::max({run.end, t, s.stores_done});
    if (--run.streams_left == 0) push(run.end, nullptr, &run);
    return Step::kEnded;
  }
  auto park = [&](CtaRun::Barrier on, std::size_t stage, std::uint32_t fill) {
    run.blocked[s.index] = CtaRun::Blocked{on, stage, fill};
    return Step::kParked;
  };
  const double cycle_ps = 1e12 / params_.clock_hz;
  auto& stages = run.stages;
  const trace::Op& op = ops[s.pc];
  const std::uint32_t iter = s.loops.empty() ? 0 : s.loops.back().iter;
  auto stage_of = [&](std::uint32_t base) { return (iter + base) % stages.size(); };
  auto box_at = [&](const trace::Box& b) {
    return l2::BoxAccess{
        b.addr + static_cast<std::uint64_t>(static_cast<std::int64_t>(iter) * b.addr_step), b.rows,
        b.row_bytes, b.row_stride};
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
      const std::size_t stage = stage_of(op.stage.stage_base);
      auto& st = stages[stage];
      if (run.multi) {
        const std::uint32_t fill = run.waits[s.index][stage];
        if (!run.full(stage, fill)) return park(CtaRun::Barrier::kFull, stage, fill);
        ++run.waits[s.index][stage];
        t = std::max(t, st.closed_at);
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
      close_open_fill(run, t);
      const std::size_t stage = stage_of(op.stage.stage_base);
      auto& st = stages[stage];
      const std::uint32_t fill = st.opened;
      if (!run.empty(stage, fill)) return park(CtaRun::Barrier::kEmpty, stage, fill);
      if (fill > 0) t = std::max(t, st.released_at);
      ++st.opened;
      st.closed = false;
      st.ready = 0;
      run.open_stage = static_cast<int>(stage);
      break;
    }
    case Opcode::kRelease: {
      auto& st = stages[stage_of(op.stage.stage_base)];
      ++st.released;
      st.released_at = std::max(st.released_at, t);
      wake_ready(run);
      break;
    }
    case Opcode::kMma: {
      stats_.mma_flops += 2ull * op.mma.m * op.mma.n * op.mma.k;
      if (!s.have_last_mma || !(op.mma == s.last_mma)) {
        s.last_mma = op.mma;
        s.last_mma_time = mma_duration(op.mma);
        s.have_last_mma = true;
      }
      t = use_pipe(tensor_busy_until_, t, s.last_mma_time, stats_.tensor_busy);
      if (timeline_) timeline_->sm_phase(index_, timeline::SmPhase::kMma, t - s.last_mma_time, t);
      s.mma_results = t + tensor_latency_;
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
      t = std::max(t, s.mma_results);
      const double cycles = static_cast<double>(op.sfu.elements) / params_.sfu_ops_per_clock;
      const auto busy = static_cast<Picos>(std::ceil(cycles * cycle_ps));
      t = use_pipe(sfu_busy_until_, t, busy, stats_.sfu_busy);
      if (timeline_) timeline_->sm_phase(index_, timeline::SmPhase::kSfu, t - busy, t);
      break;
    }
    case Opcode::kTileStore: {
      const l2::BoxAccess box = box_at(op.store.box);
      const Picos accepted = l2_.write(box, t, index_);
      s.stores_done = std::max(s.stores_done, accepted);
      if (timeline_) timeline_->sm_phase(index_, timeline::SmPhase::kStore, t, accepted);
      stats_.store_bytes += box.bytes();
      break;
    }
    case Opcode::kLoopBegin:
      if (op.loop.count == 0) {
        // Skip to the matching LOOP_END.
        int depth = 1;
        while (depth > 0 && ++s.pc < ops.size())
          depth += ops[s.pc].opcode == Opcode::kLoopBegin ? 1
                   : ops[s.pc].opcode == Opcode::kLoopEnd ? -1
                                                          : 0;
      } else {
        s.loops.push_back(StreamRun::LoopFrame{s.pc, op.loop.count, 0});
      }
      break;
    case Opcode::kLoopEnd:
      if (++s.loops.back().iter < s.loops.back().count)
        s.pc = s.loops.back().begin;
      else
        s.loops.pop_back();
      break;
    case Opcode::kSync:
      break;  // the trace emitters order streams with stage barriers; SYNC adds nothing yet
  }
  ++s.pc;
  return Step::kRan;
}

}  // namespace xpusim::sm
