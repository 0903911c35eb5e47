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
#include <cstddef>
#include <cstdint>
#include <string>
#include <string_view>

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

// The limits of a row's texts (validate_sync.cc). A row that the store
// builds itself (NewSyncRow) cuts its texts to them, so that it is always
// valid: a completion is never refused for the sake of its row.
inline constexpr size_t kSyncRefBytesMax = 128;
inline constexpr size_t kSyncOwnerBytesMax = 256;
inline constexpr size_t kSyncContentTypeBytesMax = 256;
inline constexpr size_t kSyncErrorBytesMax = 1024;

// The pending row of a content that the store has just made final
// (CompleteJob's inline result, CompleteFile's file) or found without a row
// (BackfillSyncs): created, updated and due at now_ms, no attempts, texts
// cut to their limits (bytes). `sha256` must be valid (the store checked it).
SyncRecord NewSyncRow(std::string_view sha256, SyncSource source, std::string_view ref, std::string_view owner,
                      std::string_view content_type, int64_t size, int64_t now_ms);

// BackfillSyncs: what one page did.
struct SyncBackfillPage {
  // Pass it to the next call; "" when the pass has looked at everything.
  std::string next_cursor;
  uint32_t scanned = 0;   // Jobs or files looked at (any state).
  uint32_t inserted = 0;  // Rows added: contents that had none.
  friend bool operator==(const SyncBackfillPage&, const SyncBackfillPage&) = default;
};

// GetSyncSummary: over every row.
struct SyncSummary {
  std::array<int64_t, kSyncStates> count_by_state{};
  std::array<int64_t, kSyncStates> bytes_by_state{};
  int64_t oldest_pending_ms = 0;  // Min created_ms over pending rows; 0 when none.
};

}  // namespace sela::store
