#include "core/clock.h"

namespace sela {

int64_t SystemClock::WallMs() const {
  return std::chrono::duration_cast<std::chrono::milliseconds>(
             std::chrono::system_clock::now().time_since_epoch())
      .count();
}

const Clock& ClockOrSystem(const Clock* clock) {
  static const SystemClock system;
  return clock != nullptr ? *clock : system;
}

}  // namespace sela
