// FaultInjectionStore: a Store decorator for tests that makes chosen
// operations fail, as LevelDB's db/fault_injection_test.cc does with its
// environment. Every operation goes to the wrapped store unless a fault
// picks it: the Nth operation from now (of any kind), or the operations of
// one kind (every one, or the next few).
//
// A refused operation never reaches the wrapped store (nothing is applied)
// and its callback gets the fault's Status. It is delivered through the
// wrapped store's queue (behind a Ping), so it keeps the Store contract:
// in issue order, on the thread the wrapped store posts to.
//
// Thread-safety: call from one thread (the test's); the wrapped store's own
// guarantees apply to what goes through.
#pragma once

#include <array>
#include <cstdint>
#include <optional>
#include <string>
#include <vector>

#include "core/status.h"
#include "store/store.h"

namespace sela::testing {

enum class StoreOp : uint8_t {
  kReserveSessionIds, kRegisterNode, kRegisterSignedNode, kMarkNodeDisconnected, kUpdateNodeMetrics,
  kSetNodeStatus, kSetNodeCapacity, kAddUptime, kGetNode, kListNodes, kListNodesPage, kExpireNodeRecords,
  kGetUptimeDays, kGetTotalUptimeMs,
  kRegisterApiClient, kGetApiClient, kFindApiClientByKeyHash, kGetUsageLog, kCreateJob, kLeaseJob,
  kCompleteJob, kReleaseJob, kFailJob, kGetJob, kListClientJobs, kListOpenJobs, kGetBlob, kPing,
  // Files and marketplace (store/file_types.h).
  kCreateFile, kGetFile, kGetFileChunk, kPutFileChunk, kListFileChunks, kCompleteFile, kListFiles,
  kListJobFiles, kDeleteFile, kExpireUploads, kIsBlobUsed, kSetListingDefault, kSetJobListed,
  kListMarketJobs, kGetMarketJob, kGetMarketStats, kCountMarketEvent, kRecordPurchase, kGetPurchase,
  // The rewards ledger (fault_injection_store_ledger.cc).
  kApplyTransfers, kPayUptime, kListUnpaidUptime, kCountUptimeDays, kGetAccount, kGetEarningsDays,
  kListTransfers, kGetTransfer, kListBalances, kAuditLedger, kFindNodeByReferralCode,
  kRegisterReferral, kGetReferral, kListReferees, kCountReferees, kClaimInstallationBonuses,
  kListRefereeWeeks, kStartRun, kFinishRun, kGetRun, kListRuns,
  kListBalancesOf, kListSettledTotalsOf,  // Ledger and settlement reads by principal.
  kCreateSettlements, kListDueSettlements, kUpdateSettlement, kGetSettlement, kListSettlements, kGetSettlementSummary, kGetSettledTotal, kListSettledTotals,
  kEnqueueSync, kListDueSyncs, kUpdateSync, kGetSyncSummary, kListSyncs, kBackfillSyncs,
  kCount,
};

class FaultInjectionStore final : public store::Store {
 public:
  explicit FaultInjectionStore(store::Store& inner) : inner_(inner) {}

  // The nth operation issued from now (1: the next one), whatever its kind,
  // fails with `status`.
  void FailNth(uint64_t n, Status status);
  // The next `times` operations of kind `op` (0: all of them, until Heal)
  // fail with `status`.
  void FailOp(StoreOp op, Status status, uint32_t times = 0);
  // No more faults.
  void Heal();

  // Operations issued through this store, refused ones included.
  uint64_t issued(StoreOp op) const { return issued_[static_cast<size_t>(op)]; }
  uint64_t refused() const { return refused_; }

  void ReserveSessionIds(uint64_t count, Callback<uint64_t> done) override;
  void RegisterNode(const std::string& principal, const std::string& client_id, int64_t now_ms,
                    Callback<store::NodeRecord> done) override;
  void RegisterSignedNode(const std::string& principal, const std::string& client_id, int64_t now_ms,
                          Callback<store::NodeRecord> done) override;
  void MarkNodeDisconnected(const std::string& principal, int64_t now_ms, Done done) override;
  void UpdateNodeMetrics(const std::string& principal, const store::NodeMetricsUpdate& update,
                         int64_t now_ms, Done done) override;
  void SetNodeStatus(const std::string& principal, store::NodeStatus status, int64_t now_ms,
                     Done done) override;
  void SetNodeCapacity(const std::string& principal, uint32_t max_concurrent_jobs, Done done) override;
  void AddUptime(std::vector<store::UptimeDelta> deltas, int64_t now_ms, Done done) override;
  void GetNode(const std::string& principal, Callback<std::optional<store::NodeRecord>> done) override;
  void ListNodes(bool only_active, Callback<std::vector<store::NodeRecord>> done) override;
  void ListNodesPage(int64_t after_numeric_id, uint32_t limit, Callback<std::vector<store::NodeRecord>> done) override;
  void ExpireNodeRecords(int64_t disconnected_before_ms, uint32_t limit, Callback<uint32_t> done) override;
  void GetUptimeDays(const std::string& principal, const std::string& from_day, const std::string& to_day,
                     Callback<std::vector<store::UptimeDay>> done) override;
  void GetTotalUptimeMs(const std::string& principal, Callback<int64_t> done) override;
  void RegisterApiClient(const store::ApiClient& client, Callback<store::ApiClient> done) override;
  void GetApiClient(const std::string& uuid, Callback<std::optional<store::ApiClient>> done) override;
  void FindApiClientByKeyHash(const std::string& key_hash,
                              Callback<std::optional<store::ApiClient>> done) override;
  void GetUsageLog(const std::string& uuid, int64_t from_ms, int64_t to_ms,
                   Callback<std::vector<int64_t>> done) override;
  void CreateJob(const store::CreateJobRequest& request, Callback<store::CreateJobOutcome> done) override;
  void LeaseJob(const std::string& job_id, const store::JobLease& lease, int64_t now_ms, Done done) override;
  void CompleteJob(const std::string& job_id, const store::JobCompletion& completion, int64_t now_ms,
                   Callback<store::CompletedJob> done) override;
  void ReleaseJob(const std::string& job_id, uint32_t attempt, int64_t now_ms, Done done) override;
  void FailJob(const std::string& job_id, const store::JobFailure& failure, int64_t now_ms,
               Done done) override;
  void GetJob(const std::string& job_id, Callback<std::optional<store::JobRecord>> done) override;
  void ListClientJobs(const std::string& client_uuid, std::optional<store::JobState> state, uint32_t limit,
                      Callback<std::vector<store::JobRecord>> done) override;
  void ListOpenJobs(Callback<std::vector<store::JobRecord>> done) override;
  void GetBlob(const std::string& hash, Callback<std::optional<std::string>> done) override;
  void Ping(Done done) override;
  void CreateFile(const store::FileRecord& file, const store::FileQuota& quota,
                  Callback<store::FileRecord> done) override;
  void GetFile(const std::string& file_id, Callback<std::optional<store::FileRecord>> done) override;
  void GetFileChunk(const std::string& file_id, uint32_t index,
                    Callback<std::optional<store::FileChunk>> done) override;
  void PutFileChunk(const std::string& file_id, const std::string& owner, const store::FileChunk& chunk,
                    int64_t now_ms, int64_t ttl_ms, Callback<store::ChunkOutcome> done) override;
  void ListFileChunks(const std::string& file_id, Callback<std::vector<store::FileChunk>> done) override;
  void CompleteFile(const std::string& file_id, const std::string& owner, const std::string& sha256,
                    int64_t now_ms, Callback<store::FileCompleteOutcome> done) override;
  void ListFiles(const store::FileListQuery& query, Callback<std::vector<store::FileRecord>> done) override;
  void ListJobFiles(const std::string& job_id, uint32_t limit,
                    Callback<std::vector<store::FileRecord>> done) override;
  void DeleteFile(const std::string& file_id, const std::string& owner,
                  Callback<store::DeletedFile> done) override;
  void ExpireUploads(int64_t now_ms, uint32_t limit, Callback<std::vector<store::FileRecord>> done) override;
  void IsBlobUsed(const std::string& sha256, Callback<bool> done) override;
  void SetListingDefault(const std::string& client_uuid, bool listed, Done done) override;
  void SetJobListed(const std::string& job_id, const std::string& client_uuid, bool listed, Done done) override;
  void ListMarketJobs(const store::MarketQuery& query, Callback<store::MarketPage> done) override;
  void GetMarketJob(const std::string& job_id, Callback<std::optional<store::MarketJob>> done) override;
  void GetMarketStats(int64_t since_ms, Callback<store::MarketStats> done) override;
  void CountMarketEvent(const std::string& job_id, store::MarketCounter counter, Done done) override;
  void RecordPurchase(const std::string& client_uuid, const std::string& job_id, int64_t now_ms,
                      Callback<store::PurchaseOutcome> done) override;
  void GetPurchase(const std::string& client_uuid, const std::string& job_id,
                   Callback<std::optional<store::Purchase>> done) override;
  void Flush() override { inner_.Flush(); }

  void ApplyTransfers(std::vector<store::Transfer> transfers, const std::string& run_owner, Callback<std::vector<store::AppliedTransfer>> done) override;
  void PayUptime(std::vector<store::UptimePayment> payments, const std::string& run_owner, Callback<std::vector<store::PaymentOutcome>> done) override;
  void ListUnpaidUptime(const std::string& after_principal, const std::string& after_day, uint32_t limit, Callback<std::vector<store::UptimeDay>> done) override;
  void CountUptimeDays(Callback<store::UptimeDayCounts> done) override;
  void GetAccount(const std::string& principal, Callback<store::AccountSummary> done) override;
  void GetEarningsDays(const std::string& principal, const std::string& from_day, const std::string& to_day, Callback<std::vector<store::EarningsDay>> done) override;
  void ListTransfers(const store::TransferQuery& query, Callback<store::TransferPage> done) override;
  void GetTransfer(const std::string& id, Callback<std::optional<store::TransferRecord>> done) override;
  void ListBalances(const std::string& day, Callback<std::vector<store::Balance>> done) override;
  void ListBalancesOf(std::vector<std::string> principals, const std::string& day,
                      Callback<std::vector<store::Balance>> done) override;
  void AuditLedger(Callback<store::LedgerAudit> done) override;
  void FindNodeByReferralCode(const std::string& code, Callback<std::optional<store::NodeRecord>> done) override;
  void RegisterReferral(const std::string& referee, const std::string& code, int64_t now_ms, Callback<store::ReferralOutcome> done) override;
  void GetReferral(const std::string& referee, Callback<std::optional<store::ReferralRecord>> done) override;
  void ListReferees(const std::string& referrer, uint32_t limit, Callback<std::vector<store::RefereeEntry>> done) override;
  void CountReferees(const std::string& referrer, Callback<store::ReferralCounts> done) override;
  void ClaimInstallationBonuses(const store::InstallationClaim& claim, const std::string& run_owner, Callback<std::vector<store::TransferRecord>> done) override;
  void ListRefereeWeeks(const std::string& from_day, const std::string& to_day, const std::string& after_referee, uint32_t limit, Callback<std::vector<store::RefereeWeek>> done) override;
  void StartRun(const store::RunStart& start, Callback<store::RunStartResult> done) override;
  void FinishRun(const store::RunFinish& finish, Callback<store::RunRecord> done) override;
  void GetRun(const std::string& id, Callback<std::optional<store::RunRecord>> done) override;
  void ListRuns(uint32_t kinds, uint64_t offset, uint32_t limit, Callback<store::RunPage> done) override;
  void CreateSettlements(const store::SettlementBatch& batch, Callback<store::SettlementBatchResult> done) override;
  void ListDueSettlements(int64_t now_ms, uint32_t limit, Callback<std::vector<store::SettlementRecord>> done) override;
  void UpdateSettlement(const store::SettlementRecord& record, Callback<store::SettlementRecord> done) override;
  void GetSettlement(const std::string& id, Callback<std::optional<store::SettlementRecord>> done) override;
  void ListSettlements(const store::SettlementQuery& query, Callback<std::vector<store::SettlementRecord>> done) override;
  void GetSettlementSummary(Callback<store::SettlementSummary> done) override;
  void GetSettledTotal(const std::string& principal, Callback<store::SettledTotal> done) override;
  void ListSettledTotals(Callback<std::vector<store::SettledTotal>> done) override;
  void ListSettledTotalsOf(std::vector<std::string> principals,
                           Callback<std::vector<store::SettledTotal>> done) override;
  void EnqueueSync(const store::SyncRecord& record, Callback<bool> done) override;
  void ListDueSyncs(int64_t now_ms, uint32_t limit, Callback<std::vector<store::SyncRecord>> done) override;
  void UpdateSync(const store::SyncRecord& record, Done done) override;
  void GetSyncSummary(Callback<store::SyncSummary> done) override;
  void ListSyncs(const store::SyncQuery& query, Callback<std::vector<store::SyncRecord>> done) override;
  void BackfillSyncs(const std::string& cursor, uint32_t limit, int64_t now_ms,
                     Callback<store::SyncBackfillPage> done) override;

 private:
  struct OpFault {
    Status status;
    uint32_t left = 0;  // 0: every one.
  };

  // Counts the operation; the Status to fail it with, if a fault picks it.
  std::optional<Status> Pick(StoreOp op);
  // Delivers `status` to `done` in the wrapped store's order.
  template <typename Cb>
  void Refuse(Cb done, Status status) {
    inner_.Ping([done = std::move(done), status = std::move(status)](Status) { done(Err(status)); });
  }

  store::Store& inner_;
  std::array<uint64_t, static_cast<size_t>(StoreOp::kCount)> issued_{};
  std::array<std::optional<OpFault>, static_cast<size_t>(StoreOp::kCount)> op_faults_{};
  uint64_t nth_left_ = 0;  // 0: no FailNth fault.
  Status nth_status_;
  uint64_t refused_ = 0;
};

}  // namespace sela::testing
