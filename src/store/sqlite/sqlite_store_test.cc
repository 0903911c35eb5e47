// SqliteStore: the contract suite on SQLite, plus what only this backend
// has (files, schema, limits, locks, batching).
#include "store/sqlite/sqlite_store.h"

#include <sqlite3.h>
#include <sys/stat.h>

#include <atomic>
#include <filesystem>
#include <fstream>
#include <random>

#include "store/sqlite/database.h"
#include "store/sqlite/operations.h"
#include "store/sqlite/schema.h"
#include "store/sqlite/sqlite_test_util.h"
#include "store/store_contract_ledger_test.h"
#include "store/store_contract_settlement_test.h"
#include "store/store_contract_test.h"

namespace sela::store::testing {
namespace {

constexpr int64_t kT0 = 1'700'000'000'000;

class SqliteEnv final : public StoreEnv {
 public:
  Result<std::unique_ptr<Store>> Open(PostFn post) override {
    SqliteOptions options;
    options.path = dir_.path() + "/data/sela.db";
    // A new seed per open, as a restarted server would have.
    options.random = [rng = std::mt19937_64(opens_++)]() mutable { return rng(); };
    options.canister_sync = canister_sync;
    return SqliteStore::Open(options, std::move(post));
  }

 private:
  TempDir dir_;
  uint64_t opens_ = 1;
};

const StoreBackend kSqlite{"Sqlite", [] { return std::make_unique<SqliteEnv>(); }, nullptr};

INSTANTIATE_TEST_SUITE_P(Sqlite, StoreContractTest, ::testing::Values(kSqlite), BackendName);
INSTANTIATE_TEST_SUITE_P(Sqlite, JobContractTest, ::testing::Values(kSqlite), BackendName);
INSTANTIATE_TEST_SUITE_P(Sqlite, LedgerContractTest, ::testing::Values(kSqlite), BackendName);
INSTANTIATE_TEST_SUITE_P(Sqlite, JobPayContractTest, ::testing::Values(kSqlite), BackendName);
INSTANTIATE_TEST_SUITE_P(Sqlite, SettlementContractTest, ::testing::Values(kSqlite), BackendName);

TEST_F(SqliteStoreTest, AReferralChainDeeperThanTheLimitIsRefused) {
  options_.referral_depth_max = 3;
  ASSERT_NO_FATAL_FAILURE(Open());
  // p0 <- p1 <- p2 <- p3: walking up from p3 passes three referrals.
  std::vector<std::string> codes;
  for (int i = 0; i <= 4; ++i) codes.push_back(Register("p" + std::to_string(i))->referral_code);
  for (int i = 1; i <= 3; ++i) {
    const auto r = Call<Result<ReferralOutcome>>([&](auto done) {
      store().RegisterReferral("p" + std::to_string(i), codes[i - 1], kT0, done);
    });
    ASSERT_TRUE(r.has_value());
    ASSERT_EQ(r->refusal, ReferralRefusal::kNone);
  }
  const auto deep = Call<Result<ReferralOutcome>>(
      [&](auto done) { store().RegisterReferral("p4", codes[3], kT0, done); });
  ASSERT_TRUE(deep.has_value());
  EXPECT_EQ(deep->refusal, ReferralRefusal::kChainTooDeep);
  const auto shallow = Call<Result<ReferralOutcome>>(
      [&](auto done) { store().RegisterReferral("p4", codes[2], kT0, done); });
  ASSERT_TRUE(shallow.has_value());
  EXPECT_EQ(shallow->refusal, ReferralRefusal::kNone);
}

TEST_F(SqliteStoreTest, OpenCreatesMissingParentDirectories) {
  options_.path = dir_.path() + "/a/b/c/sela.db";
  ASSERT_NO_FATAL_FAILURE(Open());
  EXPECT_TRUE(Ping().ok());
  EXPECT_TRUE(std::filesystem::exists(options_.path));
}

TEST_F(SqliteStoreTest, DataFilesAreCreatedReadableByTheOwnerOnly) {
  const mode_t old_umask = ::umask(0);  // Whatever the umask, the files are 0600.
  ASSERT_NO_FATAL_FAILURE(Open());
  ::umask(old_umask);
  ASSERT_TRUE(Ping().ok());
  for (const std::string& file : {options_.path, options_.path + "-wal", options_.path + "-shm"}) {
    ASSERT_TRUE(std::filesystem::exists(file)) << file;
    EXPECT_EQ(std::filesystem::status(file).permissions() & std::filesystem::perms::all,
              std::filesystem::perms::owner_read | std::filesystem::perms::owner_write)
        << file;
  }
}

TEST_F(SqliteStoreTest, OpenNamesThePathWhenItsDirectoryCannotBeMade) {
  std::ofstream(dir_.path() + "/file") << "x";
  options_.path = dir_.path() + "/file/sub/sela.db";
  const auto store = SqliteStore::Open(options_, posts_.AsPostFn());
  ASSERT_FALSE(store.has_value());
  EXPECT_EQ(store.error().code(), Code::kFailedPrecondition);
  EXPECT_NE(store.error().message().find(options_.path), std::string::npos)
      << store.error().ToString();
}

TEST_F(SqliteStoreTest, OpenRefusesAFileThatIsNotADatabase) {
  std::ofstream(options_.path) << std::string(4096, 'x');
  const auto store = SqliteStore::Open(options_, posts_.AsPostFn());
  ASSERT_FALSE(store.has_value());
  EXPECT_EQ(store.error().code(), Code::kInternal);
  EXPECT_NE(store.error().message().find(options_.path), std::string::npos)
      << store.error().ToString();
}

TEST_F(SqliteStoreTest, OpenRefusesASchemaFromANewerBuild) {
  ASSERT_NO_FATAL_FAILURE(Open());
  Close();
  ASSERT_TRUE(RawExec(options_.path, "INSERT INTO schema_version (version) VALUES (99)").ok());
  const auto store = SqliteStore::Open(options_, posts_.AsPostFn());
  ASSERT_FALSE(store.has_value());
  EXPECT_EQ(store.error().code(), Code::kFailedPrecondition);
  EXPECT_NE(store.error().message().find("99"), std::string::npos) << store.error().ToString();
}

TEST_F(SqliteStoreTest, OpenLeavesTheFileAtTheLatestSchemaInWalMode) {
  ASSERT_NO_FATAL_FAILURE(Open());
  Close();
  EXPECT_EQ(RawQueryInt(options_.path, "SELECT MAX(version) FROM schema_version"),
            sqlite::LatestSchemaVersion());
  EXPECT_EQ(RawQueryText(options_.path, "PRAGMA journal_mode"), "wal");
  EXPECT_EQ(RawQueryInt(options_.path, "SELECT COUNT(*) FROM counters"), 2);
  // Opening again applies nothing twice.
  ASSERT_NO_FATAL_FAILURE(Open());
  Close();
  EXPECT_EQ(RawQueryInt(options_.path, "SELECT COUNT(*) FROM schema_version"),
            sqlite::LatestSchemaVersion());
}

TEST_F(SqliteStoreTest, OpenRefusesMissingRandomSourceAndZeroLimits) {
  SqliteOptions no_random = options_;
  no_random.random = nullptr;
  SqliteOptions no_batch = options_;
  no_batch.batch_ops_max = 0;
  SqliteOptions no_queue = options_;
  no_queue.queue_ops_max = 0;
  SqliteOptions no_path = options_;
  no_path.path.clear();
  SqliteOptions no_checkpoint = options_;
  no_checkpoint.wal_checkpoint_pages = 0;  // SQLite would never checkpoint.
  for (const SqliteOptions& options : {no_random, no_batch, no_queue, no_path, no_checkpoint}) {
    const auto store = SqliteStore::Open(options, posts_.AsPostFn());
    ASSERT_FALSE(store.has_value());
    EXPECT_EQ(store.error().code(), Code::kInvalidArgument) << store.error().ToString();
  }
  EXPECT_EQ(SqliteStore::Open(options_, nullptr).error().code(), Code::kInvalidArgument);
}

TEST_F(SqliteStoreTest, FsyncEachBatchKeepsWhatItAcknowledged) {
  options_.fsync_each_batch = true;
  ASSERT_NO_FATAL_FAILURE(Open());
  ASSERT_TRUE(Register("alpha").has_value());
  Close();
  ASSERT_NO_FATAL_FAILURE(Open());
  EXPECT_TRUE(Get("alpha")->has_value());
}

TEST_F(SqliteStoreTest, InputsBeyondTheLimitsAreInvalidArguments) {
  options_.principal_bytes_max = 8;
  options_.client_id_bytes_max = 4;
  options_.session_ids_per_reserve_max = 100;
  ASSERT_NO_FATAL_FAILURE(Open());
  EXPECT_EQ(Register("123456789").error().code(), Code::kInvalidArgument);
  EXPECT_EQ(Register("alpha", kT0, "12345").error().code(), Code::kInvalidArgument);
  EXPECT_EQ(Reserve(101).error().code(), Code::kInvalidArgument);
  EXPECT_TRUE(Register("12345678", kT0, "1234").has_value());
  EXPECT_EQ(Reserve(100), 1u);
}

TEST_F(SqliteStoreTest, AReferralCodeThatIsTakenIsDrawnAgain) {
  random_values_ = {0, 0, 1};
  ASSERT_NO_FATAL_FAILURE(Open());
  EXPECT_EQ(Register("alpha")->referral_code, sqlite::ReferralCodeFrom(0));
  EXPECT_EQ(Register("bravo")->referral_code, sqlite::ReferralCodeFrom(1));
}

TEST_F(SqliteStoreTest, RegistrationFailsWithoutSideEffectsWhenNoCodeIsFree) {
  options_.referral_code_attempts_max = 3;
  random_values_ = {0, 0, 0, 0, 5};
  ASSERT_NO_FATAL_FAILURE(Open());
  ASSERT_TRUE(Register("alpha").has_value());
  const Result<NodeRecord> refused = Register("bravo");
  ASSERT_FALSE(refused.has_value());
  EXPECT_EQ(refused.error().code(), Code::kInternal);
  EXPECT_FALSE(Get("bravo")->has_value());
  // The failed attempt's numeric id was rolled back with it.
  EXPECT_EQ(Register("charlie")->numeric_id, 2);
}

TEST_F(SqliteStoreTest, AnExhaustedCounterIsResourceExhausted) {
  ASSERT_NO_FATAL_FAILURE(Open());
  Close();
  ASSERT_TRUE(RawExec(options_.path,
                      "UPDATE counters SET value = 9223372036854775800 WHERE name = 'session_id'")
                  .ok());
  ASSERT_NO_FATAL_FAILURE(Open());
  EXPECT_EQ(Reserve(7), 9223372036854775801u);
  EXPECT_EQ(Reserve(1).error().code(), Code::kResourceExhausted);
}

TEST_F(SqliteStoreTest, AddUptimeRefusedByTheSchemaMidwayAppliesNothing) {
  ASSERT_NO_FATAL_FAILURE(Open());
  UptimeDelta full = OnlineDelta("alpha", "2024-03-01", 1);
  full.sessions = 4'294'967'295u;
  ASSERT_TRUE(AddUptime({full}, kT0).ok());
  // Each delta passes validation; the second overflows the stored count,
  // which the schema refuses after the first has been written.
  UptimeDelta one_more = OnlineDelta("alpha", "2024-03-01", 1);
  one_more.sessions = 1;
  const Status status = AddUptime({OnlineDelta("bravo", "2024-03-01", 5), one_more}, kT0);
  EXPECT_EQ(status.code(), Code::kInvalidArgument) << status.ToString();
  EXPECT_EQ(TotalUptime("bravo"), 0);
  EXPECT_EQ(TotalUptime("alpha"), 1);
}

TEST_F(SqliteStoreTest, AFullQueueRefusesAtOnceWithUnavailable) {
  options_.queue_ops_max = 3;
  ASSERT_NO_FATAL_FAILURE(Open());
  posts_.HoldNextPost();
  store_->Ping([](Status) {});
  posts_.WaitUntilHeld();  // The writer is stuck; nothing leaves the queue.
  std::vector<Status> statuses;
  for (int i = 0; i < 4; ++i) {
    store_->Ping([&statuses](Status s) { statuses.push_back(std::move(s)); });
  }
  // The refusal is posted before the writer moves on: the caller learns now.
  EXPECT_EQ(posts_.size(), 2u);
  posts_.Release();
  store_->Flush();
  posts_.RunAll();
  ASSERT_EQ(statuses.size(), 4u);
  EXPECT_EQ(statuses[0].code(), Code::kUnavailable) << statuses[0].ToString();
  for (int i = 1; i < 4; ++i) EXPECT_TRUE(statuses[i].ok()) << statuses[i].ToString();
}

TEST_F(SqliteStoreTest, SmallBatchesApplyEverything) {
  options_.batch_ops_max = 2;
  ASSERT_NO_FATAL_FAILURE(Open());
  posts_.HoldNextPost();
  store_->Ping([](Status) {});
  posts_.WaitUntilHeld();
  int ok = 0;
  for (int i = 0; i < 25; ++i) {
    store_->RegisterNode("node-" + std::to_string(i), "1", kT0,
                         [&ok](Result<NodeRecord> r) { ok += r.has_value() ? 1 : 0; });
  }
  posts_.Release();
  store_->Flush();
  posts_.RunAll();
  EXPECT_EQ(ok, 25);
  EXPECT_EQ(Register("last")->numeric_id, 26);
}

TEST_F(SqliteStoreTest, ALockHeldByAnotherProcessIsUnavailableUntilReleased) {
  options_.busy_timeout_ms = 0;
  ASSERT_NO_FATAL_FAILURE(Open());
  RawConnection other(options_.path);
  ASSERT_TRUE(other.Exec("BEGIN IMMEDIATE").ok());
  const Result<NodeRecord> blocked = Register("alpha");
  ASSERT_FALSE(blocked.has_value());
  EXPECT_EQ(blocked.error().code(), Code::kUnavailable) << blocked.error().ToString();
  ASSERT_TRUE(other.Exec("ROLLBACK").ok());
  EXPECT_TRUE(Register("alpha").has_value());
  EXPECT_EQ(Register("alpha")->numeric_id, 1);
}

TEST_F(SqliteStoreTest, AResultIsStoredOncePerHash) {
  ASSERT_NO_FATAL_FAILURE(Open());
  ASSERT_TRUE(RegisterClient(Client("acme", 10, 1)).has_value());
  for (const char* id : {"job_1", "job_2", "job_3"}) {
    ASSERT_TRUE(Create(NewJobRequest(NewJob(id, "acme", kT0))).has_value());
    ASSERT_TRUE(Lease(id, "node-a", 1, kT0 + 1000, kT0).ok());
  }
  EXPECT_EQ(Complete("job_1", Completion("node-a", 1, "same", 7), kT0),
            CompleteOutcome::kCompleted);
  EXPECT_EQ(Complete("job_2", Completion("node-a", 1, "same", 7), kT0),
            CompleteOutcome::kCompleted);
  EXPECT_EQ(Complete("job_3", Completion("node-a", 1, "other", 8), kT0),
            CompleteOutcome::kCompleted);
  Close();
  EXPECT_EQ(RawQueryInt(options_.path, "SELECT COUNT(*) FROM blobs"), 2);
  EXPECT_EQ(RawQueryInt(options_.path, "SELECT COUNT(*) FROM blobs WHERE hash = '" +
                                           FakeSha256(7) + "'"),
            1);
}

TEST_F(SqliteStoreTest, AHashStoredWithOtherBytesIsAConflictAndCompletesNothing) {
  ASSERT_NO_FATAL_FAILURE(Open());
  ASSERT_TRUE(RegisterClient(Client("acme", 10, 1)).has_value());
  for (const char* id : {"job_1", "job_2"}) {
    ASSERT_TRUE(Create(NewJobRequest(NewJob(id, "acme", kT0))).has_value());
    ASSERT_TRUE(Lease(id, "node-a", 1, kT0 + 1000, kT0).ok());
  }
  ASSERT_EQ(Complete("job_1", Completion("node-a", 1, "first", 7), kT0),
            CompleteOutcome::kCompleted);
  const JobRecord before = GetJob("job_2").value().value();
  const Result<CompleteOutcome> refused =
      Complete("job_2", Completion("node-a", 1, "different", 7), kT0);
  ASSERT_FALSE(refused.has_value());
  EXPECT_EQ(refused.error().code(), Code::kConflict) << refused.error().ToString();
  EXPECT_EQ(GetJob("job_2").value(), std::optional<JobRecord>(before));
  EXPECT_EQ(Blob(FakeSha256(7)).value(), std::optional<std::string>("first"));
}

TEST_F(SqliteStoreTest, JobInputsBeyondTheLimitsAreInvalidArguments) {
  options_.id_bytes_max = 8;
  options_.text_bytes_max = 10;
  options_.result_bytes_max = 4;
  options_.jobs_per_list_max = 3;
  ASSERT_NO_FATAL_FAILURE(Open());
  EXPECT_EQ(RegisterClient(Client("123456789", 10, 1)).error().code(), Code::kInvalidArgument);
  ASSERT_TRUE(RegisterClient(Client("12345678", 10, 1)).has_value());
  EXPECT_EQ(Create(NewJobRequest(NewJob("job_12345", "12345678", kT0))).error().code(),
            Code::kInvalidArgument);
  JobRecord job = NewJob("job_1", "12345678", kT0);
  job.target = "12345678901";
  EXPECT_EQ(Create(NewJobRequest(job)).error().code(), Code::kInvalidArgument);
  job.target = "1234567890";
  ASSERT_TRUE(Create(NewJobRequest(job)).has_value());
  ASSERT_TRUE(Lease("job_1", "node-a", 1, kT0 + 1000, kT0).ok());
  JobCompletion completion = Completion("node-a", 1, "12345", 1);
  completion.result_content_type = "text/plain";
  EXPECT_EQ(Complete("job_1", completion, kT0).error().code(), Code::kInvalidArgument);
  completion.result = "1234";
  completion.result_content_type = "text/plain1";
  EXPECT_EQ(Complete("job_1", completion, kT0).error().code(), Code::kInvalidArgument);
  EXPECT_EQ(Fail("job_1", 1, "12345678901", kT0).code(), Code::kInvalidArgument);
  EXPECT_EQ(ClientJobs("12345678", std::nullopt, 4).error().code(), Code::kInvalidArgument);
  EXPECT_EQ(ClientJobs("12345678", std::nullopt, 3).value().size(), 1u);
  completion.result_content_type = "text/plain";
  EXPECT_EQ(Complete("job_1", completion, kT0), CompleteOutcome::kCompleted);
}

TEST_F(SqliteStoreTest, OpenRefusesAZeroIdLimit) {
  options_.id_bytes_max = 0;
  const auto store = SqliteStore::Open(options_, posts_.AsPostFn());
  ASSERT_FALSE(store.has_value());
  EXPECT_EQ(store.error().code(), Code::kInvalidArgument) << store.error().ToString();
}

// What SQLite plans for `query`: the detail column of EXPLAIN QUERY PLAN.
std::string QueryPlan(const std::string& path, const std::string& query) {
  sqlite3* db = nullptr;
  sqlite3_stmt* stmt = nullptr;
  std::string plan;
  if (sqlite3_open_v2(path.c_str(), &db, SQLITE_OPEN_READONLY, nullptr) == SQLITE_OK &&
      sqlite3_prepare_v2(db, ("EXPLAIN QUERY PLAN " + query).c_str(), -1, &stmt, nullptr) ==
          SQLITE_OK) {
    while (sqlite3_step(stmt) == SQLITE_ROW) {
      plan += reinterpret_cast<const char*>(sqlite3_column_text(stmt, 3));
      plan += "; ";
    }
  } else {
    ADD_FAILURE() << "cannot plan " << query << ": " << sqlite3_errmsg(db);
  }
  sqlite3_finalize(stmt);
  sqlite3_close_v2(db);
  return plan;
}

// The queries are the ones in operations_jobs.cc; a partial index is used
// only when the WHERE clause matches its own.
TEST_F(SqliteStoreTest, JobsAndUsageAreReadThroughIndexes) {
  ASSERT_NO_FATAL_FAILURE(Open());
  Close();
  const std::string open_jobs = QueryPlan(options_.path,
                                          "SELECT job_id FROM jobs INDEXED BY jobs_open_by_client "
                                          "WHERE state IN ('pending', 'ongoing')");
  EXPECT_NE(open_jobs.find("jobs_open_by_client"), std::string::npos) << open_jobs;
  EXPECT_EQ(open_jobs.find("TEMP B-TREE"), std::string::npos) << open_jobs;
  const std::string client_jobs = QueryPlan(
      options_.path, "SELECT job_id FROM jobs WHERE client_uuid = 'a' ORDER BY seq LIMIT 5");
  EXPECT_NE(client_jobs.find("jobs_by_client (client_uuid=?)"), std::string::npos) << client_jobs;
  EXPECT_EQ(client_jobs.find("TEMP B-TREE"), std::string::npos) << client_jobs;
  const std::string open_in_state = QueryPlan(
      options_.path,
      "SELECT job_id FROM jobs WHERE client_uuid = 'a' AND state IN ('pending', 'ongoing') "
      "AND state = 'pending' ORDER BY seq LIMIT 5");
  EXPECT_NE(open_in_state.find("jobs_open_by_client"), std::string::npos) << open_in_state;
  EXPECT_EQ(open_in_state.find("TEMP B-TREE"), std::string::npos) << open_in_state;
  const std::string done_in_state = QueryPlan(
      options_.path,
      "SELECT job_id FROM jobs WHERE client_uuid = 'a' AND state = 'failed' ORDER BY seq LIMIT 5");
  EXPECT_NE(done_in_state.find("jobs_by_client (client_uuid=?)"), std::string::npos)
      << done_in_state;
  EXPECT_EQ(done_in_state.find("TEMP B-TREE"), std::string::npos) << done_in_state;
  const std::string usage =
      QueryPlan(options_.path,
                "SELECT created_ms FROM jobs WHERE client_uuid = 'a' AND usage_charged = 1 "
                "AND usage_refunded = 0 AND created_ms BETWEEN 1 AND 2 ORDER BY created_ms");
  EXPECT_NE(usage.find("COVERING INDEX jobs_usage"), std::string::npos) << usage;
  EXPECT_EQ(usage.find("TEMP B-TREE"), std::string::npos) << usage;
}

}  // namespace
}  // namespace sela::store::testing
