// The SQLite store's schema, as an ordered list of migrations. Version N is
// the result of applying migrations 1..N; the `schema_version` table holds
// one row per applied migration. Tables are STRICT, so a value of the wrong
// type is an error instead of being stored as something else.
//
// To change the schema, append a migration; never edit a published one.
#pragma once

#include "core/status.h"
#include "store/sqlite/database.h"

namespace sela::store::sqlite {

// The version this build writes.
int LatestSchemaVersion();

// Brings the database up to LatestSchemaVersion() in one transaction.
// FailedPrecondition when the file was written by a newer build, since this
// one cannot know what the extra migrations mean.
Status Migrate(Database& db);

// The version the file is at (0 for an empty file).
Result<int> SchemaVersion(Database& db);

}  // namespace sela::store::sqlite
