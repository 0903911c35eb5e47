#include "store/store.h"

namespace sela::store {

std::string_view JobStateName(JobState state) {
  switch (state) {
    case JobState::kPending:
      return "pending";
    case JobState::kOngoing:
      return "ongoing";
    case JobState::kCompleted:
      return "completed";
    case JobState::kFailed:
      return "failed";
  }
  // A value outside the enum (cast from outside input) has no name.
  return "unknown";
}

std::string_view FileStateName(FileState state) {
  switch (state) {
    case FileState::kUploading:
      return "uploading";
    case FileState::kComplete:
      return "complete";
  }
  return "unknown";
}

std::string_view FailureReasonName(FailureReason reason) {
  switch (reason) {
    case FailureReason::kNone: return "";
    case FailureReason::kNoData: return "no_data";
    case FailureReason::kDeadline: return "deadline";
    case FailureReason::kAttemptsExhausted: return "attempts_exhausted";
    case FailureReason::kRestart: return "restart";
    case FailureReason::kTooLarge: return "too_large";
    case FailureReason::kCancelled: return "cancelled";
  }
  return "unknown";
}

void ApplyCompletion(const JobCompletion& completion, int64_t now_ms, JobRecord& job) {
  job.state = JobState::kCompleted;
  job.complete_ms = now_ms;
  job.lease_deadline_ms = 0;
  job.result_hash = completion.result_hash;
  job.result_content_type = completion.result_content_type;
  job.result_bytes = static_cast<int64_t>(completion.result.size());
  job.price_cents = completion.price_cents;
  job.objects_count = completion.objects_count;
  job.file_size_kb = completion.file_size_kb;
  // A result file's size is the file's: the caller sets result_bytes.
  job.result_file_id = completion.result_file_id;
}

void ApplyFailure(const JobFailure& failure, int64_t now_ms, JobRecord& job) {
  job.state = JobState::kFailed;
  job.complete_ms = now_ms;
  job.lease_deadline_ms = 0;
  job.error = failure.error;
  job.failure_reason = failure.reason;
  job.reward_units = 0;
}

Status FailureForCaller(const Status& status) {
  switch (status.code()) {
    case Code::kResourceExhausted:
    case Code::kUnavailable:
    case Code::kDeadlineExceeded: return Unavailable("the store is busy, retry later");
    default: return Internal(status.ToString());
  }
}

}  // namespace sela::store
