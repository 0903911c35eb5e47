// RedisStore: the Store on Redis (ARCHITECTURE.md §8), for several server
// processes on one or more hosts sharing one Redis. See docs/STORAGE.md,
// "Redis backend", for the keys, the scripts and the guarantees.
//
// - One pipelined connection (connection.h), served by the process's event
//   loop: no thread of its own. Operations issued during one pass of the
//   loop go out in one write.
// - Each operation is one command: a plain read or INCRBY, or a Lua script
//   (scripts.h) for anything that reads before it writes or writes more
//   than one key, so it is atomic. Long lists are read a page at a time.
// - Callbacks are delivered in issue order through `post`, those completed
//   by one read of the socket together in one posted closure.
// - While Redis is unreachable every operation fails at once with
//   Unavailable (the server answers 503); the connection comes back by
//   itself with back-off. An operation written before the connection was
//   lost reports Unavailable too, though Redis may have applied it: its
//   outcome is unknown (the transitions are guarded, so repeating one is
//   refused rather than applied twice).
// - OK means Redis has applied the operation: it survives kill -9 of this
//   process. What survives a crash of Redis itself depends on its
//   persistence settings (docs/STORAGE.md, "Durability with Redis").
// - Leases written through this store carry its process id as their owner
//   (RedisOptions::process_id).
// - It is also the Cluster (cluster.h) of the processes sharing the Redis:
//   two more connections, one for the blocking take from the shared queue
//   and one subscribed to this process's channel and the broadcast channel.
//
// Thread-safety: every Store method may be called from any thread; calls
// from other threads are posted to the loop thread, and issue order is the
// order in which they reach it. Open() and the destructor must not run on
// another thread while the loop is stopped (they wait for it). Flush() on
// the loop thread drives the socket itself, so it also works while the loop
// is not running (at shutdown).
#pragma once

#include <cstdint>
#include <deque>
#include <functional>
#include <memory>
#include <optional>
#include <string>
#include <vector>

#include "core/reactor.h"
#include "core/status.h"
#include "store/cluster.h"
#include "store/redis/connection.h"
#include "store/redis/keys.h"
#include "store/redis/redis_url.h"
#include "store/redis/scripts.h"
#include "store/store.h"
#include "store/validate.h"
#include "store/validate_ledger.h"

namespace sela::store {

// What Redis must promise about a write it acknowledged (REDIS_DURABILITY),
// checked at start with CONFIG GET (docs/STORAGE.md "Durability with Redis").
enum class RedisDurability : uint8_t {
  kAlways,    // appendonly yes, appendfsync always: survives a power cut.
  kEverysec,  // appendonly yes, appendfsync always or everysec.
  kNone,      // Nothing required (tests, benchmarks, a cache-only Redis).
};

struct RedisOptions {
  redis::RedisEndpoint endpoint;  // From REDIS_URL, REDIS_PASSWORD, REDIS_DB (redis_url.h).
  // The store refuses to start on a Redis that promises less. Whatever
  // this says, a Redis that may evict keys (maxmemory-policy other than
  // noeviction) is refused: eviction silently loses records.
  RedisDurability durability = RedisDurability::kAlways;
  // Start of every key ({<prefix>}:nodes:..., keys.h): letters, digits,
  // '_', '-', '.'; 1..64 bytes. Deployments sharing a Redis use different ones.
  std::string key_prefix = "sela";
  // The owner recorded on the leases this process writes, and its name on
  // the connection (CLIENT LIST). Letters, digits, '_', '-', '.', ':'; 1..64 bytes.
  std::string process_id = "sela";
  // Seeded source for referral codes (required); called on the loop thread.
  std::function<uint64_t()> random;
  uint32_t connect_timeout_ms = 2'000;
  // A reply that takes longer counts as a lost connection.
  uint32_t reply_timeout_ms = 5'000;
  uint32_t backoff_min_ms = 50;   // Reconnects wait 50, 100, 200, ... ms,
  uint32_t backoff_max_ms = 2'000;  // at most this long.
  // Flush() on the loop thread gives up (and counts the connection as lost)
  // after this long.
  uint32_t flush_timeout_ms = 10'000;
  // Operations issued and not yet delivered; beyond, ResourceExhausted at once.
  uint32_t pending_ops_max = 65'536;
  uint32_t page_size = 1'000;  // Records per command when listing nodes or open jobs.
  // Cluster: a process whose heartbeat is this old is dead and what it held
  // is released (REDIS_PROCESS_TTL_MS). Heartbeats come every third of it.
  uint32_t process_ttl_ms = 10'000;
  // Wall-clock milliseconds, for the times the cluster writes (a dead
  // process's jobs that fail); required by Start().
  std::function<int64_t()> now_ms;
  // Input limits, as for SQLite (SqliteOptions).
  uint32_t principal_bytes_max = 256;
  uint32_t client_id_bytes_max = 64;
  uint32_t referral_code_attempts_max = 16;
  uint64_t session_ids_per_reserve_max = 1'000'000;
  uint32_t id_bytes_max = 256;
  uint32_t text_bytes_max = 8192;
  uint64_t result_bytes_max = 64ull << 20;
  uint32_t jobs_per_list_max = 10'000;
  uint32_t nodes_per_page_max = 10'000;  // ListNodesPage's limit.
  // The rewards ledger's limits, as for SQLite (SqliteOptions).
  uint32_t transfers_per_page_max = 1000;
  uint32_t transfers_per_call_max = 10'000;
  uint32_t referral_depth_max = 10'000;
  uint32_t rows_per_read_max = 100'000;
  // Keep the file-canister sync journal in step with the completions: the
  // CompleteJob and CompleteFile scripts insert the content's row
  // themselves (store.h "File-canister sync journal"; scripts.h
  // ScriptOptions). The server sets it from CANISTER_STORAGE_ENABLED; off,
  // the scripts are those without the journal. Processes sharing a Redis
  // should agree (a process with it off completes without rows; the
  // backfill of one with it on gives them theirs).
  bool canister_sync = false;
};

class RedisStore final : public Store, public Cluster {
 public:
  // Connects (waiting up to connect_timeout_ms), loads the scripts and
  // joins the reactor's loop. Errors name the endpoint.
  static Result<std::unique_ptr<RedisStore>> Open(const RedisOptions& options, Reactor& reactor,
                                                  PostFn post);

  // Flushes, then closes the connection.
  ~RedisStore() override;

  void ReserveSessionIds(uint64_t count, Callback<uint64_t> done) override;
  void RegisterNode(const std::string& principal, const std::string& client_id, int64_t now_ms,
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
  void LeaseJob(const std::string& job_id, const JobLease& lease, int64_t now_ms, Done done) override;
  void CompleteJob(const std::string& job_id, const JobCompletion& completion, int64_t now_ms,
                   Callback<CompletedJob> done) override;
  void ReleaseJob(const std::string& job_id, uint32_t attempt, int64_t now_ms, Done done) override;
  void FailJob(const std::string& job_id, const JobFailure& failure, int64_t now_ms, Done done) override;
  void GetJob(const std::string& job_id, Callback<std::optional<JobRecord>> done) override;
  void ListClientJobs(const std::string& client_uuid, std::optional<JobState> state,
                      uint32_t limit, Callback<std::vector<JobRecord>> done) override;
  void ListOpenJobs(Callback<std::vector<JobRecord>> done) override;
  void GetBlob(const std::string& hash, Callback<std::optional<std::string>> done) override;
  void Ping(Done done) override;
  void Flush() override;

  // ---- identity (redis_store_nodes.cc) ----
  void RegisterSignedNode(const std::string& principal, const std::string& client_id, int64_t now_ms,
                          Callback<NodeRecord> done) override;
  void ListNodesPage(int64_t after_numeric_id, uint32_t limit, Callback<std::vector<NodeRecord>> done) override;
  void ExpireNodeRecords(int64_t disconnected_before_ms, uint32_t limit, Callback<uint32_t> done) override;

  // ---- files and marketplace (redis_store_files.cc) ----
  void CreateFile(const FileRecord& file, const FileQuota& quota, Callback<FileRecord> done) override;
  void GetFile(const std::string& file_id, Callback<std::optional<FileRecord>> done) override;
  void GetFileChunk(const std::string& file_id, uint32_t index, Callback<std::optional<FileChunk>> done) override;
  void PutFileChunk(const std::string& file_id, const std::string& owner, const FileChunk& chunk, int64_t now_ms,
                    int64_t ttl_ms, Callback<ChunkOutcome> done) override;
  void ListFileChunks(const std::string& file_id, Callback<std::vector<FileChunk>> done) override;
  void CompleteFile(const std::string& file_id, const std::string& owner, const std::string& sha256, int64_t now_ms,
                    Callback<FileCompleteOutcome> done) override;
  void ListFiles(const FileListQuery& query, Callback<std::vector<FileRecord>> done) override;
  void ListJobFiles(const std::string& job_id, uint32_t limit, Callback<std::vector<FileRecord>> done) override;
  void DeleteFile(const std::string& file_id, const std::string& owner, Callback<DeletedFile> done) override;
  void ExpireUploads(int64_t now_ms, uint32_t limit, Callback<std::vector<FileRecord>> done) override;
  void IsBlobUsed(const std::string& sha256, Callback<bool> done) override;
  void SetListingDefault(const std::string& client_uuid, bool listed, Done done) override;
  void SetJobListed(const std::string& job_id, const std::string& client_uuid, bool listed, Done done) override;
  void ListMarketJobs(const MarketQuery& query, Callback<MarketPage> done) override;
  void GetMarketJob(const std::string& job_id, Callback<std::optional<MarketJob>> done) override;
  void GetMarketStats(int64_t since_ms, Callback<MarketStats> done) override;
  void CountMarketEvent(const std::string& job_id, MarketCounter counter, Done done) override;
  void RecordPurchase(const std::string& client_uuid, const std::string& job_id, int64_t now_ms,
                      Callback<PurchaseOutcome> done) override;
  void GetPurchase(const std::string& client_uuid, const std::string& job_id,
                   Callback<std::optional<Purchase>> done) override;

  // ---- rewards ledger, referrals, distribution runs (redis_store_ledger.cc) ----
  void ApplyTransfers(std::vector<Transfer> transfers, const std::string& run_owner,
                      Callback<std::vector<AppliedTransfer>> done) override;
  void PayUptime(std::vector<UptimePayment> payments, const std::string& run_owner,
                 Callback<std::vector<PaymentOutcome>> done) override;
  void ListUnpaidUptime(const std::string& after_principal, const std::string& after_day, uint32_t limit,
                        Callback<std::vector<UptimeDay>> done) override;
  void CountUptimeDays(Callback<UptimeDayCounts> done) override;
  void GetAccount(const std::string& principal, Callback<AccountSummary> done) override;
  void GetEarningsDays(const std::string& principal, const std::string& from_day, const std::string& to_day,
                       Callback<std::vector<EarningsDay>> done) override;
  void ListTransfers(const TransferQuery& query, Callback<TransferPage> done) override;
  void GetTransfer(const std::string& id, Callback<std::optional<TransferRecord>> done) override;
  void ListBalances(const std::string& day, Callback<std::vector<Balance>> done) override;
  void ListBalancesOf(std::vector<std::string> principals, const std::string& day,
                      Callback<std::vector<Balance>> done) override;
  void AuditLedger(Callback<LedgerAudit> done) override;
  void FindNodeByReferralCode(const std::string& code, Callback<std::optional<NodeRecord>> done) override;
  void RegisterReferral(const std::string& referee, const std::string& code, int64_t now_ms,
                        Callback<ReferralOutcome> done) override;
  void GetReferral(const std::string& referee, Callback<std::optional<ReferralRecord>> done) override;
  void ListReferees(const std::string& referrer, uint32_t limit, Callback<std::vector<RefereeEntry>> done) override;
  void CountReferees(const std::string& referrer, Callback<ReferralCounts> done) override;
  void ClaimInstallationBonuses(const InstallationClaim& claim, const std::string& run_owner,
                                Callback<std::vector<TransferRecord>> done) override;
  void ListRefereeWeeks(const std::string& from_day, const std::string& to_day, const std::string& after_referee,
                        uint32_t limit, Callback<std::vector<RefereeWeek>> done) override;
  void StartRun(const RunStart& start, Callback<RunStartResult> done) override;
  void FinishRun(const RunFinish& finish, Callback<RunRecord> done) override;
  void GetRun(const std::string& id, Callback<std::optional<RunRecord>> done) override;
  void ListRuns(uint32_t kinds, uint64_t offset, uint32_t limit, Callback<RunPage> done) override;

  // ---- settlement journal (redis_store_settlement.cc) ----
  void CreateSettlements(const SettlementBatch& batch, Callback<SettlementBatchResult> done) override;
  void ListDueSettlements(int64_t now_ms, uint32_t limit, Callback<std::vector<SettlementRecord>> done) override;
  void UpdateSettlement(const SettlementRecord& record, Callback<SettlementRecord> done) override;
  void GetSettlement(const std::string& id, Callback<std::optional<SettlementRecord>> done) override;
  void ListSettlements(const SettlementQuery& query, Callback<std::vector<SettlementRecord>> done) override;
  void GetSettlementSummary(Callback<SettlementSummary> done) override;
  void GetSettledTotal(const std::string& principal, Callback<SettledTotal> done) override;
  void ListSettledTotals(Callback<std::vector<SettledTotal>> done) override;
  void ListSettledTotalsOf(std::vector<std::string> principals, Callback<std::vector<SettledTotal>> done) override;

  // ---- file-canister sync journal (redis_store_sync.cc) ----
  void EnqueueSync(const SyncRecord& record, Callback<bool> done) override;
  void ListDueSyncs(int64_t now_ms, uint32_t limit, Callback<std::vector<SyncRecord>> done) override;
  void UpdateSync(const SyncRecord& record, Done done) override;
  void GetSyncSummary(Callback<SyncSummary> done) override;
  void ListSyncs(const SyncQuery& query, Callback<std::vector<SyncRecord>> done) override;
  void BackfillSyncs(const std::string& cursor, uint32_t limit, int64_t now_ms,
                     Callback<SyncBackfillPage> done) override;

  // Cluster (cluster.h); loop thread.
  Status Start(Events events) override;
  void Leave(std::function<void(Status)> done) override;
  const std::string& process_id() const override { return options_.process_id; }
  void WantJobs(uint32_t free_slots) override;
  void GiveBack(std::vector<std::string> job_ids) override;
  void NodeOnline(const std::string& principal) override;
  void NodeOffline(const std::string& principal) override;
  void FindNode(const std::string& principal,
                std::function<void(Result<std::optional<std::string>>)> done) override;
  void SendToNode(const std::string& process, const std::string& principal, const std::string& text) override;
  void Broadcast(const std::string& text) override;
  void ExpireJob(const std::string& job_id, int64_t now_ms, const std::string& error,
                 std::function<void(Result<bool>)> done) override;

  // Whether the connection is up now (loop thread).
  bool connected() const { return main_ && main_->ready(); }
  // Commands written to Redis since the store opened (loop thread); a
  // benchmark divides it by jobs for the round trips per job.
  uint64_t commands_sent() const { return commands_sent_; }

 private:
  using Kind = redis::Connection::Kind;
  // Turns an OK reply into the operation's value.
  template <typename T>
  using Decoder = std::function<Result<T>(const redisReply*)>;
  struct Slot {
    bool ready = false;
    std::function<void()> deliver;
  };

  RedisStore(const RedisOptions& options, Reactor& reactor, PostFn post);
  // The persistence and eviction checks of Open(), before the loop serves
  // the connection.
  Status CheckServerConfig();

  // Runs fn on the loop thread: now if called there, else posted.
  void OnLoop(std::function<void()> fn);
  // Reserves the next place in the delivery order.
  uint64_t NewSlot();
  void Fill(uint64_t seq, std::function<void()> deliver);
  // Posts the completed prefix of the delivery order, in order.
  void DeliverReady();
  Status Unreachable() const;

  // Answers at once (a refusal, or OK for an empty operation), in order.
  template <typename T>
  void Answer(Callback<T> done, Status status);
  void Answer(Done done, Status status);
  // An operation this backend does not have yet: Unavailable, in order
  // (redis_store.cc; the contract suite skips its tests on Redis).
  template <typename T>
  void NotYet(Callback<T> done, const char* what);
  void NotYet(Done done, const char* what);
  using Pairs = std::vector<std::pair<std::string, std::string>>;
  // The node must exist (else NotFound); the field/value pairs are written
  // in one HSET.
  void UpdateNodeFields(const char* what, const std::string& principal, const Pairs& pairs, Done done);
  // RegisterNode and RegisterSignedNode.
  void RegisterNodeAs(const std::string& principal, const std::string& client_id, int64_t now_ms, bool is_signed,
                      Callback<NodeRecord> done);
  // A file id and an owner principal within their limits (files).
  Status ValidateOwner(const std::string& file_id, const std::string& owner) const;
  // Sends one command; its reply (an error reply, or for kScript a refusal
  // status) becomes the operation's outcome through `decode`.
  template <typename T>
  void Send(Callback<T> done, std::string command, Kind kind, const char* what, Decoder<T> decode);
  void SendDone(Done done, std::string command, Kind kind, const char* what);
  // EVALSHA <script> <keys>: the start of a script call; the caller adds
  // the keys, then the arguments.
  redis::Command ScriptCall(redis::Script script, size_t keys) const;
  // The arguments every job and cluster script starts with (scripts.h).
  void JobContext(redis::Command& command) const;
  // ---- ledger (redis_store_ledger.cc, redis_store_referrals.cc) ----
  LedgerLimits Limits() const;
  // EVALSHA of a ledger script with its shared key and arguments
  // (scripts_ledger_read.cc); the caller adds the script's own.
  redis::Command LedgerScript(redis::Script script, const std::string& run_owner) const;
  Status CheckRows(uint32_t limit, const char* what) const;
  // A settlement script call with its two prefixes (redis_store_settlement.cc).
  redis::Command SettlementScript(redis::Script script) const;
  // A sync journal script call with its prefix (redis_store_sync.cc).
  redis::Command SyncScript(redis::Script script) const;
  template <typename Item>
  void Pages(uint64_t seq, Callback<std::vector<Item>> done, std::shared_ptr<std::vector<Item>> items,
             std::function<std::string(const std::string& after)> page, const char* what,
             std::function<Status(const redisReply*, std::vector<Item>&)> decode_item, std::string after);

  // ---- cluster (redis_cluster.cc) ----
  // Sends a cluster script on the main connection; `done` gets its payload
  // (or the failure) on the loop thread. Not part of the delivery order.
  void ClusterCall(redis::Command command, const char* what,
                   std::function<void(Result<const redisReply*>)> done);
  void Heartbeat();
  void ScheduleHeartbeat();
  void TakeMore();
  void OnTaken(Result<redis::Reply> reply);
  void OnMessage(redis::Reply message);
  void TakeClaimed();
  void DeliverJobs(const redisReply* list, const char* what);

  const RedisOptions options_;
  Reactor& reactor_;
  const PostFn post_;
  const redis::Keys keys_;
  const std::string channel_prefix_;  // "<key prefix>:<db>:": pub/sub is not per database.
  const JobLimits limits_;
  std::function<uint64_t()> random_;
  std::unique_ptr<redis::Connection> main_;
  std::vector<std::string> shas_;
  std::deque<Slot> slots_;
  uint64_t first_seq_ = 0;  // Sequence number of slots_.front().
  std::vector<std::pair<uint64_t, std::function<void()>>> barriers_;  // Flush() waiting for a seq.
  uint64_t commands_sent_ = 0;

  // Cluster state.
  Events events_;
  std::unique_ptr<redis::Connection> blocking_;    // BLMOVE from the shared queue.
  std::unique_ptr<redis::Connection> subscriber_;  // This process's channel and the broadcast one.
  bool started_ = false;
  bool leaving_ = false;
  bool subscribed_once_ = false;
  uint32_t want_ = 0;            // Free slots the service reported.
  bool take_outstanding_ = false;
  uint64_t heartbeats_ = 0;  // Answered; the first one finds the process unknown.
  std::vector<std::string> sent_here_;  // Jobs routed here, to read at the end of the read.
  std::shared_ptr<RedisStore*> alive_ = std::make_shared<RedisStore*>(this);
};

}  // namespace sela::store
