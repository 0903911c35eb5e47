// What SqliteStore::Open checks before it serves (docs/STORAGE.md "Faults"):
// a data directory and file it can write, and a file that is not corrupt.
#pragma once

#include <cstdint>
#include <string>

#include "core/status.h"
#include "store/sqlite/database.h"
#include "store/sqlite/health.h"

namespace sela::store::sqlite {

// Creates the file's directory if missing and the file itself (0600) if
// missing. A directory that cannot be written (read-only file system, no
// permission) is FailedPrecondition naming it: the store would otherwise
// open and then fail every write.
Status PrepareDataFile(const std::string& path);

// Writes once (a counter set to its own value) and commits. Refused as
// read-only: FailedPrecondition. Out of space: the store opens, out of
// space in `health` (not ready until space is freed).
Status CheckWritable(Database& db, StoreHealth& health);

// PRAGMA quick_check within `time_budget_ms` (0: skipped). A problem marks
// the store damaged in `health`; running out of time is only logged.
void CheckIntegrity(Database& db, uint32_t time_budget_ms, const Clock& clock, StoreHealth& health);

}  // namespace sela::store::sqlite
