#include "store/validate.h"

#include <gtest/gtest.h>

#include <cmath>
#include <limits>
#include <string>

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

TEST(JobStateName, NamesEachStateAsTheOriginalDid) {
  EXPECT_EQ(JobStateName(JobState::kPending), "pending");
  EXPECT_EQ(JobStateName(JobState::kOngoing), "ongoing");
  EXPECT_EQ(JobStateName(JobState::kCompleted), "completed");
  EXPECT_EQ(JobStateName(JobState::kFailed), "failed");
  EXPECT_EQ(JobStateName(static_cast<JobState>(9)), "unknown");
  EXPECT_EQ(ValidateJobState(static_cast<JobState>(9)).code(), Code::kInvalidArgument);
  EXPECT_TRUE(ValidateJobState(JobState::kFailed).ok());
}

TEST(ValidateSha256Hex, AcceptsOnly64LowercaseHexDigits) {
  const std::string good = "0123456789abcdef0123456789abcdef0123456789abcdef0123456789abcdef";
  EXPECT_TRUE(ValidateSha256Hex(good, "hash").ok());
  for (const std::string& bad :
       {std::string(), good.substr(1), good + "0", std::string(64, 'A'), std::string(64, 'g'),
        std::string(63, 'a') + " "}) {
    const Status status = ValidateSha256Hex(bad, "result_hash");
    EXPECT_EQ(status.code(), Code::kInvalidArgument) << bad;
    EXPECT_NE(status.message().find("result_hash"), std::string::npos) << status.ToString();
  }
}

TEST(ValidateId, RefusesEmptyAndTooLongAndNamesTheArgument) {
  EXPECT_TRUE(ValidateId("abc", "job_id", 3).ok());
  EXPECT_EQ(ValidateId("", "job_id", 3).code(), Code::kInvalidArgument);
  const Status status = ValidateId("abcd", "job_id", 3);
  EXPECT_EQ(status.code(), Code::kInvalidArgument);
  EXPECT_NE(status.message().find("job_id"), std::string::npos) << status.ToString();
  EXPECT_TRUE(ValidateText("", "error", 3).ok());
  EXPECT_EQ(ValidateText("abcd", "error", 3).code(), Code::kInvalidArgument);
}

TEST(ValidateCreateJob, AcceptsANewPendingJobAndRefusesOtherStates) {
  CreateJobRequest request;
  request.job.job_id = "job_1";
  request.job.client_uuid = "acme";
  request.job.job_type = "scrape";
  const JobLimits limits;
  EXPECT_TRUE(ValidateCreateJob(request, limits).ok());
  request.job.state = JobState::kCompleted;
  EXPECT_EQ(ValidateCreateJob(request, limits).code(), Code::kInvalidArgument);
  request.job.state = JobState::kPending;
  request.job.reward_units = -1;
  EXPECT_EQ(ValidateCreateJob(request, limits).code(), Code::kInvalidArgument);
}

}  // namespace
}  // namespace sela::store
