// Upgrades of files written by earlier builds: each older schema as it was
// published, filled the way that build's operations filled it, then opened
// by this build.
#include <gtest/gtest.h>

#include <algorithm>
#include <string>
#include <vector>

#include "store/sqlite/database.h"
#include "store/sqlite/schema.h"
#include "store/sqlite/sqlite_test_util.h"
#include "store/store_contract_test.h"

namespace sela::store::testing {
namespace {

constexpr int64_t kT0 = 1'700'000'000'000;

Status ExecOnFile(const std::string& path, const std::string& sql) {
  auto db = sqlite::Database::Open(path, 0);
  if (!db.has_value()) return db.error();
  return (*db)->Exec(sql);
}

// Schema version 1 as published (schema.cc, migration 1), with the
// schema_version table that Migrate() creates beside it.
constexpr char kSchemaV1[] = R"sql(
CREATE TABLE schema_version (version INTEGER PRIMARY KEY NOT NULL) STRICT;
CREATE TABLE nodes (
  principal TEXT PRIMARY KEY NOT NULL,
  numeric_id INTEGER NOT NULL UNIQUE,
  client_id TEXT NOT NULL,
  referral_code TEXT NOT NULL UNIQUE,
  status TEXT NOT NULL CHECK (status IN ('inactive', 'active')),
  max_concurrent_jobs INTEGER NOT NULL CHECK (max_concurrent_jobs BETWEEN 0 AND 4294967295),
  download_speed REAL NOT NULL,
  upload_speed REAL NOT NULL,
  ping_ms REAL NOT NULL,
  created_ms INTEGER NOT NULL,
  ws_connect_ms INTEGER NOT NULL,
  ws_disconnect_ms INTEGER NOT NULL,
  ping_timestamp_ms INTEGER NOT NULL,
  total_referral INTEGER NOT NULL CHECK (total_referral BETWEEN 0 AND 4294967295)
) STRICT;
CREATE TABLE counters (
  name TEXT PRIMARY KEY NOT NULL,
  value INTEGER NOT NULL CHECK (value >= 0)
) STRICT;
INSERT INTO counters (name, value) VALUES ('client_id', 0), ('session_id', 0);
CREATE TABLE uptime_days (
  principal TEXT NOT NULL,
  day TEXT NOT NULL CHECK (length(day) = 10),
  online_ms INTEGER NOT NULL CHECK (online_ms >= 0),
  sessions INTEGER NOT NULL CHECK (sessions BETWEEN 0 AND 4294967295),
  speed_sum REAL NOT NULL,
  speed_count INTEGER NOT NULL CHECK (speed_count BETWEEN 0 AND 4294967295),
  ping_sum REAL NOT NULL,
  ping_count INTEGER NOT NULL CHECK (ping_count BETWEEN 0 AND 4294967295),
  paid_minutes INTEGER NOT NULL DEFAULT 0 CHECK (paid_minutes >= 0),
  updated_ms INTEGER NOT NULL,
  PRIMARY KEY (principal, day)
) STRICT, WITHOUT ROWID;
INSERT INTO schema_version (version) VALUES (1);
)sql";

TEST_F(SqliteStoreTest, AVersion1DatabaseIsUpgradedInPlaceAndKeepsItsData) {
  ASSERT_TRUE(ExecOnFile(options_.path, kSchemaV1).ok());
  ASSERT_TRUE(ExecOnFile(options_.path,
                         "INSERT INTO nodes VALUES ('old-node', 1, '17', 'ABCD1234', "
                         "'active', 10, 50.5, 20, 30, 1000, 2000, 0, 3000, 2); "
                         "UPDATE counters SET value = 1 WHERE name = 'client_id'; "
                         "UPDATE counters SET value = 500 WHERE name = 'session_id'; "
                         "INSERT INTO uptime_days VALUES ('old-node', '2024-03-01', 60000, 1, "
                         "10, 2, 30, 1, 4, 5000)")
                  .ok());
  ASSERT_NO_FATAL_FAILURE(Open());
  const std::optional<NodeRecord> node = Get("old-node").value();
  ASSERT_TRUE(node.has_value());
  EXPECT_EQ(node->numeric_id, 1);
  EXPECT_EQ(node->referral_code, "ABCD1234");
  EXPECT_EQ(node->download_speed, 50.5);
  EXPECT_EQ(node->total_referral, 2u);
  const std::vector<UptimeDay> days = Days("old-node", "2024-03-01", "2024-03-01").value();
  ASSERT_EQ(days.size(), 1u);
  EXPECT_EQ(days[0].online_ms, 60000);
  EXPECT_EQ(days[0].paid_minutes, 4);
  EXPECT_EQ(Register("new-node")->numeric_id, 2);
  EXPECT_EQ(Reserve(1), 501u);

  ASSERT_TRUE(RegisterClient(Client("acme", 10, 1)).has_value());
  ASSERT_TRUE(Create(NewJobRequest(NewJob("job_1", "acme", kT0))).has_value());
  ASSERT_TRUE(Lease("job_1", "old-node", 1, kT0 + 1000, kT0).ok());
  EXPECT_EQ(Complete("job_1", Completion("old-node", 1, "r", 1), kT0 + 1),
            CompleteOutcome::kCompleted);
  EXPECT_EQ(GetJob("job_1").value()->state, JobState::kCompleted);
  Close();
  EXPECT_EQ(RawQueryInt(options_.path, "SELECT MAX(version) FROM schema_version"),
            sqlite::LatestSchemaVersion());
  EXPECT_EQ(RawQueryInt(options_.path, "SELECT COUNT(*) FROM schema_version"),
            sqlite::LatestSchemaVersion());
}

// v8 adds the ledger: uptime measured before it is unpaid as far as
// paid_minutes says, and the index of unpaid days finds exactly those.
TEST_F(SqliteStoreTest, UptimeMeasuredBeforeTheLedgerIsPaidFromItsPaidMinutes) {
  ASSERT_TRUE(ExecOnFile(options_.path, kSchemaV1).ok());
  ASSERT_TRUE(ExecOnFile(options_.path,
                         "INSERT INTO uptime_days VALUES ('n', '2024-03-01', 600000, 1, 0, 0, 0, 0, 10, 1); "
                         "INSERT INTO uptime_days VALUES ('n', '2024-03-02', 659999, 1, 0, 0, 0, 0, 10, 1); "
                         "INSERT INTO uptime_days VALUES ('n', '2024-03-03', 720000, 1, 0, 0, 0, 0, 10, 1)")
                  .ok());
  ASSERT_NO_FATAL_FAILURE(Open());
  const auto unpaid = Call<Result<std::vector<UptimeDay>>>(
      [&](auto done) { store().ListUnpaidUptime("", "", 10, done); });
  ASSERT_TRUE(unpaid.has_value()) << unpaid.error().ToString();
  ASSERT_EQ(unpaid->size(), 1u);
  EXPECT_EQ((*unpaid)[0].day, "2024-03-03");
  const auto audit = Call<Result<LedgerAudit>>([&](auto done) { store().AuditLedger(done); });
  ASSERT_TRUE(audit.has_value());
  EXPECT_TRUE(audit->balanced());
  EXPECT_EQ(audit->transfers, 0);
}

// v10 adds the settlement journal: credits recorded before it are all
// unsettled, and the first run covers them. The database is taken back to
// v9 by dropping what v10 made, as a v9 file would be.
TEST_F(SqliteStoreTest, ACreditedLedgerFromBeforeSettlementIsUnsettledAfterTheUpgrade) {
  ASSERT_NO_FATAL_FAILURE(Open());
  Transfer t;
  t.id = "admin:1";
  t.kind = RewardKind::kAdmin;
  t.principal = "node-a";
  t.amount_units = 1234;
  t.day = "2024-03-01";
  ASSERT_TRUE((Call<Result<std::vector<AppliedTransfer>>>(
                   [&](auto done) { store().ApplyTransfers({t}, "", done); }))
                  .has_value());
  Close();
  ASSERT_TRUE(RawExec(options_.path, "DROP TABLE settlements; DROP TABLE settlement_accounts; "
                                     "DROP TABLE canister_sync; "
                                     "DELETE FROM schema_version WHERE version >= 10")
                  .ok());
  ASSERT_NO_FATAL_FAILURE(Open());
  const auto created = Call<Result<SettlementBatchResult>>([&](auto done) {
    store().CreateSettlements({.run_id = "run", .after_principal = "", .now_ms = 5, .limit = 10}, done);
  });
  ASSERT_TRUE(created.has_value()) << created.error().ToString();
  EXPECT_EQ(created->created, 1);
  EXPECT_EQ(created->units, 1234);
  Close();
  EXPECT_EQ(RawQueryInt(options_.path, "SELECT MAX(version) FROM schema_version"), sqlite::LatestSchemaVersion());
  EXPECT_EQ(sqlite::LatestSchemaVersion(), 11);
}

// Schema version 2 as published (schema.cc, migration 2), on top of v1.
constexpr char kSchemaV2[] = R"sql(
CREATE TABLE api_clients (
  uuid TEXT PRIMARY KEY NOT NULL,
  key_hash TEXT NOT NULL UNIQUE,
  usage_count INTEGER NOT NULL CHECK (usage_count >= 0),
  usage_limit INTEGER NOT NULL CHECK (usage_limit >= 0),
  created_ms INTEGER NOT NULL CHECK (created_ms >= 0)
) STRICT;

CREATE TABLE usage_log (
  uuid TEXT NOT NULL REFERENCES api_clients (uuid),
  ts_ms INTEGER NOT NULL,
  job_id TEXT NOT NULL
) STRICT;
CREATE INDEX usage_log_by_client_time ON usage_log (uuid, ts_ms);

CREATE TABLE jobs (
  seq INTEGER PRIMARY KEY,
  job_id TEXT NOT NULL UNIQUE,
  client_uuid TEXT NOT NULL REFERENCES api_clients (uuid),
  job_type TEXT NOT NULL,
  target TEXT NOT NULL,
  state TEXT NOT NULL CHECK (state IN ('pending', 'ongoing', 'completed', 'failed')),
  node_principal TEXT NOT NULL,
  node_client_id TEXT NOT NULL,
  attempt INTEGER NOT NULL CHECK (attempt BETWEEN 0 AND 4294967295),
  max_attempts INTEGER NOT NULL CHECK (max_attempts BETWEEN 1 AND 4294967295),
  created_ms INTEGER NOT NULL CHECK (created_ms >= 0),
  assigned_ms INTEGER NOT NULL CHECK (assigned_ms >= 0),
  lease_deadline_ms INTEGER NOT NULL CHECK (lease_deadline_ms >= 0),
  deadline_ms INTEGER NOT NULL CHECK (deadline_ms >= 0),
  complete_ms INTEGER NOT NULL CHECK (complete_ms >= 0),
  post_count INTEGER NOT NULL CHECK (post_count >= 0),
  replies_count INTEGER NOT NULL CHECK (replies_count >= 0),
  scroll_pause_ms INTEGER NOT NULL CHECK (scroll_pause_ms >= 0),
  sync INTEGER NOT NULL CHECK (sync IN (0, 1)),
  usage_charged INTEGER NOT NULL CHECK (usage_charged IN (0, 1)),
  reward_units INTEGER NOT NULL CHECK (reward_units >= 0),
  result_hash TEXT NOT NULL,
  result_content_type TEXT NOT NULL,
  result_bytes INTEGER NOT NULL CHECK (result_bytes >= 0),
  price_cents INTEGER NOT NULL CHECK (price_cents >= 0),
  objects_count INTEGER NOT NULL CHECK (objects_count >= 0),
  file_size_kb INTEGER NOT NULL CHECK (file_size_kb >= 0),
  error TEXT NOT NULL,
  last_failed_node TEXT NOT NULL,
  target_node TEXT NOT NULL
) STRICT;
CREATE INDEX jobs_by_client ON jobs (client_uuid, seq);
CREATE INDEX jobs_by_client_state ON jobs (client_uuid, state, seq);
CREATE INDEX jobs_open ON jobs (seq) WHERE state IN ('pending', 'ongoing');

CREATE TABLE idempotency (
  client_uuid TEXT NOT NULL REFERENCES api_clients (uuid),
  key TEXT NOT NULL,
  request_hash TEXT NOT NULL,
  job_id TEXT NOT NULL REFERENCES jobs (job_id),
  PRIMARY KEY (client_uuid, key)
) STRICT, WITHOUT ROWID;

CREATE TABLE blobs (
  hash TEXT PRIMARY KEY NOT NULL CHECK (length(hash) = 64),
  bytes BLOB NOT NULL
) STRICT;
INSERT INTO schema_version (version) VALUES (2);
)sql";

// A jobs row as version 2 stored it, with the usage_log row that CreateJob
// wrote beside a charged job and FailJob deleted again for a sync one.
struct V2Job {
  std::string id;
  std::string client;
  std::string state;
  int64_t created_ms = 0;
  bool sync = false;
  bool charged = true;
  uint32_t attempt = 0;
  std::string result_hash;
};

std::string InsertV2Job(const V2Job& job) {
  const std::string node = job.attempt > 0 ? "node-a" : "";
  const auto text = [](const std::string& value) { return "'" + value + "', "; };
  const auto number = [](int64_t value) { return std::to_string(value) + ", "; };
  std::string sql =
      "INSERT INTO jobs (job_id, client_uuid, job_type, target, state, node_principal, "
      "node_client_id, attempt, max_attempts, created_ms, assigned_ms, lease_deadline_ms, "
      "deadline_ms, complete_ms, post_count, replies_count, scroll_pause_ms, sync, usage_charged, "
      "reward_units, result_hash, result_content_type, result_bytes, price_cents, objects_count, "
      "file_size_kb, error, last_failed_node, target_node) VALUES (" +
      text(job.id) + text(job.client) + "'scrape', " + text("https://example.com/" + job.id) +
      text(job.state) + text(node) + text(job.attempt > 0 ? "17" : "") + number(job.attempt) +
      "3, " + number(job.created_ms) + number(job.created_ms) +
      number(job.state == "ongoing" ? job.created_ms + 30'000 : 0) +
      number(job.sync ? job.created_ms + 60'000 : 0) +
      number(job.state == "completed" || job.state == "failed" ? job.created_ms + 9 : 0) +
      "5, 2, 700, " + number(job.sync ? 1 : 0) + number(job.charged ? 1 : 0) +
      number(job.result_hash.empty() ? 0 : 12'500'000) + text(job.result_hash) +
      text(job.result_hash.empty() ? "" : "application/json") +
      number(job.result_hash.empty() ? 0 : 6) + "0, 0, 0, " +
      text(job.state == "failed" ? "cancelled" : "") + "'', '');\n";
  const bool refunded = job.sync && job.state == "failed";
  if (job.charged && !refunded) {
    sql += "INSERT INTO usage_log (uuid, ts_ms, job_id) VALUES ('" + job.client + "', " +
           std::to_string(job.created_ms) + ", '" + job.id + "');\n";
  }
  return sql;
}

// acme: a completed, b failed sync (charge given back), c pending (with an
// Idempotency-Key), e ongoing sync, f pending uncharged, g failed (charge
// kept); beta: d ongoing. Created out of time order, so that an order by
// time and one by insertion differ.
std::string V2Data() {
  const std::string hash = FakeSha256(9);
  // id, client, state, created_ms, sync, charged, attempt, result_hash
  const std::vector<V2Job> jobs = {
      {"job_a", "acme", "completed", kT0 + 30, false, true, 1, hash},
      {"job_b", "acme", "failed", kT0 + 10, true, true, 0, ""},
      {"job_c", "acme", "pending", kT0 + 20, false, true, 0, ""},
      {"job_d", "beta", "ongoing", kT0 + 5, false, true, 1, ""},
      {"job_e", "acme", "ongoing", kT0 + 40, true, true, 1, ""},
      {"job_f", "acme", "pending", kT0 + 50, false, false, 0, ""},
      {"job_g", "acme", "failed", kT0 + 60, false, true, 0, ""},
  };

  std::string sql = "INSERT INTO api_clients VALUES ('acme', '" + FakeSha256(1) + "', 4, 10, " +
                    std::to_string(kT0) + "), ('beta', '" + FakeSha256(2) + "', 1, 10, " +
                    std::to_string(kT0) + ");\n";
  for (const V2Job& job : jobs) sql += InsertV2Job(job);
  sql += "INSERT INTO idempotency VALUES ('acme', 'key-1', 'request-1', 'job_c');\n";
  sql += "INSERT INTO blobs VALUES ('" + FakeSha256(9) + "', CAST('result' AS BLOB));\n";
  return sql;
}

std::vector<std::string> Ids(const std::vector<JobRecord>& jobs) {
  std::vector<std::string> ids;
  for (const JobRecord& job : jobs) ids.push_back(job.job_id);
  return ids;
}

TEST_F(SqliteStoreTest, AVersion2DatabaseIsUpgradedInPlaceAndKeepsItsJobsAndUsage) {
  ASSERT_TRUE(ExecOnFile(options_.path, std::string(kSchemaV1) + kSchemaV2 + V2Data()).ok());
  ASSERT_NO_FATAL_FAILURE(Open());
  EXPECT_EQ(UsageLog("acme").value(),
            (std::vector<int64_t>{kT0 + 20, kT0 + 30, kT0 + 40, kT0 + 60}));
  EXPECT_EQ(UsageLog("acme", kT0 + 25, kT0 + 45).value(),
            (std::vector<int64_t>{kT0 + 30, kT0 + 40}));
  EXPECT_EQ(UsageLog("beta").value(), std::vector<int64_t>{kT0 + 5});
  EXPECT_TRUE(GetJob("job_b").value()->usage_charged);  // Recorded as charged, refunded.
  EXPECT_EQ(Ids(ClientJobs("acme").value()),
            (std::vector<std::string>{"job_a", "job_b", "job_c", "job_e", "job_f", "job_g"}));
  EXPECT_EQ(Ids(ClientJobs("acme", JobState::kPending).value()),
            (std::vector<std::string>{"job_c", "job_f"}));
  EXPECT_EQ(Ids(ClientJobs("acme", JobState::kOngoing).value()), std::vector<std::string>{"job_e"});
  EXPECT_EQ(Ids(ClientJobs("acme", JobState::kCompleted).value()),
            std::vector<std::string>{"job_a"});
  EXPECT_EQ(Ids(ClientJobs("acme", JobState::kFailed).value()),
            (std::vector<std::string>{"job_b", "job_g"}));
  EXPECT_EQ(Ids(OpenJobs().value()),
            (std::vector<std::string>{"job_c", "job_d", "job_e", "job_f"}));
  EXPECT_EQ(Blob(FakeSha256(9)).value(), std::optional<std::string>("result"));
  const Result<CreateJobOutcome> repeat =
      Create(NewJobRequest(NewJob("job_x", "acme", kT0 + 70), true, "key-1", "request-1"));
  ASSERT_TRUE(repeat.has_value()) << repeat.error().ToString();
  EXPECT_EQ(repeat->job.job_id, "job_c");
  EXPECT_FALSE(repeat->created);

  // Charging and refunding go on from the upgraded rows.
  ASSERT_TRUE(Fail("job_e", 1, "deadline", kT0 + 80).ok());
  ASSERT_TRUE(Create(NewJobRequest(NewJob("job_h", "acme", kT0 + 90))).has_value());
  // v9: a job may fail as cancelled (its customer or an operator).
  ASSERT_TRUE(Fail("job_f", 0, "Job cancelled by its customer", kT0 + 95, FailureReason::kCancelled).ok());
  EXPECT_EQ(GetJob("job_f").value()->failure_reason, FailureReason::kCancelled);
  EXPECT_EQ(GetClient("acme").value()->usage_count, 4);
  EXPECT_EQ(UsageLog("acme").value(),
            (std::vector<int64_t>{kT0 + 20, kT0 + 30, kT0 + 60, kT0 + 90}));
  Close();
  EXPECT_EQ(RawQueryInt(options_.path, "SELECT MAX(version) FROM schema_version"), sqlite::LatestSchemaVersion());
  EXPECT_EQ(RawQueryInt(options_.path, "SELECT COUNT(*) FROM schema_version"), sqlite::LatestSchemaVersion());
  EXPECT_EQ(RawQueryText(options_.path,
                         "SELECT group_concat(name, ' ') FROM (SELECT name FROM sqlite_schema "
                         "WHERE tbl_name IN ('jobs', 'jobs_v4', 'usage_log') ORDER BY name)"),
            "jobs jobs_by_client jobs_market jobs_open_by_client jobs_usage sqlite_autoindex_jobs_1");
  // v4 rebuilt jobs: rowids kept, and the idempotency key still finds its job.
  EXPECT_EQ(RawQueryText(options_.path, "SELECT group_concat(seq || job_id, ' ') FROM "
                                        "(SELECT seq, job_id FROM jobs ORDER BY seq)"),
            "1job_a 2job_b 3job_c 4job_d 5job_e 6job_f 7job_g 8job_h");
  EXPECT_EQ(RawQueryText(options_.path, "PRAGMA integrity_check"), "ok");
  EXPECT_EQ(RawQueryInt(options_.path, "SELECT COUNT(*) FROM pragma_foreign_key_check"), 0);
}

// v5: a job failed before v5 gets the reason its error text names (the
// texts this server wrote for each), every other job none.
TEST_F(SqliteStoreTest, JobsFailedBeforeVersion5GetTheReasonTheirErrorNames) {
  std::string sql = std::string(kSchemaV1) + kSchemaV2 + V2Data();
  sql += InsertV2Job({"job_r", "acme", "failed", kT0 + 70, false, true, 3, ""});
  sql += InsertV2Job({"job_x", "acme", "failed", kT0 + 80, false, true, 3, ""});
  sql += "UPDATE jobs SET error = 'Scraping returned empty results - no data found' WHERE job_id = 'job_b';"
         "UPDATE jobs SET error = 'Job job_g timed out after 1500ms' WHERE job_id = 'job_g';"
         "UPDATE jobs SET error = 'Job failed after 3 attempts: server restarted' WHERE job_id = 'job_r';"
         "UPDATE jobs SET error = 'Job failed after 3 attempts: lease expired' WHERE job_id = 'job_x';";
  ASSERT_TRUE(ExecOnFile(options_.path, sql).ok());
  ASSERT_NO_FATAL_FAILURE(Open());
  const std::pair<const char*, FailureReason> expected[] = {
      {"job_a", FailureReason::kNone},     {"job_b", FailureReason::kNoData},
      {"job_c", FailureReason::kNone},     {"job_g", FailureReason::kDeadline},
      {"job_r", FailureReason::kRestart},  {"job_x", FailureReason::kAttemptsExhausted},
  };
  for (const auto& [id, reason] : expected) {
    EXPECT_EQ(GetJob(id).value()->failure_reason, reason) << id;
  }
  Close();
  EXPECT_FALSE(RawExec(options_.path, "UPDATE jobs SET failure_reason = 'bored' WHERE job_id = 'job_a'").ok());
}

// The opcodes SQLite compiles `sql` to (on a read-write connection: a
// read-only one leaves out the constraint checks of a write).
std::vector<std::string> Opcodes(const std::string& path, const std::string& sql) {
  sqlite3* db = nullptr;
  std::vector<std::string> ops;
  sqlite3_stmt* stmt = nullptr;
  if (sqlite3_open_v2(path.c_str(), &db, SQLITE_OPEN_READWRITE, nullptr) == SQLITE_OK &&
      sqlite3_prepare_v2(db, ("EXPLAIN " + sql).c_str(), -1, &stmt, nullptr) == SQLITE_OK) {
    while (sqlite3_step(stmt) == SQLITE_ROW) {
      ops.emplace_back(reinterpret_cast<const char*>(sqlite3_column_text(stmt, 1)));
    }
  } else {
    ADD_FAILURE() << "cannot explain " << sql << ": " << sqlite3_errmsg(db);
  }
  sqlite3_finalize(stmt);
  sqlite3_close_v2(db);
  return ops;
}

// v4: the CHECK on jobs.state is tested by comparisons, so a write of a job
// builds no temporary b-tree (SQLite builds one per statement for an IN list
// of more than two values: three per job), and still refuses other states.
TEST_F(SqliteStoreTest, WritingAJobBuildsNoTemporaryBTree) {
  ASSERT_TRUE(ExecOnFile(options_.path, std::string(kSchemaV1) + kSchemaV2 + V2Data()).ok());
  ASSERT_NO_FATAL_FAILURE(Open());
  Close();
  for (const std::string sql :
       {"UPDATE jobs SET state = 'ongoing', attempt = ?2 WHERE job_id = ?1 AND state = 'pending'",
        "UPDATE jobs SET state = 'completed', result_hash = ?2 WHERE job_id = ?1",
        "INSERT INTO jobs (job_id, state) VALUES (?1, ?2) ON CONFLICT (job_id) DO NOTHING"}) {
    const std::vector<std::string> ops = Opcodes(options_.path, sql);
    EXPECT_NE(std::count(ops.begin(), ops.end(), "HaltIfNull"), 0) << sql;  // Checks are there.
    EXPECT_EQ(std::count(ops.begin(), ops.end(), "OpenEphemeral"), 0) << sql;
  }
  EXPECT_FALSE(RawExec(options_.path, "UPDATE jobs SET state = 'running' WHERE job_id = 'job_a'")
                   .ok());
  EXPECT_TRUE(RawExec(options_.path, "UPDATE jobs SET state = 'failed' WHERE job_id = 'job_a'")
                  .ok());
}

// A file whose rows break a foreign key (written with the checks off) is
// not migrated: the migration's own check refuses it and nothing changes.
TEST_F(SqliteStoreTest, AMigrationThatWouldKeepABrokenForeignKeyChangesNothing) {
  ASSERT_TRUE(ExecOnFile(options_.path,
                         std::string(kSchemaV1) + kSchemaV2 + V2Data() +
                             "INSERT INTO idempotency VALUES ('acme', 'key-9', 'r', 'no_such_job');")
                  .ok());
  const auto store = SqliteStore::Open(options_, posts_.AsPostFn());
  ASSERT_FALSE(store.has_value());
  EXPECT_EQ(store.error().code(), Code::kInternal) << store.error().ToString();
  EXPECT_NE(store.error().message().find("idempotency"), std::string::npos)
      << store.error().ToString();
  EXPECT_EQ(RawQueryInt(options_.path, "SELECT MAX(version) FROM schema_version"), 2);
  EXPECT_GT(RawQueryInt(options_.path, "SELECT COUNT(*) FROM usage_log"), 0);  // v3 drops it.
}

}  // namespace
}  // namespace sela::store::testing
