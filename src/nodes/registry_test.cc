// NodeRegistry: presence, lookups, limits and per-node state. Uptime
// accounting is in registry_uptime_test.cc.
#include "nodes/registry.h"

#include <gtest/gtest.h>

#include <algorithm>
#include <cmath>
#include <limits>
#include <random>
#include <set>
#include <string>
#include <unordered_map>
#include <vector>

namespace sela::nodes {
namespace {

constexpr int64_t kT0 = 1'710'028'800'000;  // 2024-03-10T00:00:00Z.
constexpr char kAlice[] = "aaaaa-aa";
constexpr char kBob[] = "2vxsx-fae";

std::vector<NodeIndex> LiveNodes(const NodeRegistry& registry) {
  std::vector<NodeIndex> nodes;
  registry.ForEach([&](NodeIndex i) { nodes.push_back(i); });
  return nodes;
}

TEST(NodeRegistry, ConnectCreatesALiveNodeWithDefaults) {
  NodeRegistry registry({.default_max_concurrent_jobs = 7});
  const NodeIndex alice = registry.Connect(kAlice, 111, kT0);
  ASSERT_NE(alice, kNoNode);
  EXPECT_EQ(registry.size(), 1u);
  EXPECT_EQ(registry.Find(kAlice), alice);

  const std::optional<NodeView> view = registry.View(alice);
  ASSERT_TRUE(view);
  EXPECT_EQ(view->principal, kAlice);
  EXPECT_EQ(view->client_id_ms, 111);
  EXPECT_EQ(view->connections, 1u);
  EXPECT_EQ(view->max_concurrent_jobs, 7u);
  EXPECT_EQ(view->active_jobs, 0u);
  EXPECT_EQ(view->download_speed, 0);
  EXPECT_EQ(view->upload_speed, 0);
  EXPECT_EQ(view->ping_ms, 0);
  EXPECT_EQ(view->online_since_ms, kT0);
  EXPECT_EQ(view->last_activity_ms, kT0);
}

TEST(NodeRegistry, SecondConnectionOfAPrincipalJoinsTheSameNode) {
  NodeRegistry registry;
  const NodeIndex first = registry.Connect(kAlice, 1, kT0);
  const NodeIndex second = registry.Connect(kAlice, 2, kT0 + 500);
  EXPECT_EQ(first, second);
  EXPECT_EQ(registry.size(), 1u);
  const NodeView view = *registry.View(first);
  EXPECT_EQ(view.connections, 2u);
  EXPECT_EQ(view.client_id_ms, 2);  // The newest registration's.
  EXPECT_EQ(view.online_since_ms, kT0);
  EXPECT_EQ(view.last_activity_ms, kT0 + 500);
}

TEST(NodeRegistry, DifferentPrincipalsGetDifferentNodes) {
  NodeRegistry registry;
  const NodeIndex alice = registry.Connect(kAlice, 1, kT0);
  const NodeIndex bob = registry.Connect(kBob, 1, kT0);
  EXPECT_NE(alice, bob);
  EXPECT_EQ(registry.View(bob)->principal, kBob);
  EXPECT_EQ(registry.size(), 2u);
}

TEST(NodeRegistry, FindOfAnUnknownPrincipalReturnsNoNode) {
  NodeRegistry registry;
  EXPECT_EQ(registry.Find(kAlice), kNoNode);
  registry.Connect(kAlice, 1, kT0);
  EXPECT_EQ(registry.Find(kBob), kNoNode);
  EXPECT_EQ(registry.Find(""), kNoNode);
  EXPECT_EQ(registry.Find("aaaaa-a"), kNoNode);  // A prefix is a different principal.
}

TEST(NodeRegistry, NodeStaysLiveUntilItsLastConnectionCloses) {
  NodeRegistry registry;
  const NodeIndex alice = registry.Connect(kAlice, 1, kT0);
  registry.Connect(kAlice, 2, kT0);
  EXPECT_FALSE(registry.Disconnect(alice, kT0 + 1));
  EXPECT_EQ(registry.View(alice)->connections, 1u);
  EXPECT_EQ(registry.Find(kAlice), alice);

  EXPECT_TRUE(registry.Disconnect(alice, kT0 + 2));
  EXPECT_EQ(registry.size(), 0u);
  EXPECT_EQ(registry.Find(kAlice), kNoNode);
  EXPECT_FALSE(registry.View(alice));
  EXPECT_TRUE(LiveNodes(registry).empty());
}

TEST(NodeRegistry, IndexOfANodeThatWentOfflineIsReused) {
  NodeRegistry registry;
  const NodeIndex alice = registry.Connect(kAlice, 1, kT0);
  registry.Disconnect(alice, kT0);
  const NodeIndex bob = registry.Connect(kBob, 1, kT0);
  EXPECT_EQ(bob, alice);
  EXPECT_EQ(registry.View(bob)->principal, kBob);
  EXPECT_EQ(registry.View(bob)->connections, 1u);
  EXPECT_EQ(registry.Find(kAlice), kNoNode);
}

TEST(NodeRegistry, ReconnectedNodeStartsFresh) {
  NodeRegistry registry;
  NodeIndex alice = registry.Connect(kAlice, 1, kT0);
  registry.SetCapacity(alice, 3);
  registry.RecordSpeed(alice, 50.0, 10.0, 20.0, kT0);
  registry.Disconnect(alice, kT0 + 10);
  alice = registry.Connect(kAlice, 2, kT0 + 20);
  const NodeView view = *registry.View(alice);
  EXPECT_EQ(view.online_since_ms, kT0 + 20);
  EXPECT_EQ(view.max_concurrent_jobs, 10u);
  EXPECT_EQ(view.download_speed, 0);
}

TEST(NodeRegistry, ConnectRejectsAnEmptyPrincipal) {
  NodeRegistry registry;
  EXPECT_EQ(registry.Connect("", 1, kT0), kNoNode);
  EXPECT_EQ(registry.size(), 0u);
}

TEST(NodeRegistry, ConnectRejectsAPrincipalLongerThanTheLimitWithoutCrashing) {
  NodeRegistry registry({.principal_bytes_max = 63});
  EXPECT_NE(registry.Connect(std::string(63, 'a'), 1, kT0), kNoNode);
  EXPECT_EQ(registry.Connect(std::string(64, 'b'), 1, kT0), kNoNode);
  EXPECT_EQ(registry.Connect(std::string(1 << 20, 'c'), 1, kT0), kNoNode);
  EXPECT_EQ(registry.size(), 1u);
  EXPECT_EQ(registry.Find(std::string(64, 'b')), kNoNode);
  // A rejected registration is not a session either.
  const auto deltas = registry.Checkpoint(kT0);
  ASSERT_EQ(deltas.size(), 1u);
  EXPECT_EQ(deltas[0].principal, std::string(63, 'a'));
}

TEST(NodeRegistry, AcceptsPrincipalsUpToTheStructuralLimit) {
  NodeRegistry registry({.principal_bytes_max = kPrincipalBytesLimit});
  const std::string longest(kPrincipalBytesLimit, 'z');
  const NodeIndex node = registry.Connect(longest, 1, kT0);
  ASSERT_NE(node, kNoNode);
  EXPECT_EQ(registry.View(node)->principal, longest);
}

TEST(NodeRegistry, ConnectRejectsANewNodeWhenFullButAcceptsMoreConnectionsOfALiveOne) {
  NodeRegistry registry({.nodes_max = 2});
  const NodeIndex alice = registry.Connect(kAlice, 1, kT0);
  ASSERT_NE(registry.Connect(kBob, 1, kT0), kNoNode);
  EXPECT_EQ(registry.Connect("third", 1, kT0), kNoNode);
  EXPECT_EQ(registry.Connect(kAlice, 2, kT0), alice);
  EXPECT_EQ(registry.size(), 2u);

  registry.Disconnect(alice, kT0);
  registry.Disconnect(alice, kT0);
  EXPECT_NE(registry.Connect("third", 1, kT0), kNoNode);
}

TEST(NodeRegistry, ConnectRejectsAConnectionBeyondThePerNodeLimit) {
  NodeRegistry registry({.connections_per_node_max = 2});
  const NodeIndex alice = registry.Connect(kAlice, 1, kT0);
  EXPECT_EQ(registry.Connect(kAlice, 2, kT0), alice);
  EXPECT_EQ(registry.Connect(kAlice, 3, kT0 + 5), kNoNode);
  const NodeView view = *registry.View(alice);
  EXPECT_EQ(view.connections, 2u);
  EXPECT_EQ(view.client_id_ms, 2);  // The rejected registration changed nothing.
  EXPECT_EQ(view.last_activity_ms, kT0);
}

TEST(NodeRegistry, CountsConnectionsUpToTheStructuralLimit) {
  NodeRegistry registry;
  NodeIndex alice = kNoNode;
  for (uint32_t i = 0; i < kConnectionsPerNodeLimit; ++i) alice = registry.Connect(kAlice, i, kT0);
  EXPECT_EQ(registry.View(alice)->connections, kConnectionsPerNodeLimit);
  EXPECT_EQ(registry.Connect(kAlice, 0, kT0), kNoNode);
  for (uint32_t i = 1; i < kConnectionsPerNodeLimit; ++i) {
    ASSERT_FALSE(registry.Disconnect(alice, kT0));
  }
  EXPECT_TRUE(registry.Disconnect(alice, kT0));
}

TEST(NodeRegistry, CallsWithAnIndexThatIsNotLiveAreIgnored) {
  NodeRegistry registry;
  const NodeIndex alice = registry.Connect(kAlice, 1, kT0);
  const NodeIndex gone = registry.Connect(kBob, 1, kT0);
  registry.Disconnect(gone, kT0);
  for (const NodeIndex bad : {kNoNode, gone, alice + 1000}) {
    EXPECT_FALSE(registry.Disconnect(bad, kT0 + 1));
    EXPECT_FALSE(registry.View(bad));
    registry.Touch(bad, kT0 + 1);
    registry.RecordSpeed(bad, 1.0, 1.0, 1.0, kT0 + 1);
    registry.SetCapacity(bad, 1);
    registry.SetActiveJobs(bad, 1);
  }
  EXPECT_EQ(registry.size(), 1u);
  EXPECT_EQ(registry.View(alice)->connections, 1u);
  EXPECT_EQ(registry.View(alice)->last_activity_ms, kT0);
}

TEST(NodeRegistry, TouchRecordsActivity) {
  NodeRegistry registry;
  const NodeIndex alice = registry.Connect(kAlice, 1, kT0);
  registry.Touch(alice, kT0 + 25'000);
  EXPECT_EQ(registry.View(alice)->last_activity_ms, kT0 + 25'000);
  EXPECT_EQ(registry.View(alice)->online_since_ms, kT0);
}

TEST(NodeRegistry, RecordSpeedUpdatesThePresentValuesAndCountsAsActivity) {
  NodeRegistry registry;
  const NodeIndex alice = registry.Connect(kAlice, 1, kT0);
  registry.RecordSpeed(alice, 55.5, 12.25, 30.0, kT0 + 100);
  registry.RecordSpeed(alice, std::nullopt, std::nullopt, 0.0, kT0 + 200);
  const NodeView view = *registry.View(alice);
  EXPECT_FLOAT_EQ(view.download_speed, 55.5f);
  EXPECT_FLOAT_EQ(view.upload_speed, 12.25f);
  EXPECT_FLOAT_EQ(view.ping_ms, 0.0f);  // Zero is a real ping.
  EXPECT_EQ(view.last_activity_ms, kT0 + 200);
}

TEST(NodeRegistry, RecordSpeedIgnoresValuesThatAreNotMeasurements) {
  NodeRegistry registry;
  const NodeIndex alice = registry.Connect(kAlice, 1, kT0);
  registry.RecordSpeed(alice, 10.0, 5.0, 40.0, kT0);
  const double nan = std::numeric_limits<double>::quiet_NaN();
  const double inf = std::numeric_limits<double>::infinity();
  for (const double bad : {nan, inf, -inf, -1.0, 1e300}) {
    registry.RecordSpeed(alice, bad, bad, bad, kT0 + 1);
  }
  const NodeView view = *registry.View(alice);
  EXPECT_FLOAT_EQ(view.download_speed, 10.0f);
  EXPECT_FLOAT_EQ(view.upload_speed, 5.0f);
  EXPECT_FLOAT_EQ(view.ping_ms, 40.0f);
  const auto deltas = registry.Checkpoint(kT0 + 1);
  ASSERT_EQ(deltas.size(), 1u);
  EXPECT_EQ(deltas[0].speed_count, 1u);
  EXPECT_EQ(deltas[0].ping_count, 1u);
}

TEST(NodeRegistry, CapacityAndActiveJobsAreStoredAndClamped) {
  NodeRegistry registry;
  const NodeIndex alice = registry.Connect(kAlice, 1, kT0);
  registry.SetCapacity(alice, 25);
  registry.SetActiveJobs(alice, 4);
  EXPECT_EQ(registry.View(alice)->max_concurrent_jobs, 25u);
  EXPECT_EQ(registry.View(alice)->active_jobs, 4u);
  registry.SetCapacity(alice, 1'000'000);
  registry.SetActiveJobs(alice, UINT32_MAX);
  EXPECT_EQ(registry.View(alice)->max_concurrent_jobs, kJobsPerNodeMax);
  EXPECT_EQ(registry.View(alice)->active_jobs, kJobsPerNodeMax);
}

TEST(NodeRegistry, ForEachVisitsEachLiveNodeOnce) {
  NodeRegistry registry;
  const NodeIndex a = registry.Connect("a", 1, kT0);
  const NodeIndex b = registry.Connect("b", 1, kT0);
  const NodeIndex c = registry.Connect("c", 1, kT0);
  registry.Connect("b", 2, kT0);
  registry.Disconnect(a, kT0);
  EXPECT_EQ(LiveNodes(registry), (std::vector<NodeIndex>{b, c}));
}

TEST(NodeRegistryDeathTest, RejectsOptionsOutsideTheirRange) {
  EXPECT_DEATH(NodeRegistry({.principal_bytes_max = 0}), "principal_bytes_max");
  EXPECT_DEATH(NodeRegistry({.principal_bytes_max = kPrincipalBytesLimit + 1}),
               "principal_bytes_max");
  EXPECT_DEATH(NodeRegistry({.default_max_concurrent_jobs = kJobsPerNodeMax + 1}),
               "default_max_concurrent_jobs");
  EXPECT_DEATH(NodeRegistry({.nodes_max = 0}), "nodes_max");
  EXPECT_DEATH(NodeRegistry({.nodes_max = kNodesLimit + 1}), "nodes_max");
  EXPECT_DEATH(NodeRegistry({.connections_per_node_max = 0}), "connections_per_node_max");
  EXPECT_DEATH(NodeRegistry({.connections_per_node_max = kConnectionsPerNodeLimit + 1}),
               "connections_per_node_max");
}

// Many nodes coming and going, checked against a std::unordered_map: covers
// hash-index growth, removal from probe runs, slot reuse and the arena
// compaction that a checkpoint does after many removals.
TEST(NodeRegistry, LookupsStayRightThroughHeavyChurnAndCheckpoints) {
  NodeRegistry registry({.principal_hash_key = {5, 6}});
  std::unordered_map<std::string, NodeIndex> live;
  std::mt19937 rng(99);
  int64_t now = kT0;
  for (int round = 0; round < 20; ++round) {
    for (int step = 0; step < 2000; ++step) {
      // 63 characters, like a self-authenticating principal.
      std::string principal = "node-" + std::to_string(rng() % 5000);
      principal.resize(63, 'x');
      const auto it = live.find(principal);
      if (it == live.end()) {
        const NodeIndex i = registry.Connect(principal, now, now);
        ASSERT_NE(i, kNoNode);
        live.emplace(principal, i);
      } else if (rng() % 3 != 0) {
        ASSERT_TRUE(registry.Disconnect(it->second, now));
        live.erase(it);
      }
      now += 7;
    }
    registry.Checkpoint(now);
    ASSERT_EQ(registry.size(), live.size());
    for (const auto& [principal, i] : live) {
      ASSERT_EQ(registry.Find(principal), i);
      ASSERT_EQ(registry.View(i)->principal, principal);
    }
  }
  std::set<NodeIndex> visited;
  registry.ForEach([&](NodeIndex i) { visited.insert(i); });
  EXPECT_EQ(visited.size(), live.size());
}

}  // namespace
}  // namespace sela::nodes
