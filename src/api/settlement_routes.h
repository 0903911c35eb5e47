// /api/admin/settlements: the settlement journal for operators
// (docs/CHAIN.md "Operations"): list settlements with the journal's
// summary, retry failed ones, start a run now. /api/admin/canister-sync:
// the file-canister sync journal's failed rows, and their retry. Behind
// ADMIN_TOKEN. The controller key is never part of any answer (the Settler
// never sees it).
//
// Threading: the event loop's thread.
#pragma once

#include <span>
#include <string>

#include "api/rest_table.h"
#include "core/clock.h"
#include "core/config.h"
#include "net/router.h"
#include "settle/settler.h"
#include "store/store.h"

namespace sela::api {

struct SettlementRoutesDeps {
  store::Store& store;
  settle::Settler& settler;
  const Clock& clock;  // A retried sync row is due now.
};

struct SettlementRoutesContext {
  SettlementRoutesDeps deps;
  RestOptions rest;
  uint32_t list_limit_default = 100;
  uint32_t list_limit_max = 1000;
};

std::span<const RestRoute<SettlementRoutesContext>> SettlementRouteTable();

// guard: the REST guard main gives every table (rest_guard.h); null in tests.
void AddSettlementRoutes(net::Router& router, SettlementRoutesDeps deps, const Config& config,
                         RestGuard* guard = nullptr);

// A settlement as the admin routes show it (JSON text; amounts in units and SP).
std::string SettlementJson(const store::SettlementRecord& s);
// A file-canister sync row as the admin routes show it (JSON text).
std::string SyncRowJson(const store::SyncRecord& r);
// The journal's summary (JSON text), with whether settlement is enabled.
std::string SettlementSummaryJson(const store::SettlementSummary& s, bool enabled);

}  // namespace sela::api
