#include "store/sqlite/database.h"

#include <sqlite3.h>

#include <algorithm>
#include <chrono>
#include <cstdint>
#include <mutex>
#include <string>
#include <utility>

namespace sela::store::sqlite {
namespace {

Code CodeFor(int rc) {
  switch (rc) {
    case SQLITE_CONSTRAINT_CHECK:
    case SQLITE_CONSTRAINT_NOTNULL:
    case SQLITE_CONSTRAINT_DATATYPE:
      return Code::kInvalidArgument;
    default:
      break;
  }
  switch (rc & 0xff) {
    case SQLITE_BUSY:
    case SQLITE_LOCKED:
    case SQLITE_IOERR:
    case SQLITE_PROTOCOL:
    case SQLITE_CANTOPEN:
    case SQLITE_READONLY:
    case SQLITE_INTERRUPT:
      return Code::kUnavailable;
    case SQLITE_FULL:
    case SQLITE_NOMEM:
      return Code::kUnavailable;
    case SQLITE_TOOBIG:
      return Code::kInvalidArgument;
    case SQLITE_CONSTRAINT:
      return Code::kConflict;
    default:  // CORRUPT, NOTADB, MISUSE, ERROR, SCHEMA, RANGE, MISMATCH, ...
      return Code::kInternal;
  }
}

// The start of a statement's text, enough to recognise it in a message.
std::string_view Abbreviate(const char* sql) {
  constexpr size_t kShownBytesMax = 60;
  if (sql == nullptr) return "?";
  std::string_view text(sql);
  return text.substr(0, kShownBytesMax);
}

}  // namespace

uint32_t FaultsOf(int rc) {
  switch (rc & 0xff) {
    case SQLITE_FULL: return fault::kFull;
    case SQLITE_CORRUPT:
    case SQLITE_NOTADB: return fault::kDamaged;
    case SQLITE_READONLY: return fault::kReadOnly;
    default: return 0;
  }
}

Status StatusFromSqlite(int rc, std::string_view context, std::string_view detail) {
  std::string message(context);
  message += ": ";
  message += detail;
  message += " (";
  message += sqlite3_errstr(rc);
  message += ", code " + std::to_string(rc) + ")";
  return Status(CodeFor(rc), std::move(message));
}

Query::Query(Query&& other) noexcept
    : db_(other.db_), stmt_(std::exchange(other.stmt_, nullptr)), faults_(other.faults_), bind_rc_(other.bind_rc_) {}

Query::~Query() {
  if (stmt_ == nullptr) return;
  sqlite3_reset(stmt_);
  sqlite3_clear_bindings(stmt_);
}

Query& Query::BindInt(int index, int64_t value) {
  if (bind_rc_ == SQLITE_OK) bind_rc_ = sqlite3_bind_int64(stmt_, index, value);
  return *this;
}

Query& Query::BindDouble(int index, double value) {
  if (bind_rc_ == SQLITE_OK) bind_rc_ = sqlite3_bind_double(stmt_, index, value);
  return *this;
}

Query& Query::BindText(int index, std::string_view value) {
  // SQLITE_TRANSIENT: SQLite copies the text, so the caller's buffer may go.
  if (bind_rc_ == SQLITE_OK) {
    bind_rc_ = sqlite3_bind_text64(stmt_, index, value.data(), value.size(), SQLITE_TRANSIENT,
                                   SQLITE_UTF8);
  }
  return *this;
}

Query& Query::BindOptionalDouble(int index, std::optional<double> value) {
  if (value.has_value()) return BindDouble(index, *value);
  if (bind_rc_ == SQLITE_OK) bind_rc_ = sqlite3_bind_null(stmt_, index);
  return *this;
}

Query& Query::BindBlob(int index, std::string_view bytes) {
  if (bind_rc_ != SQLITE_OK) return *this;
  // A null data pointer would bind NULL, so empty bytes are a zero-length blob.
  bind_rc_ = bytes.empty() ? sqlite3_bind_zeroblob(stmt_, index, 0)
                           : sqlite3_bind_blob64(stmt_, index, bytes.data(), bytes.size(),
                                                 SQLITE_TRANSIENT);
  return *this;
}

Result<bool> Query::Step() {
  if (bind_rc_ != SQLITE_OK) return Err(Error(bind_rc_, "bind"));
  const int rc = sqlite3_step(stmt_);
  if (rc == SQLITE_ROW) return true;
  if (rc == SQLITE_DONE) return false;
  return Err(Error(rc, "step"));
}

Status Query::Run() {
  while (true) {
    ASSIGN_OR_RETURN(const bool row, Step());
    if (!row) return Status::Ok();
  }
}

int64_t Query::Int64(int column) const { return sqlite3_column_int64(stmt_, column); }

double Query::Double(int column) const { return sqlite3_column_double(stmt_, column); }

std::string Query::Text(int column) const {
  const auto* text = reinterpret_cast<const char*>(sqlite3_column_text(stmt_, column));
  if (text == nullptr) return {};
  return std::string(text, static_cast<size_t>(sqlite3_column_bytes(stmt_, column)));
}

std::string Query::Blob(int column) const {
  const auto* bytes = static_cast<const char*>(sqlite3_column_blob(stmt_, column));
  if (bytes == nullptr) return {};
  return std::string(bytes, static_cast<size_t>(sqlite3_column_bytes(stmt_, column)));
}

Status Query::Error(int rc, std::string_view action) const {
  std::string context(action);
  context += " '";
  context += Abbreviate(sqlite3_sql(stmt_));
  context += "'";
  // A bind error is not recorded as the connection's last error.
  const char* detail = action == "bind" ? sqlite3_errstr(rc) : sqlite3_errmsg(db_);
  if (faults_ != nullptr) *faults_ |= FaultsOf(rc);
  return StatusFromSqlite(rc, context, detail);
}

namespace {

// Once per process, before SQLite initializes: no memory statistics, which
// would take a global mutex on every allocation SQLite makes (nothing here
// reads them). Fails harmlessly if something initialized SQLite first.
void ConfigureSqliteOnce() {
  static std::once_flag once;
  std::call_once(once, [] { (void)sqlite3_config(SQLITE_CONFIG_MEMSTATUS, 0); });
}

}  // namespace

Result<std::unique_ptr<Database>> Database::Open(const std::string& path,
                                                 uint32_t busy_timeout_ms) {
  ConfigureSqliteOnce();
  sqlite3* db = nullptr;
  const int flags =
      SQLITE_OPEN_READWRITE | SQLITE_OPEN_CREATE | SQLITE_OPEN_NOMUTEX | SQLITE_OPEN_EXRESCODE;
  const int rc = sqlite3_open_v2(path.c_str(), &db, flags, nullptr);
  if (rc != SQLITE_OK) {
    const std::string detail = db != nullptr ? sqlite3_errmsg(db) : sqlite3_errstr(rc);
    sqlite3_close_v2(db);
    return Err(StatusFromSqlite(rc, "open", detail));
  }
  sqlite3_busy_timeout(db, static_cast<int>(std::min<uint32_t>(busy_timeout_ms, INT32_MAX)));
  return std::unique_ptr<Database>(new Database(db, path));
}

Database::~Database() {
  for (auto& [sql, stmt] : statements_) sqlite3_finalize(stmt);
  sqlite3_close_v2(db_);
}

Status Database::Exec(const std::string& sql) {
  char* error = nullptr;
  const int rc = sqlite3_exec(db_, sql.c_str(), nullptr, nullptr, &error);
  if (rc == SQLITE_OK) return Status::Ok();
  const std::string detail = error != nullptr ? error : sqlite3_errmsg(db_);
  sqlite3_free(error);
  faults_ |= FaultsOf(rc);
  return StatusFromSqlite(rc, std::string("exec '") + std::string(Abbreviate(sql.c_str())) + "'",
                          detail);
}

Result<Query> Database::Prepare(std::string_view sql) {
  auto it = statements_.find(sql);
  if (it == statements_.end()) {
    sqlite3_stmt* stmt = nullptr;
    const int rc = sqlite3_prepare_v3(db_, sql.data(), static_cast<int>(sql.size()),
                                      SQLITE_PREPARE_PERSISTENT, &stmt, nullptr);
    if (rc != SQLITE_OK) {
      faults_ |= FaultsOf(rc);
      return Err(StatusFromSqlite(rc, "prepare '" + std::string(sql.substr(0, 60)) + "'",
                                  sqlite3_errmsg(db_)));
    }
    it = statements_.emplace(std::string(sql), stmt).first;
  }
  if (sqlite3_stmt_busy(it->second)) {
    return Err(Internal("statement already in use: '" + std::string(sql.substr(0, 60)) + "'"));
  }
  return Query(db_, it->second, &faults_);
}

Result<Query> Database::PrepareStatic(const char* sql) {
  auto it = static_statements_.find(sql);
  if (it == static_statements_.end()) {
    ASSIGN_OR_RETURN(Query query, Prepare(std::string_view(sql)));
    it = static_statements_.emplace(sql, query.stmt_).first;
    return query;
  }
  if (sqlite3_stmt_busy(it->second)) {
    return Err(Internal("statement already in use: '" + std::string(std::string_view(sql).substr(0, 60)) + "'"));
  }
  return Query(db_, it->second, &faults_);
}

Status Database::Run(std::string_view sql) {
  ASSIGN_OR_RETURN(Query query, Prepare(sql));
  return query.Run();
}

int64_t Database::Changes() const { return sqlite3_changes64(db_); }

int64_t Database::TotalChanges() const { return sqlite3_total_changes64(db_); }

Result<std::string> Database::QuickCheck(uint32_t time_budget_ms, const Clock& clock) {
  // The progress handler runs every 1,000 virtual machine steps; a non-zero
  // answer interrupts the statement.
  struct Deadline {
    const Clock& clock;
    MonoTime at;
  } deadline{clock, clock.Now() + Millis(time_budget_ms)};
  sqlite3_progress_handler(
      db_, 1000,
      [](void* arg) {
        const auto* d = static_cast<Deadline*>(arg);
        return d->clock.Now() >= d->at ? 1 : 0;
      },
      &deadline);
  sqlite3_stmt* stmt = nullptr;
  int rc = sqlite3_prepare_v2(db_, "PRAGMA quick_check(1)", -1, &stmt, nullptr);
  std::string first;
  if (rc == SQLITE_OK) {
    rc = sqlite3_step(stmt);
    if (rc == SQLITE_ROW) {
      const auto* text = reinterpret_cast<const char*>(sqlite3_column_text(stmt, 0));
      first = text != nullptr ? text : "";
      rc = SQLITE_OK;
    }
  }
  const std::string detail = sqlite3_errmsg(db_);
  sqlite3_finalize(stmt);
  sqlite3_progress_handler(db_, 0, nullptr, nullptr);
  if ((rc & 0xff) == SQLITE_INTERRUPT) {
    return Err(Unavailable("quick_check did not finish within " + std::to_string(time_budget_ms) + " ms"));
  }
  if (rc != SQLITE_OK && rc != SQLITE_DONE) {
    faults_ |= FaultsOf(rc);
    // A check that cannot even run on the file says the same as a failed one.
    if (FaultsOf(rc) & fault::kDamaged) return std::string(detail);
    return Err(StatusFromSqlite(rc, "quick_check", detail));
  }
  return first;
}

bool Database::InTransaction() const { return sqlite3_get_autocommit(db_) == 0; }

ConnectionTotals Database::Totals() const {
  ConnectionTotals totals;
  for (const auto& [sql, stmt] : statements_) {
    totals.statements += static_cast<uint32_t>(sqlite3_stmt_status(stmt, SQLITE_STMTSTATUS_RUN, 0));
    totals.vm_steps +=
        static_cast<uint32_t>(sqlite3_stmt_status(stmt, SQLITE_STMTSTATUS_VM_STEP, 0));
  }
  int written = 0;
  int highwater = 0;
  sqlite3_db_status(db_, SQLITE_DBSTATUS_CACHE_WRITE, &written, &highwater, 0);
  totals.pages_written = static_cast<uint32_t>(written);
  return totals;
}

Result<CheckpointOutcome> Database::Checkpoint() {
  int wal_frames = 0;
  int backfilled = 0;
  const int rc = sqlite3_wal_checkpoint_v2(db_, "main", SQLITE_CHECKPOINT_PASSIVE, &wal_frames,
                                           &backfilled);
  if (rc != SQLITE_OK) return Err(StatusFromSqlite(rc, "checkpoint", sqlite3_errmsg(db_)));
  return CheckpointOutcome{.wal_frames = wal_frames, .backfilled = backfilled};
}

void Database::Interrupt() { sqlite3_interrupt(db_); }

void Database::OnCommit(std::function<void(int64_t wal_frames)> hook) {
  on_commit_ = std::move(hook);
  if (!on_commit_) {
    sqlite3_wal_hook(db_, nullptr, nullptr);
    return;
  }
  sqlite3_wal_hook(
      db_,
      [](void* self, sqlite3*, const char*, int frames) {
        static_cast<Database*>(self)->on_commit_(frames);
        return SQLITE_OK;
      },
      this);
}

}  // namespace sela::store::sqlite
