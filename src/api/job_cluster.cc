// JobService, part 3: several processes sharing the store (store/cluster.h,
// docs/STORAGE.md "Several processes"). Only used with AttachCluster.
#include <spdlog/spdlog.h>

#include <algorithm>
#include <utility>

#include "api/job_service.h"
#include "core/logging.h"

namespace sela::api {

namespace {
// A process takes at most this many jobs from the shared queue at once, so
// that one process with many free nodes does not take the whole backlog
// from the others.
constexpr uint32_t kTakeBatchMax = 64;
// A job waited on here that runs elsewhere gets this long past its deadline
// to end there (its holder fails it at the deadline and says so) before the
// caller is answered anyway: it covers a message lost with the connection.
constexpr int64_t kRemoteGraceMs = 3'000;
}  // namespace

void JobService::UpdateWant() {
  if (!cluster_) return;
  if (draining_) {
    cluster_->WantJobs(0);
    return;
  }
  // Nodes with a free slot, less the jobs already waiting here for one:
  // only a process with an idle node takes work.
  const size_t free = engine_.nodes_with_free_slot();
  const size_t waiting = engine_.pending_jobs();
  const size_t want = free > waiting ? free - waiting : 0;
  cluster_->WantJobs(static_cast<uint32_t>(std::min<size_t>(want, kTakeBatchMax)));
}

void JobService::OnClusterJobs(std::vector<store::JobRecord> jobs) {
  for (store::JobRecord& job : jobs) {
    last_id_ms_ = std::max(last_id_ms_, job.created_ms);
    remote_.erase(job.job_id);  // Here now: its waiters hear from the engine.
    engine_.AddPending(std::move(job));
  }
  m_.open->Set(static_cast<double>(engine_.open_jobs()));
  AssignAndSend();
  UpdateWant();
}

void JobService::Forget(const std::string& job_id) {
  const store::JobRecord* job = engine_.Find(job_id);
  if (!job) return;
  const int64_t created = job->created_ms;
  const int64_t deadline = job->deadline_ms;
  if (!engine_.ForgetPending(job_id)) return;
  m_.open->Set(static_cast<double>(engine_.open_jobs()));
  if (waiters_.contains(job_id)) WaitRemote(job_id, created, deadline);
}

void JobService::WaitRemote(const std::string& job_id, int64_t created_ms, int64_t deadline_ms) {
  remote_[job_id] = RemoteWait{created_ms, deadline_ms};
  if (deadline_ms > 0) remote_deadlines_.push(RemoteDeadline{deadline_ms, job_id, false});
  // Its end may have been told already: the subscriber's socket can be
  // served before the reply that made this process wait (or the message
  // lost): read it once now.
  ResolveRemote(job_id, false);
}

namespace {
// As the engine words a deadline (jobs/engine.cc Expire).
std::string TimedOut(const std::string& job_id, int64_t created_ms, int64_t deadline_ms) {
  return "Job " + job_id + " timed out after " + std::to_string(deadline_ms - created_ms) + "ms";
}
}  // namespace

void JobService::OnJobEndedElsewhere(const std::string& job_id) {
  if (remote_.contains(job_id)) ResolveRemote(job_id, false);
}

void JobService::OnClusterReconnected() {
  std::vector<std::string> ids;
  ids.reserve(remote_.size());
  for (const auto& [id, deadline] : remote_) ids.push_back(id);
  for (const std::string& id : ids) ResolveRemote(id, false);
}

void JobService::OnClusterReaped() {
  if (!cluster_) return;
  registry_.ForEach([this](nodes::NodeIndex node) {
    if (const auto view = registry_.View(node)) cluster_->NodeOnline(std::string(view->principal));
  });
}

void JobService::ExpireRemoteWaits(int64_t now_ms) {
  while (!remote_deadlines_.empty() && remote_deadlines_.top().at_ms <= now_ms) {
    RemoteDeadline due = remote_deadlines_.top();
    remote_deadlines_.pop();
    auto it = remote_.find(due.job_id);
    if (it == remote_.end() || !waiters_.contains(due.job_id)) {
      if (it != remote_.end()) remote_.erase(it);
      continue;
    }
    if (due.final) {
      ResolveRemote(due.job_id, true);
      continue;
    }
    // Queued or parked (nobody holds it): it fails now, here. Held by a
    // process: that process fails it at the deadline and says so.
    const int64_t deadline = it->second.deadline_ms;
    cluster_->ExpireJob(
        due.job_id, now_ms, TimedOut(due.job_id, it->second.created_ms, deadline),
        [this, id = due.job_id, deadline](Result<bool> expired) {
          if (expired && *expired) {
            ResolveRemote(id, false);
            return;
          }
          remote_deadlines_.push(RemoteDeadline{deadline + kRemoteGraceMs, id, true});
        });
  }
}

void JobService::ResolveRemote(const std::string& job_id, bool timed_out) {
  store_.GetJob(job_id, [this, job_id, timed_out](Result<std::optional<store::JobRecord>> job) {
    if (!remote_.contains(job_id)) return;  // Answered meanwhile.
    const bool ended = job && *job &&
                       ((*job)->state == store::JobState::kCompleted || (*job)->state == store::JobState::kFailed);
    if (!ended && !timed_out) return;  // Still running: its end will be told.
    const RemoteWait wait = remote_[job_id];
    remote_.erase(job_id);
    JobOutcome outcome;
    if (ended) {
      // The waiters read it from the store, as after a lost race here.
      outcome.kind = JobOutcome::Kind::kCompletedElsewhere;
      outcome.job = **job;
    } else {
      // Past the deadline and the grace: the caller hears "timed out"; the
      // job goes on where it runs, and its holder fails it.
      outcome.kind = JobOutcome::Kind::kFailed;
      if (job && *job) outcome.job = **job;
      outcome.job.job_id = job_id;
      store::ApplyFailure(store::JobFailure{outcome.job.attempt, store::FailureReason::kDeadline,
                                            TimedOut(job_id, wait.created_ms, wait.deadline_ms)},
                          wait.deadline_ms, outcome.job);
    }
    Notify(job_id, outcome);
  });
}

void JobService::CanTarget(const std::string& principal, std::function<void(bool)> done) {
  const auto view = registry_.View(registry_.Find(principal));
  if (view && view->active_jobs < view->max_concurrent_jobs) {
    done(true);
    return;
  }
  if (!cluster_ || view) {
    done(false);  // Here but full; or nowhere else to look.
    return;
  }
  cluster_->FindNode(principal, [done = std::move(done)](Result<std::optional<std::string>> process) {
    done(process && process->has_value());
  });
}

}  // namespace sela::api
