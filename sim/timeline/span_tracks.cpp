#include "sim/timeline/span_tracks.hpp"

#include <algorithm>

namespace xpusim::timeline {
namespace {

// Extends `cur` by `next`, which starts no earlier. Where they overlap, the overlap is taken as
// covered already (exact for intervals recorded in order, an upper bound otherwise).
void absorb(MergedSpan& cur, const MergedSpan& next) {
  const Picos overlap = next.start < cur.end ? std::min(cur.end, next.end) - next.start : 0;
  cur.covered += next.covered > overlap ? next.covered - overlap : 0;
  cur.end = std::max(cur.end, next.end);
  cur.count += next.count;
}

}  // namespace

void UnionTrack::add(Picos start, Picos end) {
  if (end <= start) return;
  const MergedSpan next{start, end, end - start, 1};
  if (has_pending_ && start >= pending_.start && start <= pending_.end + gap_) {
    absorb(pending_, next);
    return;
  }
  if (has_pending_) done_.push_back(pending_);
  pending_ = next;
  has_pending_ = true;
}

std::vector<MergedSpan> UnionTrack::spans(Picos gap) const {
  std::vector<MergedSpan> all = done_;
  if (has_pending_) all.push_back(pending_);
  std::sort(all.begin(), all.end(), [](const MergedSpan& a, const MergedSpan& b) {
    return a.start != b.start ? a.start < b.start : a.end < b.end;
  });
  std::vector<MergedSpan> out;
  for (const MergedSpan& s : all) {
    if (!out.empty() && s.start <= out.back().end + gap)
      absorb(out.back(), s);
    else
      out.push_back(s);
  }
  return out;
}

std::vector<std::vector<NamedSpan>> LaneTrack::lanes() const {
  std::vector<NamedSpan> sorted = spans_;
  std::sort(sorted.begin(), sorted.end());
  std::vector<std::vector<NamedSpan>> lanes;
  for (const NamedSpan& s : sorted) {
    auto lane = std::find_if(lanes.begin(), lanes.end(),
                             [&](const auto& l) { return l.back().end <= s.start; });
    if (lane == lanes.end())
      lanes.push_back({s});
    else
      lane->push_back(s);
  }
  return lanes;
}

}  // namespace xpusim::timeline
