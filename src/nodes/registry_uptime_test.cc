// NodeRegistry: uptime as the server measures it (ARCHITECTURE.md §7), handed
// out by Checkpoint() as per-day deltas.
#include <gtest/gtest.h>

#include <string>
#include <vector>

#include "nodes/registry.h"

namespace sela::nodes {
namespace {

constexpr int64_t kSecondMs = 1000;
constexpr int64_t kMinuteMs = 60 * kSecondMs;
constexpr int64_t kHourMs = 60 * kMinuteMs;
constexpr int64_t kDayMs = 24 * kHourMs;
constexpr int64_t kMidnight = 1'710'028'800'000;  // 2024-03-10T00:00:00Z.
constexpr char kAlice[] = "aaaaa-aa";
constexpr char kBob[] = "2vxsx-fae";

store::UptimeDelta Online(std::string principal, std::string day, int64_t online_ms,
                          uint32_t sessions = 0) {
  return {.principal = std::move(principal),
          .day = std::move(day),
          .online_ms = online_ms,
          .sessions = sessions};
}

// The fields that tests compare, printed on failure.
std::string Describe(const std::vector<store::UptimeDelta>& deltas) {
  std::string out;
  for (const auto& d : deltas) {
    out += d.principal + " " + d.day + " online=" + std::to_string(d.online_ms) +
           " sessions=" + std::to_string(d.sessions) + " speed=" + std::to_string(d.speed_sum) +
           "/" + std::to_string(d.speed_count) + " ping=" + std::to_string(d.ping_sum) + "/" +
           std::to_string(d.ping_count) + "\n";
  }
  return out;
}

#define EXPECT_DELTAS(actual, ...)                                          \
  do {                                                                      \
    const std::vector<store::UptimeDelta> expected_deltas = {__VA_ARGS__}; \
    const std::vector<store::UptimeDelta> actual_deltas = (actual);        \
    EXPECT_EQ(Describe(actual_deltas), Describe(expected_deltas));          \
  } while (false)

TEST(RegistryUptime, LiveNodeReportsItsTimeSinceRegistration) {
  NodeRegistry registry;
  registry.Connect(kAlice, 1, kMidnight + kHourMs);
  EXPECT_DELTAS(registry.Checkpoint(kMidnight + kHourMs + 90 * kSecondMs),
                Online(kAlice, "2024-03-10", 90 * kSecondMs, 1));
}

TEST(RegistryUptime, EachCheckpointReportsOnlyWhatAccruedSinceThePrevious) {
  NodeRegistry registry;
  registry.Connect(kAlice, 1, kMidnight);
  registry.Checkpoint(kMidnight + kMinuteMs);
  EXPECT_DELTAS(registry.Checkpoint(kMidnight + 3 * kMinuteMs),
                Online(kAlice, "2024-03-10", 2 * kMinuteMs));
  EXPECT_DELTAS(registry.Checkpoint(kMidnight + 3 * kMinuteMs + 1),
                Online(kAlice, "2024-03-10", 1));
}

TEST(RegistryUptime, SecondCheckpointAtTheSameTimeReturnsNothing) {
  NodeRegistry registry;
  const NodeIndex alice = registry.Connect(kAlice, 1, kMidnight);
  registry.RecordSpeed(alice, 10.0, 1.0, 20.0, kMidnight + 5);
  registry.Connect(kBob, 1, kMidnight);
  registry.Disconnect(registry.Find(kBob), kMidnight + 10);
  EXPECT_EQ(registry.Checkpoint(kMidnight + kMinuteMs).size(), 2u);
  EXPECT_TRUE(registry.Checkpoint(kMidnight + kMinuteMs).empty());
}

TEST(RegistryUptime, EmptyRegistryReportsNothing) {
  NodeRegistry registry;
  EXPECT_TRUE(registry.Checkpoint(kMidnight).empty());
}

TEST(RegistryUptime, OverlappingConnectionsOfOnePrincipalCountOnce) {
  NodeRegistry registry;
  // Phone from 0:00 to 0:10, laptop from 0:05 to 0:20: online 0:00 to 0:20.
  const NodeIndex alice = registry.Connect(kAlice, 1, kMidnight);
  registry.Connect(kAlice, 2, kMidnight + 5 * kMinuteMs);
  registry.Disconnect(alice, kMidnight + 10 * kMinuteMs);
  registry.Disconnect(alice, kMidnight + 20 * kMinuteMs);
  EXPECT_DELTAS(registry.Checkpoint(kMidnight + kHourMs),
                Online(kAlice, "2024-03-10", 20 * kMinuteMs, 2));
}

TEST(RegistryUptime, NodeThatWentOfflineIsReportedByTheNextCheckpoint) {
  NodeRegistry registry;
  const NodeIndex alice = registry.Connect(kAlice, 1, kMidnight);
  registry.Checkpoint(kMidnight + kMinuteMs);
  registry.Disconnect(alice, kMidnight + kMinuteMs + 1500);
  EXPECT_DELTAS(registry.Checkpoint(kMidnight + 2 * kMinuteMs),
                Online(kAlice, "2024-03-10", 1500));
  EXPECT_TRUE(registry.Checkpoint(kMidnight + 3 * kMinuteMs).empty());
}

TEST(RegistryUptime, ReconnectionsBetweenCheckpointsAddUpInOneDelta) {
  NodeRegistry registry;
  NodeIndex alice = registry.Connect(kAlice, 1, kMidnight);
  registry.Disconnect(alice, kMidnight + 1000);
  alice = registry.Connect(kAlice, 2, kMidnight + 5000);
  registry.Disconnect(alice, kMidnight + 7000);
  registry.Connect(kAlice, 3, kMidnight + 9000);
  EXPECT_DELTAS(registry.Checkpoint(kMidnight + 10'000), Online(kAlice, "2024-03-10", 4000, 3));
}

TEST(RegistryUptime, DisconnectAndReconnectAtTheSameInstantLosesNothing) {
  NodeRegistry registry;
  const NodeIndex alice = registry.Connect(kAlice, 1, kMidnight);
  registry.Disconnect(alice, kMidnight + 1000);
  registry.Connect(kAlice, 2, kMidnight + 1000);
  EXPECT_DELTAS(registry.Checkpoint(kMidnight + 3000), Online(kAlice, "2024-03-10", 3000, 2));
}

TEST(RegistryUptime, SessionAcrossMidnightIsSplitBetweenTheDays) {
  NodeRegistry registry;
  const NodeIndex alice = registry.Connect(kAlice, 1, kMidnight - 30 * kSecondMs);
  registry.Disconnect(alice, kMidnight + 30 * kSecondMs);
  EXPECT_DELTAS(registry.Checkpoint(kMidnight + kMinuteMs),
                Online(kAlice, "2024-03-09", 30 * kSecondMs, 1),
                Online(kAlice, "2024-03-10", 30 * kSecondMs));
}

// The first registration of a node is held apart from later ones until a
// checkpoint or its disconnect: neither may move it to another day or count
// it twice.
TEST(RegistryUptime, NodeThatLeavesAfterMidnightBeforeACheckpointCountsItsSessionOnItsFirstDay) {
  NodeRegistry registry;
  NodeIndex alice = registry.Connect(kAlice, 1, kMidnight - 10 * kSecondMs);
  registry.Disconnect(alice, kMidnight + 10 * kSecondMs);
  alice = registry.Connect(kAlice, 2, kMidnight + 20 * kSecondMs);
  registry.Disconnect(alice, kMidnight + 30 * kSecondMs);
  EXPECT_DELTAS(registry.Checkpoint(kMidnight + kMinuteMs),
                Online(kAlice, "2024-03-09", 10 * kSecondMs, 1),
                Online(kAlice, "2024-03-10", 20 * kSecondMs, 1));
  EXPECT_TRUE(registry.Checkpoint(kMidnight + 2 * kMinuteMs).empty());
}

TEST(RegistryUptime, SecondConnectionAfterMidnightCountsOnItsOwnDay) {
  NodeRegistry registry;
  const NodeIndex alice = registry.Connect(kAlice, 1, kMidnight - 30 * kSecondMs);
  registry.Connect(kAlice, 2, kMidnight + 30 * kSecondMs);
  registry.Disconnect(alice, kMidnight + 40 * kSecondMs);
  EXPECT_DELTAS(registry.Checkpoint(kMidnight + kMinuteMs),
                Online(kAlice, "2024-03-09", 30 * kSecondMs, 1),
                Online(kAlice, "2024-03-10", kMinuteMs, 1));
  registry.Disconnect(alice, kMidnight + 90 * kSecondMs);
  EXPECT_DELTAS(registry.Checkpoint(kMidnight + 2 * kMinuteMs),
                Online(kAlice, "2024-03-10", 30 * kSecondMs));
}

TEST(RegistryUptime, FirstSessionCountedAtACheckpointIsNotCountedAgainAtDisconnect) {
  NodeRegistry registry;
  const NodeIndex alice = registry.Connect(kAlice, 1, kMidnight - 30 * kSecondMs);
  EXPECT_DELTAS(registry.Checkpoint(kMidnight + 30 * kSecondMs),
                Online(kAlice, "2024-03-09", 30 * kSecondMs, 1),
                Online(kAlice, "2024-03-10", 30 * kSecondMs));
  registry.Disconnect(alice, kMidnight + kMinuteMs);
  registry.Connect(kBob, 1, kMidnight + kMinuteMs);
  EXPECT_DELTAS(registry.Checkpoint(kMidnight + 2 * kMinuteMs),
                Online(kBob, "2024-03-10", kMinuteMs, 1),
                Online(kAlice, "2024-03-10", 30 * kSecondMs));
}

TEST(RegistryUptime, LiveNodeAcrossMidnightIsSplitAtCheckpoint) {
  NodeRegistry registry;
  registry.Connect(kAlice, 1, kMidnight - 30 * kSecondMs);
  EXPECT_DELTAS(registry.Checkpoint(kMidnight + 30 * kSecondMs),
                Online(kAlice, "2024-03-09", 30 * kSecondMs, 1),
                Online(kAlice, "2024-03-10", 30 * kSecondMs));
}

TEST(RegistryUptime, MidnightItselfBelongsToTheNewDay) {
  NodeRegistry registry;
  const NodeIndex alice = registry.Connect(kAlice, 1, kMidnight - 1);
  registry.Disconnect(alice, kMidnight);
  registry.Connect(kBob, 1, kMidnight);
  EXPECT_DELTAS(registry.Checkpoint(kMidnight + 1),
                Online(kBob, "2024-03-10", 1, 1),
                Online(kAlice, "2024-03-09", 1, 1));
}

TEST(RegistryUptime, LongGapBetweenCheckpointsIsSplitIntoWholeDays) {
  NodeRegistry registry;
  registry.Connect(kAlice, 1, kMidnight - kHourMs);
  EXPECT_DELTAS(registry.Checkpoint(kMidnight + 2 * kDayMs + kHourMs),
                Online(kAlice, "2024-03-09", kHourMs, 1),
                Online(kAlice, "2024-03-10", kDayMs),
                Online(kAlice, "2024-03-11", kDayMs),
                Online(kAlice, "2024-03-12", kHourMs));
}

TEST(RegistryUptime, SessionsCountRegistrationsOnTheDayTheyHappened) {
  NodeRegistry registry;
  const NodeIndex alice = registry.Connect(kAlice, 1, kMidnight - 2000);
  registry.Connect(kAlice, 2, kMidnight - 1000);
  registry.Disconnect(alice, kMidnight - 1000);
  registry.Connect(kAlice, 3, kMidnight + 1000);
  registry.Disconnect(alice, kMidnight + 2000);
  registry.Disconnect(alice, kMidnight + 3000);
  EXPECT_DELTAS(registry.Checkpoint(kMidnight + 4000),
                Online(kAlice, "2024-03-09", 2000, 2),
                Online(kAlice, "2024-03-10", 3000, 1));
}

TEST(RegistryUptime, SpeedAndPingSamplesAreSummedPerDay) {
  NodeRegistry registry;
  const NodeIndex alice = registry.Connect(kAlice, 1, kMidnight - 10);
  registry.RecordSpeed(alice, 40.0, 8.0, 30.0, kMidnight - 5);
  registry.RecordSpeed(alice, 60.0, std::nullopt, std::nullopt, kMidnight + 5);
  registry.RecordSpeed(alice, 20.0, std::nullopt, 50.0, kMidnight + 6);
  registry.RecordSpeed(alice, std::nullopt, 9.0, std::nullopt, kMidnight + 7);
  const auto deltas = registry.Checkpoint(kMidnight + 10);
  ASSERT_EQ(deltas.size(), 2u) << Describe(deltas);
  EXPECT_EQ(deltas[0].day, "2024-03-09");
  EXPECT_EQ(deltas[0].speed_sum, 40.0);
  EXPECT_EQ(deltas[0].speed_count, 1u);
  EXPECT_EQ(deltas[0].ping_sum, 30.0);
  EXPECT_EQ(deltas[0].ping_count, 1u);
  EXPECT_EQ(deltas[1].day, "2024-03-10");
  // The new day has samples of its own: nothing is carried into it.
  EXPECT_EQ(deltas[1].speed_sum, 80.0);
  EXPECT_EQ(deltas[1].speed_count, 2u);
  EXPECT_EQ(deltas[1].ping_sum, 50.0);
  EXPECT_EQ(deltas[1].ping_count, 1u);
  // Upload has no day figure, and a later checkpoint repeats nothing.
  EXPECT_DELTAS(registry.Checkpoint(kMidnight + 20), Online(kAlice, "2024-03-10", 10));
}

TEST(RegistryUptime, ALiveNodeCarriesItsLatestSampleIntoANewDayWithoutOne) {
  NodeRegistry registry;
  const NodeIndex alice = registry.Connect(kAlice, 1, kMidnight - 30 * kMinuteMs);
  registry.RecordSpeed(alice, 10.0, std::nullopt, 120.0, kMidnight - 20 * kMinuteMs);
  const auto first = registry.Checkpoint(kMidnight + 45 * kMinuteMs);
  ASSERT_EQ(first.size(), 2u) << Describe(first);
  EXPECT_EQ(first[0].day, "2024-03-09");
  EXPECT_EQ(first[0].online_ms, 30 * kMinuteMs);
  EXPECT_EQ(first[1].day, "2024-03-10");
  EXPECT_EQ(first[1].online_ms, 45 * kMinuteMs);
  EXPECT_EQ(first[1].speed_sum, 10.0);
  EXPECT_EQ(first[1].speed_count, 1u);
  EXPECT_EQ(first[1].ping_sum, 120.0);
  EXPECT_EQ(first[1].ping_count, 1u);
  // Carried once: the next checkpoint of the same day adds time only.
  EXPECT_DELTAS(registry.Checkpoint(kMidnight + 46 * kMinuteMs), Online(kAlice, "2024-03-10", kMinuteMs));
  // Crossing the next midnight by a disconnect carries it too.
  registry.Disconnect(alice, kMidnight + kDayMs + 1);
  const auto last = registry.Checkpoint(kMidnight + kDayMs + 2);
  ASSERT_EQ(last.size(), 2u) << Describe(last);
  EXPECT_EQ(last[1].day, "2024-03-11");
  EXPECT_EQ(last[1].speed_count, 1u);
  EXPECT_EQ(last[1].online_ms, 1);
}

TEST(RegistryUptime, AConnectionThatNeverAnswersAPingEarnsNoUptime) {
  NodeRegistry registry({.uptime_needs_pong = true});
  const NodeIndex alice = registry.Connect(kAlice, 1, kMidnight);
  const NodeIndex bob = registry.Connect(kBob, 1, kMidnight);
  EXPECT_FALSE(registry.View(alice)->uptime_verified);
  registry.Verify(bob, kMidnight + 200);
  EXPECT_TRUE(registry.View(bob)->uptime_verified);
  EXPECT_EQ(registry.View(bob)->online_since_ms, kMidnight + 200);
  registry.Touch(alice, kMidnight + 5000);  // A data message is not a pong.
  // Registrations count as sessions; online time only from the pong.
  EXPECT_DELTAS(registry.Checkpoint(kMidnight + 10'000), Online(kBob, "2024-03-10", 9'800, 1),
                Online(kAlice, "2024-03-10", 0, 1));
  registry.Verify(bob, kMidnight + 11'000);  // Later pongs change nothing.
  EXPECT_EQ(registry.View(bob)->online_since_ms, kMidnight + 200);
  registry.Disconnect(alice, kMidnight + 20'000);
  EXPECT_DELTAS(registry.Checkpoint(kMidnight + 20'000), Online(kBob, "2024-03-10", 10'000));
}

TEST(RegistryUptime, SamplesOfANodeThatWentOfflineAreStillReported) {
  NodeRegistry registry;
  const NodeIndex alice = registry.Connect(kAlice, 1, kMidnight);
  registry.RecordSpeed(alice, 25.0, std::nullopt, 12.0, kMidnight + 1);
  registry.Disconnect(alice, kMidnight + 2);
  const auto deltas = registry.Checkpoint(kMidnight + 3);
  ASSERT_EQ(deltas.size(), 1u);
  EXPECT_EQ(deltas[0].online_ms, 2);
  EXPECT_EQ(deltas[0].speed_sum, 25.0);
  EXPECT_EQ(deltas[0].ping_count, 1u);
}

TEST(RegistryUptime, ConnectionThatClosesAtOnceCountsAsASessionWithoutTime) {
  NodeRegistry registry;
  const NodeIndex alice = registry.Connect(kAlice, 1, kMidnight);
  registry.Disconnect(alice, kMidnight);
  EXPECT_DELTAS(registry.Checkpoint(kMidnight + kMinuteMs), Online(kAlice, "2024-03-10", 0, 1));
}

TEST(RegistryUptime, DeltasAreOrderedByPrincipalThenDay) {
  NodeRegistry registry;
  registry.Connect("c", 1, kMidnight - 1);
  registry.Connect("a", 1, kMidnight - 1);
  registry.Connect("b", 1, kMidnight - 1);
  const auto deltas = registry.Checkpoint(kMidnight + 1);
  std::vector<std::string> keys;
  for (const auto& d : deltas) keys.push_back(d.principal + " " + d.day);
  EXPECT_EQ(keys, (std::vector<std::string>{"a 2024-03-09", "a 2024-03-10", "b 2024-03-09",
                                            "b 2024-03-10", "c 2024-03-09", "c 2024-03-10"}));
}

TEST(RegistryUptime, CheckpointBeforeThePreviousOneReportsNoTimeAndNeverNegative) {
  NodeRegistry registry;
  registry.Connect(kAlice, 1, kMidnight);
  registry.Checkpoint(kMidnight + 10 * kMinuteMs);
  // The wall clock steps back five minutes.
  EXPECT_TRUE(registry.Checkpoint(kMidnight + 5 * kMinuteMs).empty());
  EXPECT_TRUE(registry.Checkpoint(kMidnight + 10 * kMinuteMs).empty());
  // Time accrues again once the clock passes the latest time seen.
  EXPECT_DELTAS(registry.Checkpoint(kMidnight + 11 * kMinuteMs),
                Online(kAlice, "2024-03-10", kMinuteMs));
}

TEST(RegistryUptime, DisconnectWithAnEarlierTimeThanTheRegistrationCountsNoTime) {
  NodeRegistry registry;
  const NodeIndex alice = registry.Connect(kAlice, 1, kMidnight + kHourMs);
  EXPECT_TRUE(registry.Disconnect(alice, kMidnight));
  EXPECT_DELTAS(registry.Checkpoint(kMidnight), Online(kAlice, "2024-03-10", 0, 1));
}

TEST(RegistryUptime, ReconnectWhileTheClockIsBehindDoesNotCountTimeTwice) {
  NodeRegistry registry;
  NodeIndex alice = registry.Connect(kAlice, 1, kMidnight);
  registry.Checkpoint(kMidnight + 2 * kMinuteMs);
  registry.Disconnect(alice, kMidnight + 3 * kMinuteMs);
  // The clock steps back to 0:01; minutes 0:01 to 0:03 were already counted.
  alice = registry.Connect(kAlice, 2, kMidnight + kMinuteMs);
  EXPECT_EQ(registry.View(alice)->online_since_ms, kMidnight + 3 * kMinuteMs);
  registry.Disconnect(alice, kMidnight + 4 * kMinuteMs);
  EXPECT_DELTAS(registry.Checkpoint(kMidnight + 4 * kMinuteMs),
                Online(kAlice, "2024-03-10", 2 * kMinuteMs, 1));
}

TEST(RegistryUptime, SamplesWhileTheClockIsBehindGoToTheLatestDaySeen) {
  NodeRegistry registry;
  const NodeIndex alice = registry.Connect(kAlice, 1, kMidnight + 1000);
  registry.RecordSpeed(alice, 30.0, std::nullopt, std::nullopt, kMidnight - 1000);
  const auto deltas = registry.Checkpoint(kMidnight + 1000);
  ASSERT_EQ(deltas.size(), 1u) << Describe(deltas);
  EXPECT_EQ(deltas[0].day, "2024-03-10");
  EXPECT_EQ(deltas[0].speed_count, 1u);
}

TEST(RegistryUptime, TimesBefore1970AreAccountedOnTheirDays) {
  NodeRegistry registry;
  registry.Connect(kAlice, 1, -1500);
  EXPECT_DELTAS(registry.Checkpoint(500), Online(kAlice, "1969-12-31", 1500, 1),
                Online(kAlice, "1970-01-01", 500));
}

TEST(RegistryUptime, ExtremeTimesAreClampedWithoutOverflow) {
  NodeRegistry registry;
  const NodeIndex alice = registry.Connect(kAlice, 1, INT64_MAX);
  EXPECT_EQ(registry.View(alice)->online_since_ms, 253'402'300'799'999);
  EXPECT_DELTAS(registry.Checkpoint(INT64_MIN), Online(kAlice, "9999-12-31", 0, 1));
  EXPECT_TRUE(registry.Disconnect(alice, INT64_MAX));
  EXPECT_TRUE(registry.Checkpoint(INT64_MAX).empty());
}

}  // namespace
}  // namespace sela::nodes
