// SqliteStore's rewards-ledger operations: each queues its body for the
// writer thread (see sqlite_store.cc for the rest).
#include "store/sqlite/sqlite_store.h"

#include <utility>

#include "store/sqlite/batch_writer.h"
#include "store/sqlite/make_op.h"

namespace sela::store {

using sqlite::MakeOp;
using sqlite::Operations;

void SqliteStore::ApplyTransfers(std::vector<Transfer> transfers, const std::string& run_owner, Callback<std::vector<AppliedTransfer>> done) {
  writer_->Submit(MakeOp<std::vector<AppliedTransfer>>(
      "ApplyTransfers", [transfers = std::move(transfers), run_owner](Operations& ops) { return ops.ApplyTransfers(transfers, run_owner); }, std::move(done)));
}

void SqliteStore::PayUptime(std::vector<UptimePayment> payments, const std::string& run_owner, Callback<std::vector<PaymentOutcome>> done) {
  writer_->Submit(MakeOp<std::vector<PaymentOutcome>>(
      "PayUptime", [payments = std::move(payments), run_owner](Operations& ops) { return ops.PayUptime(payments, run_owner); }, std::move(done)));
}

void SqliteStore::ListUnpaidUptime(const std::string& after_principal, const std::string& after_day, uint32_t limit, Callback<std::vector<UptimeDay>> done) {
  writer_->Submit(MakeOp<std::vector<UptimeDay>>(
      "ListUnpaidUptime", [after_principal, after_day, limit](Operations& ops) { return ops.ListUnpaidUptime(after_principal, after_day, limit); }, std::move(done)));
}

void SqliteStore::CountUptimeDays(Callback<UptimeDayCounts> done) {
  writer_->Submit(MakeOp<UptimeDayCounts>(
      "CountUptimeDays", [](Operations& ops) { return ops.CountUptimeDays(); }, std::move(done)));
}

void SqliteStore::GetAccount(const std::string& principal, Callback<AccountSummary> done) {
  writer_->Submit(MakeOp<AccountSummary>(
      "GetAccount", [principal](Operations& ops) { return ops.GetAccount(principal); }, std::move(done)));
}

void SqliteStore::GetEarningsDays(const std::string& principal, const std::string& from_day, const std::string& to_day, Callback<std::vector<EarningsDay>> done) {
  writer_->Submit(MakeOp<std::vector<EarningsDay>>(
      "GetEarningsDays", [principal, from_day, to_day](Operations& ops) { return ops.GetEarningsDays(principal, from_day, to_day); }, std::move(done)));
}

void SqliteStore::ListTransfers(const TransferQuery& query, Callback<TransferPage> done) {
  writer_->Submit(MakeOp<TransferPage>(
      "ListTransfers", [query](Operations& ops) { return ops.ListTransfers(query); }, std::move(done)));
}

void SqliteStore::GetTransfer(const std::string& id, Callback<std::optional<TransferRecord>> done) {
  writer_->Submit(MakeOp<std::optional<TransferRecord>>(
      "GetTransfer", [id](Operations& ops) { return ops.GetTransfer(id); }, std::move(done)));
}

void SqliteStore::ListBalances(const std::string& day, Callback<std::vector<Balance>> done) {
  writer_->Submit(MakeOp<std::vector<Balance>>(
      "ListBalances", [day](Operations& ops) { return ops.ListBalances(day); }, std::move(done)));
}

void SqliteStore::ListBalancesOf(std::vector<std::string> principals, const std::string& day,
                                 Callback<std::vector<Balance>> done) {
  writer_->Submit(MakeOp<std::vector<Balance>>(
      "ListBalancesOf",
      [principals = std::move(principals), day](Operations& ops) { return ops.ListBalancesOf(principals, day); },
      std::move(done)));
}

void SqliteStore::AuditLedger(Callback<LedgerAudit> done) {
  writer_->Submit(MakeOp<LedgerAudit>(
      "AuditLedger", [](Operations& ops) { return ops.AuditLedger(); }, std::move(done)));
}

void SqliteStore::FindNodeByReferralCode(const std::string& code, Callback<std::optional<NodeRecord>> done) {
  writer_->Submit(MakeOp<std::optional<NodeRecord>>(
      "FindNodeByReferralCode", [code](Operations& ops) { return ops.FindNodeByReferralCode(code); }, std::move(done)));
}

void SqliteStore::RegisterReferral(const std::string& referee, const std::string& code, int64_t now_ms, Callback<ReferralOutcome> done) {
  writer_->Submit(MakeOp<ReferralOutcome>(
      "RegisterReferral", [referee, code, now_ms](Operations& ops) { return ops.RegisterReferral(referee, code, now_ms); }, std::move(done)));
}

void SqliteStore::GetReferral(const std::string& referee, Callback<std::optional<ReferralRecord>> done) {
  writer_->Submit(MakeOp<std::optional<ReferralRecord>>(
      "GetReferral", [referee](Operations& ops) { return ops.GetReferral(referee); }, std::move(done)));
}

void SqliteStore::ListReferees(const std::string& referrer, uint32_t limit, Callback<std::vector<RefereeEntry>> done) {
  writer_->Submit(MakeOp<std::vector<RefereeEntry>>(
      "ListReferees", [referrer, limit](Operations& ops) { return ops.ListReferees(referrer, limit); }, std::move(done)));
}

void SqliteStore::CountReferees(const std::string& referrer, Callback<ReferralCounts> done) {
  writer_->Submit(MakeOp<ReferralCounts>(
      "CountReferees", [referrer](Operations& ops) { return ops.CountReferees(referrer); }, std::move(done)));
}

void SqliteStore::ClaimInstallationBonuses(const InstallationClaim& claim, const std::string& run_owner, Callback<std::vector<TransferRecord>> done) {
  writer_->Submit(MakeOp<std::vector<TransferRecord>>(
      "ClaimInstallationBonuses", [claim, run_owner](Operations& ops) { return ops.ClaimInstallationBonuses(claim, run_owner); }, std::move(done)));
}

void SqliteStore::ListRefereeWeeks(const std::string& from_day, const std::string& to_day, const std::string& after_referee, uint32_t limit, Callback<std::vector<RefereeWeek>> done) {
  writer_->Submit(MakeOp<std::vector<RefereeWeek>>(
      "ListRefereeWeeks", [from_day, to_day, after_referee, limit](Operations& ops) { return ops.ListRefereeWeeks(from_day, to_day, after_referee, limit); }, std::move(done)));
}

void SqliteStore::StartRun(const RunStart& start, Callback<RunStartResult> done) {
  writer_->Submit(MakeOp<RunStartResult>(
      "StartRun", [start](Operations& ops) { return ops.StartRun(start); }, std::move(done)));
}

void SqliteStore::FinishRun(const RunFinish& finish, Callback<RunRecord> done) {
  writer_->Submit(MakeOp<RunRecord>(
      "FinishRun", [finish](Operations& ops) { return ops.FinishRun(finish); }, std::move(done)));
}

void SqliteStore::GetRun(const std::string& id, Callback<std::optional<RunRecord>> done) {
  writer_->Submit(MakeOp<std::optional<RunRecord>>(
      "GetRun", [id](Operations& ops) { return ops.GetRun(id); }, std::move(done)));
}

void SqliteStore::ListRuns(uint32_t kinds, uint64_t offset, uint32_t limit, Callback<RunPage> done) {
  writer_->Submit(MakeOp<RunPage>(
      "ListRuns", [kinds, offset, limit](Operations& ops) { return ops.ListRuns(kinds, offset, limit); }, std::move(done)));
}

}  // namespace sela::store
