#include "files/file_service.h"

// GCC 12 at -O3 warns that a moved-from std::expected<std::vector<...>> in a
// std::function argument "may be used uninitialized" (a false positive of
// its inliner, as in api/rpc_routes.cc); clang and -O0 builds see nothing.
#if defined(__GNUC__) && !defined(__clang__)
#pragma GCC diagnostic ignored "-Wmaybe-uninitialized"
#endif

#include <spdlog/spdlog.h>

#include <algorithm>
#include <climits>
#include <cstdio>
#include <utility>

#include "core/logging.h"

namespace sela::files {
namespace {

// Names are shown to clients and put in Content-Disposition, never in a
// path; still, anything that looks like a path or a header is refused.
bool IsSafeName(std::string_view name, size_t max) {
  if (name.empty() || name.size() > max || name == "." || name == "..") return false;
  for (unsigned char c : name) {
    if (c < 0x20 || c == 0x7f || c == '/' || c == '\\' || c == '"') return false;
  }
  return true;
}

// type/subtype with optional parameters, visible ASCII.
bool IsSafeContentType(std::string_view type, size_t max) {
  if (type.empty() || type.size() > max || type.find('/') == std::string_view::npos) return false;
  for (unsigned char c : type) {
    if (c < 0x20 || c >= 0x7f) return false;
  }
  return true;
}

}  // namespace

// A store refusal after our own checks passed means the file changed in
// between; its text may hold SQL, so it goes to the log and the client gets
// our words.
Status FileService::FromStore(const Status& st, std::string_view what) {
  switch (st.code()) {
    case Code::kNotFound:
      return NotFound("File not found");
    case Code::kPermissionDenied:
      return PermissionDenied("Unauthorized access to file");
    case Code::kResourceExhausted:
    case Code::kUnavailable:
    case Code::kDeadlineExceeded:
      spdlog::warn("file store busy{}", LogFields({{"operation", what}, {"error", st.ToString()}}));
      return Unavailable("the store is busy");
    case Code::kInvalidArgument:
    case Code::kConflict:
    case Code::kFailedPrecondition:
      spdlog::info("file store refusal{}", LogFields({{"operation", what}, {"error", st.ToString()}}));
      return Conflict("The file changed meanwhile; read it again");
    default:
      spdlog::error("file store failure{}", LogFields({{"operation", what}, {"error", st.ToString()}}));
      return Internal(std::string(what) + " failed");
  }
}


FileOptions FileOptions::FromConfig(const Config& config) {
  FileOptions o;
  o.root = config.data_path + "/blobs";
  o.file_bytes_max = static_cast<int64_t>(config.files.file_bytes_max);
  o.chunk_bytes_max = static_cast<int64_t>(config.files.chunk_bytes_max);
  o.chunks_max = config.files.chunks_max;
  o.open_uploads_max = config.files.open_uploads_max;
  o.node_bytes_max = static_cast<int64_t>(config.files.node_bytes_max);
  o.upload_ttl_ms = config.files.upload_ttl_ms;
  o.io_threads = config.files.io_threads;
  return o;
}

FileService::FileService(FileOptions options, const Clock& clock, store::Store& store,
                         store::PostFn post, std::function<uint64_t()> random,
                         BlobDirOptions dir_options)
    : options_(std::move(options)),
      clock_(clock),
      store_(store),
      post_(std::move(post)),
      random_(std::move(random)),
      dir_([&] {
        dir_options.root = options_.root;
        return BlobDir(std::move(dir_options));
      }()),
      io_(options_.io_threads, options_.io_queue_max) {}

FileService::~FileService() { *alive_ = false; }

Status FileService::Init() { return dir_.Init(); }

std::string FileService::NewFileId() {
  char hex[17];
  std::snprintf(hex, sizeof hex, "%016llx", static_cast<unsigned long long>(random_()));
  return "file_" + std::to_string(clock_.WallMs()) + "_" + hex;
}

void FileService::OffLoop(std::function<Status()> work, std::function<void(Status)> then) {
  auto shared_then = std::make_shared<std::function<void(Status)>>(std::move(then));
  const bool queued = io_.Submit([work = std::move(work), shared_then, post = post_, alive = alive_] {
    Status st = work();
    post([shared_then, st = std::move(st), alive] {
      if (*alive) (*shared_then)(st);
    });
  });
  if (!queued) (*shared_then)(Unavailable("the disk queue is full"));
}

Status FileService::CheckNewFile(const NewFile& r) const {
  if (!IsSafeName(r.name, options_.name_bytes_max)) {
    return InvalidArgument("Invalid file name: 1 to " + std::to_string(options_.name_bytes_max) +
                           " bytes, no control characters, '/', '\\' or '\"', not . or ..");
  }
  if (!IsSafeContentType(r.content_type, options_.content_type_bytes_max)) {
    return InvalidArgument("Invalid content_type: expected type/subtype of visible ASCII");
  }
  if (r.size < 0) return InvalidArgument("size must be a whole number of bytes >= 0");
  if (r.size > options_.file_bytes_max) {
    return InvalidArgument("size " + std::to_string(r.size) + " is over FILE_BYTES_MAX (" +
                           std::to_string(options_.file_bytes_max) + " bytes)");
  }
  if (r.chunk_bytes < 0 || r.chunk_bytes > options_.chunk_bytes_max) {
    return InvalidArgument("chunk_size must be 1 to FILE_CHUNK_BYTES_MAX (" +
                           std::to_string(options_.chunk_bytes_max) + " bytes)");
  }
  if (r.chunk_bytes > 0 && r.size > 0 &&
      (r.size + r.chunk_bytes - 1) / r.chunk_bytes > options_.chunks_max) {
    return InvalidArgument("size / chunk_size is more than FILE_CHUNKS_MAX (" +
                           std::to_string(options_.chunks_max) + ") chunks");
  }
  if (r.chunk_bytes > r.size && r.size > 0) return InvalidArgument("chunk_size is larger than size");
  if (!r.sha256.empty() && !IsSha256Hex(r.sha256)) {
    return InvalidArgument("sha256 must be 64 lowercase hex digits");
  }
  if (!r.job_id.empty() && !BlobDir::IsSafeId(r.job_id)) return InvalidArgument("Invalid job_id");
  return Status::Ok();
}

void FileService::Create(const std::string& owner, NewFile r,
                         std::function<void(Result<store::FileRecord>)> done) {
  if (Status st = CheckNewFile(r); !st.ok()) return done(Err(st));
  store::FileRecord file;
  file.file_id = NewFileId();
  file.owner = owner;
  file.job_id = std::move(r.job_id);
  file.name = std::move(r.name);
  file.content_type = std::move(r.content_type);
  file.size = r.size;
  file.chunk_bytes = r.chunk_bytes;
  file.declared_sha256 = std::move(r.sha256);
  file.created_ms = clock_.WallMs();
  file.updated_ms = file.created_ms;
  file.expires_ms = file.created_ms + options_.upload_ttl_ms;
  const store::FileQuota quota{.open_uploads_max = options_.open_uploads_max,
                               .owner_bytes_max = options_.node_bytes_max};
  store_.CreateFile(file, quota, [this, done = std::move(done)](Result<store::FileRecord> created) {
    if (created) return done(std::move(created));
    const Status& st = created.error();
    switch (st.code()) {
      case Code::kNotFound:
        return done(Err(NotFound("Job not found")));
      case Code::kFailedPrecondition:
        return done(Err(FailedPrecondition("The job is not leased to this node")));
      case Code::kResourceExhausted:
        return done(Err(ResourceExhausted(
            "Upload quota exceeded: at most " + std::to_string(options_.open_uploads_max) +
            " uploads open (FILE_OPEN_UPLOADS_MAX) and " + std::to_string(options_.node_bytes_max) +
            " bytes of files (FILE_NODE_BYTES_MAX) per node")));
      default:
        return done(Err(FromStore(st, "CreateFile")));
    }
  });
}

void FileService::Get(const std::string& file_id,
                      std::function<void(Result<std::optional<store::FileRecord>>)> done) {
  if (!BlobDir::IsSafeId(file_id)) return done(Err(InvalidArgument("Invalid file id")));
  store_.GetFile(file_id, [done = std::move(done)](Result<std::optional<store::FileRecord>> f) {
    if (!f) return done(Err(FromStore(f.error(), "GetFile")));
    done(std::move(f));
  });
}

void FileService::List(const store::FileListQuery& query,
                       std::function<void(Result<std::vector<store::FileRecord>>)> done) {
  if (!query.job_id.empty() && !BlobDir::IsSafeId(query.job_id)) {
    return done(Err(InvalidArgument("Invalid job_id")));
  }
  if (!query.after_file_id.empty() && !BlobDir::IsSafeId(query.after_file_id)) {
    return done(Err(InvalidArgument("Invalid start_id")));
  }
  store_.ListFiles(query, [done = std::move(done)](Result<std::vector<store::FileRecord>> files) {
    if (!files && files.error().code() == Code::kNotFound) {
      return done(Err(InvalidArgument("start_id is not a file")));
    }
    if (!files) return done(Err(FromStore(files.error(), "ListFiles")));
    done(std::move(files));
  });
}

void FileService::ForgetUpload(const std::string& file_id) { prefix_.erase(file_id); }

bool FileService::Arriving(const std::string& file_id) const {
  const auto it = arriving_.lower_bound({file_id, INT64_MIN});
  return it != arriving_.end() && it->first == file_id;
}

void FileService::Delete(const std::string& owner, const std::string& file_id,
                         std::function<void(Status)> done) {
  if (!BlobDir::IsSafeId(file_id)) return done(InvalidArgument("Invalid file id"));
  if (completing_.contains(file_id) || Arriving(file_id)) {
    return done(Conflict("The file is being uploaded; try again when the upload is done"));
  }
  store_.DeleteFile(file_id, owner, [this, file_id, done = std::move(done)](Result<store::DeletedFile> d) {
    if (!d) {
      if (d.error().code() == Code::kFailedPrecondition) {
        return done(FailedPrecondition("The file is a job's result and cannot be deleted"));
      }
      return done(FromStore(d.error(), "DeleteFile"));
    }
    ForgetUpload(file_id);
    if (d->file.state == store::FileState::kUploading) {
      OffLoop([this, file_id] { return dir_.RemovePart(file_id); }, [](Status st) {
        if (!st.ok()) spdlog::warn("part file not removed{}", LogFields({{"error", st.ToString()}}));
      });
    } else if (!d->blob_still_used) {
      RemoveBlobUnlessUsed(d->file.sha256);
    }
    done(Status::Ok());
  });
}

void FileService::RemoveBlobUnlessUsed(const std::string& sha256) {
  // A completion of the same content is linking or recording it now.
  if (pinned_.contains(sha256) || removing_.contains(sha256)) return;
  removing_[sha256];
  OffLoop([this, sha256] { return dir_.RemoveBlob(sha256); }, [this, sha256](Status st) {
    if (!st.ok()) spdlog::warn("blob not removed{}", LogFields({{"error", st.ToString()}}));
    auto waiting = std::move(removing_[sha256]);
    removing_.erase(sha256);
    for (Done& then : waiting) then();
  });
}

void FileService::Sweep() {
  store_.ExpireUploads(clock_.WallMs(), options_.sweep_batch_max,
                       [this](Result<std::vector<store::FileRecord>> expired) {
                         if (!expired) {
                           spdlog::warn("upload expiry failed{}", LogFields({{"error", expired.error().ToString()}}));
                           return;
                         }
                         for (const store::FileRecord& f : *expired) {
                           ForgetUpload(f.file_id);
                           OffLoop([this, id = f.file_id] { return dir_.RemovePart(id); }, [](Status) {});
                         }
                       });
}

void FileService::OpenBlob(const std::string& sha256, int64_t size,
                           std::function<void(Result<std::shared_ptr<BlobReader>>)> done) {
  auto slot = std::make_shared<Result<FileHandle>>(Err(Internal("not opened")));
  auto actual = std::make_shared<int64_t>(0);
  OffLoop(
      [this, sha256, slot, actual] {
        *slot = dir_.OpenBlob(sha256, actual.get());
        return slot->has_value() ? Status::Ok() : slot->error();
      },
      [this, slot, actual, size, sha256, done = std::move(done)](Status st) {
        if (!st.ok()) {
          if (st.code() != Code::kNotFound && st.code() != Code::kUnavailable) {
            spdlog::error("blob not readable{}", LogFields({{"sha256", sha256}, {"error", st.ToString()}}));
          }
          return done(Err(st));
        }
        if (*actual != size) {
          spdlog::error("blob has the wrong length{}",
                        LogFields({{"sha256", sha256}, {"bytes", std::to_string(*actual)}}));
          return done(Err(Internal("the stored file is damaged")));
        }
        done(std::make_shared<BlobReader>(std::move(**slot), size, dir_, io_, post_, alive_));
      });
}

void FileService::ReadBlob(const std::string& sha256, int64_t bytes_max,
                           std::function<void(Result<std::string>)> done) {
  auto bytes = std::make_shared<std::string>();
  OffLoop(
      [this, sha256, bytes_max, bytes]() -> Status {
        int64_t size = 0;
        ASSIGN_OR_RETURN(FileHandle file, dir_.OpenBlob(sha256, &size));
        if (size > bytes_max) return InvalidArgument("the file is larger than " + std::to_string(bytes_max) + " bytes");
        ASSIGN_OR_RETURN(*bytes, dir_.ReadAt(file, 0, static_cast<size_t>(size)));
        return Status::Ok();
      },
      [this, sha256, bytes_max, bytes, done = std::move(done)](Status st) mutable {
        if (st.code() == Code::kNotFound && remote_) {
          return FetchRemote(sha256, [bytes_max, done = std::move(done)](Result<std::string> r) {
            if (r && static_cast<int64_t>(r->size()) > bytes_max) {
              return done(Err(InvalidArgument("the file is larger than " + std::to_string(bytes_max) + " bytes")));
            }
            done(std::move(r));
          });
        }
        if (!st.ok()) return done(Err(st));
        done(std::move(*bytes));
      });
}

void FileService::FetchRemote(const std::string& sha256, std::function<void(Result<std::string>)> done) {
  if (!remote_) return done(Err(NotFound("no remote copy")));
  remote_(sha256, std::move(done));
}

BlobReader::BlobReader(FileHandle file, int64_t size, const BlobDir& dir, IoPool& io,
                       store::PostFn post, std::shared_ptr<bool> alive)
    : file_(std::move(file)), size_(size), dir_(dir), io_(io), post_(std::move(post)), alive_(std::move(alive)) {}

void BlobReader::Read(int64_t offset, size_t bytes, std::function<void(Result<std::string>)> done) {
  auto shared_done = std::make_shared<std::function<void(Result<std::string>)>>(std::move(done));
  const bool queued = io_.Submit([self = shared_from_this(), offset, bytes, shared_done] {
    Result<std::string> piece = self->dir_.ReadAt(self->file_, offset, bytes);
    self->post_([self, shared_done, piece = std::move(piece)]() mutable {
      if (*self->alive_) (*shared_done)(std::move(piece));
    });
  });
  if (!queued) (*shared_done)(Err(Unavailable("the disk queue is full")));
}

}  // namespace sela::files
