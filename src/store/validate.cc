#include "store/validate.h"

#include <chrono>
#include <cmath>
#include <string>
#include <utility>

namespace sela::store {
namespace {

bool IsDigit(char c) { return c >= '0' && c <= '9'; }

int Digits(std::string_view s) {
  int value = 0;
  for (char c : s) value = value * 10 + (c - '0');
  return value;
}

bool IsNonNegativeFinite(double v) { return std::isfinite(v) && v >= 0; }

// Quoted and cut short, so that a hostile argument cannot flood a log line.
std::string Quote(std::string_view s) {
  constexpr size_t kShownBytesMax = 40;
  std::string out = "\"";
  out += s.substr(0, kShownBytesMax);
  if (s.size() > kShownBytesMax) out += "...";
  out += '"';
  return out;
}

bool IsLowerHex(char c) { return IsDigit(c) || (c >= 'a' && c <= 'f'); }

Status ValidateNotNegative(int64_t value, std::string_view what) {
  if (value < 0) {
    return InvalidArgument(std::string(what) + " " + std::to_string(value) + " is negative");
  }
  return Status::Ok();
}

Status ValidateNewJobStrings(const JobRecord& job, const JobLimits& limits) {
  RETURN_IF_ERROR(ValidateId(job.job_id, "job_id", limits.id_bytes_max));
  RETURN_IF_ERROR(ValidateId(job.client_uuid, "client_uuid", limits.id_bytes_max));
  RETURN_IF_ERROR(ValidateId(job.job_type, "job_type", limits.id_bytes_max));
  RETURN_IF_ERROR(ValidateText(job.target, "target", limits.text_bytes_max));
  RETURN_IF_ERROR(ValidateText(job.node_principal, "node_principal", limits.principal_bytes_max));
  RETURN_IF_ERROR(ValidateText(job.node_client_id, "node_client_id", limits.client_id_bytes_max));
  RETURN_IF_ERROR(ValidateText(job.result_hash, "result_hash", limits.id_bytes_max));
  RETURN_IF_ERROR(
      ValidateText(job.result_content_type, "result_content_type", limits.text_bytes_max));
  RETURN_IF_ERROR(ValidateText(job.error, "error", limits.text_bytes_max));
  RETURN_IF_ERROR(ValidateText(job.last_failed_node, "last_failed_node", limits.principal_bytes_max));
  RETURN_IF_ERROR(ValidateText(job.result_file_id, "result_file_id", limits.id_bytes_max));
  return ValidateText(job.target_node, "target_node", limits.principal_bytes_max);
}

Status ValidateNewJobNumbers(const JobRecord& job) {
  const std::pair<const char*, int64_t> fields[] = {
      {"created_ms", job.created_ms},       {"assigned_ms", job.assigned_ms},
      {"lease_deadline_ms", job.lease_deadline_ms}, {"deadline_ms", job.deadline_ms},
      {"complete_ms", job.complete_ms},     {"post_count", job.post_count},
      {"replies_count", job.replies_count}, {"scroll_pause_ms", job.scroll_pause_ms},
      {"reward_units", job.reward_units},   {"result_bytes", job.result_bytes},
      {"price_cents", job.price_cents},     {"objects_count", job.objects_count},
      {"file_size_kb", job.file_size_kb},
  };
  for (const auto& [name, value] : fields) RETURN_IF_ERROR(ValidateNotNegative(value, name));
  return Status::Ok();
}

}  // namespace

Status ValidatePrincipal(std::string_view principal, size_t bytes_max) {
  if (principal.empty()) return InvalidArgument("principal is empty");
  if (principal.size() > bytes_max) {
    return InvalidArgument("principal is " + std::to_string(principal.size()) +
                           " bytes, more than the limit of " + std::to_string(bytes_max));
  }
  return Status::Ok();
}

Status ValidateDay(std::string_view day, std::string_view what) {
  bool shape = day.size() == 10 && day[4] == '-' && day[7] == '-';
  for (size_t i = 0; shape && i < day.size(); ++i) {
    if (i != 4 && i != 7 && !IsDigit(day[i])) shape = false;
  }
  const bool real = shape &&
                    std::chrono::year_month_day{
                        std::chrono::year{Digits(day.substr(0, 4))},
                        std::chrono::month{static_cast<unsigned>(Digits(day.substr(5, 2)))},
                        std::chrono::day{static_cast<unsigned>(Digits(day.substr(8, 2)))}}
                        .ok();
  if (!real) {
    return InvalidArgument(std::string(what) + " " + Quote(day) +
                           " is not a date written YYYY-MM-DD");
  }
  return Status::Ok();
}

Status ValidateNowMs(int64_t now_ms) {
  if (now_ms < 0) return InvalidArgument("now_ms " + std::to_string(now_ms) + " is negative");
  return Status::Ok();
}

std::string ReferralCodeFrom(uint64_t random) {
  constexpr std::string_view kAlphabet = "ABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789";
  constexpr size_t kCodeChars = 8;
  std::string code(kCodeChars, 'A');
  for (char& c : code) {
    c = kAlphabet[random % kAlphabet.size()];
    random /= kAlphabet.size();
  }
  return code;
}

Status ValidateMetrics(const NodeMetricsUpdate& update) {
  const std::pair<const char*, const std::optional<double>*> fields[] = {
      {"download_speed", &update.download_speed},
      {"upload_speed", &update.upload_speed},
      {"ping_ms", &update.ping_ms},
  };
  for (const auto& [name, value] : fields) {
    if (value->has_value() && !IsNonNegativeFinite(**value)) {
      return InvalidArgument(std::string(name) + " must be a finite number >= 0");
    }
  }
  return Status::Ok();
}

Status ValidateUptimeDelta(const UptimeDelta& delta, size_t principal_bytes_max) {
  RETURN_IF_ERROR(ValidatePrincipal(delta.principal, principal_bytes_max));
  RETURN_IF_ERROR(ValidateDay(delta.day, "uptime day"));
  if (delta.online_ms < 0 || delta.online_ms > kDayMs) {
    return InvalidArgument("uptime online_ms " + std::to_string(delta.online_ms) +
                           " is outside one day (0.." + std::to_string(kDayMs) + ")");
  }
  if (!IsNonNegativeFinite(delta.speed_sum) || !IsNonNegativeFinite(delta.ping_sum)) {
    return InvalidArgument("uptime speed_sum and ping_sum must be finite numbers >= 0");
  }
  return Status::Ok();
}

Status ValidateStatus(NodeStatus status) {
  if (status != NodeStatus::kActive && status != NodeStatus::kInactive) {
    return InvalidArgument("node status " + std::to_string(static_cast<int>(status)) +
                           " is neither active nor inactive");
  }
  return Status::Ok();
}

Status ValidateId(std::string_view id, std::string_view what, size_t bytes_max) {
  if (id.empty()) return InvalidArgument(std::string(what) + " is empty");
  return ValidateText(id, what, bytes_max);
}

Status ValidateText(std::string_view text, std::string_view what, size_t bytes_max) {
  if (text.size() > bytes_max) {
    return InvalidArgument(std::string(what) + " is " + std::to_string(text.size()) +
                           " bytes, more than the limit of " + std::to_string(bytes_max));
  }
  return Status::Ok();
}

Status ValidateSha256Hex(std::string_view hash, std::string_view what) {
  constexpr size_t kSha256HexChars = 64;
  bool ok = hash.size() == kSha256HexChars;
  for (size_t i = 0; ok && i < hash.size(); ++i) ok = IsLowerHex(hash[i]);
  if (!ok) {
    return InvalidArgument(std::string(what) + " " + Quote(hash) +
                           " is not a SHA-256 written as 64 lowercase hex digits");
  }
  return Status::Ok();
}

Status ValidateJobState(JobState state) {
  if (JobStateName(state) == "unknown") {
    return InvalidArgument("job state " + std::to_string(static_cast<int>(state)) +
                           " is not a job state");
  }
  return Status::Ok();
}

Status ValidateApiClient(const ApiClient& client, const JobLimits& limits) {
  RETURN_IF_ERROR(ValidateId(client.uuid, "API client uuid", limits.id_bytes_max));
  RETURN_IF_ERROR(ValidateSha256Hex(client.key_hash, "API key hash"));
  RETURN_IF_ERROR(ValidateNotNegative(client.usage_limit, "usage_limit"));
  return ValidateNotNegative(client.created_ms, "created_ms");
}

Status ValidateCreateJob(const CreateJobRequest& request, const JobLimits& limits) {
  const JobRecord& job = request.job;
  RETURN_IF_ERROR(ValidateNewJobStrings(job, limits));
  RETURN_IF_ERROR(ValidateNewJobNumbers(job));
  const bool pending = job.state == JobState::kPending && job.attempt == 0;
  // Or created already leased: its first lease, to a named node.
  const bool leased = job.state == JobState::kOngoing && job.attempt == 1 && !job.node_principal.empty() &&
                      job.lease_deadline_ms > 0;
  if (!pending && !leased) {
    return InvalidArgument(
        "a new job must be pending with attempt 0, or ongoing with attempt 1, a node and a lease deadline; not " +
        std::string(JobStateName(job.state)) + " with attempt " + std::to_string(job.attempt));
  }
  if (job.max_attempts == 0) return InvalidArgument("max_attempts must be at least 1");
  if (job.failure_reason != FailureReason::kNone) return InvalidArgument("a new job has no failure reason");
  RETURN_IF_ERROR(ValidateText(request.idempotency_key, "idempotency key", limits.id_bytes_max));
  RETURN_IF_ERROR(ValidateText(request.request_hash, "request_hash", limits.id_bytes_max));
  if (!request.idempotency_key.empty() && request.request_hash.empty()) {
    return InvalidArgument("an idempotency key needs a request_hash");
  }
  return Status::Ok();
}

Status ValidateLease(const JobLease& lease, const JobLimits& limits) {
  RETURN_IF_ERROR(ValidateId(lease.node_principal, "node_principal", limits.principal_bytes_max));
  RETURN_IF_ERROR(ValidateText(lease.node_client_id, "node_client_id", limits.client_id_bytes_max));
  if (lease.attempt == 0) return InvalidArgument("lease attempt must be at least 1");
  return ValidateNotNegative(lease.lease_deadline_ms, "lease_deadline_ms");
}

Status ValidateFailure(const JobFailure& failure, const JobLimits& limits) {
  if (failure.reason == FailureReason::kNone || FailureReasonName(failure.reason) == "unknown") {
    return InvalidArgument("failure reason " + std::to_string(static_cast<int>(failure.reason)) +
                           " is not a reason a job fails for");
  }
  return ValidateText(failure.error, "error", limits.text_bytes_max);
}

Status ValidateCompletion(const JobCompletion& completion, const JobLimits& limits) {
  RETURN_IF_ERROR(
      ValidateId(completion.node_principal, "node_principal", limits.principal_bytes_max));
  RETURN_IF_ERROR(ValidateSha256Hex(completion.result_hash, "result_hash"));
  RETURN_IF_ERROR(ValidateText(completion.result_content_type, "result_content_type",
                               limits.text_bytes_max));
  RETURN_IF_ERROR(ValidateText(completion.result, "result", limits.result_bytes_max));
  RETURN_IF_ERROR(ValidateText(completion.result_file_id, "result_file_id", limits.id_bytes_max));
  if (!completion.result_file_id.empty() && !completion.result.empty()) {
    return InvalidArgument("a completion names a result file or carries result bytes, not both");
  }
  const std::pair<const char*, int64_t> fields[] = {
      {"price_cents", completion.price_cents},
      {"objects_count", completion.objects_count},
      {"file_size_kb", completion.file_size_kb},
  };
  for (const auto& [name, value] : fields) RETURN_IF_ERROR(ValidateNotNegative(value, name));
  return Status::Ok();
}

}  // namespace sela::store
