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
//
// Threading: everything on the event loop's thread.
#pragma once

#include <boost/json/value.hpp>
#include <cstdint>
#include <functional>
#include <memory>
#include <string>
#include <unordered_map>
#include <vector>

#include "core/clock.h"
#include "core/config.h"
#include "core/metrics.h"
#include "jobs/engine.h"
#include "jobs/result.h"
#include "nodes/registry.h"
#include "protocol/v1_decode.h"
#include "store/store.h"

namespace sela::api {

struct JobServiceOptions {
  std::vector<std::string> kinds = {"TWITTER_POST", "TWITTER_PROFILE", "TWITTER_FOLLOW_LIST", "HTML"};
  int64_t lease_ms = 300'000;
  uint32_t max_attempts = 3;
  bool push = true;                 // false: jobs wait for JOB_REQUEST.
  uint64_t open_jobs_max = 200'000; // Beyond: Submit fails with ResourceExhausted.
  // Node reward: 0.012 SP per second of the lease (services.md §1.10),
  // capped by the lease length. Units: core/points.h.
  int64_t reward_units_per_second = 1'200'000;

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
  // and the stored bytes (set when someone waited for them).
  std::shared_ptr<const boost::json::value> content;
  std::shared_ptr<const std::string> stored;
};

// The TWITTER_SCRAPE frame (ws-protocol.md §7.1) of a job, for the receiving
// connection's clientId.
std::string EncodeJobFrame(const store::JobRecord& job, std::string_view client_id);

// What the service needs from the node sessions: a way to send one frame to
// one node (its newest connection), with the job's node_client_id as clientId.
class NodeSender {
 public:
  virtual ~NodeSender() = default;
  // Sends the job; false when the node has no open registered connection.
  virtual bool SendJob(nodes::NodeIndex node, const store::JobRecord& job) = 0;
};

class JobService {
 public:
  JobService(JobServiceOptions options, const Clock& clock, store::Store& store,
             nodes::NodeRegistry& registry, MetricsRegistry& metrics);

  void Attach(NodeSender* sender) { sender_ = sender; }
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
  bool IsOpen(const std::string& job_id) const { return engine_.Find(job_id) != nullptr; }

  // ---- from the node sessions ----
  void NodeOnline(nodes::NodeIndex node);
  void NodeChanged(nodes::NodeIndex node);
  // Call before the registry forgets the node.
  void NodeOffline(nodes::NodeIndex node);
  // JOB_REQUEST: the reply (a TWITTER_SCRAPE dispatch or NoJobsAvailable).
  void OnJobRequest(nodes::NodeIndex node, std::string_view client_id,
                    std::function<void(std::string)> reply);
  // TWITTER_SCRAPE_RESULT from `principal`; reply gets the frame to send back.
  // Takes the result by value: its content moves to whoever waits for it.
  void OnResult(std::string_view principal, protocol::v1::ScrapeResult result,
                std::function<void(std::string)> reply);

  // Lease and deadline expiries; call every few hundred ms.
  void Tick();
  // Draining: every lease held here ends (jobs go back to pending in the
  // store for the next process); nothing more is handed out, and whoever
  // waits for a job hears kInterrupted now rather than at the exit.
  void Drain();

  const jobs::JobEngine& engine() const { return engine_; }

 private:
  using Reply = std::function<void(std::string)>;
  // What a stored completion is waited for with (OnCompletionStored).
  struct Completing {
    store::JobRecord job;  // As completed.
    std::shared_ptr<const boost::json::value> content;
    std::shared_ptr<const std::string> stored;
    Reply reply;
  };

  void AssignAndSend();
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
  void AnswerUnleasedResult(std::string principal, std::string job_id, bool has_content, Reply reply);
  // The lease holder's empty result: the job fails (kNoData).
  void FailEmptyResult(const std::string& job_id, uint32_t attempt, Reply reply);
  // The lease holder's result: stored with the completion, then acknowledged.
  void CompleteWithResult(const store::JobRecord& open, std::string_view principal, uint32_t attempt,
                          jobs::ResultAnalysis analysis, std::shared_ptr<const boost::json::value> content,
                          Reply reply);
  void OnCompletionStored(Completing completing, Result<store::CompleteOutcome> outcome);
  // The registry's active-job count of a node (kNoNode: nothing to do)
  // follows the engine's.
  void SyncActive(nodes::NodeIndex node);
  // A settle the store refused: the job is open again (see JobEngine).
  void AbortSettle(const std::string& job_id);
  std::string NextJobId(int64_t now_ms);
  void Insert(std::shared_ptr<store::CreateJobRequest> request, int tries,
              std::function<void(Result<store::CreateJobOutcome>)> done);

  JobServiceOptions options_;
  const Clock& clock_;
  store::Store& store_;
  nodes::NodeRegistry& registry_;
  NodeSender* sender_ = nullptr;
  jobs::JobEngine engine_;
  bool draining_ = false;
  int64_t last_id_ms_ = 0;
  uint32_t id_seq_ = 0;
  std::unordered_map<std::string, std::vector<std::function<void(const JobOutcome&)>>> waiters_;

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
