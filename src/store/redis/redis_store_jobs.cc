// The Redis store: API clients, jobs and result blobs (see redis_store.h and
// scripts.cc for the transitions).
#include <utility>

#include "store/redis/records.h"
#include "store/redis/redis_store.h"
#include "store/redis/redis_store_impl.h"
#include "store/validate_ledger.h"

namespace sela::store {

using redis::Command;
using redis::Script;

namespace {

Status ValidateAttempt(uint32_t attempt) {
  if (attempt == 0) return InvalidArgument("lease attempt must be at least 1");
  return Status::Ok();
}

Result<std::vector<JobRecord>> DecodeJobList(const redisReply* list, const char* what) {
  if (!redis::IsArray(list)) return Err(Internal(std::string(what) + ": malformed reply"));
  std::vector<JobRecord> jobs;
  jobs.reserve(list->elements);
  for (size_t i = 0; i < list->elements; ++i) {
    ASSIGN_OR_RETURN(std::optional<JobRecord> job, redis::DecodeJob(list->element[i]));
    if (job) jobs.push_back(std::move(*job));
  }
  return jobs;
}

}  // namespace

// ---- API clients -------------------------------------------------------------

void RedisStore::RegisterApiClient(const ApiClient& client, Callback<ApiClient> done) {
  OnLoop([this, client, done = std::move(done)]() mutable {
    if (Status st = ValidateApiClient(client, limits_); !st.ok()) return Answer(std::move(done), std::move(st));
    ApiClient stored = client;
    stored.usage_count = 0;
    Command c = ScriptCall(Script::kRegisterClient, 2);
    c.Arg(keys_.Client(client.uuid)).Arg(keys_.ClientKey(client.key_hash));
    c.Arg(client.uuid).Arg(client.key_hash).Int(client.usage_limit).Int(client.created_ms);
    Send<ApiClient>(std::move(done), c.Finish(), Kind::kScript, "RegisterApiClient",
                    [stored](const redisReply*) -> Result<ApiClient> { return stored; });
  });
}

void RedisStore::GetApiClient(const std::string& uuid, Callback<std::optional<ApiClient>> done) {
  OnLoop([this, uuid, done = std::move(done)]() mutable {
    if (Status st = ValidateId(uuid, "API client uuid", limits_.id_bytes_max); !st.ok()) {
      return Answer(std::move(done), std::move(st));
    }
    Command c("HMGET");
    c.Arg(keys_.Client(uuid));
    redis::AppendFieldNames(c, redis::ClientFields());
    Send<std::optional<ApiClient>>(std::move(done), c.Finish(), Kind::kRead, "GetApiClient",
                                   [](const redisReply* r) { return redis::DecodeClient(r); });
  });
}

void RedisStore::FindApiClientByKeyHash(const std::string& key_hash, Callback<std::optional<ApiClient>> done) {
  OnLoop([this, key_hash, done = std::move(done)]() mutable {
    if (Status st = ValidateSha256Hex(key_hash, "API key hash"); !st.ok()) return Answer(std::move(done), std::move(st));
    Command c = ScriptCall(Script::kFindClient, 1);
    c.Arg(keys_.ClientKey(key_hash)).Arg(keys_.ClientPrefix());
    Send<std::optional<ApiClient>>(std::move(done), c.Finish(), Kind::kScript, "FindApiClientByKeyHash",
                                   [](const redisReply* r) -> Result<std::optional<ApiClient>> {
                                     const redisReply* values = redis::Element(r, 1);
                                     if (redis::IsNil(values)) return std::optional<ApiClient>();
                                     return redis::DecodeClient(values);
                                   });
  });
}

void RedisStore::GetUsageLog(const std::string& uuid, int64_t from_ms, int64_t to_ms,
                             Callback<std::vector<int64_t>> done) {
  OnLoop([this, uuid, from_ms, to_ms, done = std::move(done)]() mutable {
    Status st = ValidateId(uuid, "API client uuid", limits_.id_bytes_max);
    if (st.ok() && (from_ms < 0 || to_ms < 0)) st = InvalidArgument("usage log times must not be negative");
    if (!st.ok()) return Answer(std::move(done), std::move(st));
    Command c("ZRANGEBYSCORE");
    c.Arg(keys_.Usage(uuid)).Int(from_ms).Int(to_ms).Arg("WITHSCORES");
    Send<std::vector<int64_t>>(std::move(done), c.Finish(), Kind::kRead, "GetUsageLog",
                               [](const redisReply* r) -> Result<std::vector<int64_t>> {
                                 if (!redis::IsArray(r)) return Err(Internal("GetUsageLog: malformed reply"));
                                 std::vector<int64_t> times;
                                 for (size_t i = 1; i < r->elements; i += 2) {
                                   const auto t = redis::ToInt(r->element[i]);
                                   if (!t) return Err(Internal("GetUsageLog: a usage time does not parse"));
                                   times.push_back(*t);
                                 }
                                 return times;
                               });
  });
}

// ---- jobs ----------------------------------------------------------------------

void RedisStore::CreateJob(const CreateJobRequest& request, Callback<CreateJobOutcome> done) {
  OnLoop([this, request, done = std::move(done)]() mutable {
    if (Status st = ValidateCreateJob(request, limits_); !st.ok()) return Answer(std::move(done), std::move(st));
    JobRecord job = request.job;
    job.usage_charged = request.charge_usage;
    // Without a choice, the script sets it from the client's default.
    job.listed = request.listed.value_or(false);
    const bool leased = job.state == JobState::kOngoing;
    const bool keyed = !request.idempotency_key.empty();
    const std::string& uuid = job.client_uuid;
    Command c = ScriptCall(Script::kCreateJob, 8);
    c.Arg(keys_.Job(job.job_id)).Arg(keys_.Client(uuid)).Arg(keys_.Usage(uuid)).Arg(keys_.ClientJobs(uuid));
    c.Arg(keys_.ClientOpen(uuid)).Arg(keys_.OpenJobs()).Arg(keys_.JobSeq());
    c.Arg(keys_.Idempotency(uuid, keyed ? request.idempotency_key : std::string()));
    JobContext(c);
    c.Arg(job.job_id).Arg(uuid).Arg(request.charge_usage ? "1" : "0").Arg(keyed ? "1" : "0");
    c.Arg(request.request_hash).Int(job.created_ms).Arg(leased ? "1" : "0").Arg(job.sync ? "1" : "0");
    c.Arg(job.target_node).Arg(request.listed ? (*request.listed ? "1" : "0") : "");
    redis::AppendJobPairs(c, job);
    if (leased) c.Arg("owner").Arg(options_.process_id);
    if (job.sync) c.Arg("notify").Arg(options_.process_id);
    Send<CreateJobOutcome>(std::move(done), c.Finish(), Kind::kScript, "CreateJob",
                           [job = std::move(job)](const redisReply* r) -> Result<CreateJobOutcome> {
                             if (redis::ToInt(redis::Element(r, 1)) == 1) {
                               JobRecord created = job;
                               created.listed = redis::Text(redis::Element(r, 2)) == "1";
                               return CreateJobOutcome{std::move(created), true};
                             }
                             ASSIGN_OR_RETURN(std::optional<JobRecord> earlier,
                                              redis::DecodeJob(redis::Element(r, 2)));
                             if (!earlier) return Err(Internal("CreateJob: the earlier job is missing"));
                             return CreateJobOutcome{std::move(*earlier), false};
                           });
  });
}

void RedisStore::LeaseJob(const std::string& job_id, const JobLease& lease, int64_t now_ms, Done done) {
  OnLoop([this, job_id, lease, now_ms, done = std::move(done)]() mutable {
    Status st = ValidateId(job_id, "job_id", limits_.id_bytes_max);
    if (st.ok()) st = ValidateId(lease.node_principal, "node_principal", limits_.principal_bytes_max);
    if (st.ok()) st = ValidateText(lease.node_client_id, "node_client_id", limits_.client_id_bytes_max);
    if (st.ok()) st = ValidateAttempt(lease.attempt);
    if (st.ok()) st = ValidateNowMs(now_ms);
    if (st.ok() && lease.lease_deadline_ms < 0) st = InvalidArgument("lease_deadline_ms is negative");
    if (!st.ok()) return Answer(std::move(done), std::move(st));
    Command c = ScriptCall(Script::kLeaseJob, 1);
    c.Arg(keys_.Job(job_id));
    JobContext(c);
    c.Arg(job_id).Uint(lease.attempt).Arg(lease.node_principal).Arg(lease.node_client_id).Int(now_ms);
    c.Int(lease.lease_deadline_ms);
    SendDone(std::move(done), c.Finish(), Kind::kScript, "LeaseJob");
  });
}

void RedisStore::CompleteJob(const std::string& job_id, const JobCompletion& completion, int64_t now_ms,
                             Callback<CompletedJob> done) {
  OnLoop([this, job_id, completion, now_ms, done = std::move(done)]() mutable {
    Status st = ValidateId(job_id, "job_id", limits_.id_bytes_max);
    if (st.ok()) st = ValidateCompletion(completion, limits_);
    if (st.ok()) st = ValidateAttempt(completion.attempt);
    if (st.ok()) st = ValidateNowMs(now_ms);
    if (st.ok()) st = ValidateJobRewardSpec(completion.reward);
    if (!st.ok()) return Answer(std::move(done), std::move(st));
    const JobRewardSpec& reward = completion.reward;
    Command c = ScriptCall(Script::kCompleteJob, 4);
    c.Arg(keys_.Job(job_id)).Arg(keys_.Blob(completion.result_hash)).Arg(keys_.Market()).Arg(keys_.MarketTypes());
    JobContext(c);
    c.Arg(job_id).Arg(completion.node_principal).Uint(completion.attempt).Int(now_ms).Arg(completion.result_hash);
    c.Arg(completion.result_content_type).Uint(completion.result.size()).Int(reward.amount_units);
    c.Int(completion.price_cents).Int(completion.objects_count).Int(completion.file_size_kb);
    c.Arg(completion.result).Arg(completion.result_file_id);
    // The payment (ledger.h JobRewardSpec), in the same script.
    c.Arg(keys_.ledger()).Arg(keys_.uptime()).Arg("");
    c.Int(reward.daily_cap_units).Uint(reward.referral_l1_bp).Uint(reward.referral_l2_bp).Arg(reward.day);
    // The script inserts the result's sync row itself (ARGV[24]; store.h
    // "File-canister sync journal"); journal off: no argument more.
    if (options_.canister_sync) c.Arg(keys_.csync());
    Send<CompletedJob>(std::move(done), c.Finish(), Kind::kScript, "CompleteJob",
                       [](const redisReply* r) -> Result<CompletedJob> {
                         const auto credited = redis::ToInt(redis::Element(r, 2));
                         const auto l1 = redis::ToInt(redis::Element(r, 3));
                         const auto l2 = redis::ToInt(redis::Element(r, 4));
                         if (!credited || !l1 || !l2) return Err(Internal("CompleteJob: a malformed reply"));
                         return CompletedJob{.outcome = redis::ToInt(redis::Element(r, 1)) == 1
                                                            ? CompleteOutcome::kCompleted
                                                            : CompleteOutcome::kRepeat,
                                             .reward_units = *credited,
                                             .referral_l1_units = *l1,
                                             .referral_l2_units = *l2};
                       });
  });
}

void RedisStore::ReleaseJob(const std::string& job_id, uint32_t attempt, int64_t now_ms, Done done) {
  OnLoop([this, job_id, attempt, now_ms, done = std::move(done)]() mutable {
    Status st = ValidateId(job_id, "job_id", limits_.id_bytes_max);
    if (st.ok()) st = ValidateAttempt(attempt);
    if (st.ok()) st = ValidateNowMs(now_ms);
    if (!st.ok()) return Answer(std::move(done), std::move(st));
    Command c = ScriptCall(Script::kReleaseJob, 1);
    c.Arg(keys_.Job(job_id));
    JobContext(c);
    c.Arg(job_id).Uint(attempt).Int(now_ms);
    SendDone(std::move(done), c.Finish(), Kind::kScript, "ReleaseJob");
  });
}

void RedisStore::FailJob(const std::string& job_id, const JobFailure& failure, int64_t now_ms, Done done) {
  OnLoop([this, job_id, failure, now_ms, done = std::move(done)]() mutable {
    Status st = ValidateId(job_id, "job_id", limits_.id_bytes_max);
    if (st.ok()) st = ValidateFailure(failure, limits_);
    if (st.ok()) st = ValidateNowMs(now_ms);
    if (!st.ok()) return Answer(std::move(done), std::move(st));
    Command c = ScriptCall(Script::kFailJob, 1);
    c.Arg(keys_.Job(job_id));
    JobContext(c);
    c.Arg(job_id).Uint(failure.attempt).Int(now_ms).Arg(failure.error).Arg(FailureReasonName(failure.reason));
    SendDone(std::move(done), c.Finish(), Kind::kScript, "FailJob");
  });
}

void RedisStore::GetJob(const std::string& job_id, Callback<std::optional<JobRecord>> done) {
  OnLoop([this, job_id, done = std::move(done)]() mutable {
    if (Status st = ValidateId(job_id, "job_id", limits_.id_bytes_max); !st.ok()) {
      return Answer(std::move(done), std::move(st));
    }
    Command c("HMGET");
    c.Arg(keys_.Job(job_id));
    redis::AppendFieldNames(c, redis::JobFields());
    Send<std::optional<JobRecord>>(std::move(done), c.Finish(), Kind::kRead, "GetJob",
                                   [](const redisReply* r) { return redis::DecodeJob(r); });
  });
}

void RedisStore::ListClientJobs(const std::string& client_uuid, std::optional<JobState> state, uint32_t limit,
                                Callback<std::vector<JobRecord>> done) {
  OnLoop([this, client_uuid, state, limit, done = std::move(done)]() mutable {
    Status st = ValidateId(client_uuid, "API client uuid", limits_.id_bytes_max);
    if (st.ok() && state.has_value()) st = ValidateJobState(*state);
    if (st.ok() && limit > options_.jobs_per_list_max) {
      st = InvalidArgument("job list limit " + std::to_string(limit) + " is more than " +
                           std::to_string(options_.jobs_per_list_max));
    }
    if (!st.ok()) return Answer(std::move(done), std::move(st));
    Command c = ScriptCall(Script::kClientJobs, 2);
    c.Arg(keys_.ClientJobs(client_uuid)).Arg(keys_.ClientOpen(client_uuid)).Arg(keys_.JobPrefix());
    c.Arg(state ? JobStateName(*state) : std::string_view()).Uint(limit);
    Send<std::vector<JobRecord>>(std::move(done), c.Finish(), Kind::kScript, "ListClientJobs",
                                 [](const redisReply* r) { return DecodeJobList(redis::Element(r, 1), "ListClientJobs"); });
  });
}

void RedisStore::ListOpenJobs(Callback<std::vector<JobRecord>> done) {
  OnLoop([this, done = std::move(done)]() mutable {
    auto page = [this](const std::string& after) {
      Command c = ScriptCall(Script::kOpenJobsPage, 1);
      c.Arg(keys_.OpenJobs()).Arg(keys_.JobPrefix()).Arg(after).Uint(options_.page_size);
      return c.Finish();
    };
    auto decode = [](const redisReply* values, std::vector<JobRecord>& jobs) -> Status {
      ASSIGN_OR_RETURN(std::optional<JobRecord> job, redis::DecodeJob(values));
      if (job) jobs.push_back(std::move(*job));
      return Status::Ok();
    };
    Pages<JobRecord>(NewSlot(), std::move(done), std::make_shared<std::vector<JobRecord>>(), page, "ListOpenJobs",
                     decode, "0");
  });
}

void RedisStore::GetBlob(const std::string& hash, Callback<std::optional<std::string>> done) {
  OnLoop([this, hash, done = std::move(done)]() mutable {
    if (Status st = ValidateSha256Hex(hash, "blob hash"); !st.ok()) return Answer(std::move(done), std::move(st));
    Send<std::optional<std::string>>(std::move(done), Command("GET").Arg(keys_.Blob(hash)).Finish(), Kind::kRead,
                                     "GetBlob", [](const redisReply* r) -> Result<std::optional<std::string>> {
                                       if (redis::IsNil(r)) return std::optional<std::string>();
                                       return std::optional<std::string>(std::string(redis::Text(r)));
                                     });
  });
}

}  // namespace sela::store
