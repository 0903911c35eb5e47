// UTC calendar days: day numbers, "YYYY-MM-DD" text,
// weekdays and the weeks of the weekly referral share (rewards). No time zone, no
// locale, no clock: callers pass wall-clock milliseconds.
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>

namespace sela {

inline constexpr int64_t kDayMs = 86'400'000;

// Days since 1970-01-01 of the UTC day holding wall_ms (floor division).
int64_t DayNumberOf(int64_t wall_ms);
// "YYYY-MM-DD" of a day number (years 0000..9999; outside that range the
// year is clamped, which no reward date reaches).
std::string DayText(int64_t day_number);
// UtcDayOf(ms) == DayText(DayNumberOf(ms)).
std::string UtcDayOf(int64_t wall_ms);
// The day number of a valid "YYYY-MM-DD"; nullopt for anything else
// (including dates that do not exist, such as 2024-02-30).
std::optional<int64_t> ParseDay(std::string_view text);
// 0 = Sunday ... 6 = Saturday.
int WeekdayOf(int64_t day_number);

// The weekly referral share pays for weeks Sunday..Saturday (UTC), as the
// original's Sunday job did for the seven days before it.
struct Week {
  int64_t first_day = 0;  // A Sunday.
  int64_t last_day = 0;   // The Saturday after it.
};
// The latest week that ended before `today` (a day number).
Week LastCompletedWeek(int64_t today);

}  // namespace sela
