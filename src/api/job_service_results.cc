// JobService, part 2: how jobs end. A node's result (the three-way decision
// of OnResult and one function per branch), a job failing (lease out of
// attempts, deadline, empty result), Tick and Drain.
#include <spdlog/spdlog.h>

#include <algorithm>
#include <utility>

#include "api/events.h"
#include "api/job_service.h"
#include "auth/api_key.h"
#include "core/calendar.h"
#include "core/logging.h"
#include "core/points.h"

namespace sela::api {

namespace {
constexpr std::string_view kEmptyResultError = "Scraping returned empty results - no data found";
}  // namespace

// ---- endings ------------------------------------------------------------------

void JobService::ApplyEnded(std::vector<jobs::Ended> ended) {
  const int64_t now_ms = clock_.WallMs();
  for (jobs::Ended& e : ended) {
    if (e.kind == jobs::Ended::Kind::kReleased) {
      m_.released->Inc();
      events::JobLeaseEnded(e.job_id, e.attempt);
      store_.ReleaseJob(e.job_id, e.attempt, now_ms, [this, id = e.job_id](Status st) {
        if (!st.ok()) {
          spdlog::warn("job release not recorded{}", LogFields({{"job_id", id}, {"error", st.ToString()}}));
        }
        // With a shared store the job went back to the shared queue (or is
        // another process's already): it leaves this engine unless it was
        // leased here again meanwhile.
        const bool gone = st.ok() || st.code() == Code::kFailedPrecondition || st.code() == Code::kNotFound;
        if (cluster_ && gone) {
          Forget(id);
          UpdateWant();
        }
      });
      continue;
    }
    if (e.reason != store::FailureReason::kDeadline) m_.released->Inc();  // Its last lease ended.
    FailInStore(e.job_id, store::JobFailure{e.attempt, e.reason, std::move(e.error)});
  }
}

void JobService::FailInStore(const std::string& job_id, store::JobFailure failure,
                             std::function<void(const Status&)> after) {
  const int64_t now_ms = clock_.WallMs();
  store_.FailJob(job_id, failure, now_ms,
                 [this, job_id, failure, now_ms, after = std::move(after)](Status st) {
                   // FailedPrecondition: the store has the job ended already
                   // (a result was stored meanwhile): it is not open either way.
                   const bool ended_elsewhere = st.code() == Code::kFailedPrecondition;
                   if (!st.ok() && !ended_elsewhere) {
                     spdlog::warn("job failure not recorded{}",
                                  LogFields({{"job_id", job_id}, {"error", st.ToString()}}));
                     AbortSettle(job_id);
                     if (after) after(st);
                     return;
                   }
                   JobOutcome outcome;
                   outcome.kind = ended_elsewhere ? JobOutcome::Kind::kCompletedElsewhere : JobOutcome::Kind::kFailed;
                   if (const store::JobRecord* j = engine_.Find(job_id)) outcome.job = *j;
                   outcome.job.job_id = job_id;
                   if (!ended_elsewhere) store::ApplyFailure(failure, now_ms, outcome.job);
                   SyncActive(engine_.Finish(job_id));
                   m_.open->Set(static_cast<double>(engine_.open_jobs()));
                   if (!ended_elsewhere) {
                     m_.failed->Inc();
                     events::JobFailed(job_id, outcome.job.node_principal, store::FailureReasonName(failure.reason),
                                       failure.error);
                   }
                   Notify(job_id, outcome);
                   AssignAndSend();
                   if (after) after(st);
                 });
}

void JobService::AbortSettle(const std::string& job_id) {
  if (auto ended = engine_.AbortSettle(job_id)) ApplyEnded({std::move(*ended)});
}

void JobService::Tick() {
  const int64_t now_ms = clock_.WallMs();
  ApplyEnded(engine_.Expire(now_ms));
  if (cluster_) ExpireRemoteWaits(now_ms);
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
  if (cluster_) {
    // After the releases above (the same connection, in order): what this
    // process still holds goes back, its nodes' presence goes, and it takes
    // no more work.
    cluster_->Leave([](Status st) {
      if (!st.ok()) spdlog::warn("leaving the cluster: {}", st.ToString());
    });
  }
  // Waiting scrapeUrl calls are answered now, so that the drain does not
  // wait for their timeouts; their jobs stay in the store.
  auto waiting = std::move(waiters_);
  waiters_.clear();
  remote_.clear();
  for (auto& [job_id, callbacks] : waiting) {
    JobOutcome outcome;
    outcome.kind = JobOutcome::Kind::kInterrupted;
    if (const store::JobRecord* j = engine_.Find(job_id)) outcome.job = *j;
    outcome.job.job_id = job_id;
    for (auto& w : callbacks) w(outcome);
  }
}

// ---- results --------------------------------------------------------------------

bool JobService::LeaseHeldBy(const std::string& job_id, std::string_view client_id) const {
  const store::JobRecord* open = engine_.Find(job_id);
  return open && engine_.HeldBy(job_id, open->node_principal) && open->node_client_id == client_id;
}

void JobService::OnResult(std::string_view principal, std::string_view client_id, std::string job_id,
                          std::optional<boost::json::value> content, Reply reply,
                          std::optional<std::string> file_id) {
  const store::JobRecord* open = engine_.Find(job_id);
  // A lease belongs to the session it was sent to: another session of the
  // same principal (an impostor naming it, or an older connection) holds
  // nothing.
  std::optional<uint32_t> attempt;
  if (auto held = engine_.HeldBy(job_id, principal); held && open->node_client_id == client_id) attempt = *held;
  std::shared_ptr<const boost::json::value> shared;
  jobs::ResultAnalysis analysis;
  if (content) {
    shared = std::make_shared<const boost::json::value>(std::move(*content));
    analysis = jobs::AnalyzeResult(open ? std::string_view(open->job_type) : std::string_view(), *shared);
  } else {
    analysis.empty = true;
  }
  if (!attempt) {
    std::optional<std::string> hash;
    if (!analysis.empty) hash = auth::Sha256Hex(analysis.bytes);
    AnswerUnleasedResult(std::string(principal), std::move(job_id), std::move(hash), std::move(reply));
    return;
  }
  if (file_id) {
    // The result is an uploaded file (job_results.cc).
    OnFileResult(std::string(principal), *attempt, job_id, std::move(*file_id), std::move(reply));
    return;
  }
  if (analysis.empty) {
    FailEmptyResult(job_id, *attempt, std::move(reply));
    return;
  }
  CompleteWithResult(*open, principal, *attempt, std::move(analysis), std::move(shared), std::move(reply));
}

void JobService::AnswerUnleasedResult(std::string principal, std::string job_id,
                                      std::optional<std::string> result_hash, Reply reply) {
  store_.GetJob(job_id, [this, principal = std::move(principal), result_hash = std::move(result_hash),
                         reply = std::move(reply)](Result<std::optional<store::JobRecord>> job) {
    if (!job) {
      reply({.kind = ResultOutcome::Kind::kFailed, .detail = ReportStoreFailure(job.error())});
      return;
    }
    if (!*job) {
      m_.results_refused->Inc();
      reply({.kind = ResultOutcome::Kind::kUnknownJob});
      return;
    }
    const store::JobRecord& j = **job;
    if (j.node_principal == principal && j.state == store::JobState::kCompleted) {
      // The same result again is acknowledged; other content is an error.
      if (result_hash && *result_hash == j.result_hash) {
        m_.repeats->Inc();
        reply({.kind = ResultOutcome::Kind::kCompleted, .reward_units = j.reward_units});
      } else {
        m_.results_refused->Inc();
        reply({.kind = ResultOutcome::Kind::kConflict});
      }
      return;
    }
    if (j.node_principal == principal && j.state == store::JobState::kFailed && !result_hash &&
        j.failure_reason == store::FailureReason::kNoData) {
      m_.repeats->Inc();
      reply({.kind = ResultOutcome::Kind::kEmpty});
      return;
    }
    m_.results_refused->Inc();
    reply({.kind = ResultOutcome::Kind::kNotLeased});
  });
}

void JobService::FailEmptyResult(const std::string& job_id, uint32_t attempt, Reply reply) {
  engine_.BeginSettle(job_id);
  FailInStore(job_id,
              store::JobFailure{attempt, store::FailureReason::kNoData, std::string(kEmptyResultError)},
              [reply = std::move(reply)](const Status& st) {
                if (!st.ok() && st.code() != Code::kFailedPrecondition) {
                  reply({.kind = ResultOutcome::Kind::kFailed, .detail = ReportStoreFailure(st)});
                  return;
                }
                reply({.kind = ResultOutcome::Kind::kEmpty});
              });
}

store::JobRewardSpec JobService::RewardFor(const store::JobRecord& open, int64_t now_ms) const {
  const int64_t held_ms = std::clamp<int64_t>(now_ms - open.assigned_ms, 0, options_.lease_ms);
  return rewards::JobRewardSpecFor(open.job_type, held_ms, UtcDayOf(now_ms), options_.rewards);
}

void JobService::CompleteWithResult(const store::JobRecord& open, std::string_view principal, uint32_t attempt,
                                    jobs::ResultAnalysis analysis,
                                    std::shared_ptr<const boost::json::value> content, Reply reply) {
  const int64_t now_ms = clock_.WallMs();
  store::JobCompletion completion;
  completion.node_principal = principal;
  completion.attempt = attempt;
  completion.result_hash = auth::Sha256Hex(analysis.bytes);
  completion.result_content_type = analysis.content_type;
  completion.reward = RewardFor(open, now_ms);
  completion.price_cents = analysis.price_cents;
  completion.objects_count = analysis.objects_count;
  completion.file_size_kb = analysis.file_size_kb;
  // A waiting scrapeUrl answers with the stored text when it is the JSON it
  // would write anyway; keep a copy for it rather than serialise twice.
  std::shared_ptr<const std::string> stored;
  if (waiters_.contains(open.job_id)) stored = std::make_shared<const std::string>(analysis.bytes);
  completion.result = std::move(analysis.bytes);
  Completing completing{open, std::move(content), std::move(stored), std::move(reply)};
  store::ApplyCompletion(completion, now_ms, completing.job);
  engine_.BeginSettle(open.job_id);
  // The id from `open`, not from `completing`: the callback, built in the
  // same call, may have taken `completing` before the id is read.
  store_.CompleteJob(open.job_id, completion, now_ms,
                     [this, completing = std::move(completing)](Result<store::CompletedJob> outcome) mutable {
                       OnCompletionStored(std::move(completing), std::move(outcome));
                     });
}

void JobService::OnCompletionStored(Completing completing, Result<store::CompletedJob> outcome) {
  const std::string& job_id = completing.job.job_id;
  if (!outcome) {
    if (cluster_ && outcome.error().code() == Code::kFailedPrecondition) {
      // The store gave this lease up (this process was given up for dead)
      // and the job is another's: it leaves here; a waiter hears from the
      // store.
      const int64_t created = completing.job.created_ms;
      const int64_t deadline = completing.job.deadline_ms;
      SyncActive(engine_.Finish(job_id));
      if (waiters_.contains(job_id)) WaitRemote(job_id, created, deadline);
      m_.results_refused->Inc();
      completing.reply({.kind = ResultOutcome::Kind::kNotLeased});
      AssignAndSend();
      return;
    }
    AbortSettle(job_id);
    if (outcome.error().code() == Code::kFailedPrecondition) {
      // The store no longer has this lease (e.g. it failed meanwhile).
      m_.results_refused->Inc();
      completing.reply({.kind = ResultOutcome::Kind::kNotLeased});
    } else {
      completing.reply({.kind = ResultOutcome::Kind::kFailed, .detail = ReportStoreFailure(outcome.error())});
    }
    return;
  }
  if (outcome->outcome == store::CompleteOutcome::kRepeat) {
    // A repeat that raced the first: acknowledge with what was stored.
    m_.repeats->Inc();
    store_.GetJob(job_id, [reply = std::move(completing.reply)](Result<std::optional<store::JobRecord>> job) {
      const bool found = job && *job;
      reply({.kind = ResultOutcome::Kind::kCompleted,
             .reward_units = found ? (*job)->reward_units : 0,
             .time_ms = found ? (*job)->complete_ms : 0});
    });
    return;
  }
  const nodes::NodeIndex holder = engine_.Finish(job_id);
  SyncActive(holder);
  m_.completed->Inc();
  const int64_t now_ms = clock_.WallMs();
  const int64_t round_trip_ms = std::max<int64_t>(0, now_ms - completing.job.created_ms);
  m_.round_trip->Observe(static_cast<double>(round_trip_ms) / 1000);
  events::JobCompleted(completing.job, round_trip_ms);
  m_.open->Set(static_cast<double>(engine_.open_jobs()));
  // What the store credited (the daily cap may have cut the reward).
  const int64_t reward = outcome->reward_units;
  completing.job.reward_units = reward;
  if (on_completed_) on_completed_(completing.job);
  JobOutcome o;
  o.kind = JobOutcome::Kind::kCompleted;
  o.job = std::move(completing.job);  // job_id refers to it no more.
  o.content = std::move(completing.content);
  o.stored = std::move(completing.stored);
  Notify(o.job.job_id, o);
  EarnSlot(holder);
  AssignAndSend();
  completing.reply({.kind = ResultOutcome::Kind::kCompleted, .reward_units = reward});
}

}  // namespace sela::api
