#include "api/job_service.h"

#include <spdlog/spdlog.h>

#include <algorithm>
#include <utility>

#include "api/events.h"
#include "core/logging.h"
#include "core/points.h"
#include "protocol/v1_encode.h"
#include "protocol/v1_messages.h"

namespace sela::api {

namespace v1 = protocol::v1;

namespace {
constexpr int kIdTries = 8;

// A refused CreateJob in the words of Submit's contract (job_service.h).
// ResourceExhausted is the client's usage limit and nothing else: the
// store's full queue and a full disk are Unavailable (docs/STORAGE.md
// "Errors"), so they answer 503, never "Rate limit exceeded".
Status CreateRefusal(const Status& store_status) {
  switch (store_status.code()) {
    case Code::kResourceExhausted: return ResourceExhausted("Rate limit exceeded");
    case Code::kConflict: return Conflict("Idempotency-Key was already used with a different request");
    case Code::kNotFound: return Unauthenticated("Invalid API key");
    default: return store::FailureForCaller(store_status);
  }
}
}  // namespace

std::string StoreFailureText(const Status& status) {
  if (store::FailureForCaller(status).code() == Code::kUnavailable) {
    return "Service temporarily unavailable, retry later";
  }
  return "Internal server error";
}

std::string ReportStoreFailure(const Status& status) {
  spdlog::warn("node operation failed in the store{}", LogFields({{"error", status.ToString()}}));
  return StoreFailureText(status);
}

std::string EncodeStoreFailure(const Status& status) { return v1::EncodeHandlerFailed(ReportStoreFailure(status)); }

std::string EncodeJobFrame(const store::JobRecord& job, std::string_view client_id) {
  v1::JobDispatch d;
  d.job_type = job.job_type;
  d.url = job.target;
  d.job_id = job.job_id;
  d.client_id = client_id;
  d.post_count = job.post_count;
  d.replies_count = job.replies_count;
  d.scroll_pause_ms = job.scroll_pause_ms;
  return v1::EncodeJobDispatch(d);
}

std::string EncodeV1ResultReply(const ResultOutcome& o, std::string_view job_id, bool has_content, int64_t now_ms) {
  switch (o.kind) {
    case ResultOutcome::Kind::kCompleted:
      return v1::EncodeJobComplete(job_id, Sp(o.reward_units), o.time_ms ? o.time_ms : now_ms);
    case ResultOutcome::Kind::kEmpty:
      return v1::EncodeJobFailedNoData(job_id, now_ms);
    case ResultOutcome::Kind::kUnknownJob:
      return has_content ? v1::EncodeResultRejected(v1::kJobNotFoundReason, v1::kErrorTypeInternal)
                         : v1::EncodeJobFailedNoData(job_id, now_ms);
    case ResultOutcome::Kind::kNotLeased:
      return v1::EncodeResultRejected("Job is not leased to this node", "JOB_NOT_ASSIGNED");
    case ResultOutcome::Kind::kConflict:
      return v1::EncodeResultRejected("A different result for this job was already accepted", "RESULT_CONFLICT");
    case ResultOutcome::Kind::kRefused:
      return v1::EncodeResultRejected(o.detail, o.error_type);
    case ResultOutcome::Kind::kFailed:
      break;
  }
  return v1::EncodeHandlerFailed(o.detail);
}

JobServiceOptions JobServiceOptions::FromConfig(const Config& config) {
  JobServiceOptions o;
  o.kinds = config.jobs.kinds;
  o.lease_ms = config.jobs.lease_ms;
  o.max_attempts = config.jobs.max_attempts;
  o.push = config.jobs.push;
  o.speed_claim_max_mbps = static_cast<float>(config.security.speed_claim_max_mbps);
  o.new_node_slots = config.security.new_node_slots;
  o.open_jobs_max = config.jobs.open_jobs_max;
  o.open_jobs_per_client_max =
      std::max<uint64_t>(1, uint64_t{config.jobs.open_jobs_max} * config.jobs.open_share_percent / 100);
  o.job_max_age_ms = static_cast<int64_t>(std::min<uint64_t>(config.security.job_max_age_ms, INT64_MAX / 4));
  o.rewards = rewards::RulesFromConfig(config.rewards);
  return o;
}

std::vector<double> JobRoundTripBounds() {
  return {0.001, 0.002, 0.003, 0.005, 0.0075, 0.01, 0.015, 0.02, 0.03, 0.05, 0.075, 0.1, 0.15, 0.2,
          0.3,   0.5,   0.75,  1,     1.5,    2,    3,     5,    10,   20,   30,    60,  120,  300, 900};
}

JobService::JobService(JobServiceOptions options, const Clock& clock, store::Store& store,
                       nodes::NodeRegistry& registry, MetricsRegistry& metrics)
    : options_(std::move(options)),
      clock_(clock),
      store_(store),
      registry_(registry),
      engine_(jobs::EngineOptions{options_.lease_ms, options_.max_attempts,
                                  [this](nodes::NodeIndex node) -> std::string_view {
                                    const auto view = registry_.View(node);
                                    return view ? view->principal : std::string_view();
                                  },
                                  [this](std::string_view principal) { return registry_.Find(principal); }}) {
  m_.created = &metrics.GetCounter("sela_jobs_created_total", "Jobs written to the store by the customer API.");
  m_.completed = &metrics.GetCounter("sela_jobs_completed_total", "Jobs completed with a stored result.");
  m_.failed = &metrics.GetCounter("sela_jobs_failed_total",
                                  "Jobs failed (empty result, deadline, out of attempts).");
  m_.leases = &metrics.GetCounter("sela_job_leases_total", "Leases handed to nodes (push and pull).");
  m_.released = &metrics.GetCounter("sela_job_leases_ended_total",
                                    "Leases that ended without a result (node gone, expired, drain).");
  m_.results_refused = &metrics.GetCounter("sela_job_results_refused_total",
                                           "Results refused: unknown job or not the lease holder.");
  m_.repeats = &metrics.GetCounter("sela_job_results_repeated_total",
                                   "Repeats of an accepted result (acknowledged, nothing changed).");
  m_.open = &metrics.GetGauge("sela_jobs_open", "Pending and ongoing jobs held by this process.");
  m_.round_trip = &metrics.GetHistogram(kJobRoundTripMetric, "Jobs completed: seconds from creation to the stored result.",
                                        {}, JobRoundTripBounds());
}

bool JobService::IsKind(std::string_view kind) const {
  return std::find(options_.kinds.begin(), options_.kinds.end(), kind) != options_.kinds.end();
}

std::string JobService::KindList() const {
  std::string out;
  for (const std::string& k : options_.kinds) {
    if (!out.empty()) out += ", ";
    out += k;
  }
  return out;
}

std::string JobService::NextJobId(int64_t now_ms) {
  // job_<ms>_<n> as the original wrote it; unique in this process because
  // (ms, n) never repeats: n counts within a millisecond, and the
  // millisecond never goes back.
  if (now_ms > last_id_ms_) {
    last_id_ms_ = now_ms;
    id_seq_ = 0;
  } else if (++id_seq_ > 9999) {
    ++last_id_ms_;
    id_seq_ = 0;
  }
  const uint64_t n = uint64_t{options_.job_id_tag} * 10'000 + id_seq_;
  return "job_" + std::to_string(last_id_ms_) + "_" + std::to_string(n);
}

// ---- start-up -----------------------------------------------------------------

void JobService::Recover(std::function<void(Status)> done) {
  if (cluster_) {
    // Nothing to take over: the jobs of a process that is gone are released
    // by the others when its heartbeat lapses (this one's included, once it
    // has started), and come here through the shared queue.
    spdlog::info("jobs: the store is shared; open jobs come through its queue");
    done(Status());
    return;
  }
  store_.ListOpenJobs([this, done = std::move(done)](Result<std::vector<store::JobRecord>> open) {
    if (!open) {
      done(open.error());
      return;
    }
    const int64_t now_ms = clock_.WallMs();
    size_t released = 0;
    size_t failed = 0;
    for (store::JobRecord& job : *open) {
      last_id_ms_ = std::max(last_id_ms_, job.created_ms);
      if (job.state == store::JobState::kOngoing) {
        // The process that held this lease is gone.
        if (job.attempt >= options_.max_attempts) {
          ++failed;
          store_.FailJob(job.job_id,
                         store::JobFailure{job.attempt, store::FailureReason::kRestart,
                                           "Job failed after " + std::to_string(job.attempt) +
                                               " attempts: server restarted"},
                         now_ms, [](Status) {});
          continue;
        }
        ++released;
        store_.ReleaseJob(job.job_id, job.attempt, now_ms, [](Status) {});
        job.state = store::JobState::kPending;
        job.last_failed_node = job.node_principal;
        job.lease_deadline_ms = 0;
      }
      engine_.AddPending(std::move(job));
    }
    m_.open->Set(static_cast<double>(engine_.open_jobs()));
    spdlog::info("jobs taken over{}", LogFields({{"pending", std::to_string(engine_.open_jobs())},
                                                 {"leases_ended", std::to_string(released)},
                                                 {"failed", std::to_string(failed)}}));
    // Anything the store could not apply shows in the next Flush/ops; the
    // jobs themselves are pending here either way.
    done(Status());
    AssignAndSend();
  });
}

// ---- customer side ------------------------------------------------------------

void JobService::Submit(store::CreateJobRequest request, int64_t timeout_ms,
                        std::function<void(Result<store::CreateJobOutcome>)> done) {
  if (draining_) {
    done(Err(Unavailable("the server is shutting down")));
    return;
  }
  if (engine_.open_jobs() >= options_.open_jobs_max) {
    done(Err(ResourceExhausted("Too many open jobs on this server, retry later")));
    return;
  }
  if (engine_.OpenJobsOf(request.job.client_uuid) >= options_.open_jobs_per_client_max) {
    if (events_ != nullptr) events_->Refused(Refusal::kOpenJobsShare, {{"client", request.job.client_uuid}});
    done(Err(ResourceExhausted("Too many open jobs for this client: at most " +
                               std::to_string(options_.open_jobs_per_client_max) +
                               " at once; wait for some to finish or cancel them")));
    return;
  }
  const int64_t now_ms = clock_.WallMs();
  store::JobRecord& job = request.job;
  job.state = store::JobState::kPending;
  job.created_ms = now_ms;
  job.assigned_ms = now_ms;
  job.max_attempts = options_.max_attempts;
  // A job nobody waits for (addJob) still ends: JOB_MAX_AGE_MS.
  const int64_t lifetime_ms = timeout_ms > 0 ? timeout_ms : options_.job_max_age_ms;
  job.deadline_ms = lifetime_ms > 0 ? now_ms + lifetime_ms : 0;
  job.usage_charged = request.charge_usage;  // As CreateJob records it.
  Insert(std::make_shared<store::CreateJobRequest>(std::move(request)), kIdTries, std::move(done));
}

void JobService::Insert(std::shared_ptr<store::CreateJobRequest> request, int tries,
                        std::function<void(Result<store::CreateJobOutcome>)> done) {
  request->job.job_id = NextJobId(request->job.created_ms);
  const std::string& job_id = request->job.job_id;
  // When a node is free now, the job is created already leased to it: one
  // store operation instead of CreateJob then LeaseJob.
  std::optional<jobs::Lease> lease;
  if (options_.push && !draining_) lease = engine_.AddLeased(request->job, clock_.WallMs());
  if (lease) {
    engine_.SetNodeClientId(job_id, sender_ ? sender_->LeaseClientId(lease->node) : std::string());
    const store::JobRecord& leased = *engine_.Find(job_id);
    request->job.state = leased.state;
    request->job.attempt = leased.attempt;
    request->job.node_principal = leased.node_principal;
    request->job.node_client_id = leased.node_client_id;
    request->job.assigned_ms = leased.assigned_ms;
    request->job.lease_deadline_ms = leased.lease_deadline_ms;
    SyncActive(lease->node);
  }
  store_.CreateJob(*request, [this, request, tries, lease = std::move(lease), done = std::move(done)](
                                 Result<store::CreateJobOutcome> outcome) mutable {
    // This attempt's id (a retry below gives the request a new one, after
    // its last use here).
    const std::string& job_id = request->job.job_id;
    if (lease && (!outcome || !outcome->created)) {
      // Not created (refused, or an idempotent repeat): the reservation goes.
      SyncActive(engine_.Finish(job_id));
    }
    if (!outcome && outcome.error().code() == Code::kAlreadyExists && tries > 1) {
      request->job.state = store::JobState::kPending;
      request->job.attempt = 0;
      request->job.node_principal.clear();
      request->job.node_client_id.clear();
      request->job.assigned_ms = request->job.created_ms;
      request->job.lease_deadline_ms = 0;
      Insert(std::move(request), tries - 1, std::move(done));
      return;
    }
    if (!outcome) outcome = Err(CreateRefusal(outcome.error()));
    const bool created = outcome && outcome->created;
    if (created) {
      m_.created->Inc();
      events::JobCreated(outcome->job);
      if (!lease && !cluster_) engine_.AddPending(outcome->job);
      // With a shared store, the store placed it (the shared queue, or the
      // process holding its node); a scrapeUrl here waits for its end.
      if (!lease && cluster_ && request->job.sync) {
        WaitRemote(job_id, request->job.created_ms, request->job.deadline_ms);
      }
      m_.open->Set(static_cast<double>(engine_.open_jobs()));
    }
    done(std::move(outcome));
    if (!created) return;
    if (lease) {
      // Still held by that node (it may have left meanwhile; then the job is
      // pending again and AssignAndSend places it).
      m_.leases->Inc();
      const store::JobRecord* j = engine_.Find(job_id);
      if (j) events::JobLeased(*j, lease->attempt, "push");
      if (j && sender_ && engine_.HeldBy(job_id, j->node_principal) == std::optional<uint32_t>(lease->attempt)) {
        sender_->SendJob(lease->node, *j);
      }
    }
    AssignAndSend();
  });
}

bool JobService::Wait(const std::string& job_id, std::function<void(const JobOutcome&)> done) {
  if (!engine_.Find(job_id) && !remote_.contains(job_id)) return false;
  waiters_[job_id].push_back(std::move(done));
  return true;
}

void JobService::Notify(const std::string& job_id, const JobOutcome& outcome) {
  auto it = waiters_.find(job_id);
  if (it == waiters_.end()) return;
  auto waiting = std::move(it->second);
  waiters_.erase(it);
  remote_.erase(job_id);
  for (auto& w : waiting) w(outcome);
}

// ---- assignment ---------------------------------------------------------------

void JobService::SyncActive(nodes::NodeIndex node) {
  if (node == nodes::kNoNode) return;
  registry_.SetActiveJobs(node, engine_.ActiveJobs(node));
}

void JobService::AssignAndSend() {
  if (options_.push && !draining_) {
    for (const jobs::Lease& lease : engine_.Assign(clock_.WallMs())) Dispatch(lease);
  }
  UpdateWant();
}

void JobService::Dispatch(const jobs::Lease& lease) {
  const store::JobRecord* job = engine_.Find(lease.job_id);
  if (!job) return;
  m_.leases->Inc();
  events::JobLeased(*job, lease.attempt, "push");
  SyncActive(lease.node);
  engine_.SetNodeClientId(lease.job_id, sender_ ? sender_->LeaseClientId(lease.node) : std::string());
  RecordLease(lease, *job);
  if (sender_) sender_->SendJob(lease.node, *job);
}

void JobService::RecordLease(const jobs::Lease& lease, const store::JobRecord& job) {
  store_.LeaseJob(lease.job_id,
                  store::JobLease{job.node_principal, job.node_client_id, lease.attempt, lease.deadline_ms},
                  clock_.WallMs(), [this, id = lease.job_id, attempt = lease.attempt](Status st) {
                    if (st.ok()) return;
                    spdlog::warn("job lease not recorded{}",
                                 LogFields({{"job_id", id}, {"error", st.ToString()}}));
                    const bool taken = st.code() == Code::kFailedPrecondition || st.code() == Code::kNotFound;
                    if (cluster_ && taken) {
                      // Another process holds it now (or it ended): not ours.
                      const store::JobRecord* job = engine_.Find(id);
                      const int64_t created = job ? job->created_ms : 0;
                      const int64_t deadline = job ? job->deadline_ms : 0;
                      SyncActive(engine_.Finish(id));
                      if (waiters_.contains(id)) WaitRemote(id, created, deadline);
                      AssignAndSend();
                      return;
                    }
                    SyncActive(engine_.LeaseFailed(id, attempt));
                  });
}

void JobService::NodeOnline(nodes::NodeIndex node) {
  if (node == nodes::kNoNode) return;
  if (cluster_) {
    // Its presence: jobs for it go to this process (and those parked for
    // it come here).
    if (const auto view = registry_.View(node)) cluster_->NodeOnline(std::string(view->principal));
  }
  if (node >= earned_slots_.size()) earned_slots_.resize(node + 1, 0);
  earned_slots_[node] = static_cast<uint16_t>(std::min(options_.new_node_slots, nodes::kJobsPerNodeMax));
  NodeChanged(node);
}

void JobService::EarnSlot(nodes::NodeIndex node) {
  if (node == nodes::kNoNode || node >= earned_slots_.size() || options_.new_node_slots == 0) return;
  const auto view = registry_.View(node);
  if (!view || earned_slots_[node] >= view->max_concurrent_jobs) return;
  ++earned_slots_[node];
  NodeChanged(node);
}

void JobService::NodeChanged(nodes::NodeIndex node) {
  const auto view = registry_.View(node);
  if (!view) return;
  const bool available = node >= unavailable_.size() || !unavailable_[node];
  uint32_t slots = available ? view->max_concurrent_jobs : 0;
  if (options_.new_node_slots > 0 && node < earned_slots_.size()) {
    slots = std::min<uint32_t>(slots, earned_slots_[node]);
  }
  // What a node reports about itself is capped: the ranking prefers the
  // round trip the server measured (jobs/engine.h).
  engine_.UpsertNode(node, slots, std::min(view->download_speed, options_.speed_claim_max_mbps),
                     sender_ ? sender_->MeasuredRttMs(node) : jobs::JobEngine::kRttUnknown);
  AssignAndSend();
}

void JobService::SetNodeAvailable(nodes::NodeIndex node, bool available) {
  if (node == nodes::kNoNode) return;
  if (node >= unavailable_.size()) unavailable_.resize(node + 1, false);
  unavailable_[node] = !available;
  NodeChanged(node);
}

void JobService::SessionEnded(nodes::NodeIndex node, std::string_view client_id) {
  ApplyEnded(engine_.EndLeasesOf(node, client_id));
  SyncActive(node);
  AssignAndSend();
}

void JobService::NodeOffline(nodes::NodeIndex node) {
  if (cluster_) {
    if (const auto view = registry_.View(node)) cluster_->NodeOffline(std::string(view->principal));
  }
  if (node < unavailable_.size()) unavailable_[node] = false;
  ApplyEnded(engine_.RemoveNode(node));
  AssignAndSend();
}

void JobService::OnJobRequest(nodes::NodeIndex node, std::string_view client_id,
                              std::function<void(const store::JobRecord*)> done) {
  const int64_t now_ms = clock_.WallMs();
  const bool available = node >= unavailable_.size() || !unavailable_[node];
  auto lease = draining_ || !available ? std::nullopt : engine_.LeaseTo(node, now_ms);
  if (!lease) {
    done(nullptr);
    return;
  }
  engine_.SetNodeClientId(lease->job_id, std::string(client_id));
  const store::JobRecord* job = engine_.Find(lease->job_id);
  m_.leases->Inc();
  events::JobLeased(*job, lease->attempt, "pull");
  SyncActive(node);
  RecordLease(*lease, *job);
  done(job);
}

}  // namespace sela::api
