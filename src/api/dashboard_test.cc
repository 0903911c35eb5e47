#include "api/dashboard.h"

#include <gtest/gtest.h>

#include <boost/json.hpp>

#include "api/api_test_util.h"
#include "api/job_service.h"
#include "api/ws_demux.h"
#include "testing/fake_clock.h"

namespace sela::api {
namespace {

namespace json = boost::json;
using test_util::Request;

TEST(BucketQuantile, InterpolatesInsideTheBucketThatHoldsTheRank) {
  const std::vector<double> bounds = {1, 2, 4};
  // 10 observations: 0 in (0,1], 10 in (1,2].
  EXPECT_DOUBLE_EQ(BucketQuantile(bounds, std::vector<uint64_t>{0, 10, 0, 0}, 0.5), 1.5);
  // Half in the first bucket, half in the third.
  EXPECT_DOUBLE_EQ(BucketQuantile(bounds, std::vector<uint64_t>{5, 0, 5, 0}, 0.9), 3.6);
  EXPECT_DOUBLE_EQ(BucketQuantile(bounds, std::vector<uint64_t>{4, 0, 0, 0}, 0.5), 0.5);
}

TEST(BucketQuantile, AnswersTheLastBoundInTheInfiniteBucketAndNegativeWhenEmpty) {
  const std::vector<double> bounds = {1, 2};
  EXPECT_DOUBLE_EQ(BucketQuantile(bounds, std::vector<uint64_t>{0, 0, 3}, 0.99), 2);
  EXPECT_LT(BucketQuantile(bounds, std::vector<uint64_t>{0, 0, 0}, 0.5), 0);
}

class DashboardTest : public ::testing::Test {
 protected:
  DashboardTest() {
    created_ = &metrics_.GetCounter("sela_jobs_created_total", "c");
    completed_ = &metrics_.GetCounter("sela_jobs_completed_total", "c");
    registrations_ = &metrics_.GetCounter("sela_node_registrations_total", "r");
    round_trip_ = &metrics_.GetHistogram(kJobRoundTripMetric, "rt", {}, JobRoundTripBounds());
  }

  json::object Take() {
    clock_.Advance(Millis(1000));
    return json::parse(sampler_.Sample()).as_object();
  }

  testing::FakeClock clock_;
  MetricsRegistry metrics_;
  Counter* created_;
  Counter* completed_;
  Counter* registrations_;
  Histogram* round_trip_;
  DashboardLive live_{.nodes_online = 7, .jobs_pending = 3, .jobs_open = 5};
  DashboardSampler sampler_{{.history_samples = 4, .percentile_window = 2, .error_window_samples = 2},
                            clock_,
                            metrics_,
                            {.live = [this] { return live_; }}};
};

TEST_F(DashboardTest, RatesAreCounterDeltasPerSecondBetweenSamples) {
  created_->Inc(50);
  registrations_->Inc(4);
  json::object s = Take();
  EXPECT_EQ(s["jobs"].as_object()["created_per_s"].to_number<double>(), 50);
  EXPECT_EQ(s["nodes"].as_object()["registrations_per_s"].to_number<double>(), 4);
  EXPECT_EQ(s["nodes"].as_object()["online"].as_int64(), 7);
  EXPECT_EQ(s["jobs"].as_object()["pending"].as_int64(), 3);
  created_->Inc(10);
  clock_.Advance(Millis(1000));  // Two seconds between these samples.
  s = Take();
  EXPECT_EQ(s["jobs"].as_object()["created_per_s"].to_number<double>(), 5);
  EXPECT_EQ(s["jobs"].as_object()["created_total"].as_int64(), 60);
  EXPECT_TRUE(s["ledger"].is_null());
}

TEST_F(DashboardTest, PercentilesCoverOnlyTheWindowAndAreNullWithoutCompletions) {
  json::object s = Take();
  EXPECT_TRUE(s["round_trip_ms"].as_object()["p99"].is_null());
  for (int i = 0; i < 100; ++i) round_trip_->Observe(0.0025);  // In (2 ms, 3 ms].
  s = Take();
  EXPECT_EQ(s["round_trip_ms"].as_object()["count"].as_int64(), 100);
  EXPECT_EQ(s["round_trip_ms"].as_object()["p50"].to_number<double>(), 2.5);
  Take();
  s = Take();  // Two samples later the old observations left the window.
  EXPECT_EQ(s["round_trip_ms"].as_object()["count"].as_int64(), 0);
}

TEST_F(DashboardTest, TopErrorsOrderByRecentGrowthAndNameTheLabel) {
  metrics_.GetCounter("sela_http_errors_total", "e", "reason=\"timeout\"").Inc(9);
  metrics_.GetCounter("sela_ws_protocol_errors_total", "e", "code=\"1009\"").Inc(1);
  metrics_.GetCounter("sela_http_requests_total", "r", "route=\"/x\",status=\"404\"").Inc(2);
  metrics_.GetCounter("sela_http_requests_total", "r", "route=\"/x\",status=\"200\"").Inc(50);
  Take();
  Take();
  metrics_.GetCounter("sela_ws_protocol_errors_total", "e", "code=\"1009\"").Inc(3);
  const json::array errors = Take()["errors"].as_array();
  ASSERT_EQ(errors.size(), 3u);
  EXPECT_EQ(errors[0].as_object().at("name").as_string(), "WebSocket closed with 1009");
  EXPECT_EQ(errors[0].as_object().at("last_minute").as_int64(), 3);
  EXPECT_EQ(errors[0].as_object().at("total").as_int64(), 4);
  EXPECT_EQ(errors[1].as_object().at("name").as_string(), "bad HTTP request timeout");
  EXPECT_EQ(errors[1].as_object().at("last_minute").as_int64(), 0);
  EXPECT_EQ(errors[2].as_object().at("name").as_string(), "HTTP 404 /x");
}

TEST_F(DashboardTest, KeepsABoundedHistoryOldestFirst) {
  for (int i = 0; i < 6; ++i) {
    created_->Inc(static_cast<uint64_t>(i));
    Take();
  }
  const json::array history = json::parse(sampler_.HistoryJson()).as_array();
  ASSERT_EQ(history.size(), 4u);
  EXPECT_EQ(history.back().as_object().at("jobs").as_object().at("created_per_s").to_number<double>(), 5);
  EXPECT_EQ(history.front().as_object().at("jobs").as_object().at("created_per_s").to_number<double>(), 2);
  EXPECT_EQ(json::parse(sampler_.latest()), history.back());
}

// What the feed sent and closed, in order.
class FakeOut final : public WsOut {
 public:
  bool Send(net::ConnId id, std::string_view text) override {
    sent.emplace_back(id, std::string(text));
    return true;
  }
  void Close(net::ConnId id, uint16_t code, std::string_view) override { closed.emplace_back(id, code); }
  void SetDeadline(net::ConnId id, MonoTime) override { deadlines.push_back(id); }
  void ClearDeadline(net::ConnId) override {}
  std::vector<std::pair<net::ConnId, std::string>> sent;
  std::vector<std::pair<net::ConnId, uint16_t>> closed;
  std::vector<net::ConnId> deadlines;
};

class FeedTest : public DashboardTest {
 protected:
  explicit FeedTest(std::string token = "s3cret") : feed_(sampler_, clock_, std::move(token), metrics_) {
    feed_.Attach(&out_);
  }
  std::string TypeOf(size_t i) { return std::string(json::parse(out_.sent.at(i).second).as_object().at("type").as_string()); }
  FakeOut out_;
  DashboardFeed feed_;
};

TEST_F(FeedTest, FirstMessageTokenAdmitsWithHistoryThenSamples) {
  Take();
  feed_.OnWsOpen(1, Request("GET", "/admin/feed"));
  EXPECT_EQ(out_.deadlines, std::vector<net::ConnId>{1});
  feed_.Tick();
  EXPECT_TRUE(out_.sent.empty()) << "nothing before authentication";
  feed_.OnWsMessage(1, true, R"({"type":"auth","token":"s3cret"})");
  ASSERT_EQ(out_.sent.size(), 1u);
  EXPECT_EQ(TypeOf(0), "hello");
  EXPECT_EQ(json::parse(out_.sent[0].second).as_object().at("history").as_array().size(), 2u);
  feed_.OnWsMessage(1, true, "anything later is ignored");
  feed_.Tick();
  ASSERT_EQ(out_.sent.size(), 2u);
  EXPECT_EQ(TypeOf(1), "sample");
  EXPECT_TRUE(out_.closed.empty());
}

TEST_F(FeedTest, HeaderTokenAdmitsAtOnce) {
  feed_.OnWsOpen(1, Request("GET", "/admin/feed", "", {{"Authorization", "Bearer s3cret"}}));
  ASSERT_EQ(out_.sent.size(), 1u);
  EXPECT_EQ(TypeOf(0), "hello");
}

TEST_F(FeedTest, WrongTokensAndSilenceAreRefusedWith4401) {
  feed_.OnWsOpen(1, Request("GET", "/admin/feed", "", {{"Authorization", "Bearer nope"}}));
  feed_.OnWsOpen(2, Request("GET", "/admin/feed"));
  feed_.OnWsMessage(2, true, R"({"type":"auth","token":"s3cre"})");
  feed_.OnWsOpen(3, Request("GET", "/admin/feed"));
  feed_.OnWsMessage(3, true, "not json");
  feed_.OnWsOpen(4, Request("GET", "/admin/feed"));
  feed_.OnWsMessage(4, false, R"({"type":"auth","token":"s3cret"})");  // Binary.
  feed_.OnWsOpen(5, Request("GET", "/admin/feed"));
  feed_.OnWsDeadline(5);
  const std::vector<std::pair<net::ConnId, uint16_t>> want = {
      {1, 4401}, {2, 4401}, {3, 4401}, {4, 4401}, {5, 4401}};
  EXPECT_EQ(out_.closed, want);
  feed_.Tick();
  EXPECT_TRUE(out_.sent.empty());
  EXPECT_EQ(feed_.viewers(), 0u);
}

TEST_F(FeedTest, RefusesViewersOverTheLimitWith1013) {
  for (net::ConnId id = 1; id <= 33; ++id) feed_.OnWsOpen(id, Request("GET", "/admin/feed"));
  ASSERT_EQ(out_.closed.size(), 1u);
  EXPECT_EQ(out_.closed[0], (std::pair<net::ConnId, uint16_t>{33, 1013}));
  feed_.OnWsClosed(1, 1000);
  feed_.OnWsOpen(34, Request("GET", "/admin/feed"));
  EXPECT_EQ(out_.closed.size(), 1u);
}

class DisabledFeedTest : public FeedTest {
 protected:
  DisabledFeedTest() : FeedTest("") {}
};

TEST_F(DisabledFeedTest, WithoutAdminTokenEveryViewerGets4403) {
  feed_.OnWsOpen(1, Request("GET", "/admin/feed", "", {{"Authorization", "Bearer "}}));
  feed_.OnWsOpen(2, Request("GET", "/admin/feed"));
  const std::vector<std::pair<net::ConnId, uint16_t>> want = {{1, 4403}, {2, 4403}};
  EXPECT_EQ(out_.closed, want);
}

// Records which handler saw which callback.
class RecordingHandler final : public net::WsHandler {
 public:
  void OnWsOpen(net::ConnId id, const net::HttpRequest&) override { log.push_back("open " + std::to_string(id)); }
  void OnWsMessage(net::ConnId id, bool, std::string_view) override { log.push_back("msg " + std::to_string(id)); }
  void OnWsClosed(net::ConnId id, uint16_t) override { log.push_back("closed " + std::to_string(id)); }
  void OnWsDeadline(net::ConnId id) override { log.push_back("deadline " + std::to_string(id)); }
  bool OnWsTooBig(net::ConnId id, bool, uint64_t bytes) override {
    log.push_back("too big " + std::to_string(id) + " " + std::to_string(bytes));
    return true;
  }
  void OnWsTooBigData(net::ConnId id, std::string_view piece, bool last) override {
    log.push_back("too big data " + std::to_string(id) + " " + std::string(piece) + (last ? " last" : ""));
  }
  void OnWsPong(net::ConnId id, std::string_view payload) override {
    log.push_back("pong " + std::to_string(id) + " " + std::string(payload));
  }
  std::vector<std::string> log;
};

TEST(WsDemux, SendsTheFeedPathToTheFeedAndEverythingElseToTheNodes) {
  RecordingHandler nodes;
  RecordingHandler feed;
  WsDemux demux(nodes, feed);
  demux.OnWsOpen(1, Request("GET", "/"));
  demux.OnWsOpen(2, Request("GET", "/Admin/Feed/"));
  demux.OnWsOpen(3, Request("GET", "/admin/feedx"));
  demux.OnWsMessage(1, true, "x");
  demux.OnWsMessage(2, true, "x");
  demux.OnWsPong(1, "tag");  // A node's uptime counts from its answered pings.
  demux.OnWsPong(2, "tag");
  demux.OnWsDeadline(2);
  demux.OnWsClosed(2, 1000);
  demux.OnWsMessage(2, true, "x");  // A new connection with a reused id is a node's.
  EXPECT_EQ(feed.log, (std::vector<std::string>{"open 2", "msg 2", "pong 2 tag", "deadline 2", "closed 2"}));
  EXPECT_EQ(nodes.log, (std::vector<std::string>{"open 1", "open 3", "msg 1", "pong 1 tag", "msg 2"}));
}

// A message over the limit is the handler's to skip (a node's too large
// result): it goes where the connection's messages go.
TEST(WsDemux, SendsAMessageOverTheLimitToItsConnectionsHandler) {
  RecordingHandler nodes;
  RecordingHandler feed;
  WsDemux demux(nodes, feed);
  demux.OnWsOpen(1, Request("GET", "/"));
  demux.OnWsOpen(2, Request("GET", "/admin/feed"));
  EXPECT_TRUE(demux.OnWsTooBig(1, true, 99));
  demux.OnWsTooBigData(1, "ab", false);
  demux.OnWsTooBigData(1, "c", true);
  EXPECT_TRUE(demux.OnWsTooBig(2, true, 7));
  EXPECT_EQ(nodes.log, (std::vector<std::string>{"open 1", "too big 1 99", "too big data 1 ab", "too big data 1 c last"}));
  EXPECT_EQ(feed.log, (std::vector<std::string>{"open 2", "too big 2 7"}));
}

}  // namespace
}  // namespace sela::api
