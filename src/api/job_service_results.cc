// JobService, part 2: how jobs end. A node's result (the three-way decision
// of OnResult and one function per branch), a job failing (lease out of
// attempts, deadline, empty result), Tick and Drain.
#include <spdlog/spdlog.h>

#include <algorithm>
#include <utility>

#include "api/events.h"
#include "api/job_service.h"
#include "auth/api_key.h"
#include "core/logging.h"
#include "core/points.h"
#include "protocol/v1_encode.h"
#include "protocol/v1_messages.h"

namespace sela::api {

namespace v1 = protocol::v1;

namespace {
constexpr std::string_view kEmptyResultError = "Scraping returned empty results - no data found";
constexpr std::string_view kNotLeasedReason = "Job is not leased to this node";
constexpr std::string_view kErrorTypeNotLeased = "JOB_NOT_ASSIGNED";
}  // namespace

// ---- endings ------------------------------------------------------------------

void JobService::ApplyEnded(std::vector<jobs::Ended> ended) {
  const int64_t now_ms = clock_.WallMs();
  for (jobs::Ended& e : ended) {
    if (e.kind == jobs::Ended::Kind::kReleased) {
      m_.released->Inc();
      events::JobLeaseEnded(e.job_id, e.attempt);
      store_.ReleaseJob(e.job_id, e.attempt, now_ms, [id = e.job_id](Status st) {
        if (!st.ok()) {
          spdlog::warn("job release not recorded{}", LogFields({{"job_id", id}, {"error", st.ToString()}}));
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
    if (const store::JobRecord* j = engine_.Find(job_id)) outcome.job = *j;
    outcome.job.job_id = job_id;
    for (auto& w : callbacks) w(outcome);
  }
}

// ---- results --------------------------------------------------------------------

void JobService::OnResult(std::string_view principal, v1::ScrapeResult result, Reply reply) {
  const std::string& job_id = result.job_id;
  const auto attempt = engine_.HeldBy(job_id, principal);
  if (!attempt) {
    AnswerUnleasedResult(std::string(principal), job_id, result.content.has_value(), std::move(reply));
    return;
  }
  const store::JobRecord& open = *engine_.Find(job_id);
  if (!result.content) {
    FailEmptyResult(job_id, *attempt, std::move(reply));
    return;
  }
  auto content = std::make_shared<const boost::json::value>(std::move(*result.content));
  jobs::ResultAnalysis analysis = jobs::AnalyzeResult(open.job_type, *content);
  if (analysis.empty) {
    FailEmptyResult(job_id, *attempt, std::move(reply));
    return;
  }
  CompleteWithResult(open, principal, *attempt, std::move(analysis), std::move(content), std::move(reply));
}

void JobService::AnswerUnleasedResult(std::string principal, std::string job_id, bool has_content, Reply reply) {
  store_.GetJob(job_id, [this, principal = std::move(principal), job_id, has_content,
                         reply = std::move(reply)](Result<std::optional<store::JobRecord>> job) {
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
      reply(v1::EncodeJobComplete(job_id, Sp(j.reward_units), now));
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
}

void JobService::FailEmptyResult(const std::string& job_id, uint32_t attempt, Reply reply) {
  engine_.BeginSettle(job_id);
  FailInStore(job_id,
              store::JobFailure{attempt, store::FailureReason::kNoData, std::string(kEmptyResultError)},
              [this, job_id, reply = std::move(reply)](const Status& st) {
                if (!st.ok() && st.code() != Code::kFailedPrecondition) {
                  reply(v1::EncodeHandlerFailed(st.message()));
                  return;
                }
                reply(v1::EncodeJobFailedNoData(job_id, clock_.WallMs()));
              });
}

void JobService::CompleteWithResult(const store::JobRecord& open, std::string_view principal, uint32_t attempt,
                                    jobs::ResultAnalysis analysis,
                                    std::shared_ptr<const boost::json::value> content, Reply reply) {
  const int64_t now_ms = clock_.WallMs();
  const int64_t held_ms = std::clamp<int64_t>(now_ms - open.assigned_ms, 0, options_.lease_ms);
  store::JobCompletion completion;
  completion.node_principal = principal;
  completion.attempt = attempt;
  completion.result_hash = auth::Sha256Hex(analysis.bytes);
  completion.result_content_type = analysis.content_type;
  completion.reward_units = held_ms * options_.reward_units_per_second / 1000;
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
                     [this, completing = std::move(completing)](Result<store::CompleteOutcome> outcome) mutable {
                       OnCompletionStored(std::move(completing), std::move(outcome));
                     });
}

void JobService::OnCompletionStored(Completing completing, Result<store::CompleteOutcome> outcome) {
  const std::string& job_id = completing.job.job_id;
  if (!outcome) {
    AbortSettle(job_id);
    if (outcome.error().code() == Code::kFailedPrecondition) {
      // The store no longer has this lease (e.g. it failed meanwhile).
      m_.results_refused->Inc();
      completing.reply(v1::EncodeResultRejected(kNotLeasedReason, kErrorTypeNotLeased));
    } else {
      completing.reply(v1::EncodeHandlerFailed(outcome.error().message()));
    }
    return;
  }
  if (*outcome == store::CompleteOutcome::kRepeat) {
    // A repeat that raced the first: acknowledge with what was stored.
    m_.repeats->Inc();
    store_.GetJob(job_id, [job_id, reply = std::move(completing.reply)](Result<std::optional<store::JobRecord>> job) {
      const bool found = job && *job;
      reply(v1::EncodeJobComplete(job_id, Sp(found ? (*job)->reward_units : 0), found ? (*job)->complete_ms : 0));
    });
    return;
  }
  SyncActive(engine_.Finish(job_id));
  m_.completed->Inc();
  const int64_t now_ms = clock_.WallMs();
  const int64_t round_trip_ms = std::max<int64_t>(0, now_ms - completing.job.created_ms);
  m_.round_trip->Observe(static_cast<double>(round_trip_ms) / 1000);
  events::JobCompleted(completing.job, round_trip_ms);
  m_.open->Set(static_cast<double>(engine_.open_jobs()));
  std::string ack = v1::EncodeJobComplete(job_id, Sp(completing.job.reward_units), now_ms);
  JobOutcome o;
  o.kind = JobOutcome::Kind::kCompleted;
  o.job = std::move(completing.job);  // job_id refers to it no more.
  o.content = std::move(completing.content);
  o.stored = std::move(completing.stored);
  Notify(o.job.job_id, o);
  AssignAndSend();
  completing.reply(std::move(ack));
}

}  // namespace sela::api
