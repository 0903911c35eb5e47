#include "store/validate.h"

#include <gtest/gtest.h>

#include <cmath>
#include <limits>

namespace sela::store {
namespace {

TEST(ValidateDay, AcceptsRealCalendarDates) {
  for (const char* day : {"2024-01-01", "2024-02-29", "2023-12-31", "1970-01-01", "9999-12-31"}) {
    EXPECT_TRUE(ValidateDay(day, "day").ok()) << day;
  }
}

TEST(ValidateDay, RefusesOtherShapesAndImpossibleDates) {
  for (const char* day :
       {"", "2024-1-01", "2024-01-1", "2024-00-10", "2024-13-01", "2023-02-29", "2024-04-31",
        "2024-01-00", "2024/01/01", "+024-01-01", "2024-01-01 ", "２０２４-01-01"}) {
    const Status status = ValidateDay(day, "from_day");
    EXPECT_EQ(status.code(), Code::kInvalidArgument) << day;
    EXPECT_NE(status.message().find("from_day"), std::string::npos) << status.ToString();
  }
}

TEST(ValidateDay, QuotesAtMostAShortPrefixOfTheInput) {
  const Status status = ValidateDay(std::string(10'000, 'x'), "day");
  EXPECT_LT(status.message().size(), 200u);
}

TEST(ValidatePrincipal, RefusesEmptyAndTooLong) {
  EXPECT_EQ(ValidatePrincipal("", 10).code(), Code::kInvalidArgument);
  EXPECT_EQ(ValidatePrincipal("12345678901", 10).code(), Code::kInvalidArgument);
  EXPECT_TRUE(ValidatePrincipal("1234567890", 10).ok());
}

NodeMetricsUpdate Metrics(std::optional<double> download, std::optional<double> upload,
                          std::optional<double> ping_ms) {
  NodeMetricsUpdate update;
  update.download_speed = download;
  update.upload_speed = upload;
  update.ping_ms = ping_ms;
  return update;
}

UptimeDelta Delta(int64_t online_ms) {
  UptimeDelta delta;
  delta.principal = "p";
  delta.day = "2024-01-01";
  delta.online_ms = online_ms;
  return delta;
}

TEST(ValidateMetrics, RefusesNonFiniteAndNegativeValues) {
  EXPECT_TRUE(ValidateMetrics({}).ok());
  EXPECT_TRUE(ValidateMetrics(Metrics(0, 1e6, 0.5)).ok());
  EXPECT_FALSE(ValidateMetrics(Metrics(-0.1, std::nullopt, std::nullopt)).ok());
  EXPECT_FALSE(ValidateMetrics(Metrics(std::nullopt, std::nan(""), std::nullopt)).ok());
  EXPECT_FALSE(
      ValidateMetrics(Metrics(std::nullopt, std::nullopt, -std::numeric_limits<double>::infinity()))
          .ok());
}

TEST(ValidateUptimeDelta, BoundsOnlineTimeToOneDay) {
  UptimeDelta delta = Delta(kDayMs);
  EXPECT_TRUE(ValidateUptimeDelta(delta, 16).ok());
  delta.online_ms = kDayMs + 1;
  EXPECT_EQ(ValidateUptimeDelta(delta, 16).code(), Code::kInvalidArgument);
  delta.online_ms = -1;
  EXPECT_EQ(ValidateUptimeDelta(delta, 16).code(), Code::kInvalidArgument);
}

TEST(ValidateUptimeDelta, RefusesBadSums) {
  UptimeDelta delta = Delta(0);
  delta.ping_sum = -1;
  EXPECT_EQ(ValidateUptimeDelta(delta, 16).code(), Code::kInvalidArgument);
  delta.ping_sum = 0;
  delta.speed_sum = std::numeric_limits<double>::infinity();
  EXPECT_EQ(ValidateUptimeDelta(delta, 16).code(), Code::kInvalidArgument);
}

TEST(ValidateStatus, RefusesValuesOutsideTheEnum) {
  EXPECT_TRUE(ValidateStatus(NodeStatus::kActive).ok());
  EXPECT_TRUE(ValidateStatus(NodeStatus::kInactive).ok());
  EXPECT_EQ(ValidateStatus(static_cast<NodeStatus>(2)).code(), Code::kInvalidArgument);
}

TEST(ValidateNowMs, RefusesNegativeTimes) {
  EXPECT_TRUE(ValidateNowMs(0).ok());
  EXPECT_EQ(ValidateNowMs(-1).code(), Code::kInvalidArgument);
}

}  // namespace
}  // namespace sela::store
