#include "net/inbound_budget.h"

#include <algorithm>
#include <cassert>

namespace sela::net {

void InboundBudget::Charge(uint64_t bytes) {
  used_ += bytes;
  peak_ = std::max(peak_, used_);
}

bool InboundBudget::CanCharge(uint64_t bytes, uint64_t total_bytes) const {
  const uint64_t ceiling = total_bytes <= options_.small_bytes_max
                               ? options_.limit_bytes
                               : options_.limit_bytes - std::min(options_.reserve_bytes, options_.limit_bytes);
  return used_ + bytes <= ceiling;
}

bool InboundBudget::TryCharge(uint64_t bytes, uint64_t total_bytes) {
  if (!CanCharge(bytes, total_bytes)) return false;
  Charge(bytes);
  return true;
}

void InboundBudget::Release(uint64_t bytes) {
  assert(bytes <= used_);
  used_ -= std::min(bytes, used_);
}

uint64_t InboundBudget::TakePeak() {
  const uint64_t peak = peak_;
  peak_ = used_;
  return peak;
}

std::optional<uint64_t> InboundBudget::PopWaiter() {
  if (waiters_.empty()) return std::nullopt;
  const uint64_t id = waiters_.front();
  waiters_.pop_front();
  return id;
}

}  // namespace sela::net
