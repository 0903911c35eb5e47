// The SQLite store's migrations as SQL text, in order (schema.h: version N
// is migrations 1..N applied; never edit a published one, append). Split by
// what added them: the job store and node identity (v1-v6,
// schema_migrations_jobs.cc), then files, the ledger, cancelled jobs and
// settlement (v7 on, schema_migrations_rewards.cc). schema.cc applies them.
#pragma once

#include <span>

namespace sela::store::sqlite {

// v1..v6.
std::span<const char* const> JobStoreMigrations();
// v7 on, after JobStoreMigrations().
std::span<const char* const> LaterMigrations();

}  // namespace sela::store::sqlite
