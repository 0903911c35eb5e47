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
//   analysed (empty → failed, NO_DATA_FOUND), stored with the completion in
//   one store transaction, and only then acknowledged to the node and handed
//   to whoever waits for it (scrapeUrl). A repeat is acknowledged and changes
//   nothing; a foreign result is refused;
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
#include "files/file_service.h"
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
  uint64_t open_jobs_max = 200'000; // Beyond: Submit answers ResourceExhausted.
  // Node reward: 0.012 SP per second of the lease (services.md §1.10),
  // capped by the lease length. 1 SP = 10^8 units.
  int64_t reward_units_per_second = 1'200'000;

  static JobServiceOptions FromConfig(const Config& config);
};

// How a job ended, for whoever waits for it.
struct JobOutcome {
  // kInterrupted: this process is shutting down; the job stays open in the
  // store and the next process runs it.
  enum class Kind : uint8_t { kCompleted, kEmpty, kFailed, kInterrupted };
  Kind kind = Kind::kFailed;
  store::JobRecord job;  // As stored at the end.
  // kCompleted: the result as the node sent it (shared by every waiter),
  // and the stored bytes (set when someone waited for them). A result file
  // larger than RESULT_INLINE_BYTES_MAX has neither: job.result_file_id
  // names it.
  std::shared_ptr<const boost::json::value> content;
  std::shared_ptr<const std::string> stored;
  std::string error;     // kFailed / kEmpty.
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

  // Fills in job_id, created/assigned times and max_attempts, writes the job,
  // then offers it to nodes. ResourceExhausted when too many jobs are open
  // or the client's usage limit is reached; Conflict for an idempotency key
  // reused with another request.
  void Submit(store::CreateJobRequest request, std::function<void(Result<store::CreateJobOutcome>)> done);

  // Calls done once the job ends (at once if it is not open here: the caller
  // then reads it from the store). Returns false in that case, without
  // calling done.
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

  // ---- large results (job_results.cc) ----
  // Results may come as files (ScrapeResult::file_id): read through `files`
  // to price them and to hand them to waiters when at most
  // inline_bytes_max long. Without files, a result file is refused.
  void AttachFiles(files::FileService* files, int64_t inline_bytes_max) {
    files_ = files;
    result_inline_bytes_max_ = inline_bytes_max;
  }
  // A result message of `bytes` bytes, over the WebSocket limit `limit`,
  // for job_id from `principal`: when that node holds the job, the job
  // fails at once with an error naming the limit; `reply` gets the node's
  // answer either way.
  void OnResultTooLarge(std::string_view principal, const std::string& job_id, uint64_t bytes, uint64_t limit,
                        std::function<void(std::string)> reply);
  // A file of `bytes` bytes over FILE_BYTES_MAX declared for job_id by
  // `principal`: when that node holds the job, it fails at once.
  void OnResultFileTooLarge(std::string_view principal, const std::string& job_id, int64_t bytes, int64_t limit);

  // Lease and deadline expiries; call every few hundred ms.
  void Tick();
  // Draining: every lease held here ends (jobs go back to pending in the
  // store for the next process); nothing more is handed out, and whoever
  // waits for a job hears kInterrupted now rather than at the exit.
  void Drain();

  const jobs::JobEngine& engine() const { return engine_; }

 private:
  void AssignAndSend();
  void Dispatch(const jobs::Lease& lease);
  void ApplyEnded(std::vector<jobs::Ended> ended);
  void FailNow(const std::string& job_id, uint32_t attempt, std::string error, JobOutcome::Kind kind);
  void Notify(const std::string& job_id, const JobOutcome& outcome);
  // The registry's active-job count of a node (kNoNode: nothing to do)
  // follows the engine's.
  void SyncActive(nodes::NodeIndex node);
  // A settle the store refused: the job is open again (see JobEngine).
  void AbortSettle(const std::string& job_id);
  std::string NextJobId(int64_t now_ms);
  // The lease holder's result, analysed: stored with the completion, then
  // acknowledged and handed to waiters (OnResult, OnFileResult).
  void CommitResult(store::JobRecord done_job, store::JobCompletion completion,
                    std::shared_ptr<const boost::json::value> content, std::shared_ptr<const std::string> stored,
                    std::function<void(std::string)> reply);
  // The lease holder's result as an uploaded file (job_results.cc).
  void OnFileResult(std::string principal, uint32_t attempt, const std::string& job_id, std::string file_id,
                    std::function<void(std::string)> reply);
  void CommitFileResult(std::string principal, uint32_t attempt, const std::string& job_id,
                        store::FileRecord file, std::shared_ptr<jobs::ResultAnalysis> analysis,
                        std::shared_ptr<const boost::json::value> content, std::shared_ptr<const std::string> bytes,
                        std::function<void(std::string)> reply);
  void RefuseFileResult(const std::string& job_id, std::string_view why, const std::function<void(std::string)>& reply);
  void Insert(std::shared_ptr<store::CreateJobRequest> request, int tries,
              std::function<void(Result<store::CreateJobOutcome>)> done);

  JobServiceOptions options_;
  const Clock& clock_;
  store::Store& store_;
  nodes::NodeRegistry& registry_;
  NodeSender* sender_ = nullptr;
  files::FileService* files_ = nullptr;
  int64_t result_inline_bytes_max_ = 0;
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
  } m_;
};

}  // namespace sela::api
