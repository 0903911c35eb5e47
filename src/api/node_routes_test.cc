#include "api/node_routes.h"

#include <gtest/gtest.h>

#include <boost/json/parse.hpp>
#include <fstream>
#include <map>
#include <sstream>

#include "api/node_views.h"
#include "api/rest_table.h"
#include "codec/js_json.h"
#include "testing/fake_clock.h"

namespace sela::api {
namespace {

// --- Pure formatting ----------------------------------------------------------

TEST(FormatUptimeHms, PrintsWholeSecondsWithTwoDigitParts) {
  EXPECT_EQ(FormatUptimeHms(0), "00:00:00");
  EXPECT_EQ(FormatUptimeHms(-5000), "00:00:00");
  EXPECT_EQ(FormatUptimeHms(999), "00:00:00");
  EXPECT_EQ(FormatUptimeHms(1000), "00:00:01");
  EXPECT_EQ(FormatUptimeHms(59'999), "00:00:59");
  EXPECT_EQ(FormatUptimeHms(3'661'000), "01:01:01");
  EXPECT_EQ(FormatUptimeHms(86'399'000), "23:59:59");
}

TEST(FormatUptimeHms, LetsHoursGrowPastTwoDigits) {
  EXPECT_EQ(FormatUptimeHms(100LL * 3'600'000), "100:00:00");
  EXPECT_EQ(FormatUptimeHms(1234LL * 3'600'000 + 5'000), "1234:00:05");
}

TEST(JsToFixed, RoundsTheExactValueHalfUpAsJavaScriptDoes) {
  EXPECT_EQ(JsToFixed(0.125, 2), "0.13");   // exact tie: up (printf would say 0.12)
  EXPECT_EQ(JsToFixed(1.005, 2), "1.00");   // 1.00499999... in binary
  EXPECT_EQ(JsToFixed(1.45, 1), "1.4");
  EXPECT_EQ(JsToFixed(2.5, 0), "3");
  EXPECT_EQ(JsToFixed(0.5, 0), "1");
  EXPECT_EQ(JsToFixed(123.456, 2), "123.46");
  EXPECT_EQ(JsToFixed(99.999, 2), "100.00");
  EXPECT_EQ(JsToFixed(0, 2), "0.00");
  EXPECT_EQ(JsToFixed(1.5, 2), "1.50");
}

TEST(JsToFixed, KeepsTheSignOfNegativesAndDropsItForNegativeZero) {
  EXPECT_EQ(JsToFixed(-0.001, 2), "-0.00");
  EXPECT_EQ(JsToFixed(-0.0, 2), "0.00");
  EXPECT_EQ(JsToFixed(-2.5, 0), "-3");
  EXPECT_EQ(JsToFixed(-1.234, 2), "-1.23");
}

TEST(JsToFixed, UsesNumberToStringFrom1e21) {
  EXPECT_EQ(JsToFixed(1e21, 2), "1e+21");
  EXPECT_EQ(JsToFixed(-1e21, 2), "-1e+21");
  EXPECT_EQ(JsToFixed(1e20, 2), "100000000000000000000.00");
}

TEST(ShortestDouble, PrintsFloatsWithTheirShortFormNotTheWidenedDigits) {
  EXPECT_EQ(codec::FormatJsNumber(ShortestDouble(55.2f)), "55.2");
  EXPECT_EQ(codec::FormatJsNumber(ShortestDouble(0.0f)), "0");
}

TEST(PerformanceTiers, FirstMatchWinsWithInclusiveBounds) {
  EXPECT_EQ(TierFor(50, 50), 1);
  EXPECT_EQ(TierFor(100, 0), 1);  // no ping samples: every ping bound holds
  EXPECT_EQ(TierFor(50, 50.5), 2);
  EXPECT_EQ(TierFor(49.9, 0), 2);
  EXPECT_EQ(TierFor(20, 100), 2);
  EXPECT_EQ(TierFor(19.9, 100), 3);
  EXPECT_EQ(TierFor(5, 150), 3);
  EXPECT_EQ(TierFor(4.9, 10), 4);
  EXPECT_EQ(TierFor(0, 999), 4);
  EXPECT_EQ(TierFor(100, 1000), 4);  // beyond every ping bound: the fallback
  EXPECT_DOUBLE_EQ(TierBonusRate(1), 0.20);
  EXPECT_DOUBLE_EQ(TierBonusRate(4), 0.0);
  EXPECT_DOUBLE_EQ(TierBonusRate(7), 0.0);
}

TEST(PerformanceTiers, ActiveSessionPointsAreBasePlusBonusInJavaScriptOrder) {
  EXPECT_EQ(codec::FormatJsNumber(ActiveSessionPoints(10, 1)), "6");
  EXPECT_EQ(codec::FormatJsNumber(ActiveSessionPoints(3, 2)), "1.65");
  EXPECT_EQ(codec::FormatJsNumber(ActiveSessionPoints(7.25, 1)), "4.35");
  EXPECT_EQ(codec::FormatJsNumber(ActiveSessionPoints(2, 4)), "1");
}

TEST(PerformanceTiers, ListsTheOriginalTableInJson) {
  EXPECT_EQ(PerformanceTiersJson(),
            R"([{"tier":1,"min_speed":50,"max_ping":50,"bonus_rate":0.2,"description":"Tier 1: High Performance"},)"
            R"({"tier":2,"min_speed":20,"max_ping":100,"bonus_rate":0.1,"description":"Tier 2: Good Performance"},)"
            R"({"tier":3,"min_speed":5,"max_ping":150,"bonus_rate":0.05,"description":"Tier 3: Standard Performance"},)"
            R"({"tier":4,"min_speed":0,"max_ping":999,"bonus_rate":0,"description":"Tier 4: Basic Performance"}])");
}

TEST(UtcDayStartMs, IsMidnightUtcOfTheSameDay) {
  EXPECT_EQ(UtcDayStartMs(1'700'000'000'000), 1'699'920'000'000);
  EXPECT_EQ(UtcDayStartMs(1'699'920'000'000), 1'699'920'000'000);
  EXPECT_EQ(UtcDayStartMs(-1), -86'400'000);
}

TEST(ParseUptimeDays, AcceptsDecimalIntegersUpToTheLimit) {
  EXPECT_EQ(ParseUptimeDays("7", 366), 7);
  EXPECT_EQ(ParseUptimeDays("0", 366), 0);
  EXPECT_EQ(ParseUptimeDays("366", 366), 366);
  EXPECT_EQ(ParseUptimeDays("367", 366), std::nullopt);
  EXPECT_EQ(ParseUptimeDays("", 366), std::nullopt);
  EXPECT_EQ(ParseUptimeDays("-1", 366), std::nullopt);
  EXPECT_EQ(ParseUptimeDays("7days", 366), std::nullopt);
  EXPECT_EQ(ParseUptimeDays("abc", 366), std::nullopt);
  EXPECT_EQ(ParseUptimeDays("99999999999999999999", 366), std::nullopt);
}

TEST(AdminNotificationFrame, CarriesTextAndDataAsANotification) {
  EXPECT_EQ(AdminNotificationFrame("HELLO", R"({"a":1})"),
            R"({"function":"Notification","message":"HELLO","data":{"a":1},"status":"OK"})");
}

// --- Views ------------------------------------------------------------------

store::UptimeDay Day(std::string day, int64_t online_ms, double speed = 0, double ping = 0) {
  store::UptimeDay d;
  d.principal = "p1";
  d.day = std::move(day);
  d.online_ms = online_ms;
  d.sessions = 2;
  if (speed > 0) {
    d.speed_sum = speed * 2;
    d.speed_count = 2;
  }
  if (ping > 0) {
    d.ping_sum = ping;
    d.ping_count = 1;
  }
  d.updated_ms = 1'700'000'000'000;
  return d;
}

TEST(UptimeStatsJson, OfflineShowsStoredTotalsAndZeros) {
  LiveUptime offline;
  EXPECT_EQ(UptimeStatsJson(offline, 1'700'000'000'000, 7'322'000, Day("2023-11-14", 61'000)),
            R"({"totalUptime":"02:02:02","todayUptime":"00:01:01","isCurrentlyOnline":false,)"
            R"("currentSessionDuration":"00:00:00","activeSessionRewards":"0","activeSessionMinutes":"0"})");
  EXPECT_EQ(UptimeStatsJson(offline, 1'700'000'000'000, 0, std::nullopt),
            R"({"totalUptime":"00:00:00","todayUptime":"00:00:00","isCurrentlyOnline":false,)"
            R"("currentSessionDuration":"00:00:00","activeSessionRewards":"0","activeSessionMinutes":"0"})");
}

TEST(UptimeStatsJson, OnlineAddsTheUnreportedPartAndTheTierEstimate) {
  const int64_t now = 1'700'000'000'000;
  LiveUptime live;
  live.online = true;
  live.online_since_ms = now - 600'000;  // 10 minutes
  live.unreported_ms = 30'000;
  live.unreported_today_ms = 30'000;
  // Today's averages are tier 1 (speed 60, ping 20): 10 min x 0.5 x 1.2 = 6.
  EXPECT_EQ(UptimeStatsJson(live, now, 3'600'000, Day("2023-11-14", 570'000, 60, 20)),
            R"({"totalUptime":"01:00:30","todayUptime":"00:10:00","isCurrentlyOnline":true,)"
            R"("currentSessionDuration":"00:10:00","activeSessionRewards":"6","activeSessionMinutes":"10.00"})");
}

TEST(UptimeDayJson, WritesTheDailyRecordFieldsInTheOriginalOrder) {
  EXPECT_EQ(UptimeDayJson(Day("2023-11-14", 90'000, 25, 80)),
            R"({"date":"2023-11-14","user_principal_id":"p1","total_minutes":1.5,"processed_minutes":0,)"
            R"("session_count":2,"avg_speed":25,"avg_ping":80,"tier_level":2,"base_reward":0,"bonus_reward":0,)"
            R"("total_reward":0,"last_updated":1700000000000,"is_processed":false})");
}

TEST(DetailedUptimeJson, SummarisesTheDaysAndShowsTheLiveSession) {
  DetailedUptimeInput in;
  in.principal = "p1";
  in.now_ms = 1'700'000'000'000;
  in.days = 1;
  in.start_day = "2023-11-13";
  in.end_day = "2023-11-14";
  in.records = {Day("2023-11-13", 60'000, 10), Day("2023-11-14", 120'000, 30)};
  in.live.online = true;
  in.live.online_since_ms = in.now_ms - 120'000;
  in.live.last_activity_ms = in.now_ms - 1'000;
  in.live.connections = 1;
  in.live.download_speed = 30;
  const std::string json = DetailedUptimeJson(in);
  EXPECT_NE(json.find(R"("period":{"start_date":"2023-11-13","end_date":"2023-11-14","days":1})"), std::string::npos)
      << json;
  EXPECT_NE(json.find(R"("summary":{"total_minutes":3,"total_rewards":0,"avg_daily_minutes":1.5,"avg_speed":20,)"
                      R"("avg_ping":0,"days_active":2})"),
            std::string::npos)
      << json;
  EXPECT_NE(json.find(R"("weekly_records":[],"active_session":{"user_principal_id":"p1","start_time":1699999880000,)"
                      R"("last_activity_time":1699999999000,"duration_minutes":2,"avg_speed":30,"avg_ping":0,)"
                      R"("status":"ACTIVE","connections":1},"performance_tiers":[)"),
            std::string::npos)
      << json;
  in.live = LiveUptime{};
  EXPECT_NE(DetailedUptimeJson(in).find(R"("active_session":null)"), std::string::npos);
}

TEST(SnapshotLive, CountsOnlyWhatTheLastCheckpointHasNotReported) {
  nodes::NodeRegistry registry;
  const int64_t midnight = 1'699'920'000'000;
  registry.Connect("p1", 1, midnight - 60'000);  // online since a minute before midnight
  const int64_t now = midnight + 120'000;
  LiveUptime a = SnapshotLive(registry, "p1", now, 0);
  EXPECT_TRUE(a.online);
  EXPECT_EQ(a.unreported_ms, 180'000);
  EXPECT_EQ(a.unreported_today_ms, 120'000);
  LiveUptime b = SnapshotLive(registry, "p1", now, midnight + 100'000);
  EXPECT_EQ(b.unreported_ms, 20'000);
  EXPECT_EQ(b.unreported_today_ms, 20'000);
  EXPECT_FALSE(SnapshotLive(registry, "nobody", now, 0).online);
}

// --- Admin token, body, principal ---------------------------------------------

TEST(CheckAdminToken, RefusesEverythingWhenNoTokenIsConfigured) {
  EXPECT_EQ(CheckAdminToken("Bearer x", ""), AdminCheck::kDisabled);
  EXPECT_EQ(CheckAdminToken("", ""), AdminCheck::kDisabled);
  EXPECT_EQ(AdminRefusal(AdminCheck::kDisabled).status, 403u);
}

TEST(CheckAdminToken, AcceptsOnlyTheExactBearerToken) {
  EXPECT_EQ(CheckAdminToken("Bearer s3cret", "s3cret"), AdminCheck::kAllowed);
  EXPECT_EQ(CheckAdminToken("", "s3cret"), AdminCheck::kMissing);
  EXPECT_EQ(CheckAdminToken("s3cret", "s3cret"), AdminCheck::kNotBearer);
  EXPECT_EQ(CheckAdminToken("bearer s3cret", "s3cret"), AdminCheck::kNotBearer);
  EXPECT_EQ(CheckAdminToken("Bearer s3cre", "s3cret"), AdminCheck::kWrongToken);
  EXPECT_EQ(CheckAdminToken("Bearer s3cret2", "s3cret"), AdminCheck::kWrongToken);
  EXPECT_EQ(CheckAdminToken("Bearer S3cret", "s3cret"), AdminCheck::kWrongToken);
  EXPECT_EQ(CheckAdminToken("Bearer ", "s3cret"), AdminCheck::kWrongToken);
  for (AdminCheck c : {AdminCheck::kMissing, AdminCheck::kNotBearer, AdminCheck::kWrongToken}) {
    const net::HttpResponse r = AdminRefusal(c);
    EXPECT_EQ(r.status, 401u);
    EXPECT_TRUE(r.body.starts_with(R"({"success":false,"message":")")) << r.body;
    EXPECT_TRUE(r.body.ends_with(R"(","data":null})")) << r.body;
  }
}

net::HttpRequest Request(std::string method, std::string path, std::string query = "",
                         net::HeaderList headers = {}, std::string body = "") {
  net::HttpRequest r;
  r.method = std::move(method);
  r.path = std::move(path);
  r.query = std::move(query);
  r.target = r.path + (r.query.empty() ? "" : "?" + r.query);
  r.headers = std::move(headers);
  r.body = std::move(body);
  return r;
}

net::HttpRequest JsonRequest(std::string method, std::string path, std::string body, net::HeaderList headers = {}) {
  headers.emplace_back("Content-Type", "application/json");
  return Request(std::move(method), std::move(path), "", std::move(headers), std::move(body));
}

TEST(ParseRestBody, ReadsJsonObjectsAndForms) {
  RestOptions options;
  net::HttpResponse refusal;
  auto json = ParseRestBody(JsonRequest("POST", "/", R"({"a":"b"})"), options, &refusal);
  ASSERT_TRUE(json);
  EXPECT_EQ(json->at("a").as_string(), "b");
  auto form = ParseRestBody(
      Request("POST", "/", "", {{"Content-Type", "application/x-www-form-urlencoded"}}, "a=x+y&b=1&b=2"), options,
      &refusal);
  ASSERT_TRUE(form);
  EXPECT_EQ(form->at("a").as_string(), "x y");
  EXPECT_TRUE(form->at("b").is_array());
  auto other = ParseRestBody(Request("POST", "/", "", {{"Content-Type", "text/plain"}}, "{"), options, &refusal);
  ASSERT_TRUE(other);
  EXPECT_TRUE(other->empty());
}

TEST(ParseRestBody, AnswersBrokenJsonWithTheOriginalParseErrorEnvelope) {
  RestOptions options;
  net::HttpResponse refusal;
  EXPECT_FALSE(ParseRestBody(JsonRequest("POST", "/", R"({"a":})"), options, &refusal));
  EXPECT_EQ(refusal.status, 400u);
  EXPECT_TRUE(refusal.body.starts_with(
      R"({"success":false,"error":"JSON_PARSE_ERROR","message":"JSON syntax error: Invalid character or structure","details":")"))
      << refusal.body;
  EXPECT_FALSE(ParseRestBody(JsonRequest("POST", "/", R"({"a":)"), options, &refusal));
  EXPECT_NE(refusal.body.find("JSON syntax error: Incomplete JSON data"), std::string::npos) << refusal.body;
  EXPECT_FALSE(ParseRestBody(JsonRequest("POST", "/", "42"), options, &refusal));
  EXPECT_NE(refusal.body.find("JSON_PARSE_ERROR"), std::string::npos);
  options.body_bytes_max = 4;
  EXPECT_FALSE(ParseRestBody(JsonRequest("POST", "/", R"({"a":1})"), options, &refusal));
  EXPECT_EQ(refusal.status, 413u);
}

std::variant<std::string, unsigned> Principal(const net::HttpRequest& r, std::string_view body_json = "{}") {
  RestOptions options;
  options.principal_bytes_max = 16;
  net::HttpResponse refusal;
  auto body = boost::json::parse(body_json).as_object();
  auto p = PrincipalOf(r, body, options, &refusal);
  if (p) return *p;
  return refusal.status;
}

TEST(PrincipalOf, TakesHeaderThenQueryThenBodyTrimmed) {
  using V = std::variant<std::string, unsigned>;
  EXPECT_EQ(Principal(Request("GET", "/", "user_principal_id=q", {{"X-User-Principal-Id", " h "}})), V("h"));
  EXPECT_EQ(Principal(Request("GET", "/", "user_principal_id=q%20")), V("q"));
  EXPECT_EQ(Principal(Request("GET", "/"), R"({"user_principal_id":"b"})"), V("b"));
  // Empty values are falsy in JavaScript and fall through to the next source.
  EXPECT_EQ(Principal(Request("GET", "/", "user_principal_id=", {{"x-user-principal-id", ""}}),
                      R"({"user_principal_id":"b"})"),
            V("b"));
}

TEST(PrincipalOf, RefusesMissingWith401AndMalformedWith400) {
  using V = std::variant<std::string, unsigned>;
  EXPECT_EQ(Principal(Request("GET", "/")), V(401u));
  EXPECT_EQ(Principal(Request("GET", "/"), R"({"user_principal_id":0})"), V(401u));
  EXPECT_EQ(Principal(Request("GET", "/", "", {{"x-user-principal-id", "   "}})), V(400u));
  EXPECT_EQ(Principal(Request("GET", "/", "user_principal_id=a&user_principal_id=b")), V(400u));
  EXPECT_EQ(Principal(Request("GET", "/", "user_principal_id[x]=a")), V(400u));
  EXPECT_EQ(Principal(Request("GET", "/"), R"({"user_principal_id":5})"), V(400u));
  EXPECT_EQ(Principal(Request("GET", "/", "", {{"x-user-principal-id", std::string(17, 'a')}})), V(400u));
}

// --- Routes through the table, with an in-memory store -------------------------

store::NodeRecord Node(std::string principal, store::NodeStatus status = store::NodeStatus::kActive,
                       uint32_t max_concurrent_jobs = 10, std::string client_id = "") {
  store::NodeRecord r;
  r.principal = std::move(principal);
  r.status = status;
  r.max_concurrent_jobs = max_concurrent_jobs;
  r.client_id = std::move(client_id);
  return r;
}

// Answers at once; `fail` makes every operation fail with that status.
class FakeStore final : public store::Store {
 public:
  std::map<std::string, store::NodeRecord> nodes;
  std::vector<store::UptimeDay> days;
  std::optional<Status> fail;

  void ReserveSessionIds(uint64_t, Callback<uint64_t> done) override { done(1); }
  void RegisterNode(const std::string& principal, const std::string& client_id, int64_t now_ms,
                    Callback<store::NodeRecord> done) override {
    store::NodeRecord& r = nodes[principal];
    r.principal = principal;
    r.client_id = client_id;
    r.status = store::NodeStatus::kActive;
    r.ws_connect_ms = now_ms;
    done(r);
  }
  void MarkNodeDisconnected(const std::string&, int64_t, Done done) override { done(Status()); }
  void UpdateNodeMetrics(const std::string&, const store::NodeMetricsUpdate&, int64_t, Done done) override {
    done(Status());
  }
  void SetNodeStatus(const std::string& p, store::NodeStatus status, int64_t, Done done) override {
    nodes[p].status = status;
    done(Status());
  }
  void SetNodeCapacity(const std::string& p, uint32_t max, Done done) override {
    if (fail) return done(*fail);
    auto it = nodes.find(p);
    if (it == nodes.end()) return done(NotFound("no node"));
    it->second.max_concurrent_jobs = max;
    done(Status());
  }
  void AddUptime(std::vector<store::UptimeDelta>, int64_t, Done done) override { done(Status()); }
  void GetNode(const std::string& p, Callback<std::optional<store::NodeRecord>> done) override {
    if (fail) return done(Err(*fail));
    auto it = nodes.find(p);
    done(it == nodes.end() ? std::optional<store::NodeRecord>() : it->second);
  }
  void ListNodes(bool, Callback<std::vector<store::NodeRecord>> done) override {
    if (fail) return done(Err(*fail));
    std::vector<store::NodeRecord> out;
    for (auto& [k, v] : nodes) out.push_back(v);
    done(out);
  }
  void GetUptimeDays(const std::string& p, const std::string& from, const std::string& to,
                     Callback<std::vector<store::UptimeDay>> done) override {
    if (fail) return done(Err(*fail));
    std::vector<store::UptimeDay> out;
    for (auto& d : days) {
      if (d.principal == p && d.day >= from && d.day <= to) out.push_back(d);
    }
    done(out);
  }
  void GetTotalUptimeMs(const std::string& p, Callback<int64_t> done) override {
    if (fail) return done(Err(*fail));
    int64_t sum = 0;
    for (auto& d : days) {
      if (d.principal == p) sum += d.online_ms;
    }
    done(sum);
  }
  void Ping(Done done) override { done(Status()); }
  void Flush() override {}
};

class NodeRoutesTest : public ::testing::Test {
 protected:
  NodeRoutesTest()
      : ctx_{NodeRoutesDeps{
                 .clock = clock_,
                 .store = store_,
                 .registry = registry_,
                 .send_to_node =
                     [this](nodes::NodeIndex node, std::string_view text) {
                       sent_.emplace_back(std::string(registry_.View(node)->principal), std::string(text));
                       return size_t{1};
                     },
                 .send_to_all =
                     [this](std::string_view text) {
                       sent_.emplace_back("*", std::string(text));
                       return registry_.size();
                     },
                 .last_checkpoint_ms = [] { return int64_t{0}; },
             },
             {}} {
    ctx_.options.rest.admin_token = "tok";
  }

  const RestRoute<NodeRoutesContext>& RouteById(std::string_view id) {
    for (const auto& r : NodeRouteTable()) {
      if (r.info.id == id) return r;
    }
    ADD_FAILURE() << "no route " << id;
    return NodeRouteTable().front();
  }

  // Runs the route and returns its one response.
  net::HttpResponse Run(std::string_view id, net::HttpRequest request,
                        std::vector<std::pair<std::string, std::string>> params = {}) {
    request.params = std::move(params);
    int answers = 0;
    net::HttpResponse out;
    RunRestRoute(RouteById(id), ctx_, ctx_.options.rest, request, [&](net::HttpResponse r) {
      ++answers;
      out = std::move(r);
    });
    EXPECT_EQ(answers, 1) << id << " must answer exactly once";
    return out;
  }

  static net::HeaderList Admin() { return {{"Authorization", "Bearer tok"}}; }
  static net::HeaderList As(std::string principal) { return {{"x-user-principal-id", std::move(principal)}}; }

  testing::FakeClock clock_;
  FakeStore store_;
  nodes::NodeRegistry registry_;
  std::vector<std::pair<std::string, std::string>> sent_;
  NodeRoutesContext ctx_;
};

TEST_F(NodeRoutesTest, HealthAndStatsAnswerTheOriginalBodies) {
  EXPECT_EQ(Run("N1", Request("GET", "/api/node/health")).body,
            R"({"success":true,"message":"Node service is healthy","data":{"status":"OK"}})");
  EXPECT_EQ(Run("N2", Request("GET", "/api/node/stats")).body,
            R"({"success":true,"message":"Node service statistics retrieved","data":{"name":"Node Service",)"
            R"("features":["Job assignment and processing","File storage and retrieval",)"
            R"("Authentication and authorization","Client management","Database operations",)"
            R"("Business logic coordination"]}})");
}

TEST_F(NodeRoutesTest, AuthCheckNeedsAnActiveNodeRecord) {
  EXPECT_EQ(Run("N10", Request("GET", "/api/node/auth/check", "", As("p1"))).body,
            R"({"success":false,"message":"Authentication failed: Client not found","data":null})");
  store_.nodes["p1"] = Node("p1", store::NodeStatus::kInactive);
  EXPECT_EQ(Run("N10", Request("GET", "/api/node/auth/check", "", As("p1"))).status, 401u);
  store_.nodes["p1"].status = store::NodeStatus::kActive;
  EXPECT_EQ(Run("N10", Request("GET", "/api/node/auth/check", "", As("p1"))).body,
            R"({"success":true,"message":"Authentication successful","data":{"status":"RequestAuth OK"}})");
  EXPECT_EQ(Run("N10", Request("GET", "/api/node/auth/check")).status, 401u);
}

TEST_F(NodeRoutesTest, StoreFailuresAre503WhenBusyAnd500Otherwise) {
  store_.fail = ResourceExhausted("queue full");
  const net::HttpResponse busy = Run("N6", Request("GET", "/api/node/user/uptime", "", As("p1")));
  EXPECT_EQ(busy.status, 503u);
  store_.fail = Internal("disk on fire");
  const net::HttpResponse broken = Run("N6", Request("GET", "/api/node/user/uptime", "", As("p1")));
  EXPECT_EQ(broken.status, 500u);
  EXPECT_EQ(broken.body, R"({"success":false,"message":"Failed to retrieve uptime data","data":null})");
  EXPECT_EQ(broken.body.find("disk"), std::string::npos);
  EXPECT_EQ(Run("N10", Request("GET", "/api/node/auth/check", "", As("p1"))).status, 500u);
  EXPECT_EQ(Run("N3", Request("GET", "/api/node/nodes", "", Admin())).status, 500u);
}

TEST_F(NodeRoutesTest, UptimeReadsStoredDaysAndTheLiveRegistry) {
  const int64_t now = clock_.WallMs();
  const std::string today = nodes::UtcDay(now);
  store_.days = {Day("2000-01-01", 3'600'000), Day(today, 60'000)};
  registry_.Connect("p1", 1, now - 120'000);
  const net::HttpResponse r = Run("N6", Request("GET", "/api/node/user/uptime", "", As("p1")));
  EXPECT_EQ(r.status, 200u);
  // Stored 61 min + 2 live minutes not yet checkpointed (checkpoint time 0).
  EXPECT_NE(r.body.find(R"("totalUptime":"01:03:00")"), std::string::npos) << r.body;
  EXPECT_NE(r.body.find(R"("isCurrentlyOnline":true,"currentSessionDuration":"00:02:00")"), std::string::npos)
      << r.body;
  EXPECT_NE(r.body.find(R"("activeSessionMinutes":"2.00")"), std::string::npos) << r.body;
}

TEST_F(NodeRoutesTest, DetailedUptimeValidatesDays) {
  const auto bad = Run("N7", Request("GET", "/api/node/user/uptime/detailed", "days=abc", As("p1")));
  EXPECT_EQ(bad.status, 400u);
  EXPECT_EQ(bad.body, R"({"success":false,"message":"Invalid days parameter: expected an integer from 0 to 366","data":null})");
  EXPECT_EQ(Run("N7", Request("GET", "/api/node/user/uptime/detailed", "days=1&days=2", As("p1"))).status, 400u);
  const int64_t now = clock_.WallMs();
  store_.days = {Day(nodes::UtcDay(now - 2 * 86'400'000LL), 60'000), Day(nodes::UtcDay(now), 60'000)};
  const auto one = Run("N7", Request("GET", "/api/node/user/uptime/detailed", "days=1", As("p1")));
  EXPECT_NE(one.body.find(R"("days_active":1)"), std::string::npos) << one.body;
  const auto week = Run("N7", Request("GET", "/api/node/user/uptime/detailed", "", As("p1")));
  EXPECT_NE(week.body.find(R"("days":7)"), std::string::npos) << week.body;
  EXPECT_NE(week.body.find(R"("days_active":2)"), std::string::npos) << week.body;
}

TEST_F(NodeRoutesTest, AdminRoutesNeedTheBearerToken) {
  for (std::string_view id : {"N3", "N4", "N12", "N13", "NX1"}) {
    EXPECT_EQ(Run(id, JsonRequest("POST", "/", "{}")).status, 401u) << id;
    EXPECT_EQ(Run(id, JsonRequest("POST", "/", "{}", {{"Authorization", "Bearer nope"}})).status, 401u) << id;
    // A principal is no credential here.
    EXPECT_EQ(Run(id, JsonRequest("POST", "/", "{}", As("p1"))).status, 401u) << id;
  }
  ctx_.options.rest.admin_token.clear();
  for (std::string_view id : {"N3", "N4", "N12", "N13", "NX1"}) {
    EXPECT_EQ(Run(id, JsonRequest("POST", "/", "{}", Admin())).status, 403u) << id;
  }
  EXPECT_TRUE(sent_.empty());
}

TEST_F(NodeRoutesTest, NodeListsAreFullForAllAndLiveOnlyForRunning) {
  store_.nodes["p1"] = Node("p1", store::NodeStatus::kActive, 10, "5");
  store_.nodes["p2"] = Node("p2");
  registry_.Connect("p2", 9, clock_.WallMs());
  const auto all = Run("N3", Request("GET", "/api/node/nodes", "", Admin()));
  EXPECT_NE(all.body.find(R"("user_principal_id":"p1")"), std::string::npos);
  EXPECT_NE(all.body.find(R"("user_principal_id":"p2")"), std::string::npos);
  const auto running = Run("N4", Request("GET", "/api/node/nodes/running", "", Admin()));
  EXPECT_EQ(running.body.find(R"("user_principal_id":"p1")"), std::string::npos) << running.body;
  EXPECT_NE(running.body.find(R"("user_principal_id":"p2")"), std::string::npos) << running.body;
  EXPECT_NE(running.body.find(R"("isOnline":true)"), std::string::npos) << running.body;
  EXPECT_EQ(running.body.find("balance"), std::string::npos);
}

TEST_F(NodeRoutesTest, ClientMessageGoesToTheLiveNodeByClientIdThenPrincipal) {
  registry_.Connect("p1", 111, clock_.WallMs());
  registry_.Connect("p2", 222, clock_.WallMs());
  auto r = Run("N12", JsonRequest("POST", "/", R"({"userPrincipalId":"p1","text":"HI","data":{"k":1}})", Admin()),
               {{"clientId", "222"}});
  EXPECT_EQ(r.status, 200u) << r.body;
  ASSERT_EQ(sent_.size(), 1u);
  EXPECT_EQ(sent_[0].first, "p2");
  EXPECT_EQ(sent_[0].second, R"({"function":"Notification","message":"HI","data":{"k":1},"status":"OK"})");
  r = Run("N12", JsonRequest("POST", "/", R"({"userPrincipalId":"p1"})", Admin()), {{"clientId", "999"}});
  EXPECT_EQ(r.status, 200u);
  EXPECT_EQ(sent_.back().first, "p1");
  EXPECT_EQ(sent_.back().second,
            R"({"function":"Notification","message":"NOTIFICATION","data":"Admin message","status":"OK"})");
  EXPECT_NE(r.body.find(R"("message":"{\"function\":\"JobSent\")"), std::string::npos) << r.body;
}

TEST_F(NodeRoutesTest, ClientMessageNeverFallsBackToAnotherNode) {
  registry_.Connect("p1", 111, clock_.WallMs());
  const auto r = Run("N12", JsonRequest("POST", "/", R"({"userPrincipalId":"ghost"})", Admin()), {{"clientId", "x"}});
  EXPECT_EQ(r.status, 404u);
  EXPECT_EQ(r.body, R"({"success":false,"message":"Failed to send message: Node is not connected","data":null})");
  EXPECT_TRUE(sent_.empty());
  EXPECT_EQ(Run("N12", JsonRequest("POST", "/", "{}", Admin()), {{"clientId", "1"}}).body,
            R"({"success":false,"message":"Missing clientId or userPrincipalId","data":null})");
  EXPECT_EQ(Run("N12", JsonRequest("POST", "/", R"({"userPrincipalId":"p1","text":7})", Admin()),
                {{"clientId", "1"}})
                .status,
            400u);
}

TEST_F(NodeRoutesTest, BroadcastReachesEveryLiveNodeAndValidatesLikeTheOriginal) {
  EXPECT_EQ(Run("N13", JsonRequest("POST", "/", R"({"text":"HI"})", Admin())).body,
            R"({"success":false,"message":"Missing required fields: text, user_principal_id","data":null})");
  registry_.Connect("p1", 1, clock_.WallMs());
  registry_.Connect("p2", 2, clock_.WallMs());
  const auto r = Run("N13", JsonRequest("POST", "/", R"({"text":"HI","user_principal_id":"admin"})", Admin()));
  EXPECT_EQ(r.body, R"({"success":true,"message":"Broadcast completed","data":{"message":"Message broadcasted successfully","clientsReached":2}})");
  ASSERT_EQ(sent_.size(), 1u);
  EXPECT_EQ(sent_[0].second, R"({"function":"Notification","message":"HI","data":"","status":"OK"})");
}

TEST_F(NodeRoutesTest, CapacityChangesTheStoreAndTheLiveRegistry) {
  store_.nodes["p1"] = Node("p1");
  const nodes::NodeIndex node = registry_.Connect("p1", 1, clock_.WallMs());
  const auto r = Run("NX1", JsonRequest("PUT", "/", R"({"maxConcurrentJobs":4})", Admin()), {{"principal", "p1"}});
  EXPECT_EQ(r.body, R"({"success":true,"message":"Client capacity updated successfully","data":)"
                    R"({"user_principal_id":"p1","oldCapacity":10,"newCapacity":4,"isOnline":true}})");
  EXPECT_EQ(store_.nodes["p1"].max_concurrent_jobs, 4u);
  EXPECT_EQ(registry_.View(node)->max_concurrent_jobs, 4u);
}

TEST_F(NodeRoutesTest, CapacityRefusesBadValuesAndUnknownNodes) {
  store_.nodes["p1"] = Node("p1");
  for (std::string body : {R"({})", R"({"maxConcurrentJobs":0})", R"({"maxConcurrentJobs":"4"})"}) {
    EXPECT_EQ(Run("NX1", JsonRequest("PUT", "/", body, Admin()), {{"principal", "p1"}}).body,
              R"({"success":false,"message":"Missing or invalid maxConcurrentJobs","data":null})")
        << body;
  }
  for (std::string body : {R"({"maxConcurrentJobs":2.5})", R"({"maxConcurrentJobs":-1})",
                           R"({"maxConcurrentJobs":101})"}) {
    EXPECT_EQ(Run("NX1", JsonRequest("PUT", "/", body, Admin()), {{"principal", "p1"}}).status, 400u) << body;
  }
  EXPECT_EQ(Run("NX1", JsonRequest("PUT", "/", R"({"maxConcurrentJobs":3})", Admin()), {{"principal", "nobody"}}).body,
            R"({"success":false,"message":"Client not found","data":null})");
  EXPECT_EQ(store_.nodes["p1"].max_concurrent_jobs, 10u);
}

// --- The table itself ------------------------------------------------------------

TEST(NodeRouteTable, RegistersEveryServedRouteAndNoPendingOne) {
  net::Router router;
  testing::FakeClock clock;
  FakeStore store;
  nodes::NodeRegistry registry;
  AddNodeRoutes(router,
                {.clock = clock,
                 .store = store,
                 .registry = registry,
                 .send_to_node = [](nodes::NodeIndex, std::string_view) { return size_t{0}; },
                 .send_to_all = [](std::string_view) { return size_t{0}; },
                 .last_checkpoint_ms = [] { return int64_t{0}; }},
                {});
  size_t served = 0;
  for (const auto& route : NodeRouteTable()) {
    std::string path(route.info.path);
    for (std::string_view param : {":clientId", ":principal"}) {
      if (auto at = path.find(param); at != std::string::npos) path.replace(at, param.size(), "x");
    }
    net::HttpRequest request = Request(std::string(route.info.method), path);
    const auto match = router.Find(request);
    if (route.handler == nullptr) {
      EXPECT_EQ(match.route, nullptr) << route.info.id << " is pending and must answer 404";
      EXPECT_FALSE(route.info.pending.empty()) << route.info.id;
    } else {
      ++served;
      ASSERT_NE(match.route, nullptr) << route.info.id;
      EXPECT_EQ(match.route->pattern, route.info.path);
    }
  }
  EXPECT_EQ(router.routes().size(), served);
}

TEST(NodeRouteTable, IsTheTableInTheDocument) {
  std::ifstream in(SELA_REST_NODE_DOC);
  std::stringstream doc;
  doc << in.rdbuf();
  ASSERT_FALSE(doc.str().empty()) << "cannot read " << SELA_REST_NODE_DOC;
  const std::string table = RouteTableMarkdown(NodeRouteTable());
  EXPECT_NE(doc.str().find(table), std::string::npos) << "docs/REST-NODE.md must contain this table:\n" << table;
}

}  // namespace
}  // namespace sela::api
