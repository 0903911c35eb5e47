// UTC calendar days as integers, for splitting online time at midnight and
// naming the day of an uptime record. Proleptic Gregorian calendar, no leap
// seconds (as Unix time), no locale and no time zone.
#pragma once

#include <cstdint>
#include <string>

namespace sela::nodes {

inline constexpr int64_t kDayMs = 86'400'000;

// Days since 1970-01-01 of the UTC day that contains `wall_ms`; negative
// before 1970 (floor division, so -1 ms is day -1).
constexpr int64_t DayNumber(int64_t wall_ms) {
  int64_t day = wall_ms / kDayMs;
  if (wall_ms % kDayMs < 0) --day;
  return day;
}

// "YYYY-MM-DD" of a day number. Years 0 to 9999 have four digits; years
// outside that range (astronomical numbering, so 1 BC is year 0) are written
// with as many digits as they need and a leading '-' when negative, so that
// every int64 input gives a well-formed, distinct string.
std::string FormatDay(int64_t day);

}  // namespace sela::nodes
