// The Store contract, for every backend; see store_contract_test.h.
#include "store/store_contract_test.h"

#include <algorithm>
#include <cmath>
#include <limits>
#include <set>
#include <thread>
#include <vector>

namespace sela::store::testing {
namespace {

constexpr int64_t kT0 = 1'700'000'000'000;

bool IsReferralCode(const std::string& code) {
  return code.size() == 8 && std::all_of(code.begin(), code.end(), [](char c) {
           return (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9');
         });
}

UptimeDelta Delta(const std::string& principal, const std::string& day, int64_t online_ms) {
  UptimeDelta delta = OnlineDelta(principal, day, online_ms);
  delta.sessions = 1;
  delta.speed_sum = 10;
  delta.speed_count = 2;
  delta.ping_sum = 30;
  delta.ping_count = 1;
  return delta;
}

TEST_P(StoreContractTest, ReserveSessionIdsStartsAtOneAndNeverHandsAnIdOutTwice) {
  EXPECT_EQ(Reserve(1000), 1u);
  EXPECT_EQ(Reserve(1), 1001u);
  EXPECT_EQ(Reserve(5), 1002u);
  EXPECT_EQ(Reserve(1), 1007u);
}

TEST_P(StoreContractTest, ReserveSessionIdsRefusesZeroAndConsumesNothing) {
  const Result<uint64_t> refused = Reserve(0);
  ASSERT_FALSE(refused.has_value());
  EXPECT_EQ(refused.error().code(), Code::kInvalidArgument);
  EXPECT_EQ(Reserve(1), 1u);
}

TEST_P(StoreContractTest, CountersContinueAfterReopen) {
  ASSERT_EQ(Reserve(1000), 1u);
  ASSERT_EQ(Register("alpha", kT0)->numeric_id, 1);
  ASSERT_NO_FATAL_FAILURE(Reopen());
  EXPECT_EQ(Reserve(10), 1001u);
  EXPECT_EQ(Register("beta", kT0)->numeric_id, 2);
  EXPECT_EQ(Get("alpha")->value().numeric_id, 1);
}

TEST_P(StoreContractTest, RegisterNodeCreatesARecordWithAFreshIdentity) {
  const Result<NodeRecord> node = Register("alpha", kT0, "1700000000000");
  ASSERT_TRUE(node.has_value()) << node.error().ToString();
  EXPECT_EQ(node->principal, "alpha");
  EXPECT_EQ(node->numeric_id, 1);
  EXPECT_EQ(node->client_id, "1700000000000");
  EXPECT_TRUE(IsReferralCode(node->referral_code)) << node->referral_code;
  EXPECT_EQ(node->status, NodeStatus::kActive);
  EXPECT_EQ(node->max_concurrent_jobs, 10u);
  EXPECT_EQ(node->download_speed, 0);
  EXPECT_EQ(node->upload_speed, 0);
  EXPECT_EQ(node->ping_ms, 0);
  EXPECT_EQ(node->created_ms, kT0);
  EXPECT_EQ(node->ws_connect_ms, kT0);
  EXPECT_EQ(node->ws_disconnect_ms, 0);
  EXPECT_EQ(node->ping_timestamp_ms, kT0);
  EXPECT_EQ(node->total_referral, 0u);
  EXPECT_FALSE(node->signed_identity);
  EXPECT_EQ(node->registrations, 1u);
  EXPECT_EQ(Get("alpha").value(), std::optional<NodeRecord>(*node));
}

TEST_P(StoreContractTest, RegisterNodeAgainKeepsIdentityAndRefreshesTheConnection) {
  const NodeRecord first = Register("alpha", kT0, "a").value();
  ASSERT_TRUE(UpdateMetrics("alpha", Metrics(50, std::nullopt, 20), kT0 + 1).ok());
  ASSERT_TRUE(SetCapacity("alpha", 3).ok());
  ASSERT_TRUE(SetStatus("alpha", NodeStatus::kInactive, kT0 + 2).ok());
  ASSERT_TRUE(Disconnect("alpha", kT0 + 3).ok());

  const Result<NodeRecord> again = Register("alpha", kT0 + 10, "b");
  ASSERT_TRUE(again.has_value()) << again.error().ToString();
  NodeRecord expected = first;
  expected.client_id = "b";
  expected.ws_connect_ms = kT0 + 10;
  expected.ping_timestamp_ms = kT0 + 10;
  expected.download_speed = 50;
  expected.ping_ms = 20;
  expected.max_concurrent_jobs = 3;
  expected.registrations = 2;
  EXPECT_EQ(*again, expected);
  EXPECT_EQ(Get("alpha").value(), std::optional<NodeRecord>(expected));
}

TEST_P(StoreContractTest, RegisterNodeRefusesAnEmptyPrincipal) {
  const Result<NodeRecord> node = Register("", kT0);
  ASSERT_FALSE(node.has_value());
  EXPECT_EQ(node.error().code(), Code::kInvalidArgument);
  EXPECT_EQ(List(false).value().size(), 0u);
}

TEST_P(StoreContractTest, ManyRegistrationsGetDistinctNumericIdsAndReferralCodes) {
  constexpr int kNodes = 2000;
  std::vector<Result<NodeRecord>> results;
  for (int i = 0; i < kNodes; ++i) {
    store().RegisterNode("node-" + std::to_string(i), "1", kT0,
                         [&results](Result<NodeRecord> r) { results.push_back(std::move(r)); });
  }
  Settle();
  ASSERT_EQ(results.size(), static_cast<size_t>(kNodes));
  std::set<std::string> codes;
  for (int i = 0; i < kNodes; ++i) {
    ASSERT_TRUE(results[i].has_value()) << results[i].error().ToString();
    EXPECT_EQ(results[i]->numeric_id, i + 1);  // Issue order.
    EXPECT_TRUE(IsReferralCode(results[i]->referral_code));
    codes.insert(results[i]->referral_code);
  }
  EXPECT_EQ(codes.size(), static_cast<size_t>(kNodes));
}

TEST_P(StoreContractTest, GetNodeOfAnUnknownPrincipalIsEmpty) {
  const Result<std::optional<NodeRecord>> node = Get("nobody");
  ASSERT_TRUE(node.has_value()) << node.error().ToString();
  EXPECT_FALSE(node->has_value());
}

TEST_P(StoreContractTest, ReadsRefuseAnEmptyPrincipal) {
  EXPECT_EQ(Get("").error().code(), Code::kInvalidArgument);
  EXPECT_EQ(TotalUptime("").error().code(), Code::kInvalidArgument);
  EXPECT_EQ(Days("", "2024-01-01", "2024-01-02").error().code(), Code::kInvalidArgument);
}

TEST_P(StoreContractTest, MarkNodeDisconnectedRecordsTheTime) {
  const NodeRecord node = Register("alpha", kT0).value();
  ASSERT_TRUE(Disconnect("alpha", kT0 + 5000).ok());
  const NodeRecord stored = Get("alpha")->value();
  EXPECT_EQ(stored.ws_disconnect_ms, kT0 + 5000);
  EXPECT_EQ(stored.ws_connect_ms, node.ws_connect_ms);
  EXPECT_EQ(stored.numeric_id, node.numeric_id);
}

TEST_P(StoreContractTest, UpdatesOfAnUnknownNodeAreNotFoundAndCreateNothing) {
  const Status statuses[] = {
      Disconnect("ghost", kT0),
      UpdateMetrics("ghost", Metrics(std::nullopt, std::nullopt, 1), kT0),
      SetStatus("ghost", NodeStatus::kActive, kT0),
      SetCapacity("ghost", 4),
  };
  for (const Status& status : statuses) {
    EXPECT_EQ(status.code(), Code::kNotFound) << status.ToString();
  }
  EXPECT_FALSE(Get("ghost")->has_value());
}

TEST_P(StoreContractTest, UpdatesRefuseAnEmptyPrincipal) {
  EXPECT_EQ(Disconnect("", kT0).code(), Code::kInvalidArgument);
  EXPECT_EQ(SetCapacity("", 4).code(), Code::kInvalidArgument);
}

TEST_P(StoreContractTest, UpdateNodeMetricsChangesOnlyThePresentFields) {
  ASSERT_TRUE(Register("alpha", kT0).has_value());
  ASSERT_TRUE(UpdateMetrics("alpha", Metrics(80, 20, 15), kT0 + 1).ok());
  ASSERT_TRUE(UpdateMetrics("alpha", Metrics(std::nullopt, std::nullopt, 0), kT0 + 2).ok());
  const NodeRecord node = Get("alpha")->value();
  EXPECT_EQ(node.download_speed, 80);
  EXPECT_EQ(node.upload_speed, 20);
  EXPECT_EQ(node.ping_ms, 0);
  EXPECT_EQ(node.ping_timestamp_ms, kT0 + 2);
}

TEST_P(StoreContractTest, UpdateNodeMetricsRefusesNonFiniteAndNegativeValues) {
  const NodeRecord before = Register("alpha", kT0).value();
  const NodeMetricsUpdate bad[] = {
      Metrics(std::nan(""), std::nullopt, std::nullopt),
      Metrics(std::nullopt, -1, std::nullopt),
      Metrics(std::nullopt, std::nullopt, std::numeric_limits<double>::infinity()),
  };
  for (const NodeMetricsUpdate& update : bad) {
    const Status status = UpdateMetrics("alpha", update, kT0 + 1);
    EXPECT_EQ(status.code(), Code::kInvalidArgument) << status.ToString();
  }
  EXPECT_EQ(Get("alpha").value(), std::optional<NodeRecord>(before));
}

TEST_P(StoreContractTest, SetNodeStatusChangesStatusAndPingTime) {
  ASSERT_TRUE(Register("alpha", kT0).has_value());
  ASSERT_TRUE(SetStatus("alpha", NodeStatus::kInactive, kT0 + 7).ok());
  const NodeRecord node = Get("alpha")->value();
  EXPECT_EQ(node.status, NodeStatus::kInactive);
  EXPECT_EQ(node.ping_timestamp_ms, kT0 + 7);
}

TEST_P(StoreContractTest, SetNodeStatusRefusesAnUnknownStatus) {
  ASSERT_TRUE(Register("alpha", kT0).has_value());
  const Status status = SetStatus("alpha", static_cast<NodeStatus>(7), kT0);
  EXPECT_EQ(status.code(), Code::kInvalidArgument) << status.ToString();
  EXPECT_EQ(Get("alpha")->value().status, NodeStatus::kActive);
}

TEST_P(StoreContractTest, SetNodeCapacityStoresTheLimit) {
  ASSERT_TRUE(Register("alpha", kT0).has_value());
  ASSERT_TRUE(SetCapacity("alpha", 0).ok());
  EXPECT_EQ(Get("alpha")->value().max_concurrent_jobs, 0u);
  ASSERT_TRUE(SetCapacity("alpha", 250).ok());
  EXPECT_EQ(Get("alpha")->value().max_concurrent_jobs, 250u);
}

TEST_P(StoreContractTest, ListNodesOrdersByNumericIdAndCanKeepOnlyActiveOnes) {
  for (const char* principal : {"charlie", "alpha", "bravo"}) {
    ASSERT_TRUE(Register(principal, kT0).has_value());
  }
  ASSERT_TRUE(SetStatus("alpha", NodeStatus::kInactive, kT0).ok());
  auto principals = [](const std::vector<NodeRecord>& nodes) {
    std::vector<std::string> out;
    for (const NodeRecord& n : nodes) out.push_back(n.principal);
    return out;
  };
  EXPECT_EQ(principals(List(false).value()),
            (std::vector<std::string>{"charlie", "alpha", "bravo"}));
  EXPECT_EQ(principals(List(true).value()), (std::vector<std::string>{"charlie", "bravo"}));
}

TEST_P(StoreContractTest, AddUptimeSumsEveryDeltaOfAPrincipalAndDay) {
  ASSERT_TRUE(
      AddUptime({Delta("alpha", "2024-03-01", 60'000), Delta("alpha", "2024-03-01", 1000)}, kT0)
          .ok());
  ASSERT_TRUE(AddUptime({Delta("alpha", "2024-03-01", 500)}, kT0 + 9).ok());
  const std::vector<UptimeDay> days = Days("alpha", "2024-03-01", "2024-03-01").value();
  ASSERT_EQ(days.size(), 1u);
  const UptimeDay expected{.principal = "alpha",
                           .day = "2024-03-01",
                           .online_ms = 61'500,
                           .sessions = 3,
                           .speed_sum = 30,
                           .speed_count = 6,
                           .ping_sum = 90,
                           .ping_count = 3,
                           .paid_minutes = 0,
                           .updated_ms = kT0 + 9};
  EXPECT_EQ(days[0], expected);
  EXPECT_EQ(days[0].avg_speed(), 5);
  EXPECT_EQ(days[0].avg_ping(), 30);
}

TEST_P(StoreContractTest, AddUptimeWithOneInvalidDeltaAppliesNothing) {
  const UptimeDelta bad[] = {
      Delta("alpha", "2024-02-30", 1000),
      Delta("alpha", "2024-03-01", -1),
      Delta("", "2024-03-01", 1000),
      [] {
        UptimeDelta delta = OnlineDelta("alpha", "2024-03-01", 1);
        delta.speed_sum = std::nan("");
        return delta;
      }(),
  };
  for (const UptimeDelta& delta : bad) {
    const Status status = AddUptime(
        {Delta("alpha", "2024-03-01", 1000), Delta("bravo", "2024-03-01", 1000), delta}, kT0);
    EXPECT_EQ(status.code(), Code::kInvalidArgument) << status.ToString();
  }
  EXPECT_EQ(TotalUptime("alpha"), 0);
  EXPECT_EQ(TotalUptime("bravo"), 0);
}

TEST_P(StoreContractTest, AddUptimeWithNoDeltasSucceeds) { EXPECT_TRUE(AddUptime({}, kT0).ok()); }

TEST_P(StoreContractTest, GetUptimeDaysReturnsTheInclusiveRangeAscending) {
  ASSERT_TRUE(AddUptime({Delta("alpha", "2024-02-02", 4), Delta("alpha", "2024-01-31", 2),
                         Delta("bravo", "2024-02-01", 9), Delta("alpha", "2024-02-01", 3),
                         Delta("alpha", "2024-01-30", 1)},
                        kT0)
                  .ok());
  const std::vector<UptimeDay> days = Days("alpha", "2024-01-31", "2024-02-01").value();
  ASSERT_EQ(days.size(), 2u);
  EXPECT_EQ(days[0].day, "2024-01-31");
  EXPECT_EQ(days[0].online_ms, 2);
  EXPECT_EQ(days[1].day, "2024-02-01");
  EXPECT_EQ(days[1].online_ms, 3);
  EXPECT_EQ(Days("alpha", "2024-02-02", "2024-01-30").value().size(), 0u);
  EXPECT_EQ(Days("nobody", "2024-01-01", "2024-12-31").value().size(), 0u);
}

TEST_P(StoreContractTest, GetUptimeDaysRefusesMalformedDays) {
  for (const char* day : {"2024-1-01", "2024-13-01", "2023-02-29", "", "20240101", "2024/01/01",
                          "abcd-ef-gh", "2024-01-01x"}) {
    const auto from = Days("alpha", day, "2024-12-31");
    ASSERT_FALSE(from.has_value()) << day;
    EXPECT_EQ(from.error().code(), Code::kInvalidArgument) << day;
    const auto to = Days("alpha", "2024-01-01", day);
    ASSERT_FALSE(to.has_value()) << day;
    EXPECT_EQ(to.error().code(), Code::kInvalidArgument) << day;
  }
}

TEST_P(StoreContractTest, GetTotalUptimeMsSumsEveryDayOfThePrincipal) {
  ASSERT_TRUE(AddUptime({Delta("alpha", "2024-01-01", 1000), Delta("alpha", "2024-06-30", 250),
                         Delta("bravo", "2024-01-01", 7)},
                        kT0)
                  .ok());
  EXPECT_EQ(TotalUptime("alpha"), 1250);
  EXPECT_EQ(TotalUptime("nobody"), 0);
}

TEST_P(StoreContractTest, PingSucceedsOnAnOpenStore) {
  EXPECT_TRUE(Ping().ok());
}

}  // namespace
}  // namespace sela::store::testing
