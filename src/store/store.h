// Store: the persistent state of the coordinator, as domain operations that
// are each atomic on their own (ARCHITECTURE.md §8). Not a key-value API.
//
// Asynchronous: every operation returns at once and delivers its outcome to
// a callback, which runs on the thread that the store's `post` function
// sends it to (the event loop in the server; a queue in tests). Callbacks of
// one store are delivered in the order the operations were issued, with one
// exception: an operation refused because the store's queue is full
// (ResourceExhausted, nothing applied) is reported at once, so that an
// overloaded store never blocks or silently delays its caller. An
// operation whose callback reported OK is durable against a crash of the
// process (kill -9); power-loss durability comes from group commit.
//
// Callers pass `now` and ids in; the store reads no clock.
//
// Backends: sqlite (store/sqlite/, default, one process) and later redis. The
// contract test suite (store/store_contract_test.cc) runs against each.
#pragma once

#include <cstdint>
#include <functional>
#include <memory>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "core/status.h"
#include "store/canister_sync_types.h"
#include "store/file_types.h"
#include "store/job_types.h"
#include "store/ledger.h"
#include "store/settlement_types.h"

namespace sela::store {

enum class NodeStatus : uint8_t { kInactive = 0, kActive = 1 };

// A node (the original's ClientStruct, minus money: balances live in the
// rewards ledger).
struct NodeRecord {
  std::string principal;
  int64_t numeric_id = 0;           // From a persistent counter, at creation.
  std::string client_id;            // Last registration's clientId ("<ms>").
  std::string referral_code;        // 8 chars [A-Z0-9], unique, at creation.
  NodeStatus status = NodeStatus::kInactive;
  uint32_t max_concurrent_jobs = 10;
  double download_speed = 0;
  double upload_speed = 0;
  double ping_ms = 0;
  int64_t created_ms = 0;
  int64_t ws_connect_ms = 0;        // Last registration.
  int64_t ws_disconnect_ms = 0;     // Last disconnect; 0 while connected.
  int64_t ping_timestamp_ms = 0;    // Last PING/HEARTBEAT/speed test/status.
  uint32_t total_referral = 0;
  // The principal has authenticated with protocol v2 (a signature over a
  // challenge): legacy v1 registrations of it are refused from then on.
  bool signed_identity = false;
  uint32_t registrations = 0;       // Registrations of this principal, v1 and v2.

  friend bool operator==(const NodeRecord&, const NodeRecord&) = default;
};

// Uptime measured by the server for one principal within one UTC day, added
// by one checkpoint. Additive: applying two deltas adds their fields.
struct UptimeDelta {
  std::string principal;
  std::string day;            // "YYYY-MM-DD" (UTC).
  int64_t online_ms = 0;      // Time online added to this day.
  uint32_t sessions = 0;      // Connections that began (registered) this day.
  double speed_sum = 0;       // Download-speed samples (Mbps) taken this day.
  uint32_t speed_count = 0;
  double ping_sum = 0;        // Ping samples (ms) taken this day.
  uint32_t ping_count = 0;
};

// A principal's uptime for one day: the sum of every delta applied to it.
struct UptimeDay {
  std::string principal;
  std::string day;
  int64_t online_ms = 0;
  uint32_t sessions = 0;
  double speed_sum = 0;
  uint32_t speed_count = 0;
  double ping_sum = 0;
  uint32_t ping_count = 0;
  int64_t paid_minutes = 0;   // Minutes already rewarded (by the rewards module).
  int64_t updated_ms = 0;

  double avg_speed() const { return speed_count ? speed_sum / speed_count : 0; }
  double avg_ping() const { return ping_count ? ping_sum / ping_count : 0; }
  friend bool operator==(const UptimeDay&, const UptimeDay&) = default;
};

// Node metrics reported by the node itself; absent fields are left as they are.
struct NodeMetricsUpdate {
  std::optional<double> download_speed;
  std::optional<double> upload_speed;
  std::optional<double> ping_ms;
};


// ---- API clients (rest-api.md §3; the key itself is never stored) ----------

struct ApiClient {
  std::string uuid;        // Chosen by the client at registration.
  std::string key_hash;    // Lowercase hex SHA-256 of the API key.
  int64_t usage_count = 0; // Charged usages (see CreateJobRequest::charge_usage).
  int64_t usage_limit = 0; // USAGE_LIMIT when the client registered.
  int64_t created_ms = 0;
  // Whether the client's new jobs are listed on the marketplace when the
  // request does not say (SetListingDefault; false until then).
  bool list_by_default = false;

  friend bool operator==(const ApiClient&, const ApiClient&) = default;
};

class Store {
 public:
  template <typename T>
  using Callback = std::function<void(Result<T>)>;
  using Done = std::function<void(Status)>;

  virtual ~Store() = default;

  // Reserves `count` consecutive session ids from a persistent counter that
  // survives restarts; delivers the first. Ids are never handed out twice,
  // even across a crash (a crash may leave a gap).
  virtual void ReserveSessionIds(uint64_t count, Callback<uint64_t> done) = 0;

  // A node registered: creates its record if absent (numeric id from a
  // persistent counter, fresh unique referral code, created_ms = now), then
  // sets client_id, status Active, ws_connect_ms = now, ws_disconnect_ms = 0,
  // ping_timestamp_ms = now, registrations + 1. Delivers the record as
  // stored. A legacy (v1) registration: FailedPrecondition, nothing written,
  // when the record is signed_identity (ARCHITECTURE.md §5).
  virtual void RegisterNode(const std::string& principal, const std::string& client_id,
                            int64_t now_ms, Callback<NodeRecord> done) = 0;
  // The same for a principal that proved its identity (protocol v2): never
  // refused, and the record becomes signed_identity for good.
  virtual void RegisterSignedNode(const std::string& principal, const std::string& client_id,
                                  int64_t now_ms, Callback<NodeRecord> done) = 0;

  // The node's last connection closed: ws_disconnect_ms = now. NotFound if
  // there is no such node.
  virtual void MarkNodeDisconnected(const std::string& principal, int64_t now_ms, Done done) = 0;

  // Speed/ping reported by the node, and ping_timestamp_ms = now.
  virtual void UpdateNodeMetrics(const std::string& principal, const NodeMetricsUpdate& update,
                                 int64_t now_ms, Done done) = 0;

  // CLIENT_STATUS and admin changes.
  virtual void SetNodeStatus(const std::string& principal, NodeStatus status, int64_t now_ms,
                             Done done) = 0;
  virtual void SetNodeCapacity(const std::string& principal, uint32_t max_concurrent_jobs,
                               Done done) = 0;

  // Applies every delta in one transaction: all or nothing.
  virtual void AddUptime(std::vector<UptimeDelta> deltas, int64_t now_ms, Done done) = 0;

  virtual void GetNode(const std::string& principal,
                       Callback<std::optional<NodeRecord>> done) = 0;
  // All nodes, or only those with status Active; ordered by numeric_id.
  virtual void ListNodes(bool only_active, Callback<std::vector<NodeRecord>> done) = 0;
  // One page of every node, ordered by numeric_id: those after
  // `after_numeric_id` (0 for the first page), at most `limit`.
  virtual void ListNodesPage(int64_t after_numeric_id, uint32_t limit,
                             Callback<std::vector<NodeRecord>> done) = 0;
  // Deletes records of nodes that registered once and never again, were last
  // connected before `disconnected_before_ms`, never signed in with v2 and
  // referred nobody (what a flood of made-up principals leaves behind); at
  // most `limit` per call. Their uptime days stay. Delivers how many went.
  virtual void ExpireNodeRecords(int64_t disconnected_before_ms, uint32_t limit, Callback<uint32_t> done) = 0;
  // Days in [from_day, to_day] (inclusive, "YYYY-MM-DD") that have a record,
  // ascending.
  virtual void GetUptimeDays(const std::string& principal, const std::string& from_day,
                             const std::string& to_day, Callback<std::vector<UptimeDay>> done) = 0;
  // Sum of online_ms over all days of the principal.
  virtual void GetTotalUptimeMs(const std::string& principal, Callback<int64_t> done) = 0;


  // ---- API clients ----

  // Creates the client with usage 0. AlreadyExists (nothing written) when the
  // uuid is registered: a key is handed out once, never re-issued to whoever
  // asks.
  virtual void RegisterApiClient(const ApiClient& client, Callback<ApiClient> done) = 0;
  virtual void GetApiClient(const std::string& uuid, Callback<std::optional<ApiClient>> done) = 0;
  virtual void FindApiClientByKeyHash(const std::string& key_hash,
                                      Callback<std::optional<ApiClient>> done) = 0;
  // Times (ms) of the client's charged usages in [from_ms, to_ms], ascending.
  virtual void GetUsageLog(const std::string& uuid, int64_t from_ms, int64_t to_ms,
                           Callback<std::vector<int64_t>> done) = 0;

  // ---- Jobs ----
  // Every transition is guarded by the job's current state (and lease
  // attempt), so a late or foreign caller changes nothing: it gets
  // FailedPrecondition (NotFound when there is no such job).

  // Inserts a pending job (see CreateJobRequest for usage and idempotency).
  // AlreadyExists when the job id is taken (the caller picks another id).
  // NotFound when the client does not exist.
  virtual void CreateJob(const CreateJobRequest& request, Callback<CreateJobOutcome> done) = 0;

  // pending with attempt == lease.attempt - 1 → ongoing: attempt, node,
  // client id, assigned_ms = now, lease_deadline_ms.
  virtual void LeaseJob(const std::string& job_id, const JobLease& lease, int64_t now_ms,
                        Done done) = 0;

  // ongoing, held by completion.node_principal with completion.attempt →
  // completed (ApplyCompletion); the result bytes are stored under their
  // hash (once per hash), and the job's reward and its referrers' task
  // shares are recorded (completion.reward; ledger.h JobRewardSpec says
  // exactly how: ids "job:<job_id>" and "referral:task:<job_id>:<1|2>", the
  // per-node UTC-day cap recorded as capped, shares floored from what was
  // credited), all in the same transaction: a job is never completed
  // without its payment, nor paid without being completed. Delivers what
  // was credited (CompletedJob); the job's reward_units is the node's
  // credit. Already completed by that node and attempt → kRepeat with the
  // job's reward_units, nothing credited again. Any other state, node or
  // attempt (a late result, another node's): FailedPrecondition, nothing
  // written, nothing paid. An invalid reward spec: InvalidArgument. With
  // the sync journal kept by the store, the inline result's sync row is
  // inserted in the same transaction ("File-canister sync journal" below).
  virtual void CompleteJob(const std::string& job_id, const JobCompletion& completion,
                           int64_t now_ms, Callback<CompletedJob> done) = 0;

  // ongoing with `attempt` → pending: the lease ends without a result (node
  // gone, lease expired, drain). The node becomes last_failed_node; lease
  // fields cleared.
  virtual void ReleaseJob(const std::string& job_id, uint32_t attempt, int64_t now_ms,
                          Done done) = 0;

  // pending or ongoing with failure.attempt → failed (ApplyFailure). A sync
  // job's usage charge is given back in the same transaction (usage_count
  // - 1, its usage-log entry removed). Every FailureReason but kNone is
  // stored and read back as given: a cancelled job (kCancelled, its
  // customer or an operator) and a job past JOB_MAX_AGE_MS (kDeadline) end
  // through FailJob like any other failure; there is no separate operation.
  virtual void FailJob(const std::string& job_id, const JobFailure& failure, int64_t now_ms,
                       Done done) = 0;

  virtual void GetJob(const std::string& job_id, Callback<std::optional<JobRecord>> done) = 0;
  // Jobs created by the client (optionally only in one state), oldest first,
  // at most `limit`.
  virtual void ListClientJobs(const std::string& client_uuid, std::optional<JobState> state,
                              uint32_t limit, Callback<std::vector<JobRecord>> done) = 0;
  // Every pending and ongoing job, oldest first: what a starting process
  // takes over.
  virtual void ListOpenJobs(Callback<std::vector<JobRecord>> done) = 0;
  // A stored result by hash.
  virtual void GetBlob(const std::string& hash, Callback<std::optional<std::string>> done) = 0;

  // ---- Files (file_types.h; the bytes are the files module's, on disk) ----
  // Ids, principals and hashes are checked as for jobs (InvalidArgument,
  // nothing touched). Operations that name an `owner` answer NotFound when
  // the file does not exist and PermissionDenied when it is another
  // principal's, in that order.

  // Creates `file` (state uploading, sha256 "", received_bytes and chunks 0,
  // updated_ms = created_ms; expires_ms as given). AlreadyExists when the
  // id is taken. When job_id is not "", the job must exist (NotFound) and be
  // ongoing and leased to the owner (FailedPrecondition). ResourceExhausted
  // when the owner already has quota.open_uploads_max files uploading, or
  // when the declared sizes of the owner's files plus this one would pass
  // quota.owner_bytes_max. Nothing is written on any refusal.
  virtual void CreateFile(const FileRecord& file, const FileQuota& quota,
                          Callback<FileRecord> done) = 0;

  virtual void GetFile(const std::string& file_id, Callback<std::optional<FileRecord>> done) = 0;

  // The chunk recorded under `index`, if any.
  virtual void GetFileChunk(const std::string& file_id, uint32_t index,
                            Callback<std::optional<FileChunk>> done) = 0;

  // Records a chunk of an uploading file of `owner`, moving expires_ms to
  // now + ttl_ms and updated_ms to now. FailedPrecondition when the file is
  // complete or expired (expires_ms <= now). A chunk under an index already
  // recorded: kRepeat when its bytes and sha256 are equal (only the expiry
  // moves), Conflict when not. For a new chunk: with chunk_bytes > 0 its
  // offset must be index * chunk_bytes and its length chunk_bytes (the last
  // chunk, the one reaching `size`, may be shorter); with chunk_bytes 0 its
  // offset must equal received_bytes (chunks are appended one at a time);
  // and received_bytes + bytes must not pass size. Any of these broken:
  // InvalidArgument. Then received_bytes += bytes, chunks += 1.
  virtual void PutFileChunk(const std::string& file_id, const std::string& owner,
                            const FileChunk& chunk, int64_t now_ms, int64_t ttl_ms,
                            Callback<ChunkOutcome> done) = 0;

  // The file's chunk records, by index ascending (empty once complete).
  virtual void ListFileChunks(const std::string& file_id,
                              Callback<std::vector<FileChunk>> done) = 0;

  // uploading -> complete: sha256 set, expires_ms 0, updated_ms now, its
  // chunk records deleted. FailedPrecondition unless received_bytes == size
  // and the file has not expired. Complete already: kRepeat when the sha256
  // is the same, FailedPrecondition when not. With the sync journal kept by
  // the store, the file's sync row is inserted in the same transaction
  // ("File-canister sync journal" below).
  virtual void CompleteFile(const std::string& file_id, const std::string& owner,
                            const std::string& sha256, int64_t now_ms,
                            Callback<FileCompleteOutcome> done) = 0;

  // The owner's files (optionally only those tied to query.job_id) in the
  // order they were created, after query.after_file_id (NotFound when that
  // id does not exist), at most query.limit (1..1000).
  virtual void ListFiles(const FileListQuery& query, Callback<std::vector<FileRecord>> done) = 0;

  // The complete files tied to a job, whoever uploaded them, in the order
  // they were created, at most `limit` (1..1000): what its customer may read.
  virtual void ListJobFiles(const std::string& job_id, uint32_t limit,
                            Callback<std::vector<FileRecord>> done) = 0;

  // Deletes a file of `owner` (any state) with its chunk records and gives
  // its bytes back to the owner's quota. FailedPrecondition when it is a
  // job's result (result_of set).
  virtual void DeleteFile(const std::string& file_id, const std::string& owner,
                          Callback<DeletedFile> done) = 0;

  // Deletes uploading files whose expires_ms <= now (oldest expiry first, at
  // most `limit`) with their chunk records; delivers them, so that the
  // caller removes their part files.
  virtual void ExpireUploads(int64_t now_ms, uint32_t limit,
                             Callback<std::vector<FileRecord>> done) = 0;

  // Whether some complete file has this sha256 (its blob is in use).
  virtual void IsBlobUsed(const std::string& sha256, Callback<bool> done) = 0;

  // ---- Marketplace (file_types.h) ----

  // The client's default for JobRecord::listed. NotFound for an unknown client.
  virtual void SetListingDefault(const std::string& client_uuid, bool listed, Done done) = 0;

  // Lists or unlists a job of the client. NotFound when there is no such
  // job, PermissionDenied when it is another client's.
  virtual void SetJobListed(const std::string& job_id, const std::string& client_uuid,
                            bool listed, Done done) = 0;

  // Completed jobs that are listed, matching query.search, sorted by
  // complete_ms then job_id (query.ascending, else descending), skipping
  // query.offset and at most query.limit (1..100, else InvalidArgument);
  // total_count counts every match.
  virtual void ListMarketJobs(const MarketQuery& query, Callback<MarketPage> done) = 0;

  // Any job with its marketplace counters (the caller decides who may see it).
  virtual void GetMarketJob(const std::string& job_id,
                            Callback<std::optional<MarketJob>> done) = 0;

  // Over completed listed jobs: their count, their count by job type and
  // those completed at or after since_ms.
  virtual void GetMarketStats(int64_t since_ms, Callback<MarketStats> done) = 0;

  // Adds one to a job's views or downloads. NotFound for an unknown job.
  virtual void CountMarketEvent(const std::string& job_id, MarketCounter counter,
                                Done done) = 0;

  // Records that the client bought the job at the job's price_cents, once:
  // a repeat delivers the first purchase with created = false and changes
  // nothing. The job must be completed (FailedPrecondition) and listed or
  // the client's own (NotFound otherwise, as for a job that does not exist,
  // so that unlisted jobs stay unseen). InvalidArgument for an unknown client.
  virtual void RecordPurchase(const std::string& client_uuid, const std::string& job_id,
                              int64_t now_ms, Callback<PurchaseOutcome> done) = 0;

  virtual void GetPurchase(const std::string& client_uuid, const std::string& job_id,
                           Callback<std::optional<Purchase>> done) = 0;
  // ---- Rewards ledger (ledger.h; docs/REWARDS.md) ----
  // Transfers that name a run_id may only be recorded by that run's owner
  // while it is running (`run_owner`): FailedPrecondition otherwise, and
  // nothing of the operation is applied. Each applied one adds its credit to
  // the run's users (when > 0) and total_units and moves its heartbeat_ms
  // up to the transfer's created_ms.

  // Records the transfers in the order given, all in one step: each is
  // applied, or a repeat (ledger.h "Idempotency"); a Conflict, an invalid
  // transfer (InvalidArgument: ids, principals and texts within the limits,
  // a real day, amount 1..kTransferUnitsMax, cap limit >= 0, a known kind),
  // or an overflowing balance (ResourceExhausted) refuses them all.
  // Delivers one AppliedTransfer per transfer.
  virtual void ApplyTransfers(std::vector<Transfer> transfers, const std::string& run_owner,
                              Callback<std::vector<AppliedTransfer>> done) = 0;

  // Pays uptime (ledger.h UptimePayment), one outcome per payment, each
  // decided on its own against the row as it is then. InvalidArgument for
  // the whole operation (nothing applied) when a payment is malformed
  // (transfer not kUptime, no cap, principal/day/minutes not those of the
  // payment, through <= from) or pays minutes the row has not measured
  // (through > floor(online_ms / 60000), or no row); Conflict when an
  // applied payment's transfer id is recorded with another body.
  virtual void PayUptime(std::vector<UptimePayment> payments, const std::string& run_owner,
                         Callback<std::vector<PaymentOutcome>> done) = 0;

  // Rows of uptime_days with unpaid measured minutes (online_ms >=
  // (paid_minutes + 1) * 60000), ordered by (principal, day), strictly after
  // (after_principal, after_day) ("" and "" for the start); at most `limit`.
  virtual void ListUnpaidUptime(const std::string& after_principal, const std::string& after_day,
                                uint32_t limit, Callback<std::vector<UptimeDay>> done) = 0;
  virtual void CountUptimeDays(Callback<UptimeDayCounts> done) = 0;

  // A principal's account; zeros (and its principal) when it has none.
  virtual void GetAccount(const std::string& principal, Callback<AccountSummary> done) = 0;
  // A principal's credits per UTC day in [from_day, to_day], ascending; days
  // without credits are left out.
  virtual void GetEarningsDays(const std::string& principal, const std::string& from_day,
                               const std::string& to_day, Callback<std::vector<EarningsDay>> done) = 0;
  // Recorded transfers of a principal or of a run (TransferQuery).
  virtual void ListTransfers(const TransferQuery& query, Callback<TransferPage> done) = 0;
  // One recorded transfer by id.
  virtual void GetTransfer(const std::string& id, Callback<std::optional<TransferRecord>> done) = 0;
  // Every account with its balance and what it was credited on `day`, by
  // principal.
  virtual void ListBalances(const std::string& day, Callback<std::vector<Balance>> done) = 0;
  // The entries of ListBalances(day) of these principals only (those with
  // an account), by principal, each once: one read per principal, not the
  // whole ledger (a page of the node list). InvalidArgument for a bad day
  // or principal, or more than rows_per_read_max principals.
  virtual void ListBalancesOf(std::vector<std::string> principals, const std::string& day,
                              Callback<std::vector<Balance>> done) = 0;
  // Recomputes every total from the recorded transfers (a full scan; for
  // the audit route and tests).
  virtual void AuditLedger(Callback<LedgerAudit> done) = 0;

  // ---- Referrals ----

  // The node whose referral code this is (codes are unique), or nullopt.
  virtual void FindNodeByReferralCode(const std::string& code,
                                      Callback<std::optional<NodeRecord>> done) = 0;
  // Registers `referee` under the owner of `code` (8 characters [A-Z0-9];
  // InvalidArgument otherwise), or says why not (ReferralRefusal), writing
  // nothing then. Checks in this order: unknown code, unknown referee, self
  // referral, already referred, cycle (walking up from the code's owner
  // through at most referral_depth_max referrals). Registering stores the
  // record (referrer_l2 = the owner's own L1, or ""; uptime_base_ms = the
  // referee's sum of online_ms now) and adds 1 to the owner's
  // total_referral, in one step.
  virtual void RegisterReferral(const std::string& referee, const std::string& code, int64_t now_ms,
                                Callback<ReferralOutcome> done) = 0;
  virtual void GetReferral(const std::string& referee,
                           Callback<std::optional<ReferralRecord>> done) = 0;
  // The referees of `referrer` at level 1 and 2, newest signup first (ties
  // by referee), at most `limit`, each with what the referrer earned for it.
  virtual void ListReferees(const std::string& referrer, uint32_t limit,
                            Callback<std::vector<RefereeEntry>> done) = 0;
  virtual void CountReferees(const std::string& referrer, Callback<ReferralCounts> done) = 0;
  // See InstallationClaim; delivers the transfers it recorded.
  virtual void ClaimInstallationBonuses(const InstallationClaim& claim, const std::string& run_owner,
                                        Callback<std::vector<TransferRecord>> done) = 0;
  // Every referral, ordered by referee, strictly after `after_referee`, at
  // most `limit`, with the referee's week in [from_day, to_day] (RefereeWeek).
  virtual void ListRefereeWeeks(const std::string& from_day, const std::string& to_day,
                                const std::string& after_referee, uint32_t limit,
                                Callback<std::vector<RefereeWeek>> done) = 0;

  // ---- Distribution runs (ledger.h RunStart, RunFinish) ----
  virtual void StartRun(const RunStart& start, Callback<RunStartResult> done) = 0;
  virtual void FinishRun(const RunFinish& finish, Callback<RunRecord> done) = 0;
  virtual void GetRun(const std::string& id, Callback<std::optional<RunRecord>> done) = 0;
  // Runs of the kinds in `kinds` (bit 1 << RunKind), newest start first.
  virtual void ListRuns(uint32_t kinds, uint64_t offset, uint32_t limit, Callback<RunPage> done) = 0;

  // ---- Settlement on the chain (settlement_types.h; docs/CHAIN.md) ----
  // Ids, principals and texts are checked as for the ledger
  // (InvalidArgument, nothing touched).

  // One step of a settlement run (SettlementBatch), atomic.
  virtual void CreateSettlements(const SettlementBatch& batch, Callback<SettlementBatchResult> done) = 0;
  // Pending and sent settlements with next_attempt_ms <= now_ms,
  // ordered by (next_attempt_ms, id), at most `limit` (1..rows_per_read_max).
  virtual void ListDueSettlements(int64_t now_ms, uint32_t limit,
                                  Callback<std::vector<SettlementRecord>> done) = 0;
  // Writes the mutable fields of `record` (every field but the fixed ones
  // and version) over the stored one, version + 1, and delivers the stored
  // record. NotFound when there is no such id; FailedPrecondition, nothing
  // written, when the stored version differs from record.version (changed
  // meanwhile) or the stored state is confirmed (final); InvalidArgument
  // when a fixed field differs, when confirmed comes without a block_index
  // >= 0, or for a negative field. Becoming confirmed adds amount_units to
  // the principal's settled_units in the same step (confirmed_ms as given).
  virtual void UpdateSettlement(const SettlementRecord& record, Callback<SettlementRecord> done) = 0;
  virtual void GetSettlement(const std::string& id, Callback<std::optional<SettlementRecord>> done) = 0;
  virtual void ListSettlements(const SettlementQuery& query, Callback<std::vector<SettlementRecord>> done) = 0;
  virtual void GetSettlementSummary(Callback<SettlementSummary> done) = 0;
  // A principal's totals; zeros (and its principal) when it has none.
  virtual void GetSettledTotal(const std::string& principal, Callback<SettledTotal> done) = 0;
  // Every principal that has a settlement, by principal.
  virtual void ListSettledTotals(Callback<std::vector<SettledTotal>> done) = 0;
  // The entries of ListSettledTotals() of these principals only, by
  // principal, each once. InvalidArgument as ListBalancesOf.
  virtual void ListSettledTotalsOf(std::vector<std::string> principals, Callback<std::vector<SettledTotal>> done) = 0;

  // ---- File-canister sync journal (canister_sync_types.h) ----
  // A store opened with its backend's `canister_sync` option (the server
  // sets it from CANISTER_STORAGE_ENABLED) keeps the journal in step with
  // the completions itself, in the same transaction (SQLite) or script
  // (Redis) as the transition, so that a completion acknowledged is never
  // without its row (docs/CHAIN.md "Results on the file canister"):
  // CompleteJob, when it completes a job whose result is inline, inserts
  // NewSyncRow(result_hash, kResult, job id, node, content type, size,
  // now); CompleteFile, when it completes a file, NewSyncRow(sha256, kFile,
  // file id, owner, content type, size, now); either only when the hash
  // has no row. (A result that is a file has the file's row.) Repeats and
  // refusals insert nothing. Without the option the transitions do nothing
  // of the kind: no statement, no Redis call, no argument more.
  //
  // Inserts `record` as pending (its state, chunks and synced_ms are not
  // read) unless its sha256 has a row; delivers true when inserted. InvalidArgument for a bad hash, a negative size or
  // a text over its limit.
  virtual void EnqueueSync(const SyncRecord& record, Callback<bool> done) = 0;
  // Pending rows with next_attempt_ms <= now_ms by (next_attempt_ms,
  // sha256), at most `limit` (1..rows_per_read_max).
  virtual void ListDueSyncs(int64_t now_ms, uint32_t limit, Callback<std::vector<SyncRecord>> done) = 0;
  // Writes the mutable fields (state .. synced_ms); NotFound when absent,
  // FailedPrecondition when the stored row is synced (final).
  virtual void UpdateSync(const SyncRecord& record, Done done) = 0;
  virtual void GetSyncSummary(Callback<SyncSummary> done) = 0;
  // Rows in query.state (pending or failed) by sha256 (SyncQuery);
  // InvalidArgument for another state or a limit outside
  // 1..rows_per_read_max.
  virtual void ListSyncs(const SyncQuery& query, Callback<std::vector<SyncRecord>> done) = 0;
  // One page of the backfill pass, which gives a row to every content that
  // was made final without one (before the option was on): looks at the
  // next `limit` (1..rows_per_read_max) jobs, then files, after `cursor`
  // ("" to start, else what the previous page returned as next_cursor) and
  // inserts the row CompleteJob / CompleteFile would have (at now_ms) for
  // each completed job with an inline result and each complete file whose
  // hash has no row; rows that exist are left as they are. Works with or
  // without the option. A cursor stays valid across a reopen; a pass
  // started over repeats harmlessly. The Redis backend looks at about
  // `limit` keys (SCAN's COUNT) and may see a key twice. InvalidArgument for
  // a cursor that this backend did not hand out.
  virtual void BackfillSyncs(const std::string& cursor, uint32_t limit, int64_t now_ms,
                             Callback<SyncBackfillPage> done) = 0;

  // Succeeds when the store can serve (for /ready and /api/health).
  virtual void Ping(Done done) = 0;

  // Blocks until every issued operation has been applied and its callback
  // handed to `post`. For shutdown and tests.
  virtual void Flush() = 0;
};

// A failed operation as the server's caller sees it: the store is busy or
// unreachable (ResourceExhausted, Unavailable, DeadlineExceeded) →
// Unavailable "the store is busy, retry later"; anything else → Internal,
// whose message (the store's Status) is for the log only. An outcome the
// caller expects (NotFound of what it asked for, a refused transition) is
// read from the Status before this.
Status FailureForCaller(const Status& status);

// Where callbacks go: the server passes EventLoop::Post.
using PostFn = std::function<void(std::function<void()>)>;

}  // namespace sela::store
