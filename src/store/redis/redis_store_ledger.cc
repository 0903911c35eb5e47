// The Redis store's rewards ledger (ledger.h): transfers, uptime payments
// and the ledger's reads, each one script (scripts_ledger.cc,
// scripts_ledger_read.cc). Referrals and runs: redis_store_referrals.cc.
#include <utility>

#include "store/redis/ledger_records.h"
#include "store/redis/records.h"
#include "store/redis/redis_store.h"
#include "store/redis/redis_store_impl.h"
#include "store/validate_ledger.h"

namespace sela::store {

using redis::Command;
using redis::Script;

namespace {

const redisReply* List(const redisReply* r, size_t i) {
  const redisReply* list = redis::Element(r, i);
  return redis::IsArray(list) ? list : nullptr;
}

Status Malformed(const char* what) { return Internal(std::string(what) + ": malformed Redis reply"); }

}  // namespace

// CompleteJob's transfer ids are the job id and at most 16 bytes more
// ("referral:task:" and ":2", ledger.h JobRewardSpec), as with SQLite.
constexpr uint32_t kJobTransferIdExtraBytes = 16;

LedgerLimits RedisStore::Limits() const {
  return LedgerLimits{.principal_bytes_max = options_.principal_bytes_max,
                      .id_bytes_max = options_.id_bytes_max + kJobTransferIdExtraBytes,
                      .transfers_per_page_max = options_.transfers_per_page_max,
                      .transfers_per_call_max = options_.transfers_per_call_max};
}

Command RedisStore::LedgerScript(Script script, const std::string& run_owner) const {
  Command c = ScriptCall(script, 1);
  c.Arg(keys_.Referrals()).Arg(keys_.ledger()).Arg(keys_.uptime()).Arg(run_owner);
  return c;
}

Status RedisStore::CheckRows(uint32_t limit, const char* what) const {
  return ValidateCount(limit, options_.rows_per_read_max, what, false);
}

void RedisStore::ApplyTransfers(std::vector<Transfer> transfers, const std::string& run_owner,
                                Callback<std::vector<AppliedTransfer>> done) {
  OnLoop([this, transfers = std::move(transfers), run_owner, done = std::move(done)]() mutable {
    const LedgerLimits limits = Limits();
    Status st = ValidateCount(transfers.size(), limits.transfers_per_call_max, "ApplyTransfers", false);
    for (size_t i = 0; st.ok() && i < transfers.size(); ++i) st = ValidateTransfer(transfers[i], limits);
    if (!st.ok()) return Answer(std::move(done), std::move(st));
    Command c = LedgerScript(Script::kApplyTransfers, run_owner);
    for (const Transfer& t : transfers) redis::AppendTransfer(c, t);
    const size_t n = transfers.size();
    Send<std::vector<AppliedTransfer>>(
        std::move(done), c.Finish(), Kind::kScript, "ApplyTransfers",
        [n](const redisReply* r) -> Result<std::vector<AppliedTransfer>> {
          const redisReply* list = List(r, 1);
          if (list == nullptr || list->elements != 2 * n) return Err(Malformed("ApplyTransfers"));
          std::vector<AppliedTransfer> out;
          out.reserve(n);
          for (size_t i = 0; i < n; ++i) {
            ASSIGN_OR_RETURN(const int64_t outcome, redis::ReadInt(list->element[2 * i], "outcome"));
            ASSIGN_OR_RETURN(const int64_t credited, redis::ReadInt(list->element[2 * i + 1], "credited_units"));
            out.push_back({outcome == 0 ? TransferOutcome::kApplied : TransferOutcome::kRepeat, credited});
          }
          return out;
        });
  });
}

void RedisStore::PayUptime(std::vector<UptimePayment> payments, const std::string& run_owner,
                           Callback<std::vector<PaymentOutcome>> done) {
  OnLoop([this, payments = std::move(payments), run_owner, done = std::move(done)]() mutable {
    const LedgerLimits limits = Limits();
    Status st = ValidateCount(payments.size(), limits.transfers_per_call_max, "PayUptime", false);
    for (size_t i = 0; st.ok() && i < payments.size(); ++i) st = ValidateUptimePayment(payments[i], limits);
    if (!st.ok()) return Answer(std::move(done), std::move(st));
    Command c = LedgerScript(Script::kPayUptime, run_owner);
    for (const UptimePayment& p : payments) {
      c.Int(p.from_minutes).Int(p.through_minutes);
      redis::AppendTransfer(c, p.transfer);
    }
    const size_t n = payments.size();
    Send<std::vector<PaymentOutcome>>(std::move(done), c.Finish(), Kind::kScript, "PayUptime",
                                      [n](const redisReply* r) -> Result<std::vector<PaymentOutcome>> {
                                        const redisReply* list = List(r, 1);
                                        if (list == nullptr || list->elements != n) return Err(Malformed("PayUptime"));
                                        std::vector<PaymentOutcome> out;
                                        for (size_t i = 0; i < n; ++i) {
                                          ASSIGN_OR_RETURN(const int64_t o, redis::ReadInt(list->element[i], "outcome"));
                                          if (o < 0 || o > 2) return Err(Malformed("PayUptime"));
                                          out.push_back(static_cast<PaymentOutcome>(o));
                                        }
                                        return out;
                                      });
  });
}

void RedisStore::ListUnpaidUptime(const std::string& after_principal, const std::string& after_day, uint32_t limit,
                                  Callback<std::vector<UptimeDay>> done) {
  OnLoop([this, after_principal, after_day, limit, done = std::move(done)]() mutable {
    Status st = CheckRows(limit, "ListUnpaidUptime limit");
    if (st.ok()) st = ValidateText(after_principal, "after_principal", options_.principal_bytes_max);
    if (st.ok() && !after_day.empty()) st = ValidateDay(after_day, "after_day");
    if (!st.ok()) return Answer(std::move(done), std::move(st));
    Command c = LedgerScript(Script::kUnpaidPage, "");
    c.Arg(after_principal).Arg(after_day).Uint(limit);
    Send<std::vector<UptimeDay>>(std::move(done), c.Finish(), Kind::kScript, "ListUnpaidUptime",
                                 [](const redisReply* r) -> Result<std::vector<UptimeDay>> {
                                   const redisReply* list = List(r, 1);
                                   if (list == nullptr || list->elements % 3 != 0) return Err(Malformed("ListUnpaidUptime"));
                                   std::vector<UptimeDay> days;
                                   for (size_t i = 0; i < list->elements; i += 3) {
                                     ASSIGN_OR_RETURN(UptimeDay day,
                                                      redis::DecodeDay(list->element[i + 2],
                                                                       std::string(redis::Text(list->element[i])),
                                                                       std::string(redis::Text(list->element[i + 1]))));
                                     days.push_back(std::move(day));
                                   }
                                   return days;
                                 });
  });
}

void RedisStore::CountUptimeDays(Callback<UptimeDayCounts> done) {
  OnLoop([this, done = std::move(done)]() mutable {
    Send<UptimeDayCounts>(std::move(done), LedgerScript(Script::kCountUptimeDays, "").Finish(), Kind::kScript,
                          "CountUptimeDays", [](const redisReply* r) -> Result<UptimeDayCounts> {
                            UptimeDayCounts counts;
                            ASSIGN_OR_RETURN(counts.total, redis::ReadInt(redis::Element(r, 1), "uptime rows"));
                            ASSIGN_OR_RETURN(counts.unpaid, redis::ReadInt(redis::Element(r, 2), "unpaid rows"));
                            return counts;
                          });
  });
}

void RedisStore::GetAccount(const std::string& principal, Callback<AccountSummary> done) {
  OnLoop([this, principal, done = std::move(done)]() mutable {
    if (Status st = ValidatePrincipal(principal, options_.principal_bytes_max); !st.ok()) {
      return Answer(std::move(done), std::move(st));
    }
    Command c("HMGET");
    c.Arg(keys_.ledger() + "a:" + principal);
    redis::AppendFieldNames(c, redis::AccountFields());
    Send<AccountSummary>(std::move(done), c.Finish(), Kind::kRead, "GetAccount",
                         [principal](const redisReply* r) -> Result<AccountSummary> {
                           AccountSummary a;
                           a.principal = principal;
                           ASSIGN_OR_RETURN(a.balance_units, redis::ReadInt(redis::Element(r, 0), "balance_units"));
                           ASSIGN_OR_RETURN(a.credited_units, redis::ReadInt(redis::Element(r, 1), "credited_units"));
                           ASSIGN_OR_RETURN(a.transfers, redis::ReadInt(redis::Element(r, 2), "transfers"));
                           ASSIGN_OR_RETURN(a.updated_ms, redis::ReadInt(redis::Element(r, 3), "updated_ms"));
                           RETURN_IF_ERROR(redis::DecodeKindTotals(r, 4, a.credited_by_kind, a.transfers_by_kind,
                                                                   a.uptime_minutes));
                           return a;
                         });
  });
}

void RedisStore::GetEarningsDays(const std::string& principal, const std::string& from_day, const std::string& to_day,
                                 Callback<std::vector<EarningsDay>> done) {
  OnLoop([this, principal, from_day, to_day, done = std::move(done)]() mutable {
    Status st = ValidatePrincipal(principal, options_.principal_bytes_max);
    if (st.ok()) st = ValidateDay(from_day, "from_day");
    if (st.ok()) st = ValidateDay(to_day, "to_day");
    if (!st.ok()) return Answer(std::move(done), std::move(st));
    Command c = LedgerScript(Script::kEarningsDays, "");
    c.Arg(principal).Arg(from_day).Arg(to_day);
    Send<std::vector<EarningsDay>>(std::move(done), c.Finish(), Kind::kScript, "GetEarningsDays",
                                   [](const redisReply* r) -> Result<std::vector<EarningsDay>> {
                                     const redisReply* list = List(r, 1);
                                     if (list == nullptr || list->elements % 2 != 0) return Err(Malformed("GetEarningsDays"));
                                     std::vector<EarningsDay> days;
                                     for (size_t i = 0; i < list->elements; i += 2) {
                                       EarningsDay d{.day = std::string(redis::Text(list->element[i]))};
                                       RETURN_IF_ERROR(redis::DecodeKindTotals(list->element[i + 1], 0, d.units,
                                                                               d.transfers, d.uptime_minutes));
                                       days.push_back(std::move(d));
                                     }
                                     return days;
                                   });
  });
}

void RedisStore::ListTransfers(const TransferQuery& query, Callback<TransferPage> done) {
  OnLoop([this, query, done = std::move(done)]() mutable {
    if (Status st = ValidateTransferQuery(query, Limits()); !st.ok()) return Answer(std::move(done), std::move(st));
    const std::string base = query.principal.empty() ? "rt:" + query.run_id + ":" : "pt:" + query.principal + ":";
    Command c = LedgerScript(Script::kListTransfers, "");
    c.Arg(base).Uint(query.kinds).Arg(query.newest_first ? "1" : "0").Uint(query.offset).Uint(query.limit);
    Send<TransferPage>(std::move(done), c.Finish(), Kind::kScript, "ListTransfers",
                       [](const redisReply* r) -> Result<TransferPage> {
                         TransferPage page;
                         ASSIGN_OR_RETURN(page.total, redis::ReadInt(redis::Element(r, 1), "transfer count"));
                         const redisReply* list = List(r, 2);
                         if (list == nullptr) return Err(Malformed("ListTransfers"));
                         for (size_t i = 0; i < list->elements; ++i) {
                           ASSIGN_OR_RETURN(std::optional<TransferRecord> t, redis::DecodeTransfer(list->element[i]));
                           if (!t) return Err(Internal("ListTransfers: a listed transfer is missing"));
                           page.transfers.push_back(std::move(*t));
                         }
                         return page;
                       });
  });
}

void RedisStore::GetTransfer(const std::string& id, Callback<std::optional<TransferRecord>> done) {
  OnLoop([this, id, done = std::move(done)]() mutable {
    if (Status st = ValidateId(id, "transfer id", Limits().id_bytes_max); !st.ok()) {
      return Answer(std::move(done), std::move(st));
    }
    Command c("HMGET");
    c.Arg(keys_.ledger() + "t:" + id);
    redis::AppendFieldNames(c, redis::TransferFields());
    Send<std::optional<TransferRecord>>(std::move(done), c.Finish(), Kind::kRead, "GetTransfer",
                                        [](const redisReply* r) { return redis::DecodeTransfer(r); });
  });
}

void RedisStore::ListBalances(const std::string& day, Callback<std::vector<Balance>> done) {
  OnLoop([this, day, done = std::move(done)]() mutable {
    if (Status st = ValidateDay(day, "day"); !st.ok()) return Answer(std::move(done), std::move(st));
    auto page = [this, day](const std::string& after) {
      Command c = LedgerScript(Script::kBalancesPage, "");
      c.Arg(day).Arg(after).Uint(options_.page_size);
      return c.Finish();
    };
    // Each page item is {principal, balance, units credited on the day}.
    auto items = std::make_shared<std::vector<Balance>>();
    auto decode_pair = [](const redisReply* values, std::vector<Balance>& out) -> Status {
      Balance b;
      ASSIGN_OR_RETURN(b.balance_units, redis::ReadInt(redis::Element(values, 1), "balance_units"));
      ASSIGN_OR_RETURN(b.day_units, redis::ReadInt(redis::Element(values, 2), "day units"));
      b.principal = std::string(redis::Text(redis::Element(values, 0)));
      out.push_back(std::move(b));
      return Status::Ok();
    };
    Pages<Balance>(NewSlot(), std::move(done), items, page, "ListBalances", decode_pair, "");
  });
}

void RedisStore::ListBalancesOf(std::vector<std::string> principals, const std::string& day,
                                Callback<std::vector<Balance>> done) {
  OnLoop([this, principals = std::move(principals), day, done = std::move(done)]() mutable {
    if (Status st = ValidateDay(day, "day"); !st.ok()) return Answer(std::move(done), std::move(st));
    auto sorted = SortedPrincipals(std::move(principals), Limits(), options_.rows_per_read_max);
    if (!sorted) return Answer(std::move(done), sorted.error());
    Command c = LedgerScript(Script::kBalancesOf, "");
    c.Arg(day);
    for (const std::string& p : *sorted) c.Arg(p);
    Send<std::vector<Balance>>(std::move(done), c.Finish(), Kind::kScript, "ListBalancesOf",
                               [](const redisReply* r) -> Result<std::vector<Balance>> {
                                 const redisReply* list = redis::Element(r, 1);
                                 if (!redis::IsArray(list)) return Err(Malformed("ListBalancesOf"));
                                 std::vector<Balance> out;
                                 for (size_t i = 0; i < list->elements; ++i) {
                                   const redisReply* values = list->element[i];
                                   if (!redis::IsArray(values) || values->elements != 3) {
                                     return Err(Malformed("ListBalancesOf"));
                                   }
                                   Balance b{.principal = std::string(redis::Text(values->element[0]))};
                                   ASSIGN_OR_RETURN(b.balance_units, redis::ReadInt(values->element[1], "balance_units"));
                                   ASSIGN_OR_RETURN(b.day_units, redis::ReadInt(values->element[2], "day units"));
                                   out.push_back(std::move(b));
                                 }
                                 return out;
                               });
  });
}

void RedisStore::AuditLedger(Callback<LedgerAudit> done) {
  OnLoop([this, done = std::move(done)]() mutable {
    Send<LedgerAudit>(std::move(done), LedgerScript(Script::kAuditLedger, "").Finish(), Kind::kScript, "AuditLedger",
                      [](const redisReply* r) -> Result<LedgerAudit> {
                        LedgerAudit a;
                        auto at = [&](size_t i, const char* what) { return redis::ReadInt(redis::Element(r, i), what); };
                        ASSIGN_OR_RETURN(a.issued_units, at(1, "issued units"));
                        ASSIGN_OR_RETURN(a.held_units, at(2, "held units"));
                        ASSIGN_OR_RETURN(a.transfer_units, at(3, "transfer units"));
                        ASSIGN_OR_RETURN(a.transfers, at(4, "transfers"));
                        ASSIGN_OR_RETURN(a.accounts, at(5, "accounts"));
                        const redisReply* kinds = List(r, 6);
                        if (kinds == nullptr || kinds->elements != kRewardKinds) return Err(Malformed("AuditLedger"));
                        for (size_t k = 0; k < kRewardKinds; ++k) {
                          ASSIGN_OR_RETURN(a.issued_by_kind[k], redis::ReadInt(kinds->element[k], "issued by kind"));
                        }
                        ASSIGN_OR_RETURN(a.mismatched_issuance, at(7, "mismatched issuance"));
                        ASSIGN_OR_RETURN(a.mismatched_accounts, at(8, "mismatched accounts"));
                        ASSIGN_OR_RETURN(a.mismatched_days, at(9, "mismatched days"));
                        ASSIGN_OR_RETURN(a.over_credited, at(10, "over credited"));
                        return a;
                      });
  });
}

}  // namespace sela::store
