// BlobDir: the files module's directory on disk, $DATA_PATH/blobs/
// (ARCHITECTURE.md §8), and the synchronous file operations on it. Runs on
// the IoPool's threads, never on the event loop.
//
// Layout; every name is the server's own, never a client's:
//   uploads/<file_id>.part      an upload in progress, chunks at their offsets
//   uploads/<file_id>.assemble  chunks put in index order at completion
//                               (only when they arrived out of place)
//   <aa>/<sha256>               a complete file, content-addressed (aa: its
//                               first two hex digits); written to a temporary
//                               name and linked into place after fdatasync,
//                               so a blob is never seen half-written
// Files are created 0600.
//
// Errors: a full disk (ENOSPC, EDQUOT, EFBIG) is ResourceExhausted
// ("No space left on the server's disk"); a missing file NotFound; anything
// else Internal, naming the path and errno (for the log, not for clients).
//
// Thread-safety: the methods are safe from several threads at once as long
// as no two of them write the same file; callers make sure of that.
#pragma once

#include <sys/types.h>

#include <cstdint>
#include <functional>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "core/status.h"
#include "files/sha256.h"

namespace sela::files {

struct BlobDirOptions {
  std::string root;  // $DATA_PATH/blobs
  // Replaces pwrite(2), so tests can fill the disk at will. Empty: pwrite.
  std::function<ssize_t(int fd, const void* data, size_t size, off_t offset)> pwrite_fn;
};

// An open file, closed when destroyed.
class FileHandle {
 public:
  FileHandle() = default;
  explicit FileHandle(int fd) : fd_(fd) {}
  ~FileHandle();
  FileHandle(FileHandle&& other) noexcept : fd_(other.fd_) { other.fd_ = -1; }
  FileHandle& operator=(FileHandle&& other) noexcept;
  FileHandle(const FileHandle&) = delete;
  FileHandle& operator=(const FileHandle&) = delete;
  int fd() const { return fd_; }
  bool open() const { return fd_ >= 0; }

 private:
  int fd_ = -1;
};

// Where one chunk's bytes are in the part file, in index order.
struct PartRange {
  int64_t offset = 0;
  int64_t bytes = 0;
};

class BlobDir {
 public:
  explicit BlobDir(BlobDirOptions options);

  // Creates the root and uploads/ (0700) if missing.
  Status Init();
  const std::string& root() const { return options_.root; }

  // File ids are the server's ("file_<ms>_<hex>"); anything else is refused
  // (InvalidArgument) before a path is built from it.
  static bool IsSafeId(std::string_view file_id);

  // Opens (creating) the part file of an upload.
  Result<FileHandle> OpenPart(std::string_view file_id) const;
  // Writes all of `bytes` at `offset`.
  Status WriteAt(const FileHandle& file, int64_t offset, std::string_view bytes) const;
  // Starts writing [offset, offset + bytes) back to the disk without
  // waiting (sync_file_range, SYNC_FILE_RANGE_WRITE), so that the
  // fdatasync at completion finds little left to write. A hint: nothing is
  // promised by it, and failures are ignored.
  void StartWriteback(const FileHandle& file, int64_t offset, int64_t bytes) const;

  // Makes an upload's content ready to become a blob: `ranges` are its
  // chunks in index order (summing to `size`). When they lie in order from
  // offset 0 the part file is the content (cut to `size`), else they are
  // copied in order into the .assemble file. `known_sha256`, when set, is
  // the hash of the part file's bytes in order, computed as they arrived;
  // otherwise the content is read and hashed. A declared_sha256 that
  // differs is InvalidArgument (the .assemble file is removed). The content
  // is fdatasync'ed. Delivers its path and sha256; LinkBlob then names it.
  struct Prepared {
    std::string path;
    std::string sha256;
  };
  Result<Prepared> Prepare(std::string_view file_id, const std::vector<PartRange>& ranges,
                           int64_t size, std::optional<std::string> known_sha256,
                           std::string_view declared_sha256) const;
  // Links prepared content to its content address (a blob there already
  // has this content) and syncs the directory. The part files stay
  // (RemovePart) until the store has recorded the blob.
  Status LinkBlob(const std::string& path, std::string_view sha256) const;

  // Removes an upload's part and .assemble files (missing ones are fine).
  Status RemovePart(std::string_view file_id) const;
  // Removes a blob (missing is fine).
  Status RemoveBlob(std::string_view sha256) const;

  // Opens a blob for reading; NotFound when it is missing. *size gets its length.
  Result<FileHandle> OpenBlob(std::string_view sha256, int64_t* size) const;
  // Up to `bytes` bytes from `offset` (fewer only at the end of the file).
  Result<std::string> ReadAt(const FileHandle& file, int64_t offset, size_t bytes) const;

  std::string PartPath(std::string_view file_id) const;
  std::string BlobPath(std::string_view sha256) const;

 private:
  Result<std::string> HashFile(const FileHandle& file, int64_t size) const;
  Status CopyRanges(const FileHandle& from, const FileHandle& to,
                    const std::vector<PartRange>& ranges) const;

  BlobDirOptions options_;
};

}  // namespace sela::files
