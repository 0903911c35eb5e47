#include "core/calendar.h"

#include <algorithm>
#include <chrono>
#include <cstdio>

namespace sela {

int64_t DayNumberOf(int64_t wall_ms) {
  int64_t day = wall_ms / kDayMs;
  if (wall_ms % kDayMs < 0) --day;
  return day;
}

std::string DayText(int64_t day_number) {
  // Clamped to 0000-01-01 .. 9999-12-31, the range of the format.
  constexpr int64_t kFirst = -719'528;
  constexpr int64_t kLast = 2'932'896;
  const std::chrono::sys_days days{std::chrono::days{std::clamp(day_number, kFirst, kLast)}};
  const std::chrono::year_month_day ymd{days};
  char buf[16];
  std::snprintf(buf, sizeof buf, "%04d-%02u-%02u", static_cast<int>(ymd.year()),
                static_cast<unsigned>(ymd.month()), static_cast<unsigned>(ymd.day()));
  return buf;
}

std::string UtcDayOf(int64_t wall_ms) { return DayText(DayNumberOf(wall_ms)); }

std::optional<int64_t> ParseDay(std::string_view text) {
  if (text.size() != 10 || text[4] != '-' || text[7] != '-') return std::nullopt;
  int parts[3] = {0, 0, 0};
  const std::pair<size_t, size_t> spans[3] = {{0, 4}, {5, 2}, {8, 2}};
  for (int i = 0; i < 3; ++i) {
    for (size_t k = spans[i].first; k < spans[i].first + spans[i].second; ++k) {
      if (text[k] < '0' || text[k] > '9') return std::nullopt;
      parts[i] = parts[i] * 10 + (text[k] - '0');
    }
  }
  const std::chrono::year_month_day ymd{std::chrono::year{parts[0]},
                                        std::chrono::month{static_cast<unsigned>(parts[1])},
                                        std::chrono::day{static_cast<unsigned>(parts[2])}};
  if (!ymd.ok()) return std::nullopt;
  return std::chrono::sys_days{ymd}.time_since_epoch().count();
}

int WeekdayOf(int64_t day_number) {
  // 1970-01-01 was a Thursday (4).
  return static_cast<int>(((day_number % 7) + 7 + 4) % 7);
}

Week LastCompletedWeek(int64_t today) {
  // Days back to the latest Saturday strictly before today.
  const int back = (WeekdayOf(today) + 1) % 7 == 0 ? 7 : (WeekdayOf(today) + 1) % 7;
  const int64_t last = today - back;
  return Week{last - 6, last};
}

}  // namespace sela
