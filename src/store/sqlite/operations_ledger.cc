// The rewards ledger's writes (see ledger.h): transfers and uptime payments.
// A transfer is one row of ledger_transfers plus the totals it changes
// (ledger_accounts, ledger_issuance, ledger_days and its run), all inside
// the operation's savepoint, so that a refusal anywhere leaves nothing.
#include <limits>
#include <utility>

#include "store/sqlite/ledger_sql.h"
#include "store/sqlite/operations.h"

namespace sela::store::sqlite {
namespace {

constexpr char kSelectTransfer[] =
    "SELECT " SELA_TRANSFER_COLUMNS " FROM ledger_transfers WHERE id = ?1";
// A transfer id that is recorded already inserts nothing (a repeat or a
// Conflict, told apart by reading the recorded one).
constexpr char kInsertTransfer[] =
    "INSERT INTO ledger_transfers (id, kind, principal, amount_units, cap_window, cap_kinds, "
    "cap_units, day, created_ms, run_id, job_id, referee, minutes, tier, base_units, bonus_units, "
    "share_bp, credited_units) "
    "VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9, ?10, ?11, ?12, ?13, ?14, ?15, ?16, ?17, ?18) "
    "ON CONFLICT (id) DO NOTHING";
// Credits in the cap's window of the kinds it names (?4 is the kind set).
constexpr char kCappedSum[] =
    "SELECT COALESCE(SUM(units), 0) FROM ledger_days WHERE principal = ?1 AND day BETWEEN ?2 AND ?3 "
    "AND ((1 << kind) & ?4) <> 0";
constexpr char kUpsertAccount[] =
    "INSERT INTO ledger_accounts (principal, balance_units, credited_units, transfers, updated_ms) "
    "VALUES (?1, ?2, ?2, 1, ?3) ON CONFLICT (principal) DO UPDATE SET "
    "balance_units = balance_units + ?2, credited_units = credited_units + ?2, "
    "transfers = transfers + 1, updated_ms = max(updated_ms, ?3)";
constexpr char kAddIssued[] =
    "UPDATE ledger_issuance SET issued_units = issued_units + ?2, transfers = transfers + 1 "
    "WHERE kind = ?1";
constexpr char kUpsertDay[] =
    "INSERT INTO ledger_days (principal, day, kind, units, transfers, minutes) "
    "VALUES (?1, ?2, ?3, ?4, 1, ?5) ON CONFLICT (principal, day, kind) DO UPDATE SET "
    "units = units + ?4, transfers = transfers + 1, minutes = minutes + ?5";
constexpr char kAddToRun[] =
    "UPDATE reward_runs SET users = users + ?3, total_units = total_units + ?4, "
    "heartbeat_ms = max(heartbeat_ms, ?5) WHERE id = ?1 AND owner = ?2 AND state = 0";
constexpr char kSelectUptimeRow[] =
    "SELECT online_ms, paid_minutes FROM uptime_days WHERE principal = ?1 AND day = ?2";
constexpr char kSetPaidMinutes[] =
    "UPDATE uptime_days SET paid_minutes = ?3 WHERE principal = ?1 AND day = ?2";
constexpr char kSumOnline[] =
    "SELECT COALESCE(SUM(online_ms), 0) FROM uptime_days WHERE principal = ?1";

constexpr int64_t kMsPerMinute = 60'000;

// The totals' columns are STRICT INTEGERs: a sum that overflows int64
// becomes a REAL in SQLite, which the column refuses (a datatype
// constraint, InvalidArgument). No other value these statements write can be
// refused, so that refusal means an overflow.
Status OverflowIfRefused(Status status, std::string_view what) {
  if (status.code() == Code::kInvalidArgument) return ResourceExhausted(std::string(what) + " would overflow");
  return status;
}

}  // namespace

Status Operations::CheckRows(uint32_t limit, std::string_view what) const {
  return ValidateCount(limit, limits_.rows_per_read_max, what, false);
}

Result<std::optional<TransferRecord>> Operations::FindTransfer(const std::string& id) {
  ASSIGN_OR_RETURN(Query query, db_.Prepare(kSelectTransfer));
  ASSIGN_OR_RETURN(const bool row, query.BindText(1, id).Step());
  if (!row) return std::optional<TransferRecord>();
  return std::optional<TransferRecord>(ReadTransfer(query));
}

Result<int64_t> Operations::CappedAmount(const Transfer& t) {
  using Window = TransferCap::Window;
  if (t.cap.window == Window::kNone) return t.amount_units;
  const bool month = t.cap.window == Window::kMonth;
  ASSIGN_OR_RETURN(Query query, db_.Prepare(kCappedSum));
  query.BindText(1, t.principal).BindText(2, month ? MonthFirstDay(t.day) : t.day);
  query.BindText(3, month ? MonthLastDay(t.day) : t.day).BindInt(4, t.cap.kinds);
  ASSIGN_OR_RETURN(const bool row, query.Step());
  const int64_t already = row ? query.Int64(0) : 0;
  const int64_t room = already >= t.cap.limit_units ? 0 : t.cap.limit_units - already;
  return std::min(t.amount_units, room);
}

Status Operations::AddToTotals(const Transfer& t, int64_t credited) {
  {
    ASSIGN_OR_RETURN(Query query, db_.Prepare(kUpsertAccount));
    query.BindText(1, t.principal).BindInt(2, credited).BindInt(3, t.created_ms);
    RETURN_IF_ERROR(OverflowIfRefused(query.Run(), "balance of " + t.principal));
  }
  {
    ASSIGN_OR_RETURN(Query query, db_.Prepare(kAddIssued));
    query.BindInt(1, static_cast<int64_t>(t.kind)).BindInt(2, credited);
    RETURN_IF_ERROR(OverflowIfRefused(query.Run(), IssuanceAccount(t.kind)));
    if (db_.Changes() != 1) return Internal("no issuance account for kind " + std::string(RewardKindName(t.kind)));
  }
  const int64_t minutes = t.kind == RewardKind::kUptime ? t.minutes : 0;
  ASSIGN_OR_RETURN(Query query, db_.Prepare(kUpsertDay));
  query.BindText(1, t.principal).BindText(2, t.day).BindInt(3, static_cast<int64_t>(t.kind));
  return OverflowIfRefused(query.BindInt(4, credited).BindInt(5, minutes).Run(), "day total of " + t.principal);
}

Status Operations::AddToRun(const Transfer& t, int64_t credited, const std::string& run_owner) {
  if (t.run_id.empty()) return Status::Ok();
  ASSIGN_OR_RETURN(Query query, db_.Prepare(kAddToRun));
  query.BindText(1, t.run_id).BindText(2, run_owner).BindInt(3, credited > 0 ? 1 : 0);
  RETURN_IF_ERROR(query.BindInt(4, credited).BindInt(5, t.created_ms).Run());
  if (db_.Changes() == 1) return Status::Ok();
  return FailedPrecondition("transfer " + t.id + " names run " + t.run_id +
                            ", which is not running under owner " + run_owner);
}

Result<AppliedTransfer> Operations::ApplyTransfer(const Transfer& t, const std::string& run_owner) {
  ASSIGN_OR_RETURN(const int64_t credited, CappedAmount(t));
  {
    ASSIGN_OR_RETURN(Query query, db_.Prepare(kInsertTransfer));
    BindTransfer(query, t);
    RETURN_IF_ERROR(query.BindInt(18, credited).Run());
  }
  if (db_.Changes() == 0) {
    ASSIGN_OR_RETURN(std::optional<TransferRecord> recorded, FindTransfer(t.id));
    if (!recorded.has_value()) return Err(Internal("transfer " + t.id + " was neither new nor recorded"));
    if (!SameTransferBody(recorded->transfer, t)) {
      return Err(Conflict("transfer " + t.id + " is recorded with another body"));
    }
    return AppliedTransfer{TransferOutcome::kRepeat, recorded->credited_units};
  }
  RETURN_IF_ERROR(AddToTotals(t, credited));
  RETURN_IF_ERROR(AddToRun(t, credited, run_owner));
  return AppliedTransfer{TransferOutcome::kApplied, credited};
}

Result<std::vector<AppliedTransfer>> Operations::ApplyTransfers(
    const std::vector<Transfer>& transfers, const std::string& run_owner) {
  RETURN_IF_ERROR(ValidateCount(transfers.size(), limits_.ledger.transfers_per_call_max,
                                "ApplyTransfers", false));
  for (const Transfer& t : transfers) RETURN_IF_ERROR(ValidateTransfer(t, limits_.ledger));
  std::vector<AppliedTransfer> outcomes;
  outcomes.reserve(transfers.size());
  for (const Transfer& t : transfers) {
    ASSIGN_OR_RETURN(AppliedTransfer applied, ApplyTransfer(t, run_owner));
    outcomes.push_back(applied);
  }
  return outcomes;
}

Result<PaymentOutcome> Operations::PayOne(const UptimePayment& p, const std::string& run_owner) {
  const Transfer& t = p.transfer;
  int64_t paid = 0;
  {
    ASSIGN_OR_RETURN(Query query, db_.Prepare(kSelectUptimeRow));
    ASSIGN_OR_RETURN(const bool row, query.BindText(1, t.principal).BindText(2, t.day).Step());
    if (!row) return Err(InvalidArgument("uptime payment " + t.id + " has no uptime row"));
    if (p.through_minutes > query.Int64(0) / kMsPerMinute) {
      return Err(InvalidArgument("uptime payment " + t.id + " pays minutes that were not measured"));
    }
    paid = query.Int64(1);
  }
  if (paid == p.through_minutes) {
    ASSIGN_OR_RETURN(std::optional<TransferRecord> recorded, FindTransfer(t.id));
    if (!recorded.has_value()) return PaymentOutcome::kStale;
    if (!SameTransferBody(recorded->transfer, t)) {
      return Err(Conflict("transfer " + t.id + " is recorded with another body"));
    }
    return PaymentOutcome::kRepeat;
  }
  if (paid != p.from_minutes) return PaymentOutcome::kStale;
  ASSIGN_OR_RETURN(const AppliedTransfer applied, ApplyTransfer(t, run_owner));
  if (applied.outcome != TransferOutcome::kApplied) {
    return Err(Internal("uptime transfer " + t.id + " is recorded but its minutes are not paid"));
  }
  ASSIGN_OR_RETURN(Query query, db_.Prepare(kSetPaidMinutes));
  RETURN_IF_ERROR(query.BindText(1, t.principal).BindText(2, t.day).BindInt(3, p.through_minutes).Run());
  return PaymentOutcome::kApplied;
}

Result<std::vector<PaymentOutcome>> Operations::PayUptime(const std::vector<UptimePayment>& payments,
                                                          const std::string& run_owner) {
  RETURN_IF_ERROR(ValidateCount(payments.size(), limits_.ledger.transfers_per_call_max, "PayUptime", false));
  for (const UptimePayment& p : payments) RETURN_IF_ERROR(ValidateUptimePayment(p, limits_.ledger));
  std::vector<PaymentOutcome> outcomes;
  outcomes.reserve(payments.size());
  for (const UptimePayment& p : payments) {
    ASSIGN_OR_RETURN(const PaymentOutcome outcome, PayOne(p, run_owner));
    outcomes.push_back(outcome);
  }
  return outcomes;
}

Result<int64_t> Operations::SumOnlineMs(const std::string& principal) {
  ASSIGN_OR_RETURN(Query query, db_.Prepare(kSumOnline));
  ASSIGN_OR_RETURN(const bool row, query.BindText(1, principal).Step());
  return row ? query.Int64(0) : 0;
}

}  // namespace sela::store::sqlite
