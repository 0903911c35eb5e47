// Input checks of the file-canister sync journal (canister_sync_types.h),
// shared by every backend.
#include "store/validate.h"
#include "store/validate_ledger.h"

namespace sela::store {

const char* SyncStateName(SyncState state) {
  static constexpr const char* kNames[] = {"pending", "synced", "failed"};
  const auto i = static_cast<size_t>(state);
  return i < kSyncStates ? kNames[i] : "";
}

SyncRecord NewSyncRow(std::string_view sha256, SyncSource source, std::string_view ref, std::string_view owner,
                      std::string_view content_type, int64_t size, int64_t now_ms) {
  SyncRecord r;
  r.sha256 = std::string(sha256);
  r.source = source;
  r.ref = std::string(ref.substr(0, kSyncRefBytesMax));
  r.owner = std::string(owner.substr(0, kSyncOwnerBytesMax));
  r.content_type = std::string(content_type.substr(0, kSyncContentTypeBytesMax));
  r.size = size;
  r.created_ms = now_ms;
  r.next_attempt_ms = now_ms;
  r.updated_ms = now_ms;
  return r;
}

// Shared by every backend: the checks store.h promises for sync records.
Status ValidateSyncRecord(const SyncRecord& r) {
  RETURN_IF_ERROR(ValidateSha256Hex(r.sha256, "sha256"));
  if (r.source != SyncSource::kResult && r.source != SyncSource::kFile) return InvalidArgument("unknown sync source");
  if (static_cast<size_t>(r.state) >= kSyncStates) return InvalidArgument("unknown sync state");
  RETURN_IF_ERROR(ValidateText(r.ref, "sync ref", kSyncRefBytesMax));
  RETURN_IF_ERROR(ValidateText(r.owner, "sync owner", kSyncOwnerBytesMax));
  RETURN_IF_ERROR(ValidateText(r.content_type, "sync content type", kSyncContentTypeBytesMax));
  RETURN_IF_ERROR(ValidateText(r.last_error, "sync last_error", kSyncErrorBytesMax));
  if (r.size < 0 || r.created_ms < 0 || r.next_attempt_ms < 0 || r.chunks < 0 || r.updated_ms < 0 ||
      r.synced_ms < 0) {
    return InvalidArgument("sync record: negative field");
  }
  return Status::Ok();
}

}  // namespace sela::store

