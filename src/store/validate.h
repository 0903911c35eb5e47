// Input checks shared by every Store backend, so that each one rejects the
// same inputs with the same codes (InvalidArgument) before touching its data.
//
// Pure functions; thread-safe.
#pragma once

#include <cstddef>
#include <cstdint>
#include <string>
#include <string_view>

#include "core/status.h"
#include "store/store.h"

namespace sela::store {

// Eight characters from [A-Z0-9], taken from the low digits of `random` in
// base 36: a node's referral code, drawn from the backend's random source.
std::string ReferralCodeFrom(uint64_t random);

// The longest single delta a checkpoint can produce: one whole UTC day.
inline constexpr int64_t kDayMs = 86'400'000;

// Non-empty and at most `bytes_max` bytes.
Status ValidatePrincipal(std::string_view principal, size_t bytes_max);

// A real calendar date written "YYYY-MM-DD" (so "2024-02-30" is refused).
// `what` names the argument in the error message.
Status ValidateDay(std::string_view day, std::string_view what);

// Times are Unix-epoch milliseconds and never negative.
Status ValidateNowMs(int64_t now_ms);

// Every present value is finite and not negative.
Status ValidateMetrics(const NodeMetricsUpdate& update);

// Principal and day as above; online_ms within one day; sums finite and not
// negative.
Status ValidateUptimeDelta(const UptimeDelta& delta, size_t principal_bytes_max);

Status ValidateStatus(NodeStatus status);

// Byte limits on the strings of API clients and jobs; each backend fills
// them from its options.
struct JobLimits {
  size_t principal_bytes_max = 256;  // Node principals, as for nodes.
  size_t client_id_bytes_max = 64;   // Node client ids, as for nodes.
  // API client uuids, job ids, job types, idempotency keys, request hashes.
  size_t id_bytes_max = 256;
  size_t text_bytes_max = 8192;      // Targets, content types, errors.
  size_t result_bytes_max = size_t{64} << 20;  // One job's result.
};

// Non-empty and at most `bytes_max` bytes; `what` names the argument.
Status ValidateId(std::string_view id, std::string_view what, size_t bytes_max);

// At most `bytes_max` bytes (may be empty).
Status ValidateText(std::string_view text, std::string_view what, size_t bytes_max);

// 64 lowercase hex digits: a SHA-256 as the store keeps it.
Status ValidateSha256Hex(std::string_view hash, std::string_view what);

Status ValidateJobState(JobState state);

// A new API client: uuid and key hash well formed, usage_limit and
// created_ms not negative. usage_count is ignored (a client starts at 0).
Status ValidateApiClient(const ApiClient& client, const JobLimits& limits);

// A new job: ids and strings within the limits, state pending with attempt
// 0, max_attempts at least 1, no negative number; idempotency key and
// request hash bounded, and a request hash whenever there is a key.
Status ValidateCreateJob(const CreateJobRequest& request, const JobLimits& limits);

// A lease: node principal and client id well formed, attempt at least 1,
// lease deadline not negative.
Status ValidateLease(const JobLease& lease, const JobLimits& limits);

// A failure: a reason other than kNone that the store knows, an error
// within text_bytes_max.
Status ValidateFailure(const JobFailure& failure, const JobLimits& limits);

// A completion: node principal, result hash and content type well formed,
// result within result_bytes_max, no negative number; a result file id and
// result bytes not both.
Status ValidateCompletion(const JobCompletion& completion, const JobLimits& limits);

// ---- Files and marketplace (validate_files.cc) ----

// A new file: id, owner and strings within the limits (job_id may be ""),
// state uploading, declared_sha256 "" or a SHA-256, no negative number,
// and a chunk length no longer than the file unless the file is empty.
Status ValidateNewFile(const FileRecord& file, const JobLimits& limits);

// A chunk: offset not negative, at least one byte, sha256 "" or well formed.
Status ValidateChunk(const FileChunk& chunk);

// Both limits at least 1.
Status ValidateFileQuota(const FileQuota& quota);

// A list limit of 1..`max`.
Status ValidateListLimit(uint32_t limit, uint32_t max);

// search within text_bytes_max, limit 1..100.
Status ValidateMarketQuery(const MarketQuery& query, const JobLimits& limits);

}  // namespace sela::store
