#include "store/sqlite/checkpointer.h"

#include <fcntl.h>
#include <pthread.h>
#include <sys/resource.h>
#include <sys/syscall.h>
#include <unistd.h>

#include <algorithm>
#include <cerrno>
#include <cstring>
#include <system_error>
#include <utility>

namespace sela::store::sqlite {
namespace {

// The thread yields the core to the event loop and the writer: with a core
// to itself the loop never waits for it, and on a busy one it still gets a
// share (not none, as SCHED_IDLE would), so that the WAL keeps being copied.
constexpr int kBackgroundNice = 10;

void LowerThisThreadsPriority() {
  // On Linux a thread id is a process id for setpriority: only this thread.
  (void)setpriority(PRIO_PROCESS, static_cast<id_t>(syscall(SYS_gettid)), kBackgroundNice);
}

}  // namespace

CheckpointPolicy::Action CheckpointPolicy::AfterCommit(int64_t wal_frames, const PassReport& pass) {
  if (wal_frames < last_frames_) {  // The WAL started over.
    ++generation_;
    previous_lag_ = -1;
  }
  last_frames_ = wal_frames;
  if (wal_frames < limits_.start_frames) return Action::kNone;
  if (wal_frames >= limits_.limit_frames) return Action::kWriterAll;
  if (pass.running) return Action::kNone;
  const bool fresh =
      pass.passes > 0 && pass.passes != seen_passes_ && pass.generation == generation_;
  seen_passes_ = pass.passes;
  if (!fresh) return Action::kStartPass;
  const int64_t lag = wal_frames - pass.backfilled;
  const bool converging = previous_lag_ < 0 || 2 * lag <= previous_lag_;
  if (lag <= limits_.tail_frames || !converging) {
    previous_lag_ = -1;
    return Action::kWriterTail;
  }
  previous_lag_ = lag;
  return Action::kStartPass;
}

Result<std::unique_ptr<BackgroundCheckpointer>> BackgroundCheckpointer::Start(
    const std::string& path, uint32_t busy_timeout_ms) {
  ASSIGN_OR_RETURN(auto db, Database::Open(path, busy_timeout_ms));
  // A connection finds the WAL when it first reads the file; until then its
  // checkpoints would do nothing (and report -1 frames).
  ASSIGN_OR_RETURN(Query mode, db->Prepare("PRAGMA journal_mode"));
  ASSIGN_OR_RETURN(const bool row, mode.Step());
  if (!row || mode.Text(0) != "wal") {
    return Err(FailedPrecondition("the checkpoint thread found " + path + " not in WAL mode"));
  }
  const int fd = open(path.c_str(), O_RDONLY | O_CLOEXEC);
  if (fd < 0) {
    return Err(Unavailable("cannot open " + path + " for the checkpoint thread: " +
                           std::strerror(errno)));
  }
  std::unique_ptr<BackgroundCheckpointer> self(new BackgroundCheckpointer(std::move(db), fd));
  try {
    self->thread_ = std::thread([raw = self.get()] { raw->Loop(); });
  } catch (const std::system_error& e) {
    return Err(Internal(std::string("cannot start the store's checkpoint thread: ") + e.what()));
  }
  return self;
}

BackgroundCheckpointer::BackgroundCheckpointer(std::unique_ptr<Database> db, int db_fd)
    : db_(std::move(db)), db_fd_(db_fd) {}

BackgroundCheckpointer::~BackgroundCheckpointer() {
  {
    std::lock_guard lock(mu_);
    stopping_ = true;
  }
  wake_.notify_one();
  if (thread_.joinable()) thread_.join();
  db_.reset();  // Before the writer's connection: that one, last, removes the WAL.
  close(db_fd_);
}

void BackgroundCheckpointer::StartPass(uint64_t generation) {
  {
    std::lock_guard lock(mu_);
    if (report_.running) return;
    report_.running = true;
    requested_ = true;
    requested_generation_ = generation;
  }
  wake_.notify_one();
}

void BackgroundCheckpointer::StopPass() {
  std::unique_lock lock(mu_);
  if (!report_.running) return;
  // SQLite checks for an interrupt between pages, so the pass ends within
  // a page copy; one that the thread has not begun yet stops at its first.
  db_->Interrupt();
  idle_.wait(lock, [&] { return !report_.running; });
}

PassReport BackgroundCheckpointer::Report() const {
  std::lock_guard lock(mu_);
  return report_;
}

void BackgroundCheckpointer::Loop() {
  (void)pthread_setname_np(pthread_self(), "sela-checkpoint");
  LowerThisThreadsPriority();
  std::unique_lock lock(mu_);
  while (true) {
    wake_.wait(lock, [&] { return stopping_ || requested_; });
    if (stopping_) return;
    requested_ = false;
    const uint64_t generation = requested_generation_;
    lock.unlock();
    RunPass(generation);
    lock.lock();
  }
}

void BackgroundCheckpointer::RunPass(uint64_t generation) {
  const Result<CheckpointOutcome> outcome = db_->Checkpoint();
  // SQLite syncs the database file only after a pass that reached the WAL's
  // end, which under steady writes is the writer's short one: without this,
  // that one would sync every page the passes before it wrote.
  const bool synced = outcome.has_value() && fdatasync(db_fd_) == 0;
  std::lock_guard lock(mu_);
  report_.running = false;
  ++report_.passes;
  report_.generation = generation;
  report_.backfilled = outcome.has_value() ? std::max<int64_t>(outcome->backfilled, 0) : 0;
  if (report_.backfilled > 0) ++report_.copying_passes;
  // Unavailable: stopped by StopPass (or by a stop that came just after the
  // pass before it), or the lock was taken; not a failure, just no pass.
  const bool stopped = !outcome.has_value() && outcome.error().code() == Code::kUnavailable;
  if (!stopped && (!synced || outcome->wal_frames < 0)) ++report_.failures;
  idle_.notify_all();
}

WalCheckpoints::WalCheckpoints(Database& writer_db,
                               std::unique_ptr<BackgroundCheckpointer> background,
                               CheckpointPolicy::Limits limits)
    : db_(writer_db), background_(std::move(background)), policy_(limits) {
  db_.OnCommit([this](int64_t wal_frames) { committed_frames_ = wal_frames; });
}

WalCheckpoints::~WalCheckpoints() {
  db_.OnCommit({});
  background_.reset();
}

void WalCheckpoints::AfterBatch() {
  if (committed_frames_ < 0) return;  // Nothing was written.
  const int64_t frames = committed_frames_;
  committed_frames_ = -1;
  const uint64_t generation = policy_.generation();
  switch (policy_.AfterCommit(frames, background_->Report())) {
    case CheckpointPolicy::Action::kNone:
      break;
    case CheckpointPolicy::Action::kStartPass:
      background_->StartPass(policy_.generation());
      break;
    case CheckpointPolicy::Action::kWriterTail:
      WriterCheckpoint(false);
      break;
    case CheckpointPolicy::Action::kWriterAll:
      // Only one checkpoint runs at a time: the thread's pass under way
      // (it fell behind, perhaps starved of the core) stops first.
      background_->StopPass();
      WriterCheckpoint(true);
      break;
  }
  counts_.generations += policy_.generation() - generation;
}

void WalCheckpoints::WriterCheckpoint(bool all) {
  ++(all ? counts_.writer_all : counts_.writer_tails);
  // A failure (an I/O error) leaves the frames in the WAL, where they are
  // safe; a later batch tries again.
  if (!db_.Checkpoint().has_value()) ++counts_.failures;
}

CheckpointCounts WalCheckpoints::counts() const {
  const PassReport pass = background_->Report();
  CheckpointCounts counts = counts_;
  counts.background_passes = pass.copying_passes;
  counts.failures += pass.failures;
  return counts;
}

}  // namespace sela::store::sqlite
