// TimerWheel: a hashed timing wheel for many coarse deadlines (handshake,
// idle, heartbeat timeouts of tens of thousands of connections) without one
// timer object per connection.
//
// Entries are named by small dense integer ids chosen by the caller (the
// connection table uses its slot index). Per id the wheel keeps 12 bytes in
// flat arrays (intrusive doubly-linked list of 32-bit indices plus the expiry
// tick); no allocation happens per Schedule once the id range has been seen.
// Deadlines are rounded up to the next tick, so an entry never fires early;
// it fires at most one tick late after Advance() is called.
//
// Thread-safety: none; owned by one event loop.
#pragma once

#include <cstdint>
#include <vector>

#include "core/clock.h"

namespace sela {

class TimerWheel {
 public:
  struct Options {
    Millis tick{100};
    uint32_t slots = 1024;  // Power of two.
  };

  TimerWheel(Options options, MonoTime start);

  // Schedules (or reschedules) id to expire at deadline. A deadline in the
  // past expires on the next Advance().
  void Schedule(uint32_t id, MonoTime deadline);
  // Removes id if scheduled; no-op otherwise.
  void Cancel(uint32_t id);
  bool IsScheduled(uint32_t id) const;
  // Number of scheduled entries.
  size_t size() const { return size_; }

  // Moves the wheel to `now` and calls fn(id) for every entry whose deadline
  // is <= now, in no particular order. The entry is unscheduled before fn is
  // called, so fn may Schedule() or Cancel() any id, including this one.
  template <typename Fn>
  void Advance(MonoTime now, Fn&& fn) {
    const uint64_t target = TickOf(now);
    uint32_t id;
    while (current_tick_ <= target) {
      while ((id = PopExpired(target)) != kNone) fn(id);
      if (current_tick_ == target) break;
      ++current_tick_;
    }
  }

  // Time until the earliest possible expiry, for sizing the loop's timer; a
  // coarse answer (one tick) is fine.
  Millis tick() const { return options_.tick; }

 private:
  static constexpr uint32_t kNone = 0xffffffffu;
  struct Node {
    uint32_t next = kNone;
    uint32_t prev = kNone;
    uint32_t expiry_tick = 0;  // Low 32 bits; with `scheduled` flag below.
  };

  uint64_t TickOf(MonoTime t) const;
  // Pops one entry in the current slot that is due at or before target.
  uint32_t PopExpired(uint64_t target);
  void Unlink(uint32_t id);

  Options options_;
  MonoTime start_;
  uint64_t current_tick_ = 0;
  std::vector<uint32_t> heads_;       // One list head per slot.
  std::vector<Node> nodes_;           // Indexed by id.
  std::vector<uint64_t> scheduled_;   // Bitset: is id scheduled.
  size_t size_ = 0;
};

}  // namespace sela
