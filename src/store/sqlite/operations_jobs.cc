// Operations on API clients, jobs and result blobs (see operations.h). Every
// job transition is one UPDATE whose WHERE clause is the transition's guard
// (state, attempt, lease holder); a guard that matches no row changes
// nothing and is then explained by RefuseTransition().
#include <algorithm>
#include <utility>

#include "store/sqlite/operations.h"
#include "store/validate.h"

namespace sela::store::sqlite {
namespace {

// The columns of a JobRecord, in the order ReadJob() reads (followed by
// failure_reason) and BindJob() binds them.
#define SELA_JOB_COLUMNS                                                                        \
  "job_id, client_uuid, job_type, target, state, node_principal, node_client_id, attempt, "     \
  "max_attempts, created_ms, assigned_ms, lease_deadline_ms, deadline_ms, complete_ms, "        \
  "post_count, replies_count, scroll_pause_ms, sync, usage_charged, reward_units, result_hash, " \
  "result_content_type, result_bytes, price_cents, objects_count, file_size_kb, error, "        \
  "last_failed_node, target_node, result_file_id, listed"
// Read with every job; not inserted (a new job has none, the default).
#define SELA_JOB_READ_COLUMNS SELA_JOB_COLUMNS ", failure_reason"
#define SELA_CLIENT_COLUMNS "uuid, key_hash, usage_count, usage_limit, created_ms, list_by_default"

constexpr char kInsertClient[] =
    "INSERT INTO api_clients (" SELA_CLIENT_COLUMNS ") VALUES (?1, ?2, 0, ?3, ?4, 0) "
    "ON CONFLICT DO NOTHING RETURNING " SELA_CLIENT_COLUMNS;
constexpr char kSelectClient[] = "SELECT " SELA_CLIENT_COLUMNS " FROM api_clients WHERE uuid = ?1";
constexpr char kSelectClientByKey[] =
    "SELECT " SELA_CLIENT_COLUMNS " FROM api_clients WHERE key_hash = ?1";
// A charged usage is an entry of the partial index jobs_usage; its WHERE
// clause is the index's, so that the index is used (and covers the query).
constexpr char kSelectUsage[] =
    "SELECT created_ms FROM jobs WHERE client_uuid = ?1 AND usage_charged = 1 "
    "AND usage_refunded = 0 AND created_ms BETWEEN ?2 AND ?3 ORDER BY created_ms";
constexpr char kChargeUsage[] =
    "UPDATE api_clients SET usage_count = usage_count + 1 "
    "WHERE uuid = ?1 AND usage_count < usage_limit RETURNING list_by_default";
constexpr char kClientUsage[] =
    "SELECT usage_count, usage_limit, list_by_default FROM api_clients WHERE uuid = ?1";
constexpr char kRefundUsage[] =
    "UPDATE api_clients SET usage_count = usage_count - 1 WHERE uuid = ?1";
constexpr char kSelectKey[] =
    "SELECT request_hash, job_id FROM idempotency WHERE client_uuid = ?1 AND key = ?2";
constexpr char kInsertKey[] =
    "INSERT INTO idempotency (client_uuid, key, request_hash, job_id) VALUES (?1, ?2, ?3, ?4)";
constexpr char kInsertJob[] =
    "INSERT INTO jobs (" SELA_JOB_COLUMNS
    ") VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9, ?10, ?11, ?12, ?13, ?14, ?15, ?16, ?17, ?18, "
    "?19, ?20, ?21, ?22, ?23, ?24, ?25, ?26, ?27, ?28, ?29, ?30, ?31) ON CONFLICT (job_id) DO NOTHING";
constexpr char kSelectJob[] = "SELECT " SELA_JOB_READ_COLUMNS " FROM jobs WHERE job_id = ?1";
constexpr char kSelectClientJobs[] =
    "SELECT " SELA_JOB_READ_COLUMNS " FROM jobs WHERE client_uuid = ?1 ORDER BY seq LIMIT ?2";
// Pending or ongoing: the partial index jobs_open_by_client, whose WHERE
// clause is repeated so that it is used. Completed or failed: the client's
// jobs in order, skipping the other states.
constexpr char kSelectClientOpenJobsInState[] =
    "SELECT " SELA_JOB_READ_COLUMNS
    " FROM jobs WHERE client_uuid = ?1 AND state IN ('pending', 'ongoing') AND state = ?2 "
    "ORDER BY seq LIMIT ?3";
constexpr char kSelectClientJobsInState[] =
    "SELECT " SELA_JOB_READ_COLUMNS
    " FROM jobs WHERE client_uuid = ?1 AND state = ?2 ORDER BY seq LIMIT ?3";
// Every open job is in jobs_open_by_client, grouped by client; reading them
// all and sorting by seq (at start-up only, at most JOB_OPEN_MAX) beats the
// planner's own choice, a scan of every job ever stored. The sort is
// ListOpenJobs()'s, so that SQLite's sorter holds no second copy of them.
constexpr char kSelectOpenJobs[] =
    "SELECT " SELA_JOB_READ_COLUMNS
    ", seq FROM jobs INDEXED BY jobs_open_by_client WHERE state IN ('pending', 'ongoing')";
constexpr int kOpenJobSeqColumn = 32;
constexpr char kJobGuardState[] =
    "SELECT state, attempt, node_principal FROM jobs WHERE job_id = ?1";
constexpr char kLeaseJob[] =
    "UPDATE jobs SET state = 'ongoing', attempt = ?2, node_principal = ?3, node_client_id = ?4, "
    "assigned_ms = ?5, lease_deadline_ms = ?6 "
    "WHERE job_id = ?1 AND state = 'pending' AND attempt = ?2 - 1";
// reward_units is what the job's transfer credits (PayJob sets it).
constexpr char kCompleteJob[] =
    "UPDATE jobs SET state = 'completed', complete_ms = ?4, lease_deadline_ms = 0, "
    "result_hash = ?5, result_content_type = ?6, result_bytes = ?7, reward_units = 0, "
    "price_cents = ?8, objects_count = ?9, file_size_kb = ?10, result_file_id = ?11 "
    "WHERE job_id = ?1 AND state = 'ongoing' AND node_principal = ?2 AND attempt = ?3";
constexpr char kReleaseJob[] =
    "UPDATE jobs SET state = 'pending', last_failed_node = node_principal, lease_deadline_ms = 0 "
    "WHERE job_id = ?1 AND state = 'ongoing' AND attempt = ?2";
constexpr char kFailJob[] =
    "UPDATE jobs SET state = 'failed', complete_ms = ?3, error = ?4, failure_reason = ?5, reward_units = 0, "
    "lease_deadline_ms = 0, usage_refunded = (sync AND usage_charged) "
    "WHERE job_id = ?1 AND state IN ('pending', 'ongoing') AND attempt = ?2 "
    "RETURNING client_uuid, usage_refunded";
constexpr char kInsertBlob[] =
    "INSERT INTO blobs (hash, bytes) VALUES (?1, ?2) ON CONFLICT (hash) DO NOTHING";
constexpr char kSameBlob[] = "SELECT bytes = ?2 FROM blobs WHERE hash = ?1";
constexpr char kSelectBlob[] = "SELECT bytes FROM blobs WHERE hash = ?1";

}  // namespace

// The columns ReadJobRow() reads, for the marketplace's queries.
const char kJobColumns[] = SELA_JOB_READ_COLUMNS;

namespace {

#undef SELA_JOB_READ_COLUMNS
#undef SELA_JOB_COLUMNS
#undef SELA_CLIENT_COLUMNS

constexpr JobState kJobStates[] = {JobState::kPending, JobState::kOngoing, JobState::kCompleted,
                                   JobState::kFailed};

// The schema's CHECK admits only the four names.
JobState JobStateFromName(std::string_view name) {
  for (JobState state : kJobStates) {
    if (JobStateName(state) == name) return state;
  }
  return JobState::kFailed;
}

constexpr FailureReason kFailureReasons[] = {FailureReason::kNone, FailureReason::kNoData,
                                             FailureReason::kDeadline,
                                             FailureReason::kAttemptsExhausted, FailureReason::kRestart,
                                             FailureReason::kTooLarge, FailureReason::kCancelled};

// The schema's CHECK admits only these names.
FailureReason FailureReasonFromName(std::string_view name) {
  for (FailureReason reason : kFailureReasons) {
    if (FailureReasonName(reason) == name) return reason;
  }
  return FailureReason::kNone;
}

ApiClient ReadClient(const Query& q) {
  return ApiClient{.uuid = q.Text(0),
                   .key_hash = q.Text(1),
                   .usage_count = q.Int64(2),
                   .usage_limit = q.Int64(3),
                   .created_ms = q.Int64(4),
                   .list_by_default = q.Int64(5) != 0};
}

JobRecord ReadJob(const Query& q) {
  JobRecord job;
  job.job_id = q.Text(0);
  job.client_uuid = q.Text(1);
  job.job_type = q.Text(2);
  job.target = q.Text(3);
  job.state = JobStateFromName(q.Text(4));
  job.node_principal = q.Text(5);
  job.node_client_id = q.Text(6);
  job.attempt = static_cast<uint32_t>(q.Int64(7));
  job.max_attempts = static_cast<uint32_t>(q.Int64(8));
  job.created_ms = q.Int64(9);
  job.assigned_ms = q.Int64(10);
  job.lease_deadline_ms = q.Int64(11);
  job.deadline_ms = q.Int64(12);
  job.complete_ms = q.Int64(13);
  job.post_count = q.Int64(14);
  job.replies_count = q.Int64(15);
  job.scroll_pause_ms = q.Int64(16);
  job.sync = q.Int64(17) != 0;
  job.usage_charged = q.Int64(18) != 0;
  job.reward_units = q.Int64(19);
  job.result_hash = q.Text(20);
  job.result_content_type = q.Text(21);
  job.result_bytes = q.Int64(22);
  job.price_cents = q.Int64(23);
  job.objects_count = q.Int64(24);
  job.file_size_kb = q.Int64(25);
  job.error = q.Text(26);
  job.last_failed_node = q.Text(27);
  job.target_node = q.Text(28);
  job.result_file_id = q.Text(29);
  job.listed = q.Int64(30) != 0;
  job.failure_reason = FailureReasonFromName(q.Text(31));
  return job;
}

void BindJob(Query& q, const JobRecord& job) {
  q.BindText(1, job.job_id).BindText(2, job.client_uuid).BindText(3, job.job_type);
  q.BindText(4, job.target).BindText(5, JobStateName(job.state));
  q.BindText(6, job.node_principal).BindText(7, job.node_client_id);
  q.BindInt(8, job.attempt).BindInt(9, job.max_attempts).BindInt(10, job.created_ms);
  q.BindInt(11, job.assigned_ms).BindInt(12, job.lease_deadline_ms).BindInt(13, job.deadline_ms);
  q.BindInt(14, job.complete_ms).BindInt(15, job.post_count).BindInt(16, job.replies_count);
  q.BindInt(17, job.scroll_pause_ms).BindInt(18, job.sync ? 1 : 0);
  q.BindInt(19, job.usage_charged ? 1 : 0).BindInt(20, job.reward_units);
  q.BindText(21, job.result_hash).BindText(22, job.result_content_type);
  q.BindInt(23, job.result_bytes).BindInt(24, job.price_cents).BindInt(25, job.objects_count);
  q.BindInt(26, job.file_size_kb).BindText(27, job.error).BindText(28, job.last_failed_node);
  q.BindText(29, job.target_node).BindText(30, job.result_file_id).BindInt(31, job.listed ? 1 : 0);
}

}  // namespace

JobRecord ReadJobRow(const Query& q) { return ReadJob(q); }

namespace {

Result<std::vector<JobRecord>> ReadJobs(Query& query) {
  std::vector<JobRecord> jobs;
  while (true) {
    ASSIGN_OR_RETURN(const bool row, query.Step());
    if (!row) return jobs;
    jobs.push_back(ReadJob(query));
  }
}

Result<std::optional<ApiClient>> ReadOptionalClient(Query& query) {
  ASSIGN_OR_RETURN(const bool row, query.Step());
  if (!row) return std::optional<ApiClient>();
  return std::optional<ApiClient>(ReadClient(query));
}

Status ValidateAttempt(uint32_t attempt) {
  if (attempt == 0) return InvalidArgument("lease attempt must be at least 1");
  return Status::Ok();
}

}  // namespace

Status Operations::ValidateJobId(std::string_view job_id) const {
  return ValidateId(job_id, "job_id", limits_.jobs.id_bytes_max);
}

Result<ApiClient> Operations::RegisterApiClient(const ApiClient& client) {
  RETURN_IF_ERROR(ValidateApiClient(client, limits_.jobs));
  ASSIGN_OR_RETURN(Query query, db_.Prepare(kInsertClient));
  query.BindText(1, client.uuid).BindText(2, client.key_hash);
  query.BindInt(3, client.usage_limit).BindInt(4, client.created_ms);
  ASSIGN_OR_RETURN(const bool inserted, query.Step());
  if (!inserted) {
    return Err(AlreadyExists("an API client with uuid " + client.uuid +
                             " or with the same key hash is registered already"));
  }
  return ReadClient(query);
}

Result<std::optional<ApiClient>> Operations::GetApiClient(const std::string& uuid) {
  RETURN_IF_ERROR(ValidateId(uuid, "API client uuid", limits_.jobs.id_bytes_max));
  ASSIGN_OR_RETURN(Query query, db_.Prepare(kSelectClient));
  query.BindText(1, uuid);
  return ReadOptionalClient(query);
}

Result<std::optional<ApiClient>> Operations::FindApiClientByKeyHash(const std::string& key_hash) {
  RETURN_IF_ERROR(ValidateSha256Hex(key_hash, "API key hash"));
  ASSIGN_OR_RETURN(Query query, db_.Prepare(kSelectClientByKey));
  query.BindText(1, key_hash);
  return ReadOptionalClient(query);
}

Result<std::vector<int64_t>> Operations::GetUsageLog(const std::string& uuid, int64_t from_ms,
                                                     int64_t to_ms) {
  RETURN_IF_ERROR(ValidateId(uuid, "API client uuid", limits_.jobs.id_bytes_max));
  if (from_ms < 0 || to_ms < 0) return Err(InvalidArgument("usage log times must not be negative"));
  ASSIGN_OR_RETURN(Query query, db_.Prepare(kSelectUsage));
  query.BindText(1, uuid).BindInt(2, from_ms).BindInt(3, to_ms);
  std::vector<int64_t> times;
  while (true) {
    ASSIGN_OR_RETURN(const bool row, query.Step());
    if (!row) return times;
    times.push_back(query.Int64(0));
  }
}

Result<std::optional<CreateJobOutcome>> Operations::FindIdempotentJob(
    const CreateJobRequest& request) {
  std::string job_id;
  {
    ASSIGN_OR_RETURN(Query query, db_.Prepare(kSelectKey));
    query.BindText(1, request.job.client_uuid).BindText(2, request.idempotency_key);
    ASSIGN_OR_RETURN(const bool row, query.Step());
    if (!row) return std::optional<CreateJobOutcome>();
    if (query.Text(0) != request.request_hash) {
      return Err(Conflict("idempotency key of client " + request.job.client_uuid +
                          " was used with a different request"));
    }
    job_id = query.Text(1);
  }
  ASSIGN_OR_RETURN(std::optional<JobRecord> job, GetJob(job_id));
  if (!job.has_value()) return Err(Internal("idempotency key points at missing job " + job_id));
  return std::optional<CreateJobOutcome>(CreateJobOutcome{std::move(*job), false});
}

Result<bool> Operations::ChargeUsage(const std::string& uuid, bool charge) {
  if (charge) {
    ASSIGN_OR_RETURN(Query query, db_.Prepare(kChargeUsage));
    ASSIGN_OR_RETURN(const bool charged, query.BindText(1, uuid).Step());
    if (charged) {
      const bool list_by_default = query.Int64(0) != 0;
      RETURN_IF_ERROR(query.Run());  // Finishes the statement.
      return list_by_default;
    }
  }
  ASSIGN_OR_RETURN(Query query, db_.Prepare(kClientUsage));
  ASSIGN_OR_RETURN(const bool exists, query.BindText(1, uuid).Step());
  if (!exists) return Err(NotFound("no API client with uuid " + uuid));
  if (charge) {
    return Err(ResourceExhausted("API client " + uuid + " has used " +
                                 std::to_string(query.Int64(0)) + " of its " +
                                 std::to_string(query.Int64(1)) + " usages"));
  }
  return query.Int64(2) != 0;
}

Status Operations::InsertJob(const JobRecord& job) {
  ASSIGN_OR_RETURN(Query query, db_.Prepare(kInsertJob));
  BindJob(query, job);
  RETURN_IF_ERROR(query.Run());
  if (db_.Changes() == 0) return AlreadyExists("job id " + job.job_id + " is taken");
  return Status::Ok();
}

Status Operations::InsertIdempotencyKey(const CreateJobRequest& request, const JobRecord& job) {
  if (request.idempotency_key.empty()) return Status::Ok();
  ASSIGN_OR_RETURN(Query query, db_.Prepare(kInsertKey));
  query.BindText(1, job.client_uuid).BindText(2, request.idempotency_key);
  query.BindText(3, request.request_hash).BindText(4, job.job_id);
  return query.Run();
}

Result<CreateJobOutcome> Operations::CreateJob(const CreateJobRequest& request) {
  RETURN_IF_ERROR(ValidateCreateJob(request, limits_.jobs));
  if (!request.idempotency_key.empty()) {
    ASSIGN_OR_RETURN(std::optional<CreateJobOutcome> earlier, FindIdempotentJob(request));
    if (earlier.has_value()) return std::move(*earlier);
  }
  JobRecord job = request.job;
  job.usage_charged = request.charge_usage;
  // Each step may write before a later one refuses; the writer then rolls
  // the whole operation back with its savepoint.
  ASSIGN_OR_RETURN(const bool list_by_default, ChargeUsage(job.client_uuid, request.charge_usage));
  job.listed = request.listed.value_or(list_by_default);
  RETURN_IF_ERROR(InsertJob(job));
  RETURN_IF_ERROR(InsertIdempotencyKey(request, job));
  return CreateJobOutcome{std::move(job), true};
}

Status Operations::RefuseTransition(const std::string& job_id, std::string_view wanted) {
  ASSIGN_OR_RETURN(Query query, db_.Prepare(kJobGuardState));
  ASSIGN_OR_RETURN(const bool row, query.BindText(1, job_id).Step());
  if (!row) return NotFound("no job with id " + job_id);
  return FailedPrecondition("job " + job_id + " is " + query.Text(0) + " with attempt " +
                            std::to_string(query.Int64(1)) + " (node " + query.Text(2) +
                            "), not " + std::string(wanted));
}

Status Operations::LeaseJob(const std::string& job_id, const JobLease& lease, int64_t now_ms) {
  RETURN_IF_ERROR(ValidateJobId(job_id));
  RETURN_IF_ERROR(ValidateLease(lease, limits_.jobs));
  RETURN_IF_ERROR(ValidateNowMs(now_ms));
  ASSIGN_OR_RETURN(Query query, db_.Prepare(kLeaseJob));
  query.BindText(1, job_id).BindInt(2, lease.attempt).BindText(3, lease.node_principal);
  query.BindText(4, lease.node_client_id).BindInt(5, now_ms).BindInt(6, lease.lease_deadline_ms);
  RETURN_IF_ERROR(query.Run());
  if (db_.Changes() == 1) return Status::Ok();
  return RefuseTransition(job_id, "pending with attempt " + std::to_string(lease.attempt - 1));
}

Status Operations::PutBlob(const std::string& hash, const std::string& bytes) {
  {
    ASSIGN_OR_RETURN(Query query, db_.Prepare(kInsertBlob));
    RETURN_IF_ERROR(query.BindText(1, hash).BindBlob(2, bytes).Run());
    if (db_.Changes() == 1) return Status::Ok();
  }
  // Stored already. Equal hashes with different bytes mean a caller that
  // hashed wrongly; the stored bytes are kept and the completion refused.
  ASSIGN_OR_RETURN(Query query, db_.Prepare(kSameBlob));
  ASSIGN_OR_RETURN(const bool row, query.BindText(1, hash).BindBlob(2, bytes).Step());
  if (!row) return Internal("blob " + hash + " is neither new nor stored");
  if (query.Int64(0) != 1) return Conflict("blob " + hash + " is stored with different bytes");
  return Status::Ok();
}

Result<CompletedJob> Operations::CompleteJob(const std::string& job_id,
                                             const JobCompletion& completion, int64_t now_ms) {
  RETURN_IF_ERROR(ValidateJobId(job_id));
  RETURN_IF_ERROR(ValidateCompletion(completion, limits_.jobs));
  RETURN_IF_ERROR(ValidateJobRewardSpec(completion.reward));
  RETURN_IF_ERROR(ValidateAttempt(completion.attempt));
  RETURN_IF_ERROR(ValidateNowMs(now_ms));
  ASSIGN_OR_RETURN(Query query, db_.Prepare(kCompleteJob));
  query.BindText(1, job_id).BindText(2, completion.node_principal).BindInt(3, completion.attempt);
  query.BindInt(4, now_ms).BindText(5, completion.result_hash);
  query.BindText(6, completion.result_content_type)
      .BindInt(7, static_cast<int64_t>(completion.result.size()));
  query.BindInt(8, completion.price_cents);
  query.BindInt(9, completion.objects_count).BindInt(10, completion.file_size_kb);
  query.BindText(11, completion.result_file_id);
  RETURN_IF_ERROR(query.Run());
  if (db_.Changes() == 1) {
    if (!completion.result_file_id.empty()) {
      RETURN_IF_ERROR(AdoptResultFile(job_id, completion));
    } else {
      RETURN_IF_ERROR(PutBlob(completion.result_hash, completion.result));
      // The result's file-canister sync row, in this same transaction, so
      // that no crash separates it from the completion (store.h
      // "File-canister sync journal"). Journal off: not a statement more.
      if (limits_.canister_sync) {
        RETURN_IF_ERROR(InsertSyncRow(NewSyncRow(completion.result_hash, SyncSource::kResult, job_id,
                                                 completion.node_principal, completion.result_content_type,
                                                 static_cast<int64_t>(completion.result.size()), now_ms)));
      }
    }
    return PayJob(job_id, completion, now_ms);
  }
  ASSIGN_OR_RETURN(std::optional<JobRecord> job, GetJob(job_id));
  if (job.has_value() && job->state == JobState::kCompleted &&
      job->node_principal == completion.node_principal && job->attempt == completion.attempt) {
    return CompletedJob{.outcome = CompleteOutcome::kRepeat, .reward_units = job->reward_units};
  }
  return Err(RefuseTransition(job_id, "ongoing with attempt " +
                                          std::to_string(completion.attempt) + " held by " +
                                          completion.node_principal));
}

Status Operations::ReleaseJob(const std::string& job_id, uint32_t attempt, int64_t now_ms) {
  RETURN_IF_ERROR(ValidateJobId(job_id));
  RETURN_IF_ERROR(ValidateAttempt(attempt));
  RETURN_IF_ERROR(ValidateNowMs(now_ms));
  ASSIGN_OR_RETURN(Query query, db_.Prepare(kReleaseJob));
  RETURN_IF_ERROR(query.BindText(1, job_id).BindInt(2, attempt).Run());
  if (db_.Changes() == 1) return Status::Ok();
  return RefuseTransition(job_id, "ongoing with attempt " + std::to_string(attempt));
}

Status Operations::RefundUsage(const std::string& uuid, const std::string& job_id) {
  ASSIGN_OR_RETURN(Query query, db_.Prepare(kRefundUsage));
  RETURN_IF_ERROR(query.BindText(1, uuid).Run());
  if (db_.Changes() != 1) return Internal("refund for job " + job_id + " found no client");
  return Status::Ok();
}

Status Operations::FailJob(const std::string& job_id, const JobFailure& failure, int64_t now_ms) {
  RETURN_IF_ERROR(ValidateJobId(job_id));
  RETURN_IF_ERROR(ValidateFailure(failure, limits_.jobs));
  RETURN_IF_ERROR(ValidateNowMs(now_ms));
  const uint32_t attempt = failure.attempt;
  std::string client_uuid;
  bool refund = false;
  {
    ASSIGN_OR_RETURN(Query query, db_.Prepare(kFailJob));
    query.BindText(1, job_id).BindInt(2, attempt).BindInt(3, now_ms).BindText(4, failure.error);
    query.BindText(5, FailureReasonName(failure.reason));
    ASSIGN_OR_RETURN(const bool failed, query.Step());
    if (!failed) {
      return RefuseTransition(job_id, "pending or ongoing with attempt " + std::to_string(attempt));
    }
    client_uuid = query.Text(0);
    refund = query.Int64(1) != 0;  // A sync job's charge, taken out of jobs_usage.
    RETURN_IF_ERROR(query.Run());  // Finishes the statement before the refund writes.
  }
  if (!refund) return Status::Ok();
  return RefundUsage(client_uuid, job_id);
}

Result<std::optional<JobRecord>> Operations::GetJob(const std::string& job_id) {
  RETURN_IF_ERROR(ValidateJobId(job_id));
  ASSIGN_OR_RETURN(Query query, db_.Prepare(kSelectJob));
  ASSIGN_OR_RETURN(const bool row, query.BindText(1, job_id).Step());
  if (!row) return std::optional<JobRecord>();
  return std::optional<JobRecord>(ReadJob(query));
}

Result<std::vector<JobRecord>> Operations::ListClientJobs(const std::string& client_uuid,
                                                          std::optional<JobState> state,
                                                          uint32_t limit) {
  RETURN_IF_ERROR(ValidateId(client_uuid, "API client uuid", limits_.jobs.id_bytes_max));
  if (state.has_value()) RETURN_IF_ERROR(ValidateJobState(*state));
  if (limit > limits_.jobs_per_list_max) {
    return Err(InvalidArgument("job list limit " + std::to_string(limit) + " is more than " +
                               std::to_string(limits_.jobs_per_list_max)));
  }
  if (!state.has_value()) {
    ASSIGN_OR_RETURN(Query query, db_.Prepare(kSelectClientJobs));
    query.BindText(1, client_uuid).BindInt(2, limit);
    return ReadJobs(query);
  }
  const bool open = *state == JobState::kPending || *state == JobState::kOngoing;
  ASSIGN_OR_RETURN(Query query,
                   db_.Prepare(open ? kSelectClientOpenJobsInState : kSelectClientJobsInState));
  query.BindText(1, client_uuid).BindText(2, JobStateName(*state)).BindInt(3, limit);
  return ReadJobs(query);
}

Result<std::vector<JobRecord>> Operations::ListOpenJobs() {
  ASSIGN_OR_RETURN(Query query, db_.Prepare(kSelectOpenJobs));
  std::vector<std::pair<int64_t, JobRecord>> open;
  while (true) {
    ASSIGN_OR_RETURN(const bool row, query.Step());
    if (!row) break;
    open.emplace_back(query.Int64(kOpenJobSeqColumn), ReadJob(query));
  }
  std::sort(open.begin(), open.end(),
            [](const auto& a, const auto& b) { return a.first < b.first; });
  std::vector<JobRecord> jobs;
  jobs.reserve(open.size());
  for (auto& [seq, job] : open) jobs.push_back(std::move(job));
  return jobs;
}

Result<std::optional<std::string>> Operations::GetBlob(const std::string& hash) {
  RETURN_IF_ERROR(ValidateSha256Hex(hash, "blob hash"));
  ASSIGN_OR_RETURN(Query query, db_.Prepare(kSelectBlob));
  ASSIGN_OR_RETURN(const bool row, query.BindText(1, hash).Step());
  if (!row) return std::optional<std::string>();
  return std::optional<std::string>(query.Blob(0));
}

}  // namespace sela::store::sqlite
