// InboundBudget: one limit on the memory that unfinished input holds across
// all connections (INBOUND_BUDGET_BYTES): HTTP requests being read (header
// fields, body) and WebSocket frames and messages not complete yet.
//
// Each connection is charged for what it holds or is about to hold. A
// connection that would grow its charge past the limit is refused: the
// server stops reading from it (backpressure) and queues it here, first
// come first served, until charges are released. Bytes already read are
// charged whatever the limit says (they are in memory already); what the
// budget refuses is reading more.
//
// Large requests (above small_bytes_max, e.g. a 1 MiB node result) may only
// fill the budget up to limit - reserve, so that small bodies and messages
// (REST calls, pings, heartbeats) still find room while large ones wait.
//
// Thread-safety: none; owned by the event loop's thread.
#pragma once

#include <cstdint>
#include <deque>
#include <optional>

namespace sela::net {

class InboundBudget {
 public:
  struct Options {
    uint64_t limit_bytes = 64ull << 20;
    // Requests up to this size may use the reserve.
    uint64_t small_bytes_max = 128 * 1024;
    // The part of the limit only small requests may use.
    uint64_t reserve_bytes = 8ull << 20;
  };

  explicit InboundBudget(Options options) : options_(options) {}

  // Charges bytes already held, even past the limit.
  void Charge(uint64_t bytes);
  // Whether `bytes` more for a request that will hold `total_bytes` in all
  // keep the budget within its limit (for a large request, within
  // limit - reserve).
  bool CanCharge(uint64_t bytes, uint64_t total_bytes) const;
  // Charges them if CanCharge; returns whether it did.
  bool TryCharge(uint64_t bytes, uint64_t total_bytes);
  void Release(uint64_t bytes);

  uint64_t used_bytes() const { return used_; }
  uint64_t limit_bytes() const { return options_.limit_bytes; }
  // The highest use since the last TakePeak().
  uint64_t TakePeak();
  // True when the budget is full: small reads only.
  bool full() const { return used_ >= options_.limit_bytes; }

  // Connections waiting for room, oldest first (ids chosen by the caller).
  void AddWaiter(uint64_t id) { waiters_.push_back(id); }
  std::optional<uint64_t> PopWaiter();
  void PushFrontWaiter(uint64_t id) { waiters_.push_front(id); }
  size_t waiters() const { return waiters_.size(); }

 private:
  Options options_;
  uint64_t used_ = 0;
  uint64_t peak_ = 0;
  std::deque<uint64_t> waiters_;
};

}  // namespace sela::net
