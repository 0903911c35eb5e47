#include "core/slot_deadlines.h"

#include <algorithm>
#include <cstdio>
#include <cstdlib>

namespace sela {
namespace {

constexpr uint32_t kNoMin = 0xffffffffu;
// Past this many ticks after base_, the base moves up (once per 2^30 ticks:
// 1.7 years at 50 ms), so that entries plus kMaxAheadTicks stay in 32 bits.
constexpr uint64_t kRebaseAfter = uint64_t{1} << 30;

uint64_t NanosAfter(MonoTime from, MonoTime to) {
  return static_cast<uint64_t>(to.time_since_epoch().count()) -
         static_cast<uint64_t>(from.time_since_epoch().count());
}

}  // namespace

SlotDeadlines::SlotDeadlines(Millis tick, MonoTime start) : tick_(tick), start_(start), tick_ns_(0) {
  if (tick <= Millis(0) || tick > std::chrono::hours(24)) {
    std::fprintf(stderr, "SlotDeadlines: tick must be greater than zero and at most 24 h\n");
    std::abort();
  }
  tick_ns_ = static_cast<uint64_t>(std::chrono::duration_cast<MonoTime::duration>(tick).count());
}

uint64_t SlotDeadlines::TickOf(MonoTime t) const {
  if (t <= start_) return 0;
  return NanosAfter(start_, t) / tick_ns_;
}

uint64_t SlotDeadlines::DeadlineTickOf(MonoTime deadline) const {
  if (deadline <= start_) return 0;
  const uint64_t ns = NanosAfter(start_, deadline);
  return ns / tick_ns_ + (ns % tick_ns_ != 0 ? 1 : 0);
}

void SlotDeadlines::Schedule(uint32_t id, MonoTime deadline) {
  const uint32_t block = id / kBlock;
  while (blocks_.size() <= block) {
    blocks_.push_back(std::make_unique<uint32_t[]>(kBlock));  // Zeroed: unscheduled.
    block_min_.push_back(kNoMin);
  }
  const uint64_t tick = DeadlineTickOf(deadline);
  const uint64_t now_rel = current_tick_ - base_;
  uint64_t rel = tick > base_ ? tick - base_ : 1;
  rel = std::clamp<uint64_t>(rel, 1, now_rel + kMaxAheadTicks);
  uint32_t& e = Entry(id);
  if (e == 0) ++size_;
  e = static_cast<uint32_t>(rel);
  block_min_[block] = std::min(block_min_[block], e);
}

void SlotDeadlines::Cancel(uint32_t id) {
  if (!IsScheduled(id)) return;
  Entry(id) = 0;
  --size_;
}

bool SlotDeadlines::IsScheduled(uint32_t id) const {
  return id / kBlock < blocks_.size() && blocks_[id / kBlock][id % kBlock] != 0;
}

uint32_t SlotDeadlines::BeginAdvance(MonoTime now) {
  current_tick_ = std::max(current_tick_, TickOf(now));
  if (current_tick_ - base_ > kRebaseAfter) Rebase();
  const auto now_rel = static_cast<uint32_t>(current_tick_ - base_);
  due_.clear();
  for (uint32_t b = 0; b < blocks_.size(); ++b) {
    if (block_min_[b] > now_rel) continue;
    uint32_t* entries = blocks_[b].get();
    uint32_t min = kNoMin;
    for (uint32_t i = 0; i < kBlock; ++i) {
      const uint32_t e = entries[i];
      if (e == 0) continue;
      if (e <= now_rel) {
        due_.push_back(b * kBlock + i);
      } else {
        min = std::min(min, e);
      }
    }
    block_min_[b] = min;
  }
  return now_rel;
}

void SlotDeadlines::Rebase() {
  // Moves base_ to one tick before now: entries already due stay due (1).
  const uint64_t shift = current_tick_ - base_ - 1;
  for (uint32_t b = 0; b < blocks_.size(); ++b) {
    uint32_t* entries = blocks_[b].get();
    for (uint32_t i = 0; i < kBlock; ++i) {
      uint32_t& e = entries[i];
      if (e != 0) e = e > shift ? static_cast<uint32_t>(e - shift) : 1;
    }
    if (block_min_[b] != kNoMin) block_min_[b] = block_min_[b] > shift ? static_cast<uint32_t>(block_min_[b] - shift) : 1;
  }
  base_ += shift;
}

}  // namespace sela
