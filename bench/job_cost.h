// MeasureJobCost: SQLite's work per job in the store, counted rather than
// timed, so that a schema or statement change can be judged on a shared
// machine (`sqlite_job_cost` prints it; job_cost_test.cc holds it to a
// budget).
//
// It drives a real SqliteStore along the server's hot path: every job is
// created already leased (charged, sync, with a deadline, as scrapeUrl does)
// and then completed with a result of result_bytes. Operations are batched
// as under load: batch b holds the creations of jobs_per_batch new jobs and
// the completions of batch b-1's jobs, and the writer runs it as one
// transaction. The store's post function holds the writer between batches,
// so the batches, and therefore the counts, are the same on every run.
//
// Two runs, each on a fresh file under `dir`:
// - pinned: a second connection holds a read transaction that began before
//   the first batch, so no checkpoint can reset the WAL; the frames in the
//   WAL at the end are every page the batches wrote. Statements and virtual
//   machine steps come from SqliteOptions::on_batch.
// - unpinned: checkpoints run as in the server; the process's write system
//   calls and bytes (/proc/self/io) count the WAL and the checkpoints.
//
// Thread-safety: one call at a time per directory.
#pragma once

#include <cstdint>
#include <string>

#include "core/status.h"
#include "store/sqlite/sqlite_store.h"

namespace sela::store::sqlite {

struct JobCostOptions {
  std::string dir;  // An existing directory; the runs make subdirectories.
  uint32_t jobs = 2'000;
  uint32_t jobs_per_batch = 64;
  uint32_t clients = 1;  // API clients the jobs are spread over, in turn.
  uint32_t result_bytes = 1'024;
  bool idempotency_keys = false;  // Every CreateJob carries an Idempotency-Key.
  // Every completion pays its node 0.01 SP under a daily cap and its
  // referrers 5 % and 2 % of that, as bench/run's referrals row does: each
  // node i is referred by node (i - 1) / 2 (registered before the count).
  bool rewards = false;
  uint32_t wal_checkpoint_pages = SqliteOptions{}.wal_checkpoint_pages;
};

struct JobCost {
  uint64_t jobs = 0;
  uint64_t batches = 0;
  // Pinned run.
  uint64_t wal_frames = 0;
  uint64_t pages_written = 0;  // As the writer's connection counts them.
  uint64_t statements = 0;     // BEGIN, SAVEPOINT, RELEASE and COMMIT included.
  uint64_t vm_steps = 0;
  uint64_t file_bytes_added = 0;  // Growth of the database once every frame is in it.
  // Unpinned run: system calls of the whole process (the WAL, checkpoints,
  // and any temporary files SQLite spills to).
  uint64_t write_calls = 0;
  uint64_t bytes_written = 0;
  uint64_t read_calls = 0;
  // Unpinned run: CPU time of the process (the store's writer, mostly), in
  // microseconds. Timed, so it moves with the machine.
  uint64_t cpu_us = 0;

  double PerJob(uint64_t total) const {
    return jobs == 0 ? 0.0 : static_cast<double>(total) / static_cast<double>(jobs);
  }
};

// Fails when an operation fails (the figures would be meaningless) or the
// files cannot be opened.
Result<JobCost> MeasureJobCost(const JobCostOptions& options);

// One line: the options and the per-job figures.
std::string FormatJobCost(const JobCostOptions& options, const JobCost& cost);

}  // namespace sela::store::sqlite
