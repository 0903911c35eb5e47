// StoreHealth: what the SQLite store knows about the state of its file,
// for readiness, metrics and logs (docs/STORAGE.md "Faults").
//
// - Out of space: a batch failed for lack of space (SQLITE_FULL). Such
//   writes answer Unavailable (the API: 503 with Retry-After). The state
//   clears when the file system has room again for what the store may need
//   (its WAL at the most, SqliteOptions::wal_checkpoint_pages twice) and a
//   write of the writer's own commits: checked once a second. A write that
//   happens to fit meanwhile (WAL frames written over old ones need no new
//   space) does not clear it, so readiness does not flap.
// - Damaged: PRAGMA quick_check at start, or any operation since, found the
//   file corrupt (SQLITE_CORRUPT, SQLITE_NOTADB). It stays damaged until
//   the process restarts (on a repaired file).
// Both make Check() fail, which makes Ping fail, which makes /ready 503.
// Each change of state is logged once (error when out of space, critical
// when damaged, info when space is back), and counted.
//
// Thread-safety: the writer thread changes the state; Check() and the
// getters may be called from any thread.
#pragma once

#include <atomic>
#include <cstdint>
#include <mutex>
#include <string>
#include <string_view>

#include "core/metrics.h"
#include "core/status.h"

namespace sela::store::sqlite {

class StoreHealth {
 public:
  // metrics may be null (no metrics).
  StoreHealth(std::string path, MetricsRegistry* metrics);

  // After a batch: `faults` are the fault bits it met (database.h).
  void AfterWrite(uint32_t faults);
  // The writer found room and wrote: out of space no more.
  void MarkWritable();
  // The file is corrupt: `what` says how that was found.
  void MarkDamaged(std::string_view what);

  bool out_of_space() const { return out_of_space_.load(std::memory_order_relaxed); }
  bool damaged() const { return damaged_.load(std::memory_order_relaxed); }
  // Ok, Unavailable (out of space) or Internal (damaged); the messages hold
  // no SQL text.
  Status Check() const;

 private:
  const std::string path_;
  std::atomic<bool> out_of_space_{false};
  std::atomic<bool> damaged_{false};
  Gauge* out_of_space_gauge_ = nullptr;
  Gauge* damaged_gauge_ = nullptr;
  Counter* full_batches_ = nullptr;
  Counter* damaged_batches_ = nullptr;
};

}  // namespace sela::store::sqlite
