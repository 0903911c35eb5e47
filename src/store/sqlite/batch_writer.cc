#include "store/sqlite/batch_writer.h"

#include <pthread.h>
#include <sys/statvfs.h>

#include <algorithm>
#include <filesystem>
#include <system_error>
#include <utility>

namespace sela::store::sqlite {

BatchWriter::BatchWriter(BatchWriterOptions options, std::unique_ptr<Database> db,
                         std::function<uint64_t()> random, OperationLimits limits, PostFn post,
                         std::unique_ptr<BackgroundCheckpointer> background,
                         CheckpointPolicy::Limits checkpoint_limits, StoreHealth& health)
    : options_(options),
      db_(std::move(db)),
      ops_(*db_, std::move(random), limits),
      checkpoints_(*db_, std::move(background), checkpoint_limits),
      post_(std::move(post)),
      health_(health) {}

BatchWriter::~BatchWriter() {
  {
    std::lock_guard lock(mu_);
    stopping_ = true;
  }
  work_ready_.notify_one();
  if (thread_.joinable()) thread_.join();
}

Status BatchWriter::Start() {
  try {
    thread_ = std::thread([this] { Loop(); });
  } catch (const std::system_error& e) {
    return Internal(std::string("cannot start the store's writer thread: ") + e.what());
  }
  return Status::Ok();
}

void BatchWriter::Submit(std::unique_ptr<PendingOp> op) {
  size_t queued = 0;
  {
    std::lock_guard lock(mu_);
    if (queue_.size() < options_.queue_ops_max) {
      queue_.push_back(std::move(op));
      ++accepted_;
      queued = queue_.size();
      if (!options_.wake_later) work_ready_.notify_one();
    }
  }
  if (queued == 0) {
    op->Fail(Unavailable("the store's queue holds " + std::to_string(options_.queue_ops_max) +
                         " operations already; retry later"));
    post_(op->TakeCompletion());
    return;
  }
  if (options_.wake_later) ScheduleWake(queued);
}

void BatchWriter::ScheduleWake(size_t queued) {
  // Enough for a batch worth its commit, or no gathering: wake the writer
  // at the end of the caller's pass, once per pass.
  if (queued >= options_.gather_ops || !options_.wake_after || options_.gather.count() <= 0) {
    if (!wake_now_posted_) {
      wake_now_posted_ = true;
      options_.wake_later(WakeClosure());
    }
    return;
  }
  // Otherwise let the operations of the next `gather` join this one, so that
  // at everyday rates a batch (one commit, one thread switch each way) holds
  // several operations instead of one. A writer still busy with a batch
  // takes the queue when it finishes, whatever the wake-up says.
  if (!wake_posted_ && !wake_now_posted_) {
    wake_posted_ = true;
    options_.wake_after(options_.gather, WakeClosure());
  }
}

std::function<void()> BatchWriter::WakeClosure() {
  return [this, alive = std::weak_ptr<char>(alive_), generation = wake_generation_] {
    if (alive.expired() || generation != wake_generation_) return;
    ++wake_generation_;
    wake_posted_ = false;
    wake_now_posted_ = false;
    work_ready_.notify_one();
  };
}

void BatchWriter::Flush() {
  work_ready_.notify_one();  // A deferred wake-up may not have run yet.
  std::unique_lock lock(mu_);
  const uint64_t target = accepted_;
  batch_done_.wait(lock, [&] { return completed_ >= target; });
}

void BatchWriter::Loop() {
  (void)pthread_setname_np(pthread_self(), "sela-store");
  std::vector<std::unique_ptr<PendingOp>> batch;
  batch.reserve(options_.batch_ops_max);
  while (true) {
    const Take take = TakeBatch(batch);
    if (take == Take::kStop) break;
    if (take == Take::kIdle) {
      MaybeProbe();
      continue;
    }
    RunBatch(batch);
    ReportStats(batch.size());
    // One hand-over per batch: one wake-up of the caller's loop, not one per
    // operation.
    std::vector<std::function<void()>> completions;
    completions.reserve(batch.size());
    for (auto& op : batch) completions.push_back(op->TakeCompletion());
    post_([completions = std::move(completions)]() mutable {
      for (auto& done : completions) done();
    });
    {
      std::lock_guard lock(mu_);
      completed_ += batch.size();
    }
    batch_done_.notify_all();
    batch.clear();
    // After the hand-over: the batch's callers do not wait for a checkpoint.
    checkpoints_.AfterBatch();
    // Reads (a readiness check every few ms) keep the queue busy, but prove
    // nothing about space: the probe runs between batches too.
    MaybeProbe();
  }
}

BatchWriter::Take BatchWriter::TakeBatch(std::vector<std::unique_ptr<PendingOp>>& batch) {
  std::unique_lock lock(mu_);
  const auto ready = [&] { return stopping_ || !queue_.empty(); };
  if (health_.out_of_space()) {
    if (!work_ready_.wait_for(lock, options_.probe_interval, ready)) return Take::kIdle;
  } else {
    work_ready_.wait(lock, ready);
  }
  if (queue_.empty()) return Take::kStop;
  const size_t n = std::min<size_t>(queue_.size(), options_.batch_ops_max);
  for (size_t i = 0; i < n; ++i) {
    batch.push_back(std::move(queue_.front()));
    queue_.pop_front();
  }
  return Take::kBatch;
}

void BatchWriter::MaybeProbe() {
  if (!health_.out_of_space()) return;
  const MonoTime now = ClockOrSystem(options_.clock).Now();
  if (now - last_probe_ < options_.probe_interval) return;
  last_probe_ = now;
  ProbeWrite();
}

void BatchWriter::ProbeWrite() {
  struct statvfs fs {};
  const std::string dir = std::filesystem::path(db_->path()).parent_path().string();
  if (::statvfs(dir.empty() ? "." : dir.c_str(), &fs) != 0) return;
  if (static_cast<uint64_t>(fs.f_bavail) * fs.f_frsize < options_.resume_free_bytes) return;
  Status status = db_->Run("BEGIN IMMEDIATE");
  if (status.ok()) status = db_->Run("UPDATE counters SET value = value WHERE name = 'session_id'");
  if (status.ok()) status = db_->Run("COMMIT");
  if (!status.ok() && db_->InTransaction()) (void)db_->Run("ROLLBACK");
  const uint32_t faults = db_->TakeFaults();
  health_.AfterWrite(faults);
  if (status.ok()) health_.MarkWritable();
}

void BatchWriter::RunBatch(std::span<std::unique_ptr<PendingOp>> batch) {
  // IMMEDIATE takes the write lock up front, so that contention shows up
  // here (and waits busy_timeout_ms) rather than as a failed upgrade later.
  Status status = db_->Run("BEGIN IMMEDIATE");
  for (size_t i = 0; status.ok() && i < batch.size(); ++i) status = RunInSavepoint(*batch[i]);
  if (status.ok()) status = db_->Run("COMMIT");
  health_.AfterWrite(db_->TakeFaults());
  if (status.ok()) return;
  // The rollback's own failure changes nothing: the batch is reported failed
  // either way, and SQLite discards an uncommitted transaction on reopen.
  if (db_->InTransaction()) (void)db_->Run("ROLLBACK");
  const Status failed(status.code(), "not applied, the transaction failed: " + status.message());
  for (auto& op : batch) op->Fail(failed);
}

void BatchWriter::ReportStats(size_t batch_ops) {
  if (!options_.on_batch) return;
  ++stats_.batches;
  stats_.operations += batch_ops;
  const ConnectionTotals totals = db_->Totals();
  stats_.statements = totals.statements;
  stats_.vm_steps = totals.vm_steps;
  stats_.pages_written = totals.pages_written;
  const CheckpointCounts counts = checkpoints_.counts();
  stats_.checkpoint_passes_background = counts.background_passes;
  stats_.checkpoints_writer_tail = counts.writer_tails;
  stats_.checkpoints_writer_all = counts.writer_all;
  stats_.wal_restarts = counts.generations;
  stats_.checkpoint_failures = counts.failures;
  options_.on_batch(stats_);
}

Status BatchWriter::RunInSavepoint(PendingOp& op) {
  RETURN_IF_ERROR(db_->Run("SAVEPOINT op"));
  const Status status = op.Run(ops_);
  if (status.ok()) return db_->Run("RELEASE op");
  // After some errors (I/O, full disk) SQLite has already rolled back the
  // whole transaction; then the rest of the batch cannot commit either.
  if (!db_->InTransaction()) return status;
  RETURN_IF_ERROR(db_->Run("ROLLBACK TO op"));
  return db_->Run("RELEASE op");
}

}  // namespace sela::store::sqlite
