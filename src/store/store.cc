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

}  // namespace sela::store
