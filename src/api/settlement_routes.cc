#include "api/settlement_routes.h"

#include <charconv>
#include <memory>

#include "codec/js_json.h"
#include "codec/json.h"
#include "core/points.h"

namespace sela::api {
namespace {

using Ctx = SettlementRoutesContext;
using store::SettlementState;

std::optional<SettlementState> StateNamed(std::string_view name) {
  for (size_t i = 0; i < store::kSettlementStates; ++i) {
    const auto state = static_cast<SettlementState>(i);
    if (name == store::SettlementStateName(state)) return state;
  }
  return std::nullopt;
}

// ?limit=: 1..list_limit_max, else list_limit_default; false after answering 400.
bool ParseLimit(const Ctx& ctx, RestCall& call, uint32_t* out) {
  *out = ctx.list_limit_default;
  const std::string limit = call.request.QueryParam("limit");
  if (limit.empty()) return true;
  uint32_t n = 0;
  const auto [end, ec] = std::from_chars(limit.data(), limit.data() + limit.size(), n);
  if (ec != std::errc() || end != limit.data() + limit.size() || n < 1 || n > ctx.list_limit_max) {
    call.respond(ErrorResponse(400, "limit must be 1.." + std::to_string(ctx.list_limit_max)));
    return false;
  }
  *out = n;
  return true;
}

// GET ?state=&principal=&run=&after=&limit=
void List(Ctx& ctx, RestCall& call) {
  store::SettlementQuery q;
  q.limit = ctx.list_limit_default;
  if (const std::string state = call.request.QueryParam("state"); !state.empty()) {
    const auto named = StateNamed(state);
    if (!named) return call.respond(ErrorResponse(400, "state must be pending, sent, confirmed or failed"));
    q.has_state = true;
    q.state = *named;
  }
  q.principal = call.request.QueryParam("principal");
  q.run_id = call.request.QueryParam("run");
  q.after_id = call.request.QueryParam("after");
  if (!ParseLimit(ctx, call, &q.limit)) return;
  ctx.deps.store.ListSettlements(q, [&ctx, respond = call.respond, limit = q.limit](
                                        Result<std::vector<store::SettlementRecord>> rows) {
    if (!rows) return respond(ErrorFromStatus(rows.error(), "Failed to list settlements"));
    std::vector<std::string> items;
    for (const auto& s : *rows) items.push_back(SettlementJson(s));
    const std::string next = rows->size() == limit ? codec::JsonQuote(rows->back().id) : "null";
    ctx.deps.store.GetSettlementSummary([&ctx, respond, items = std::move(items), next](
                                            Result<store::SettlementSummary> summary) {
      if (!summary) return respond(StoreFailure(summary.error(), "Failed to list settlements"));
      respond(SuccessResponse("Settlements", codec::JsonObjectWriter()
                                                 .Raw("summary", SettlementSummaryJson(*summary, ctx.deps.settler.enabled()))
                                                 .Raw("settlements", codec::JsonArray(items))
                                                 .Raw("next", next)
                                                 .Finish()));
    });
  });
}

// POST {"id": "<settlement id>"}
void Retry(Ctx& ctx, RestCall& call) {
  auto id = codec::GetString(call.body, "id", 512);
  if (!id) return call.respond(ErrorResponse(400, "id: the settlement to retry is required"));
  ctx.deps.settler.Retry(std::string(*id), [respond = call.respond](Result<store::SettlementRecord> r) {
    if (!r) return respond(ErrorFromStatus(r.error(), "Failed to retry the settlement"));
    respond(SuccessResponse("Settlement queued again", SettlementJson(*r)));
  });
}

// POST {"id": "<settlement id>"}: past the ledger's window, search its log.
void Reconcile(Ctx& ctx, RestCall& call) {
  auto id = codec::GetString(call.body, "id", 512);
  if (!id) return call.respond(ErrorResponse(400, "id: the settlement to reconcile is required"));
  ctx.deps.settler.Reconcile(std::string(*id), [respond = call.respond](Result<store::SettlementRecord> r) {
    if (!r) return respond(ErrorFromStatus(r.error(), "Failed to reconcile the settlement"));
    respond(SuccessResponse(r->state == SettlementState::kConfirmed ? "Settlement found on the ledger: confirmed"
                                                                    : "Settlement absent from the ledger: sent again",
                            SettlementJson(*r)));
  });
}

// POST: a run now (it also runs on SETTLEMENT_INTERVAL).
void RunNow(Ctx& ctx, RestCall& call) {
  ctx.deps.settler.StartRun("manual", [respond = call.respond](Result<settle::RunSummary> r) {
    if (!r) return respond(ErrorFromStatus(r.error(), "Failed to start a settlement run"));
    respond(SuccessResponse("Settlement run created", codec::JsonObjectWriter()
                                                          .String("runId", r->run_id)
                                                          .Integer("settlements", r->settlements)
                                                          .Integer("units", r->units)
                                                          .Finish()));
  });
}

// GET ?state=failed|pending&after=<sha256>&limit=: the file-canister sync
// journal's rows in one state (failed by default), with the summary.
void ListSyncRows(Ctx& ctx, RestCall& call) {
  store::SyncQuery q;
  const std::string state = call.request.QueryParam("state");
  if (state == "pending") {
    q.state = store::SyncState::kPending;
  } else if (!state.empty() && state != "failed") {
    return call.respond(ErrorResponse(400, "state must be failed or pending"));
  }
  q.after_sha256 = call.request.QueryParam("after");
  if (q.after_sha256.size() > 64) return call.respond(ErrorResponse(400, "after must be a SHA-256 (64 hex digits)"));
  if (!ParseLimit(ctx, call, &q.limit)) return;
  ctx.deps.store.ListSyncs(q, [&ctx, respond = call.respond, limit = q.limit](
                                  Result<std::vector<store::SyncRecord>> rows) {
    if (!rows) return respond(StoreFailure(rows.error(), "Failed to list canister sync rows"));
    std::vector<std::string> items;
    for (const auto& r : *rows) items.push_back(SyncRowJson(r));
    const std::string next = rows->size() == limit ? codec::JsonQuote(rows->back().sha256) : "null";
    ctx.deps.store.GetSyncSummary([respond, items = std::move(items), next](Result<store::SyncSummary> summary) {
      if (!summary) return respond(StoreFailure(summary.error(), "Failed to list canister sync rows"));
      codec::JsonObjectWriter counts;
      for (size_t i = 0; i < store::kSyncStates; ++i) {
        counts.Integer(store::SyncStateName(static_cast<store::SyncState>(i)), summary->count_by_state[i]);
      }
      respond(SuccessResponse("Canister sync rows", codec::JsonObjectWriter()
                                                        .Raw("count", counts.Finish())
                                                        .Integer("oldestPendingMs", summary->oldest_pending_ms)
                                                        .Raw("rows", codec::JsonArray(items))
                                                        .Raw("next", next)
                                                        .Finish()));
    });
  });
}

// POST {"sha256": "<64 hex>"}: a failed row is pending again, due now; its
// attempts and last error stay for the record.
void RetrySyncRow(Ctx& ctx, RestCall& call) {
  auto sha = codec::GetString(call.body, "sha256", 64);
  if (!sha || sha->size() != 64) return call.respond(ErrorResponse(400, "sha256: the failed row to retry is required"));
  store::SyncQuery q;
  q.sha256 = std::string(*sha);
  q.limit = 1;
  ctx.deps.store.ListSyncs(q, [&ctx, respond = call.respond, sha = q.sha256](
                                  Result<std::vector<store::SyncRecord>> rows) {
    if (!rows) return respond(StoreFailure(rows.error(), "Failed to retry the canister sync row"));
    if (rows->empty()) return respond(ErrorResponse(404, "No failed canister sync row " + sha));
    store::SyncRecord row = rows->front();
    row.state = store::SyncState::kPending;
    row.next_attempt_ms = ctx.deps.clock.WallMs();
    row.updated_ms = row.next_attempt_ms;
    ctx.deps.store.UpdateSync(row, [respond, row](Status st) {
      if (!st.ok()) return respond(ErrorFromStatus(st, "Failed to retry the canister sync row"));
      respond(SuccessResponse("Canister sync row queued again", SyncRowJson(row)));
    });
  });
}

constexpr RestRoute<Ctx> kSettlementRoutes[] = {
    {{"S1", "GET", "/api/admin/settlements", RestAuth::kAdmin,
      "Ours: the settlement journal (query `state`, `principal`, `run`, `after`, `limit`) with its summary."},
     &List},
    {{"S2", "POST", "/api/admin/settlements/retry", RestAuth::kAdmin,
      "Ours: retry a failed settlement (`id`): the same transfer inside the ledger's window, else a new one."},
     &Retry},
    {{"S3", "POST", "/api/admin/settlements/run", RestAuth::kAdmin,
      "Ours: start a settlement run now (400 while BLOCKCHAIN_ENABLED is false)."},
     &RunNow},
    {{"S4", "POST", "/api/admin/settlements/reconcile", RestAuth::kAdmin,
      "Ours: reconcile a failed settlement past the ledger's window (`id`): found on the ledger is confirmed, "
      "absent is sent again as a new transfer."},
     &Reconcile},
    {{"S5", "GET", "/api/admin/canister-sync", RestAuth::kAdmin,
      "Ours: the file-canister sync journal's failed rows (query `state` failed (default) or pending, `after` "
      "a SHA-256, `limit`) with reason (`lastError`), attempts and next try, and the counts by state."},
     &ListSyncRows},
    {{"S6", "POST", "/api/admin/canister-sync/retry", RestAuth::kAdmin,
      "Ours: retry a failed file-canister sync row (`sha256`): pending again, due now; 404 when no failed row "
      "has that hash."},
     &RetrySyncRow},
};

}  // namespace

std::span<const RestRoute<Ctx>> SettlementRouteTable() { return kSettlementRoutes; }

void AddSettlementRoutes(net::Router& router, SettlementRoutesDeps deps, const Config& config, RestGuard* guard) {
  auto ctx = std::make_shared<Ctx>(Ctx{deps, RestOptions{.admin_token = config.admin_token, .guard = guard}});
  auto rest = std::make_shared<const RestOptions>(ctx->rest);
  RegisterRestRoutes<Ctx>(router, SettlementRouteTable(), ctx, rest);
}

std::string SettlementJson(const store::SettlementRecord& s) {
  codec::JsonObjectWriter w;
  w.String("id", s.id).String("runId", s.run_id).String("principal", s.principal);
  w.Integer("amountUnits", s.amount_units).Number("amountSp", Sp(s.amount_units));
  w.String("state", store::SettlementStateName(s.state)).Integer("generation", s.generation);
  w.Integer("createdAtTimeNs", s.created_at_ns).Integer("attempts", s.attempts);
  w.Integer("nextAttemptMs", s.next_attempt_ms);
  if (s.block_index >= 0) {
    w.Integer("blockIndex", s.block_index);
  } else {
    w.Raw("blockIndex", "null");
  }
  w.Bool("duplicate", s.duplicate).String("failure", s.failure).String("failureKind", s.failure_kind);
  w.Bool("needsReconciliation", s.needs_reconciliation).Integer("createdMs", s.created_ms);
  w.Integer("updatedMs", s.updated_ms).Integer("confirmedMs", s.confirmed_ms);
  return w.Finish();
}

std::string SyncRowJson(const store::SyncRecord& r) {
  codec::JsonObjectWriter w;
  w.String("sha256", r.sha256).String("source", r.source == store::SyncSource::kFile ? "file" : "result");
  w.String("ref", r.ref).String("owner", r.owner).String("contentType", r.content_type).Integer("size", r.size);
  w.String("state", store::SyncStateName(r.state)).Integer("attempts", r.attempts);
  w.Integer("nextAttemptMs", r.next_attempt_ms).String("lastError", r.last_error);
  w.Integer("createdMs", r.created_ms).Integer("updatedMs", r.updated_ms);
  return w.Finish();
}

std::string SettlementSummaryJson(const store::SettlementSummary& s, bool enabled) {
  codec::JsonObjectWriter counts;
  codec::JsonObjectWriter units;
  for (size_t i = 0; i < store::kSettlementStates; ++i) {
    const char* name = store::SettlementStateName(static_cast<SettlementState>(i));
    counts.Integer(name, s.count_by_state[i]);
    units.Integer(name, s.units_by_state[i]);
  }
  codec::JsonObjectWriter failed;
  for (const auto& [kind, n] : s.failed_by_kind) failed.Integer(kind, n);
  return codec::JsonObjectWriter()
      .Bool("enabled", enabled)
      .Raw("count", counts.Finish())
      .Raw("units", units.Finish())
      .Raw("failedByReason", failed.Finish())
      .Integer("oldestOpenCreatedMs", s.oldest_open_created_ms)
      .Integer("lastConfirmedMs", s.last_confirmed_ms)
      .Finish();
}

}  // namespace sela::api
