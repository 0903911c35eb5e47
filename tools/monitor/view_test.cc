#include "view.h"

#include <gtest/gtest.h>

namespace monitor {
namespace {

loadgen::JsonValue Sample(int64_t online, double completed_per_s, const char* errors = "[]") {
  const std::string text = R"({"ts":1700000000000,"nodes":{"online":)" + std::to_string(online) +
                           R"(,"registrations_per_s":2.5},"jobs":{"created_per_s":10,"leased_per_s":10,"completed_per_s":)" +
                           std::to_string(completed_per_s) +
                           R"(,"failed_per_s":0,"pending":3,"open":5,"created_total":100,"completed_total":90,"failed_total":1},)"
                           R"("round_trip_ms":{"count":4,"p50":1.5,"p90":null,"p99":9.25},"http_requests_per_s":11,"errors":)" +
                           errors + R"(,"ledger":null})";
  return *loadgen::ParseJson(text);
}

TEST(Sparkline, ScalesFromZeroToTheLargestValue) {
  EXPECT_EQ(Sparkline({0, 7, 14}, 10), "▁▅█");
  EXPECT_EQ(Sparkline({0, 0}, 10), "▁▁");
  EXPECT_EQ(Sparkline({-1, 4}, 10), " █");
}

TEST(Sparkline, KeepsOnlyTheNewestValuesThatFit) {
  EXPECT_EQ(Sparkline({100, 0, 1}, 2), "▁█");
}

TEST(Series, ReadsAPathAndMarksNullsAndMissingValues) {
  const std::vector<loadgen::JsonValue> samples = {Sample(1, 2), Sample(3, 4)};
  EXPECT_EQ(Series(samples, {"nodes", "online"}), (std::vector<double>{1, 3}));
  EXPECT_EQ(Series(samples, {"round_trip_ms", "p90"}), (std::vector<double>{-1, -1}));
  EXPECT_EQ(Series(samples, {"nope"}), (std::vector<double>{-1, -1}));
}

TEST(RenderView, ShowsTheNewestSampleWithErrorsAndNoColorWhenAsked) {
  const std::vector<loadgen::JsonValue> samples = {
      Sample(1, 2), Sample(42, 123.4, R"([{"name":"job failed","last_minute":2,"total":7}])")};
  const std::string view = RenderView(samples, {.server = "127.0.0.1:9", .width = 80, .color = false});
  EXPECT_NE(view.find("127.0.0.1:9"), std::string::npos);
  EXPECT_NE(view.find("nodes online        42"), std::string::npos) << view;
  EXPECT_NE(view.find("jobs completed/s    123.4"), std::string::npos) << view;
  EXPECT_NE(view.find("round trip p99 ms   9.25"), std::string::npos) << view;
  EXPECT_NE(view.find("job failed"), std::string::npos);
  EXPECT_NE(view.find("90 completed"), std::string::npos);
  EXPECT_NE(view.find("ledger: not available yet"), std::string::npos);
  EXPECT_EQ(view.find('\x1b'), std::string::npos);
}

TEST(RenderView, SaysNoneWithoutErrors) {
  const std::string view = RenderView({Sample(1, 2)}, {.server = "s", .width = 80, .color = true});
  EXPECT_NE(view.find("  none\n"), std::string::npos);
  EXPECT_NE(view.find("\x1b[1m"), std::string::npos);
}

}  // namespace
}  // namespace monitor
