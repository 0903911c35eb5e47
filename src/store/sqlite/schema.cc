#include "store/sqlite/schema.h"

#include <span>
#include <string>

namespace sela::store::sqlite {
namespace {

// Counters start at 0 and the first value handed out is 1. Uint32 fields of
// the domain types carry range checks so that an overflow is refused rather
// than read back truncated.
constexpr const char* kMigrations[] = {
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
    // v7: uploaded files and the results marketplace. A file's bytes live on
    // disk (files module); its row says who owns it, which chunks arrived
    // and which job's result it became. file_usage holds each owner's open
    // uploads and declared bytes, so that quotas are checked without a scan.
    // A job is listed only when its customer chose so; the partial index
    // jobs_market holds only completed listed jobs, so unlisted jobs cost it
    // nothing. jobs is rebuilt (as in v4: same rows, rowids and indexes) to
    // add result_file_id and listed and to let failure_reason be
    // 'too_large' (a result over a limit): a CHECK cannot be altered in place.
    R"sql(
ALTER TABLE api_clients ADD COLUMN list_by_default INTEGER NOT NULL DEFAULT 0
  CHECK (list_by_default IN (0, 1));

CREATE TABLE jobs_v7 (
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
  usage_refunded INTEGER NOT NULL DEFAULT 0 CHECK (usage_refunded IN (0, 1)),
  failure_reason TEXT NOT NULL DEFAULT ''
    CHECK (failure_reason = '' OR failure_reason = 'no_data' OR failure_reason = 'deadline'
           OR failure_reason = 'attempts_exhausted' OR failure_reason = 'restart'
           OR failure_reason = 'too_large'),
  result_file_id TEXT NOT NULL DEFAULT '',
  listed INTEGER NOT NULL DEFAULT 0 CHECK (listed IN (0, 1))
) STRICT;
INSERT INTO jobs_v7 (
  seq, job_id, client_uuid, job_type, target, state, node_principal, node_client_id,
  attempt, max_attempts, created_ms, assigned_ms, lease_deadline_ms, deadline_ms,
  complete_ms, post_count, replies_count, scroll_pause_ms, sync, usage_charged,
  reward_units, result_hash, result_content_type, result_bytes, price_cents,
  objects_count, file_size_kb, error, last_failed_node, target_node, usage_refunded,
  failure_reason)
SELECT
  seq, job_id, client_uuid, job_type, target, state, node_principal, node_client_id,
  attempt, max_attempts, created_ms, assigned_ms, lease_deadline_ms, deadline_ms,
  complete_ms, post_count, replies_count, scroll_pause_ms, sync, usage_charged,
  reward_units, result_hash, result_content_type, result_bytes, price_cents,
  objects_count, file_size_kb, error, last_failed_node, target_node, usage_refunded,
  failure_reason
FROM jobs ORDER BY seq;
DROP TABLE jobs;
ALTER TABLE jobs_v7 RENAME TO jobs;
CREATE INDEX jobs_by_client ON jobs (client_uuid, seq);
CREATE INDEX jobs_usage ON jobs (client_uuid, created_ms, usage_charged, usage_refunded)
  WHERE usage_charged = 1 AND usage_refunded = 0;
CREATE INDEX jobs_open_by_client ON jobs (client_uuid, seq) WHERE state IN ('pending', 'ongoing');
CREATE INDEX jobs_market ON jobs (complete_ms, job_id) WHERE listed = 1 AND state = 'completed';

CREATE TABLE files (
  seq INTEGER PRIMARY KEY,
  file_id TEXT NOT NULL UNIQUE,
  owner TEXT NOT NULL,
  job_id TEXT REFERENCES jobs (job_id),
  name TEXT NOT NULL,
  content_type TEXT NOT NULL,
  size INTEGER NOT NULL CHECK (size >= 0),
  chunk_bytes INTEGER NOT NULL CHECK (chunk_bytes >= 0),
  declared_sha256 TEXT NOT NULL,
  state TEXT NOT NULL CHECK (state = 'uploading' OR state = 'complete'),
  sha256 TEXT NOT NULL,
  received_bytes INTEGER NOT NULL CHECK (received_bytes >= 0 AND received_bytes <= size),
  chunks INTEGER NOT NULL CHECK (chunks BETWEEN 0 AND 4294967295),
  created_ms INTEGER NOT NULL CHECK (created_ms >= 0),
  updated_ms INTEGER NOT NULL CHECK (updated_ms >= 0),
  expires_ms INTEGER NOT NULL CHECK (expires_ms >= 0),
  result_of TEXT NOT NULL DEFAULT ''
) STRICT;
CREATE INDEX files_by_owner ON files (owner, seq);
CREATE INDEX files_by_job ON files (job_id, seq) WHERE job_id IS NOT NULL;
CREATE INDEX files_by_sha256 ON files (sha256) WHERE state = 'complete';
CREATE INDEX files_uploading ON files (expires_ms) WHERE state = 'uploading';

CREATE TABLE file_chunks (
  file_id TEXT NOT NULL REFERENCES files (file_id) ON DELETE CASCADE,
  idx INTEGER NOT NULL CHECK (idx BETWEEN 0 AND 4294967295),
  offset INTEGER NOT NULL CHECK (offset >= 0),
  bytes INTEGER NOT NULL CHECK (bytes >= 1),
  sha256 TEXT NOT NULL CHECK (length(sha256) = 64 OR sha256 = ''),
  PRIMARY KEY (file_id, idx)
) STRICT, WITHOUT ROWID;

CREATE TABLE file_usage (
  owner TEXT PRIMARY KEY NOT NULL,
  uploads INTEGER NOT NULL CHECK (uploads >= 0),
  bytes INTEGER NOT NULL CHECK (bytes >= 0)
) STRICT, WITHOUT ROWID;

CREATE TABLE market_counters (
  job_id TEXT PRIMARY KEY NOT NULL REFERENCES jobs (job_id),
  views INTEGER NOT NULL CHECK (views >= 0),
  downloads INTEGER NOT NULL CHECK (downloads >= 0)
) STRICT, WITHOUT ROWID;

CREATE TABLE purchases (
  client_uuid TEXT NOT NULL REFERENCES api_clients (uuid),
  job_id TEXT NOT NULL REFERENCES jobs (job_id),
  price_cents INTEGER NOT NULL CHECK (price_cents >= 0),
  purchased_ms INTEGER NOT NULL CHECK (purchased_ms >= 0),
  PRIMARY KEY (client_uuid, job_id)
) STRICT, WITHOUT ROWID;
)sql",
    // v8: the rewards ledger (docs/REWARDS.md). ledger_transfers records
    // every transfer once, by id; ledger_accounts, ledger_issuance and
    // ledger_days are the totals that each transfer changes in the same
    // transaction. uptime_days_unpaid holds exactly the days with measured
    // minutes not paid yet, so a distribution run never scans paid history.
    // referrals and reward_runs hold the referral relationships and the
    // distribution runs (at most one running: a partial unique index).
    R"sql(
CREATE TABLE ledger_transfers (
  seq INTEGER PRIMARY KEY,
  id TEXT NOT NULL UNIQUE,
  kind INTEGER NOT NULL CHECK (kind BETWEEN 0 AND 7),
  principal TEXT NOT NULL,
  amount_units INTEGER NOT NULL CHECK (amount_units > 0),
  credited_units INTEGER NOT NULL CHECK (credited_units >= 0 AND credited_units <= amount_units),
  cap_window INTEGER NOT NULL CHECK (cap_window BETWEEN 0 AND 2),
  cap_kinds INTEGER NOT NULL CHECK (cap_kinds >= 0),
  cap_units INTEGER NOT NULL CHECK (cap_units >= 0),
  day TEXT NOT NULL CHECK (length(day) = 10),
  created_ms INTEGER NOT NULL CHECK (created_ms >= 0),
  run_id TEXT NOT NULL,
  job_id TEXT NOT NULL,
  referee TEXT NOT NULL,
  minutes INTEGER NOT NULL CHECK (minutes >= 0),
  tier INTEGER NOT NULL CHECK (tier >= 0),
  base_units INTEGER NOT NULL CHECK (base_units >= 0),
  bonus_units INTEGER NOT NULL CHECK (bonus_units >= 0),
  share_bp INTEGER NOT NULL CHECK (share_bp BETWEEN 0 AND 10000)
) STRICT;
CREATE INDEX ledger_transfers_by_principal ON ledger_transfers (principal, seq);
CREATE INDEX ledger_transfers_by_run ON ledger_transfers (run_id, seq) WHERE run_id <> '';
CREATE INDEX ledger_transfers_by_referee ON ledger_transfers (principal, referee, credited_units)
  WHERE referee <> '';

CREATE TABLE ledger_accounts (
  principal TEXT PRIMARY KEY NOT NULL,
  balance_units INTEGER NOT NULL CHECK (balance_units >= 0),
  credited_units INTEGER NOT NULL CHECK (credited_units >= 0),
  transfers INTEGER NOT NULL CHECK (transfers >= 0),
  updated_ms INTEGER NOT NULL CHECK (updated_ms >= 0)
) STRICT, WITHOUT ROWID;

CREATE TABLE ledger_issuance (
  kind INTEGER PRIMARY KEY NOT NULL CHECK (kind BETWEEN 0 AND 7),
  account TEXT NOT NULL UNIQUE,
  issued_units INTEGER NOT NULL CHECK (issued_units >= 0),
  transfers INTEGER NOT NULL CHECK (transfers >= 0)
) STRICT;
INSERT INTO ledger_issuance (kind, account, issued_units, transfers) VALUES
  (0, 'issuance:job', 0, 0), (1, 'issuance:uptime', 0, 0),
  (2, 'issuance:referral_task_1', 0, 0), (3, 'issuance:referral_task_2', 0, 0),
  (4, 'issuance:referral_uptime_1', 0, 0), (5, 'issuance:referral_uptime_2', 0, 0),
  (6, 'issuance:referral_installation', 0, 0), (7, 'issuance:admin', 0, 0);

CREATE TABLE ledger_days (
  principal TEXT NOT NULL,
  day TEXT NOT NULL CHECK (length(day) = 10),
  kind INTEGER NOT NULL CHECK (kind BETWEEN 0 AND 7),
  units INTEGER NOT NULL CHECK (units >= 0),
  transfers INTEGER NOT NULL CHECK (transfers >= 0),
  minutes INTEGER NOT NULL CHECK (minutes >= 0),
  PRIMARY KEY (principal, day, kind)
) STRICT, WITHOUT ROWID;

CREATE INDEX uptime_days_unpaid ON uptime_days (principal, day)
  WHERE online_ms >= (paid_minutes + 1) * 60000;

CREATE TABLE referrals (
  referee TEXT PRIMARY KEY NOT NULL,
  referrer_l1 TEXT NOT NULL,
  referrer_l2 TEXT NOT NULL,
  code_used TEXT NOT NULL,
  signup_ms INTEGER NOT NULL CHECK (signup_ms >= 0),
  uptime_base_ms INTEGER NOT NULL CHECK (uptime_base_ms >= 0),
  installation_claimed INTEGER NOT NULL CHECK (installation_claimed IN (0, 1)),
  installation_claimed_ms INTEGER NOT NULL CHECK (installation_claimed_ms >= 0)
) STRICT, WITHOUT ROWID;
CREATE INDEX referrals_by_l1 ON referrals (referrer_l1, signup_ms);
CREATE INDEX referrals_by_l2 ON referrals (referrer_l2, signup_ms) WHERE referrer_l2 <> '';
CREATE INDEX referrals_unclaimed ON referrals (referee) WHERE installation_claimed = 0;

CREATE TABLE reward_runs (
  seq INTEGER PRIMARY KEY,
  id TEXT NOT NULL UNIQUE,
  kind INTEGER NOT NULL CHECK (kind BETWEEN 0 AND 1),
  state INTEGER NOT NULL CHECK (state BETWEEN 0 AND 2),
  trigger TEXT NOT NULL,
  day TEXT NOT NULL CHECK (length(day) = 10),
  owner TEXT NOT NULL,
  started_ms INTEGER NOT NULL CHECK (started_ms >= 0),
  heartbeat_ms INTEGER NOT NULL CHECK (heartbeat_ms >= 0),
  completed_ms INTEGER NOT NULL CHECK (completed_ms >= 0),
  users INTEGER NOT NULL CHECK (users >= 0),
  total_units INTEGER NOT NULL CHECK (total_units >= 0),
  resumes INTEGER NOT NULL CHECK (resumes >= 0),
  error TEXT NOT NULL
) STRICT;
CREATE UNIQUE INDEX reward_runs_running ON reward_runs (state) WHERE state = 0;
CREATE INDEX reward_runs_by_kind ON reward_runs (kind, seq);
)sql",
    // v9: a job may fail because its customer or an operator cancelled it
    // (issue 11): failure_reason may be 'cancelled'. A CHECK cannot be
    // altered in place, so jobs is rebuilt as in v7 (same columns, rows,
    // rowids and indexes).
    R"sql(
CREATE TABLE jobs_v9 (
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
  usage_refunded INTEGER NOT NULL DEFAULT 0 CHECK (usage_refunded IN (0, 1)),
  failure_reason TEXT NOT NULL DEFAULT ''
    CHECK (failure_reason = '' OR failure_reason = 'no_data' OR failure_reason = 'deadline'
           OR failure_reason = 'attempts_exhausted' OR failure_reason = 'restart'
           OR failure_reason = 'too_large' OR failure_reason = 'cancelled'),
  result_file_id TEXT NOT NULL DEFAULT '',
  listed INTEGER NOT NULL DEFAULT 0 CHECK (listed IN (0, 1))
) STRICT;
INSERT INTO jobs_v9 (
  seq, job_id, client_uuid, job_type, target, state, node_principal, node_client_id,
  attempt, max_attempts, created_ms, assigned_ms, lease_deadline_ms, deadline_ms,
  complete_ms, post_count, replies_count, scroll_pause_ms, sync, usage_charged,
  reward_units, result_hash, result_content_type, result_bytes, price_cents,
  objects_count, file_size_kb, error, last_failed_node, target_node, usage_refunded,
  failure_reason, result_file_id, listed)
SELECT
  seq, job_id, client_uuid, job_type, target, state, node_principal, node_client_id,
  attempt, max_attempts, created_ms, assigned_ms, lease_deadline_ms, deadline_ms,
  complete_ms, post_count, replies_count, scroll_pause_ms, sync, usage_charged,
  reward_units, result_hash, result_content_type, result_bytes, price_cents,
  objects_count, file_size_kb, error, last_failed_node, target_node, usage_refunded,
  failure_reason, result_file_id, listed
FROM jobs ORDER BY seq;
DROP TABLE jobs;
ALTER TABLE jobs_v9 RENAME TO jobs;
CREATE INDEX jobs_by_client ON jobs (client_uuid, seq);
CREATE INDEX jobs_usage ON jobs (client_uuid, created_ms, usage_charged, usage_refunded)
  WHERE usage_charged = 1 AND usage_refunded = 0;
CREATE INDEX jobs_open_by_client ON jobs (client_uuid, seq) WHERE state IN ('pending', 'ongoing');
CREATE INDEX jobs_market ON jobs (complete_ms, job_id) WHERE listed = 1 AND state = 'completed';
)sql",
    // v10: settlement of the ledger on the chain (store/settlement_types.h).
    // settlements is the journal, one row per (run, principal);
    // settlement_accounts holds each principal's committed and settled
    // totals, moved in the same transaction as the rows.
    R"sql(
CREATE TABLE settlements (
  id TEXT PRIMARY KEY NOT NULL,
  run_id TEXT NOT NULL,
  principal TEXT NOT NULL,
  amount_units INTEGER NOT NULL CHECK (amount_units > 0),
  created_ms INTEGER NOT NULL CHECK (created_ms >= 0),
  state INTEGER NOT NULL CHECK (state BETWEEN 0 AND 3),
  generation INTEGER NOT NULL CHECK (generation >= 0),
  created_at_ns INTEGER NOT NULL CHECK (created_at_ns >= 0),
  attempts INTEGER NOT NULL CHECK (attempts >= 0),
  next_attempt_ms INTEGER NOT NULL CHECK (next_attempt_ms >= 0),
  block_index INTEGER NOT NULL CHECK ((state = 2) = (block_index >= 0)),
  duplicate INTEGER NOT NULL CHECK (duplicate IN (0, 1)),
  failure TEXT NOT NULL,
  failure_kind TEXT NOT NULL,
  needs_reconciliation INTEGER NOT NULL CHECK (needs_reconciliation IN (0, 1)),
  updated_ms INTEGER NOT NULL CHECK (updated_ms >= 0),
  confirmed_ms INTEGER NOT NULL CHECK (confirmed_ms >= 0),
  version INTEGER NOT NULL CHECK (version >= 1)
) STRICT, WITHOUT ROWID;
CREATE INDEX settlements_due ON settlements (next_attempt_ms, id) WHERE state IN (0, 1);
CREATE INDEX settlements_by_state ON settlements (state, id);
CREATE INDEX settlements_by_principal ON settlements (principal, id);

CREATE TABLE settlement_accounts (
  principal TEXT PRIMARY KEY NOT NULL,
  committed_units INTEGER NOT NULL CHECK (committed_units >= 0),
  settled_units INTEGER NOT NULL CHECK (settled_units >= 0 AND settled_units <= committed_units)
) STRICT, WITHOUT ROWID;
)sql",
};

constexpr std::span<const char* const> Migrations() { return kMigrations; }

// The number of migrations applied.
Result<int> ApplyPending(Database& db) {
  RETURN_IF_ERROR(db.Exec(
      "CREATE TABLE IF NOT EXISTS schema_version (version INTEGER PRIMARY KEY NOT NULL) STRICT"));
  ASSIGN_OR_RETURN(const int current, SchemaVersion(db));
  if (current > LatestSchemaVersion()) {
    return Err(FailedPrecondition("database schema version " + std::to_string(current) +
                                  " is newer than this build's " +
                                  std::to_string(LatestSchemaVersion()) + "; upgrade the server"));
  }
  for (int version = current + 1; version <= LatestSchemaVersion(); ++version) {
    RETURN_IF_ERROR(db.Exec(Migrations()[version - 1]));
    RETURN_IF_ERROR(
        db.Exec("INSERT INTO schema_version (version) VALUES (" + std::to_string(version) + ")"));
  }
  return LatestSchemaVersion() - current;
}

// Any row whose foreign key has no parent: Internal, naming the table.
Status CheckForeignKeys(Database& db) {
  ASSIGN_OR_RETURN(Query check, db.Prepare("PRAGMA foreign_key_check"));
  ASSIGN_OR_RETURN(const bool row, check.Step());
  if (!row) return Status::Ok();
  return Internal("schema migration left a row of " + check.Text(0) +
                  " without its parent in " + check.Text(2) + "; nothing was changed");
}

}  // namespace

int LatestSchemaVersion() { return static_cast<int>(Migrations().size()); }

Result<int> SchemaVersion(Database& db) {
  ASSIGN_OR_RETURN(Query query, db.Prepare("SELECT COALESCE(MAX(version), 0) FROM schema_version"));
  ASSIGN_OR_RETURN(const bool row, query.Step());
  if (!row) return Err(Internal("schema_version query returned no row"));
  return static_cast<int>(query.Int64(0));
}

Status Migrate(Database& db) {
  // Foreign keys are off while migrations run, so that a migration may
  // rebuild a table that others refer to (SQLite's documented way to change
  // what ALTER TABLE cannot); they are all checked before COMMIT. The pragma
  // has no effect inside a transaction, hence out here.
  RETURN_IF_ERROR(db.Exec("PRAGMA foreign_keys = OFF"));
  // IMMEDIATE: two processes opening a fresh file at once must not both
  // decide to apply v1.
  Status status = db.Exec("BEGIN IMMEDIATE");
  if (status.ok()) {
    const Result<int> applied = ApplyPending(db);
    if (!applied.has_value()) status = applied.error();
    // Only what a migration changed needs checking: not every row at every start.
    else if (*applied > 0) status = CheckForeignKeys(db);
  }
  if (status.ok()) status = db.Exec("COMMIT");
  if (!status.ok() && db.InTransaction()) (void)db.Exec("ROLLBACK");
  const Status restored = db.Exec("PRAGMA foreign_keys = ON");
  return status.ok() ? restored : status;
}

}  // namespace sela::store::sqlite
