#include "nodes/utc_day.h"

#include <cstdio>

#include "nodes/registry.h"

namespace sela::nodes {
namespace {

struct CivilDate {
  int64_t year;
  unsigned month;  // 1..12
  unsigned day;    // 1..31
};

// Howard Hinnant's days_from_civil inverse ("chrono-Compatible Low-Level
// Date Algorithms"): exact for every day number whose year fits in int64,
// which includes every day an int64 of milliseconds can name.
CivilDate CivilFromDays(int64_t z) {
  z += 719468;  // Shift the epoch to 0000-03-01, the start of a 400-year era.
  const int64_t era = (z >= 0 ? z : z - 146096) / 146097;
  const int64_t doe = z - era * 146097;                                 // [0, 146096]
  const int64_t yoe = (doe - doe / 1460 + doe / 36524 - doe / 146096) / 365;  // [0, 399]
  const int64_t doy = doe - (365 * yoe + yoe / 4 - yoe / 100);          // [0, 365]
  const int64_t mp = (5 * doy + 2) / 153;                               // [0, 11]
  const auto day = static_cast<unsigned>(doy - (153 * mp + 2) / 5 + 1);
  const auto month = static_cast<unsigned>(mp < 10 ? mp + 3 : mp - 9);
  return {yoe + era * 400 + (month <= 2 ? 1 : 0), month, day};
}

}  // namespace

std::string FormatDay(int64_t day) {
  const CivilDate date = CivilFromDays(day);
  char buf[32];
  const long long year = date.year;
  const int n = year < 0 ? std::snprintf(buf, sizeof buf, "-%04lld-%02u-%02u", -year, date.month,
                                         date.day)
                         : std::snprintf(buf, sizeof buf, "%04lld-%02u-%02u", year, date.month,
                                         date.day);
  return std::string(buf, static_cast<size_t>(n));
}

std::string UtcDay(int64_t wall_ms) { return FormatDay(DayNumber(wall_ms)); }

}  // namespace sela::nodes
