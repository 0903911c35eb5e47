// The settlement journal on Redis (store.h "Settlement on the chain";
// settlement_types.h): each write one script (scripts_settlement.cc), with
// the SQLite backend's checks in its order and its messages.
#include <utility>

#include "store/redis/redis_store.h"
#include "store/redis/redis_store_impl.h"
#include "store/validate.h"
#include "store/validate_ledger.h"

namespace sela::store {
namespace {

using redis::Command;
using redis::Script;

constexpr size_t kSettleFields = 18;
constexpr const char* kSettleFieldNames[kSettleFields] = {
    "id",          "run_id",       "principal",    "amount_units",         "created_ms", "state",
    "generation",  "created_at_ns", "attempts",    "next_attempt_ms",      "block_index", "duplicate",
    "failure",     "failure_kind", "needs_reconciliation", "updated_ms", "confirmed_ms", "version"};

Status Malformed(const char* what) { return Internal(std::string(what) + ": malformed Redis reply"); }

Result<int64_t> IntAt(const redisReply* r, size_t i, const char* what) {
  const auto v = redis::ToInt(redis::Element(r, i));
  if (!v) return Err(Malformed(what));
  return *v;
}

// A record from its SETTLE_FIELDS values; nullopt when the id is nil.
Result<std::optional<SettlementRecord>> DecodeSettlement(const redisReply* v, const char* what) {
  if (!redis::IsArray(v) || v->elements != kSettleFields) return Err(Malformed(what));
  if (redis::IsNil(v->element[0])) return std::optional<SettlementRecord>();
  SettlementRecord s;
  s.id = std::string(redis::Text(v->element[0]));
  s.run_id = std::string(redis::Text(v->element[1]));
  s.principal = std::string(redis::Text(v->element[2]));
  ASSIGN_OR_RETURN(s.amount_units, IntAt(v, 3, what));
  ASSIGN_OR_RETURN(s.created_ms, IntAt(v, 4, what));
  ASSIGN_OR_RETURN(const int64_t state, IntAt(v, 5, what));
  if (state < 0 || state >= static_cast<int64_t>(kSettlementStates)) return Err(Malformed(what));
  s.state = static_cast<SettlementState>(state);
  ASSIGN_OR_RETURN(const int64_t generation, IntAt(v, 6, what));
  s.generation = static_cast<uint32_t>(generation);
  ASSIGN_OR_RETURN(s.created_at_ns, IntAt(v, 7, what));
  ASSIGN_OR_RETURN(const int64_t attempts, IntAt(v, 8, what));
  s.attempts = static_cast<uint32_t>(attempts);
  ASSIGN_OR_RETURN(s.next_attempt_ms, IntAt(v, 9, what));
  ASSIGN_OR_RETURN(s.block_index, IntAt(v, 10, what));
  ASSIGN_OR_RETURN(const int64_t duplicate, IntAt(v, 11, what));
  s.duplicate = duplicate != 0;
  s.failure = std::string(redis::Text(v->element[12]));
  s.failure_kind = std::string(redis::Text(v->element[13]));
  ASSIGN_OR_RETURN(const int64_t reconcile, IntAt(v, 14, what));
  s.needs_reconciliation = reconcile != 0;
  ASSIGN_OR_RETURN(s.updated_ms, IntAt(v, 15, what));
  ASSIGN_OR_RETURN(s.confirmed_ms, IntAt(v, 16, what));
  ASSIGN_OR_RETURN(s.version, IntAt(v, 17, what));
  return std::optional<SettlementRecord>(std::move(s));
}

Result<std::vector<SettlementRecord>> DecodeSettlements(const redisReply* list, const char* what) {
  if (!redis::IsArray(list)) return Err(Malformed(what));
  std::vector<SettlementRecord> out;
  for (size_t i = 0; i < list->elements; ++i) {
    ASSIGN_OR_RETURN(std::optional<SettlementRecord> s, DecodeSettlement(list->element[i], what));
    if (!s) return Err(Internal(std::string(what) + ": an indexed settlement is missing"));
    out.push_back(std::move(*s));
  }
  return out;
}

}  // namespace

Command RedisStore::SettlementScript(Script script) const {
  Command c = ScriptCall(script, 0);
  c.Arg(keys_.settle()).Arg(keys_.ledger());
  return c;
}

void RedisStore::CreateSettlements(const SettlementBatch& batch, Callback<SettlementBatchResult> done) {
  OnLoop([this, batch, done = std::move(done)]() mutable {
    if (Status st = ValidateSettlementBatch(batch, Limits(), options_.rows_per_read_max); !st.ok()) {
      return Answer(std::move(done), std::move(st));
    }
    Command c = SettlementScript(Script::kCreateSettlements);
    c.Arg(batch.run_id).Arg(batch.after_principal).Int(batch.now_ms).Uint(batch.limit);
    Send<SettlementBatchResult>(std::move(done), c.Finish(), Kind::kScript, "CreateSettlements",
                                [](const redisReply* r) -> Result<SettlementBatchResult> {
                                  SettlementBatchResult out;
                                  ASSIGN_OR_RETURN(out.created, IntAt(r, 1, "CreateSettlements"));
                                  ASSIGN_OR_RETURN(out.units, IntAt(r, 2, "CreateSettlements"));
                                  out.last_principal = std::string(redis::Text(redis::Element(r, 3)));
                                  ASSIGN_OR_RETURN(const int64_t more, IntAt(r, 4, "CreateSettlements"));
                                  out.more = more != 0;
                                  return out;
                                });
  });
}

void RedisStore::ListDueSettlements(int64_t now_ms, uint32_t limit, Callback<std::vector<SettlementRecord>> done) {
  OnLoop([this, now_ms, limit, done = std::move(done)]() mutable {
    Status st = ValidateNowMs(now_ms);
    if (st.ok()) st = CheckRows(limit, "limit");
    if (!st.ok()) return Answer(std::move(done), std::move(st));
    Command c = SettlementScript(Script::kDueSettlements);
    c.Int(now_ms).Uint(limit);
    Send<std::vector<SettlementRecord>>(std::move(done), c.Finish(), Kind::kScript, "ListDueSettlements",
                                        [](const redisReply* r) {
                                          return DecodeSettlements(redis::Element(r, 1), "ListDueSettlements");
                                        });
  });
}

void RedisStore::UpdateSettlement(const SettlementRecord& record, Callback<SettlementRecord> done) {
  OnLoop([this, record, done = std::move(done)]() mutable {
    if (Status st = ValidateSettlementRecord(record, Limits()); !st.ok()) return Answer(std::move(done), std::move(st));
    const SettlementRecord& s = record;
    Command c = SettlementScript(Script::kUpdateSettlement);
    c.Arg(s.id).Arg(s.run_id).Arg(s.principal).Int(s.amount_units).Int(s.created_ms);
    c.Uint(static_cast<uint32_t>(s.state)).Uint(s.generation).Int(s.created_at_ns).Uint(s.attempts);
    c.Int(s.next_attempt_ms).Int(s.block_index).Uint(s.duplicate ? 1 : 0).Arg(s.failure).Arg(s.failure_kind);
    c.Uint(s.needs_reconciliation ? 1 : 0).Int(s.updated_ms).Int(s.confirmed_ms).Int(s.version);
    Send<SettlementRecord>(std::move(done), c.Finish(), Kind::kScript, "UpdateSettlement",
                           [](const redisReply* r) -> Result<SettlementRecord> {
                             ASSIGN_OR_RETURN(std::optional<SettlementRecord> s,
                                              DecodeSettlement(redis::Element(r, 1), "UpdateSettlement"));
                             if (!s) return Err(Malformed("UpdateSettlement"));
                             return std::move(*s);
                           });
  });
}

void RedisStore::GetSettlement(const std::string& id, Callback<std::optional<SettlementRecord>> done) {
  OnLoop([this, id, done = std::move(done)]() mutable {
    if (Status st = ValidateId(id, "settlement id", Limits().id_bytes_max + 65); !st.ok()) {
      return Answer(std::move(done), std::move(st));
    }
    Command c("HMGET");
    c.Arg(keys_.settle() + "s:" + id);
    for (const char* f : kSettleFieldNames) c.Arg(f);
    Send<std::optional<SettlementRecord>>(std::move(done), c.Finish(), Kind::kRead, "GetSettlement",
                                          [](const redisReply* r) { return DecodeSettlement(r, "GetSettlement"); });
  });
}

void RedisStore::ListSettlements(const SettlementQuery& query, Callback<std::vector<SettlementRecord>> done) {
  OnLoop([this, query, done = std::move(done)]() mutable {
    if (Status st = ValidateSettlementQuery(query, Limits(), options_.rows_per_read_max); !st.ok()) {
      return Answer(std::move(done), std::move(st));
    }
    Command c = SettlementScript(Script::kListSettlements);
    c.Uint(query.has_state ? 1 : 0).Uint(static_cast<uint32_t>(query.state)).Arg(query.principal);
    c.Arg(query.run_id).Arg(query.after_id).Uint(query.limit);
    Send<std::vector<SettlementRecord>>(std::move(done), c.Finish(), Kind::kScript, "ListSettlements",
                                        [](const redisReply* r) {
                                          return DecodeSettlements(redis::Element(r, 1), "ListSettlements");
                                        });
  });
}

void RedisStore::GetSettlementSummary(Callback<SettlementSummary> done) {
  OnLoop([this, done = std::move(done)]() mutable {
    Command c = SettlementScript(Script::kSettlementSummary);
    Send<SettlementSummary>(std::move(done), c.Finish(), Kind::kScript, "GetSettlementSummary",
                            [](const redisReply* r) -> Result<SettlementSummary> {
                              constexpr const char* kWhat = "GetSettlementSummary";
                              SettlementSummary out;
                              const redisReply* counts = redis::Element(r, 1);
                              const redisReply* units = redis::Element(r, 2);
                              const redisReply* failed = redis::Element(r, 3);
                              if (!redis::IsArray(counts) || counts->elements != kSettlementStates ||
                                  !redis::IsArray(units) || units->elements != kSettlementStates ||
                                  !redis::IsArray(failed) || failed->elements % 2 != 0) {
                                return Err(Malformed(kWhat));
                              }
                              for (size_t i = 0; i < kSettlementStates; ++i) {
                                ASSIGN_OR_RETURN(out.count_by_state[i], IntAt(counts, i, kWhat));
                                ASSIGN_OR_RETURN(out.units_by_state[i], IntAt(units, i, kWhat));
                              }
                              for (size_t i = 0; i < failed->elements; i += 2) {
                                ASSIGN_OR_RETURN(const int64_t n, IntAt(failed, i + 1, kWhat));
                                out.failed_by_kind.emplace_back(std::string(redis::Text(failed->element[i])), n);
                              }
                              ASSIGN_OR_RETURN(out.oldest_open_created_ms, IntAt(r, 4, kWhat));
                              ASSIGN_OR_RETURN(out.last_confirmed_ms, IntAt(r, 5, kWhat));
                              return out;
                            });
  });
}

void RedisStore::GetSettledTotal(const std::string& principal, Callback<SettledTotal> done) {
  OnLoop([this, principal, done = std::move(done)]() mutable {
    if (Status st = ValidatePrincipal(principal, options_.principal_bytes_max); !st.ok()) {
      return Answer(std::move(done), std::move(st));
    }
    Command c("HMGET");
    c.Arg(keys_.settle() + "tot:" + principal).Arg("committed_units").Arg("settled_units");
    Send<SettledTotal>(std::move(done), c.Finish(), Kind::kRead, "GetSettledTotal",
                       [principal](const redisReply* r) -> Result<SettledTotal> {
                         SettledTotal t{.principal = principal};
                         if (!redis::IsArray(r) || r->elements != 2) return Err(Malformed("GetSettledTotal"));
                         if (redis::IsNil(r->element[0])) return t;
                         ASSIGN_OR_RETURN(t.committed_units, IntAt(r, 0, "GetSettledTotal"));
                         if (!redis::IsNil(r->element[1])) {
                           ASSIGN_OR_RETURN(t.settled_units, IntAt(r, 1, "GetSettledTotal"));
                         }
                         return t;
                       });
  });
}

void RedisStore::ListSettledTotals(Callback<std::vector<SettledTotal>> done) {
  OnLoop([this, done = std::move(done)]() mutable {
    Command c = SettlementScript(Script::kSettledTotals);
    Send<std::vector<SettledTotal>>(std::move(done), c.Finish(), Kind::kScript, "ListSettledTotals",
                                    [](const redisReply* r) -> Result<std::vector<SettledTotal>> {
                                      const redisReply* list = redis::Element(r, 1);
                                      if (!redis::IsArray(list) || list->elements % 3 != 0) {
                                        return Err(Malformed("ListSettledTotals"));
                                      }
                                      std::vector<SettledTotal> out;
                                      for (size_t i = 0; i < list->elements; i += 3) {
                                        SettledTotal t{.principal = std::string(redis::Text(list->element[i]))};
                                        ASSIGN_OR_RETURN(t.committed_units, IntAt(list, i + 1, "ListSettledTotals"));
                                        ASSIGN_OR_RETURN(t.settled_units, IntAt(list, i + 2, "ListSettledTotals"));
                                        out.push_back(std::move(t));
                                      }
                                      return out;
                                    });
  });
}

void RedisStore::ListSettledTotalsOf(std::vector<std::string> principals, Callback<std::vector<SettledTotal>> done) {
  OnLoop([this, principals = std::move(principals), done = std::move(done)]() mutable {
    auto sorted = SortedPrincipals(std::move(principals), Limits(), options_.rows_per_read_max);
    if (!sorted) return Answer(std::move(done), sorted.error());
    Command c = SettlementScript(Script::kSettledTotalsOf);
    for (const std::string& p : *sorted) c.Arg(p);
    Send<std::vector<SettledTotal>>(std::move(done), c.Finish(), Kind::kScript, "ListSettledTotalsOf",
                                    [](const redisReply* r) -> Result<std::vector<SettledTotal>> {
                                      const redisReply* list = redis::Element(r, 1);
                                      if (!redis::IsArray(list) || list->elements % 3 != 0) {
                                        return Err(Malformed("ListSettledTotalsOf"));
                                      }
                                      std::vector<SettledTotal> out;
                                      for (size_t i = 0; i < list->elements; i += 3) {
                                        SettledTotal t{.principal = std::string(redis::Text(list->element[i]))};
                                        ASSIGN_OR_RETURN(t.committed_units, IntAt(list, i + 1, "ListSettledTotalsOf"));
                                        ASSIGN_OR_RETURN(t.settled_units, IntAt(list, i + 2, "ListSettledTotalsOf"));
                                        out.push_back(std::move(t));
                                      }
                                      return out;
                                    });
  });
}

}  // namespace sela::store
