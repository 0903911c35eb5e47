#include "store/sqlite/sqlite_store.h"

#include <algorithm>
#include <system_error>
#include <utility>

#include "store/sqlite/batch_writer.h"
#include "store/sqlite/database.h"
#include "store/sqlite/make_op.h"
#include "store/sqlite/health.h"
#include "store/sqlite/open_checks.h"
#include "store/sqlite/schema.h"

namespace sela::store {
namespace {

using sqlite::MakeOp;
using sqlite::Operations;

Status CheckOptions(const SqliteOptions& options, const PostFn& post) {
  if (options.path.empty()) return InvalidArgument("store path is empty");
  if (!options.random) return InvalidArgument("store needs a random source (SqliteOptions.random)");
  if (!post) return InvalidArgument("store needs a post function");
  if (options.batch_ops_max == 0 || options.queue_ops_max == 0 ||
      options.referral_code_attempts_max == 0 || options.session_ids_per_reserve_max == 0 ||
      options.id_bytes_max == 0 || options.wal_checkpoint_pages == 0) {
    return InvalidArgument(
        "store limits batch_ops_max, queue_ops_max, referral_code_attempts_max, "
        "session_ids_per_reserve_max, id_bytes_max and wal_checkpoint_pages must be at least 1");
  }
  return Status::Ok();
}

Status Configure(sqlite::Database& db, const SqliteOptions& options) {
  ASSIGN_OR_RETURN(sqlite::Query wal, db.Prepare("PRAGMA journal_mode = WAL"));
  ASSIGN_OR_RETURN(const bool row, wal.Step());
  const std::string mode = row ? wal.Text(0) : "";
  if (mode != "wal") return FailedPrecondition("cannot switch to WAL mode (got '" + mode + "')");
  RETURN_IF_ERROR(db.Exec(options.fsync_each_batch ? "PRAGMA synchronous = FULL"
                                                   : "PRAGMA synchronous = NORMAL"));
  RETURN_IF_ERROR(
      db.Exec("PRAGMA wal_autocheckpoint = " + std::to_string(options.wal_checkpoint_pages)));
  // Each operation's savepoint keeps the pages it changes in a sub-journal;
  // in memory, so that a batch never spills them to a temporary file (a
  // write system call per page, and a page per write of the WAL besides).
  RETURN_IF_ERROR(db.Exec("PRAGMA temp_store = MEMORY"));
  return db.Exec("PRAGMA foreign_keys = ON");
}

Result<std::unique_ptr<sqlite::Database>> OpenDatabase(const SqliteOptions& options) {
  ASSIGN_OR_RETURN(auto db, sqlite::Database::Open(options.path, options.busy_timeout_ms));
  RETURN_IF_ERROR(Configure(*db, options));
  RETURN_IF_ERROR(sqlite::Migrate(*db));
  return db;
}

// The writer finishes a background checkpoint that left at most 1/32 of the
// start threshold (8 to 64 pages): a pause of a few page copies and two syncs
// of little data. From twice the threshold it checkpoints by itself.
sqlite::CheckpointPolicy::Limits CheckpointLimits(uint32_t wal_checkpoint_pages) {
  const int64_t start = wal_checkpoint_pages;
  return {.start_frames = start,
          .tail_frames = std::clamp<int64_t>(start / 32, 8, 64),
          .limit_frames = 2 * start};
}

Status NamePath(const Status& status, const std::string& path) {
  return Status(status.code(), "store " + path + ": " + status.message());
}

}  // namespace

Result<std::unique_ptr<Store>> SqliteStore::Open(const SqliteOptions& options, PostFn post) {
  RETURN_IF_ERROR(CheckOptions(options, post));
  RETURN_IF_ERROR(sqlite::PrepareDataFile(options.path));
  auto db = OpenDatabase(options);
  if (!db.has_value()) return Err(NamePath(db.error(), options.path));
  auto health = std::make_unique<sqlite::StoreHealth>(options.path, options.metrics);
  RETURN_IF_ERROR(sqlite::CheckWritable(**db, *health));
  sqlite::CheckIntegrity(**db, options.quick_check_ms, ClockOrSystem(options.clock), *health);
  // CompleteJob's transfer ids are the job id and at most 16 bytes more
  // ("referral:task:" and ":2", ledger.h JobRewardSpec): every job that may
  // be stored may be paid.
  constexpr uint32_t kJobTransferIdExtraBytes = 16;
  const sqlite::OperationLimits limits{
      .principal_bytes_max = options.principal_bytes_max,
      .client_id_bytes_max = options.client_id_bytes_max,
      .referral_code_attempts_max = options.referral_code_attempts_max,
      .session_ids_per_reserve_max = options.session_ids_per_reserve_max,
      .jobs = {.principal_bytes_max = options.principal_bytes_max,
               .client_id_bytes_max = options.client_id_bytes_max,
               .id_bytes_max = options.id_bytes_max,
               .text_bytes_max = options.text_bytes_max,
               .result_bytes_max = static_cast<size_t>(options.result_bytes_max)},
      .jobs_per_list_max = options.jobs_per_list_max,
      .ledger = {.principal_bytes_max = options.principal_bytes_max,
                 .id_bytes_max = options.id_bytes_max + kJobTransferIdExtraBytes,
                 .transfers_per_page_max = options.transfers_per_page_max,
                 .transfers_per_call_max = options.transfers_per_call_max},
      .referral_depth_max = options.referral_depth_max,
      .rows_per_read_max = options.rows_per_read_max,
      .canister_sync = options.canister_sync,
  };
  auto background = sqlite::BackgroundCheckpointer::Start(options.path, options.busy_timeout_ms);
  if (!background.has_value()) return Err(NamePath(background.error(), options.path));
  auto writer = std::make_unique<sqlite::BatchWriter>(
      sqlite::BatchWriterOptions{.batch_ops_max = options.batch_ops_max,
                                 .queue_ops_max = options.queue_ops_max,
                                 .wake_later = options.wake_later,
                                 .wake_after = options.wake_after,
                                 .gather = options.gather,
                                 .gather_ops = options.gather_ops,
                                 .on_batch = options.on_batch,
                                 .resume_free_bytes = 2ull * options.wal_checkpoint_pages * 4096,
                                 .clock = options.clock},
      std::move(db).value(), options.random, limits, std::move(post),
      std::move(background).value(), CheckpointLimits(options.wal_checkpoint_pages), *health);
  RETURN_IF_ERROR(writer->Start());
  return std::unique_ptr<Store>(new SqliteStore(std::move(health), std::move(writer)));
}

SqliteStore::SqliteStore(std::unique_ptr<sqlite::StoreHealth> health,
                         std::unique_ptr<sqlite::BatchWriter> writer)
    : health_(std::move(health)), writer_(std::move(writer)) {}

SqliteStore::~SqliteStore() = default;

void SqliteStore::ReserveSessionIds(uint64_t count, Callback<uint64_t> done) {
  writer_->Submit(MakeOp<uint64_t>(
      "ReserveSessionIds", [count](Operations& ops) { return ops.ReserveSessionIds(count); },
      std::move(done)));
}

void SqliteStore::RegisterNode(const std::string& principal, const std::string& client_id,
                               int64_t now_ms, Callback<NodeRecord> done) {
  writer_->Submit(MakeOp<NodeRecord>(
      "RegisterNode",
      [principal, client_id, now_ms](Operations& ops) {
        return ops.RegisterNode(principal, client_id, now_ms, false);
      },
      std::move(done)));
}

void SqliteStore::RegisterSignedNode(const std::string& principal, const std::string& client_id,
                                     int64_t now_ms, Callback<NodeRecord> done) {
  writer_->Submit(MakeOp<NodeRecord>(
      "RegisterSignedNode",
      [principal, client_id, now_ms](Operations& ops) {
        return ops.RegisterNode(principal, client_id, now_ms, true);
      },
      std::move(done)));
}

void SqliteStore::MarkNodeDisconnected(const std::string& principal, int64_t now_ms, Done done) {
  writer_->Submit(MakeOp(
      "MarkNodeDisconnected",
      [principal, now_ms](Operations& ops) { return ops.MarkNodeDisconnected(principal, now_ms); },
      std::move(done)));
}

void SqliteStore::UpdateNodeMetrics(const std::string& principal, const NodeMetricsUpdate& update,
                                    int64_t now_ms, Done done) {
  writer_->Submit(MakeOp(
      "UpdateNodeMetrics",
      [principal, update, now_ms](Operations& ops) {
        return ops.UpdateNodeMetrics(principal, update, now_ms);
      },
      std::move(done)));
}

void SqliteStore::SetNodeStatus(const std::string& principal, NodeStatus status, int64_t now_ms,
                                Done done) {
  writer_->Submit(MakeOp(
      "SetNodeStatus",
      [principal, status, now_ms](Operations& ops) {
        return ops.SetNodeStatus(principal, status, now_ms);
      },
      std::move(done)));
}

void SqliteStore::SetNodeCapacity(const std::string& principal, uint32_t max_concurrent_jobs,
                                  Done done) {
  writer_->Submit(MakeOp(
      "SetNodeCapacity",
      [principal, max_concurrent_jobs](Operations& ops) {
        return ops.SetNodeCapacity(principal, max_concurrent_jobs);
      },
      std::move(done)));
}

void SqliteStore::AddUptime(std::vector<UptimeDelta> deltas, int64_t now_ms, Done done) {
  writer_->Submit(MakeOp(
      "AddUptime",
      [deltas = std::move(deltas), now_ms](Operations& ops) {
        return ops.AddUptime(deltas, now_ms);
      },
      std::move(done)));
}

void SqliteStore::GetNode(const std::string& principal, Callback<std::optional<NodeRecord>> done) {
  writer_->Submit(MakeOp<std::optional<NodeRecord>>(
      "GetNode", [principal](Operations& ops) { return ops.GetNode(principal); }, std::move(done)));
}

void SqliteStore::ListNodes(bool only_active, Callback<std::vector<NodeRecord>> done) {
  writer_->Submit(MakeOp<std::vector<NodeRecord>>(
      "ListNodes", [only_active](Operations& ops) { return ops.ListNodes(only_active); },
      std::move(done)));
}

void SqliteStore::ListNodesPage(int64_t after_numeric_id, uint32_t limit, Callback<std::vector<NodeRecord>> done) {
  writer_->Submit(MakeOp<std::vector<NodeRecord>>(
      "ListNodesPage",
      [after_numeric_id, limit](Operations& ops) { return ops.ListNodesPage(after_numeric_id, limit); },
      std::move(done)));
}

void SqliteStore::ExpireNodeRecords(int64_t disconnected_before_ms, uint32_t limit, Callback<uint32_t> done) {
  writer_->Submit(MakeOp<uint32_t>(
      "ExpireNodeRecords",
      [disconnected_before_ms, limit](Operations& ops) {
        return ops.ExpireNodeRecords(disconnected_before_ms, limit);
      },
      std::move(done)));
}

void SqliteStore::GetUptimeDays(const std::string& principal, const std::string& from_day,
                                const std::string& to_day, Callback<std::vector<UptimeDay>> done) {
  writer_->Submit(MakeOp<std::vector<UptimeDay>>(
      "GetUptimeDays",
      [principal, from_day, to_day](Operations& ops) {
        return ops.GetUptimeDays(principal, from_day, to_day);
      },
      std::move(done)));
}

void SqliteStore::GetTotalUptimeMs(const std::string& principal, Callback<int64_t> done) {
  writer_->Submit(MakeOp<int64_t>(
      "GetTotalUptimeMs", [principal](Operations& ops) { return ops.GetTotalUptimeMs(principal); },
      std::move(done)));
}

void SqliteStore::RegisterApiClient(const ApiClient& client, Callback<ApiClient> done) {
  writer_->Submit(MakeOp<ApiClient>(
      "RegisterApiClient", [client](Operations& ops) { return ops.RegisterApiClient(client); },
      std::move(done)));
}

void SqliteStore::GetApiClient(const std::string& uuid, Callback<std::optional<ApiClient>> done) {
  writer_->Submit(MakeOp<std::optional<ApiClient>>(
      "GetApiClient", [uuid](Operations& ops) { return ops.GetApiClient(uuid); },
      std::move(done)));
}

void SqliteStore::FindApiClientByKeyHash(const std::string& key_hash,
                                         Callback<std::optional<ApiClient>> done) {
  writer_->Submit(MakeOp<std::optional<ApiClient>>(
      "FindApiClientByKeyHash",
      [key_hash](Operations& ops) { return ops.FindApiClientByKeyHash(key_hash); },
      std::move(done)));
}

void SqliteStore::GetUsageLog(const std::string& uuid, int64_t from_ms, int64_t to_ms,
                              Callback<std::vector<int64_t>> done) {
  writer_->Submit(MakeOp<std::vector<int64_t>>(
      "GetUsageLog",
      [uuid, from_ms, to_ms](Operations& ops) { return ops.GetUsageLog(uuid, from_ms, to_ms); },
      std::move(done)));
}

void SqliteStore::CreateJob(const CreateJobRequest& request, Callback<CreateJobOutcome> done) {
  writer_->Submit(MakeOp<CreateJobOutcome>(
      "CreateJob", [request](Operations& ops) { return ops.CreateJob(request); },
      std::move(done)));
}

void SqliteStore::LeaseJob(const std::string& job_id, const JobLease& lease, int64_t now_ms,
                           Done done) {
  writer_->Submit(MakeOp(
      "LeaseJob",
      [job_id, lease, now_ms](Operations& ops) { return ops.LeaseJob(job_id, lease, now_ms); },
      std::move(done)));
}

void SqliteStore::CompleteJob(const std::string& job_id, const JobCompletion& completion,
                              int64_t now_ms, Callback<CompletedJob> done) {
  writer_->Submit(MakeOp<CompletedJob>(
      "CompleteJob",
      [job_id, completion, now_ms](Operations& ops) {
        return ops.CompleteJob(job_id, completion, now_ms);
      },
      std::move(done)));
}

void SqliteStore::ReleaseJob(const std::string& job_id, uint32_t attempt, int64_t now_ms,
                             Done done) {
  writer_->Submit(MakeOp(
      "ReleaseJob",
      [job_id, attempt, now_ms](Operations& ops) { return ops.ReleaseJob(job_id, attempt, now_ms); },
      std::move(done)));
}

void SqliteStore::FailJob(const std::string& job_id, const JobFailure& failure, int64_t now_ms,
                          Done done) {
  writer_->Submit(MakeOp(
      "FailJob",
      [job_id, failure, now_ms](Operations& ops) { return ops.FailJob(job_id, failure, now_ms); },
      std::move(done)));
}

void SqliteStore::GetJob(const std::string& job_id, Callback<std::optional<JobRecord>> done) {
  writer_->Submit(MakeOp<std::optional<JobRecord>>(
      "GetJob", [job_id](Operations& ops) { return ops.GetJob(job_id); }, std::move(done)));
}

void SqliteStore::ListClientJobs(const std::string& client_uuid, std::optional<JobState> state,
                                 uint32_t limit, Callback<std::vector<JobRecord>> done) {
  writer_->Submit(MakeOp<std::vector<JobRecord>>(
      "ListClientJobs",
      [client_uuid, state, limit](Operations& ops) {
        return ops.ListClientJobs(client_uuid, state, limit);
      },
      std::move(done)));
}

void SqliteStore::ListOpenJobs(Callback<std::vector<JobRecord>> done) {
  writer_->Submit(MakeOp<std::vector<JobRecord>>(
      "ListOpenJobs", [](Operations& ops) { return ops.ListOpenJobs(); }, std::move(done)));
}

void SqliteStore::GetBlob(const std::string& hash, Callback<std::optional<std::string>> done) {
  writer_->Submit(MakeOp<std::optional<std::string>>(
      "GetBlob", [hash](Operations& ops) { return ops.GetBlob(hash); }, std::move(done)));
}

void SqliteStore::Ping(Done done) {
  writer_->Submit(MakeOp(
      "Ping",
      [health = health_.get()](Operations& ops) -> Status {
        RETURN_IF_ERROR(health->Check());
        return ops.Ping();
      },
      std::move(done)));
}

void SqliteStore::Flush() { writer_->Flush(); }

}  // namespace sela::store
