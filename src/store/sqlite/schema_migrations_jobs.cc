// Migrations v1-v6: the job store (nodes, uptime, clients, jobs, blobs) and node identity.
#include "store/sqlite/schema_migrations.h"

namespace sela::store::sqlite {
namespace {

// Counters start at 0 and the first value handed out is 1. Uint32 fields of
// the domain types carry range checks so that an overflow is refused rather
// than read back truncated.
constexpr const char* kJobStoreMigrations[] = {
    // v1: nodes, counters, uptime per principal and UTC day.
    R"sql(
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
)sql",
    // v2: API clients, their usage log, jobs, idempotency keys, result blobs.
    // jobs.seq is the insertion order ("oldest first"); it is the rowid, so
    // it never changes. The partial index holds only open jobs, which is
    // what a starting process reads.
    R"sql(
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
)sql",
    // v3: fewer b-trees written per job. A charged usage is an entry of the
    // partial index jobs_usage instead of a usage_log row plus its index
    // entry; usage_refunded marks the charge of a sync job that FailJob gave
    // back (in v2: a charged job without its usage_log row). The two flags
    // are index columns too, so that reading usage never looks up the row.
    // One partial index serves both readers of open jobs (ListOpenJobs and a
    // client's pending or ongoing jobs), and a client's completed or failed
    // jobs come from jobs_by_client, so jobs_by_client_state (three entries
    // written per job) and jobs_open go.
    R"sql(
ALTER TABLE jobs ADD COLUMN usage_refunded INTEGER NOT NULL DEFAULT 0
  CHECK (usage_refunded IN (0, 1));
UPDATE jobs SET usage_refunded = 1
  WHERE usage_charged = 1 AND NOT EXISTS (
    SELECT 1 FROM usage_log
    WHERE usage_log.uuid = jobs.client_uuid AND usage_log.ts_ms = jobs.created_ms
      AND usage_log.job_id = jobs.job_id);
CREATE INDEX jobs_usage ON jobs (client_uuid, created_ms, usage_charged, usage_refunded)
  WHERE usage_charged = 1 AND usage_refunded = 0;
DROP TABLE usage_log;
DROP INDEX jobs_by_client_state;
DROP INDEX jobs_open;
CREATE INDEX jobs_open_by_client ON jobs (client_uuid, seq) WHERE state IN ('pending', 'ongoing');
)sql",
    // v4: jobs.state's CHECK as equality tests. SQLite tests `IN` with more
    // than two values against a temporary b-tree that it builds at every
    // INSERT or UPDATE of the row, three per job; equality tests need none.
    // A CHECK cannot be altered, so the table is rebuilt: same columns, rows,
    // rowids (seq) and indexes. Migrate() runs this with foreign keys off
    // and checks them all before it commits.
    R"sql(
CREATE TABLE jobs_v4 (
  seq INTEGER PRIMARY KEY,
  job_id TEXT NOT NULL UNIQUE,
  client_uuid TEXT NOT NULL REFERENCES api_clients (uuid),
  job_type TEXT NOT NULL,
  target TEXT NOT NULL,
  state TEXT NOT NULL
    CHECK (state = 'pending' OR state = 'ongoing' OR state = 'completed' OR state = 'failed'),
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
  target_node TEXT NOT NULL,
  usage_refunded INTEGER NOT NULL DEFAULT 0 CHECK (usage_refunded IN (0, 1))
) STRICT;
INSERT INTO jobs_v4 (
  seq, job_id, client_uuid, job_type, target, state, node_principal, node_client_id,
  attempt, max_attempts, created_ms, assigned_ms, lease_deadline_ms, deadline_ms,
  complete_ms, post_count, replies_count, scroll_pause_ms, sync, usage_charged,
  reward_units, result_hash, result_content_type, result_bytes, price_cents,
  objects_count, file_size_kb, error, last_failed_node, target_node, usage_refunded)
SELECT
  seq, job_id, client_uuid, job_type, target, state, node_principal, node_client_id,
  attempt, max_attempts, created_ms, assigned_ms, lease_deadline_ms, deadline_ms,
  complete_ms, post_count, replies_count, scroll_pause_ms, sync, usage_charged,
  reward_units, result_hash, result_content_type, result_bytes, price_cents,
  objects_count, file_size_kb, error, last_failed_node, target_node, usage_refunded
FROM jobs ORDER BY seq;
DROP TABLE jobs;
ALTER TABLE jobs_v4 RENAME TO jobs;
CREATE INDEX jobs_by_client ON jobs (client_uuid, seq);
CREATE INDEX jobs_usage ON jobs (client_uuid, created_ms, usage_charged, usage_refunded)
  WHERE usage_charged = 1 AND usage_refunded = 0;
CREATE INDEX jobs_open_by_client ON jobs (client_uuid, seq) WHERE state IN ('pending', 'ongoing');
)sql",
    // v5: why a failed job failed, as a kind (store::FailureReason), so that
    // readers never match the error text. Jobs failed before v5 get theirs
    // from the texts this server wrote for each reason, the one place the
    // text decides. The CHECK is equality tests, as v4 explains; a new job
    // passes at the first ('').
    R"sql(
ALTER TABLE jobs ADD COLUMN failure_reason TEXT NOT NULL DEFAULT ''
  CHECK (failure_reason = '' OR failure_reason = 'no_data' OR failure_reason = 'deadline'
         OR failure_reason = 'attempts_exhausted' OR failure_reason = 'restart');
UPDATE jobs SET failure_reason = CASE
    WHEN error LIKE '%empty results%' THEN 'no_data'
    WHEN error LIKE '%timed out after%' THEN 'deadline'
    WHEN error LIKE '%server restarted%' THEN 'restart'
    ELSE 'attempts_exhausted' END
  WHERE state = 'failed';
)sql",
    // v6: node identity (issue 11). `signed` marks a principal that proved
    // its key with protocol v2 (v1 registrations of it are refused);
    // `registrations` counts registrations, so that records a flood of
    // made-up principals leaves behind (one registration, nothing since) can
    // expire. The partial index holds exactly those candidates.
    R"sql(
ALTER TABLE nodes ADD COLUMN signed INTEGER NOT NULL DEFAULT 0 CHECK (signed IN (0, 1));
ALTER TABLE nodes ADD COLUMN registrations INTEGER NOT NULL DEFAULT 1
  CHECK (registrations BETWEEN 0 AND 4294967295);
CREATE INDEX nodes_one_time ON nodes (ws_disconnect_ms)
  WHERE registrations = 1 AND signed = 0 AND total_referral = 0;
)sql",
};

}  // namespace

std::span<const char* const> JobStoreMigrations() { return kJobStoreMigrations; }

}  // namespace sela::store::sqlite
