// PrincipalIndex: principal text -> node index, as an open-addressing hash
// table of 32-bit slots (linear probing, load at most 3/4). It stores no
// keys: a slot holds the node index in its low 24 bits and 8 bits of the
// key's hash above them, so a probe past a different key almost never has to
// look at that key's text. The caller owns the texts and passes `key_of`, a
// callable NodeIndex -> std::string_view, to every operation that compares or
// rehashes keys.
//
// Removal shifts later entries of the probe run back (no tombstones), so
// lookups stay short however many nodes come and go.
//
// Thread-safety: none.
#pragma once

#include <cassert>
#include <cstdint>
#include <string_view>
#include <vector>

#include "nodes/siphash.h"

namespace sela::nodes {

class PrincipalIndex {
 public:
  static constexpr uint32_t kIndexBits = 24;
  static constexpr uint32_t kIndexMask = (1u << kIndexBits) - 1;
  // Index kIndexMask is reserved: with tag 0xff it would spell kEmpty.
  static constexpr uint32_t kIndexMax = kIndexMask - 1;
  static constexpr uint32_t kNotFound = 0xffffffffu;

  explicit PrincipalIndex(const SipKey& key) : key_(key) {}

  uint64_t Hash(std::string_view principal) const { return SipHash24(key_, principal); }

  template <typename KeyOf>
  uint32_t Find(std::string_view principal, uint64_t hash, const KeyOf& key_of) const {
    if (slots_.empty()) return kNotFound;
    const uint32_t tag = Tag(hash);
    for (size_t pos = hash & Mask();; pos = (pos + 1) & Mask()) {
      const uint32_t slot = slots_[pos];
      if (slot == kEmpty) return kNotFound;
      if ((slot >> kIndexBits) == tag && key_of(slot & kIndexMask) == principal) {
        return slot & kIndexMask;
      }
    }
  }

  // Precondition: no entry has this key, index <= kIndexMax.
  template <typename KeyOf>
  void Insert(uint32_t index, uint64_t hash, const KeyOf& key_of) {
    assert(index <= kIndexMax);
    if ((size_ + 1) * 4 > slots_.size() * 3) Grow(key_of);
    Place(index, hash);
    ++size_;
  }

  // Precondition: `index` is stored under `hash`.
  template <typename KeyOf>
  void Erase(uint32_t index, uint64_t hash, const KeyOf& key_of) {
    size_t hole = hash & Mask();
    while ((slots_[hole] & kIndexMask) != index) {
      assert(slots_[hole] != kEmpty);
      hole = (hole + 1) & Mask();
    }
    // An entry after the hole may fill it unless its home position lies
    // cyclically in (hole, j], where moving it back would put it before home.
    for (size_t j = (hole + 1) & Mask(); slots_[j] != kEmpty; j = (j + 1) & Mask()) {
      const size_t home = Hash(key_of(slots_[j] & kIndexMask)) & Mask();
      if (((j - home) & Mask()) >= ((j - hole) & Mask())) {
        slots_[hole] = slots_[j];
        hole = j;
      }
    }
    slots_[hole] = kEmpty;
    --size_;
  }

  size_t size() const { return size_; }
  size_t capacity() const { return slots_.size(); }

 private:
  static constexpr uint32_t kEmpty = 0xffffffffu;
  static constexpr size_t kFirstCapacity = 16;

  static uint32_t Tag(uint64_t hash) { return static_cast<uint32_t>(hash >> 56); }
  size_t Mask() const { return slots_.size() - 1; }

  void Place(uint32_t index, uint64_t hash) {
    size_t pos = hash & Mask();
    while (slots_[pos] != kEmpty) pos = (pos + 1) & Mask();
    slots_[pos] = Tag(hash) << kIndexBits | index;
  }

  template <typename KeyOf>
  void Grow(const KeyOf& key_of) {
    std::vector<uint32_t> old(slots_.empty() ? kFirstCapacity : slots_.size() * 2, kEmpty);
    old.swap(slots_);
    for (const uint32_t slot : old) {
      if (slot == kEmpty) continue;
      const uint32_t index = slot & kIndexMask;
      Place(index, Hash(key_of(index)));
    }
  }

  SipKey key_;
  std::vector<uint32_t> slots_;  // Capacity is a power of two, or zero.
  size_t size_ = 0;
};

}  // namespace sela::nodes
