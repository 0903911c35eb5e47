// Database and Query: a thin layer over the SQLite C API that reports every
// failure as a Status whose code says what the caller should do, and keeps
// prepared statements cached for the life of the connection.
//
// Thread-safety: a Database and its Queries are used by one thread at a time
// (the store's writer thread). The connection is opened without SQLite's own
// mutex, so handing it between threads needs a happens-before edge (such as
// starting the thread that takes it over).
#pragma once

#include <cstdint>
#include <functional>
#include <memory>
#include <optional>
#include <string>
#include <string_view>
#include <unordered_map>
#include <utility>

#include "core/clock.h"
#include "core/status.h"

struct sqlite3;
struct sqlite3_stmt;

namespace sela::store::sqlite {

// Maps an SQLite result code (primary or extended) to a Status:
// Unavailable for what may pass (busy, locked, I/O errors, cannot open, a
// full disk, no memory), InvalidArgument for values the schema refuses
// (CHECK, NOT NULL, too big), Conflict for other constraint violations, and
// Internal for corruption, misuse and SQL errors, which are bugs or damage.
// The message is "<context>: <detail> (<code>)"; it holds SQL text, so it is
// for logs, never for a client. (A full disk is not ResourceExhausted: that
// code means a quota the caller hit, such as an API key's usage limit.)
Status StatusFromSqlite(int rc, std::string_view context, std::string_view detail);

// Failures the store watches for on a connection (Database::TakeFaults).
namespace fault {
inline constexpr uint32_t kFull = 1 << 0;      // SQLITE_FULL: no space left.
inline constexpr uint32_t kDamaged = 1 << 1;   // SQLITE_CORRUPT, SQLITE_NOTADB.
inline constexpr uint32_t kReadOnly = 1 << 2;  // SQLITE_READONLY.
}  // namespace fault

// The fault bits of a result code (0 for others).
uint32_t FaultsOf(int rc);

// A cached prepared statement lent out for one use. Bind, then Step or Run;
// on destruction the statement is reset and its bindings cleared, so that it
// holds no read snapshot and is ready for the next use. Bind errors are kept
// and reported by the next Step or Run, which keeps call sites short.
class Query {
 public:
  Query(Query&& other) noexcept;
  Query& operator=(Query&&) = delete;
  Query(const Query&) = delete;
  ~Query();

  // Parameters are numbered from 1, as in SQLite.
  Query& BindInt(int index, int64_t value);
  Query& BindDouble(int index, double value);
  Query& BindText(int index, std::string_view value);
  // NULL when absent.
  Query& BindOptionalDouble(int index, std::optional<double> value);
  // Bytes as a BLOB (an empty one for empty bytes, never NULL).
  Query& BindBlob(int index, std::string_view bytes);

  // Advances to the next row: true when one is ready, false at the end.
  Result<bool> Step();
  // Steps to the end, ignoring any rows.
  Status Run();

  // Columns of the current row, numbered from 0.
  int64_t Int64(int column) const;
  double Double(int column) const;
  std::string Text(int column) const;
  std::string Blob(int column) const;

 private:
  friend class Database;
  Query(sqlite3* db, sqlite3_stmt* stmt, uint32_t* faults) : db_(db), stmt_(stmt), faults_(faults) {}
  Status Error(int rc, std::string_view action) const;

  sqlite3* db_;
  sqlite3_stmt* stmt_;
  uint32_t* faults_;  // The connection's, see Database::TakeFaults.
  int bind_rc_ = 0;  // SQLITE_OK
};

// What a connection has done since it opened, summed over its cached
// statements (tools use it to count SQLite's work per operation). Each
// statement's counts are SQLite ints, so they are meant for runs of fewer
// than 2^31 executions or steps per statement.
// One checkpoint pass: frames in the WAL, and how many of them the database
// file now holds (all of them: the next writer starts the WAL over).
struct CheckpointOutcome {
  int64_t wal_frames = 0;
  int64_t backfilled = 0;
};

struct ConnectionTotals {
  uint64_t statements = 0;     // Executions of cached statements.
  uint64_t vm_steps = 0;       // Virtual machine instructions they ran.
  uint64_t pages_written = 0;  // Pages written out; in WAL mode, frames appended.
};

class Database {
 public:
  // Opens the database file at `path`, creating it if absent. Waits up to
  // `busy_timeout_ms` for a lock held by another connection before an
  // operation reports Unavailable.
  static Result<std::unique_ptr<Database>> Open(const std::string& path, uint32_t busy_timeout_ms);
  ~Database();
  Database(const Database&) = delete;
  Database& operator=(const Database&) = delete;

  // Runs SQL text that may hold several statements and returns no rows
  // (schema changes). Not cached.
  Status Exec(const std::string& sql);
  // The cached statement for `sql` (prepared on first use). One Query per
  // statement text may be alive at a time.
  Result<Query> Prepare(std::string_view sql);
  // The same for SQL text in a character array, which must have static
  // storage (a literal, or a constexpr array as the operations keep their
  // statements in): found by its address, without hashing and comparing
  // the text on every use (the store's writer prepares a few statements
  // per operation). Never pass a local buffer.
  template <size_t N>
  Result<Query> Prepare(const char (&sql)[N]) {
    return PrepareStatic(sql);
  }
  // Prepare(sql) and Run().
  Status Run(std::string_view sql);
  template <size_t N>
  Status Run(const char (&sql)[N]) {
    ASSIGN_OR_RETURN(Query query, PrepareStatic(sql));
    return query.Run();
  }

  // Rows changed by the last INSERT, UPDATE or DELETE.
  int64_t Changes() const;
  // Rows changed since the connection opened (committed or not).
  int64_t TotalChanges() const;
  // The fault bits (namespace fault) of every failure since the last call.
  uint32_t TakeFaults() { return std::exchange(faults_, 0); }
  // PRAGMA quick_check, stopped after `time_budget_ms`: "ok", or the first
  // problem it found; Unavailable when it ran out of time.
  Result<std::string> QuickCheck(uint32_t time_budget_ms, const Clock& clock);
  // False in autocommit mode. After some errors (I/O, full disk) SQLite rolls
  // the whole transaction back by itself; this is how the writer notices.
  bool InTransaction() const;
  ConnectionTotals Totals() const;

  // A PASSIVE checkpoint: copies into the database file what the WAL holds
  // beyond what readers still need, without waiting for any lock. Another
  // connection's checkpoint in progress makes it Unavailable.
  Result<CheckpointOutcome> Checkpoint();
  // Makes the operation running on this connection (on another thread)
  // stop soon with an Unavailable error. Safe from any thread.
  void Interrupt();
  // Calls `hook` after each commit of this connection with the number of
  // frames the WAL then holds, in place of SQLite's automatic checkpoint
  // (so PRAGMA wal_autocheckpoint must not run after it). Empty: none.
  void OnCommit(std::function<void(int64_t wal_frames)> hook);
  const std::string& path() const { return path_; }

 private:
  Database(sqlite3* db, std::string path) : db_(db), path_(std::move(path)) {}

  struct StringHash {
    using is_transparent = void;
    size_t operator()(std::string_view s) const { return std::hash<std::string_view>{}(s); }
  };

  Result<Query> PrepareStatic(const char* sql);

  sqlite3* db_;
  std::string path_;
  std::unordered_map<std::string, sqlite3_stmt*, StringHash, std::equal_to<>> statements_;
  // The same statements by the address of their static text (Prepare of an
  // array); they are finalized through statements_.
  std::unordered_map<const char*, sqlite3_stmt*> static_statements_;
  std::function<void(int64_t)> on_commit_;
  uint32_t faults_ = 0;
};

}  // namespace sela::store::sqlite
