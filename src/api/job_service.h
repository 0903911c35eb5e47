// JobService: jobs end to end on the event loop (ARCHITECTURE.md §6).
//
// Glue between the customer API (rpc_routes), the node sessions and the
// store, around the pure jobs::JobEngine:
// - Submit: the job is in the store before the caller hears of it, then it
//   is offered to live nodes (push) or waits for a JOB_REQUEST (pull);
// - a lease is recorded in the store (LeaseJob) and the TWITTER_SCRAPE frame
//   goes to the node's newest connection at once (the store applies the
//   lease before any completion of it, since it applies in issue order);
// - a result is accepted only from the node holding the current lease: it is
//   analysed (empty → failed, FailureReason::kNoData), stored with the
//   completion in one store transaction, and only then acknowledged to the
//   node and handed to whoever waits for it (scrapeUrl). A repeat is
//   acknowledged and changes nothing; a foreign result is refused;
// - leases end when their node goes offline or they expire: the job goes
//   back to pending or, out of attempts, fails; a job past its deadline
//   (scrapeUrl timeoutMs) fails;
// - at start-up, open jobs of the previous process are taken over: its
//   leases are ended (the process that held them is gone), and the jobs run
//   again.
// - with several processes sharing the store (AttachCluster; Redis): a job
//   that cannot start here at once goes to the store's shared queue, and
//   jobs come here from it only while this process has free node slots
//   (store/cluster.h); a lease that ends without a result sends its job
//   back there; a scrapeUrl waiting here for a job that runs elsewhere hears
//   of its end from the store; nothing is taken over at start-up (a dead
//   process's jobs are released by the others when its heartbeat lapses).
//
// Threading: everything on the event loop's thread.
#pragma once

#include <boost/json/value.hpp>
#include <cstdint>
#include <functional>
#include <memory>
#include <optional>
#include <queue>
#include <string>
#include <unordered_map>
#include <vector>

#include "api/security_events.h"
#include "core/clock.h"
#include "core/config.h"
#include "core/metrics.h"
#include "files/file_service.h"
#include "jobs/engine.h"
#include "jobs/result.h"
#include "nodes/registry.h"
#include "protocol/v1_decode.h"
#include "store/cluster.h"
#include "rewards/rules.h"
#include "store/store.h"

namespace sela::api {

struct JobServiceOptions {
  std::vector<std::string> kinds = {"TWITTER_POST", "TWITTER_PROFILE", "TWITTER_FOLLOW_LIST", "HTML"};
  int64_t lease_ms = 300'000;
  uint32_t max_attempts = 3;
  bool push = true;                 // false: jobs wait for JOB_REQUEST.
  // The most download speed a node's own report counts for in the ranking:
  // reports are not proof (SPEED_CLAIM_MAX_MBPS).
  float speed_claim_max_mbps = 1000;
  // A node that comes online may hold this many jobs at once, one more for
  // each job it completes, up to its capacity (NEW_NODE_SLOTS; 0: its whole
  // capacity at once). A crowd of fake nodes that never answer holds one job
  // each, not ten, and an honest node that answers soon has more free slots
  // than they do, which is what the ranking looks at first.
  uint32_t new_node_slots = 1;
  uint64_t open_jobs_max = 200'000; // Beyond: Submit fails with ResourceExhausted.
  // 1..99999, random per start, when processes share the store: the n of
  // "job_<ms>_<n>" is then tag * 10000 + the count within the millisecond,
  // so that two processes draw the same id only if their tags are equal
  // (and then the store refuses the second and it draws again). 0: n is
  // the count, as the original wrote it.
  uint32_t job_id_tag = 0;
  // One customer's open jobs at most (its share of open_jobs_max,
  // JOB_OPEN_SHARE_PERCENT): beyond, its Submit fails with
  // ResourceExhausted while other customers still get in.
  uint64_t open_jobs_per_client_max = 20'000;
  // A job without a deadline of its own (addJob) fails as kDeadline this
  // long after it was created, if no result came (JOB_MAX_AGE_MS; 0: never).
  int64_t job_max_age_ms = 86'400'000;
  // Node reward (rewards::JobReward): 0.012 SP per second from the lease to
  // the result, counted at most up to the typical time of the job's kind
  // (JOB_REWARD_*; docs/REWARDS.md "Jobs"), and at most the lease length;
  // paid by CompleteJob with the per-node daily cap
  // (JOB_REWARD_DAILY_CAP_SP) and the referral task shares
  // (REFERRAL_TASK_PERCENT, unless REFERRAL_ENABLED is false).
  // Units: core/points.h.
  rewards::RewardRules rewards;

  static JobServiceOptions FromConfig(const Config& config);
};

// Seconds from a job's creation to its stored result, for the jobs that
// complete (the dashboard's round-trip percentiles read it).
inline constexpr std::string_view kJobRoundTripMetric = "sela_job_round_trip_seconds";
// Its buckets: 1 ms to 15 minutes (scrapeUrl waits at most that long).
std::vector<double> JobRoundTripBounds();

// How a job ended, for whoever waits for it.
struct JobOutcome {
  enum class Kind : uint8_t {
    kCompleted,  // job is completed; content and stored are set.
    kFailed,     // job is failed: its failure_reason and error say why.
    // The job was to fail here, but the store had it ended already (a
    // result was stored meanwhile): job is this process's last copy; read
    // the job from the store for how it ended.
    kCompletedElsewhere,
    // This process is shutting down: the job stays open in the store and
    // the next process runs it.
    kInterrupted,
  };
  Kind kind = Kind::kFailed;
  store::JobRecord job;  // As stored at the end (kInterrupted: as it stands).
  // kCompleted: the result as the node sent it (shared by every waiter),
  // and the stored bytes (set when someone waited for them). A result file
  // larger than RESULT_INLINE_BYTES_MAX has neither: job.result_file_id
  // names it.
  std::shared_ptr<const boost::json::value> content;
  std::shared_ptr<const std::string> stored;
};

// The TWITTER_SCRAPE frame (ws-protocol.md §7.1) of a job, for the receiving
// connection's clientId.
std::string EncodeJobFrame(const store::JobRecord& job, std::string_view client_id);

// A failed store operation as a node is told it: what it can do (retry
// later, or nothing), through store::FailureForCaller, never the store's own
// text (SQL, file paths), which goes to the log. The node protocol's
// counterpart of ErrorFromStatus (rest_table.h).
std::string StoreFailureText(const Status& status);
// StoreFailureText after a warning in the log with the store's own text.
std::string ReportStoreFailure(const Status& status);
// The same as the E4 frame ("function":"Error", handler failed).
std::string EncodeStoreFailure(const Status& status);

// What the service needs from the node sessions: which session of a node a
// lease goes to, a way to send the job there, and what the server measured.
class NodeSender {
 public:
  virtual ~NodeSender() = default;
  // The clientId of the session SendJob would use now ("" when none): a
  // lease belongs to that session, and only it may complete the job.
  virtual std::string LeaseClientId(nodes::NodeIndex node) const = 0;
  // Sends the job to that session; false when the node has none open.
  virtual bool SendJob(nodes::NodeIndex node, const store::JobRecord& job) = 0;
  // The round trip the server measured to the node, or
  // jobs::JobEngine::kRttUnknown.
  virtual uint32_t MeasuredRttMs(nodes::NodeIndex node) const = 0;
};

// What became of a node's result, for its session to answer in its protocol.
struct ResultOutcome {
  enum class Kind : uint8_t {
    kCompleted,   // Stored (or a repeat of the same result): reward_units.
    kEmpty,       // The job failed as empty (or a repeat of that).
    kUnknownJob,  // No such job.
    kNotLeased,   // Not leased to this session (late, foreign, another session).
    kConflict,    // A different result for the job was accepted already.
    kFailed,      // The store failed: detail.
    kRefused,     // The result itself is refused (too large, a bad result file): detail, error_type.
  };
  Kind kind = Kind::kFailed;
  int64_t reward_units = 0;
  // The time a v1 acknowledgement carries: now (0), or when the result was
  // stored, for a repeat that raced the first.
  int64_t time_ms = 0;
  std::string detail = {};
  std::string_view error_type = {};  // kRefused: v1's errorType (RESULT_TOO_LARGE, INVALID_RESULT).
};

// The v1 reply to a result (docs/PROTOCOL-V1.md §4 TWITTER_SCRAPE_RESULT):
// JobComplete, JobFailed, or the E3 refusal with its errorType.
// has_content: the node sent a non-empty result (an empty one for an
// unknown job gets JobFailed, as the original answered).
std::string EncodeV1ResultReply(const ResultOutcome& outcome, std::string_view job_id, bool has_content,
                                int64_t now_ms);

class JobService {
 public:
  JobService(JobServiceOptions options, const Clock& clock, store::Store& store,
             nodes::NodeRegistry& registry, MetricsRegistry& metrics);

  void Attach(NodeSender* sender) { sender_ = sender; }
  // Several processes share the store (job_cluster.cc). Set before Recover;
  // the cluster's events go to the On... methods below.
  void AttachCluster(store::Cluster* cluster) { cluster_ = cluster; }
  bool shares_store() const { return cluster_ != nullptr; }
  // Refusals for fair use (a customer over its share) are counted here; may
  // stay null (tests).
  void AttachEvents(SecurityEvents* events) { events_ = events; }
  // Called on the loop with every job whose completion was stored (not
  // repeats): the file-canister sync records its result.
  void OnCompleted(std::function<void(const store::JobRecord&)> fn) { on_completed_ = std::move(fn); }
  const JobServiceOptions& options() const { return options_; }
  bool IsKind(std::string_view kind) const;
  // "TWITTER_POST, TWITTER_PROFILE, ..." for error messages.
  std::string KindList() const;

  // Takes over the open jobs in the store; call once before serving.
  void Recover(std::function<void(Status)> done);

  // Fills in job_id, created/assigned times, max_attempts and the deadline
  // (now + timeout_ms; 0: none), writes the job, then offers it to nodes.
  // done is called once, when the store has answered (at once when the job
  // is refused before that). Failures,
  // each worded for the customer (api/rest_table.h ErrorFromStatus):
  //   ResourceExhausted: the client's usage limit, or too many open jobs here;
  //   Conflict: an Idempotency-Key reused with another request;
  //   Unauthenticated: the client no longer exists;
  //   Unavailable: shutting down, or the store is busy;
  //   Internal: the store failed (the detail is for the log).
  void Submit(store::CreateJobRequest request, int64_t timeout_ms,
              std::function<void(Result<store::CreateJobOutcome>)> done);

  // Calls done once, when the job ends here (or, at Drain, with
  // kInterrupted), and returns true. Returns false, never calling done, when
  // the job is not open here: the caller then reads it from the store.
  bool Wait(const std::string& job_id, std::function<void(const JobOutcome&)> done);

  // Cancels a pending or ongoing job (docs/REST-RPC.md "Cancelling a job"):
  // it fails as FailureReason::kCancelled in the store, whoever waits for it
  // hears kFailed, and its lease (if any) ends: the node is not told, and
  // its later result is refused as not leased, so it is neither stored nor
  // rewarded. `client_uuid` is the caller's; nullopt for an operator (any
  // job). done gets the job as stored afterwards, or:
  //   NotFound: no such job, or another customer's (the same answer);
  //   Conflict: the job has ended already (completed or failed),
  //     or its result is being stored right now;
  //   Unavailable/Internal: the store failed.
  void Cancel(const std::string& job_id, std::optional<std::string> client_uuid,
              std::function<void(Result<store::JobRecord>)> done);
  bool IsOpen(const std::string& job_id) const { return engine_.Find(job_id) != nullptr; }

  // ---- from the node sessions ----
  void NodeOnline(nodes::NodeIndex node);
  void NodeChanged(nodes::NodeIndex node);
  // Call before the registry forgets the node.
  void NodeOffline(nodes::NodeIndex node);
  // A session of the node ended while the node stays online: the leases sent
  // to it (its clientId) end.
  void SessionEnded(nodes::NodeIndex node, std::string_view client_id);
  // A node whose sessions all said they are inactive is offered no jobs.
  void SetNodeAvailable(nodes::NodeIndex node, bool available);
  // Pull: a job leased now to the session `client_id` of the node (done gets
  // it, valid during the call), or nullptr.
  void OnJobRequest(nodes::NodeIndex node, std::string_view client_id,
                    std::function<void(const store::JobRecord*)> done);
  // A result from the session `client_id` of `principal`. Accepted only from
  // the session holding the current lease; a repeat of an accepted result is
  // acknowledged when its content is the same and a conflict otherwise.
  // content: nullopt for an empty result; it moves to whoever waits.
  // `file_id`: the result is that uploaded file instead of `content`
  // (v1's TWITTER_SCRAPE_RESULT may name one; job_results.cc).
  void OnResult(std::string_view principal, std::string_view client_id, std::string job_id,
                std::optional<boost::json::value> content, std::function<void(ResultOutcome)> done,
                std::optional<std::string> file_id = std::nullopt);
  // Whether the session `client_id` holds the current lease of the job.
  bool LeaseHeldBy(const std::string& job_id, std::string_view client_id) const;

  // ---- large results (job_results.cc) ----
  // Results may come as files (ScrapeResult::file_id): read through `files`
  // to price them and to hand them to waiters when at most
  // inline_bytes_max long. Without files, a result file is refused.
  void AttachFiles(files::FileService* files, int64_t inline_bytes_max) {
    files_ = files;
    result_inline_bytes_max_ = inline_bytes_max;
  }
  // A result message of `bytes` bytes, over the WebSocket limit `limit`,
  // for job_id from the session `client_id` of `principal`: when that
  // session holds the job's lease (as for OnResult), the job fails at once
  // with an error naming the limit; `reply` gets the node's answer either
  // way.
  void OnResultTooLarge(std::string_view principal, std::string_view client_id, const std::string& job_id,
                        uint64_t bytes, uint64_t limit, std::function<void(ResultOutcome)> reply);
  // A file of `bytes` bytes over FILE_BYTES_MAX declared for job_id by
  // `principal`: when that node holds the job, it fails at once.
  void OnResultFileTooLarge(std::string_view principal, const std::string& job_id, int64_t bytes, int64_t limit);

  // Whether a job for `principal` only (scrapeUrl's principalId) can be
  // taken: the node is here with a free slot, or (cluster) a live process
  // holds it. Calls done once.
  void CanTarget(const std::string& principal, std::function<void(bool)> done);

  // ---- from the cluster (store::Cluster::Events; job_cluster.cc) ----
  // Pending jobs that are this process's to run now.
  void OnClusterJobs(std::vector<store::JobRecord> jobs);
  // A job created here ended on another process.
  void OnJobEndedElsewhere(const std::string& job_id);
  // Messages may have been lost while the store was away: every job waited
  // on here and running elsewhere is read again.
  void OnClusterReconnected();
  // This process was given up for dead: its nodes are announced again.
  void OnClusterReaped();

  // Lease and deadline expiries; call every few hundred ms.
  void Tick();
  // Draining: every lease held here ends (jobs go back to pending in the
  // store for the next process); nothing more is handed out, and whoever
  // waits for a job hears kInterrupted now rather than at the exit.
  void Drain();

  const jobs::JobEngine& engine() const { return engine_; }

 private:
  using Reply = std::function<void(ResultOutcome)>;
  // What a stored completion is waited for with (OnCompletionStored).
  struct Completing {
    store::JobRecord job;  // As completed.
    std::shared_ptr<const boost::json::value> content;
    std::shared_ptr<const std::string> stored;
    Reply reply;
  };

  void AssignAndSend();
  // ---- cluster (job_cluster.cc) ----
  // Tells the cluster how many jobs this process can take now.
  void UpdateWant();
  // A job this process no longer holds (released to the shared queue, or
  // held by another process now): it leaves the engine, and a scrapeUrl
  // waiting for it here goes on waiting for the store's word.
  void Forget(const std::string& job_id);
  void WaitRemote(const std::string& job_id, int64_t created_ms, int64_t deadline_ms);
  // Remote waits past their deadline: failed in the store when nobody holds
  // the job, else given until the grace to end elsewhere.
  void ExpireRemoteWaits(int64_t now_ms);
  // Reads a job waited on here from the store and answers its waiters if it
  // ended (timed_out: answer as failed by its deadline even if it has not).
  void ResolveRemote(const std::string& job_id, bool timed_out);
  void Dispatch(const jobs::Lease& lease);
  // Records a lease the engine handed out; one the store refuses is undone.
  void RecordLease(const jobs::Lease& lease, const store::JobRecord& job);
  void ApplyEnded(std::vector<jobs::Ended> ended);
  // Fails a job the engine has settling: in the store, then here, then to
  // whoever waits (kFailed, or kCompletedElsewhere when the store had it
  // ended). A store error reopens it (AbortSettle). `after`, if set, hears
  // the store's status once that is done.
  void FailInStore(const std::string& job_id, store::JobFailure failure,
                   std::function<void(const Status&)> after = nullptr);
  void Notify(const std::string& job_id, const JobOutcome& outcome);

  // ---- results (job_service_results.cc) ----
  // A result from a node that holds no lease on the job here: a repeat of an
  // accepted result, a late or foreign one, or an unknown job. The store
  // knows which.
  // result_hash: SHA-256 of the result as it would be stored; nullopt for an
  // empty one (repeats with other content are conflicts).
  void AnswerUnleasedResult(std::string principal, std::string job_id, std::optional<std::string> result_hash,
                            Reply reply);
  // The lease holder's empty result: the job fails (kNoData).
  void FailEmptyResult(const std::string& job_id, uint32_t attempt, Reply reply);
  // The lease holder's result: stored with the completion, then acknowledged.
  void CompleteWithResult(const store::JobRecord& open, std::string_view principal, uint32_t attempt,
                          jobs::ResultAnalysis analysis, std::shared_ptr<const boost::json::value> content,
                          Reply reply);
  void OnCompletionStored(Completing completing, Result<store::CompletedJob> outcome);
  // The reward a result for `open` earns now, for CompleteJob to pay
  // (rewards::JobRewardSpecFor: time held up to the kind's typical time,
  // the daily cap, the referral task shares, today's UTC day).
  store::JobRewardSpec RewardFor(const store::JobRecord& open, int64_t now_ms) const;
  // The registry's active-job count of a node (kNoNode: nothing to do)
  // follows the engine's.
  void SyncActive(nodes::NodeIndex node);
  // The node completed a job: one more slot, up to its capacity.
  void EarnSlot(nodes::NodeIndex node);
  // A settle the store refused: the job is open again (see JobEngine).
  void AbortSettle(const std::string& job_id);
  std::string NextJobId(int64_t now_ms);
  // The lease holder's result as an uploaded file (job_results.cc).
  void OnFileResult(std::string principal, uint32_t attempt, const std::string& job_id, std::string file_id,
                    std::function<void(ResultOutcome)> reply);
  void CommitFileResult(std::string principal, uint32_t attempt, const std::string& job_id,
                        store::FileRecord file, std::shared_ptr<jobs::ResultAnalysis> analysis,
                        std::shared_ptr<const boost::json::value> content, std::shared_ptr<const std::string> bytes,
                        std::function<void(ResultOutcome)> reply);
  void RefuseFileResult(const std::string& job_id, std::string_view why, const std::function<void(ResultOutcome)>& reply);
  void Insert(std::shared_ptr<store::CreateJobRequest> request, int tries,
              std::function<void(Result<store::CreateJobOutcome>)> done);

  JobServiceOptions options_;
  const Clock& clock_;
  store::Store& store_;
  nodes::NodeRegistry& registry_;
  NodeSender* sender_ = nullptr;
  SecurityEvents* events_ = nullptr;
  files::FileService* files_ = nullptr;
  std::function<void(const store::JobRecord&)> on_completed_;
  int64_t result_inline_bytes_max_ = 0;
  jobs::JobEngine engine_;
  bool draining_ = false;
  int64_t last_id_ms_ = 0;
  uint32_t id_seq_ = 0;
  std::unordered_map<std::string, std::vector<std::function<void(const JobOutcome&)>>> waiters_;
  std::vector<bool> unavailable_;       // By NodeIndex: every session said inactive.
  std::vector<uint16_t> earned_slots_;  // By NodeIndex: see new_node_slots.

  // Cluster: jobs waited on here that run elsewhere (or wait in the shared
  // queue), with their deadlines; checked by Tick.
  store::Cluster* cluster_ = nullptr;
  struct RemoteDeadline {
    int64_t at_ms;
    std::string job_id;
    bool final;  // The grace after the deadline: answer now whatever the store says.
    bool operator>(const RemoteDeadline& o) const { return at_ms > o.at_ms; }
  };
  struct RemoteWait {
    int64_t created_ms = 0;
    int64_t deadline_ms = 0;  // 0: none.
  };
  std::unordered_map<std::string, RemoteWait> remote_;
  std::priority_queue<RemoteDeadline, std::vector<RemoteDeadline>, std::greater<>> remote_deadlines_;

  struct Metrics {
    Counter* created;
    Counter* completed;
    Counter* failed;
    Counter* leases;
    Counter* released;
    Counter* results_refused;
    Counter* repeats;
    Gauge* open;
    Histogram* round_trip;
  } m_;
};

}  // namespace sela::api
