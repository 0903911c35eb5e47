// SqliteStore: the Store on an embedded SQLite file (default backend; one
// process). See docs/STORAGE.md for the schema and the guarantees.
//
// One writer thread owns the connection (WAL mode, foreign keys on, cached
// prepared statements) and runs queued operations in batches, one
// transaction per batch (group commit); see batch_writer.h. Reads go through
// the same thread, so they see every write issued before them. A second
// thread and connection copy the WAL into the database file (checkpointer.h).
//
// Thread-safety: every Store method may be called from any thread; issue
// order is the order in which calls enter the queue. Callbacks run wherever
// `post` sends them; `post` is called from the writer thread, and from the
// issuing thread for an operation refused because the queue is full, so it
// must be safe to call from any thread (EventLoop::Post is). Do not
// call Flush() or destroy the store from the writer thread (that is, from a
// callback when `post` runs it inline).
#pragma once

#include <chrono>
#include <cstdint>
#include <functional>
#include <memory>
#include <optional>
#include <string>
#include <vector>

#include "core/clock.h"
#include "core/status.h"
#include "store/store.h"

namespace sela {
class MetricsRegistry;
}

namespace sela::store::sqlite {
class BatchWriter;
class StoreHealth;
}

namespace sela::store {

// Runs a closure on the caller's thread after a delay.
using DelayFn = std::function<void(std::chrono::microseconds, std::function<void()>)>;

// What the writer has done since the store opened (see SqliteOptions::on_batch).
struct SqliteStats {
  uint64_t batches = 0;     // Transactions run, committed or not.
  uint64_t operations = 0;  // Operations in them.
  // SQL statement executions, BEGIN, SAVEPOINT, RELEASE and COMMIT included,
  // and the virtual machine instructions they ran.
  uint64_t statements = 0;
  uint64_t vm_steps = 0;
  uint64_t pages_written = 0;  // Frames appended to the WAL (checkpoints not included).
  // Checkpoints (docs/STORAGE.md "Checkpoints"): passes of the background
  // thread that copied frames, the writer's short finishing ones and its full ones (the thread
  // fell behind), the times the WAL started over, and failed attempts.
  uint64_t checkpoint_passes_background = 0;
  uint64_t checkpoints_writer_tail = 0;
  uint64_t checkpoints_writer_all = 0;
  uint64_t wal_restarts = 0;
  uint64_t checkpoint_failures = 0;
};

struct SqliteOptions {
  // Timing only (the quick check's budget, out-of-space probes): the store
  // takes `now` for what it records from its callers. Null: the system clock.
  const Clock* clock = nullptr;
  std::string path;  // The server uses $DATA_PATH/sela.db; the parent is created if missing.
  uint32_t batch_ops_max = 1024;    // Operations per transaction.
  uint32_t queue_ops_max = 65'536;  // Operations waiting; beyond, Unavailable at once.
  // PRAGMA quick_check at open, stopped after this long (0: not run). A
  // corrupt file is opened anyway, marked damaged (Ping fails, so the
  // server is not ready) with a critical log line.
  uint32_t quick_check_ms = 10'000;
  // Where the store's fault gauges and counters go (StoreHealth); may be null.
  MetricsRegistry* metrics = nullptr;
  // false: synchronous=NORMAL, a commit survives a process crash and one
  // fsync per WAL checkpoint guards against power loss. true: synchronous=FULL,
  // one fsync per batch, so a commit also survives power loss.
  bool fsync_each_batch = false;
  // A commit that leaves the WAL at this many pages or more starts a
  // checkpoint: a thread of the store's own copies the pages into the
  // database file and syncs it, beside the writer, which then copies the
  // last few itself so that the WAL starts over (checkpointer.h). Fewer
  // checkpoints write a page changed by many batches once instead of many
  // times; the WAL file grows to a little more than this many pages of 4 KiB
  // (at most twice as many: then the writer checkpoints by itself). With
  // fsync_each_batch false it is also about what a power cut may lose.
  uint32_t wal_checkpoint_pages = 4'000;
  // Seeded source for referral codes (required); called on the writer
  // thread only. Seed it afresh at each start: a source that replays an
  // earlier run's draws hits taken codes and makes registrations retry, then
  // fail after referral_code_attempts_max draws.
  std::function<uint64_t()> random;
  uint32_t busy_timeout_ms = 5'000;  // Wait for a lock held by another process.
  uint32_t principal_bytes_max = 256;
  uint32_t client_id_bytes_max = 64;
  uint32_t referral_code_attempts_max = 16;
  uint64_t session_ids_per_reserve_max = 1'000'000;
  // API client uuids, job ids, job types, idempotency keys, request hashes.
  uint32_t id_bytes_max = 256;
  uint32_t text_bytes_max = 8192;           // Job targets, content types, errors.
  uint64_t result_bytes_max = 64ull << 20;  // One job's result blob.
  uint32_t jobs_per_list_max = 10'000;      // ListClientJobs' limit.
  // Rewards ledger (ledger.h): transfers per ListTransfers page and per
  // ApplyTransfers/PayUptime call, ancestors RegisterReferral walks, rows
  // per ListUnpaidUptime/ListReferees/ListRefereeWeeks/ListRuns call.
  uint32_t transfers_per_page_max = 1000;
  uint32_t transfers_per_call_max = 10'000;
  uint32_t referral_depth_max = 10'000;
  uint32_t rows_per_read_max = 100'000;
  // Keep the file-canister sync journal in step with the completions:
  // CompleteJob and CompleteFile insert the content's row in their own
  // transaction (store.h "File-canister sync journal"). The server sets it
  // from CANISTER_STORAGE_ENABLED; off, they run not one statement more.
  bool canister_sync = false;
  // When set (the server passes its event loop's Post), operations issued
  // during one pass of the caller's loop wake the writer thread once, at the
  // end of the pass, instead of once each: fewer thread switches and bigger
  // batches under load. Empty (tests): each operation wakes it at once.
  PostFn wake_later;
  // With wake_later: runs a closure on the same thread after a delay (the
  // server passes its event loop's RunAfter). An operation that finds fewer
  // than gather_ops waiting wakes the writer `gather` later rather than at
  // the end of the pass, so that the operations of that time share one
  // transaction: at everyday rates each job would otherwise cost a commit
  // and a sleep and wake of each thread for every store call (issue 16).
  // It adds at most `gather` to a store call's latency; zero or no
  // wake_after: wake at the end of the pass (SQLITE_GATHER_US).
  DelayFn wake_after;
  std::chrono::microseconds gather{0};
  uint32_t gather_ops = 64;
  // Called on the writer thread after each batch (before its callbacks are
  // posted) with the totals so far; tools measure SQLite's work per
  // operation with it. Empty: not called.
  std::function<void(const SqliteStats&)> on_batch;
};

class SqliteStore final : public Store {
 public:
  // Opens (creating if needed) the database at options.path, applies pending
  // schema migrations and starts the writer thread. Errors name the path. A
  // directory or file that cannot be written is an error (FailedPrecondition)
  // rather than a store that fails every write; a full disk or a corrupt
  // file is not: the store opens, and Ping reports it (docs/STORAGE.md
  // "Faults").
  static Result<std::unique_ptr<Store>> Open(const SqliteOptions& options, PostFn post);

  // Flushes: every issued operation runs and its callback is posted.
  ~SqliteStore() override;

  void ReserveSessionIds(uint64_t count, Callback<uint64_t> done) override;
  void RegisterNode(const std::string& principal, const std::string& client_id, int64_t now_ms,
                    Callback<NodeRecord> done) override;
  void RegisterSignedNode(const std::string& principal, const std::string& client_id, int64_t now_ms,
                          Callback<NodeRecord> done) override;
  void MarkNodeDisconnected(const std::string& principal, int64_t now_ms, Done done) override;
  void UpdateNodeMetrics(const std::string& principal, const NodeMetricsUpdate& update,
                         int64_t now_ms, Done done) override;
  void SetNodeStatus(const std::string& principal, NodeStatus status, int64_t now_ms,
                     Done done) override;
  void SetNodeCapacity(const std::string& principal, uint32_t max_concurrent_jobs,
                       Done done) override;
  void AddUptime(std::vector<UptimeDelta> deltas, int64_t now_ms, Done done) override;
  void GetNode(const std::string& principal, Callback<std::optional<NodeRecord>> done) override;
  void ListNodes(bool only_active, Callback<std::vector<NodeRecord>> done) override;
  void ListNodesPage(int64_t after_numeric_id, uint32_t limit, Callback<std::vector<NodeRecord>> done) override;
  void ExpireNodeRecords(int64_t disconnected_before_ms, uint32_t limit, Callback<uint32_t> done) override;
  void GetUptimeDays(const std::string& principal, const std::string& from_day,
                     const std::string& to_day, Callback<std::vector<UptimeDay>> done) override;
  void GetTotalUptimeMs(const std::string& principal, Callback<int64_t> done) override;
  void RegisterApiClient(const ApiClient& client, Callback<ApiClient> done) override;
  void GetApiClient(const std::string& uuid, Callback<std::optional<ApiClient>> done) override;
  void FindApiClientByKeyHash(const std::string& key_hash,
                              Callback<std::optional<ApiClient>> done) override;
  void GetUsageLog(const std::string& uuid, int64_t from_ms, int64_t to_ms,
                   Callback<std::vector<int64_t>> done) override;
  void CreateJob(const CreateJobRequest& request, Callback<CreateJobOutcome> done) override;
  void LeaseJob(const std::string& job_id, const JobLease& lease, int64_t now_ms,
                Done done) override;
  void CompleteJob(const std::string& job_id, const JobCompletion& completion, int64_t now_ms,
                   Callback<CompletedJob> done) override;
  void ReleaseJob(const std::string& job_id, uint32_t attempt, int64_t now_ms,
                  Done done) override;
  void FailJob(const std::string& job_id, const JobFailure& failure, int64_t now_ms,
               Done done) override;
  void GetJob(const std::string& job_id, Callback<std::optional<JobRecord>> done) override;
  void ListClientJobs(const std::string& client_uuid, std::optional<JobState> state,
                      uint32_t limit, Callback<std::vector<JobRecord>> done) override;
  void ListOpenJobs(Callback<std::vector<JobRecord>> done) override;
  void GetBlob(const std::string& hash, Callback<std::optional<std::string>> done) override;
  // Files and marketplace (sqlite_store_files.cc).
  void CreateFile(const FileRecord& file, const FileQuota& quota,
                  Callback<FileRecord> done) override;
  void GetFile(const std::string& file_id, Callback<std::optional<FileRecord>> done) override;
  void GetFileChunk(const std::string& file_id, uint32_t index,
                    Callback<std::optional<FileChunk>> done) override;
  void PutFileChunk(const std::string& file_id, const std::string& owner, const FileChunk& chunk,
                    int64_t now_ms, int64_t ttl_ms, Callback<ChunkOutcome> done) override;
  void ListFileChunks(const std::string& file_id, Callback<std::vector<FileChunk>> done) override;
  void CompleteFile(const std::string& file_id, const std::string& owner, const std::string& sha256,
                    int64_t now_ms, Callback<FileCompleteOutcome> done) override;
  void ListFiles(const FileListQuery& query, Callback<std::vector<FileRecord>> done) override;
  void ListJobFiles(const std::string& job_id, uint32_t limit,
                    Callback<std::vector<FileRecord>> done) override;
  void DeleteFile(const std::string& file_id, const std::string& owner,
                  Callback<DeletedFile> done) override;
  void ExpireUploads(int64_t now_ms, uint32_t limit,
                     Callback<std::vector<FileRecord>> done) override;
  void IsBlobUsed(const std::string& sha256, Callback<bool> done) override;
  void SetListingDefault(const std::string& client_uuid, bool listed, Done done) override;
  void SetJobListed(const std::string& job_id, const std::string& client_uuid, bool listed,
                    Done done) override;
  void ListMarketJobs(const MarketQuery& query, Callback<MarketPage> done) override;
  void GetMarketJob(const std::string& job_id, Callback<std::optional<MarketJob>> done) override;
  void GetMarketStats(int64_t since_ms, Callback<MarketStats> done) override;
  void CountMarketEvent(const std::string& job_id, MarketCounter counter, Done done) override;
  void RecordPurchase(const std::string& client_uuid, const std::string& job_id, int64_t now_ms,
                      Callback<PurchaseOutcome> done) override;
  void GetPurchase(const std::string& client_uuid, const std::string& job_id,
                   Callback<std::optional<Purchase>> done) override;
  // Unavailable while out of disk space, Internal once the file was found
  // corrupt, else whether the database answers.
  void Ping(Done done) override;
  void Flush() override;

  // The rewards ledger (sqlite_store_ledger.cc).
  void ApplyTransfers(std::vector<Transfer> transfers, const std::string& run_owner,
                      Callback<std::vector<AppliedTransfer>> done) override;
  void PayUptime(std::vector<UptimePayment> payments, const std::string& run_owner,
                 Callback<std::vector<PaymentOutcome>> done) override;
  void ListUnpaidUptime(const std::string& after_principal, const std::string& after_day,
                        uint32_t limit, Callback<std::vector<UptimeDay>> done) override;
  void CountUptimeDays(Callback<UptimeDayCounts> done) override;
  void GetAccount(const std::string& principal, Callback<AccountSummary> done) override;
  void GetEarningsDays(const std::string& principal, const std::string& from_day,
                       const std::string& to_day, Callback<std::vector<EarningsDay>> done) override;
  void ListTransfers(const TransferQuery& query, Callback<TransferPage> done) override;
  void GetTransfer(const std::string& id, Callback<std::optional<TransferRecord>> done) override;
  void ListBalances(const std::string& day, Callback<std::vector<Balance>> done) override;
  void ListBalancesOf(std::vector<std::string> principals, const std::string& day,
                      Callback<std::vector<Balance>> done) override;
  void AuditLedger(Callback<LedgerAudit> done) override;
  void FindNodeByReferralCode(const std::string& code,
                              Callback<std::optional<NodeRecord>> done) override;
  void RegisterReferral(const std::string& referee, const std::string& code, int64_t now_ms,
                        Callback<ReferralOutcome> done) override;
  void GetReferral(const std::string& referee, Callback<std::optional<ReferralRecord>> done) override;
  void ListReferees(const std::string& referrer, uint32_t limit,
                    Callback<std::vector<RefereeEntry>> done) override;
  void CountReferees(const std::string& referrer, Callback<ReferralCounts> done) override;
  void ClaimInstallationBonuses(const InstallationClaim& claim, const std::string& run_owner,
                                Callback<std::vector<TransferRecord>> done) override;
  void ListRefereeWeeks(const std::string& from_day, const std::string& to_day,
                        const std::string& after_referee, uint32_t limit,
                        Callback<std::vector<RefereeWeek>> done) override;
  void StartRun(const RunStart& start, Callback<RunStartResult> done) override;
  void FinishRun(const RunFinish& finish, Callback<RunRecord> done) override;
  void GetRun(const std::string& id, Callback<std::optional<RunRecord>> done) override;
  void ListRuns(uint32_t kinds, uint64_t offset, uint32_t limit, Callback<RunPage> done) override;
  // Settlement journal (sqlite_store_settlement.cc).
  void CreateSettlements(const SettlementBatch& batch, Callback<SettlementBatchResult> done) override;
  void ListDueSettlements(int64_t now_ms, uint32_t limit, Callback<std::vector<SettlementRecord>> done) override;
  void UpdateSettlement(const SettlementRecord& record, Callback<SettlementRecord> done) override;
  void GetSettlement(const std::string& id, Callback<std::optional<SettlementRecord>> done) override;
  void ListSettlements(const SettlementQuery& query, Callback<std::vector<SettlementRecord>> done) override;
  void GetSettlementSummary(Callback<SettlementSummary> done) override;
  void GetSettledTotal(const std::string& principal, Callback<SettledTotal> done) override;
  void ListSettledTotals(Callback<std::vector<SettledTotal>> done) override;
  void ListSettledTotalsOf(std::vector<std::string> principals, Callback<std::vector<SettledTotal>> done) override;
  // File-canister sync journal (sqlite_store_settlement.cc).
  void EnqueueSync(const SyncRecord& record, Callback<bool> done) override;
  void ListDueSyncs(int64_t now_ms, uint32_t limit, Callback<std::vector<SyncRecord>> done) override;
  void UpdateSync(const SyncRecord& record, Done done) override;
  void GetSyncSummary(Callback<SyncSummary> done) override;
  void ListSyncs(const SyncQuery& query, Callback<std::vector<SyncRecord>> done) override;
  void BackfillSyncs(const std::string& cursor, uint32_t limit, int64_t now_ms,
                     Callback<SyncBackfillPage> done) override;

 private:
  SqliteStore(std::unique_ptr<sqlite::StoreHealth> health, std::unique_ptr<sqlite::BatchWriter> writer);

  std::unique_ptr<sqlite::StoreHealth> health_;  // Outlives the writer, which reports to it.
  std::unique_ptr<sqlite::BatchWriter> writer_;
};

}  // namespace sela::store
