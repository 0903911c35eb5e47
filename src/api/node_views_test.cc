#include "api/node_routes.h"

#include <gtest/gtest.h>

#include <boost/json/parse.hpp>
#include <fstream>
#include <map>
#include <sstream>

#include "api/node_views.h"
#include "api/rest_table.h"
#include "codec/js_json.h"
#include "api/api_test_util.h"
#include "testing/fake_clock.h"

namespace sela::api {
namespace {

using test_util::Day;
using test_util::JsonRequest;
using test_util::Request;

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

}  // namespace
}  // namespace sela::api
