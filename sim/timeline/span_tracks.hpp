#pragma once
// The two kinds of span track a timeline draws. A UnionTrack holds "something of this kind was
// happening" (a pipe busy, loads in flight): intervals that overlap, or are closer than a merge
// gap, become one span that remembers how many intervals it holds and how much time they cover.
// A LaneTrack holds discrete named spans that may overlap (CTAs resident on one SM, refreshes of
// different banks); it is drawn as as many lanes as the overlap needs, none with overlapping spans.
#include <cstdint>
#include <vector>

#include "sim/common/time.hpp"

namespace xpusim::timeline {

struct MergedSpan {
  Picos start = 0, end = 0;
  Picos covered = 0;        // time inside [start, end) covered by the intervals (gaps excluded)
  std::uint64_t count = 0;  // intervals merged into it
};

class UnionTrack {
 public:
  // Intervals closer than `gap` merge while recording (0: only touching or overlapping ones).
  explicit UnionTrack(Picos gap = 0) : gap_(gap) {}

  // Intervals may arrive out of time order (temporal decoupling); empty ones are ignored.
  void add(Picos start, Picos end);
  bool empty() const { return done_.empty() && !has_pending_; }
  // Sorted, non-overlapping spans with every gap shorter than `gap` (>= the recording gap) closed.
  std::vector<MergedSpan> spans(Picos gap) const;

 private:
  Picos gap_;
  std::vector<MergedSpan> done_;
  MergedSpan pending_;
  bool has_pending_ = false;
};

struct NamedSpan {
  Picos start = 0, end = 0;
  std::uint32_t name = 0;  // index into the recorder's name table
  std::int64_t arg = -1;   // one integer argument (CTA id, bank); -1: none
  auto operator<=>(const NamedSpan&) const = default;
};

class LaneTrack {
 public:
  void add(const NamedSpan& span) { spans_.push_back(span); }
  bool empty() const { return spans_.empty(); }
  std::size_t size() const { return spans_.size(); }
  // The spans sorted by start, each in the lowest-numbered lane free at its start.
  std::vector<std::vector<NamedSpan>> lanes() const;

 private:
  std::vector<NamedSpan> spans_;
};

}  // namespace xpusim::timeline
