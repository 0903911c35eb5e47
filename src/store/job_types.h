// The job records the Store keeps and the transitions it applies to them
// (ARCHITECTURE.md §6; services.md §1 minus its defects), beside the Store
// interface (store.h) as file_types.h and ledger.h are.
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "store/ledger.h"

namespace sela::store {

// ---- Jobs (ARCHITECTURE.md §6; services.md §1 minus its defects) ----------

enum class JobState : uint8_t { kPending = 0, kOngoing = 1, kCompleted = 2, kFailed = 3 };
// "pending", "ongoing", "completed", "failed": the original's strings.
std::string_view JobStateName(JobState state);

// Why a job failed. Stored with the job, so that it survives a restart:
// whoever reads the job later answers by the reason, never by its text.
enum class FailureReason : uint8_t {
  kNone = 0,           // Not failed.
  kNoData,             // The node's result was empty (the original's NO_DATA_FOUND).
  kDeadline,           // Not completed by its deadline (scrapeUrl's timeoutMs, or JOB_MAX_AGE_MS).
  kAttemptsExhausted,  // max_attempts leases ended without a result.
  kRestart,            // Out of attempts when a restart ended the lease it held.
  kTooLarge,           // The node's result was over RESULT_INLINE_BYTES_MAX or FILE_BYTES_MAX.
  kCancelled,          // Its customer or an operator cancelled it (FailJob like any failure).
};
// "", "no_data", "deadline", "attempts_exhausted", "restart", "too_large",
// "cancelled": the stored names (a backend stores and reads these).
std::string_view FailureReasonName(FailureReason reason);

struct JobRecord {
  std::string job_id;          // "job_<ms>_<n>", unique.
  std::string client_uuid;     // The API client that created it.
  std::string job_type;        // A kind of the JOB_KINDS allow-list.
  std::string target;          // The URL to scrape.
  JobState state = JobState::kPending;
  // The node holding the lease while ongoing; afterwards the node that held
  // the last lease (for completed jobs: the node that completed it). "" until
  // the first lease.
  std::string node_principal;
  std::string node_client_id;  // That node's clientId when it was leased.
  uint32_t attempt = 0;        // Leases handed out so far; the current one's number while ongoing.
  uint32_t max_attempts = 3;   // After this many leases ended without a result: failed.
  int64_t created_ms = 0;
  int64_t assigned_ms = 0;     // Start of the current or last lease; created_ms before the first.
  int64_t lease_deadline_ms = 0;  // While ongoing; 0 otherwise.
  // The job fails if it has not completed by then (scrapeUrl: created +
  // timeoutMs); 0 for none.
  int64_t deadline_ms = 0;
  int64_t complete_ms = 0;     // When it completed or failed; 0 before.
  int64_t post_count = 0;      // Passed through to the node (§7.1).
  int64_t replies_count = 0;
  int64_t scroll_pause_ms = 0;
  // Created by scrapeUrl: its usage charge is given back if the job fails
  // (the original counted only successful scrapes).
  bool sync = false;
  bool usage_charged = false;  // Set by CreateJob when it charged a usage.
  int64_t reward_units = 0;    // Node reward, 1 SP = 10^8 units; set at completion.
  // The stored result: content-addressed blob (lowercase hex SHA-256 of its
  // bytes), its media type and size. Empty / 0 until completed.
  std::string result_hash;
  std::string result_content_type;
  int64_t result_bytes = 0;
  // Pricing (services.md §1.11), set at completion. price_cents: USDT cents.
  int64_t price_cents = 0;
  int64_t objects_count = 0;
  int64_t file_size_kb = 0;
  std::string error;           // Failed: why, in words (what the customer reads).
  FailureReason failure_reason = FailureReason::kNone;  // Failed: why, as a kind.
  // The node whose lease ended without a result most recently; the job is
  // not leased to it again while another node can take it.
  std::string last_failed_node;
  // Only this node may take the job (scrapeUrl's principalId); "" for any.
  std::string target_node;
  // The result is this file of the node that completed the job (a
  // FileRecord, complete, tied to the job); "" when the result bytes are in
  // the store (GetBlob(result_hash)).
  std::string result_file_id = {};
  // On the marketplace once completed (R14): the customer's choice at
  // creation or later (SetJobListed). Not listed unless chosen.
  bool listed = false;

  friend bool operator==(const JobRecord&, const JobRecord&) = default;
};

struct CreateJobRequest {
  // state pending, attempt 0, created_ms/assigned_ms = now; or created
  // already leased (one store operation instead of CreateJob + LeaseJob):
  // ongoing, attempt 1, node_principal, node_client_id, lease_deadline_ms.
  JobRecord job;
  // Count one usage of job.client_uuid now, atomically with the insert:
  // ResourceExhausted (nothing written) when usage_count >= usage_limit.
  bool charge_usage = true;
  // Idempotency-Key header ("" for none) and a hash of the request it came
  // with. A key already used by this client with the same request_hash
  // delivers that first job (created = false) and writes nothing; with a
  // different request_hash it is a Conflict and writes nothing.
  std::string idempotency_key;
  std::string request_hash;
  // The job's marketplace listing; nullopt: the client's list_by_default
  // (job.listed is ignored and set from it).
  std::optional<bool> listed;
};

struct CreateJobOutcome {
  JobRecord job;
  bool created = true;  // false: an idempotent repeat; job is the first request's.
};

enum class CompleteOutcome : uint8_t {
  kCompleted,  // The lease holder's result was stored; the job is completed.
  kRepeat,     // Already completed by this node and attempt: nothing changed.
};

// What CompleteJob did, with what it credited (ledger.h JobRewardSpec).
struct CompletedJob {
  CompleteOutcome outcome = CompleteOutcome::kCompleted;
  // What transfer "job:<job_id>" credited the node (after the daily cap),
  // which is also the job's reward_units. kRepeat: the job's reward_units
  // (credited by the first completion; nothing is credited again).
  int64_t reward_units = 0;
  // Credited by this call to the node's referrers ("referral:task:<job_id>:1"
  // and ":2"); 0 for a repeat, a missing referrer or a share of 0 units.
  int64_t referral_l1_units = 0;
  int64_t referral_l2_units = 0;

  friend bool operator==(const CompletedJob&, const CompletedJob&) = default;
};

// A lease of a pending job to a node (LeaseJob).
struct JobLease {
  std::string node_principal;
  std::string node_client_id;  // The node's clientId when it was leased.
  uint32_t attempt = 0;        // The lease's number: the job's attempt + 1.
  int64_t lease_deadline_ms = 0;
};

// How a pending or ongoing job fails (FailJob).
struct JobFailure {
  uint32_t attempt = 0;        // The job's current attempt (the guard).
  FailureReason reason = FailureReason::kNone;  // Never kNone.
  std::string error;           // In words (JobRecord::error).
};

struct JobCompletion {
  std::string node_principal;  // Must hold the lease...
  uint32_t attempt = 0;        // ...of this number.
  std::string result_hash;     // SHA-256 hex of result_bytes.
  std::string result_content_type;
  std::string result;          // The bytes; stored once per hash.
  // Non-empty: the result is this file instead of `result` (which must then
  // be empty). The file must be complete, owned by node_principal, tied to
  // the job and have sha256 == result_hash; it becomes the job's
  // result_file_id, the job's result_bytes its size, and its result_of the
  // job, in the same transaction. FailedPrecondition otherwise.
  std::string result_file_id = {};
  // The node's reward and its referrers' shares, paid in the same
  // transaction (ledger.h JobRewardSpec); amount_units 0 pays nothing.
  JobRewardSpec reward = {};
  int64_t price_cents = 0;
  int64_t objects_count = 0;
  int64_t file_size_kb = 0;
};

// A job as the marketplace shows it.
struct MarketJob {
  JobRecord job;
  int64_t views = 0;      // CountMarketEvent(kView).
  int64_t downloads = 0;  // CountMarketEvent(kDownload).

  friend bool operator==(const MarketJob&, const MarketJob&) = default;
};

struct MarketPage {
  std::vector<MarketJob> jobs;
  int64_t total_count = 0;  // Every match, before offset and limit.
};

// What CompleteJob and FailJob do to a job's record, for whoever keeps a
// copy of it (the job service) and for backends that store whole records.
// Completed: complete_ms = now, no lease deadline, the result's hash, type
// and size, and pricing; reward_units is left alone, for the caller to set
// to what CompleteJob credited (CompletedJob::reward_units). Failed: complete_ms = now, no lease
// deadline, error and reason, reward 0.
void ApplyCompletion(const JobCompletion& completion, int64_t now_ms, JobRecord& job);
void ApplyFailure(const JobFailure& failure, int64_t now_ms, JobRecord& job);

}  // namespace sela::store
