#pragma once
// A hash table whose entries also form a recency list (most recent first), for caches that evict
// the least recently used entry. Entries live in one vector and link to each other by index;
// the index is open addressing with linear probing and backward-shift deletion, so a lookup
// touches one or two cache lines instead of a node per bucket as std::unordered_map plus
// std::list do. Which entry is oldest depends only on the order of insert() and touch() calls,
// never on hashing.
#include <cstddef>
#include <cstdint>
#include <utility>
#include <vector>

namespace xpusim::l2 {

template <typename Key, typename Hash, typename Value>
class LruTable {
 public:
  using Id = std::uint32_t;
  static constexpr Id kNone = ~Id{0};

  std::size_t size() const { return size_; }
  bool empty() const { return size_ == 0; }

  // The entry holding `key`, or kNone.
  Id find(const Key& key) const {
    if (slots_.empty()) return kNone;
    for (std::size_t s = home(Hash{}(key)); slots_[s] != 0; s = (s + 1) & mask_) {
      const Id id = slots_[s] - 1;
      if (entries_[id].key == key) return id;
    }
    return kNone;
  }
  const Key& key(Id id) const { return entries_[id].key; }
  Value& value(Id id) { return entries_[id].value; }
  const Value& value(Id id) const { return entries_[id].value; }

  // Makes `id` the most recently used entry.
  void touch(Id id) {
    if (id == newest_) return;
    unlink(id);
    link_newest(id);
  }
  // Adds `key` (not present yet) as the most recently used entry.
  Id insert(const Key& key, Value value) {
    if ((size_ + 1) * 2 > slots_.size()) grow();
    Id id;
    if (!free_.empty()) {
      id = free_.back();
      free_.pop_back();
      entries_[id] = Entry{key, std::move(value), Hash{}(key)};
    } else {
      id = static_cast<Id>(entries_.size());
      entries_.push_back(Entry{key, std::move(value), Hash{}(key)});
    }
    place(id);
    link_newest(id);
    ++size_;
    return id;
  }
  // The least recently used entry, or kNone.
  Id oldest() const { return oldest_; }
  void erase(Id id) {
    unlink(id);
    std::size_t s = home(entries_[id].hash);
    while (slots_[s] != id + 1) s = (s + 1) & mask_;
    // Backward shift: move later entries of the probe run into the hole where they may live.
    for (std::size_t next = (s + 1) & mask_; slots_[next] != 0; next = (next + 1) & mask_) {
      const std::size_t want = home(entries_[slots_[next] - 1].hash);
      // The entry at `next` may move to the hole at `s` unless its home lies in (s, next].
      const bool stays = s <= next ? (s < want && want <= next) : (s < want || want <= next);
      if (stays) continue;
      slots_[s] = slots_[next];
      s = next;
    }
    slots_[s] = 0;
    free_.push_back(id);
    --size_;
  }

 private:
  struct Entry {
    Key key;
    Value value;
    std::size_t hash = 0;
    Id newer = kNone, older = kNone;
  };

  std::size_t home(std::size_t hash) const { return hash & mask_; }
  void place(Id id) {
    std::size_t s = home(entries_[id].hash);
    while (slots_[s] != 0) s = (s + 1) & mask_;
    slots_[s] = id + 1;
  }
  void grow() {
    slots_.assign(slots_.empty() ? 64 : slots_.size() * 2, 0);
    mask_ = slots_.size() - 1;
    for (Id id = oldest_; id != kNone; id = entries_[id].newer) place(id);
  }
  void link_newest(Id id) {
    Entry& e = entries_[id];
    e.newer = kNone;
    e.older = newest_;
    if (newest_ != kNone) entries_[newest_].newer = id;
    newest_ = id;
    if (oldest_ == kNone) oldest_ = id;
  }
  void unlink(Id id) {
    Entry& e = entries_[id];
    (e.newer != kNone ? entries_[e.newer].older : newest_) = e.older;
    (e.older != kNone ? entries_[e.older].newer : oldest_) = e.newer;
    e.newer = e.older = kNone;
  }

  std::vector<Entry> entries_;
  std::vector<Id> free_;
  std::vector<Id> slots_;  // entry id + 1; 0 is empty
  std::size_t mask_ = 0;
  std::size_t size_ = 0;
  Id newest_ = kNone, oldest_ = kNone;
};

}  // namespace xpusim::l2
