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

Status FailureForCaller(const Status& status) {
  switch (status.code()) {
    case Code::kResourceExhausted:
    case Code::kUnavailable:
    case Code::kDeadlineExceeded: return Unavailable("the store is busy, retry later");
    default: return Internal(status.ToString());
  }
}

}  // namespace sela::store
