// TimerWheel: a hashed timing wheel for many coarse deadlines (handshake,
// idle, heartbeat timeouts of tens of thousands of connections) without one
// timer object per connection.
//
// Entries are named by small dense integer ids chosen by the caller (the
// connection table uses its slot index). Per id the wheel keeps 16 bytes in
// flat arrays (intrusive doubly-linked list of 32-bit indices plus the 64-bit
// expiry tick); the arrays grow to the largest id seen, and no allocation
// happens per Schedule once the id range has been seen. The expiry tick is
// kept in full so that an entry any number of revolutions away stays in its
// slot until its own tick, and so that a long pause between Advance() calls
// cannot make a far entry look due.
// Deadlines are rounded up to the next tick, so an entry never fires early;
// it fires at most one tick late after Advance() is called.
//
// Thread-safety: none; owned by one event loop.
#pragma once

#include <cstddef>
#include <cstdint>
#include <vector>

#include "core/clock.h"

namespace sela {

class TimerWheel {
 public:
  struct Options {
    Millis tick{100};       // Greater than zero.
    uint32_t slots = 1024;  // Power of two.
  };

  // Crashes if the options break their preconditions (a programming error).
  TimerWheel(Options options, MonoTime start);

  // Schedules (or reschedules) id to expire at deadline. A deadline in the
  // past expires on the next Advance(). id 0xffffffff is reserved.
  void Schedule(uint32_t id, MonoTime deadline);
  // Removes id if scheduled; no-op otherwise.
  void Cancel(uint32_t id);
  bool IsScheduled(uint32_t id) const;
  // Number of scheduled entries.
  size_t size() const { return size_; }

  // Moves the wheel to `now` and calls fn(id) for every entry whose deadline
  // is <= now, in no particular order. The entry is unscheduled before fn is
  // called, so fn may Schedule() or Cancel() any id, including this one; an
  // entry cancelled by fn before its turn does not fire. An id that fn
  // schedules with a deadline <= now fires again in this call or the next
  // one, never in an endless loop.
  //
  // Each call visits the slots from the previous `now` to this one, but never
  // more than one revolution: after a long pause every slot is visited once,
  // so the cost is bounded by `slots` plus the entries seen. A `now` earlier
  // than the previous one is treated as the previous one. fn must not call
  // Advance().
  template <typename Fn>
  void Advance(MonoTime now, Fn&& fn) {
    for (uint64_t tick = BeginAdvance(TickOf(now)); tick <= current_tick_; ++tick) {
      VisitSlotOf(tick);
      for (uint32_t id = PopExpired(current_tick_); id != kNone; id = PopExpired(current_tick_)) {
        fn(id);
      }
    }
  }

  // Time until the earliest possible expiry, for sizing the loop's timer; a
  // coarse answer (one tick) is fine.
  Millis tick() const { return options_.tick; }

 private:
  static constexpr uint32_t kNone = 0xffffffffu;
  static constexpr uint64_t kUnscheduled = ~uint64_t{0};

  struct Node {
    uint32_t next = kNone;
    uint32_t prev = kNone;  // kNone when the node heads its slot's list.
    // The tick the entry lives in, slot = expiry_tick & (slots - 1); never
    // earlier than the wheel's tick when it was scheduled. kUnscheduled when
    // the id is not scheduled.
    uint64_t expiry_tick = kUnscheduled;
  };
  static_assert(sizeof(Node) == 16, "the per-id cost stated above");

  // Ticks are counted from start_: TickOf rounds down, so an entry whose
  // rounded-up deadline tick is <= TickOf(now) has its deadline <= now.
  uint64_t TickOf(MonoTime t) const;
  uint64_t DeadlineTickOf(MonoTime deadline) const;
  // Moves current_tick_ to max(current_tick_, target) and returns the first
  // tick whose slot this Advance visits: the old current tick (its slot may
  // hold entries scheduled in the past since), or, for a jump of a revolution
  // or more, the tick that makes the walk cover every slot exactly once.
  uint64_t BeginAdvance(uint64_t target);
  // Points the cursor at the head of tick's slot.
  void VisitSlotOf(uint64_t tick);
  // Unschedules and returns the next entry at or after the cursor that is due
  // at or before target, or kNone when the slot has no more.
  uint32_t PopExpired(uint64_t target);
  void Link(uint32_t id, uint64_t expiry_tick);
  void Unlink(uint32_t id);

  Options options_;
  MonoTime start_;
  uint64_t tick_ns_;
  uint64_t slot_mask_;
  uint64_t current_tick_ = 0;
  // The next node PopExpired examines in the slot being visited. Unlink moves
  // it past a node that fn removes, and new nodes are linked at the head of
  // their slot, behind it, so fn may change the wheel while a slot is walked.
  uint32_t cursor_ = kNone;
  std::vector<uint32_t> heads_;  // One list head per slot.
  std::vector<Node> nodes_;      // Indexed by id.
  size_t size_ = 0;
};

}  // namespace sela
