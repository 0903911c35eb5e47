#include "files/blob_dir.h"

#include <fcntl.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cerrno>
#include <cstring>
#include <utility>

namespace sela::files {
namespace {

constexpr size_t kHashReadBytes = 1 << 20;
constexpr size_t kCopyBufferBytes = 1 << 20;
constexpr size_t kIdBytesMax = 128;

Status ErrnoStatus(int error, std::string_view action, const std::string& path) {
  if (error == ENOSPC || error == EDQUOT || error == EFBIG) {
    return ResourceExhausted("No space left on the server's disk (" + std::string(action) + " " +
                             path + ")");
  }
  if (error == ENOENT) return NotFound(std::string(action) + " " + path + ": no such file");
  return Internal(std::string(action) + " " + path + ": " + std::strerror(error));
}

Status SyncDirectory(const std::string& path) {
  const int fd = ::open(path.c_str(), O_RDONLY | O_DIRECTORY | O_CLOEXEC);
  if (fd < 0) return ErrnoStatus(errno, "open directory", path);
  const int rc = ::fsync(fd);
  const int error = errno;
  ::close(fd);
  if (rc != 0) return ErrnoStatus(error, "fsync directory", path);
  return Status::Ok();
}

Status MakeDirectory(const std::string& path) {
  if (::mkdir(path.c_str(), 0700) == 0 || errno == EEXIST) return Status::Ok();
  return ErrnoStatus(errno, "mkdir", path);
}

Status Unlink(const std::string& path) {
  if (::unlink(path.c_str()) == 0 || errno == ENOENT) return Status::Ok();
  return ErrnoStatus(errno, "unlink", path);
}

}  // namespace

FileHandle::~FileHandle() {
  if (fd_ >= 0) ::close(fd_);
}

FileHandle& FileHandle::operator=(FileHandle&& other) noexcept {
  if (this != &other) {
    if (fd_ >= 0) ::close(fd_);
    fd_ = other.fd_;
    other.fd_ = -1;
  }
  return *this;
}

BlobDir::BlobDir(BlobDirOptions options) : options_(std::move(options)) {
  if (!options_.pwrite_fn) options_.pwrite_fn = ::pwrite;
}

Status BlobDir::Init() {
  RETURN_IF_ERROR(MakeDirectory(options_.root));
  return MakeDirectory(options_.root + "/uploads");
}

bool BlobDir::IsSafeId(std::string_view id) {
  if (id.empty() || id.size() > kIdBytesMax) return false;
  for (char c : id) {
    const bool ok = (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') || c == '_';
    if (!ok) return false;
  }
  return true;
}

std::string BlobDir::PartPath(std::string_view file_id) const {
  return options_.root + "/uploads/" + std::string(file_id) + ".part";
}

std::string BlobDir::BlobPath(std::string_view sha256) const {
  return options_.root + "/" + std::string(sha256.substr(0, 2)) + "/" + std::string(sha256);
}

Result<FileHandle> BlobDir::OpenPart(std::string_view file_id) const {
  if (!IsSafeId(file_id)) return Err(InvalidArgument("not a file id of this server"));
  const std::string path = PartPath(file_id);
  const int fd = ::open(path.c_str(), O_RDWR | O_CREAT | O_CLOEXEC, 0600);
  if (fd < 0) return Err(ErrnoStatus(errno, "open", path));
  return FileHandle(fd);
}

Status BlobDir::WriteAt(const FileHandle& file, int64_t offset, std::string_view bytes) const {
  size_t done = 0;
  while (done < bytes.size()) {
    const ssize_t n = options_.pwrite_fn(file.fd(), bytes.data() + done, bytes.size() - done,
                                         static_cast<off_t>(offset + static_cast<int64_t>(done)));
    if (n < 0) {
      if (errno == EINTR) continue;
      return ErrnoStatus(errno, "write", "an upload's part file");
    }
    if (n == 0) return ErrnoStatus(ENOSPC, "write", "an upload's part file");
    done += static_cast<size_t>(n);
  }
  return Status::Ok();
}

void BlobDir::StartWriteback(const FileHandle& file, int64_t offset, int64_t bytes) const {
  (void)::sync_file_range(file.fd(), static_cast<off_t>(offset), static_cast<off_t>(bytes), SYNC_FILE_RANGE_WRITE);
}

Result<std::string> BlobDir::ReadAt(const FileHandle& file, int64_t offset, size_t bytes) const {
  std::string out;
  int error = 0;
  // Filled by pread straight away: no zeroing of a buffer about to be
  // overwritten (a quarter of a download's copying).
  out.resize_and_overwrite(bytes, [&](char* buf, size_t) {
    size_t done = 0;
    while (done < bytes) {
      const ssize_t n = ::pread(file.fd(), buf + done, bytes - done,
                                static_cast<off_t>(offset + static_cast<int64_t>(done)));
      if (n < 0 && errno == EINTR) continue;
      if (n < 0) {
        error = errno;
        break;
      }
      if (n == 0) break;
      done += static_cast<size_t>(n);
    }
    return done;
  });
  if (error != 0) return Err(ErrnoStatus(error, "read", "a blob"));
  return out;
}

Result<std::string> BlobDir::HashFile(const FileHandle& file, int64_t size) const {
  Sha256 hash;
  int64_t offset = 0;
  while (offset < size) {
    const size_t want = static_cast<size_t>(std::min<int64_t>(size - offset, kHashReadBytes));
    ASSIGN_OR_RETURN(const std::string piece, ReadAt(file, offset, want));
    if (piece.size() != want) return Err(Internal("a part file is shorter than its chunks"));
    hash.Update(piece);
    offset += static_cast<int64_t>(want);
  }
  return hash.FinishHex();
}

Status BlobDir::CopyRanges(const FileHandle& from, const FileHandle& to,
                           const std::vector<PartRange>& ranges) const {
  int64_t out = 0;
  for (const PartRange& r : ranges) {
    int64_t done = 0;
    while (done < r.bytes) {
      const size_t want = static_cast<size_t>(std::min<int64_t>(r.bytes - done, kCopyBufferBytes));
      ASSIGN_OR_RETURN(const std::string piece, ReadAt(from, r.offset + done, want));
      if (piece.size() != want) return Internal("a part file is shorter than its chunks");
      RETURN_IF_ERROR(WriteAt(to, out, piece));
      done += static_cast<int64_t>(want);
      out += static_cast<int64_t>(want);
    }
  }
  return Status::Ok();
}

Status BlobDir::LinkBlob(const std::string& from, std::string_view sha256) const {
  const std::string dir = options_.root + "/" + std::string(sha256.substr(0, 2));
  RETURN_IF_ERROR(MakeDirectory(dir));
  const std::string to = BlobPath(sha256);
  // A blob already there has this content (its name is the content's hash).
  if (::link(from.c_str(), to.c_str()) != 0 && errno != EEXIST) {
    return ErrnoStatus(errno, "link", to);
  }
  return SyncDirectory(dir);
}

Result<BlobDir::Prepared> BlobDir::Prepare(std::string_view file_id,
                                          const std::vector<PartRange>& ranges, int64_t size,
                                          std::optional<std::string> known_sha256,
                                          std::string_view declared_sha256) const {
  if (!IsSafeId(file_id)) return Err(InvalidArgument("not a file id of this server"));
  int64_t expected = 0;
  bool in_place = true;
  for (const PartRange& r : ranges) {
    in_place = in_place && r.offset == expected;
    expected += r.bytes;
  }
  if (expected != size) return Err(InvalidArgument("the chunks do not add up to the file's size"));
  ASSIGN_OR_RETURN(FileHandle part, OpenPart(file_id));
  Prepared out{PartPath(file_id), ""};
  FileHandle assembled;
  if (in_place) {
    if (::ftruncate(part.fd(), static_cast<off_t>(size)) != 0) {
      return Err(ErrnoStatus(errno, "truncate", out.path));
    }
  } else {
    out.path = options_.root + "/uploads/" + std::string(file_id) + ".assemble";
    const int fd = ::open(out.path.c_str(), O_RDWR | O_CREAT | O_TRUNC | O_CLOEXEC, 0600);
    if (fd < 0) return Err(ErrnoStatus(errno, "open", out.path));
    assembled = FileHandle(fd);
    known_sha256.reset();  // It hashed the order of arrival.
  }
  const FileHandle& content = in_place ? part : assembled;
  auto fail = [&](Status st) -> Result<Prepared> {
    if (!in_place) (void)Unlink(out.path);
    return Err(std::move(st));
  };
  if (!in_place) {
    if (Status st = CopyRanges(part, assembled, ranges); !st.ok()) return fail(st);
  }
  if (known_sha256.has_value()) {
    out.sha256 = std::move(*known_sha256);
  } else {
    Result<std::string> hashed = HashFile(content, size);
    if (!hashed) return fail(hashed.error());
    out.sha256 = std::move(*hashed);
  }
  if (!declared_sha256.empty() && declared_sha256 != out.sha256) {
    return fail(InvalidArgument("SHA-256 mismatch: the client declared " + std::string(declared_sha256) +
                                ", the chunks received hash to " + out.sha256));
  }
  if (::fdatasync(content.fd()) != 0) return fail(ErrnoStatus(errno, "fdatasync", out.path));
  return out;
}

Status BlobDir::RemovePart(std::string_view file_id) const {
  if (!IsSafeId(file_id)) return InvalidArgument("not a file id of this server");
  RETURN_IF_ERROR(Unlink(PartPath(file_id)));
  return Unlink(options_.root + "/uploads/" + std::string(file_id) + ".assemble");
}

Status BlobDir::RemoveBlob(std::string_view sha256) const {
  if (!IsSha256Hex(sha256)) return InvalidArgument("not a SHA-256");
  return Unlink(BlobPath(sha256));
}

Result<FileHandle> BlobDir::OpenBlob(std::string_view sha256, int64_t* size) const {
  if (!IsSha256Hex(sha256)) return Err(InvalidArgument("not a SHA-256"));
  const std::string path = BlobPath(sha256);
  const int fd = ::open(path.c_str(), O_RDONLY | O_CLOEXEC);
  if (fd < 0) return Err(ErrnoStatus(errno, "open", path));
  FileHandle file(fd);
  struct stat st{};
  if (::fstat(fd, &st) != 0) return Err(ErrnoStatus(errno, "stat", path));
  *size = static_cast<int64_t>(st.st_size);
  return file;
}

}  // namespace sela::files
