// Checkpoints of the store's WAL, mostly off the writer thread
// (docs/STORAGE.md "Checkpoints").
//
// SQLite's automatic checkpoint runs inside the commit that fills the WAL:
// the writer thread, and every operation queued behind it, waits while the
// pages are copied into the database file and both files are synced (about
// 10 ms per 1,000 pages on the test machine), which set the whole tail of the
// job latency. Here a thread with a connection of its own copies the bulk
// (a PASSIVE checkpoint: it never takes the write lock, so the writer goes
// on), at a lower priority than the event loop and the writer, and syncs the
// database file after each pass.
//
// SQLite starts the WAL over only when a write transaction begins while every
// frame is in the database file. Under steady writes a checkpoint running
// beside the writer never gets there: frames keep coming while it copies. So
// the writer finishes the job: once a pass has left at most `tail_frames`
// behind, or has not halved what the pass before it left (the writes come as
// fast as the thread copies), the writer checkpoints the rest itself (a short
// pause: the pages of about one pass's duration, and two syncs of little
// data), and its next transaction starts the WAL over. Should the thread
// fall far behind anyway, the writer checkpoints everything itself once the
// WAL holds `limit_frames`, as SQLite's automatic checkpoint would have.
#pragma once

#include <condition_variable>
#include <cstdint>
#include <memory>
#include <mutex>
#include <string>
#include <thread>

#include "core/status.h"
#include "store/sqlite/database.h"

namespace sela::store::sqlite {

// What the background thread last did, as the writer sees it.
struct PassReport {
  bool running = false;     // A pass is under way.
  uint64_t passes = 0;      // Passes finished since start.
  uint64_t generation = 0;  // The WAL generation the last pass was asked for.
  int64_t backfilled = 0;   // Frames of that generation in the database file.
  uint64_t copying_passes = 0;  // Passes that found frames to copy.
  uint64_t failures = 0;        // Passes that failed (I/O), not those stopped.
};

// The writer's decision after each commit; pure, so that tests can drive it.
// A "generation" is one use of the WAL from frame 1: the writer sees a new
// one when a commit leaves fewer frames than the one before.
class CheckpointPolicy {
 public:
  enum class Action {
    kNone,
    kStartPass,   // Ask the background thread for a pass.
    kWriterTail,  // The writer checkpoints the few frames left.
    kWriterAll,   // The writer checkpoints everything (the thread is too slow).
  };
  struct Limits {
    int64_t start_frames;  // A pass starts once the WAL holds this many.
    int64_t tail_frames;   // At most this many behind: the writer finishes.
    int64_t limit_frames;  // The writer checkpoints by itself from here.
  };
  explicit CheckpointPolicy(Limits limits) : limits_(limits) {}

  // After a commit that left `wal_frames` frames in the WAL.
  Action AfterCommit(int64_t wal_frames, const PassReport& pass);
  uint64_t generation() const { return generation_; }

 private:
  const Limits limits_;
  uint64_t generation_ = 0;
  int64_t last_frames_ = 0;
  // The last pass report acted on, so that each is used once: a WAL that
  // did not start over after the writer's checkpoint (a reader held it)
  // gets another pass before the writer tries again, not a sync per batch.
  uint64_t seen_passes_ = 0;
  // Frames left behind at the previous report of this generation; -1: none.
  int64_t previous_lag_ = -1;
};

// The background thread and its connection.
class BackgroundCheckpointer {
 public:
  // Opens a second connection to the database at `path` (already in WAL
  // mode) and starts the thread.
  static Result<std::unique_ptr<BackgroundCheckpointer>> Start(const std::string& path,
                                                               uint32_t busy_timeout_ms);
  // Stops the thread (after the pass under way) and closes the connection.
  ~BackgroundCheckpointer();
  BackgroundCheckpointer(const BackgroundCheckpointer&) = delete;
  BackgroundCheckpointer& operator=(const BackgroundCheckpointer&) = delete;

  // Starts a pass for WAL generation `generation` unless one is running.
  void StartPass(uint64_t generation);
  // Stops the pass under way, if any (what it copied stays valid, though
  // it does not count as done), and returns once none is running.
  void StopPass();
  PassReport Report() const;

 private:
  BackgroundCheckpointer(std::unique_ptr<Database> db, int db_fd);
  void Loop();
  void RunPass(uint64_t generation);

  std::unique_ptr<Database> db_;  // The thread's (StopPass only interrupts it).
  const int db_fd_;               // The database file, for fdatasync.
  mutable std::mutex mu_;
  std::condition_variable wake_;
  std::condition_variable idle_;
  bool requested_ = false;        // Guarded by mu_.
  bool stopping_ = false;         // Guarded by mu_.
  uint64_t requested_generation_ = 0;  // Guarded by mu_.
  PassReport report_;             // Guarded by mu_.
  std::thread thread_;
};

// Counts of the checkpoints the store has done since it opened.
struct CheckpointCounts {
  uint64_t background_passes = 0;  // That copied frames.
  uint64_t writer_tails = 0;
  uint64_t writer_all = 0;
  uint64_t generations = 0;  // Times the WAL started over.
  uint64_t failures = 0;     // Checkpoints that reported an error (retried later).
};

// The writer's side: installs the commit hook on the writer's connection
// and acts on the policy after each batch. Writer thread only, except
// counts() which any thread may call after the writer has stopped.
class WalCheckpoints {
 public:
  WalCheckpoints(Database& writer_db, std::unique_ptr<BackgroundCheckpointer> background,
                 CheckpointPolicy::Limits limits);
  ~WalCheckpoints();
  WalCheckpoints(const WalCheckpoints&) = delete;
  WalCheckpoints& operator=(const WalCheckpoints&) = delete;

  // After a batch's completions are handed over.
  void AfterBatch();
  CheckpointCounts counts() const;

 private:
  void WriterCheckpoint(bool all);

  Database& db_;
  std::unique_ptr<BackgroundCheckpointer> background_;
  CheckpointPolicy policy_;
  int64_t committed_frames_ = -1;  // Set by the commit hook; -1: no commit.
  CheckpointCounts counts_;
};

}  // namespace sela::store::sqlite
