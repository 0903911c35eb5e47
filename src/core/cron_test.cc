#include "core/cron.h"

#include <gtest/gtest.h>

#include "core/calendar.h"

namespace sela {
namespace {

constexpr int64_t kSunday = 1'710'028'800'000;  // 2024-03-10 00:00:00 UTC, a Sunday.
constexpr int64_t kMinute = 60'000;
constexpr int64_t kHour = 60 * kMinute;

CronSchedule Must(const char* text) {
  auto c = CronSchedule::Parse(text);
  EXPECT_TRUE(c.has_value()) << text << ": " << (c ? "" : c.error().ToString());
  return c ? *c : *CronSchedule::Parse("* * * * *");
}

TEST(Cron, EveryFiveMinutesIsTheOriginalDefault) {
  const CronSchedule c = Must("*/5 * * * *");
  EXPECT_EQ(c.Next(kSunday), kSunday + 5 * kMinute) << "strictly after";
  EXPECT_EQ(c.Next(kSunday - 1), kSunday);
  EXPECT_EQ(c.Next(kSunday + 4 * kMinute + 59'999), kSunday + 5 * kMinute);
  EXPECT_TRUE(c.Matches(kSunday + 55 * kMinute));
  EXPECT_FALSE(c.Matches(kSunday + 55 * kMinute + 1'000)) << "second 0 only";
}

TEST(Cron, HourlyAsDockerComposeSetIt) {
  const CronSchedule c = Must("0 * * * *");
  EXPECT_EQ(c.Next(kSunday + 1), kSunday + kHour);
}

TEST(Cron, TheWeeklyReferralJobRunsSundaysAtTwoUtc) {
  const CronSchedule c = Must("0 2 * * 0");
  EXPECT_EQ(c.Next(kSunday), kSunday + 2 * kHour);
  EXPECT_EQ(c.Next(kSunday + 2 * kHour), kSunday + 7 * 24 * kHour + 2 * kHour);
  EXPECT_EQ(Must("0 2 * * 7").Next(kSunday), kSunday + 2 * kHour) << "7 is Sunday too";
  EXPECT_EQ(Must("0 2 * * sun").Next(kSunday), kSunday + 2 * kHour);
  EXPECT_EQ(Must("0 2 * * SUNDAY").Next(kSunday), kSunday + 2 * kHour);
}

TEST(Cron, SixFieldsHaveSecondsFirst) {
  const CronSchedule c = Must("*/10 * * * * *");
  EXPECT_EQ(c.Next(kSunday), kSunday + 10'000);
  EXPECT_EQ(c.Next(kSunday + 10'000), kSunday + 20'000);
}

TEST(Cron, StepsKeepValuesDivisibleByThemAsNodeCronDoes) {
  // Day of month 1-10/2 is 2,4,6,8,10 in node-cron (Vixie cron: 1,3,5,...).
  const CronSchedule c = Must("0 0 1-10/2 * *");
  EXPECT_EQ(UtcDayOf(*c.Next(kSunday)), "2024-04-02");
  EXPECT_EQ(UtcDayOf(*Must("0 0 */2 * *").Next(kSunday)), "2024-03-12");
}

TEST(Cron, DayOfMonthAndWeekdayMustBothMatch) {
  // The 13th that is a Friday: 2024-09-13.
  EXPECT_EQ(UtcDayOf(*Must("0 0 13 * fri").Next(kSunday)), "2024-09-13");
}

TEST(Cron, ListsRangesAndMonthNames) {
  const CronSchedule c = Must("15,45 9-10 * jan,Mar *");
  EXPECT_EQ(c.Next(kSunday), kSunday + 9 * kHour + 15 * kMinute);
  EXPECT_EQ(c.Next(kSunday + 10 * kHour + 45 * kMinute), kSunday + 24 * kHour + 9 * kHour + 15 * kMinute);
  EXPECT_EQ(UtcDayOf(*Must("0 0 1 February *").Next(kSunday)), "2025-02-01");
}

TEST(Cron, LeapDaysAreFound) {
  EXPECT_EQ(UtcDayOf(*Must("0 0 29 2 *").Next(kSunday)), "2028-02-29");
}

TEST(Cron, BadExpressionsNameTheProblem) {
  for (const char* bad : {"", "* * * *", "* * * * * * *", "60 * * * *", "* 24 * * *", "* * 0 * *", "* * 32 * *",
                          "* * * 13 *", "* * * * 8", "*/0 * * * *", "a * * * *", "1-x * * * *", "5-1 * * * *",
                          "1,,2 * * * *", "0 0 30 2 *", "* * * foo *", "\"0 * * * *\"", "7/15 * * * *"}) {
    const auto c = CronSchedule::Parse(bad);
    EXPECT_FALSE(c.has_value()) << "'" << bad << "'";
    if (!c) {
      EXPECT_EQ(c.error().code(), Code::kInvalidArgument);
    }
  }
}

}  // namespace
}  // namespace sela
