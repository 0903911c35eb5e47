// /api/rewards/*, /api/referral/* and /api/referral-distribution/*: the
// reward routes, compatible with the original server (reference/original/
// rest-api.md §2.6-§2.8: paths, methods, envelopes, field names) minus its
// defects (docs/REST-REWARDS.md lists each route and every difference).
//
// Three tables, one context: RewardRouteTable() (E2 envelope, every route
// admin, the ledger audit included), ReferralRouteTable() (E1; a caller's
// own referral data through RestAuth::kPrincipalCompat, the same identity
// check as the node routes today's app calls) and ReferralDistributionRouteTable() (E1; triggers
// admin). The JSON is built by the pure views (reward_views.h,
// referral_views.h); the handlers validate, read the store and call the
// Distributor. Money moves only through the Distributor (single-flight: a
// trigger while a run is in progress answers 409 and starts nothing).
//
// Threading: handlers run on the event loop's thread, as do the store and
// Distributor callbacks they wait for. Every path answers exactly once.
#pragma once

#include <cstdint>
#include <optional>
#include <span>
#include <string>

#include "api/query_params.h"
#include "api/rest_table.h"
#include "core/clock.h"
#include "core/config.h"
#include "net/router.h"
#include "nodes/registry.h"
#include "rewards/distributor.h"
#include "store/store.h"

namespace sela::api {

struct RewardRoutesOptions {
  RestOptions rest;
  bool distribution_enabled = false;              // REWARD_DISTRIBUTION_ENABLED
  std::string distribution_interval = "*/5 * * * *";  // REWARD_DISTRIBUTION_INTERVAL
  // Paging bounds: W3 and W5 `limit`, Rf6 `limit` (1 .. this), W4's
  // transactions, W7/D5 runs read.
  uint32_t page_limit_max = 100;
  uint32_t run_transactions_max = 1'000;
  uint32_t log_runs_max = 1'000;
  uint64_t offset_max = 1'000'000'000;
  // Rf5: referees listed at most (the counts cover all).
  uint32_t tree_referees_max = 100;

  static RewardRoutesOptions FromConfig(const Config& config);
};

// What the routes use. Everything outlives the router.
struct RewardRoutesDeps {
  const Clock& clock;
  store::Store& store;
  const nodes::NodeRegistry& registry;
  rewards::Distributor& distributor;
  // When the scheduled uptime distribution runs next (W1 nextRunAt); may be
  // empty.
  std::function<std::optional<int64_t>()> next_run_ms = {};
};

struct RewardRoutesContext {
  RewardRoutesDeps deps;
  RewardRoutesOptions options;
};

std::span<const RestRoute<RewardRoutesContext>> RewardRouteTable();
std::span<const RestRoute<RewardRoutesContext>> ReferralRouteTable();
std::span<const RestRoute<RewardRoutesContext>> ReferralDistributionRouteTable();

// Registers the three tables. The /api/rewards routes refuse a caller
// without the admin token in their own E2 envelope
// ({"success":false,"error":{"type","message"}}), as the original did.
void AddRewardRoutes(net::Router& router, RewardRoutesDeps deps, RewardRoutesOptions options);

// E2 refusal for a refused admin check (never kAllowed): 403 Forbidden when
// no token is configured, else 401 Unauthorized with WWW-Authenticate.
net::HttpResponse E2AdminRefusal(AdminCheck check);

// A Status as an E2 error (the E2 twin of ErrorFromStatus, store failures
// as StoreFailure sees them): the detail of a 500 goes to the log only.
net::HttpResponse E2FromStatus(const Status& status, std::string_view route_message);

}  // namespace sela::api
