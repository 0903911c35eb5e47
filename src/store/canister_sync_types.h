// The file-canister sync journal (docs/CHAIN.md "Results on the file
// canister"), as the Store keeps it. store.h declares the operations; every
// backend implements exactly the semantics written there and here.
//
// One row per content (its SHA-256): a completed job's inline result (the
// bytes are the store's blob, GetBlob) or a complete file (the bytes are
// on disk, $DATA_PATH/blobs). The canister key is derived from the hash, so
// two files with the same bytes are one row and one copy on the canister.
#pragma once

#include <array>
#include <cstdint>
#include <string>

namespace sela::store {

enum class SyncState : uint8_t { kPending = 0, kSynced = 1, kFailed = 2 };
inline constexpr size_t kSyncStates = 3;
// "pending", "synced", "failed"; "" outside the enum.
const char* SyncStateName(SyncState state);

// Where the bytes are here.
enum class SyncSource : uint8_t { kResult = 0, kFile = 1 };

struct SyncRecord {
  std::string sha256;          // (fixed) 64 lowercase hex digits: the key.
  SyncSource source = SyncSource::kResult;  // (fixed)
  std::string ref;             // (fixed) The job id (kResult) or file id (kFile) that brought it.
  std::string owner;           // (fixed) The principal whose result or file it is; may be "".
  std::string content_type;    // (fixed) 0..256 bytes.
  int64_t size = 0;            // (fixed) >= 0.
  int64_t created_ms = 0;      // (fixed)
  SyncState state = SyncState::kPending;
  uint32_t attempts = 0;       // Uploads tried.
  int64_t next_attempt_ms = 0; // Pending: when it is due (again).
  std::string last_error;      // The last failure, 0..1024 bytes ("" once synced).
  int64_t chunks = 0;          // Synced: the canister's answer, the chunks it holds under the key.
  int64_t updated_ms = 0;
  int64_t synced_ms = 0;       // 0 until synced.
  friend bool operator==(const SyncRecord&, const SyncRecord&) = default;
};

// ListSyncs: rows in one state, by sha256 (for the admin routes).
struct SyncQuery {
  SyncState state = SyncState::kFailed;
  std::string sha256;        // Non-empty: that row only, when it is in `state`.
  std::string after_sha256;  // Rows after this one ("" from the first).
  uint32_t limit = 100;      // 1..rows_per_read_max.
};

// GetSyncSummary: over every row.
struct SyncSummary {
  std::array<int64_t, kSyncStates> count_by_state{};
  std::array<int64_t, kSyncStates> bytes_by_state{};
  int64_t oldest_pending_ms = 0;  // Min created_ms over pending rows; 0 when none.
};

}  // namespace sela::store
