// Operations: the Store's operations as synchronous SQL against an open
// Database. Each call runs inside a transaction (and savepoint) that the
// batch writer opened, so a call that returns an error may leave partial
// writes behind for the writer to roll back; callers must not commit them.
//
// Thread-safety: used only by the writer thread that owns the Database.
#pragma once

#include <cstdint>
#include <functional>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "core/status.h"
#include "store/sqlite/database.h"
#include "store/store.h"
#include "store/validate.h"
#include "store/validate_ledger.h"

namespace sela::store::sqlite {

struct OperationLimits {
  uint32_t principal_bytes_max = 256;
  uint32_t client_id_bytes_max = 64;
  // Fresh codes drawn before registration gives up; with 36^8 codes a
  // second collision in a row means the random source is broken.
  uint32_t referral_code_attempts_max = 16;
  uint64_t session_ids_per_reserve_max = 1'000'000;
  JobLimits jobs;
  uint32_t jobs_per_list_max = 10'000;  // ListClientJobs' limit.
  LedgerLimits ledger;
  // RegisterReferral walks at most this many ancestors looking for a cycle.
  uint32_t referral_depth_max = 10'000;
  uint32_t rows_per_read_max = 100'000;  // ListUnpaidUptime, ListReferees, ... limits.
  uint32_t nodes_per_page_max = 10'000;  // ListNodesPage's limit.
  // Not a limit: CompleteJob and CompleteFile insert the content's sync row
  // in their own transaction (store.h "File-canister sync journal";
  // SqliteOptions::canister_sync). It travels with the limits so that the
  // writer, which builds the Operations, need not know of it.
  bool canister_sync = false;
};

class Operations {
 public:
  // `random` is the seeded source of referral codes; it is called only from
  // the thread that runs the operations.
  Operations(Database& db, std::function<uint64_t()> random, OperationLimits limits)
      : db_(db), random_(std::move(random)), limits_(limits) {}

  Result<uint64_t> ReserveSessionIds(uint64_t count);
  Result<NodeRecord> RegisterNode(const std::string& principal, const std::string& client_id,
                                  int64_t now_ms, bool is_signed);
  Status MarkNodeDisconnected(const std::string& principal, int64_t now_ms);
  Status UpdateNodeMetrics(const std::string& principal, const NodeMetricsUpdate& update,
                           int64_t now_ms);
  Status SetNodeStatus(const std::string& principal, NodeStatus status, int64_t now_ms);
  Status SetNodeCapacity(const std::string& principal, uint32_t max_concurrent_jobs);
  Status AddUptime(const std::vector<UptimeDelta>& deltas, int64_t now_ms);
  Result<std::optional<NodeRecord>> GetNode(const std::string& principal);
  Result<std::vector<NodeRecord>> ListNodes(bool only_active);
  Result<std::vector<NodeRecord>> ListNodesPage(int64_t after_numeric_id, uint32_t limit);
  Result<uint32_t> ExpireNodeRecords(int64_t disconnected_before_ms, uint32_t limit);
  Result<std::vector<UptimeDay>> GetUptimeDays(const std::string& principal,
                                               const std::string& from_day,
                                               const std::string& to_day);
  Result<int64_t> GetTotalUptimeMs(const std::string& principal);
  Status Ping();

  // API clients and jobs (operations_jobs.cc).
  Result<ApiClient> RegisterApiClient(const ApiClient& client);
  Result<std::optional<ApiClient>> GetApiClient(const std::string& uuid);
  Result<std::optional<ApiClient>> FindApiClientByKeyHash(const std::string& key_hash);
  Result<std::vector<int64_t>> GetUsageLog(const std::string& uuid, int64_t from_ms,
                                           int64_t to_ms);
  Result<CreateJobOutcome> CreateJob(const CreateJobRequest& request);
  Status LeaseJob(const std::string& job_id, const JobLease& lease, int64_t now_ms);
  Result<CompletedJob> CompleteJob(const std::string& job_id, const JobCompletion& completion,
                                   int64_t now_ms);
  Status ReleaseJob(const std::string& job_id, uint32_t attempt, int64_t now_ms);
  Status FailJob(const std::string& job_id, const JobFailure& failure, int64_t now_ms);
  Result<std::optional<JobRecord>> GetJob(const std::string& job_id);
  Result<std::vector<JobRecord>> ListClientJobs(const std::string& client_uuid,
                                                std::optional<JobState> state, uint32_t limit);
  Result<std::vector<JobRecord>> ListOpenJobs();
  Result<std::optional<std::string>> GetBlob(const std::string& hash);

  // Files (operations_files.cc).
  Result<FileRecord> CreateFile(const FileRecord& file, const FileQuota& quota);
  Result<std::optional<FileRecord>> GetFile(const std::string& file_id);
  Result<std::optional<FileChunk>> GetFileChunk(const std::string& file_id, uint32_t index);
  Result<ChunkOutcome> PutFileChunk(const std::string& file_id, const std::string& owner,
                                    const FileChunk& chunk, int64_t now_ms, int64_t ttl_ms);
  Result<std::vector<FileChunk>> ListFileChunks(const std::string& file_id);
  Result<FileCompleteOutcome> CompleteFile(const std::string& file_id, const std::string& owner,
                                           const std::string& sha256, int64_t now_ms);
  Result<std::vector<FileRecord>> ListFiles(const FileListQuery& query);
  Result<std::vector<FileRecord>> ListJobFiles(const std::string& job_id, uint32_t limit);
  Result<DeletedFile> DeleteFile(const std::string& file_id, const std::string& owner);
  Result<std::vector<FileRecord>> ExpireUploads(int64_t now_ms, uint32_t limit);
  Result<bool> IsBlobUsed(const std::string& sha256);

  // Marketplace (operations_market.cc).
  Status SetListingDefault(const std::string& client_uuid, bool listed);
  Status SetJobListed(const std::string& job_id, const std::string& client_uuid, bool listed);
  Result<MarketPage> ListMarketJobs(const MarketQuery& query);
  Result<std::optional<MarketJob>> GetMarketJob(const std::string& job_id);
  Result<MarketStats> GetMarketStats(int64_t since_ms);
  Status CountMarketEvent(const std::string& job_id, MarketCounter counter);
  Result<PurchaseOutcome> RecordPurchase(const std::string& client_uuid, const std::string& job_id,
                                         int64_t now_ms);
  Result<std::optional<Purchase>> GetPurchase(const std::string& client_uuid,
                                              const std::string& job_id);
  // The rewards ledger (operations_ledger.cc, operations_ledger_read.cc).
  Result<std::vector<AppliedTransfer>> ApplyTransfers(const std::vector<Transfer>& transfers,
                                                      const std::string& run_owner);
  Result<std::vector<PaymentOutcome>> PayUptime(const std::vector<UptimePayment>& payments,
                                                const std::string& run_owner);
  Result<std::vector<UptimeDay>> ListUnpaidUptime(const std::string& after_principal,
                                                  const std::string& after_day, uint32_t limit);
  Result<UptimeDayCounts> CountUptimeDays();
  Result<AccountSummary> GetAccount(const std::string& principal);
  Result<std::vector<EarningsDay>> GetEarningsDays(const std::string& principal,
                                                   const std::string& from_day,
                                                   const std::string& to_day);
  Result<TransferPage> ListTransfers(const TransferQuery& query);
  Result<std::optional<TransferRecord>> GetTransfer(const std::string& id);
  Result<std::vector<Balance>> ListBalances(const std::string& day);
  Result<std::vector<Balance>> ListBalancesOf(std::vector<std::string> principals, const std::string& day);
  Result<LedgerAudit> AuditLedger();

  // Referrals (operations_referrals.cc).
  Result<std::optional<NodeRecord>> FindNodeByReferralCode(const std::string& code);
  Result<ReferralOutcome> RegisterReferral(const std::string& referee, const std::string& code,
                                           int64_t now_ms);
  Result<std::optional<ReferralRecord>> GetReferral(const std::string& referee);
  Result<std::vector<RefereeEntry>> ListReferees(const std::string& referrer, uint32_t limit);
  Result<ReferralCounts> CountReferees(const std::string& referrer);
  Result<std::vector<TransferRecord>> ClaimInstallationBonuses(const InstallationClaim& claim,
                                                               const std::string& run_owner);
  Result<std::vector<RefereeWeek>> ListRefereeWeeks(const std::string& from_day,
                                                    const std::string& to_day,
                                                    const std::string& after_referee,
                                                    uint32_t limit);

  // Distribution runs (operations_runs.cc).
  Result<RunStartResult> StartRun(const RunStart& start);
  Result<RunRecord> FinishRun(const RunFinish& finish);
  Result<std::optional<RunRecord>> GetRun(const std::string& id);
  Result<RunPage> ListRuns(uint32_t kinds, uint64_t offset, uint32_t limit);

  // Settlement journal (operations_settlement.cc).
  Result<SettlementBatchResult> CreateSettlements(const SettlementBatch& batch);
  Result<std::vector<SettlementRecord>> ListDueSettlements(int64_t now_ms, uint32_t limit);
  Result<SettlementRecord> UpdateSettlement(const SettlementRecord& record);
  Result<std::optional<SettlementRecord>> GetSettlement(const std::string& id);
  Result<std::vector<SettlementRecord>> ListSettlements(const SettlementQuery& query);
  Result<SettlementSummary> GetSettlementSummary();
  Result<SettledTotal> GetSettledTotal(const std::string& principal);
  Result<std::vector<SettledTotal>> ListSettledTotals();
  Result<std::vector<SettledTotal>> ListSettledTotalsOf(std::vector<std::string> principals);

  // File-canister sync journal (operations_canister_sync.cc).
  Result<bool> EnqueueSync(const SyncRecord& record);
  Result<std::vector<SyncRecord>> ListDueSyncs(int64_t now_ms, uint32_t limit);
  Status UpdateSync(const SyncRecord& record);
  Result<SyncSummary> GetSyncSummary();
  Result<std::vector<SyncRecord>> ListSyncs(const SyncQuery& query);
  Result<SyncBackfillPage> BackfillSyncs(const std::string& cursor, uint32_t limit, int64_t now_ms);

 private:
  // Adds `amount` to the named counter and returns the new value.
  Result<int64_t> AddToCounter(std::string_view name, int64_t amount);
  Result<std::string> FreshReferralCode();
  Result<NodeRecord> InsertNode(const std::string& principal, const std::string& client_id,
                                int64_t now_ms, bool is_signed);
  // Runs an UPDATE of one node; NotFound when it matched no row.
  Status UpdateNode(Query& query, const std::string& principal);
  Status ValidatePrincipal(std::string_view principal) const;

  // Idempotency: the first job of request's key, or nothing when the key is
  // new; Conflict when the key came with a different request.
  Result<std::optional<CreateJobOutcome>> FindIdempotentJob(const CreateJobRequest& request);
  // Charges one usage (guarded by the limit), or only checks that the
  // client exists when `charge` is false; delivers its list_by_default.
  Result<bool> ChargeUsage(const std::string& uuid, bool charge);
  Status InsertJob(const JobRecord& job);
  Status InsertIdempotencyKey(const CreateJobRequest& request, const JobRecord& job);
  // Gives a failed sync job's usage back (its jobs_usage entry went with
  // the failing UPDATE).
  Status RefundUsage(const std::string& uuid, const std::string& job_id);
  // Stores the bytes under their hash unless the hash is stored already.
  Status PutBlob(const std::string& hash, const std::string& bytes);
  // The completed job's result is a file (JobCompletion::result_file_id):
  // checks it and marks it the job's result, with its size as result_bytes.
  Status AdoptResultFile(const std::string& job_id, const JobCompletion& completion);
  // A file of `owner`: NotFound, PermissionDenied, or the record.
  Result<FileRecord> OwnedFile(const std::string& file_id, const std::string& owner);
  // Adds to an owner's open uploads and declared bytes (file_usage).
  Status AddFileUsage(const std::string& owner, int64_t uploads, int64_t bytes);
  // Why a guarded transition of `job_id` matched no row: NotFound or
  // FailedPrecondition naming the job's state.
  Status RefuseTransition(const std::string& job_id, std::string_view wanted);
  Status ValidateJobId(std::string_view job_id) const;

  // Inserts a valid row unless its hash has one; *inserted (may be null)
  // says whether it did.
  Status InsertSyncRow(const SyncRecord& record, bool* inserted = nullptr);
  // BackfillSyncs' two halves: the jobs, then the files, after a rowid.
  Result<SyncBackfillPage> BackfillResults(int64_t after_seq, uint32_t limit, int64_t now_ms);
  Result<SyncBackfillPage> BackfillFiles(int64_t after_seq, uint32_t limit, int64_t now_ms);
  Result<SyncBackfillPage> BackfillPage(const char* sql, std::string_view half, int64_t after_seq, uint32_t limit,
                                       const std::function<std::optional<SyncRecord>(Query&)>& row_of);

  // The just completed job's reward and its referral shares
  // (ledger.h JobRewardSpec; operations_job_rewards.cc).
  Result<CompletedJob> PayJob(const std::string& job_id, const JobCompletion& completion,
                              int64_t now_ms);
  // Records a transfer that this store built: validated, then applied.
  Result<AppliedTransfer> ApplyBuiltTransfer(const Transfer& transfer);
  // Records one validated transfer (see ledger.h): a repeat, a Conflict, or
  // the transfer row and every total it changes.
  Result<AppliedTransfer> ApplyTransfer(const Transfer& transfer, const std::string& run_owner);
  Result<std::optional<TransferRecord>> FindTransfer(const std::string& id);
  // What the cap leaves of the transfer's amount.
  Result<int64_t> CappedAmount(const Transfer& transfer);
  Status AddToTotals(const Transfer& transfer, int64_t credited);
  Status AddToRun(const Transfer& transfer, int64_t credited, const std::string& run_owner);
  Result<PaymentOutcome> PayOne(const UptimePayment& payment, const std::string& run_owner);
  Result<int64_t> SumOnlineMs(const std::string& principal);
  Status CheckRows(uint32_t limit, std::string_view what) const;

  Database& db_;
  std::function<uint64_t()> random_;
  OperationLimits limits_;
};

// Shared with the other backends (store/validate.h).
using ::sela::store::ReferralCodeFrom;

// A row of SELECT <the job columns> (operations_jobs.cc), for the other
// operation files.
JobRecord ReadJobRow(const Query& q);
// The job columns' list, for those files' queries.
extern const char kJobColumns[];

}  // namespace sela::store::sqlite
