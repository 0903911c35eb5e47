// CrashStore: a Store decorator for tests that kills the "process" at a
// chosen store operation: CrashAtOperation(n) makes operation number n
// (from 0, in issue order) and every later one never reach the wrapped
// store, and from the moment operation n is issued no callback is delivered
// any more, of any operation. What reached the wrapped store before is
// applied (it was submitted), as a process killed between two submissions
// leaves its store. To make operations fail instead, see
// fault_injection_store.h.
//
// Thread-safety: as the wrapped store's; callbacks go where its post sends
// them.
#pragma once

#include <cstdint>
#include <functional>
#include <memory>
#include <utility>
#include <vector>

#include "store/store.h"

namespace sela::testing {

class CrashStore final : public store::Store {
 public:
  explicit CrashStore(store::Store& inner) : inner_(inner) {}

  void CrashAtOperation(uint64_t n) { crash_at_ = n; }
  bool crashed() const { return *crashed_; }
  uint64_t operations() const { return issued_; }

  void Flush() override { inner_.Flush(); }

  void ReserveSessionIds(uint64_t count, Callback<uint64_t> done) override {
    Run([&](auto cb) { inner_.ReserveSessionIds(count, cb); }, std::move(done));
  }
  void RegisterNode(const std::string& principal, const std::string& client_id, int64_t now_ms, Callback<store::NodeRecord> done) override {
    Run([&](auto cb) { inner_.RegisterNode(principal, client_id, now_ms, cb); }, std::move(done));
  }
  void RegisterSignedNode(const std::string& principal, const std::string& client_id, int64_t now_ms, Callback<store::NodeRecord> done) override {
    Run([&](auto cb) { inner_.RegisterSignedNode(principal, client_id, now_ms, cb); }, std::move(done));
  }
  void MarkNodeDisconnected(const std::string& principal, int64_t now_ms, Done done) override {
    Run([&](auto cb) { inner_.MarkNodeDisconnected(principal, now_ms, cb); }, std::move(done));
  }
  void UpdateNodeMetrics(const std::string& principal, const store::NodeMetricsUpdate& update, int64_t now_ms, Done done) override {
    Run([&](auto cb) { inner_.UpdateNodeMetrics(principal, update, now_ms, cb); }, std::move(done));
  }
  void SetNodeStatus(const std::string& principal, store::NodeStatus status, int64_t now_ms, Done done) override {
    Run([&](auto cb) { inner_.SetNodeStatus(principal, status, now_ms, cb); }, std::move(done));
  }
  void SetNodeCapacity(const std::string& principal, uint32_t max_concurrent_jobs, Done done) override {
    Run([&](auto cb) { inner_.SetNodeCapacity(principal, max_concurrent_jobs, cb); }, std::move(done));
  }
  void AddUptime(std::vector<store::UptimeDelta> deltas, int64_t now_ms, Done done) override {
    Run([&](auto cb) { inner_.AddUptime(std::move(deltas), now_ms, cb); }, std::move(done));
  }
  void GetNode(const std::string& principal, Callback<std::optional<store::NodeRecord>> done) override {
    Run([&](auto cb) { inner_.GetNode(principal, cb); }, std::move(done));
  }
  void ListNodes(bool only_active, Callback<std::vector<store::NodeRecord>> done) override {
    Run([&](auto cb) { inner_.ListNodes(only_active, cb); }, std::move(done));
  }
  void ListNodesPage(int64_t after_numeric_id, uint32_t limit, Callback<std::vector<store::NodeRecord>> done) override {
    Run([&](auto cb) { inner_.ListNodesPage(after_numeric_id, limit, cb); }, std::move(done));
  }
  void ExpireNodeRecords(int64_t disconnected_before_ms, uint32_t limit, Callback<uint32_t> done) override {
    Run([&](auto cb) { inner_.ExpireNodeRecords(disconnected_before_ms, limit, cb); }, std::move(done));
  }
  void GetUptimeDays(const std::string& principal, const std::string& from_day, const std::string& to_day, Callback<std::vector<store::UptimeDay>> done) override {
    Run([&](auto cb) { inner_.GetUptimeDays(principal, from_day, to_day, cb); }, std::move(done));
  }
  void GetTotalUptimeMs(const std::string& principal, Callback<int64_t> done) override {
    Run([&](auto cb) { inner_.GetTotalUptimeMs(principal, cb); }, std::move(done));
  }
  void RegisterApiClient(const store::ApiClient& client, Callback<store::ApiClient> done) override {
    Run([&](auto cb) { inner_.RegisterApiClient(client, cb); }, std::move(done));
  }
  void GetApiClient(const std::string& uuid, Callback<std::optional<store::ApiClient>> done) override {
    Run([&](auto cb) { inner_.GetApiClient(uuid, cb); }, std::move(done));
  }
  void FindApiClientByKeyHash(const std::string& key_hash, Callback<std::optional<store::ApiClient>> done) override {
    Run([&](auto cb) { inner_.FindApiClientByKeyHash(key_hash, cb); }, std::move(done));
  }
  void GetUsageLog(const std::string& uuid, int64_t from_ms, int64_t to_ms, Callback<std::vector<int64_t>> done) override {
    Run([&](auto cb) { inner_.GetUsageLog(uuid, from_ms, to_ms, cb); }, std::move(done));
  }
  void CreateJob(const store::CreateJobRequest& request, Callback<store::CreateJobOutcome> done) override {
    Run([&](auto cb) { inner_.CreateJob(request, cb); }, std::move(done));
  }
  void LeaseJob(const std::string& job_id, const store::JobLease& lease, int64_t now_ms, Done done) override {
    Run([&](auto cb) { inner_.LeaseJob(job_id, lease, now_ms, cb); }, std::move(done));
  }
  void CompleteJob(const std::string& job_id, const store::JobCompletion& completion, int64_t now_ms, Callback<store::CompletedJob> done) override {
    Run([&](auto cb) { inner_.CompleteJob(job_id, completion, now_ms, cb); }, std::move(done));
  }
  void ReleaseJob(const std::string& job_id, uint32_t attempt, int64_t now_ms, Done done) override {
    Run([&](auto cb) { inner_.ReleaseJob(job_id, attempt, now_ms, cb); }, std::move(done));
  }
  void FailJob(const std::string& job_id, const store::JobFailure& failure, int64_t now_ms, Done done) override {
    Run([&](auto cb) { inner_.FailJob(job_id, failure, now_ms, cb); }, std::move(done));
  }
  void GetJob(const std::string& job_id, Callback<std::optional<store::JobRecord>> done) override {
    Run([&](auto cb) { inner_.GetJob(job_id, cb); }, std::move(done));
  }
  void ListClientJobs(const std::string& client_uuid, std::optional<store::JobState> state, uint32_t limit, Callback<std::vector<store::JobRecord>> done) override {
    Run([&](auto cb) { inner_.ListClientJobs(client_uuid, state, limit, cb); }, std::move(done));
  }
  void ListOpenJobs(Callback<std::vector<store::JobRecord>> done) override {
    Run([&](auto cb) { inner_.ListOpenJobs(cb); }, std::move(done));
  }
  void GetBlob(const std::string& hash, Callback<std::optional<std::string>> done) override {
    Run([&](auto cb) { inner_.GetBlob(hash, cb); }, std::move(done));
  }
  void ApplyTransfers(std::vector<store::Transfer> transfers, const std::string& run_owner, Callback<std::vector<store::AppliedTransfer>> done) override {
    Run([&](auto cb) { inner_.ApplyTransfers(std::move(transfers), run_owner, cb); }, std::move(done));
  }
  void PayUptime(std::vector<store::UptimePayment> payments, const std::string& run_owner, Callback<std::vector<store::PaymentOutcome>> done) override {
    Run([&](auto cb) { inner_.PayUptime(std::move(payments), run_owner, cb); }, std::move(done));
  }
  void ListUnpaidUptime(const std::string& after_principal, const std::string& after_day, uint32_t limit, Callback<std::vector<store::UptimeDay>> done) override {
    Run([&](auto cb) { inner_.ListUnpaidUptime(after_principal, after_day, limit, cb); }, std::move(done));
  }
  void CountUptimeDays(Callback<store::UptimeDayCounts> done) override {
    Run([&](auto cb) { inner_.CountUptimeDays(cb); }, std::move(done));
  }
  void GetAccount(const std::string& principal, Callback<store::AccountSummary> done) override {
    Run([&](auto cb) { inner_.GetAccount(principal, cb); }, std::move(done));
  }
  void GetEarningsDays(const std::string& principal, const std::string& from_day, const std::string& to_day, Callback<std::vector<store::EarningsDay>> done) override {
    Run([&](auto cb) { inner_.GetEarningsDays(principal, from_day, to_day, cb); }, std::move(done));
  }
  void ListTransfers(const store::TransferQuery& query, Callback<store::TransferPage> done) override {
    Run([&](auto cb) { inner_.ListTransfers(query, cb); }, std::move(done));
  }
  void GetTransfer(const std::string& id, Callback<std::optional<store::TransferRecord>> done) override {
    Run([&](auto cb) { inner_.GetTransfer(id, cb); }, std::move(done));
  }
  void ListBalances(const std::string& day, Callback<std::vector<store::Balance>> done) override {
    Run([&](auto cb) { inner_.ListBalances(day, cb); }, std::move(done));
  }
  void ListBalancesOf(std::vector<std::string> principals, const std::string& day,
                      Callback<std::vector<store::Balance>> done) override {
    Run([&](auto cb) { inner_.ListBalancesOf(std::move(principals), day, cb); }, std::move(done));
  }
  void AuditLedger(Callback<store::LedgerAudit> done) override {
    Run([&](auto cb) { inner_.AuditLedger(cb); }, std::move(done));
  }
  void FindNodeByReferralCode(const std::string& code, Callback<std::optional<store::NodeRecord>> done) override {
    Run([&](auto cb) { inner_.FindNodeByReferralCode(code, cb); }, std::move(done));
  }
  void RegisterReferral(const std::string& referee, const std::string& code, int64_t now_ms, Callback<store::ReferralOutcome> done) override {
    Run([&](auto cb) { inner_.RegisterReferral(referee, code, now_ms, cb); }, std::move(done));
  }
  void GetReferral(const std::string& referee, Callback<std::optional<store::ReferralRecord>> done) override {
    Run([&](auto cb) { inner_.GetReferral(referee, cb); }, std::move(done));
  }
  void ListReferees(const std::string& referrer, uint32_t limit, Callback<std::vector<store::RefereeEntry>> done) override {
    Run([&](auto cb) { inner_.ListReferees(referrer, limit, cb); }, std::move(done));
  }
  void CountReferees(const std::string& referrer, Callback<store::ReferralCounts> done) override {
    Run([&](auto cb) { inner_.CountReferees(referrer, cb); }, std::move(done));
  }
  void ClaimInstallationBonuses(const store::InstallationClaim& claim, const std::string& run_owner, Callback<std::vector<store::TransferRecord>> done) override {
    Run([&](auto cb) { inner_.ClaimInstallationBonuses(claim, run_owner, cb); }, std::move(done));
  }
  void ListRefereeWeeks(const std::string& from_day, const std::string& to_day, const std::string& after_referee, uint32_t limit, Callback<std::vector<store::RefereeWeek>> done) override {
    Run([&](auto cb) { inner_.ListRefereeWeeks(from_day, to_day, after_referee, limit, cb); }, std::move(done));
  }
  void StartRun(const store::RunStart& start, Callback<store::RunStartResult> done) override {
    Run([&](auto cb) { inner_.StartRun(start, cb); }, std::move(done));
  }
  void FinishRun(const store::RunFinish& finish, Callback<store::RunRecord> done) override {
    Run([&](auto cb) { inner_.FinishRun(finish, cb); }, std::move(done));
  }
  void GetRun(const std::string& id, Callback<std::optional<store::RunRecord>> done) override {
    Run([&](auto cb) { inner_.GetRun(id, cb); }, std::move(done));
  }
  void ListRuns(uint32_t kinds, uint64_t offset, uint32_t limit, Callback<store::RunPage> done) override {
    Run([&](auto cb) { inner_.ListRuns(kinds, offset, limit, cb); }, std::move(done));
  }
  void CreateSettlements(const store::SettlementBatch& batch, Callback<store::SettlementBatchResult> done) override {
    Run([&](auto cb) { inner_.CreateSettlements(batch, cb); }, std::move(done));
  }
  void ListDueSettlements(int64_t now_ms, uint32_t limit, Callback<std::vector<store::SettlementRecord>> done) override {
    Run([&](auto cb) { inner_.ListDueSettlements(now_ms, limit, cb); }, std::move(done));
  }
  void UpdateSettlement(const store::SettlementRecord& record, Callback<store::SettlementRecord> done) override {
    Run([&](auto cb) { inner_.UpdateSettlement(record, cb); }, std::move(done));
  }
  void GetSettlement(const std::string& id, Callback<std::optional<store::SettlementRecord>> done) override {
    Run([&](auto cb) { inner_.GetSettlement(id, cb); }, std::move(done));
  }
  void ListSettlements(const store::SettlementQuery& query, Callback<std::vector<store::SettlementRecord>> done) override {
    Run([&](auto cb) { inner_.ListSettlements(query, cb); }, std::move(done));
  }
  void GetSettlementSummary(Callback<store::SettlementSummary> done) override {
    Run([&](auto cb) { inner_.GetSettlementSummary(cb); }, std::move(done));
  }
  void GetSettledTotal(const std::string& principal, Callback<store::SettledTotal> done) override {
    Run([&](auto cb) { inner_.GetSettledTotal(principal, cb); }, std::move(done));
  }
  void ListSettledTotals(Callback<std::vector<store::SettledTotal>> done) override {
    Run([&](auto cb) { inner_.ListSettledTotals(cb); }, std::move(done));
  }
  void ListSettledTotalsOf(std::vector<std::string> principals,
                           Callback<std::vector<store::SettledTotal>> done) override {
    Run([&](auto cb) { inner_.ListSettledTotalsOf(std::move(principals), cb); }, std::move(done));
  }
  void EnqueueSync(const store::SyncRecord& record, Callback<bool> done) override {
    Run([&](auto cb) { inner_.EnqueueSync(record, cb); }, std::move(done));
  }
  void ListDueSyncs(int64_t now_ms, uint32_t limit, Callback<std::vector<store::SyncRecord>> done) override {
    Run([&](auto cb) { inner_.ListDueSyncs(now_ms, limit, cb); }, std::move(done));
  }
  void UpdateSync(const store::SyncRecord& record, Done done) override {
    Run([&](auto cb) { inner_.UpdateSync(record, cb); }, std::move(done));
  }
  void GetSyncSummary(Callback<store::SyncSummary> done) override {
    Run([&](auto cb) { inner_.GetSyncSummary(cb); }, std::move(done));
  }
  void ListSyncs(const store::SyncQuery& query, Callback<std::vector<store::SyncRecord>> done) override {
    Run([&](auto cb) { inner_.ListSyncs(query, cb); }, std::move(done));
  }
  void BackfillSyncs(const std::string& cursor, uint32_t limit, int64_t now_ms,
                     Callback<store::SyncBackfillPage> done) override {
    Run([&](auto cb) { inner_.BackfillSyncs(cursor, limit, now_ms, cb); }, std::move(done));
  }
  void Ping(Done done) override {
    Run([&](auto cb) { inner_.Ping(cb); }, std::move(done));
  }

  // Files and marketplace.
  void CreateFile(const store::FileRecord& file, const store::FileQuota& quota, Callback<store::FileRecord> done) override {
    Run([&](auto cb) { inner_.CreateFile(file, quota, cb); }, std::move(done));
  }
  void GetFile(const std::string& file_id, Callback<std::optional<store::FileRecord>> done) override {
    Run([&](auto cb) { inner_.GetFile(file_id, cb); }, std::move(done));
  }
  void GetFileChunk(const std::string& file_id, uint32_t index, Callback<std::optional<store::FileChunk>> done) override {
    Run([&](auto cb) { inner_.GetFileChunk(file_id, index, cb); }, std::move(done));
  }
  void PutFileChunk(const std::string& file_id, const std::string& owner, const store::FileChunk& chunk, int64_t now_ms, int64_t ttl_ms, Callback<store::ChunkOutcome> done) override {
    Run([&](auto cb) { inner_.PutFileChunk(file_id, owner, chunk, now_ms, ttl_ms, cb); }, std::move(done));
  }
  void ListFileChunks(const std::string& file_id, Callback<std::vector<store::FileChunk>> done) override {
    Run([&](auto cb) { inner_.ListFileChunks(file_id, cb); }, std::move(done));
  }
  void CompleteFile(const std::string& file_id, const std::string& owner, const std::string& sha256, int64_t now_ms, Callback<store::FileCompleteOutcome> done) override {
    Run([&](auto cb) { inner_.CompleteFile(file_id, owner, sha256, now_ms, cb); }, std::move(done));
  }
  void ListFiles(const store::FileListQuery& query, Callback<std::vector<store::FileRecord>> done) override {
    Run([&](auto cb) { inner_.ListFiles(query, cb); }, std::move(done));
  }
  void ListJobFiles(const std::string& job_id, uint32_t limit, Callback<std::vector<store::FileRecord>> done) override {
    Run([&](auto cb) { inner_.ListJobFiles(job_id, limit, cb); }, std::move(done));
  }
  void DeleteFile(const std::string& file_id, const std::string& owner, Callback<store::DeletedFile> done) override {
    Run([&](auto cb) { inner_.DeleteFile(file_id, owner, cb); }, std::move(done));
  }
  void ExpireUploads(int64_t now_ms, uint32_t limit, Callback<std::vector<store::FileRecord>> done) override {
    Run([&](auto cb) { inner_.ExpireUploads(now_ms, limit, cb); }, std::move(done));
  }
  void IsBlobUsed(const std::string& sha256, Callback<bool> done) override {
    Run([&](auto cb) { inner_.IsBlobUsed(sha256, cb); }, std::move(done));
  }
  void SetListingDefault(const std::string& client_uuid, bool listed, Done done) override {
    Run([&](auto cb) { inner_.SetListingDefault(client_uuid, listed, cb); }, std::move(done));
  }
  void SetJobListed(const std::string& job_id, const std::string& client_uuid, bool listed, Done done) override {
    Run([&](auto cb) { inner_.SetJobListed(job_id, client_uuid, listed, cb); }, std::move(done));
  }
  void ListMarketJobs(const store::MarketQuery& query, Callback<store::MarketPage> done) override {
    Run([&](auto cb) { inner_.ListMarketJobs(query, cb); }, std::move(done));
  }
  void GetMarketJob(const std::string& job_id, Callback<std::optional<store::MarketJob>> done) override {
    Run([&](auto cb) { inner_.GetMarketJob(job_id, cb); }, std::move(done));
  }
  void GetMarketStats(int64_t since_ms, Callback<store::MarketStats> done) override {
    Run([&](auto cb) { inner_.GetMarketStats(since_ms, cb); }, std::move(done));
  }
  void CountMarketEvent(const std::string& job_id, store::MarketCounter counter, Done done) override {
    Run([&](auto cb) { inner_.CountMarketEvent(job_id, counter, cb); }, std::move(done));
  }
  void RecordPurchase(const std::string& client_uuid, const std::string& job_id, int64_t now_ms, Callback<store::PurchaseOutcome> done) override {
    Run([&](auto cb) { inner_.RecordPurchase(client_uuid, job_id, now_ms, cb); }, std::move(done));
  }
  void GetPurchase(const std::string& client_uuid, const std::string& job_id, Callback<std::optional<store::Purchase>> done) override {
    Run([&](auto cb) { inner_.GetPurchase(client_uuid, job_id, cb); }, std::move(done));
  }

 private:
  template <typename Issue, typename R>
  void Run(Issue&& issue, std::function<void(R)> done) {
    const uint64_t n = issued_++;
    if (n >= crash_at_) *crashed_ = true;
    if (*crashed_) return;
    issue(std::function<void(R)>([crashed = crashed_, done = std::move(done)](R r) {
      if (!*crashed) done(std::move(r));
    }));
  }

  store::Store& inner_;
  uint64_t issued_ = 0;
  uint64_t crash_at_ = UINT64_MAX;
  std::shared_ptr<bool> crashed_ = std::make_shared<bool>(false);
};

}  // namespace sela::testing
