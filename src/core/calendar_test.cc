#include "core/calendar.h"

#include <gtest/gtest.h>

namespace sela {
namespace {

constexpr int64_t k2024_03_10 = 1'710'028'800'000;  // A Sunday, 00:00 UTC.

TEST(Calendar, NamesTheUtcDayOfAnInstant) {
  EXPECT_EQ(UtcDayOf(0), "1970-01-01");
  EXPECT_EQ(UtcDayOf(k2024_03_10), "2024-03-10");
  EXPECT_EQ(UtcDayOf(k2024_03_10 - 1), "2024-03-09");
  EXPECT_EQ(UtcDayOf(-1), "1969-12-31");
  EXPECT_EQ(UtcDayOf(951'825'600'000), "2000-02-29");
}

TEST(Calendar, ParsesRealDatesOnly) {
  EXPECT_EQ(ParseDay("2024-03-10"), DayNumberOf(k2024_03_10));
  EXPECT_EQ(ParseDay("1970-01-01"), 0);
  EXPECT_EQ(ParseDay("2024-02-29"), DayNumberOf(k2024_03_10) - 10);
  for (const char* bad : {"2023-02-29", "2024-13-01", "2024-3-10", "2024/03/10", "", "2024-03-10x", "abcd-ef-gh"}) {
    EXPECT_FALSE(ParseDay(bad).has_value()) << bad;
  }
  EXPECT_EQ(DayText(*ParseDay("2031-12-31")), "2031-12-31");
}

TEST(Calendar, KnowsWeekdays) {
  const int64_t sunday = DayNumberOf(k2024_03_10);
  EXPECT_EQ(WeekdayOf(sunday), 0);
  EXPECT_EQ(WeekdayOf(sunday + 6), 6);
  EXPECT_EQ(WeekdayOf(0), 4) << "1970-01-01 was a Thursday";
  EXPECT_EQ(WeekdayOf(-1), 3);
}

TEST(Calendar, TheLastCompletedWeekIsSundayToSaturdayBeforeToday) {
  const int64_t sunday = DayNumberOf(k2024_03_10);
  for (int64_t today = sunday; today < sunday + 7; ++today) {
    const Week week = LastCompletedWeek(today);
    EXPECT_EQ(DayText(week.first_day), "2024-03-03") << DayText(today);
    EXPECT_EQ(DayText(week.last_day), "2024-03-09") << DayText(today);
  }
  EXPECT_EQ(DayText(LastCompletedWeek(sunday + 7).last_day), "2024-03-16");
}

}  // namespace
}  // namespace sela
