#include "store/sqlite/open_checks.h"

#include <fcntl.h>
#include <unistd.h>

#include <cerrno>
#include <cstring>
#include <filesystem>
#include <spdlog/spdlog.h>
#include <system_error>

#include "core/logging.h"

namespace sela::store::sqlite {

Status PrepareDataFile(const std::string& path) {
  std::filesystem::path parent = std::filesystem::path(path).parent_path();
  if (parent.empty()) parent = ".";
  std::error_code error;
  std::filesystem::create_directories(parent, error);
  if (error) {
    return FailedPrecondition("cannot create directory " + parent.string() + " for the store " + path + ": " +
                              error.message());
  }
  // access() tells a read-only file system apart even to root, whom
  // permission bits do not stop.
  if (::access(parent.c_str(), W_OK) != 0) {
    return FailedPrecondition("the data directory " + parent.string() + " is not writable (" +
                              std::strerror(errno) + "): set DATA_PATH to a writable directory");
  }
  // The database holds API key hashes and every node's data: readable by
  // the server's user only. SQLite gives its -wal and -shm files the mode of
  // the database file, so creating that one 0600 covers all three. An
  // existing file keeps the mode its operator gave it.
  const int fd = ::open(path.c_str(), O_RDWR | O_CREAT | O_EXCL | O_CLOEXEC, 0600);
  if (fd >= 0) {
    ::close(fd);
  } else if (errno != EEXIST) {
    return FailedPrecondition("cannot create the store " + path + ": " + std::strerror(errno));
  }
  if (::access(path.c_str(), R_OK | W_OK) != 0) {
    return FailedPrecondition("the store " + path + " is not writable (" + std::strerror(errno) + ")");
  }
  return Status::Ok();
}

Status CheckWritable(Database& db, StoreHealth& health) {
  (void)db.TakeFaults();
  Status status = db.Run("BEGIN IMMEDIATE");
  if (status.ok()) status = db.Run("UPDATE counters SET value = value WHERE name = 'session_id'");
  if (status.ok()) status = db.Run("COMMIT");
  if (!status.ok() && db.InTransaction()) (void)db.Run("ROLLBACK");
  const uint32_t faults = db.TakeFaults();
  if (status.ok() || (faults & fault::kFull)) {
    health.AfterWrite(faults);
    return Status::Ok();
  }
  if (faults & fault::kReadOnly) {
    return FailedPrecondition("the store " + db.path() + " cannot be written (read-only): " + status.message());
  }
  return status;
}

void CheckIntegrity(Database& db, uint32_t time_budget_ms, const Clock& clock, StoreHealth& health) {
  if (time_budget_ms == 0) return;
  const Result<std::string> verdict = db.QuickCheck(time_budget_ms, clock);
  if (!verdict.has_value()) {
    spdlog::warn("store integrity check incomplete: the file was not fully checked{}",
                 LogFields({{"path", db.path()}, {"error", verdict.error().ToString()}}));
    return;
  }
  if (*verdict == "ok") return;
  health.MarkDamaged("quick_check at start: " + verdict->substr(0, 200));
}

}  // namespace sela::store::sqlite
