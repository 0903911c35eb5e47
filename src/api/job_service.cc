#include "api/job_service.h"

#include <spdlog/spdlog.h>

#include <algorithm>
#include <utility>

#include "auth/api_key.h"
#include "core/logging.h"
#include "jobs/result.h"
#include "protocol/v1_encode.h"
#include "protocol/v1_messages.h"

namespace sela::api {

namespace v1 = protocol::v1;

namespace {
constexpr std::string_view kEmptyResultError = "Scraping returned empty results - no data found";
constexpr std::string_view kNotLeasedReason = "Job is not leased to this node";
constexpr std::string_view kErrorTypeNotLeased = "JOB_NOT_ASSIGNED";
constexpr int kIdTries = 8;
}  // namespace

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

JobServiceOptions JobServiceOptions::FromConfig(const Config& config) {
  JobServiceOptions o;
  o.kinds = config.jobs.kinds;
  o.lease_ms = config.jobs.lease_ms;
  o.max_attempts = config.jobs.max_attempts;
  o.push = config.jobs.push;
  o.open_jobs_max = config.jobs.open_jobs_max;
  return o;
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
  return "job_" + std::to_string(last_id_ms_) + "_" + std::to_string(id_seq_);
}

// ---- start-up -----------------------------------------------------------------

void JobService::Recover(std::function<void(Status)> done) {
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
          store_.FailJob(job.job_id, job.attempt,
                         "Job failed after " + std::to_string(job.attempt) + " attempts: server restarted",
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

void JobService::Submit(store::CreateJobRequest request,
                        std::function<void(Result<store::CreateJobOutcome>)> done) {
  if (draining_) {
    done(Err(Unavailable("the server is shutting down")));
    return;
  }
  if (engine_.open_jobs() >= options_.open_jobs_max) {
    done(Err(Unavailable("too many open jobs; retry later")));
    return;
  }
  const int64_t now_ms = clock_.WallMs();
  store::JobRecord& job = request.job;
  job.state = store::JobState::kPending;
  job.created_ms = now_ms;
  job.assigned_ms = now_ms;
  job.max_attempts = options_.max_attempts;
  if (job.deadline_ms > 0) job.deadline_ms += now_ms;  // Given relative.
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
    const auto view = registry_.View(lease->node);
    engine_.SetNodeClientId(job_id, view ? std::to_string(view->client_id_ms) : std::string());
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
    const bool created = outcome && outcome->created;
    if (created) {
      m_.created->Inc();
      if (!lease) engine_.AddPending(outcome->job);
      m_.open->Set(static_cast<double>(engine_.open_jobs()));
    }
    done(std::move(outcome));
    if (!created) return;
    if (lease) {
      // Still held by that node (it may have left meanwhile; then the job is
      // pending again and AssignAndSend places it).
      m_.leases->Inc();
      const store::JobRecord* j = engine_.Find(job_id);
      if (j && sender_ && engine_.HeldBy(job_id, j->node_principal) == std::optional<uint32_t>(lease->attempt)) {
        sender_->SendJob(lease->node, *j);
      }
    }
    AssignAndSend();
  });
}

bool JobService::Wait(const std::string& job_id, std::function<void(const JobOutcome&)> done) {
  if (!engine_.Find(job_id)) return false;
  waiters_[job_id].push_back(std::move(done));
  return true;
}

void JobService::Notify(const std::string& job_id, const JobOutcome& outcome) {
  auto it = waiters_.find(job_id);
  if (it == waiters_.end()) return;
  auto waiting = std::move(it->second);
  waiters_.erase(it);
  for (auto& w : waiting) w(outcome);
}

// ---- assignment ---------------------------------------------------------------

void JobService::SyncActive(nodes::NodeIndex node) {
  if (node == nodes::kNoNode) return;
  registry_.SetActiveJobs(node, engine_.ActiveJobs(node));
}

void JobService::AssignAndSend() {
  if (!options_.push || draining_) return;
  for (const jobs::Lease& lease : engine_.Assign(clock_.WallMs())) Dispatch(lease);
}

void JobService::Dispatch(const jobs::Lease& lease) {
  const store::JobRecord* job = engine_.Find(lease.job_id);
  if (!job) return;
  m_.leases->Inc();
  SyncActive(lease.node);
  const auto view = registry_.View(lease.node);
  const std::string client_id = view ? std::to_string(view->client_id_ms) : std::string();
  engine_.SetNodeClientId(lease.job_id, client_id);
  store_.LeaseJob(lease.job_id, job->node_principal, client_id, lease.attempt, lease.deadline_ms,
                  clock_.WallMs(), [this, id = lease.job_id, attempt = lease.attempt](Status st) {
                    if (st.ok()) return;
                    spdlog::warn("job lease not recorded{}",
                                 LogFields({{"job_id", id}, {"error", st.ToString()}}));
                    SyncActive(engine_.LeaseFailed(id, attempt));
                  });
  if (sender_) sender_->SendJob(lease.node, *job);
}

void JobService::NodeOnline(nodes::NodeIndex node) {
  NodeChanged(node);
}

void JobService::NodeChanged(nodes::NodeIndex node) {
  const auto view = registry_.View(node);
  if (!view) return;
  engine_.UpsertNode(node, view->max_concurrent_jobs, view->download_speed);
  AssignAndSend();
}

void JobService::NodeOffline(nodes::NodeIndex node) {
  ApplyEnded(engine_.RemoveNode(node));
  AssignAndSend();
}

void JobService::OnJobRequest(nodes::NodeIndex node, std::string_view client_id,
                              std::function<void(std::string)> reply) {
  const int64_t now_ms = clock_.WallMs();
  if (draining_) {
    reply(v1::EncodeNoJobsAvailable(now_ms));
    return;
  }
  auto lease = engine_.LeaseTo(node, now_ms);
  if (!lease) {
    reply(v1::EncodeNoJobsAvailable(now_ms));
    return;
  }
  engine_.SetNodeClientId(lease->job_id, std::string(client_id));
  const store::JobRecord* job = engine_.Find(lease->job_id);
  m_.leases->Inc();
  SyncActive(node);
  store_.LeaseJob(lease->job_id, job->node_principal, std::string(client_id), lease->attempt,
                  lease->deadline_ms, now_ms, [this, id = lease->job_id, attempt = lease->attempt](Status st) {
                    if (st.ok()) return;
                    SyncActive(engine_.LeaseFailed(id, attempt));
                  });
  reply(EncodeJobFrame(*job, client_id));
}

// ---- endings ------------------------------------------------------------------

void JobService::ApplyEnded(std::vector<jobs::Ended> ended) {
  const int64_t now_ms = clock_.WallMs();
  for (jobs::Ended& e : ended) {
    if (e.kind == jobs::Ended::Kind::kReleased) {
      m_.released->Inc();
      store_.ReleaseJob(e.job_id, e.attempt, now_ms, [id = e.job_id](Status st) {
        if (!st.ok()) {
          spdlog::warn("job release not recorded{}", LogFields({{"job_id", id}, {"error", st.ToString()}}));
        }
      });
      continue;
    }
    if (!e.past_deadline) m_.released->Inc();  // Its last lease ended.
    FailNow(e.job_id, e.attempt, std::move(e.error), JobOutcome::Kind::kFailed);
  }
}

// The engine has marked the job settling.
void JobService::FailNow(const std::string& job_id, uint32_t attempt, std::string error,
                         JobOutcome::Kind kind) {
  store_.FailJob(job_id, attempt, error, clock_.WallMs(),
                 [this, job_id, error, kind](Status st) {
                   if (!st.ok() && st.code() != Code::kFailedPrecondition) {
                     spdlog::warn("job failure not recorded{}",
                                  LogFields({{"job_id", job_id}, {"error", st.ToString()}}));
                     AbortSettle(job_id);
                     return;
                   }
                   // FailedPrecondition: the store already has it terminal
                   // (completed meanwhile): it is no longer open either way.
                   const store::JobRecord* j = engine_.Find(job_id);
                   JobOutcome outcome;
                   outcome.kind = kind;
                   outcome.error = error;
                   if (j) {
                     outcome.job = *j;
                     outcome.job.state = store::JobState::kFailed;
                     outcome.job.error = error;
                     outcome.job.complete_ms = clock_.WallMs();
                   }
                   SyncActive(engine_.Finish(job_id));
                   m_.open->Set(static_cast<double>(engine_.open_jobs()));
                   if (st.ok()) {
                     m_.failed->Inc();
                     Notify(job_id, outcome);
                   } else {
                     // Completed after all: waiters read it from the store.
                     outcome.kind = JobOutcome::Kind::kFailed;
                     outcome.error = "completed";
                     Notify(job_id, outcome);
                   }
                   AssignAndSend();
                 });
}

void JobService::AbortSettle(const std::string& job_id) {
  if (auto ended = engine_.AbortSettle(job_id)) ApplyEnded({std::move(*ended)});
}

void JobService::Tick() {
  ApplyEnded(engine_.Expire(clock_.WallMs()));
  AssignAndSend();
}

void JobService::Drain() {
  draining_ = true;
  std::vector<jobs::Ended> ended;
  registry_.ForEach([&](nodes::NodeIndex node) {
    auto e = engine_.RemoveNode(node);
    ended.insert(ended.end(), std::make_move_iterator(e.begin()), std::make_move_iterator(e.end()));
  });
  ApplyEnded(std::move(ended));
  // Waiting scrapeUrl calls are answered now, so that the drain does not
  // wait for their timeouts; their jobs stay in the store.
  auto waiting = std::move(waiters_);
  waiters_.clear();
  for (auto& [job_id, callbacks] : waiting) {
    JobOutcome outcome;
    outcome.kind = JobOutcome::Kind::kInterrupted;
    outcome.error = "the server is restarting";
    if (const store::JobRecord* j = engine_.Find(job_id)) outcome.job = *j;
    outcome.job.job_id = job_id;
    for (auto& w : callbacks) w(outcome);
  }
}

// ---- results --------------------------------------------------------------------

void JobService::OnResult(std::string_view principal_view, v1::ScrapeResult result,
                          std::function<void(std::string)> reply) {
  const int64_t now_ms = clock_.WallMs();
  const std::string& job_id = result.job_id;
  const store::JobRecord* open = engine_.Find(job_id);
  const auto attempt = engine_.HeldBy(job_id, principal_view);
  if (!attempt) {
    // Not a lease this node holds here: a repeat of an accepted result, a
    // foreign or late one, or an unknown job. The store knows which.
    store_.GetJob(job_id, [this, principal = std::string(principal_view), job_id, reply = std::move(reply), has_content = result.content.has_value()](
                              Result<std::optional<store::JobRecord>> job) {
      const int64_t now = clock_.WallMs();
      if (!job) {
        reply(v1::EncodeHandlerFailed(job.error().message()));
        return;
      }
      if (!*job) {
        m_.results_refused->Inc();
        reply(has_content ? v1::EncodeResultRejected(v1::kJobNotFoundReason, v1::kErrorTypeInternal)
                          : v1::EncodeJobFailedNoData(job_id, now));
        return;
      }
      const store::JobRecord& j = **job;
      if (j.node_principal == principal && j.state == store::JobState::kCompleted) {
        m_.repeats->Inc();
        reply(v1::EncodeJobComplete(job_id, static_cast<double>(j.reward_units) / 1e8, now));
        return;
      }
      if (j.node_principal == principal && j.state == store::JobState::kFailed && !has_content) {
        m_.repeats->Inc();
        reply(v1::EncodeJobFailedNoData(job_id, now));
        return;
      }
      m_.results_refused->Inc();
      reply(v1::EncodeResultRejected(kNotLeasedReason, kErrorTypeNotLeased));
    });
    return;
  }
  if (result.file_id) {
    // The result is an uploaded file (job_results.cc).
    return OnFileResult(std::string(principal_view), *attempt, job_id, std::move(*result.file_id), std::move(reply));
  }
  // The lease holder's result.
  std::shared_ptr<const boost::json::value> content;
  jobs::ResultAnalysis analysis;
  if (result.content) {
    content = std::make_shared<const boost::json::value>(std::move(*result.content));
    analysis = jobs::AnalyzeResult(open->job_type, *content);
  } else {
    analysis.empty = true;
  }
  if (analysis.empty) {
    engine_.BeginSettle(job_id);
    const store::JobRecord snapshot = *open;
    store_.FailJob(job_id, *attempt, std::string(kEmptyResultError), now_ms,
                   [this, job_id, snapshot, reply = std::move(reply)](Status st) {
                     const int64_t now = clock_.WallMs();
                     if (!st.ok() && st.code() != Code::kFailedPrecondition) {
                       AbortSettle(job_id);
                       reply(v1::EncodeHandlerFailed(st.message()));
                       return;
                     }
                     const bool first = st.ok();
                     if (first) {
                       SyncActive(engine_.Finish(job_id));
                       m_.failed->Inc();
                       m_.open->Set(static_cast<double>(engine_.open_jobs()));
                       JobOutcome outcome;
                       outcome.kind = JobOutcome::Kind::kEmpty;
                       outcome.error = std::string(kEmptyResultError);
                       outcome.job = snapshot;
                       outcome.job.state = store::JobState::kFailed;
                       outcome.job.error = outcome.error;
                       outcome.job.complete_ms = now;
                       Notify(job_id, outcome);
                       AssignAndSend();
                     }
                     reply(v1::EncodeJobFailedNoData(job_id, now));
                   });
    return;
  }
  const int64_t held_ms = std::clamp<int64_t>(now_ms - open->assigned_ms, 0, options_.lease_ms);
  store::JobCompletion completion;
  completion.node_principal = principal_view;
  completion.attempt = *attempt;
  completion.result_hash = auth::Sha256Hex(analysis.bytes);
  completion.result_content_type = analysis.content_type;
  completion.reward_units = held_ms * options_.reward_units_per_second / 1000;
  completion.price_cents = analysis.price_cents;
  completion.objects_count = analysis.objects_count;
  completion.file_size_kb = analysis.file_size_kb;
  // A waiting scrapeUrl answers with the stored text when it is the JSON it
  // would write anyway; keep a copy for it rather than serialise twice.
  std::shared_ptr<const std::string> stored;
  if (waiters_.contains(job_id)) stored = std::make_shared<const std::string>(analysis.bytes);
  completion.result = std::move(analysis.bytes);
  engine_.BeginSettle(job_id);
  store::JobRecord done_job = *open;
  done_job.result_bytes = static_cast<int64_t>(completion.result.size());
  CommitResult(std::move(done_job), std::move(completion), std::move(content), std::move(stored), std::move(reply));
}

void JobService::CommitResult(store::JobRecord done_job, store::JobCompletion completion,
                              std::shared_ptr<const boost::json::value> content,
                              std::shared_ptr<const std::string> stored, std::function<void(std::string)> reply) {
  const int64_t now_ms = clock_.WallMs();
  const std::string job_id = done_job.job_id;
  done_job.state = store::JobState::kCompleted;
  done_job.complete_ms = now_ms;
  done_job.reward_units = completion.reward_units;
  done_job.result_hash = completion.result_hash;
  done_job.result_content_type = completion.result_content_type;
  done_job.result_file_id = completion.result_file_id;
  done_job.price_cents = completion.price_cents;
  done_job.objects_count = completion.objects_count;
  done_job.file_size_kb = completion.file_size_kb;
  store_.CompleteJob(
      job_id, completion, now_ms,
      [this, done_job = std::move(done_job), content = std::move(content), stored = std::move(stored),
       reply = std::move(reply)](Result<store::CompleteOutcome> outcome) mutable {
        const int64_t now = clock_.WallMs();
        const std::string& job_id = done_job.job_id;
        if (!outcome) {
          if (outcome.error().code() == Code::kFailedPrecondition) {
            // The store no longer has this lease (e.g. it failed meanwhile),
            // or refused the result file.
            m_.results_refused->Inc();
            AbortSettle(job_id);
            reply(v1::EncodeResultRejected(kNotLeasedReason, kErrorTypeNotLeased));
            return;
          }
          AbortSettle(job_id);
          reply(v1::EncodeHandlerFailed(outcome.error().message()));
          return;
        }
        if (*outcome == store::CompleteOutcome::kCompleted) {
          SyncActive(engine_.Finish(job_id));
          m_.completed->Inc();
          m_.open->Set(static_cast<double>(engine_.open_jobs()));
          std::string ack = v1::EncodeJobComplete(job_id, static_cast<double>(done_job.reward_units) / 1e8, now);
          JobOutcome o;
          o.kind = JobOutcome::Kind::kCompleted;
          o.job = std::move(done_job);
          o.content = std::move(content);
          o.stored = std::move(stored);
          Notify(o.job.job_id, o);
          AssignAndSend();
          reply(std::move(ack));
          return;
        }
        // A repeat that raced the first: acknowledge with what was stored.
        m_.repeats->Inc();
        store_.GetJob(job_id, [job_id, reply](Result<std::optional<store::JobRecord>> job) {
          const int64_t reward = job && *job ? (*job)->reward_units : 0;
          reply(v1::EncodeJobComplete(job_id, static_cast<double>(reward) / 1e8,
                                      job && *job ? (*job)->complete_ms : 0));
        });
      });
}

}  // namespace sela::api
