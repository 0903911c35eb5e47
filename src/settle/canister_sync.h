// CanisterSync: mirrors completed results and uploaded files on the file
// canister (docs/CHAIN.md "Results on the file canister"). Runs on the event
// loop and never blocks it, in the manner of the Settler: the journal is
// the store's (canister_sync_types.h), the bytes are loaded and uploaded by
// `upload`, which runs off the loop (the store's or the disk's threads,
// then the chain Executor) and calls back on the loop. A stalled or failing
// canister holds at most in_flight_max uploads and nothing else: jobs and
// files never wait for it.
//
// What must be synced is recorded by the store itself, in the same
// transaction as the completion that makes a content final (store.h
// "File-canister sync journal"; the server opens its store with
// canister_sync when enabled), so that no crash separates a completion
// from its row. Nudge() says that something was completed: the due rows are
// read soon (at most once per nudge_gap_ms; Tick reads them anyway).
// Backfill: once per process, Tick() also walks the store a page at a time
// (Store::BackfillSyncs, off the loop, one page per Tick) and gives a row
// to every result and file made final without one (before the feature was
// enabled); a restart starts the pass over, which repeats harmlessly
// (rows are inserted once per hash).
// Tick() uploads what is due: each attempt counts in the journal, a failure
// is retried after a back-off (backoff_min_ms doubling to backoff_max_ms);
// NotFound (bytes gone from here) and InvalidArgument (bytes not matching
// their hash, a call the IC refuses as malformed) fail for good.
// Re-sending is harmless: the canister key is the content's hash, each
// chunk's key is fixed by its index, store_file overwrites, and the manifest
// (size, chunk count, SHA-256) is written last, so an upload cut short by a
// crash and resent writes the same bytes under the same keys.
//
// With options.enabled false (CANISTER_STORAGE_ENABLED=false) nothing is
// read, recorded or sent.
//
// Thread-safety: loop thread only.
#pragma once

#include <cstdint>
#include <functional>
#include <memory>
#include <optional>
#include <set>
#include <string>

#include "chain/executor.h"
#include "chain/file_client.h"
#include "core/clock.h"
#include "core/metrics.h"
#include "core/status.h"
#include "store/store.h"

namespace sela::settle {

struct CanisterSyncOptions {
  bool enabled = false;            // CANISTER_STORAGE_ENABLED
  uint32_t in_flight_max = 2;      // CANISTER_SYNC_CONCURRENCY
  uint32_t due_per_tick = 64;
  int64_t backoff_min_ms = 1'000;
  int64_t backoff_max_ms = 300'000;
  // Nudge() reads the due rows at most this often.
  int64_t nudge_gap_ms = 100;
  // Jobs or files the backfill looks at per Tick (one store operation).
  uint32_t backfill_page_rows = 1'000;
};

// What an upload reports: the chunks the canister now holds under the key.
struct Uploaded {
  int64_t chunks = 0;
};
using UploadDone = std::function<void(Result<Uploaded>)>;
// Loads the record's bytes and stores them under CanisterKey(sha256), off
// the loop; `done` runs on the loop. NotFound: the bytes are gone here.
using Upload = std::function<void(const store::SyncRecord&, UploadDone done)>;

// The canister key of a content: "sela/sha256/<hex>".
std::string CanisterKey(const std::string& sha256);

// Where the bytes are here. A result is loaded whole (it is at most
// RESULT_INLINE_BYTES_MAX) from the store, asynchronously, `done` on the
// loop; a file is read a chunk at a time on the upload's worker thread
// (blocking, thread-safe), so an upload holds one chunk in memory.
// Either answers NotFound when the bytes are gone.
using LoadResult = std::function<void(const store::SyncRecord&, std::function<void(Result<std::string>)> done)>;
using ReadFile = std::function<Result<std::string>(const std::string& sha256, size_t offset, size_t bytes)>;
// The Upload of the server: the bytes, then FileCanisterClient::PutFrom
// under CanisterKey on the executor, checked against the record's SHA-256
// on the way (a mismatch writes no manifest and fails for good).
Upload MakeUpload(LoadResult load_result, ReadFile read_file, chain::FileCanisterClient& client,
                  chain::Executor& executor);
// Reads a content back from the canister on the executor and checks it
// against `sha256`; `done` on the loop. NotFound when the canister has no
// such key; FailedPrecondition when what it holds fails the checks;
// otherwise the agent's error (Unavailable, DeadlineExceeded, ...).
void FetchFromCanister(chain::FileCanisterClient& client, chain::Executor& executor, const std::string& sha256,
                       std::function<void(Result<std::string>)> done);

class CanisterSync {
 public:
  CanisterSync(CanisterSyncOptions options, store::Store& store, const Clock& clock, Upload upload,
               MetricsRegistry& metrics);
  ~CanisterSync();
  CanisterSync(const CanisterSync&) = delete;
  CanisterSync& operator=(const CanisterSync&) = delete;

  bool enabled() const { return options_.enabled; }
  // A job or file was completed (its row is in the store already): uploads
  // what is due soon. Nothing when disabled.
  void Nudge();
  // Uploads what is due, refreshes the gauges, takes the backfill a page on.
  void Tick();

  size_t in_flight() const { return in_flight_.size(); }
  // The backfill pass of this process has looked at everything.
  bool backfilled() const { return backfill_done_; }

 private:
  struct Metrics;
  void ReadDue();
  void BackfillPage();
  void Begin(store::SyncRecord record);
  void Finish(store::SyncRecord record, Result<Uploaded> outcome);
  void RefreshGauges();

  CanisterSyncOptions options_;
  store::Store& store_;
  const Clock& clock_;
  Upload upload_;
  std::unique_ptr<Metrics> m_;
  std::set<std::string> in_flight_;
  bool reading_due_ = false;
  bool reading_summary_ = false;
  std::optional<MonoTime> last_due_read_;  // For Nudge's gap.
  // The backfill: where it is, whether a page is being read, and totals.
  std::string backfill_cursor_;
  bool backfill_reading_ = false;
  bool backfill_done_ = false;
  uint64_t backfill_pages_ = 0;
  uint64_t backfill_scanned_ = 0;
  uint64_t backfill_added_ = 0;
};

}  // namespace sela::settle
