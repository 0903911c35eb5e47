#include "net/source_table.h"

#include <netinet/in.h>

#include <cassert>
#include <cstring>

namespace sela::net {

namespace {

uint32_t Mix(uint64_t x) {
  // SplitMix64's finalizer.
  x ^= x >> 30;
  x *= 0xbf58476d1ce4e5b9ull;
  x ^= x >> 27;
  x *= 0x94d049bb133111ebull;
  x ^= x >> 31;
  return static_cast<uint32_t>(x);
}

}  // namespace

SourceKey SourceOf(const sockaddr_storage& address) {
  uint32_t key = 0;
  if (address.ss_family == AF_INET) {
    key = ntohl(reinterpret_cast<const sockaddr_in&>(address).sin_addr.s_addr);
  } else if (address.ss_family == AF_INET6) {
    const in6_addr& a = reinterpret_cast<const sockaddr_in6&>(address).sin6_addr;
    if (IN6_IS_ADDR_V4MAPPED(&a)) {
      uint32_t v4;
      std::memcpy(&v4, a.s6_addr + 12, 4);
      key = ntohl(v4);
    } else {
      uint64_t prefix;
      std::memcpy(&prefix, a.s6_addr, 8);
      key = Mix(prefix);
    }
  }
  return key == 0 ? 1 : key;
}

size_t SourceTable::Find(SourceKey key) const {
  const size_t mask = entries_.size() - 1;
  size_t i = Mix(key) & mask;
  while (entries_[i].key != 0 && entries_[i].key != key) i = (i + 1) & mask;
  return i;
}

uint32_t SourceTable::Count(SourceKey key) const {
  if (entries_.empty()) return 0;
  const Entry& e = entries_[Find(key)];
  return e.key == key ? e.count : 0;
}

void SourceTable::Grow() {
  std::vector<Entry> old = std::move(entries_);
  entries_.assign(old.empty() ? 16 : old.size() * 2, Entry{});
  for (const Entry& e : old) {
    if (e.key != 0) entries_[Find(e.key)] = e;
  }
}

void SourceTable::Add(SourceKey key) {
  assert(key != 0);
  if ((size_ + 1) * 2 > entries_.size()) Grow();
  Entry& e = entries_[Find(key)];
  if (e.key == 0) {
    e.key = key;
    ++size_;
  }
  ++e.count;
}

void SourceTable::Remove(SourceKey key) {
  size_t i = Find(key);
  assert(!entries_.empty() && entries_[i].key == key && entries_[i].count > 0);
  if (--entries_[i].count > 0) return;
  // Backward-shift deletion: move later entries of the probe run into the
  // hole, so lookups never need tombstones.
  const size_t mask = entries_.size() - 1;
  size_t j = i;
  while (true) {
    j = (j + 1) & mask;
    if (entries_[j].key == 0) break;
    const size_t home = Mix(entries_[j].key) & mask;
    // Entry j may fill hole i unless its home lies cyclically in (i, j].
    const bool stays = i <= j ? (i < home && home <= j) : (i < home || home <= j);
    if (stays) continue;
    entries_[i] = entries_[j];
    i = j;
  }
  entries_[i] = Entry{};
  --size_;
}

}  // namespace sela::net
