// The rewards ledger's reads and its audit (see ledger.h).
#include <utility>

#include "store/sqlite/ledger_sql.h"
#include "store/sqlite/operations.h"

namespace sela::store::sqlite {
namespace {

constexpr char kSelectUnpaid[] =
    "SELECT principal, day, online_ms, sessions, speed_sum, speed_count, ping_sum, ping_count, "
    "paid_minutes, updated_ms FROM uptime_days INDEXED BY uptime_days_unpaid "
    "WHERE online_ms >= (paid_minutes + 1) * 60000 AND (principal, day) > (?1, ?2) "
    "ORDER BY principal, day LIMIT ?3";
constexpr char kCountDays[] = "SELECT COUNT(*) FROM uptime_days";
constexpr char kCountUnpaid[] =
    "SELECT COUNT(*) FROM uptime_days INDEXED BY uptime_days_unpaid "
    "WHERE online_ms >= (paid_minutes + 1) * 60000";
constexpr char kSelectAccountRow[] =
    "SELECT balance_units, credited_units, transfers, updated_ms FROM ledger_accounts "
    "WHERE principal = ?1";
constexpr char kAccountKinds[] =
    "SELECT kind, SUM(units), SUM(transfers), SUM(minutes) FROM ledger_days WHERE principal = ?1 GROUP BY kind";
constexpr char kSelectDays[] =
    "SELECT day, kind, units, transfers, minutes FROM ledger_days "
    "WHERE principal = ?1 AND day BETWEEN ?2 AND ?3 ORDER BY day, kind";
constexpr char kPrincipalTransfersDesc[] =
    "SELECT " SELA_TRANSFER_COLUMNS " FROM ledger_transfers WHERE principal = ?1 "
    "AND ((1 << kind) & ?2) <> 0 ORDER BY seq DESC LIMIT ?3 OFFSET ?4";
constexpr char kPrincipalTransfersAsc[] =
    "SELECT " SELA_TRANSFER_COLUMNS " FROM ledger_transfers WHERE principal = ?1 "
    "AND ((1 << kind) & ?2) <> 0 ORDER BY seq LIMIT ?3 OFFSET ?4";
// A principal's count comes from its per-day totals, not from its rows.
constexpr char kPrincipalTransferCount[] =
    "SELECT COALESCE(SUM(transfers), 0) FROM ledger_days WHERE principal = ?1 "
    "AND ((1 << kind) & ?2) <> 0";
constexpr char kRunTransfersDesc[] =
    "SELECT " SELA_TRANSFER_COLUMNS " FROM ledger_transfers WHERE run_id = ?1 AND run_id <> '' "
    "AND ((1 << kind) & ?2) <> 0 ORDER BY seq DESC LIMIT ?3 OFFSET ?4";
constexpr char kRunTransfersAsc[] =
    "SELECT " SELA_TRANSFER_COLUMNS " FROM ledger_transfers WHERE run_id = ?1 AND run_id <> '' "
    "AND ((1 << kind) & ?2) <> 0 ORDER BY seq LIMIT ?3 OFFSET ?4";
constexpr char kRunTransferCount[] =
    "SELECT COUNT(*) FROM ledger_transfers WHERE run_id = ?1 AND run_id <> '' "
    "AND ((1 << kind) & ?2) <> 0";
constexpr char kSelectTransferById[] =
    "SELECT " SELA_TRANSFER_COLUMNS " FROM ledger_transfers WHERE id = ?1";
constexpr char kSelectBalances[] =
    "SELECT a.principal, a.balance_units, "
    "(SELECT COALESCE(SUM(d.units), 0) FROM ledger_days d WHERE d.principal = a.principal AND d.day = ?1) "
    "FROM ledger_accounts a ORDER BY a.principal";
constexpr char kSelectBalanceOf[] =
    "SELECT a.principal, a.balance_units, "
    "(SELECT COALESCE(SUM(d.units), 0) FROM ledger_days d WHERE d.principal = a.principal AND d.day = ?1) "
    "FROM ledger_accounts a WHERE a.principal = ?2";

// The audit recomputes every total from ledger_transfers alone.
constexpr char kAuditIssuance[] =
    "SELECT i.kind, i.issued_units, i.transfers, COALESCE(t.units, 0), COALESCE(t.n, 0) "
    "FROM ledger_issuance i LEFT JOIN (SELECT kind, SUM(credited_units) AS units, COUNT(*) AS n "
    "FROM ledger_transfers GROUP BY kind) t ON t.kind = i.kind";
constexpr char kAuditHeld[] =
    "SELECT COALESCE(SUM(balance_units), 0), COUNT(*) FROM ledger_accounts";
constexpr char kAuditTransfers[] =
    "SELECT COALESCE(SUM(credited_units), 0), COUNT(*), "
    "COALESCE(SUM(credited_units > amount_units), 0) FROM ledger_transfers";
constexpr char kAuditAccounts[] =
    "SELECT COUNT(*) FROM ledger_accounts a LEFT JOIN (SELECT principal, SUM(credited_units) AS s, "
    "COUNT(*) AS n FROM ledger_transfers GROUP BY principal) t ON t.principal = a.principal "
    "WHERE t.principal IS NULL OR a.balance_units <> t.s OR a.credited_units <> t.s OR a.transfers <> t.n";
constexpr char kAuditAccountsMissing[] =
    "SELECT COUNT(*) FROM (SELECT DISTINCT principal FROM ledger_transfers) t "
    "WHERE NOT EXISTS (SELECT 1 FROM ledger_accounts a WHERE a.principal = t.principal)";
constexpr char kAuditDays[] =
    "SELECT COUNT(*) FROM ledger_days d LEFT JOIN (SELECT principal, day, kind, "
    "SUM(credited_units) AS s, COUNT(*) AS n, SUM(CASE WHEN kind = 1 THEN minutes ELSE 0 END) AS m "
    "FROM ledger_transfers GROUP BY principal, day, kind) t "
    "ON t.principal = d.principal AND t.day = d.day AND t.kind = d.kind "
    "WHERE t.principal IS NULL OR d.units <> t.s OR d.transfers <> t.n OR d.minutes <> t.m";
constexpr char kAuditDaysMissing[] =
    "SELECT COUNT(*) FROM (SELECT DISTINCT principal, day, kind FROM ledger_transfers) t "
    "WHERE NOT EXISTS (SELECT 1 FROM ledger_days d WHERE d.principal = t.principal "
    "AND d.day = t.day AND d.kind = t.kind)";

UptimeDay ReadDay(const Query& q) {
  UptimeDay day;
  day.principal = q.Text(0);
  day.day = q.Text(1);
  day.online_ms = q.Int64(2);
  day.sessions = static_cast<uint32_t>(q.Int64(3));
  day.speed_sum = q.Double(4);
  day.speed_count = static_cast<uint32_t>(q.Int64(5));
  day.ping_sum = q.Double(6);
  day.ping_count = static_cast<uint32_t>(q.Int64(7));
  day.paid_minutes = q.Int64(8);
  day.updated_ms = q.Int64(9);
  return day;
}

Result<int64_t> CountOf(Database& db, const char* sql) {
  ASSIGN_OR_RETURN(Query query, db.Prepare(sql));
  ASSIGN_OR_RETURN(const bool row, query.Step());
  return row ? query.Int64(0) : 0;
}

size_t KindIndex(int64_t kind) { return static_cast<size_t>(kind) % kRewardKinds; }

}  // namespace

Result<std::vector<UptimeDay>> Operations::ListUnpaidUptime(const std::string& after_principal,
                                                            const std::string& after_day, uint32_t limit) {
  RETURN_IF_ERROR(CheckRows(limit, "ListUnpaidUptime limit"));
  RETURN_IF_ERROR(ValidateText(after_principal, "after_principal", limits_.principal_bytes_max));
  if (!after_day.empty()) RETURN_IF_ERROR(ValidateDay(after_day, "after_day"));
  ASSIGN_OR_RETURN(Query query, db_.Prepare(kSelectUnpaid));
  query.BindText(1, after_principal).BindText(2, after_day).BindInt(3, limit);
  std::vector<UptimeDay> days;
  while (true) {
    ASSIGN_OR_RETURN(const bool row, query.Step());
    if (!row) return days;
    days.push_back(ReadDay(query));
  }
}

Result<UptimeDayCounts> Operations::CountUptimeDays() {
  UptimeDayCounts counts;
  ASSIGN_OR_RETURN(counts.total, CountOf(db_, kCountDays));
  ASSIGN_OR_RETURN(counts.unpaid, CountOf(db_, kCountUnpaid));
  return counts;
}

Result<AccountSummary> Operations::GetAccount(const std::string& principal) {
  RETURN_IF_ERROR(ValidatePrincipal(principal));
  AccountSummary account;
  account.principal = principal;
  {
    ASSIGN_OR_RETURN(Query query, db_.Prepare(kSelectAccountRow));
    ASSIGN_OR_RETURN(const bool row, query.BindText(1, principal).Step());
    if (!row) return account;
    account.balance_units = query.Int64(0);
    account.credited_units = query.Int64(1);
    account.transfers = query.Int64(2);
    account.updated_ms = query.Int64(3);
  }
  ASSIGN_OR_RETURN(Query query, db_.Prepare(kAccountKinds));
  query.BindText(1, principal);
  while (true) {
    ASSIGN_OR_RETURN(const bool row, query.Step());
    if (!row) return account;
    const size_t kind = KindIndex(query.Int64(0));
    account.credited_by_kind[kind] = query.Int64(1);
    account.transfers_by_kind[kind] = query.Int64(2);
    account.uptime_minutes += query.Int64(3);
  }
}

Result<std::vector<EarningsDay>> Operations::GetEarningsDays(const std::string& principal,
                                                             const std::string& from_day,
                                                             const std::string& to_day) {
  RETURN_IF_ERROR(ValidatePrincipal(principal));
  RETURN_IF_ERROR(ValidateDay(from_day, "from_day"));
  RETURN_IF_ERROR(ValidateDay(to_day, "to_day"));
  ASSIGN_OR_RETURN(Query query, db_.Prepare(kSelectDays));
  query.BindText(1, principal).BindText(2, from_day).BindText(3, to_day);
  std::vector<EarningsDay> days;
  while (true) {
    ASSIGN_OR_RETURN(const bool row, query.Step());
    if (!row) return days;
    std::string day = query.Text(0);
    if (days.empty() || days.back().day != day) days.push_back(EarningsDay{.day = std::move(day)});
    EarningsDay& d = days.back();
    const size_t kind = KindIndex(query.Int64(1));
    d.units[kind] = query.Int64(2);
    d.transfers[kind] = query.Int64(3);
    d.uptime_minutes += query.Int64(4);
  }
}

Result<TransferPage> Operations::ListTransfers(const TransferQuery& q) {
  RETURN_IF_ERROR(ValidateTransferQuery(q, limits_.ledger));
  const bool by_principal = !q.principal.empty();
  const std::string& key = by_principal ? q.principal : q.run_id;
  TransferPage page;
  {
    ASSIGN_OR_RETURN(Query query, db_.Prepare(by_principal ? kPrincipalTransferCount : kRunTransferCount));
    ASSIGN_OR_RETURN(const bool row, query.BindText(1, key).BindInt(2, q.kinds).Step());
    page.total = row ? query.Int64(0) : 0;
  }
  const char* sql = by_principal ? (q.newest_first ? kPrincipalTransfersDesc : kPrincipalTransfersAsc)
                                 : (q.newest_first ? kRunTransfersDesc : kRunTransfersAsc);
  ASSIGN_OR_RETURN(Query query, db_.Prepare(sql));
  query.BindText(1, key).BindInt(2, q.kinds).BindInt(3, q.limit);
  query.BindInt(4, static_cast<int64_t>(q.offset));
  while (true) {
    ASSIGN_OR_RETURN(const bool row, query.Step());
    if (!row) return page;
    page.transfers.push_back(ReadTransfer(query));
  }
}

Result<std::optional<TransferRecord>> Operations::GetTransfer(const std::string& id) {
  RETURN_IF_ERROR(ValidateId(id, "transfer id", limits_.ledger.id_bytes_max));
  ASSIGN_OR_RETURN(Query query, db_.Prepare(kSelectTransferById));
  ASSIGN_OR_RETURN(const bool row, query.BindText(1, id).Step());
  if (!row) return std::optional<TransferRecord>();
  return std::optional<TransferRecord>(ReadTransfer(query));
}

Result<std::vector<Balance>> Operations::ListBalances(const std::string& day) {
  RETURN_IF_ERROR(ValidateDay(day, "day"));
  ASSIGN_OR_RETURN(Query query, db_.Prepare(kSelectBalances));
  query.BindText(1, day);
  std::vector<Balance> balances;
  while (true) {
    ASSIGN_OR_RETURN(const bool row, query.Step());
    if (!row) return balances;
    balances.push_back(Balance{query.Text(0), query.Int64(1), query.Int64(2)});
  }
}

Result<std::vector<Balance>> Operations::ListBalancesOf(std::vector<std::string> principals, const std::string& day) {
  RETURN_IF_ERROR(ValidateDay(day, "day"));
  ASSIGN_OR_RETURN(principals, SortedPrincipals(std::move(principals), limits_.ledger, limits_.rows_per_read_max));
  std::vector<Balance> balances;
  for (const std::string& principal : principals) {
    ASSIGN_OR_RETURN(Query query, db_.Prepare(kSelectBalanceOf));
    ASSIGN_OR_RETURN(const bool row, query.BindText(1, day).BindText(2, principal).Step());
    if (row) balances.push_back(Balance{query.Text(0), query.Int64(1), query.Int64(2)});
  }
  return balances;
}

Result<LedgerAudit> Operations::AuditLedger() {
  LedgerAudit audit;
  {
    ASSIGN_OR_RETURN(Query query, db_.Prepare(kAuditIssuance));
    while (true) {
      ASSIGN_OR_RETURN(const bool row, query.Step());
      if (!row) break;
      const int64_t issued = query.Int64(1);
      audit.issued_by_kind[KindIndex(query.Int64(0))] = issued;
      audit.issued_units += issued;
      if (issued != query.Int64(3) || query.Int64(2) != query.Int64(4)) ++audit.mismatched_issuance;
    }
  }
  {
    ASSIGN_OR_RETURN(Query query, db_.Prepare(kAuditHeld));
    ASSIGN_OR_RETURN(const bool row, query.Step());
    if (row) {
      audit.held_units = query.Int64(0);
      audit.accounts = query.Int64(1);
    }
  }
  {
    ASSIGN_OR_RETURN(Query query, db_.Prepare(kAuditTransfers));
    ASSIGN_OR_RETURN(const bool row, query.Step());
    if (row) {
      audit.transfer_units = query.Int64(0);
      audit.transfers = query.Int64(1);
      audit.over_credited = query.Int64(2);
    }
  }
  ASSIGN_OR_RETURN(const int64_t accounts, CountOf(db_, kAuditAccounts));
  ASSIGN_OR_RETURN(const int64_t accounts_missing, CountOf(db_, kAuditAccountsMissing));
  ASSIGN_OR_RETURN(const int64_t days, CountOf(db_, kAuditDays));
  ASSIGN_OR_RETURN(const int64_t days_missing, CountOf(db_, kAuditDaysMissing));
  audit.mismatched_accounts = accounts + accounts_missing;
  audit.mismatched_days = days + days_missing;
  return audit;
}

}  // namespace sela::store::sqlite
