// FakeClock: a Clock that moves only when a test says so.
#pragma once

#include <atomic>

#include "core/clock.h"

namespace sela::testing {

class FakeClock final : public Clock {
 public:
  explicit FakeClock(int64_t wall_ms = 1'700'000'000'000) : wall_ms_(wall_ms) {}
  MonoTime Now() const override { return MonoTime(Millis(mono_ms_.load())); }
  int64_t WallMs() const override { return wall_ms_.load(); }
  void Advance(Millis d) {
    mono_ms_ += d.count();
    wall_ms_ += d.count();
  }
  void SetWallMs(int64_t ms) { wall_ms_ = ms; }

 private:
  std::atomic<int64_t> mono_ms_{1'000'000};
  std::atomic<int64_t> wall_ms_;
};

}  // namespace sela::testing
