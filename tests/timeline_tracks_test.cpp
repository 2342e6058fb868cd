// The timeline's building blocks: span merging, lanes and time-binned counters, checked against
// hand-worked intervals.
#include <gtest/gtest.h>

#include "sim/timeline/counter_bins.hpp"
#include "sim/timeline/span_tracks.hpp"

using namespace xpusim;
using namespace xpusim::timeline;

TEST(TimelineUnionTrack, MergesOverlapsAndShortGapsAndCountsCoveredTime) {
  UnionTrack t(10);
  t.add(0, 100);
  t.add(50, 150);   // overlaps: covered grows by 50
  t.add(155, 200);  // 5 ps gap < 10: merges, the gap is not covered
  t.add(300, 400);  // 100 ps gap: a new span
  const auto s = t.spans(10);
  ASSERT_EQ(s.size(), 2u);
  EXPECT_EQ(s[0].start, 0u);
  EXPECT_EQ(s[0].end, 200u);
  EXPECT_EQ(s[0].covered, 195u);  // [0,150) + [155,200)
  EXPECT_EQ(s[0].count, 3u);
  EXPECT_EQ(s[1].covered, 100u);
  // Coarser at write time: the 100 ps gap closes, coverage still excludes it.
  const auto coarse = t.spans(100);
  ASSERT_EQ(coarse.size(), 1u);
  EXPECT_EQ(coarse[0].end, 400u);
  EXPECT_EQ(coarse[0].covered, 295u);
  EXPECT_EQ(coarse[0].count, 4u);
}

TEST(TimelineUnionTrack, OutOfOrderIntervalsComeOutSortedAndDisjoint) {
  UnionTrack t(0);
  t.add(1000, 2000);
  t.add(0, 100);  // earlier than what was recorded: decoupled threads report late
  t.add(1500, 2500);
  t.add(100, 200);  // touches [0,100)
  t.add(50, 50);    // empty: ignored
  const auto s = t.spans(0);
  ASSERT_EQ(s.size(), 2u);
  EXPECT_EQ(s[0].start, 0u);
  EXPECT_EQ(s[0].end, 200u);
  EXPECT_EQ(s[0].covered, 200u);
  EXPECT_EQ(s[1].start, 1000u);
  EXPECT_EQ(s[1].end, 2500u);
  EXPECT_EQ(s[1].covered, 1500u);
}

TEST(TimelineLaneTrack, OverlappingSpansGoToTheLowestFreeLane) {
  LaneTrack t;
  t.add({0, 100, 0, 1});
  t.add({50, 150, 0, 2});   // overlaps the first: lane 1
  t.add({100, 200, 0, 3});  // lane 0 is free again at 100
  t.add({120, 130, 0, 4});  // both busy: lane 2
  const auto lanes = t.lanes();
  ASSERT_EQ(lanes.size(), 3u);
  ASSERT_EQ(lanes[0].size(), 2u);
  EXPECT_EQ(lanes[0][1].arg, 3);
  EXPECT_EQ(lanes[1][0].arg, 2);
  EXPECT_EQ(lanes[2][0].arg, 4);
}

TEST(TimelineCounterBins, BusyTimeSplitsAcrossBinsAndBinsWidenWhenFull) {
  CounterBins b(100, 4);
  b.resize(2);
  b.add_busy(0, 50, 250);  // 50 in bin 0, 100 in bin 1, 50 in bin 2
  EXPECT_EQ(b.width(), 100u);
  EXPECT_EQ(b.bins(), 3u);
  EXPECT_DOUBLE_EQ(b.value(0, 0), 50);
  EXPECT_DOUBLE_EQ(b.value(0, 1), 100);
  EXPECT_DOUBLE_EQ(b.value(0, 2), 50);
  b.add_spread(1, 0, 100, 8);  // 8 units over one bin
  // Reaching t = 500 needs bin 5 of 4: the width doubles to 200 and bins fold pairwise.
  b.add_busy(0, 450, 500, 2.0);
  EXPECT_EQ(b.width(), 200u);
  EXPECT_EQ(b.bins(), 3u);
  EXPECT_DOUBLE_EQ(b.value(0, 0), 150);  // 50 + 100
  EXPECT_DOUBLE_EQ(b.value(0, 1), 50);
  EXPECT_DOUBLE_EQ(b.value(0, 2), 100);  // 2 x 50
  EXPECT_DOUBLE_EQ(b.value(1, 0), 8);
  EXPECT_DOUBLE_EQ(b.value(1, 2), 0);
}
