// LruTable against std::unordered_map + std::list (the structure it replaces in the L2): the same
// lookups, the same eviction order, through growth and deletions that shift probe runs.
#include <gtest/gtest.h>

#include <cstdint>
#include <list>
#include <random>
#include <unordered_map>

#include "models/l2/lru_table.hpp"

namespace xpusim::l2 {
namespace {

struct BadHash {  // few distinct homes: long probe runs, wrap-around, many backward shifts
  std::size_t operator()(std::uint64_t k) const { return (k % 7) * 0x9E3779B97F4A7C15ull; }
};
struct GoodHash {
  std::size_t operator()(std::uint64_t k) const { return k * 0x9E3779B97F4A7C15ull ^ (k >> 7); }
};

template <typename Hash>
void compare_with_reference(std::uint64_t seed) {
  LruTable<std::uint64_t, Hash, int> table;
  std::list<std::uint64_t> lru;  // most recent first
  std::unordered_map<std::uint64_t, std::pair<int, std::list<std::uint64_t>::iterator>> ref;
  std::mt19937_64 rng(seed);
  for (int step = 0; step < 200000; ++step) {
    const std::uint64_t key = rng() % 3000;
    const int op = static_cast<int>(rng() % 10);
    const auto id = table.find(key);
    const auto it = ref.find(key);
    ASSERT_EQ(id != table.kNone, it != ref.end()) << "step " << step;
    if (it != ref.end()) {
      ASSERT_EQ(table.value(id), it->second.first);
    }
    if (op < 5) {  // look up; a hit becomes most recent
      if (it != ref.end()) {
        table.touch(id);
        lru.splice(lru.begin(), lru, it->second.second);
      }
    } else if (op < 8) {  // insert if absent
      if (it == ref.end()) {
        table.insert(key, step);
        lru.push_front(key);
        ref.emplace(key, std::make_pair(step, lru.begin()));
      }
    } else {  // evict the oldest, sometimes several (an L2 making room)
      for (int n = static_cast<int>(rng() % 4); n >= 0 && !lru.empty(); --n) {
        ASSERT_NE(table.oldest(), table.kNone);
        ASSERT_EQ(table.key(table.oldest()), lru.back());
        table.erase(table.oldest());
        ref.erase(lru.back());
        lru.pop_back();
      }
    }
    ASSERT_EQ(table.size(), ref.size());
  }
  // Drain in recency order.
  while (!lru.empty()) {
    ASSERT_EQ(table.key(table.oldest()), lru.back());
    table.erase(table.oldest());
    lru.pop_back();
  }
  EXPECT_TRUE(table.empty());
  EXPECT_EQ(table.oldest(), table.kNone);
}

TEST(LruTable, MatchesMapAndListWithGoodHash) {
  compare_with_reference<GoodHash>(1);
}

TEST(LruTable, MatchesMapAndListWithCollidingHash) {
  compare_with_reference<BadHash>(2);
}

}  // namespace
}  // namespace xpusim::l2
