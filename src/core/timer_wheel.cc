#include "core/timer_wheel.h"

#include <algorithm>
#include <cstdio>
#include <cstdlib>

namespace sela {
namespace {

// Bad options are a programming error, not input, so they stop the process in
// every build type rather than only where assert() is compiled in.
void CheckOption(bool ok, const char* what) {
  if (ok) return;
  std::fprintf(stderr, "TimerWheel: %s\n", what);
  std::abort();
}

// Nanoseconds from `from` to `to` when `to` is later; computed in unsigned
// arithmetic so that no pair of time points can overflow.
uint64_t NanosAfter(MonoTime from, MonoTime to) {
  return static_cast<uint64_t>(to.time_since_epoch().count()) -
         static_cast<uint64_t>(from.time_since_epoch().count());
}

}  // namespace

TimerWheel::TimerWheel(Options options, MonoTime start)
    : options_(options),
      start_(start),
      tick_ns_(0),
      slot_mask_(uint64_t{options.slots} - 1) {
  CheckOption(options.tick > Millis(0), "tick must be greater than zero");
  // A day per tick keeps tick_ns_ far from overflow; no use needs more.
  CheckOption(options.tick <= std::chrono::hours(24), "tick must be at most 24 h");
  CheckOption(options.slots != 0 && (options.slots & (options.slots - 1)) == 0,
              "slots must be a power of two");
  tick_ns_ = static_cast<uint64_t>(
      std::chrono::duration_cast<MonoTime::duration>(options.tick).count());
  heads_.assign(options.slots, kNone);
}

uint64_t TimerWheel::TickOf(MonoTime t) const {
  if (t <= start_) return 0;
  return NanosAfter(start_, t) / tick_ns_;
}

uint64_t TimerWheel::DeadlineTickOf(MonoTime deadline) const {
  if (deadline <= start_) return 0;
  const uint64_t ns = NanosAfter(start_, deadline);
  return ns / tick_ns_ + (ns % tick_ns_ != 0 ? 1 : 0);
}

void TimerWheel::Schedule(uint32_t id, MonoTime deadline) {
  CheckOption(id != kNone, "id 0xffffffff is reserved");
  if (id >= nodes_.size()) nodes_.resize(size_t{id} + 1);
  if (nodes_[id].expiry_tick != kUnscheduled) Unlink(id);
  // An entry already due goes to the current tick's slot, which the next
  // Advance() visits first, instead of a slot the wheel has passed.
  Link(id, std::max(DeadlineTickOf(deadline), current_tick_));
}

void TimerWheel::Cancel(uint32_t id) {
  if (IsScheduled(id)) Unlink(id);
}

bool TimerWheel::IsScheduled(uint32_t id) const {
  return id < nodes_.size() && nodes_[id].expiry_tick != kUnscheduled;
}

uint64_t TimerWheel::BeginAdvance(uint64_t target) {
  target = std::max(target, current_tick_);
  uint64_t first = current_tick_;
  // Past one revolution every further tick would revisit a slot; entries are
  // compared with their own expiry tick, so one visit per slot finds them all.
  if (target - current_tick_ >= options_.slots) first = target - options_.slots + 1;
  current_tick_ = target;
  return first;
}

void TimerWheel::VisitSlotOf(uint64_t tick) { cursor_ = heads_[tick & slot_mask_]; }

uint32_t TimerWheel::PopExpired(uint64_t target) {
  while (cursor_ != kNone) {
    const uint32_t id = cursor_;
    cursor_ = nodes_[id].next;
    if (nodes_[id].expiry_tick <= target) {
      Unlink(id);
      return id;
    }
  }
  return kNone;
}

void TimerWheel::Link(uint32_t id, uint64_t expiry_tick) {
  uint32_t& head = heads_[expiry_tick & slot_mask_];
  Node& node = nodes_[id];
  node.expiry_tick = expiry_tick;
  node.prev = kNone;
  node.next = head;
  if (head != kNone) nodes_[head].prev = id;
  head = id;
  ++size_;
}

void TimerWheel::Unlink(uint32_t id) {
  Node& node = nodes_[id];
  if (node.prev == kNone) {
    heads_[node.expiry_tick & slot_mask_] = node.next;
  } else {
    nodes_[node.prev].next = node.next;
  }
  if (node.next != kNone) nodes_[node.next].prev = node.prev;
  if (cursor_ == id) cursor_ = node.next;
  node = Node{};
  --size_;
}

}  // namespace sela
