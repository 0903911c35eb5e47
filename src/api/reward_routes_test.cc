// The reward, referral and money-showing node routes through their tables,
// against a real SqliteStore (temp dir) and a real Distributor: what each
// answers, that bad input is a 4xx that writes nothing, and that a trigger
// while a run is in progress pays nothing more.
#include "api/reward_routes.h"

#include <gtest/gtest.h>

#include <boost/json.hpp>
#include <fstream>
#include <set>
#include <sstream>

#include "api/api_test_util.h"
#include "api/node_reward_routes.h"
#include "api/node_routes.h"
#include "core/calendar.h"
#include "rewards/test_harness.h"

namespace sela::api {
namespace {

using rewards::testing::Delta;
using rewards::testing::kMinuteMs;
using test_util::JsonRequest;
using test_util::Request;
namespace json = boost::json;

class RewardRoutesTest : public rewards::testing::RewardsHarness {
 protected:
  RewardRoutesTest()
      : reward_ctx_{RewardRoutesDeps{.clock = clock_, .store = *store_, .registry = registry_,
                                     .distributor = MakeDistributor()},
                    {}},
        node_ctx_{NodeRoutesDeps{.clock = clock_,
                                 .store = *store_,
                                 .registry = registry_,
                                 .send_to_node = [](nodes::NodeIndex, std::string_view, std::string_view) { return size_t{0}; },
                                 .send_to_all = [](std::string_view, std::string_view) { return size_t{0}; },
                                 .last_checkpoint_ms = [this] { return clock_.WallMs(); }},
                  {}} {
    reward_ctx_.options.rest.admin_token = "tok";
    node_ctx_.options.rest.admin_token = "tok";
  }

  template <typename Ctx>
  static const RestRoute<Ctx>& Find(std::span<const RestRoute<Ctx>> table, std::string_view id) {
    for (const auto& r : table) {
      if (r.info.id == id) return r;
    }
    ADD_FAILURE() << "no route " << id;
    return table.front();
  }

  // Starts the route; the answer may need Settle().
  template <typename Ctx>
  void Start(const RestRoute<Ctx>& route, Ctx& ctx, net::HttpRequest request, std::vector<net::HttpResponse>* out,
             std::vector<std::pair<std::string, std::string>> params = {}) {
    request.params = std::move(params);
    RunRestRoute(route, ctx, ctx.options.rest, request, [out](net::HttpResponse r) { out->push_back(std::move(r)); });
  }
  template <typename Ctx>
  net::HttpResponse RunOn(const RestRoute<Ctx>& route, Ctx& ctx, net::HttpRequest request,
                          std::vector<std::pair<std::string, std::string>> params = {}) {
    std::vector<net::HttpResponse> out;
    Start(route, ctx, std::move(request), &out, std::move(params));
    Settle();
    EXPECT_EQ(out.size(), 1u) << route.info.id << " must answer exactly once";
    return out.empty() ? net::HttpResponse{} : out.front();
  }
  net::HttpResponse Reward(std::string_view id, net::HttpRequest request,
                           std::vector<std::pair<std::string, std::string>> params = {}) {
    for (auto table : {RewardRouteTable(), ReferralRouteTable(), ReferralDistributionRouteTable()}) {
      for (const auto& r : table) {
        if (r.info.id == id) return RunOn(r, reward_ctx_, std::move(request), std::move(params));
      }
    }
    ADD_FAILURE() << "no route " << id;
    return {};
  }
  net::HttpResponse Node(std::string_view id, net::HttpRequest request) {
    return RunOn(Find(NodeRouteTable(), id), node_ctx_, std::move(request));
  }

  static net::HeaderList Admin() { return {{"Authorization", "Bearer tok"}}; }
  static net::HeaderList As(std::string principal) { return {{"x-user-principal-id", std::move(principal)}}; }
  static json::value Body(const net::HttpResponse& r) { return json::parse(r.body); }
  static json::value Data(const net::HttpResponse& r) { return Body(r).as_object().at("data"); }

  std::string Today() const { return UtcDayOf(clock_.WallMs()); }
  // One hour measured today at tier 1 (60 Mbps, 20 ms): 60 × 0.5 × 1.2 = 36 SP.
  void MeasureAnHour(const std::string& principal) { AddUptime({Delta(principal, Today(), 60 * kMinuteMs, 60, 20)}); }

  nodes::NodeRegistry registry_;
  RewardRoutesContext reward_ctx_;
  NodeRoutesContext node_ctx_;
};

TEST_F(RewardRoutesTest, UserDataHistoryAndChartShowUptimeOnceItIsPaid) {
  Register("p1");
  MeasureAnHour("p1");
  EXPECT_EQ(Data(Node("N5", Request("GET", "/api/node/user/data", "", As("p1")))).at("balance"), "0");

  const net::HttpResponse run = Reward("RW2", Request("POST", "/api/rewards/trigger", "", Admin()));
  ASSERT_EQ(run.status, 200u) << run.body;
  EXPECT_EQ(Data(run).at("status"), "COMPLETED");
  EXPECT_EQ(Data(run).at("totalRewardsDistributed").to_number<double>(), 36);

  // An operator's grant counts in the balance but is neither a job nor an
  // uptime reward, so the history and chart leave it out.
  store::Transfer grant;
  grant.id = "admin:test:1";
  grant.kind = store::RewardKind::kAdmin;
  grant.principal = "p1";
  grant.amount_units = kUnitsPerSp;
  grant.day = Today();
  auto applied = Call<Result<std::vector<store::AppliedTransfer>>>(
      [&](auto done) { store_->ApplyTransfers({grant}, "", done); });
  ASSERT_TRUE(applied.has_value());

  const json::value data = Data(Node("N5", Request("GET", "/api/node/user/data", "", As("p1"))));
  EXPECT_EQ(data.at("user_principal_id"), "p1");
  EXPECT_EQ(data.at("balance"), "37");
  EXPECT_EQ(data.at("todaysEarnings"), "37");
  EXPECT_EQ(data.at("totalAccumulativePoints"), "37");
  EXPECT_EQ(data.at("settledBalance"), "0");
  EXPECT_EQ(data.at("settlingBalance"), "0");

  const json::value history = Data(Node("N8", Request("GET", "/api/node/user/reward-history", "", As("p1"))));
  ASSERT_EQ(history.at("data").at("rewards").as_array().size(), 1u) << json::serialize(history);
  EXPECT_EQ(history.at("data").at("rewards").at(0).at("type"), "uptime");
  EXPECT_EQ(history.at("summary").at("totalUptimeMinutes").to_number<int64_t>(), 60);

  const json::value chart = Data(Node("N9", Request("GET", "/api/node/user/reward-history/chart",
                                                    "startDate=" + Today() + "&endDate=" + Today(), As("p1"))));
  ASSERT_EQ(chart.at("chartData").as_array().size(), 1u);
  EXPECT_EQ(chart.at("chartData").at(0).at("uptimeRewards").to_number<double>(), 36);
  // Someone else's principal sees its own (empty) history, never p1's.
  EXPECT_EQ(Data(Node("N8", Request("GET", "/api/node/user/reward-history", "", As("p2"))))
                .at("pagination").at("totalItems").to_number<int64_t>(), 0);
}

TEST_F(RewardRoutesTest, ATriggerWhileARunIsInProgressIsRefusedAndARunTwicePaysOnce) {
  Register("p1");
  MeasureAnHour("p1");
  const auto& trigger = Find(RewardRouteTable(), "RW2");
  std::vector<net::HttpResponse> first;
  std::vector<net::HttpResponse> second;
  Start(trigger, reward_ctx_, Request("POST", "/api/rewards/trigger", "", Admin()), &first);
  Start(trigger, reward_ctx_, Request("POST", "/api/rewards/trigger", "", Admin()), &second);
  ASSERT_EQ(second.size(), 1u);
  EXPECT_EQ(second[0].status, 409u) << second[0].body;
  EXPECT_EQ(Body(second[0]).at("error").at("type"), "Conflict");
  Settle();
  ASSERT_EQ(first.size(), 1u);
  EXPECT_EQ(Data(first[0]).at("status"), "COMPLETED");

  const net::HttpResponse again = Reward("RW2", Request("POST", "/api/rewards/trigger", "", Admin()));
  EXPECT_EQ(Data(again).at("status"), "SKIPPED") << again.body;
  EXPECT_EQ(Balance("p1"), 36 * kUnitsPerSp);
  const json::value audit = Data(Reward("RWX1", Request("GET", "/api/rewards/audit", "", Admin())));
  EXPECT_EQ(audit.at("balanced"), true);
  EXPECT_EQ(audit.at("transfers").to_number<int64_t>(), 1);
  const json::value history = Data(Reward("RW3", Request("GET", "/api/rewards/history", "", Admin())));
  EXPECT_EQ(history.at("pagination").at("total").to_number<int64_t>(), 1);
}

TEST_F(RewardRoutesTest, ADistributionShowsItsTransfersAndAnUnknownOneIsNotFound) {
  Register("p1");
  MeasureAnHour("p1");
  const std::string id = Data(Reward("RW2", Request("POST", "/api/rewards/trigger", "", Admin()))).at("distributionId").as_string().c_str();
  const net::HttpResponse detail = Reward("RW4", Request("GET", "/api/rewards/distribution/" + id, "", Admin()),
                                          {{"distributionId", id}});
  EXPECT_EQ(Data(detail).at("transactions").at(0).at("userPrincipalId"), "p1") << detail.body;
  const net::HttpResponse missing =
      Reward("RW4", Request("GET", "/api/rewards/distribution/nope", "", Admin()), {{"distributionId", "nope"}});
  EXPECT_EQ(missing.status, 404u);
  EXPECT_EQ(missing.body, R"({"success":false,"error":{"type":"NotFound","message":"Distribution not found"}})");
  const net::HttpResponse user =
      Reward("RW5", Request("GET", "/api/rewards/user/p1/history", "limit=5", Admin()), {{"userPrincipalId", "p1"}});
  EXPECT_EQ(Data(user).at("transactions").as_array().size(), 1u) << user.body;
  EXPECT_EQ(Data(Reward("RW6", Request("GET", "/api/rewards/unprocessed-count", "", Admin())))
                .at("unprocessedCount").to_number<int64_t>(), 0);
}

TEST_F(RewardRoutesTest, AReferralIsRegisteredOnceByTheRefereeAndShownToTheReferrer) {
  const std::string code = Register("p1").referral_code;
  Register("p2");
  const std::string body = R"({"referral_code":")" + code + "\"}";
  EXPECT_EQ(Data(Reward("Rf1", JsonRequest("POST", "/api/referral/validate", body))).at("referrer_principal_id"), "p1");
  const net::HttpResponse created = Reward("Rf2", JsonRequest("POST", "/api/referral/register", body, As("p2")));
  ASSERT_EQ(created.status, 201u) << created.body;
  EXPECT_EQ(Data(created).at("relationship").at("referrer_l1"), "p1");

  const json::value dashboard = Data(Reward("Rf3", Request("GET", "/api/referral/dashboard", "", As("p1"))));
  EXPECT_EQ(dashboard.at("my_referral_code").as_string(), code);
  EXPECT_EQ(dashboard.at("tier1").at("total_referrals").to_number<int64_t>(), 1);
  const json::value tree = Data(Reward("Rf5", Request("GET", "/api/referral/tree", "", As("p1"))));
  EXPECT_EQ(tree.at("l1_referrals").at("referrals").at(0).at("user_principal_id"), "p2");
  EXPECT_EQ(Data(Reward("Rf8", Request("GET", "/api/referral/status", "", As("p2")))).at("registered"), true);
  EXPECT_EQ(Data(Reward("Rf7", Request("GET", "/api/referral/relationship", "", As("p1")))), nullptr);
  EXPECT_EQ(Data(Reward("Rf4", Request("GET", "/api/referral/stats", "", As("p1")))).at("total_referrals")
                .to_number<int64_t>(), 1);
}

TEST_F(RewardRoutesTest, ARefusedReferralIsA4xxAndWritesNothing) {
  const std::string code1 = Register("p1").referral_code;
  const std::string code3 = Register("p3").referral_code;
  Register("p2");
  auto reg = [&](std::string principal, std::string body) {
    return Reward("Rf2", JsonRequest("POST", "/api/referral/register", std::move(body), As(std::move(principal))));
  };
  auto code = [](const std::string& c) { return R"({"referral_code":")" + c + "\"}"; };
  EXPECT_EQ(reg("p2", "{}").status, 400u);
  EXPECT_EQ(reg("p2", R"({"referral_code":12345678})").status, 400u);
  EXPECT_EQ(reg("p2", code("ABC")).status, 400u);
  EXPECT_EQ(reg("p2", code("ZZZZZZZZ") == code(code1) ? code("YYYYYYYY") : code("ZZZZZZZZ")).status, 400u);
  EXPECT_EQ(reg("p1", code(code1)).status, 400u) << "self-referral";
  EXPECT_EQ(reg("stranger", code(code1)).status, 404u) << "not a node";
  EXPECT_EQ(Reward("Rf2", JsonRequest("POST", "/api/referral/register", code(code1))).status, 401u);
  EXPECT_EQ(Data(Reward("Rf3", Request("GET", "/api/referral/dashboard", "", As("p1"))))
                .at("tier1").at("total_referrals").to_number<int64_t>(), 0);
  // A cycle: p1 under p3, then p3 under p1.
  ASSERT_EQ(reg("p1", code(code3)).status, 201u);
  EXPECT_EQ(reg("p3", code(code1)).status, 400u);
  // A second referrer.
  EXPECT_EQ(reg("p1", code(code3)).status, 409u);
  EXPECT_EQ(Data(Reward("Rf8", Request("GET", "/api/referral/status", "", As("p3")))).at("registered"), false);
  EXPECT_EQ(Audit().transfers, 0);
}

// RATE_REGISTER_REFERRAL_PER_SOURCE: Rf2 has its own bucket per source; a
// refused registration is a 429 with Retry-After that writes nothing, and
// another source still registers.
TEST_F(RewardRoutesTest, AReferralRegistrationFloodFromOneSourceIs429AndWritesNothing) {
  const std::string code = Register("p1").referral_code;
  for (const char* p : {"p2", "p3", "p4"}) Register(p);
  MetricsRegistry metrics;
  SecurityEvents events(metrics, clock_);
  RestGuardOptions o;
  o.referral_register_per_source = {.burst = 1, .per_second = 1 / 60.0};
  RestGuard guard(o, clock_, &events, [](const std::string&, std::function<void(Result<bool>)> done) { done(false); });
  reward_ctx_.options.rest.guard = &guard;
  auto reg = [&](std::string principal, std::string peer) {
    net::HttpRequest r =
        JsonRequest("POST", "/api/referral/register", R"({"referral_code":")" + code + "\"}", As(std::move(principal)));
    r.peer = std::move(peer);
    return Reward("Rf2", std::move(r));
  };
  auto registered = [&](std::string principal) {
    return Data(Reward("Rf8", Request("GET", "/api/referral/status", "", As(std::move(principal))))).at("registered");
  };
  EXPECT_EQ(reg("p2", "198.51.100.1").status, 201u);
  const net::HttpResponse refused = reg("p3", "198.51.100.1");
  EXPECT_EQ(refused.status, 429u) << refused.body;
  EXPECT_EQ(refused.headers, (net::HeaderList{{"Retry-After", "60"}}));
  EXPECT_EQ(events.count(Refusal::kReferralRegisterLimited), 1u);
  EXPECT_EQ(registered("p3"), false);
  EXPECT_EQ(reg("p4", "198.51.100.2").status, 201u);  // Another source.
  EXPECT_EQ(Data(Reward("Rf4", Request("GET", "/api/referral/stats", "", As("p1")))).at("total_referrals")
                .to_number<int64_t>(), 2);
  clock_.Advance(Millis(60'000));
  EXPECT_EQ(reg("p3", "198.51.100.1").status, 201u);  // The bucket refills.
  reward_ctx_.options.rest.guard = nullptr;
}

TEST_F(RewardRoutesTest, BadPagingDatesAndFiltersAre400s) {
  Register("p1");
  for (const char* q : {"page=0", "limit=101", "page=-1", "limit=abc", "page=1&page=2"}) {
    EXPECT_EQ(Node("N8", Request("GET", "/api/node/user/reward-history", q, As("p1"))).status, 400u) << q;
  }
  for (const char* q : {"startDate=2024-02-30", "endDate=yesterday", "startDate=2024-03-02&endDate=2024-03-01"}) {
    EXPECT_EQ(Node("N9", Request("GET", "/api/node/user/reward-history/chart", q, As("p1"))).status, 400u) << q;
  }
  for (const char* q : {"page=0", "limit=0", "type=BONUS", "tier=3"}) {
    EXPECT_EQ(Reward("Rf6", Request("GET", "/api/referral/rewards", q, As("p1"))).status, 400u) << q;
  }
  for (const char* q : {"limit=0", "offset=-1", "limit=1000"}) {
    const net::HttpResponse r = Reward("RW3", Request("GET", "/api/rewards/history", q, Admin()));
    EXPECT_EQ(r.status, 400u) << q;
    EXPECT_EQ(Body(r).at("error").at("type"), "ValidationError");
  }
  EXPECT_EQ(Node("N5", Request("GET", "/api/node/user/data", "", As("nobody"))).status, 404u);
}

TEST_F(RewardRoutesTest, AnAdminGrantIsALedgerTransferAndBadGrantsWriteNothing) {
  Register("p1");
  auto grant = [&](std::string body, net::HeaderList headers = Admin()) {
    return Node("N11", JsonRequest("POST", "/api/node/rewards/add", std::move(body), std::move(headers)));
  };
  for (const char* bad : {R"({"principalId":"p1","rewards":-5})", R"({"principalId":"p1","rewards":0})",
                          R"({"principalId":"p1","rewards":"5"})", R"({"principalId":"p1","rewards":1e-9})",
                          R"({"principalId":"p1","rewards":1e300})", R"({"principalId":"p1"})",
                          R"({"rewards":5})", R"({"principalId":7,"rewards":5})"}) {
    EXPECT_EQ(grant(bad).status, 400u) << bad;
  }
  EXPECT_EQ(grant(R"({"principalId":"ghost","rewards":5})").status, 404u);
  EXPECT_EQ(grant(R"({"principalId":"p1","rewards":5})", {}).status, 401u);
  EXPECT_EQ(Audit().transfers, 0);

  net::HeaderList keyed = Admin();
  keyed.emplace_back("Idempotency-Key", "grant-1");
  const net::HttpResponse ok = grant(R"({"principalId":"p1","rewards":2.5})", keyed);
  ASSERT_EQ(ok.status, 200u) << ok.body;
  EXPECT_EQ(Data(ok).at("balance"), "2.5");
  EXPECT_EQ(Data(grant(R"({"principalId":"p1","rewards":2.5})", keyed)).at("balance"), "2.5") << "a repeat";
  EXPECT_EQ(grant(R"({"principalId":"p1","rewards":3})", keyed).status, 409u);
  EXPECT_EQ(Data(grant(R"({"principalId":"p1","rewards":1})")).at("balance"), "3.5");
  EXPECT_EQ(Audit().transfers, 2);
  EXPECT_TRUE(Audit().balanced());
}

TEST_F(RewardRoutesTest, WeeklyTriggerAndPlaceholdersAnswerInTheOriginalsShape) {
  const net::HttpResponse weekly =
      Reward("D2", Request("POST", "/api/referral-distribution/trigger/weekly-uptime", "", Admin()));
  ASSERT_EQ(weekly.status, 200u) << weekly.body;
  EXPECT_EQ(Data(weekly).at("distribution_type"), "WEEKLY_UPTIME");
  EXPECT_EQ(Data(Reward("D3", Request("POST", "/api/referral-distribution/trigger/daily-task", "", Admin())))
                .at("processed_count").to_number<int64_t>(), 0);
  EXPECT_EQ(Data(Reward("D1", Request("GET", "/api/referral-distribution/status"))).at("isRunning"), false);
  EXPECT_EQ(Data(Reward("Rf9", Request("GET", "/api/referral/config"))).at("max_tier_depth").to_number<int64_t>(), 2);
  EXPECT_EQ(Body(Reward("RW1", Request("GET", "/api/rewards/status", "", Admin()))).at("data").at("isRunning"), false);
}

TEST(RewardRouteTables, MoneyMovingAndTriggerRoutesAreAdminAndIdsAreUnique) {
  std::set<std::string> ids;
  auto check = [&](auto table) {
    for (const auto& r : table) {
      EXPECT_TRUE(ids.insert(std::string(r.info.id)).second) << r.info.id;
      EXPECT_NE(r.handler, nullptr) << r.info.id;
      if (r.info.method != std::string_view("GET") && r.info.id != std::string_view("Rf1") &&
          r.info.id != std::string_view("Rf2")) {
        EXPECT_EQ(r.info.auth, RestAuth::kAdmin) << r.info.id;
      }
    }
  };
  check(RewardRouteTable());
  check(ReferralRouteTable());
  check(ReferralDistributionRouteTable());
  EXPECT_EQ(ids.size(), 22u);  // With N5, N8, N9, N11: the original's 25, and the audit.
  for (const auto& r : RewardRouteTable()) EXPECT_EQ(r.info.auth, RestAuth::kAdmin) << r.info.id;
  for (const auto& r : NodeRouteTable()) {
    EXPECT_NE(r.handler, nullptr) << r.info.id << " is served now";
    if (r.info.id == std::string_view("N11")) {
      EXPECT_EQ(r.info.auth, RestAuth::kAdmin);
    }
  }
}

TEST(RewardRouteTables, E2RefusalsAreTheOriginals) {
  EXPECT_EQ(E2AdminRefusal(AdminCheck::kMissing).body,
            R"({"success":false,"error":{"type":"Unauthorized","message":"Authorization header is required"}})");
  EXPECT_EQ(E2AdminRefusal(AdminCheck::kWrongToken).status, 401u);
  EXPECT_EQ(E2AdminRefusal(AdminCheck::kDisabled).status, 403u);
}

TEST(RewardRouteTables, AreTheTablesInTheDocument) {
  std::ifstream in(SELA_REST_REWARDS_DOC);
  std::stringstream doc;
  doc << in.rdbuf();
  ASSERT_FALSE(doc.str().empty()) << "cannot read " << SELA_REST_REWARDS_DOC;
  for (const std::string& table : {RouteTableMarkdown(RewardRouteTable()), RouteTableMarkdown(ReferralRouteTable()),
                                   RouteTableMarkdown(ReferralDistributionRouteTable())}) {
    EXPECT_NE(doc.str().find(table), std::string::npos) << "docs/REST-REWARDS.md must contain this table:\n" << table;
  }
}

TEST(GrantUnits, TakesPositiveSpWithAtMostEightDecimals) {
  const int64_t max = 1'000'000 * kUnitsPerSp;
  EXPECT_EQ(GrantUnits(json::value(2.5), max), 250'000'000);
  EXPECT_EQ(GrantUnits(json::value(0.00000001), max), 1);
  EXPECT_EQ(GrantUnits(json::value(int64_t{1'000'000}), max), max);
  EXPECT_EQ(GrantUnits(json::value(0.000000001), max), std::nullopt);
  EXPECT_EQ(GrantUnits(json::value(0.123456789), max), std::nullopt);
  EXPECT_EQ(GrantUnits(json::value(1'000'000.5), max), std::nullopt);
  EXPECT_EQ(GrantUnits(json::value(-1), max), std::nullopt);
  EXPECT_EQ(GrantUnits(json::value("1"), max), std::nullopt);
}

// N5 shows what settlement on the chain made of the balance, with the
// field names of /api/node/nodes; the off-chain fields stay as they were.
TEST_F(RewardRoutesTest, UserDataShowsTheSettledAmountNextToTheBalance) {
  Register("p1");
  store::Transfer grant;
  grant.id = "admin:test:settle";
  grant.kind = store::RewardKind::kAdmin;
  grant.principal = "p1";
  grant.amount_units = 2 * kUnitsPerSp + kUnitsPerSp / 2;
  grant.day = Today();
  ASSERT_TRUE((Call<Result<std::vector<store::AppliedTransfer>>>(
                   [&](auto done) { store_->ApplyTransfers({grant}, "", done); }))
                  .has_value());
  auto created = Call<Result<store::SettlementBatchResult>>([&](auto done) {
    store_->CreateSettlements({.run_id = "run1", .after_principal = "", .now_ms = 1000, .limit = 10}, done);
  });
  ASSERT_TRUE(created.has_value() && created->created == 1);
  json::value data = Data(Node("N5", Request("GET", "/api/node/user/data", "", As("p1"))));
  EXPECT_EQ(data.at("balance"), "2.5");
  EXPECT_EQ(data.at("settledBalance"), "0");
  EXPECT_EQ(data.at("settlingBalance"), "2.5");

  auto record = Call<Result<std::optional<store::SettlementRecord>>>(
      [&](auto done) { store_->GetSettlement("run1/p1", done); });
  ASSERT_TRUE(record.has_value() && record->has_value());
  store::SettlementRecord confirmed = **record;
  confirmed.state = store::SettlementState::kConfirmed;
  confirmed.block_index = 7;
  confirmed.confirmed_ms = 2000;
  ASSERT_TRUE((Call<Result<store::SettlementRecord>>([&](auto done) { store_->UpdateSettlement(confirmed, done); }))
                  .has_value());
  data = Data(Node("N5", Request("GET", "/api/node/user/data", "", As("p1"))));
  EXPECT_EQ(data.at("balance"), "2.5");  // Off-chain, unchanged by settlement.
  EXPECT_EQ(data.at("totalAccumulativePoints"), "2.5");
  EXPECT_EQ(data.at("settledBalance"), "2.5");
  EXPECT_EQ(data.at("settlingBalance"), "0");
}

}  // namespace
}  // namespace sela::api
