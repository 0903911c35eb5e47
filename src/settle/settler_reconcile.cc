// Settler: reconciliation of settlements whose outcome stayed unknown past
// the ledger's deduplication window (docs/CHAIN.md "Reconciliation"), by an
// operator's route (Reconcile) or by the periodic pass (Tick).

// GCC 12 at -O3 warns that a std::expected in a std::function argument "may
// be used uninitialized" (a false positive of its inliner, like GCC bug
// 105562; as in api/rpc_routes.cc); clang and -O0 builds see nothing.
#if defined(__GNUC__) && !defined(__clang__)
#pragma GCC diagnostic ignored "-Wmaybe-uninitialized"
#endif

#include <spdlog/spdlog.h>

#include <algorithm>
#include <utility>

#include "settle/settler.h"

namespace sela::settle {

using store::SettlementRecord;
using store::SettlementState;

Status Settler::CheckReconcilable(const SettlementRecord& record, int64_t now_ms) const {
  std::optional<chain::Settlement> s = ToChain(record);
  if (!s) return FailedPrecondition("the principal is not a valid principal");
  if (s->state != chain::Settlement::State::kFailed || !s->needs_reconciliation) {
    return FailedPrecondition("only a failed settlement that needs reconciliation is reconciled");
  }
  const int64_t window_ms = static_cast<int64_t>(options_.policy.dedup_window_ns / 1'000'000);
  const int64_t from_ms =
      static_cast<int64_t>(s->created_at_time_ns / 1'000'000) + window_ms + options_.reconcile_margin_ms;
  if (now_ms < from_ms) {
    return FailedPrecondition("the ledger may still accept this transfer: reconcile after " + std::to_string(from_ms) +
                              " (ms since the epoch)");
  }
  return Status::Ok();
}

void Settler::Reconcile(const std::string& id, std::function<void(Result<SettlementRecord>)> done) {
  if (!find_mint_) return done(Err(FailedPrecondition("BLOCKCHAIN_ENABLED is false: nothing to reconcile against")));
  store_.GetSettlement(id, [this, id, done = std::move(done)](Result<std::optional<SettlementRecord>> r) mutable {
    if (!r.has_value()) return done(Err(Status(r.error())));
    if (!r->has_value()) return done(Err(NotFound("no settlement " + id)));
    SettlementRecord record = std::move(**r);
    if (Status st = CheckReconcilable(record, clock_.WallMs()); !st.ok()) return done(Err(st));
    ReconcileRecord(std::move(record), "an operator", std::move(done));
  });
}

void Settler::CountReconciled(const char* outcome) {
  registry_.GetCounter("sela_settlement_reconciled_total",
                       "Settlements reconciled against the ledger's log, by outcome (found, absent; error: the log "
                       "could not be searched; not_saved: changed meanwhile, e.g. by another process).",
                       std::string("outcome=\"") + outcome + "\"").Inc();
}

// Searches the ledger for `record`'s transfer and saves the answer. The
// save compares record.version: if anything changed the settlement since it
// was read (another process's reconciliation, a retry), nothing is written.
void Settler::ReconcileRecord(SettlementRecord record, const char* by,
                              std::function<void(Result<SettlementRecord>)> done) {
  if (reconciling_.contains(record.id)) {
    return done(Err(Unavailable("settlement " + record.id + " is being reconciled now; ask again later")));
  }
  std::optional<chain::Settlement> s = ToChain(record);
  if (!s) return done(Err(FailedPrecondition("the principal is not a valid principal")));
  reconciling_.insert(record.id);
  spdlog::info("settlement {}: searching the ledger's log (reconciliation by {})", record.id, by);
  const chain::icrc1::TransferArg arg = chain::TransferFor(*s);
  find_mint_(arg, [this, by, record = std::move(record), s = std::move(*s), done = std::move(done)](
                      Result<std::optional<chain::icrc1::Uint128>> found) mutable {
    if (!found) {
      reconciling_.erase(record.id);
      CountReconciled("error");
      spdlog::warn("settlement {} not reconciled (by {}), stays failed: {}", record.id, by, found.error().ToString());
      return done(Err(Unavailable("the ledger's log could not be searched: " + found.error().message())));
    }
    const int64_t now = clock_.WallMs();
    chain::Reconciled(s, *found, now);
    std::string id = record.id;
    store_.UpdateSettlement(FromChain(s, std::move(record), now),
                            [this, by, id = std::move(id), done = std::move(done)](Result<SettlementRecord> saved) {
                              reconciling_.erase(id);
                              if (!saved) {
                                CountReconciled("not_saved");
                                spdlog::warn("settlement {} reconciled by {} but not saved (changed meanwhile?): {}", id,
                                             by, saved.error().ToString());
                              } else {
                                ReconcileSaved(by, saved);
                              }
                              done(std::move(saved));
                            });
  });
}

void Settler::ReconcileSaved(const char* by, Result<SettlementRecord> saved) {
  if (saved->state == SettlementState::kConfirmed) {
    CountReconciled("found");
    spdlog::info("settlement {} reconciled by {}: found at block {}, {} units to {}", saved->id, by,
                 saved->block_index, saved->amount_units, saved->principal);
  } else {
    CountReconciled("absent");
    spdlog::info("settlement {} reconciled by {}: absent from the ledger, sent again as generation {}", saved->id, by,
                 saved->generation);
  }
}

// The pass: a page of failed settlements after the cursor; those eligible
// are reconciled one after the other; the next pass after the interval.
void Settler::MaybeReconcilePass() {
  if (!find_mint_ || options_.reconcile_interval_ms <= 0 || passing_) return;
  const int64_t now = clock_.WallMs();
  if (!next_pass_ms_) next_pass_ms_ = now;  // The first tick: settlements left by an earlier process.
  if (now < *next_pass_ms_) return;
  passing_ = true;
  store::SettlementQuery q;
  q.has_state = true;
  q.state = SettlementState::kFailed;
  q.after_id = pass_cursor_;
  q.limit = std::max<uint32_t>(options_.reconcile_page, 1);
  store_.ListSettlements(q, [this, limit = q.limit](Result<std::vector<SettlementRecord>> r) {
    if (!r) {
      spdlog::warn("reconciliation pass: cannot read failed settlements: {}", r.error().ToString());
      return EndPass();
    }
    pass_cursor_ = r->size() < limit ? std::string() : r->back().id;
    std::vector<SettlementRecord> todo;
    const int64_t now = clock_.WallMs();
    for (SettlementRecord& record : *r) {
      if (todo.size() >= options_.reconcile_per_pass) break;
      if (!record.needs_reconciliation || reconciling_.contains(record.id)) continue;
      if (CheckReconcilable(record, now).ok()) todo.push_back(std::move(record));
    }
    PassStep(std::move(todo), 0);
  });
}

void Settler::PassStep(std::vector<SettlementRecord> todo, size_t i) {
  if (i >= todo.size()) return EndPass();
  SettlementRecord record = todo[i];
  ReconcileRecord(std::move(record), "the periodic pass",
                  [this, todo = std::move(todo), i](Result<SettlementRecord>) mutable {
                    PassStep(std::move(todo), i + 1);  // Each outcome is logged and counted already.
                  });
}

void Settler::EndPass() {
  passing_ = false;
  next_pass_ms_ = clock_.WallMs() + options_.reconcile_interval_ms;
}

}  // namespace sela::settle
