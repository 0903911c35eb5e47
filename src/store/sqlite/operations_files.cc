// Operations on uploaded files (see operations.h and store.h). A file's
// bytes are on disk, the files module's; these rows say who owns a file,
// which chunks arrived, and which job's result it became. file_usage keeps
// each owner's open uploads and declared bytes, changed in the same
// savepoint as the rows they count.
#include <algorithm>
#include <string>
#include <utility>

#include "store/sqlite/operations.h"
#include "store/validate.h"

namespace sela::store::sqlite {
namespace {

// job_id is NULL for "no job" (so that its foreign key is not checked) and
// read back as "".
#define SELA_FILE_COLUMNS                                                                  \
  "file_id, owner, COALESCE(job_id, ''), name, content_type, size, chunk_bytes, "          \
  "declared_sha256, state, sha256, received_bytes, chunks, created_ms, updated_ms, "       \
  "expires_ms, result_of"

constexpr char kInsertFile[] =
    "INSERT INTO files (file_id, owner, job_id, name, content_type, size, chunk_bytes, "
    "declared_sha256, state, sha256, received_bytes, chunks, created_ms, updated_ms, expires_ms) "
    "VALUES (?1, ?2, NULLIF(?3, ''), ?4, ?5, ?6, ?7, ?8, 'uploading', '', 0, 0, ?9, ?9, ?10) "
    "ON CONFLICT (file_id) DO NOTHING";
constexpr char kSelectFile[] = "SELECT " SELA_FILE_COLUMNS " FROM files WHERE file_id = ?1";
constexpr char kSelectUsage[] = "SELECT uploads, bytes FROM file_usage WHERE owner = ?1";
// SQLite checks a row's CHECKs before an upsert's conflict, so amounts
// taken away go through a plain UPDATE (the row exists by then).
constexpr char kAddUsage[] =
    "INSERT INTO file_usage (owner, uploads, bytes) VALUES (?1, ?2, ?3) "
    "ON CONFLICT (owner) DO UPDATE SET uploads = uploads + ?2, bytes = bytes + ?3";
constexpr char kTakeUsage[] =
    "UPDATE file_usage SET uploads = uploads + ?2, bytes = bytes + ?3 WHERE owner = ?1";
constexpr char kJobLease[] = "SELECT state, node_principal FROM jobs WHERE job_id = ?1";
constexpr char kSelectChunk[] =
    "SELECT idx, offset, bytes, sha256 FROM file_chunks WHERE file_id = ?1 AND idx = ?2";
constexpr char kInsertChunk[] =
    "INSERT INTO file_chunks (file_id, idx, offset, bytes, sha256) VALUES (?1, ?2, ?3, ?4, ?5)";
constexpr char kAddChunk[] =
    "UPDATE files SET received_bytes = received_bytes + ?2, chunks = chunks + 1, "
    "updated_ms = ?3, expires_ms = ?4 WHERE file_id = ?1";
constexpr char kTouchFile[] = "UPDATE files SET updated_ms = ?2, expires_ms = ?3 WHERE file_id = ?1";
constexpr char kSelectChunks[] =
    "SELECT idx, offset, bytes, sha256 FROM file_chunks WHERE file_id = ?1 ORDER BY idx";
constexpr char kCompleteFile[] =
    "UPDATE files SET state = 'complete', sha256 = ?2, expires_ms = 0, updated_ms = ?3 "
    "WHERE file_id = ?1 AND state = 'uploading'";
constexpr char kDeleteChunks[] = "DELETE FROM file_chunks WHERE file_id = ?1";
constexpr char kSeqOf[] = "SELECT seq FROM files WHERE file_id = ?1";
constexpr char kListFiles[] =
    "SELECT " SELA_FILE_COLUMNS " FROM files WHERE owner = ?1 AND seq > ?2 ORDER BY seq LIMIT ?3";
constexpr char kListFilesOfJob[] =
    "SELECT " SELA_FILE_COLUMNS " FROM files WHERE owner = ?1 AND seq > ?2 AND job_id = ?4 "
    "ORDER BY seq LIMIT ?3";
constexpr char kListJobFiles[] =
    "SELECT " SELA_FILE_COLUMNS " FROM files WHERE job_id = ?1 AND state = 'complete' "
    "ORDER BY seq LIMIT ?2";
constexpr char kDeleteFile[] = "DELETE FROM files WHERE file_id = ?1";
constexpr char kBlobUsed[] =
    "SELECT EXISTS (SELECT 1 FROM files WHERE sha256 = ?1 AND state = 'complete')";
constexpr char kExpired[] =
    "SELECT " SELA_FILE_COLUMNS " FROM files WHERE state = 'uploading' AND expires_ms <= ?1 "
    "ORDER BY expires_ms LIMIT ?2";
constexpr char kMarkResult[] = "UPDATE files SET result_of = ?2 WHERE file_id = ?1";
constexpr char kSetResultBytes[] = "UPDATE jobs SET result_bytes = ?2 WHERE job_id = ?1";

#undef SELA_FILE_COLUMNS

constexpr uint32_t kFileListMax = 1000;

FileRecord ReadFile(const Query& q) {
  FileRecord f;
  f.file_id = q.Text(0);
  f.owner = q.Text(1);
  f.job_id = q.Text(2);
  f.name = q.Text(3);
  f.content_type = q.Text(4);
  f.size = q.Int64(5);
  f.chunk_bytes = q.Int64(6);
  f.declared_sha256 = q.Text(7);
  f.state = q.Text(8) == "complete" ? FileState::kComplete : FileState::kUploading;
  f.sha256 = q.Text(9);
  f.received_bytes = q.Int64(10);
  f.chunks = static_cast<uint32_t>(q.Int64(11));
  f.created_ms = q.Int64(12);
  f.updated_ms = q.Int64(13);
  f.expires_ms = q.Int64(14);
  f.result_of = q.Text(15);
  return f;
}

FileChunk ReadChunk(const Query& q) {
  return FileChunk{.index = static_cast<uint32_t>(q.Int64(0)),
                   .offset = q.Int64(1),
                   .bytes = q.Int64(2),
                   .sha256 = q.Text(3)};
}

Result<std::vector<FileRecord>> ReadFiles(Query& query) {
  std::vector<FileRecord> files;
  while (true) {
    ASSIGN_OR_RETURN(const bool row, query.Step());
    if (!row) return files;
    files.push_back(ReadFile(query));
  }
}

// Where a new chunk must go, by the file's layout (store.h PutFileChunk).
Status CheckChunkPlace(const FileRecord& f, const FileChunk& c) {
  if (f.received_bytes + c.bytes > f.size) {
    return InvalidArgument("chunk " + std::to_string(c.index) + " of " + std::to_string(c.bytes) +
                           " bytes would make file " + f.file_id + " longer than its size " +
                           std::to_string(f.size));
  }
  if (f.chunk_bytes == 0) {
    if (c.offset != f.received_bytes) {
      return InvalidArgument("chunk " + std::to_string(c.index) + " of file " + f.file_id +
                             " must go at offset " + std::to_string(f.received_bytes));
    }
    return Status::Ok();
  }
  const int64_t offset = static_cast<int64_t>(c.index) * f.chunk_bytes;
  const int64_t expected = std::min(f.chunk_bytes, f.size - offset);
  if (offset >= f.size || c.offset != offset || c.bytes != expected) {
    return InvalidArgument("chunk " + std::to_string(c.index) + " of file " + f.file_id +
                           " must be " + std::to_string(expected > 0 ? expected : 0) +
                           " bytes at offset " + std::to_string(offset));
  }
  return Status::Ok();
}

Status RefuseIfNotUploading(const FileRecord& f, int64_t now_ms) {
  if (f.state != FileState::kUploading) return FailedPrecondition("file " + f.file_id + " is complete");
  if (f.expires_ms <= now_ms) return FailedPrecondition("the upload of file " + f.file_id + " expired");
  return Status::Ok();
}

}  // namespace

Status Operations::AddFileUsage(const std::string& owner, int64_t uploads, int64_t bytes) {
  const bool adding = uploads >= 0 && bytes >= 0;
  ASSIGN_OR_RETURN(Query query, db_.Prepare(adding ? kAddUsage : kTakeUsage));
  RETURN_IF_ERROR(query.BindText(1, owner).BindInt(2, uploads).BindInt(3, bytes).Run());
  if (db_.Changes() != 1) return Internal("file usage of " + owner + " is missing");
  return Status::Ok();
}

Result<FileRecord> Operations::CreateFile(const FileRecord& file, const FileQuota& quota) {
  RETURN_IF_ERROR(ValidateNewFile(file, limits_.jobs));
  RETURN_IF_ERROR(ValidateFileQuota(quota));
  if (!file.job_id.empty()) {
    ASSIGN_OR_RETURN(Query job, db_.Prepare(kJobLease));
    ASSIGN_OR_RETURN(const bool row, job.BindText(1, file.job_id).Step());
    if (!row) return Err(NotFound("no job with id " + file.job_id));
    if (job.Text(0) != "ongoing" || job.Text(1) != file.owner) {
      return Err(FailedPrecondition("job " + file.job_id + " is not leased to " + file.owner));
    }
  }
  {
    ASSIGN_OR_RETURN(Query usage, db_.Prepare(kSelectUsage));
    ASSIGN_OR_RETURN(const bool row, usage.BindText(1, file.owner).Step());
    const int64_t uploads = row ? usage.Int64(0) : 0;
    const int64_t bytes = row ? usage.Int64(1) : 0;
    if (uploads >= quota.open_uploads_max) {
      return Err(ResourceExhausted(file.owner + " has " + std::to_string(uploads) +
                                   " uploads open, the limit"));
    }
    if (file.size > quota.owner_bytes_max - bytes) {
      return Err(ResourceExhausted(file.owner + " has " + std::to_string(bytes) +
                                   " bytes in files; " + std::to_string(file.size) +
                                   " more would pass the limit of " +
                                   std::to_string(quota.owner_bytes_max)));
    }
  }
  ASSIGN_OR_RETURN(Query insert, db_.Prepare(kInsertFile));
  insert.BindText(1, file.file_id).BindText(2, file.owner).BindText(3, file.job_id);
  insert.BindText(4, file.name).BindText(5, file.content_type).BindInt(6, file.size);
  insert.BindInt(7, file.chunk_bytes).BindText(8, file.declared_sha256);
  insert.BindInt(9, file.created_ms).BindInt(10, file.expires_ms);
  RETURN_IF_ERROR(insert.Run());
  if (db_.Changes() == 0) return Err(AlreadyExists("file id " + file.file_id + " is taken"));
  RETURN_IF_ERROR(AddFileUsage(file.owner, 1, file.size));
  FileRecord stored = file;
  stored.sha256.clear();
  stored.received_bytes = 0;
  stored.chunks = 0;
  stored.updated_ms = file.created_ms;
  stored.result_of.clear();
  return stored;
}

Result<std::optional<FileRecord>> Operations::GetFile(const std::string& file_id) {
  RETURN_IF_ERROR(ValidateId(file_id, "file_id", limits_.jobs.id_bytes_max));
  ASSIGN_OR_RETURN(Query query, db_.Prepare(kSelectFile));
  ASSIGN_OR_RETURN(const bool row, query.BindText(1, file_id).Step());
  if (!row) return std::optional<FileRecord>();
  return std::optional<FileRecord>(ReadFile(query));
}

Result<FileRecord> Operations::OwnedFile(const std::string& file_id, const std::string& owner) {
  RETURN_IF_ERROR(ValidateId(owner, "file owner", limits_.jobs.principal_bytes_max));
  ASSIGN_OR_RETURN(std::optional<FileRecord> file, GetFile(file_id));
  if (!file.has_value()) return Err(NotFound("no file with id " + file_id));
  if (file->owner != owner) return Err(PermissionDenied("file " + file_id + " is not " + owner + "'s"));
  return std::move(*file);
}

Result<std::optional<FileChunk>> Operations::GetFileChunk(const std::string& file_id,
                                                          uint32_t index) {
  RETURN_IF_ERROR(ValidateId(file_id, "file_id", limits_.jobs.id_bytes_max));
  ASSIGN_OR_RETURN(Query query, db_.Prepare(kSelectChunk));
  ASSIGN_OR_RETURN(const bool row, query.BindText(1, file_id).BindInt(2, index).Step());
  if (!row) return std::optional<FileChunk>();
  return std::optional<FileChunk>(ReadChunk(query));
}

Result<ChunkOutcome> Operations::PutFileChunk(const std::string& file_id, const std::string& owner,
                                              const FileChunk& chunk, int64_t now_ms,
                                              int64_t ttl_ms) {
  RETURN_IF_ERROR(ValidateChunk(chunk));
  RETURN_IF_ERROR(ValidateNowMs(now_ms));
  if (ttl_ms < 1) return Err(InvalidArgument("upload ttl_ms must be at least 1"));
  ASSIGN_OR_RETURN(const FileRecord file, OwnedFile(file_id, owner));
  RETURN_IF_ERROR(RefuseIfNotUploading(file, now_ms));
  ASSIGN_OR_RETURN(const std::optional<FileChunk> earlier, GetFileChunk(file_id, chunk.index));
  if (earlier.has_value()) {
    if (earlier->bytes != chunk.bytes || earlier->sha256 != chunk.sha256) {
      return Err(Conflict("chunk " + std::to_string(chunk.index) + " of file " + file_id +
                          " was received before with different content"));
    }
    ASSIGN_OR_RETURN(Query touch, db_.Prepare(kTouchFile));
    RETURN_IF_ERROR(touch.BindText(1, file_id).BindInt(2, now_ms).BindInt(3, now_ms + ttl_ms).Run());
    return ChunkOutcome::kRepeat;
  }
  RETURN_IF_ERROR(CheckChunkPlace(file, chunk));
  {
    ASSIGN_OR_RETURN(Query insert, db_.Prepare(kInsertChunk));
    insert.BindText(1, file_id).BindInt(2, chunk.index).BindInt(3, chunk.offset);
    RETURN_IF_ERROR(insert.BindInt(4, chunk.bytes).BindText(5, chunk.sha256).Run());
  }
  ASSIGN_OR_RETURN(Query add, db_.Prepare(kAddChunk));
  add.BindText(1, file_id).BindInt(2, chunk.bytes).BindInt(3, now_ms);
  RETURN_IF_ERROR(add.BindInt(4, now_ms + ttl_ms).Run());
  return ChunkOutcome::kStored;
}

Result<std::vector<FileChunk>> Operations::ListFileChunks(const std::string& file_id) {
  RETURN_IF_ERROR(ValidateId(file_id, "file_id", limits_.jobs.id_bytes_max));
  ASSIGN_OR_RETURN(Query query, db_.Prepare(kSelectChunks));
  query.BindText(1, file_id);
  std::vector<FileChunk> chunks;
  while (true) {
    ASSIGN_OR_RETURN(const bool row, query.Step());
    if (!row) return chunks;
    chunks.push_back(ReadChunk(query));
  }
}

Result<FileCompleteOutcome> Operations::CompleteFile(const std::string& file_id,
                                                     const std::string& owner,
                                                     const std::string& sha256, int64_t now_ms) {
  RETURN_IF_ERROR(ValidateSha256Hex(sha256, "file sha256"));
  RETURN_IF_ERROR(ValidateNowMs(now_ms));
  ASSIGN_OR_RETURN(const FileRecord file, OwnedFile(file_id, owner));
  if (file.state == FileState::kComplete) {
    if (file.sha256 == sha256) return FileCompleteOutcome::kRepeat;
    return Err(FailedPrecondition("file " + file_id + " is complete with another sha256"));
  }
  RETURN_IF_ERROR(RefuseIfNotUploading(file, now_ms));
  if (file.received_bytes != file.size) {
    return Err(FailedPrecondition("file " + file_id + " has " + std::to_string(file.received_bytes) +
                                  " of its " + std::to_string(file.size) + " bytes"));
  }
  {
    ASSIGN_OR_RETURN(Query done, db_.Prepare(kCompleteFile));
    RETURN_IF_ERROR(done.BindText(1, file_id).BindText(2, sha256).BindInt(3, now_ms).Run());
  }
  {
    ASSIGN_OR_RETURN(Query chunks, db_.Prepare(kDeleteChunks));
    RETURN_IF_ERROR(chunks.BindText(1, file_id).Run());
  }
  RETURN_IF_ERROR(AddFileUsage(owner, -1, 0));
  // The file's sync row in the same transaction (store.h "File-canister
  // sync journal"); journal off: nothing.
  if (limits_.canister_sync) {
    RETURN_IF_ERROR(InsertSyncRow(
        NewSyncRow(sha256, SyncSource::kFile, file_id, owner, file.content_type, file.size, now_ms)));
  }
  return FileCompleteOutcome::kCompleted;
}

Result<std::vector<FileRecord>> Operations::ListFiles(const FileListQuery& q) {
  RETURN_IF_ERROR(ValidateId(q.owner, "file owner", limits_.jobs.principal_bytes_max));
  RETURN_IF_ERROR(ValidateText(q.job_id, "file job_id", limits_.jobs.id_bytes_max));
  RETURN_IF_ERROR(ValidateListLimit(q.limit, kFileListMax));
  int64_t after_seq = 0;
  if (!q.after_file_id.empty()) {
    RETURN_IF_ERROR(ValidateId(q.after_file_id, "after_file_id", limits_.jobs.id_bytes_max));
    ASSIGN_OR_RETURN(Query seq, db_.Prepare(kSeqOf));
    ASSIGN_OR_RETURN(const bool row, seq.BindText(1, q.after_file_id).Step());
    if (!row) return Err(NotFound("no file with id " + q.after_file_id));
    after_seq = seq.Int64(0);
  }
  ASSIGN_OR_RETURN(Query query, db_.Prepare(q.job_id.empty() ? kListFiles : kListFilesOfJob));
  query.BindText(1, q.owner).BindInt(2, after_seq).BindInt(3, q.limit);
  if (!q.job_id.empty()) query.BindText(4, q.job_id);
  return ReadFiles(query);
}

Result<std::vector<FileRecord>> Operations::ListJobFiles(const std::string& job_id, uint32_t limit) {
  RETURN_IF_ERROR(ValidateJobId(job_id));
  RETURN_IF_ERROR(ValidateListLimit(limit, kFileListMax));
  ASSIGN_OR_RETURN(Query query, db_.Prepare(kListJobFiles));
  query.BindText(1, job_id).BindInt(2, limit);
  return ReadFiles(query);
}

Result<DeletedFile> Operations::DeleteFile(const std::string& file_id, const std::string& owner) {
  ASSIGN_OR_RETURN(FileRecord file, OwnedFile(file_id, owner));
  if (!file.result_of.empty()) {
    return Err(FailedPrecondition("file " + file_id + " is the result of job " + file.result_of));
  }
  {
    ASSIGN_OR_RETURN(Query chunks, db_.Prepare(kDeleteChunks));
    RETURN_IF_ERROR(chunks.BindText(1, file_id).Run());
  }
  {
    ASSIGN_OR_RETURN(Query del, db_.Prepare(kDeleteFile));
    RETURN_IF_ERROR(del.BindText(1, file_id).Run());
  }
  const bool uploading = file.state == FileState::kUploading;
  RETURN_IF_ERROR(AddFileUsage(owner, uploading ? -1 : 0, -file.size));
  bool used = false;
  if (!uploading) {
    ASSIGN_OR_RETURN(used, IsBlobUsed(file.sha256));
  }
  return DeletedFile{std::move(file), used};
}

Result<std::vector<FileRecord>> Operations::ExpireUploads(int64_t now_ms, uint32_t limit) {
  RETURN_IF_ERROR(ValidateNowMs(now_ms));
  RETURN_IF_ERROR(ValidateListLimit(limit, kFileListMax));
  std::vector<FileRecord> expired;
  {
    ASSIGN_OR_RETURN(Query query, db_.Prepare(kExpired));
    query.BindInt(1, now_ms).BindInt(2, limit);
    ASSIGN_OR_RETURN(expired, ReadFiles(query));
  }
  for (const FileRecord& f : expired) {
    ASSIGN_OR_RETURN(Query chunks, db_.Prepare(kDeleteChunks));
    RETURN_IF_ERROR(chunks.BindText(1, f.file_id).Run());
    ASSIGN_OR_RETURN(Query del, db_.Prepare(kDeleteFile));
    RETURN_IF_ERROR(del.BindText(1, f.file_id).Run());
    RETURN_IF_ERROR(AddFileUsage(f.owner, -1, -f.size));
  }
  return expired;
}

Result<bool> Operations::IsBlobUsed(const std::string& sha256) {
  RETURN_IF_ERROR(ValidateSha256Hex(sha256, "blob sha256"));
  ASSIGN_OR_RETURN(Query query, db_.Prepare(kBlobUsed));
  ASSIGN_OR_RETURN(const bool row, query.BindText(1, sha256).Step());
  return row && query.Int64(0) != 0;
}

Status Operations::AdoptResultFile(const std::string& job_id, const JobCompletion& completion) {
  ASSIGN_OR_RETURN(std::optional<FileRecord> file, GetFile(completion.result_file_id));
  const std::string& id = completion.result_file_id;
  if (!file.has_value()) return FailedPrecondition("result file " + id + " does not exist");
  if (file->owner != completion.node_principal || file->job_id != job_id) {
    return FailedPrecondition("result file " + id + " is not " + completion.node_principal +
                              "'s file of job " + job_id);
  }
  if (file->state != FileState::kComplete || file->sha256 != completion.result_hash) {
    return FailedPrecondition("result file " + id + " is not complete with the result's hash");
  }
  if (!file->result_of.empty() && file->result_of != job_id) {
    return FailedPrecondition("file " + id + " is the result of job " + file->result_of);
  }
  {
    ASSIGN_OR_RETURN(Query mark, db_.Prepare(kMarkResult));
    RETURN_IF_ERROR(mark.BindText(1, id).BindText(2, job_id).Run());
  }
  ASSIGN_OR_RETURN(Query bytes, db_.Prepare(kSetResultBytes));
  return bytes.BindText(1, job_id).BindInt(2, file->size).Run();
}

}  // namespace sela::store::sqlite
