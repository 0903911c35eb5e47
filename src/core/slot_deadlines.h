// SlotDeadlines: one coarse deadline per small dense id (the server's
// connection slots) at 4 bytes per id, where the timer wheel it replaced
// (a doubly linked entry per id) kept 16.
//
// Each id's deadline is a 32-bit tick count, kept in blocks of 1,024 ids
// that never move once allocated (growing leaves no freed copies behind).
// Each block keeps a lower bound of its earliest deadline; Advance() scans
// only the blocks whose bound is due (1,024 entries, 4 KiB each) and fires
// their due entries. Rescheduling an entry later (a heartbeat) leaves the
// bound low, so such a block is scanned about once per the time between its
// earliest deadline and the scan, and the bound is then made exact again.
//
// Deadlines are rounded up to the next tick, so an entry never fires early;
// it fires at most one tick late after Advance() is called. Ticks are kept
// relative to a base that moves forward with time, so any run time works;
// a deadline more than 2^31 ticks ahead (3.4 years at the server's 50 ms
// tick) is treated as that far.
//
// Thread-safety: none; owned by one event loop.
#pragma once

#include <cstddef>
#include <cstdint>
#include <memory>
#include <vector>

#include "core/clock.h"

namespace sela {

class SlotDeadlines {
 public:
  static constexpr uint32_t kBlock = 1024;
  static constexpr uint32_t kMaxAheadTicks = uint32_t{1} << 31;

  // Crashes if tick is not in (0, 24 h] (a programming error).
  SlotDeadlines(Millis tick, MonoTime start);

  // Schedules (or reschedules) id to expire at deadline. A deadline in the
  // past expires on the next Advance().
  void Schedule(uint32_t id, MonoTime deadline);
  // Removes id if scheduled; no-op otherwise.
  void Cancel(uint32_t id);
  bool IsScheduled(uint32_t id) const;
  // Number of scheduled entries.
  size_t size() const { return size_; }
  Millis tick() const { return tick_; }

  // Moves to `now` and calls fn(id) for every entry whose deadline is
  // <= now, in no particular order. The entry is unscheduled before fn is
  // called, so fn may Schedule() or Cancel() any id, including this one; an
  // entry cancelled (or moved later) by fn before its turn does not fire. An
  // id that fn schedules with a deadline <= now fires again in this call or
  // the next one, never in an endless loop. A `now` earlier than the
  // previous one is treated as the previous one. fn must not call Advance().
  template <typename Fn>
  void Advance(MonoTime now, Fn&& fn) {
    const uint32_t now_rel = BeginAdvance(now);
    for (size_t i = 0; i < due_.size(); ++i) {
      const uint32_t id = due_[i];
      uint32_t& e = Entry(id);
      if (e == 0 || e > now_rel) continue;
      e = 0;
      --size_;
      fn(id);
    }
    due_.clear();
  }

 private:
  uint32_t& Entry(uint32_t id) { return blocks_[id / kBlock][id % kBlock]; }
  uint64_t TickOf(MonoTime t) const;
  uint64_t DeadlineTickOf(MonoTime deadline) const;
  // Moves the current tick, rebases if needed, collects the due ids of the
  // due blocks into due_ and makes those blocks' bounds exact; returns the
  // current tick relative to base_.
  uint32_t BeginAdvance(MonoTime now);
  void Rebase();

  Millis tick_;
  MonoTime start_;
  uint64_t tick_ns_;
  uint64_t current_tick_ = 0;  // Ticks since start_.
  uint64_t base_ = 0;          // Entries hold ticks since start_ minus base_; 0: unscheduled.
  std::vector<std::unique_ptr<uint32_t[]>> blocks_;
  std::vector<uint32_t> block_min_;  // Lower bound of each block's entries; kNoMin: none.
  std::vector<uint32_t> due_;
  size_t size_ = 0;
};

}  // namespace sela
