// SourceTable: open connections per source address, for the per-source
// connection limit (MAX_CONNECTIONS_PER_SOURCE) and the reserve of slots
// kept for REST and health checks.
//
// A source is an IPv4 address, or the /64 prefix of an IPv6 address (one
// subscriber's network; an IPv4-mapped address counts as IPv4). Keys are 32
// bits: IPv4 exactly, an IPv6 prefix hashed, so two IPv6 networks may rarely
// share a count. Entries are 8 bytes in one flat open-addressing table
// (linear probing, backward-shift deletion), at most half full: with every
// node on its own address, about 16 bytes per source, where a node-based
// hash map costs about 40.
//
// Thread-safety: none; owned by the event loop's thread.
#pragma once

#include <sys/socket.h>

#include <cstdint>
#include <vector>

namespace sela::net {

using SourceKey = uint32_t;

// The source of a peer address; never 0.
SourceKey SourceOf(const sockaddr_storage& address);

class SourceTable {
 public:
  // Open connections of `key` (0 when none).
  uint32_t Count(SourceKey key) const;
  void Add(SourceKey key);
  // Precondition: Count(key) > 0.
  void Remove(SourceKey key);
  // Sources with at least one connection.
  size_t size() const { return size_; }

 private:
  struct Entry {
    SourceKey key = 0;  // 0: empty.
    uint32_t count = 0;
  };
  size_t Find(SourceKey key) const;  // Index of key's entry or of the empty one where it would go.
  void Grow();

  std::vector<Entry> entries_;  // Size: a power of two, or 0.
  size_t size_ = 0;
};

}  // namespace sela::net
