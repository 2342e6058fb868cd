#include "models/hbm/hbm_model.hpp"

#include <fmt/format.h>

#include <algorithm>
#include <array>
#include <bit>
#include <utility>

#include "sim/common/error.hpp"
#include "sim/timeline/recorder.hpp"

// Address mapping (physical address -> pseudo-channel, bank group, bank, row, column).
//
// With I = interleave_bytes, P = pseudo-channels in all stacks, G = bank groups, B = banks per
// group and R = row_bytes / I (interleave chunks per row of one bank):
//
//   chunk = addr / I              offset = addr % I (the bursts of one run)
//   slot  = chunk % P             local  = chunk / P   (chunk index inside one pseudo-channel)
//   g0    = local % G             consecutive chunks of a pseudo-channel go to different bank
//                                 groups, so a stream alternates groups and pays tCCD_S, not tCCD_L
//   col   = (local / G) % R       then the columns of one row
//   b0    = (local / G / R) % B   then the next bank of each group (consecutive rows -> banks)
//   row   = local / G / R / B
//   pc         = (slot + fold(local)) % P
//   bank_group = (g0 + fold(row)) % G
//   bank       = (b0 + fold(row) / G) % B
//
// fold() hashes the upper bits (a strong mix, see below). Adding it modulo the count keeps the
// mapping a bijection for any count (P is 160 on a 5-stack part, not a power of two) while a
// stride that is a multiple of P * I (the rows of a matrix tile) still walks over pseudo-channels,
// and arrays whose bases differ by a power of two land on different banks. Pseudo-channels are
// numbered stack-major: pc = (stack * channels + channel) * pseudo_channels + pseudo_channel.
//
// Scheduling (see docs/hbm-model.md): each pseudo-channel's data bus is a packed busy-until
// cursor; the bank side (ACT/PRE/tRRD/tFAW/tCCD_L, per-bank refresh) is timed on its own, and a
// run's data ends at the later of the two. The bus is never held for a bank that is not ready: the
// controller is assumed to have other queued work for other banks, as an FR-FCFS controller with a
// deep queue does. Bus time the bank side really costs shows up when the actual data frontier runs
// ahead of the packed bus cursor.

namespace xpusim::hbm {
namespace {

// A strong mix of the upper address bits (splitmix64's finaliser), kept to 32 bits. A weak fold
// (a few shifted XORs) left strided tiles camping on a fraction of the pseudo-channels whenever
// the channel count shared a large power of two with the stride (192 or 256 channels against a
// 16 KiB row stride), which made a 6-stack part slower than a 5-stack one.
std::uint64_t fold(std::uint64_t x) {
  x += 0x9E3779B97F4A7C15ull;
  x = (x ^ (x >> 30)) * 0xBF58476D1CE4E5B9ull;
  x = (x ^ (x >> 27)) * 0x94D049BB133111EBull;
  x ^= x >> 31;
  return x >> 32;
}

}  // namespace

HbmModel::HbmModel(const HbmConfig& config) : config_(config) {
  config_.validate();
  const HbmTiming& t = config_.timing;
  num_pcs_ = config_.pseudo_channel_count();
  banks_per_pc_ = static_cast<std::uint32_t>(config_.banks_per_pseudo_channel());
  burst_bytes_ = config_.burst_bytes();
  chunks_per_row_ = config_.row_bytes / config_.interleave_bytes;
  pcs_div_ = Divisor(static_cast<std::uint64_t>(num_pcs_));
  const std::uint64_t interleave = config_.interleave_bytes;
  const auto groups = static_cast<std::uint64_t>(config_.bank_groups);
  const auto per_group = static_cast<std::uint64_t>(config_.banks_per_group);
  const std::uint64_t groups_rows = groups * chunks_per_row_;
  mapping_ = {Divisor(interleave), Divisor(groups), Divisor(per_group), Divisor(groups_rows),
              Divisor(burst_bytes_)};
  if (std::has_single_bit(interleave) && std::has_single_bit(groups) &&
      std::has_single_bit(per_group) && std::has_single_bit(groups_rows) &&
      std::has_single_bit(burst_bytes_)) {
    pow2_mapping_ = {Pow2Divisor(interleave), Pow2Divisor(groups), Pow2Divisor(per_group),
                     Pow2Divisor(groups_rows), Pow2Divisor(burst_bytes_)};
  }
  burst_time_ = config_.burst_time();
  slot_time_ = std::max(burst_time_, t.tCCD_S);
  ccd_l_ = std::max(slot_time_, t.tCCD_L);

  const auto pcs = static_cast<std::uint64_t>(num_pcs_);
  pcs_.resize(pcs);
  banks_.resize(pcs * banks_per_pc_);
  closed_rows_.resize(banks_.size());
  max_reordered_bursts_ = static_cast<std::uint32_t>(config_.row_bytes / burst_bytes_);
  bank_groups_per_pc_ = static_cast<std::uint32_t>(config_.bank_groups);
  bank_groups_.resize(pcs * bank_groups_per_pc_);
  for (std::uint64_t p = 0; p < pcs; ++p) {
    pcs_[p].refresh_due = t.tREFI + t.tREFI / pcs * p;   // staggered over pseudo-channels
    for (std::uint64_t b = 0; b < banks_per_pc_; ++b) {  // and over the banks of one
      banks_[p * banks_per_pc_ + b].refresh_due =
          t.tREFI + t.tREFI / banks_per_pc_ * b + t.tREFI / (banks_per_pc_ * pcs) * p;
    }
  }
}

void HbmModel::check_range(std::uint64_t addr, std::uint64_t bytes) const {
  if (addr >= config_.capacity_bytes || bytes > config_.capacity_bytes - addr) {
    throw UserError(fmt::format("hbm: access [{:#x}, +{}) is outside the {} B memory", addr, bytes,
                                config_.capacity_bytes));
  }
}

template <typename Div>
HbmModel::Run HbmModel::decode(const Mapping<Div>& m, std::uint64_t addr,
                               std::uint64_t bytes) const {
  const std::uint64_t chunk = m.interleave.div(addr);
  const std::uint64_t offset = m.interleave.mod(addr);
  const std::uint64_t local = pcs_div_.div(chunk);
  const std::uint64_t slot = chunk - local * pcs_div_.value();
  const std::uint64_t above_columns = m.groups_rows.div(local);
  const std::uint64_t row = m.per_group.div(above_columns);
  const std::uint64_t hash = fold(row);
  Run run;
  run.pc = static_cast<std::uint32_t>(pcs_div_.mod(slot + fold(local)));
  run.bank_group = static_cast<std::uint32_t>(m.groups.mod(m.groups.mod(local) + hash));
  run.bank = run.bank_group * static_cast<std::uint32_t>(m.per_group.value()) +
             static_cast<std::uint32_t>(
                 m.per_group.mod(m.per_group.mod(above_columns) + m.groups.div(hash)));
  run.row = row;
  run.bursts =
      static_cast<std::uint32_t>(m.burst.div(offset + bytes - 1) - m.burst.div(offset) + 1);
  return run;
}

HbmLocation HbmModel::locate(std::uint64_t addr) const {
  check_range(addr, 1);
  const Run run = decode(mapping_, addr, 1);
  const std::uint64_t local =
      addr / config_.interleave_bytes / static_cast<std::uint64_t>(num_pcs_);
  const std::uint64_t col_chunk =
      local / static_cast<std::uint64_t>(config_.bank_groups) % chunks_per_row_;
  HbmLocation loc;
  loc.pseudo_channel = static_cast<int>(run.pc);
  loc.stack =
      loc.pseudo_channel / (config_.channels_per_stack * config_.pseudo_channels_per_channel);
  loc.bank_group = static_cast<int>(run.bank_group);
  loc.bank = static_cast<int>(run.bank) % config_.banks_per_group;
  loc.row = run.row;
  loc.column =
      (col_chunk * config_.interleave_bytes + addr % config_.interleave_bytes) / burst_bytes_;
  return loc;
}

template <typename F>
void HbmModel::for_each_run(std::uint64_t addr, std::uint64_t bytes, F&& f) const {
  if (pow2_mapping_)
    for_each_run(*pow2_mapping_, addr, bytes, f);
  else
    for_each_run(mapping_, addr, bytes, f);
}

template <typename Div, typename F>
void HbmModel::for_each_run(const Mapping<Div>& m, std::uint64_t addr, std::uint64_t bytes,
                            F&& f) const {
  const std::uint64_t interleave = m.interleave.value();
  const std::uint64_t end = addr + bytes;
  while (addr < end) {
    const std::uint64_t piece = std::min(end, (m.interleave.div(addr) + 1) * interleave) - addr;
    f(decode(m, addr, piece));
    addr += piece;
  }
}

void HbmModel::prefetch(const Run& run) const {
#if defined(__GNUC__)
  const std::uint64_t pc = run.pc;
  __builtin_prefetch(&pcs_[pc]);
  __builtin_prefetch(&banks_[pc * banks_per_pc_ + run.bank]);
  __builtin_prefetch(&bank_groups_[pc * bank_groups_per_pc_ + run.bank_group]);
#else
  (void)run;
#endif
}

// Bursts scheduled: their bus time, and the bank stall of a slot longer than a burst (tCCD_S).
// Summed per request rather than per run; the totals are the same.
void HbmModel::count_bursts(std::uint64_t bursts) {
  stats_.bursts += bursts;
  stats_.data_transfer += bursts * burst_time_;
  stats_.bank_stall += bursts * (slot_time_ - burst_time_);
}

void HbmModel::charge(Cause cause, Picos amount) {
  switch (cause) {
    case Cause::kIdle:
      stats_.idle += amount;
      break;
    case Cause::kRefresh:
      stats_.refresh_blocked += amount;
      break;
    case Cause::kTurnaround:
      stats_.turnaround += amount;
      break;
    case Cause::kBank:
      stats_.bank_stall += amount;
      break;
  }
}

// Splits the bus gap [bus_free, start): first what a refresh or a direction change holds it for,
// then what is left because the request was not there yet. Of that, the stretch in which earlier
// data was still arriving late from the banks (frontier ahead of the packed cursor) is charged to
// the banks (or per-bank refresh): requests were not coming because they were stuck there.
void HbmModel::charge_gap(Pc& pc, Picos start, Picos refresh_bound, Picos turn_bound) {
  Picos cur = pc.bus_free;
  if (start <= cur) return;
  const auto take = [&](Picos bound, Cause cause) {
    const Picos upto = std::min(bound, start);
    if (upto > cur) {
      charge(cause, upto - cur);
      cur = upto;
    }
  };
  // In time order; on a tie the second bound has nothing left to take.
  if (turn_bound < refresh_bound) {
    take(turn_bound, Cause::kTurnaround);
    take(refresh_bound, Cause::kRefresh);
  } else {
    take(refresh_bound, Cause::kRefresh);
    take(turn_bound, Cause::kTurnaround);
  }
  if (pc.frontier > cur && start > cur) {
    const Picos upto = std::min(pc.frontier, start);
    charge(pc.frontier_cause, upto - cur);
    cur = upto;
  }
  if (start > cur) charge(Cause::kIdle, start - cur);
}

// All-bank refresh due before `until` (the end of the run about to be scheduled). The
// pseudo-channel precharges its open rows (tRP) at the bus position and stops for tRFC. A bank
// whose queued work runs past that point (it lags the bus) keeps its order: its work and its
// refresh come tRFC later. Returns when the bus may carry data again.
Picos HbmModel::refresh_pseudo_channel(Pc& pc, std::uint32_t index, Picos until) {
  const HbmTiming& t = config_.timing;
  if (pc.refresh_due >= until) return 0;
  Bank* banks = &banks_[static_cast<std::uint64_t>(index) * banks_per_pc_];
  const Picos skip = (until - 1 - pc.refresh_due) / t.tREFI;  // all but the last one due
  if (skip > 0 && pc.bus_free <= pc.refresh_due) {            // fell in an idle stretch
    if (timeline_)
      timeline_->hbm_refresh(timeline_first_channel_ + static_cast<int>(index), -1, pc.refresh_due,
                             t.tREFI, skip, t.tRFC);
    stats_.refreshes += skip;
    pc.refresh_due += skip * t.tREFI;
  }
  Picos end = 0;
  while (pc.refresh_due < until) {
    bool any_open = false;
    for (std::uint32_t b = 0; b < banks_per_pc_; ++b) any_open |= banks[b].open_row != kClosed;
    const Picos refresh = std::max({pc.refresh_due, pc.bus_free, end}) + (any_open ? t.tRP : 0);
    end = refresh + t.tRFC;
    if (timeline_)
      timeline_->hbm_refresh(timeline_first_channel_ + static_cast<int>(index), -1, refresh, 0, 1,
                             t.tRFC);
    for (std::uint32_t b = 0; b < banks_per_pc_; ++b) {
      Bank& bank = banks[b];
      const Picos free = bank.open_row == kClosed ? bank.ready : bank.pre_ok + t.tRP;
      bank.ready = free > refresh ? free + t.tRFC : end;
      bank.open_row = kClosed;
      closed_rows_[static_cast<std::uint64_t>(index) * banks_per_pc_ + b] = {};
    }
    pc.refresh_due += t.tREFI;
    ++stats_.refreshes;
  }
  return end;
}

// Per-bank refresh due by `until` (when this bank's next column command would go): the bank
// closes its row and stops for tRFCpb once it is free. Returns whether one happened.
bool HbmModel::refresh_bank(Bank& bank, Picos until) {
  const HbmTiming& t = config_.timing;
  if (bank.refresh_due > until) return false;
  Picos busy = bank.open_row == kClosed ? bank.ready : bank.pre_ok + t.tRP;
  const Picos skip = (until - bank.refresh_due) / t.tREFI;  // all but the last one due
  const auto record = [&](Picos first, Picos period, std::uint64_t count) {  // timeline only
    const auto i = static_cast<std::uint64_t>(&bank - banks_.data());
    timeline_->hbm_refresh(timeline_first_channel_ + static_cast<int>(i / banks_per_pc_),
                           static_cast<int>(i % banks_per_pc_), first, period, count, t.tRFCpb);
  };
  if (skip > 0 && busy <= bank.refresh_due) {  // fell in an idle stretch
    if (timeline_) record(bank.refresh_due, t.tREFI, skip);
    stats_.refreshes += skip;
    bank.refresh_due += skip * t.tREFI;
    busy = bank.refresh_due - t.tREFI + t.tRFCpb;
  }
  while (bank.refresh_due <= until) {
    busy = std::max(bank.refresh_due, busy) + t.tRFCpb;
    if (timeline_) record(busy - t.tRFCpb, 0, 1);
    bank.refresh_due += t.tREFI;
    ++stats_.refreshes;
  }
  bank.open_row = kClosed;
  closed_rows_[static_cast<std::uint64_t>(&bank - banks_.data())] = {};
  bank.ready = std::max(bank.ready, busy);
  return true;
}

// The closed row `row` if a request for it that arrived at `arrival` would have been served
// before its PRE: it was queued by then, and the row has not yet had a row's worth of data out of
// order (a controller caps how long row hits may hold off an older conflicting request).
HbmModel::ClosedRow* HbmModel::reorderable(RowHistory& history, std::uint64_t row,
                                           std::uint32_t bursts, Picos arrival) {
  for (ClosedRow& past : history) {
    if (past.row != row) continue;  // the newest entry of a row is the one that counts
    return arrival <= past.pre && past.bursts + bursts <= max_reordered_bursts_ ? &past : nullptr;
  }
  return nullptr;
}

void HbmModel::close_row(RowHistory& history, const Bank& bank, Picos pre) {
  std::move_backward(history.begin(), history.end() - 1, history.end());
  history.front() = {bank.open_row, bank.act, pre, bank.next_col, 0};
}

// Column commands served from the closed row `upto` push its PRE, and all the bank did after it,
// `by` later. Times already handed out for that later work stand; what comes next is delayed.
void HbmModel::delay_bank(Bank& bank, RowHistory& history, const ClosedRow* upto, Picos by) {
  for (ClosedRow& past : history) {
    past.pre += by;
    if (&past == upto) break;
    past.act += by;
    past.next_col += by;
  }
  bank.act += by;
  bank.next_act += by;
  bank.pre_ok += by;
  bank.next_col += by;
}

template <bool kWrite>
HbmModel::Slot HbmModel::schedule(const Run& run, Picos earliest) {
  const HbmTiming& t = config_.timing;
  Pc& pc = pcs_[run.pc];
  const std::uint64_t bank_index = static_cast<std::uint64_t>(run.pc) * banks_per_pc_ + run.bank;
  Bank& bank = banks_[bank_index];
  RowHistory& history = closed_rows_[bank_index];
  BankGroup& group =
      bank_groups_[static_cast<std::uint64_t>(run.pc) * bank_groups_per_pc_ + run.bank_group];
  const Picos lat = kWrite ? t.CWL : t.CL;
  const Picos len = run.bursts * slot_time_;

  // Data bus: after the data already given to it, after the request is there, after the other
  // direction's last command (tRTW after reads, tWTR after writes), and not across a REFab.
  const Dir dir = kWrite ? Dir::kWrite : Dir::kRead;
  if (pc.dir != dir) {
    if (pc.dir != Dir::kNone) ++stats_.read_write_turnarounds;
    pc.dir = dir;
  }
  Picos turn_col = 0;
  if (kWrite && pc.any_read) {
    turn_col = pc.last_read_col + t.tRTW;
  } else if (!kWrite && pc.any_write) {
    turn_col =
        pc.last_write_end + (run.bank_group == pc.last_write_bank_group ? t.tWTR_L : t.tWTR_S);
  }
  const Picos idle_bound = earliest + lat;
  const Picos turn_bound = turn_col == 0 ? 0 : turn_col + lat;
  Picos start = std::max(std::max(pc.bus_free, idle_bound), turn_bound);
  Picos refresh_bound = 0;
  if (config_.refresh_mode == RefreshMode::kAllBank && pc.refresh_due < start + len) {
    refresh_bound = refresh_pseudo_channel(pc, run.pc, start + len);
    start = std::max(start, refresh_bound);
  }
  if (start > pc.bus_free) charge_gap(pc, start, refresh_bound, turn_bound);
  pc.bus_free = start + len;
  if (timeline_)
    timeline_->hbm_bus(timeline_first_channel_ + static_cast<int>(run.pc), start, start + len);
  const Picos bus_last_col = start + len - slot_time_ - lat;
  if constexpr (kWrite) {
    pc.any_write = true;
    pc.last_write_end = bus_last_col + lat + burst_time_;
    pc.last_write_bank_group = run.bank_group;
  } else {
    pc.any_read = true;
    pc.last_read_col = bus_last_col;
  }

  // Bank side. A run's bursts go tCCD_L apart; when the bus is the limit they interleave with
  // another group's, so the first may go `spread` before the run's packed bus slot.
  const Picos spread = (run.bursts - 1) * (ccd_l_ - slot_time_);
  const Picos want = start - lat;
  const Picos bus_col = want > spread ? want - spread : 0;
  const bool refreshed = config_.refresh_mode == RefreshMode::kPerBank &&
                         bank.refresh_due <= want && refresh_bank(bank, want);
  const Picos tRCD = kWrite ? t.tRCD_wr : t.tRCD_rd;
  Picos col_ready;
  Picos* row_next_col = &bank.next_col;  // column commands to one row stay in order
  ClosedRow* past = nullptr;
  if (bank.open_row == run.row) {
    ++stats_.row_hits;
    col_ready = bank.act + tRCD;
  } else if (bank.open_row != kClosed &&
             (past = reorderable(history, run.row, run.bursts, earliest)) != nullptr) {
    ++stats_.row_hits;
    ++stats_.reordered_hits;
    col_ready = past->act + tRCD;
    row_next_col = &past->next_col;
  } else {
    Picos act_ready;
    if (bank.open_row != kClosed) {
      ++stats_.row_conflicts;
      const Picos pre = std::max(earliest, bank.pre_ok);
      close_row(history, bank, pre);
      act_ready = pre + t.tRP;
    } else {
      ++stats_.row_misses;
      act_ready = std::max(earliest, bank.ready);
    }
    // The pseudo-channel's ACT slots (tRRD_S, tRRD_L, four per tFAW) are handed out in request
    // order; a bank that is not ready yet activates later and its slot goes to another bank's
    // ACT, as with the data bus.
    const Picos act_slot = std::max(std::max(earliest, pc.next_act),
                                    std::max(group.next_act, pc.faw_free[pc.faw_pos]));
    pc.faw_free[pc.faw_pos] = act_slot + t.tFAW;
    pc.faw_pos = (pc.faw_pos + 1) % static_cast<std::uint32_t>(pc.faw_free.size());
    pc.next_act = act_slot + t.tRRD_S;
    group.next_act = act_slot + t.tRRD_L;
    const Picos act = std::max(std::max(act_slot, act_ready), bank.next_act);
    ++stats_.activates;
    bank.act = act;
    bank.next_act = act + t.tRC;
    bank.open_row = run.row;
    col_ready = act + tRCD;
  }
  // The bank group's column slots (tCCD_L) are handed out like the ACT slots: a late bank does
  // not hold up the other banks of its group. Within one bank, column commands stay in order.
  const Picos group_slot = std::max(group.next_col, bus_col);
  group.next_col = group_slot + run.bursts * ccd_l_;
  const Picos c0 = std::max(
      std::max(std::max(col_ready, earliest), std::max(group_slot, *row_next_col)), turn_col);
  const Picos c_last = c0 + (run.bursts - 1) * ccd_l_;
  *row_next_col = c_last + ccd_l_;
  const Picos pre_ok = kWrite ? c_last + t.CWL + burst_time_ + t.tWR : c_last + t.tRTP;
  if (past == nullptr) {
    bank.pre_ok = std::max(std::max(bank.pre_ok, bank.act + t.tRAS), pre_ok);
  } else {
    // Its column commands go before the PRE, which moves by at most the time they take: when the
    // data bus is the limit, they wait for their bus slot, not the bank.
    past->bursts += run.bursts;
    if (pre_ok > past->pre)
      delay_bank(bank, history, past, std::min(pre_ok - past->pre, run.bursts * ccd_l_));
  }
  const Picos end = c_last + lat + burst_time_;
  if (end > pc.frontier) {
    pc.frontier = end;
    pc.frontier_cause = refreshed && c0 > bus_col ? Cause::kRefresh : Cause::kBank;
  }
  return {start, end};
}

Picos HbmModel::enqueue_write(const Run& run, Picos arrival) {
  Pc& pc = pcs_[run.pc];
  // The entries of the last drain occupy the queue until it starts.
  const Picos accepted = std::max(arrival, pc.drain_start);
  pc.write_queue.push_back({run, accepted});
  pc.queued_bursts += run.bursts;
  if (pc.queued_bursts >= static_cast<std::uint64_t>(config_.write_queue_depth)) {
    drain_pseudo_channel(run.pc, accepted);
  }
  return accepted;
}

void HbmModel::drain_pseudo_channel(std::uint32_t index, Picos now) {
  Pc& pc = pcs_[index];
  bool first = true;
  std::uint64_t bursts = 0;
  for (const WriteRun& w : pc.write_queue) {
    const Slot slot = schedule<true>(w.run, std::max(now, w.arrival));
    if (first) pc.drain_start = slot.start;
    first = false;
    pc.write_done = std::max(pc.write_done, slot.end);
    bursts += w.run.bursts;
  }
  count_bursts(bursts);
  pc.write_queue.clear();
  pc.queued_bursts = 0;
}

Picos HbmModel::read_checked(std::uint64_t base, std::uint32_t rows, std::uint64_t row_bytes,
                             std::uint64_t stride, Picos arrival) {
  stats_.bytes_read += rows * row_bytes;
  return pow2_mapping_ ? read_rows(*pow2_mapping_, base, rows, row_bytes, stride, arrival)
                       : read_rows(mapping_, base, rows, row_bytes, stride, arrival);
}

// One loop over the rows and their runs, so that decoding is inline and only schedule() is a call.
template <typename Div>
Picos HbmModel::read_rows(const Mapping<Div>& m, std::uint64_t base, std::uint32_t rows,
                          std::uint64_t row_bytes, std::uint64_t stride, Picos arrival) {
  const Picos path = config_.access_latency;
  Picos done = arrival;
  std::uint64_t bursts = 0;
  // Runs are decoded a few ahead of being scheduled, in order, and the state each will touch
  // is prefetched meanwhile.
  constexpr std::size_t kAhead = 8;
  std::array<Run, kAhead> ahead;
  std::size_t head = 0, count = 0;
  const auto issue = [&](const Run& run) {
    done = std::max(done, schedule<false>(run, arrival).end + path);
    bursts += run.bursts;
  };
  for (std::uint32_t i = 0; i < rows; ++i) {
    for_each_run(m, base + i * stride, row_bytes, [&](const Run& run) {
      prefetch(run);
      if (count == kAhead) {
        issue(ahead[head]);
        ahead[head] = run;
        head = (head + 1) % kAhead;
      } else {
        ahead[(head + count++) % kAhead] = run;
      }
    });
  }
  for (; count > 0; --count, head = (head + 1) % kAhead) issue(ahead[head]);
  count_bursts(bursts);
  return done;
}

Picos HbmModel::access(std::uint64_t addr, std::uint64_t bytes, bool is_write, Picos arrival) {
  if (bytes == 0) return arrival;
  check_range(addr, bytes);
  if (is_write) return write_checked(addr, bytes, arrival);
  return read_checked(addr, 1, bytes, 0, arrival);
}

Picos HbmModel::write_checked(std::uint64_t addr, std::uint64_t bytes, Picos arrival) {
  Picos done = arrival;
  stats_.bytes_written += bytes;
  for_each_run(addr, bytes,
               [&](const Run& run) { done = std::max(done, enqueue_write(run, arrival)); });
  return done;
}

Picos HbmModel::access_2d(std::uint64_t base, std::uint32_t rows, std::uint32_t row_bytes,
                          std::uint64_t stride, bool is_write, Picos arrival) {
  if (rows == 0 || row_bytes == 0) return arrival;
  // The rows ascend from `base`: when the last one ends inside the memory (and its address did
  // not wrap around), so do all of them, and one range check serves the whole tile.
  const std::uint64_t capacity = config_.capacity_bytes;
  const std::uint64_t span = rows - 1;
  const bool fits = base < capacity && (span == 0 || stride <= (capacity - base) / span) &&
                    row_bytes <= capacity - base - span * stride;
  if (!fits || is_write) {  // row by row (a row outside throws before any later one is issued)
    Picos done = arrival;
    for (std::uint32_t i = 0; i < rows; ++i)
      done = std::max(done, access(base + i * stride, row_bytes, is_write, arrival));
    return done;
  }
  return read_checked(base, rows, row_bytes, stride, arrival);
}

Picos HbmModel::drain(Picos now) {
  Picos done = now;
  for (std::uint32_t i = 0; i < pcs_.size(); ++i) {
    drain_pseudo_channel(i, now);
    done = std::max(done, pcs_[i].write_done);
  }
  return done;
}

std::string HbmModel::where_peak_went(Picos window) const {
  return where_peak_went(std::vector<const HbmModel*>{this}, window);
}

std::string HbmModel::where_peak_went(const std::vector<const HbmModel*>& models, Picos window) {
  if (window == 0) return "HBM: empty window";
  double total = 0, data = 0, refresh = 0, turn = 0, bank = 0, moved = 0, peak = 0;
  for (const HbmModel* m : models) {
    // Data still arriving after the packed bus cursor is bank-side time not yet charged.
    Picos late_bank = 0, late_refresh = 0;
    for (const Pc& pc : m->pcs_) {
      if (pc.frontier <= pc.bus_free) continue;
      (pc.frontier_cause == Cause::kRefresh ? late_refresh : late_bank) +=
          pc.frontier - pc.bus_free;
    }
    const HbmStats& st = m->stats_;
    total += static_cast<double>(window) * m->num_pcs_;
    data += static_cast<double>(st.data_transfer);
    refresh += static_cast<double>(st.refresh_blocked + late_refresh);
    turn += static_cast<double>(st.turnaround);
    bank += static_cast<double>(st.bank_stall + late_bank);
    moved += static_cast<double>(st.bytes_read + st.bytes_written);
    peak += m->config_.peak_bandwidth();
  }
  const double idle = std::max(0.0, total - data - refresh - turn - bank);
  const double achieved = moved / picos_to_seconds(window);
  const auto pct = [&](double x) { return 100.0 * x / total; };
  return fmt::format(
      "HBM {:.1f}% of peak ({:.3f} of {:.3f} TB/s over {:.1f} us); bus time: data {:.1f}%, "
      "refresh {:.1f}%, turnaround {:.1f}%, bank stall {:.1f}%, idle {:.1f}%",
      100.0 * achieved / peak, achieved / 1e12, peak / 1e12, picos_to_seconds(window) * 1e6,
      pct(data), pct(refresh), pct(turn), pct(bank), pct(idle));
}

HbmStats& HbmStats::operator+=(const HbmStats& o) {
  bytes_read += o.bytes_read;
  bytes_written += o.bytes_written;
  bursts += o.bursts;
  activates += o.activates;
  row_hits += o.row_hits;
  reordered_hits += o.reordered_hits;
  row_misses += o.row_misses;
  row_conflicts += o.row_conflicts;
  refreshes += o.refreshes;
  read_write_turnarounds += o.read_write_turnarounds;
  data_transfer += o.data_transfer;
  refresh_blocked += o.refresh_blocked;
  turnaround += o.turnaround;
  bank_stall += o.bank_stall;
  idle += o.idle;
  return *this;
}

}  // namespace xpusim::hbm
