#include "store/sqlite/schema.h"

#include <span>
#include <string>

namespace sela::store::sqlite {
namespace {

// Counters start at 0 and the first value handed out is 1. Uint32 fields of
// the domain types carry range checks so that an overflow is refused rather
// than read back truncated.
constexpr const char* kMigrations[] = {
    // v1: nodes, counters, uptime per principal and UTC day.
    R"sql(
CREATE TABLE nodes (
  principal TEXT PRIMARY KEY NOT NULL,
  numeric_id INTEGER NOT NULL UNIQUE,
  client_id TEXT NOT NULL,
  referral_code TEXT NOT NULL UNIQUE,
  status TEXT NOT NULL CHECK (status IN ('inactive', 'active')),
  max_concurrent_jobs INTEGER NOT NULL CHECK (max_concurrent_jobs BETWEEN 0 AND 4294967295),
  download_speed REAL NOT NULL,
  upload_speed REAL NOT NULL,
  ping_ms REAL NOT NULL,
  created_ms INTEGER NOT NULL,
  ws_connect_ms INTEGER NOT NULL,
  ws_disconnect_ms INTEGER NOT NULL,
  ping_timestamp_ms INTEGER NOT NULL,
  total_referral INTEGER NOT NULL CHECK (total_referral BETWEEN 0 AND 4294967295)
) STRICT;

CREATE TABLE counters (
  name TEXT PRIMARY KEY NOT NULL,
  value INTEGER NOT NULL CHECK (value >= 0)
) STRICT;
INSERT INTO counters (name, value) VALUES ('client_id', 0), ('session_id', 0);

CREATE TABLE uptime_days (
  principal TEXT NOT NULL,
  day TEXT NOT NULL CHECK (length(day) = 10),
  online_ms INTEGER NOT NULL CHECK (online_ms >= 0),
  sessions INTEGER NOT NULL CHECK (sessions BETWEEN 0 AND 4294967295),
  speed_sum REAL NOT NULL,
  speed_count INTEGER NOT NULL CHECK (speed_count BETWEEN 0 AND 4294967295),
  ping_sum REAL NOT NULL,
  ping_count INTEGER NOT NULL CHECK (ping_count BETWEEN 0 AND 4294967295),
  paid_minutes INTEGER NOT NULL DEFAULT 0 CHECK (paid_minutes >= 0),
  updated_ms INTEGER NOT NULL,
  PRIMARY KEY (principal, day)
) STRICT, WITHOUT ROWID;
)sql",
};

constexpr std::span<const char* const> Migrations() { return kMigrations; }

Status ApplyPending(Database& db) {
  RETURN_IF_ERROR(db.Exec(
      "CREATE TABLE IF NOT EXISTS schema_version (version INTEGER PRIMARY KEY NOT NULL) STRICT"));
  ASSIGN_OR_RETURN(const int current, SchemaVersion(db));
  if (current > LatestSchemaVersion()) {
    return FailedPrecondition("database schema version " + std::to_string(current) +
                              " is newer than this build's " +
                              std::to_string(LatestSchemaVersion()) + "; upgrade the server");
  }
  for (int version = current + 1; version <= LatestSchemaVersion(); ++version) {
    RETURN_IF_ERROR(db.Exec(Migrations()[version - 1]));
    RETURN_IF_ERROR(
        db.Exec("INSERT INTO schema_version (version) VALUES (" + std::to_string(version) + ")"));
  }
  return Status::Ok();
}

}  // namespace

int LatestSchemaVersion() { return static_cast<int>(Migrations().size()); }

Result<int> SchemaVersion(Database& db) {
  ASSIGN_OR_RETURN(Query query, db.Prepare("SELECT COALESCE(MAX(version), 0) FROM schema_version"));
  ASSIGN_OR_RETURN(const bool row, query.Step());
  if (!row) return Err(Internal("schema_version query returned no row"));
  return static_cast<int>(query.Int64(0));
}

Status Migrate(Database& db) {
  // IMMEDIATE: two processes opening a fresh file at once must not both
  // decide to apply v1.
  RETURN_IF_ERROR(db.Exec("BEGIN IMMEDIATE"));
  Status status = ApplyPending(db);
  if (status.ok()) status = db.Exec("COMMIT");
  if (!status.ok() && db.InTransaction()) (void)db.Exec("ROLLBACK");
  return status;
}

}  // namespace sela::store::sqlite
