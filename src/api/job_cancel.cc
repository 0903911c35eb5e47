// JobService, part 3: a customer or an operator cancels a job (issue 11;
// docs/REST-RPC.md "Cancelling a job").
#include <spdlog/spdlog.h>

#include "api/job_service.h"
#include "core/logging.h"

namespace sela::api {

namespace {

// A job that is not open here, as the store has it: gone or another
// customer's (NotFound, the same answer), or ended already.
Status CancelRefusal(const std::optional<store::JobRecord>& job, const std::optional<std::string>& client_uuid) {
  if (!job || (client_uuid && job->client_uuid != *client_uuid)) return NotFound("Job not found");
  return Conflict("Job already " + std::string(store::JobStateName(job->state)) + ": nothing to cancel");
}

}  // namespace

void JobService::Cancel(const std::string& job_id, std::optional<std::string> client_uuid,
                        std::function<void(Result<store::JobRecord>)> done) {
  const store::JobRecord* open = engine_.Find(job_id);
  if (open == nullptr) {
    store_.GetJob(job_id, [client_uuid = std::move(client_uuid), done = std::move(done)](
                              Result<std::optional<store::JobRecord>> job) {
      if (!job) {
        done(Err(store::FailureForCaller(job.error())));
        return;
      }
      done(Err(CancelRefusal(*job, client_uuid)));
    });
    return;
  }
  if (client_uuid && open->client_uuid != *client_uuid) {
    done(Err(NotFound("Job not found")));
    return;
  }
  const std::optional<uint32_t> attempt = engine_.BeginFail(job_id);
  if (!attempt) {
    done(Err(Conflict("Job is finishing now (its result is being stored): nothing to cancel")));
    return;
  }
  const bool by_operator = !client_uuid.has_value();
  spdlog::info("job cancelled{}", LogFields({{"job_id", job_id}, {"by", by_operator ? "operator" : "customer"}}));
  FailInStore(job_id,
              store::JobFailure{*attempt, store::FailureReason::kCancelled,
                                by_operator ? "Job cancelled by an operator" : "Job cancelled by its customer"},
              [this, job_id, done = std::move(done)](const Status& st) {
                if (!st.ok() && st.code() != Code::kFailedPrecondition) {
                  done(Err(store::FailureForCaller(st)));
                  return;
                }
                // As stored: cancelled, or (FailedPrecondition) ended by a
                // result that the store took first.
                store_.GetJob(job_id, [done](Result<std::optional<store::JobRecord>> job) {
                  if (!job) {
                    done(Err(store::FailureForCaller(job.error())));
                  } else if (!job->has_value()) {
                    done(Err(NotFound("Job not found")));
                  } else if ((*job)->failure_reason != store::FailureReason::kCancelled) {
                    done(Err(CancelRefusal(*job, std::nullopt)));
                  } else {
                    done(std::move(**job));
                  }
                });
              });
}

}  // namespace sela::api
