#include "store/sqlite/schema.h"

#include <span>
#include <string>
#include <vector>

#include "store/sqlite/schema_migrations.h"

namespace sela::store::sqlite {
namespace {

// Every migration in order: v1..v6, then v7 on (schema_migrations.h).
std::span<const char* const> Migrations() {
  static const std::vector<const char*> all = [] {
    std::vector<const char*> v(JobStoreMigrations().begin(), JobStoreMigrations().end());
    v.insert(v.end(), LaterMigrations().begin(), LaterMigrations().end());
    return v;
  }();
  return all;
}

// The number of migrations applied.
Result<int> ApplyPending(Database& db) {
  RETURN_IF_ERROR(db.Exec(
      "CREATE TABLE IF NOT EXISTS schema_version (version INTEGER PRIMARY KEY NOT NULL) STRICT"));
  ASSIGN_OR_RETURN(const int current, SchemaVersion(db));
  if (current > LatestSchemaVersion()) {
    return Err(FailedPrecondition("database schema version " + std::to_string(current) +
                                  " is newer than this build's " +
                                  std::to_string(LatestSchemaVersion()) + "; upgrade the server"));
  }
  for (int version = current + 1; version <= LatestSchemaVersion(); ++version) {
    RETURN_IF_ERROR(db.Exec(Migrations()[version - 1]));
    RETURN_IF_ERROR(
        db.Exec("INSERT INTO schema_version (version) VALUES (" + std::to_string(version) + ")"));
  }
  return LatestSchemaVersion() - current;
}

// Any row whose foreign key has no parent: Internal, naming the table.
Status CheckForeignKeys(Database& db) {
  ASSIGN_OR_RETURN(Query check, db.Prepare("PRAGMA foreign_key_check"));
  ASSIGN_OR_RETURN(const bool row, check.Step());
  if (!row) return Status::Ok();
  return Internal("schema migration left a row of " + check.Text(0) +
                  " without its parent in " + check.Text(2) + "; nothing was changed");
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
  // Foreign keys are off while migrations run, so that a migration may
  // rebuild a table that others refer to (SQLite's documented way to change
  // what ALTER TABLE cannot); they are all checked before COMMIT. The pragma
  // has no effect inside a transaction, hence out here.
  RETURN_IF_ERROR(db.Exec("PRAGMA foreign_keys = OFF"));
  // IMMEDIATE: two processes opening a fresh file at once must not both
  // decide to apply v1.
  Status status = db.Exec("BEGIN IMMEDIATE");
  if (status.ok()) {
    const Result<int> applied = ApplyPending(db);
    if (!applied.has_value()) status = applied.error();
    // Only what a migration changed needs checking: not every row at every start.
    else if (*applied > 0) status = CheckForeignKeys(db);
  }
  if (status.ok()) status = db.Exec("COMMIT");
  if (!status.ok() && db.InTransaction()) (void)db.Exec("ROLLBACK");
  const Status restored = db.Exec("PRAGMA foreign_keys = ON");
  return status.ok() ? restored : status;
}

}  // namespace sela::store::sqlite
