// FaultInjectionStore's rewards-ledger operations (see fault_injection_store.h).
#include <utility>

#include "testing/fault_injection_store.h"

namespace sela::testing {

void FaultInjectionStore::ApplyTransfers(std::vector<store::Transfer> transfers, const std::string& run_owner, Callback<std::vector<store::AppliedTransfer>> done) {
  if (auto fault = Pick(StoreOp::kApplyTransfers)) return Refuse(std::move(done), std::move(*fault));
  inner_.ApplyTransfers(std::move(transfers), run_owner, std::move(done));
}

void FaultInjectionStore::PayUptime(std::vector<store::UptimePayment> payments, const std::string& run_owner, Callback<std::vector<store::PaymentOutcome>> done) {
  if (auto fault = Pick(StoreOp::kPayUptime)) return Refuse(std::move(done), std::move(*fault));
  inner_.PayUptime(std::move(payments), run_owner, std::move(done));
}

void FaultInjectionStore::ListUnpaidUptime(const std::string& after_principal, const std::string& after_day, uint32_t limit, Callback<std::vector<store::UptimeDay>> done) {
  if (auto fault = Pick(StoreOp::kListUnpaidUptime)) return Refuse(std::move(done), std::move(*fault));
  inner_.ListUnpaidUptime(after_principal, after_day, limit, std::move(done));
}

void FaultInjectionStore::CountUptimeDays(Callback<store::UptimeDayCounts> done) {
  if (auto fault = Pick(StoreOp::kCountUptimeDays)) return Refuse(std::move(done), std::move(*fault));
  inner_.CountUptimeDays(std::move(done));
}

void FaultInjectionStore::GetAccount(const std::string& principal, Callback<store::AccountSummary> done) {
  if (auto fault = Pick(StoreOp::kGetAccount)) return Refuse(std::move(done), std::move(*fault));
  inner_.GetAccount(principal, std::move(done));
}

void FaultInjectionStore::GetEarningsDays(const std::string& principal, const std::string& from_day, const std::string& to_day, Callback<std::vector<store::EarningsDay>> done) {
  if (auto fault = Pick(StoreOp::kGetEarningsDays)) return Refuse(std::move(done), std::move(*fault));
  inner_.GetEarningsDays(principal, from_day, to_day, std::move(done));
}

void FaultInjectionStore::ListTransfers(const store::TransferQuery& query, Callback<store::TransferPage> done) {
  if (auto fault = Pick(StoreOp::kListTransfers)) return Refuse(std::move(done), std::move(*fault));
  inner_.ListTransfers(query, std::move(done));
}

void FaultInjectionStore::GetTransfer(const std::string& id, Callback<std::optional<store::TransferRecord>> done) {
  if (auto fault = Pick(StoreOp::kGetTransfer)) return Refuse(std::move(done), std::move(*fault));
  inner_.GetTransfer(id, std::move(done));
}

void FaultInjectionStore::ListBalances(const std::string& day, Callback<std::vector<store::Balance>> done) {
  if (auto fault = Pick(StoreOp::kListBalances)) return Refuse(std::move(done), std::move(*fault));
  inner_.ListBalances(day, std::move(done));
}

void FaultInjectionStore::ListBalancesOf(std::vector<std::string> principals, const std::string& day,
                                         Callback<std::vector<store::Balance>> done) {
  if (auto fault = Pick(StoreOp::kListBalancesOf)) return Refuse(std::move(done), std::move(*fault));
  inner_.ListBalancesOf(std::move(principals), day, std::move(done));
}

void FaultInjectionStore::AuditLedger(Callback<store::LedgerAudit> done) {
  if (auto fault = Pick(StoreOp::kAuditLedger)) return Refuse(std::move(done), std::move(*fault));
  inner_.AuditLedger(std::move(done));
}

void FaultInjectionStore::FindNodeByReferralCode(const std::string& code, Callback<std::optional<store::NodeRecord>> done) {
  if (auto fault = Pick(StoreOp::kFindNodeByReferralCode)) return Refuse(std::move(done), std::move(*fault));
  inner_.FindNodeByReferralCode(code, std::move(done));
}

void FaultInjectionStore::RegisterReferral(const std::string& referee, const std::string& code, int64_t now_ms, Callback<store::ReferralOutcome> done) {
  if (auto fault = Pick(StoreOp::kRegisterReferral)) return Refuse(std::move(done), std::move(*fault));
  inner_.RegisterReferral(referee, code, now_ms, std::move(done));
}

void FaultInjectionStore::GetReferral(const std::string& referee, Callback<std::optional<store::ReferralRecord>> done) {
  if (auto fault = Pick(StoreOp::kGetReferral)) return Refuse(std::move(done), std::move(*fault));
  inner_.GetReferral(referee, std::move(done));
}

void FaultInjectionStore::ListReferees(const std::string& referrer, uint32_t limit, Callback<std::vector<store::RefereeEntry>> done) {
  if (auto fault = Pick(StoreOp::kListReferees)) return Refuse(std::move(done), std::move(*fault));
  inner_.ListReferees(referrer, limit, std::move(done));
}

void FaultInjectionStore::CountReferees(const std::string& referrer, Callback<store::ReferralCounts> done) {
  if (auto fault = Pick(StoreOp::kCountReferees)) return Refuse(std::move(done), std::move(*fault));
  inner_.CountReferees(referrer, std::move(done));
}

void FaultInjectionStore::ClaimInstallationBonuses(const store::InstallationClaim& claim, const std::string& run_owner, Callback<std::vector<store::TransferRecord>> done) {
  if (auto fault = Pick(StoreOp::kClaimInstallationBonuses)) return Refuse(std::move(done), std::move(*fault));
  inner_.ClaimInstallationBonuses(claim, run_owner, std::move(done));
}

void FaultInjectionStore::ListRefereeWeeks(const std::string& from_day, const std::string& to_day, const std::string& after_referee, uint32_t limit, Callback<std::vector<store::RefereeWeek>> done) {
  if (auto fault = Pick(StoreOp::kListRefereeWeeks)) return Refuse(std::move(done), std::move(*fault));
  inner_.ListRefereeWeeks(from_day, to_day, after_referee, limit, std::move(done));
}

void FaultInjectionStore::StartRun(const store::RunStart& start, Callback<store::RunStartResult> done) {
  if (auto fault = Pick(StoreOp::kStartRun)) return Refuse(std::move(done), std::move(*fault));
  inner_.StartRun(start, std::move(done));
}

void FaultInjectionStore::FinishRun(const store::RunFinish& finish, Callback<store::RunRecord> done) {
  if (auto fault = Pick(StoreOp::kFinishRun)) return Refuse(std::move(done), std::move(*fault));
  inner_.FinishRun(finish, std::move(done));
}

void FaultInjectionStore::GetRun(const std::string& id, Callback<std::optional<store::RunRecord>> done) {
  if (auto fault = Pick(StoreOp::kGetRun)) return Refuse(std::move(done), std::move(*fault));
  inner_.GetRun(id, std::move(done));
}

void FaultInjectionStore::ListRuns(uint32_t kinds, uint64_t offset, uint32_t limit, Callback<store::RunPage> done) {
  if (auto fault = Pick(StoreOp::kListRuns)) return Refuse(std::move(done), std::move(*fault));
  inner_.ListRuns(kinds, offset, limit, std::move(done));
}

void FaultInjectionStore::CreateSettlements(const store::SettlementBatch& batch, Callback<store::SettlementBatchResult> done) {
  if (auto fault = Pick(StoreOp::kCreateSettlements)) return Refuse(std::move(done), std::move(*fault));
  inner_.CreateSettlements(batch, std::move(done));
}

void FaultInjectionStore::ListDueSettlements(int64_t now_ms, uint32_t limit, Callback<std::vector<store::SettlementRecord>> done) {
  if (auto fault = Pick(StoreOp::kListDueSettlements)) return Refuse(std::move(done), std::move(*fault));
  inner_.ListDueSettlements(now_ms, limit, std::move(done));
}

void FaultInjectionStore::UpdateSettlement(const store::SettlementRecord& record, Callback<store::SettlementRecord> done) {
  if (auto fault = Pick(StoreOp::kUpdateSettlement)) return Refuse(std::move(done), std::move(*fault));
  inner_.UpdateSettlement(record, std::move(done));
}

void FaultInjectionStore::GetSettlement(const std::string& id, Callback<std::optional<store::SettlementRecord>> done) {
  if (auto fault = Pick(StoreOp::kGetSettlement)) return Refuse(std::move(done), std::move(*fault));
  inner_.GetSettlement(id, std::move(done));
}

void FaultInjectionStore::ListSettlements(const store::SettlementQuery& query, Callback<std::vector<store::SettlementRecord>> done) {
  if (auto fault = Pick(StoreOp::kListSettlements)) return Refuse(std::move(done), std::move(*fault));
  inner_.ListSettlements(query, std::move(done));
}

void FaultInjectionStore::GetSettlementSummary(Callback<store::SettlementSummary> done) {
  if (auto fault = Pick(StoreOp::kGetSettlementSummary)) return Refuse(std::move(done), std::move(*fault));
  inner_.GetSettlementSummary(std::move(done));
}

void FaultInjectionStore::GetSettledTotal(const std::string& principal, Callback<store::SettledTotal> done) {
  if (auto fault = Pick(StoreOp::kGetSettledTotal)) return Refuse(std::move(done), std::move(*fault));
  inner_.GetSettledTotal(principal, std::move(done));
}

void FaultInjectionStore::ListSettledTotals(Callback<std::vector<store::SettledTotal>> done) {
  if (auto fault = Pick(StoreOp::kListSettledTotals)) return Refuse(std::move(done), std::move(*fault));
  inner_.ListSettledTotals(std::move(done));
}

void FaultInjectionStore::ListSettledTotalsOf(std::vector<std::string> principals,
                                              Callback<std::vector<store::SettledTotal>> done) {
  if (auto fault = Pick(StoreOp::kListSettledTotalsOf)) return Refuse(std::move(done), std::move(*fault));
  inner_.ListSettledTotalsOf(std::move(principals), std::move(done));
}

void FaultInjectionStore::EnqueueSync(const store::SyncRecord& record, Callback<bool> done) {
  if (auto fault = Pick(StoreOp::kEnqueueSync)) return Refuse(std::move(done), std::move(*fault));
  inner_.EnqueueSync(record, std::move(done));
}

void FaultInjectionStore::ListDueSyncs(int64_t now_ms, uint32_t limit, Callback<std::vector<store::SyncRecord>> done) {
  if (auto fault = Pick(StoreOp::kListDueSyncs)) return Refuse(std::move(done), std::move(*fault));
  inner_.ListDueSyncs(now_ms, limit, std::move(done));
}

void FaultInjectionStore::UpdateSync(const store::SyncRecord& record, Done done) {
  if (auto fault = Pick(StoreOp::kUpdateSync)) return Refuse(std::move(done), std::move(*fault));
  inner_.UpdateSync(record, std::move(done));
}

void FaultInjectionStore::GetSyncSummary(Callback<store::SyncSummary> done) {
  if (auto fault = Pick(StoreOp::kGetSyncSummary)) return Refuse(std::move(done), std::move(*fault));
  inner_.GetSyncSummary(std::move(done));
}

void FaultInjectionStore::ListSyncs(const store::SyncQuery& query, Callback<std::vector<store::SyncRecord>> done) {
  if (auto fault = Pick(StoreOp::kListSyncs)) return Refuse(std::move(done), std::move(*fault));
  inner_.ListSyncs(query, std::move(done));
}

void FaultInjectionStore::BackfillSyncs(const std::string& cursor, uint32_t limit, int64_t now_ms,
                                        Callback<store::SyncBackfillPage> done) {
  if (auto fault = Pick(StoreOp::kBackfillSyncs)) return Refuse(std::move(done), std::move(*fault));
  inner_.BackfillSyncs(cursor, limit, now_ms, std::move(done));
}

}  // namespace sela::testing
