// /api/node/*: the REST routes that read or change node state, compatible
// with the original server (reference/original/rest-api.md §2.4) minus its
// defects; docs/REST-NODE.md describes each route and every difference.
//
// The routes are one table (NodeRouteTable()): registration, the route
// table in docs/REST-NODE.md and the tests all read it. The routes that show
// or move Sela Points (N5 user/data, N8/N9 reward history, N11 rewards/add)
// read the rewards ledger (node_reward_routes.cc; docs/REST-REWARDS.md).
//
// Reads come from the store (node records, uptime per UTC day, the ledger)
// and the live registry (who is connected now); admin messages go to live,
// registered connections only.
//
// Threading: handlers run on the event loop's thread, as do the store
// callbacks they wait for. Every path answers its request exactly once.
#pragma once

#include <cstdint>
#include <functional>
#include <span>
#include <string_view>

#include "api/node_sessions.h"
#include "store/cluster.h"
#include "api/rest_table.h"
#include "core/clock.h"
#include "core/config.h"
#include "net/router.h"
#include "nodes/registry.h"
#include "rewards/rules.h"
#include "store/store.h"

namespace sela::api {

struct NodeRoutesOptions {
  RestOptions rest;
  // N7 `days`: 0 .. this.
  int64_t uptime_days_max = 366;
  // Capacity route: maxConcurrentJobs in 1 .. this (<= nodes::kJobsPerNodeMax).
  uint32_t capacity_max = 100;
  // N12/N13 `text`, in bytes. `data` is bounded by the body limit.
  std::size_t message_text_bytes_max = 1024;
  // N8 `limit`: 1 .. this.
  uint32_t history_limit_max = 100;
  // N11 `rewards`: at most this many SP in one grant.
  int64_t grant_units_max = 1'000'000 * kUnitsPerSp;
  // The reward rules (N5's estimate of today's unpaid uptime).
  rewards::RewardRules rules;
  // This process among others (N11 transfer ids without an Idempotency-Key
  // are "admin:<instance>:<ms>:<n>"); main passes its random run owner id.
  std::string instance = "local";
  // N3: node records per page at most (?limit=), and the default page.
  uint32_t nodes_page_max = 1000;

  // ADMIN_TOKEN and the reward rules from the configuration; the rest are
  // the defaults above.
  static NodeRoutesOptions FromConfig(const Config& config);
};

// What the routes use. Everything outlives the router.
struct NodeRoutesDeps {
  const Clock& clock;
  store::Store& store;
  nodes::NodeRegistry& registry;
  // Queues an operator's notice (text, data as JSON) on the registered
  // sessions of a live node, or of every live node; returns how many took it
  // (NodeSessions::SendToNode/All).
  std::function<size_t(nodes::NodeIndex, std::string_view, std::string_view)> send_to_node;
  std::function<size_t(std::string_view, std::string_view)> send_to_all;
  // NodeSessions::last_uptime_checkpoint_ms.
  std::function<int64_t()> last_checkpoint_ms;
  // A live node's capacity changed (NodeSessions::NodeChanged); may be empty.
  std::function<void(nodes::NodeIndex)> node_changed = {};
  // The processes sharing the store (Redis), or null: an admin message for
  // a node held by another process goes there, a broadcast to all of them.
  store::Cluster* cluster = nullptr;
};

// The deps of the server: the sessions send the frames.
NodeRoutesDeps NodeRoutesDepsFor(const Clock& clock, store::Store& store, nodes::NodeRegistry& registry,
                                 NodeSessions& sessions);

struct NodeRoutesContext {
  NodeRoutesDeps deps;
  NodeRoutesOptions options;
  uint64_t grants = 0;  // N11 grants made by this process (their ids).
};

std::span<const RestRoute<NodeRoutesContext>> NodeRouteTable();

void AddNodeRoutes(net::Router& router, NodeRoutesDeps deps, NodeRoutesOptions options);

// N7 `days`: a decimal integer in 0..days_max; nullopt otherwise.
std::optional<int64_t> ParseUptimeDays(std::string_view text, int64_t days_max);

}  // namespace sela::api
