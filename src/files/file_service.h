// FileService: files uploaded by nodes, in chunks, with integrity
// (reference rest-api.md §2.5 and §6, minus the defects of
// storage-chain-files.md §7): owned by the node principal that created
// them, optionally tied to a job it holds, stored under $DATA_PATH/blobs/
// with names the server chooses (BlobDir), content-addressed once complete.
//
// - Create: the client declares name, type, size, optionally a chunk
//   layout (chunk_bytes) and the file's SHA-256. Limits: FILE_BYTES_MAX per
//   file, open uploads and bytes per node (the store checks those
//   atomically).
// - Chunks (BeginChunk, ChunkUpload) stream to the part file off the loop
//   (IoPool), each hashed as it passes; a declared chunk SHA-256 is
//   checked; in any order; a repeat with the same bytes is acknowledged and
//   changes nothing, one with other bytes is a Conflict. Only a chunk
//   written whole and checked is recorded in the store, so an
//   acknowledged chunk survives a crash (kill -9: the page cache has it).
// - Complete: every chunk present (else InvalidArgument naming the missing
//   ones), the content hashed (while it arrived, when it came in order; else
//   read back), checked against the declared SHA-256, fdatasync'ed and
//   linked to its content address; only then recorded in the store. A
//   failure leaves no blob.
// - Abandoned uploads expire (FILE_UPLOAD_TTL_MS after their last chunk);
//   Sweep() deletes them and their part files.
//
// Outcomes are Status codes with messages safe to show the client, except
// Internal and Unavailable (log those, answer generically):
//   InvalidArgument     bad input (names, ids, sizes, indexes, hashes,
//                       missing chunks); nothing changed
//   NotFound            no such file (or job, at Create)
//   PermissionDenied    another principal's file
//   Conflict            a repeated chunk with other bytes; the same chunk,
//                       or for an undeclared layout any chunk, already
//                       arriving; a completion already running
//   FailedPrecondition  the file is complete or expired; Create: the job
//                       is not leased to the owner; Delete: it is a job's
//                       result
//   ResourceExhausted   Create: the owner's quota; chunks and Complete: the
//                       server's disk is full
//   Unavailable         the store or the disk queue is overloaded; retry
//   Internal            anything else
//
// Threading: the event loop's thread, except the disk work, which runs on
// the IoPool and reports back through `post`. Callbacks run on the loop.
#pragma once

#include <cstdint>
#include <functional>
#include <memory>
#include <optional>
#include <set>
#include <string>
#include <unordered_map>
#include <vector>

#include "core/clock.h"
#include "core/config.h"
#include "core/status.h"
#include "files/blob_dir.h"
#include "files/io_pool.h"
#include "files/sha256.h"
#include "store/store.h"

namespace sela::files {

struct FileOptions {
  std::string root = "./data/redis/blobs";  // $DATA_PATH/blobs
  int64_t file_bytes_max = int64_t{1} << 30;       // FILE_BYTES_MAX
  int64_t chunk_bytes_max = int64_t{16} << 20;     // FILE_CHUNK_BYTES_MAX
  uint32_t chunks_max = 100'000;                   // FILE_CHUNKS_MAX: indexes 0..chunks_max-1
  uint32_t open_uploads_max = 16;                  // FILE_OPEN_UPLOADS_MAX, per node
  int64_t node_bytes_max = int64_t{4} << 30;       // FILE_NODE_BYTES_MAX, per node
  int64_t upload_ttl_ms = 3'600'000;               // FILE_UPLOAD_TTL_MS
  uint32_t io_threads = 2;                         // FILE_IO_THREADS
  uint32_t io_queue_max = 4096;                    // Disk tasks waiting at most.
  // Bytes of one chunk held in memory before reading from its connection
  // pauses, and the size of each write.
  size_t stream_buffer_bytes = 1 << 20;
  size_t piece_bytes = 256 << 10;
  size_t name_bytes_max = 255;
  size_t content_type_bytes_max = 255;
  uint32_t sweep_batch_max = 100;                  // Expired uploads deleted per Sweep.

  static FileOptions FromConfig(const Config& config);
};

// What a client asks for at creation (F1).
struct NewFile {
  std::string name = {};
  std::string content_type = {};
  int64_t size = 0;
  std::string job_id = {};    // "" for none.
  int64_t chunk_bytes = 0;    // 0: chunks of any length.
  std::string sha256 = {};    // Declared, lowercase hex, or "".
};

// A chunk taken (F2).
struct ChunkReceipt {
  store::ChunkOutcome outcome = store::ChunkOutcome::kStored;
  store::FileChunk chunk;
};

class ChunkUpload;
class BlobReader;
struct ChunkState;

class FileService {
 public:
  FileService(FileOptions options, const Clock& clock, store::Store& store, store::PostFn post,
              std::function<uint64_t()> random, BlobDirOptions dir_options = {});
  ~FileService();
  FileService(const FileService&) = delete;
  FileService& operator=(const FileService&) = delete;

  // Creates the directories; call once before serving.
  Status Init();
  const FileOptions& options() const { return options_; }

  void Create(const std::string& owner, NewFile request,
              std::function<void(Result<store::FileRecord>)> done);

  // A chunk of `bytes` bytes (to come through ChunkUpload::Append) with an
  // optional declared SHA-256. Refusals known at once are returned here;
  // the rest reach the upload's callbacks.
  Result<std::unique_ptr<ChunkUpload>> BeginChunk(const std::string& owner, const std::string& file_id,
                                                  uint32_t index, int64_t bytes,
                                                  std::string declared_sha256);

  void Complete(const std::string& owner, const std::string& file_id,
                std::function<void(Result<store::FileRecord>)> done);

  // Any file: the caller decides who may see it.
  void Get(const std::string& file_id, std::function<void(Result<std::optional<store::FileRecord>>)> done);
  void List(const store::FileListQuery& query, std::function<void(Result<std::vector<store::FileRecord>>)> done);
  void Delete(const std::string& owner, const std::string& file_id, std::function<void(Status)> done);

  // A complete file's bytes for reading (downloads). NotFound when the
  // blob is missing; Internal when its length is not `size`.
  void OpenBlob(const std::string& sha256, int64_t size,
                std::function<void(Result<std::shared_ptr<BlobReader>>)> done);
  // A whole blob in memory, at most bytes_max long (else InvalidArgument).
  // A blob missing here is read from the remote copy when there is one.
  void ReadBlob(const std::string& sha256, int64_t bytes_max, std::function<void(Result<std::string>)> done);

  // A copy elsewhere (the file canister, CANISTER_STORAGE_ENABLED): reads a
  // content by its SHA-256, checked, off the loop; the answer on the loop.
  // NotFound when the remote has none either, Unavailable when it cannot
  // be read now.
  using RemoteFetch = std::function<void(const std::string& sha256, std::function<void(Result<std::string>)> done)>;
  void SetRemote(RemoteFetch fetch) { remote_ = std::move(fetch); }
  bool has_remote() const { return static_cast<bool>(remote_); }
  // NotFound at once without a remote.
  void FetchRemote(const std::string& sha256, std::function<void(Result<std::string>)> done);
  // Called on the loop with every file that became complete.
  void OnComplete(std::function<void(const store::FileRecord&)> fn) { on_complete_ = std::move(fn); }

  // Runs `work` on a disk thread (CPU work on a file's bytes, such as
  // parsing a large result), then `then` on the loop; Unavailable at once
  // when the disk queue is full.
  void RunOffLoop(std::function<Status()> work, std::function<void(Status)> then) {
    OffLoop(std::move(work), std::move(then));
  }

  // Deletes expired uploads and their part files (call every few seconds).
  void Sweep();

  // Uploads whose running hash is kept in memory (for the memory benchmark).
  size_t running_hashes() const { return prefix_.size(); }
  // Blocks until the disk work issued so far has run (its reports are then
  // posted). Tests, and shutdown.
  void WaitForDisk() { io_.WaitIdle(); }

 private:
  friend class ChunkUpload;
  struct PrefixHash {
    Sha256 hash;
    int64_t end = 0;  // Bytes hashed: the file's [0, end) in index order.
    bool busy = false;  // A chunk in transit extends it.
  };
  using Done = std::function<void()>;

  std::string NewFileId();
  Status CheckNewFile(const NewFile& request) const;
  // Runs `work` on the IoPool, then `then` on the loop; Unavailable at once
  // when the pool's queue is full.
  void OffLoop(std::function<Status()> work, std::function<void(Status)> then);
  // Completion (file_complete.cc).
  using FileDone = std::function<void(Result<store::FileRecord>)>;
  void FinishComplete(store::FileRecord file, std::vector<store::FileChunk> chunks, FileDone done);
  void LinkAndRecord(store::FileRecord file, BlobDir::Prepared prepared, FileDone done);
  void RemoveBlobUnlessUsed(const std::string& sha256);
  void ForgetUpload(const std::string& file_id);
  // Some chunk of the file is arriving now.
  bool Arriving(const std::string& file_id) const;
  // A store refusal in our words (its own text may hold SQL: it is logged).
  static Status FromStore(const Status& st, std::string_view what);

  // Chunks (chunk_upload.cc).
  void CheckChunk(const std::shared_ptr<ChunkState>& s);
  Status ChunkPlace(const ChunkState& s, const store::FileRecord& f, int64_t* offset) const;
  void PumpChunk(const std::shared_ptr<ChunkState>& s);
  void OnPieceWritten(const std::shared_ptr<ChunkState>& s, const Status& st, size_t size);
  void RecordChunk(const std::shared_ptr<ChunkState>& s);
  void ReleaseChunk(const std::shared_ptr<ChunkState>& s, bool recorded);
  void FailChunk(const std::shared_ptr<ChunkState>& s, const Status& st);
  // Buffers of piece_bytes for chunks in transit, reused.
  std::string TakePiece();
  void RecyclePiece(std::string piece);
  static constexpr size_t kPiecePoolMax = 16;

  FileOptions options_;
  const Clock& clock_;
  store::Store& store_;
  store::PostFn post_;
  std::function<uint64_t()> random_;
  RemoteFetch remote_;
  std::function<void(const store::FileRecord&)> on_complete_;
  BlobDir dir_;
  std::shared_ptr<bool> alive_ = std::make_shared<bool>(true);
  // In memory, per process: the running hash of uploads whose chunks came
  // in order, the chunks arriving now (file id + index, or file id alone
  // for undeclared layouts), completions running, blobs being linked.
  std::unordered_map<std::string, PrefixHash> prefix_;
  std::set<std::pair<std::string, int64_t>> arriving_;
  std::set<std::string> completing_;
  // Blobs a completion is linking and recording (never removed meanwhile),
  // and blobs being removed (a completion of the same content waits).
  std::multiset<std::string> pinned_;
  std::unordered_map<std::string, std::vector<Done>> removing_;
  std::vector<std::string> piece_pool_;  // At most kPiecePoolMax.
  IoPool io_;  // Last: joined first, before what its work points to goes.
};

// One chunk's body in transit, on the loop thread. Destroying it before it
// finished cancels it: nothing is recorded.
class ChunkUpload {
 public:
  ~ChunkUpload();
  ChunkUpload(const ChunkUpload&) = delete;
  ChunkUpload& operator=(const ChunkUpload&) = delete;

  // Copies the bytes in. False: the buffer is full, stop reading until
  // the space callback runs (or a failure is reported).
  bool Append(std::string_view bytes);
  // Called (once each) when space is free again after Append returned
  // false, and at the first failure (the upload is then dead: answer now).
  void OnSpace(std::function<void()> fn);
  void OnFailure(std::function<void(Status)> fn);
  // Every byte was appended: `done` gets the outcome once the chunk is
  // written and recorded (or failed).
  void Finish(std::function<void(Result<ChunkReceipt>)> done);


 private:
  friend class FileService;
  explicit ChunkUpload(std::shared_ptr<ChunkState> state) : state_(std::move(state)) {}
  std::shared_ptr<ChunkState> state_;
};

// Reads of one complete file, off the loop.
class BlobReader : public std::enable_shared_from_this<BlobReader> {
 public:
  BlobReader(FileHandle file, int64_t size, const BlobDir& dir, IoPool& io, store::PostFn post,
             std::shared_ptr<bool> alive);
  int64_t size() const { return size_; }
  // [offset, offset + bytes) of the file; done runs on the loop.
  void Read(int64_t offset, size_t bytes, std::function<void(Result<std::string>)> done);

 private:
  FileHandle file_;
  int64_t size_;
  const BlobDir& dir_;
  IoPool& io_;
  store::PostFn post_;
  std::shared_ptr<bool> alive_;
};

}  // namespace sela::files
