// Migrations v7 on: files and the marketplace, the rewards ledger, cancelled jobs, settlement.
#include "store/sqlite/schema_migrations.h"

namespace sela::store::sqlite {
namespace {

constexpr const char* kLaterMigrations[] = {
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
    // v11: the file-canister sync journal (store/canister_sync_types.h):
    // one row per content to mirror on the file canister.
    R"sql(
CREATE TABLE canister_sync (
  sha256 TEXT PRIMARY KEY NOT NULL CHECK (length(sha256) = 64),
  source INTEGER NOT NULL CHECK (source IN (0, 1)),
  ref TEXT NOT NULL,
  owner TEXT NOT NULL,
  content_type TEXT NOT NULL,
  size INTEGER NOT NULL CHECK (size >= 0),
  created_ms INTEGER NOT NULL CHECK (created_ms >= 0),
  state INTEGER NOT NULL CHECK (state BETWEEN 0 AND 2),
  attempts INTEGER NOT NULL CHECK (attempts >= 0),
  next_attempt_ms INTEGER NOT NULL CHECK (next_attempt_ms >= 0),
  last_error TEXT NOT NULL,
  chunks INTEGER NOT NULL CHECK (chunks >= 0),
  updated_ms INTEGER NOT NULL CHECK (updated_ms >= 0),
  synced_ms INTEGER NOT NULL CHECK (synced_ms >= 0)
) STRICT, WITHOUT ROWID;
CREATE INDEX canister_sync_due ON canister_sync (next_attempt_ms, sha256) WHERE state = 0;
)sql",
};

}  // namespace

std::span<const char* const> LaterMigrations() { return kLaterMigrations; }

}  // namespace sela::store::sqlite
