// Clock: the only way code learns the time. Injected from main; tests use
// testing::FakeClock. Two readings: a monotonic one for deadlines and
// durations, and wall time (Unix epoch) for timestamps shown to people and
// for UTC-day bucketing.
//
// Thread-safety: implementations are safe to call from any thread.
#pragma once

#include <chrono>
#include <cstdint>

namespace sela {

using MonoTime = std::chrono::steady_clock::time_point;
using Millis = std::chrono::milliseconds;

class Clock {
 public:
  virtual ~Clock() = default;
  virtual MonoTime Now() const = 0;
  // Milliseconds since the Unix epoch.
  virtual int64_t WallMs() const = 0;
};

class SystemClock final : public Clock {
 public:
  MonoTime Now() const override { return std::chrono::steady_clock::now(); }
  int64_t WallMs() const override;
};

// `clock` if given, else the process's SystemClock: for options whose
// clock may be left null (tests inject a FakeClock there).
const Clock& ClockOrSystem(const Clock* clock);

}  // namespace sela
