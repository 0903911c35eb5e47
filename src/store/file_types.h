// The Store's records for uploaded files and the results marketplace
// (reference rest-api.md §2.5, §6 and R14-R19, minus the defects of §8 and
// storage-chain-files.md §7). Included by store.h; the operations on them and
// their contracts are there.
//
// The bytes of a file are not in the store: the files module keeps them on
// disk under $DATA_PATH/blobs/ (uploading: a part file named by the file id;
// complete: content-addressed by sha256). The store keeps what must change
// atomically with the rest of the state: who owns a file, which chunks have
// arrived, quotas, and which job's result a file is.
#pragma once

#include <cstdint>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

namespace sela::store {

enum class FileState : uint8_t { kUploading = 0, kComplete = 1 };
// "uploading", "complete".
std::string_view FileStateName(FileState state);

struct FileRecord {
  std::string file_id;    // Chosen by the server ("file_<ms>_<16 hex digits>"), unique.
  std::string owner;      // The node principal that created it.
  // "" or the job its owner held (ongoing, leased to it) when it created the
  // file; that job's customer may read it once complete.
  std::string job_id;
  std::string name;       // What the client called it; shown, never a path.
  std::string content_type;
  int64_t size = 0;       // Declared bytes; a complete file has exactly this many.
  // The declared chunk layout: chunk i at offset i * chunk_bytes, every
  // chunk but the last exactly chunk_bytes long. 0: chunks of any length,
  // stored one after the other as they arrive (each at offset
  // received_bytes) and put in index order at completion.
  int64_t chunk_bytes = 0;
  std::string declared_sha256;  // What the client declared for the whole file, or "".
  FileState state = FileState::kUploading;
  std::string sha256;     // Lowercase hex SHA-256 of the content once complete; "" before.
  int64_t received_bytes = 0;  // Sum of the lengths of the distinct chunks received.
  uint32_t chunks = 0;         // Distinct chunks received.
  int64_t created_ms = 0;
  int64_t updated_ms = 0;      // Last chunk, completion.
  // Uploading: when it counts as abandoned (ExpireUploads deletes it); each
  // chunk moves it on. Complete: 0.
  int64_t expires_ms = 0;
  // The job whose result this file became (CompleteJob with
  // result_file_id), or "". Such a file cannot be deleted.
  std::string result_of;

  friend bool operator==(const FileRecord&, const FileRecord&) = default;
};

// One chunk of an uploading file, as the server measured it.
struct FileChunk {
  uint32_t index = 0;
  int64_t offset = 0;   // Where its bytes are in the file's part file.
  int64_t bytes = 0;    // At least 1.
  // Of its bytes, lowercase hex; "" when it was not hashed (the client
  // declared no hash for it: a repeat is then compared byte by byte).
  std::string sha256;

  friend bool operator==(const FileChunk&, const FileChunk&) = default;
};

// Limits per owner, checked atomically when a file is created.
struct FileQuota {
  uint32_t open_uploads_max = 16;      // Files of the owner still uploading.
  int64_t owner_bytes_max = 1ll << 30; // Declared sizes of all the owner's files.
};

enum class ChunkOutcome : uint8_t {
  kStored,  // A new chunk was recorded.
  kRepeat,  // The same index with the same length and hash: nothing changed.
};

enum class FileCompleteOutcome : uint8_t {
  kCompleted,  // The file is complete now.
  kRepeat,     // It was complete already with this sha256: nothing changed.
};

struct FileListQuery {
  std::string owner = {};          // Only this principal's files.
  std::string job_id = {};         // "" for all; else only files tied to this job.
  std::string after_file_id = {};  // "" from the start; else the files created after this one.
  uint32_t limit = 100;
};

// What DeleteFile removed.
struct DeletedFile {
  FileRecord file;
  // Another complete file has the same sha256, so its blob must stay.
  bool blob_still_used = false;
};

// ---- Marketplace (R14-R19) -------------------------------------------------

struct MarketQuery {
  // "" for all; else an ASCII case-insensitive substring of the job id, job
  // type or target.
  std::string search = {};
  bool ascending = false;  // By complete_ms (then job id); newest first by default.
  uint32_t limit = 50;     // 1..100.
  uint64_t offset = 0;
};

struct MarketStats {
  int64_t total_completed = 0;                             // Listed and completed.
  std::vector<std::pair<std::string, int64_t>> by_type;    // Sorted by job type.
  int64_t recent = 0;                                      // Of those, completed since since_ms.

  friend bool operator==(const MarketStats&, const MarketStats&) = default;
};

struct Purchase {
  std::string client_uuid;
  std::string job_id;
  int64_t price_cents = 0;   // The job's price when it was bought.
  int64_t purchased_ms = 0;

  friend bool operator==(const Purchase&, const Purchase&) = default;
};

struct PurchaseOutcome {
  Purchase purchase;      // The first purchase of this client and job.
  bool created = false;   // false: bought before; nothing changed.
};

enum class MarketCounter : uint8_t { kView, kDownload };

}  // namespace sela::store
