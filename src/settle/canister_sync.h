// CanisterSync: mirrors completed results and uploaded files on the file
// canister (docs/CHAIN.md "Results on the file canister"). Runs on the event
// loop and never blocks it, in the manner of the Settler: the journal is
// the store's (canister_sync_types.h), the bytes are loaded and uploaded by
// `upload`, which runs off the loop (the store's or the disk's threads,
// then the chain Executor) and calls back on the loop. A stalled or failing
// canister holds at most in_flight_max uploads and nothing else: jobs and
// files never wait for it.
//
// Enqueue() records what must be synced (one row per SHA-256, inserted once).
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
// recorded or sent.
//
// Thread-safety: loop thread only.
#pragma once

#include <cstdint>
#include <functional>
#include <memory>
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
  // A result or file to mirror (size, hash, source, ref, owner, type; the
  // rest is set here). Nothing when disabled.
  void Enqueue(store::SyncRecord record);
  // A completed job's inline result / a complete file, as the services
  // report them.
  void JobCompleted(const store::JobRecord& job);
  void FileCompleted(const store::FileRecord& file);
  // Uploads what is due, refreshes the gauges.
  void Tick();

  size_t in_flight() const { return in_flight_.size(); }

 private:
  struct Metrics;
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
};

}  // namespace sela::settle
