// The handlers of the node routes that show or move Sela Points (N5, N8,
// N9, N11 of NodeRouteTable(); rest-api.md §2.4, §5.1), over the rewards
// ledger. Internal to node_routes.cc; docs/REST-REWARDS.md describes them.
//
// Threading: the event loop's, as every handler of the table.
#pragma once

#include "api/node_routes.h"

namespace sela::api {

void UserData(NodeRoutesContext& ctx, RestCall& call);
void RewardHistory(NodeRoutesContext& ctx, RestCall& call);
void RewardChart(NodeRoutesContext& ctx, RestCall& call);
void AddRewards(NodeRoutesContext& ctx, RestCall& call);

// N11 `rewards` (SP, a JSON number) as units: finite, positive, at most
// units_max and a whole number of units (8 decimals); nullopt otherwise.
std::optional<int64_t> GrantUnits(const boost::json::value& rewards, int64_t units_max);

}  // namespace sela::api
