#include "bench/job_cost.h"

#include <sys/resource.h>

#include <algorithm>
#include <chrono>
#include <condition_variable>
#include <cstdio>
#include <deque>
#include <filesystem>
#include <fstream>
#include <functional>
#include <memory>
#include <mutex>
#include <optional>
#include <string>
#include <thread>
#include <utility>
#include <vector>

#include "store/sqlite/database.h"
#include "store/sqlite/sqlite_store.h"
#include "store/store.h"

namespace sela::store::sqlite {
namespace {

constexpr int64_t kT0Ms = 1'700'000'000'000;
constexpr int64_t kLeaseMs = 30'000;
constexpr int64_t kScrapeTimeoutMs = 5'000;
constexpr uint32_t kBatchOpsFloor = 1'024;

// A post function that, while holding, keeps the writer thread inside each
// post (after queueing the batch's callbacks) until Release(): operations
// issued meanwhile wait in the store's queue and form the next batch.
class BatchGate {
 public:
  PostFn AsPostFn() {
    return [this](std::function<void()> fn) { Post(std::move(fn)); };
  }
  void Hold() {
    std::lock_guard lock(mu_);
    holding_ = true;
  }
  void StopHolding() {
    std::lock_guard lock(mu_);
    holding_ = false;
    held_ = false;
    changed_.notify_all();
  }
  // Returns once the writer waits in a post.
  void WaitUntilHeld() {
    std::unique_lock lock(mu_);
    changed_.wait(lock, [&] { return held_; });
  }
  void Release() {
    std::lock_guard lock(mu_);
    held_ = false;
    changed_.notify_all();
  }
  void RunCallbacks() {
    std::deque<std::function<void()>> ready;
    {
      std::lock_guard lock(mu_);
      ready.swap(callbacks_);
    }
    for (auto& fn : ready) fn();
  }

 private:
  void Post(std::function<void()> fn) {
    std::unique_lock lock(mu_);
    callbacks_.push_back(std::move(fn));
    if (!holding_) return;
    held_ = true;
    changed_.notify_all();
    changed_.wait(lock, [&] { return !held_; });
  }

  std::mutex mu_;
  std::condition_variable changed_;
  std::deque<std::function<void()>> callbacks_;
  bool holding_ = false;
  bool held_ = false;
};

// The latest SqliteStats, written on the writer thread.
class StatsBox {
 public:
  std::function<void(const SqliteStats&)> Sink() {
    return [this](const SqliteStats& stats) {
      std::lock_guard lock(mu_);
      stats_ = stats;
    };
  }
  SqliteStats Get() {
    std::lock_guard lock(mu_);
    return stats_;
  }

 private:
  std::mutex mu_;
  SqliteStats stats_;
};

uint64_t SplitMix64(uint64_t& state) {
  uint64_t z = (state += 0x9e3779b97f4a7c15ull);
  z = (z ^ (z >> 30)) * 0xbf58476d1ce4e5b9ull;
  z = (z ^ (z >> 27)) * 0x94d049bb133111ebull;
  return z ^ (z >> 31);
}

// 64 lowercase hex digits, different for every seed (the store checks the
// form of a hash, not that it is the SHA-256 of the bytes).
std::string HashFor(uint64_t seed) {
  uint64_t state = seed;
  std::string hex;
  for (int word = 0; word < 4; ++word) {
    char digits[17];
    std::snprintf(digits, sizeof(digits), "%016llx",
                  static_cast<unsigned long long>(SplitMix64(state)));
    hex += digits;
  }
  return hex;
}

std::string ResultFor(uint64_t seed, uint32_t bytes) {
  static constexpr char kAlphabet[] = "abcdefghijklmnopqrstuvwxyz0123456789 \",:{}";
  uint64_t state = seed * 7919;
  std::string result(bytes, ' ');
  for (char& c : result) c = kAlphabet[SplitMix64(state) % (sizeof(kAlphabet) - 1)];
  return result;
}

std::string ClientUuid(uint32_t client) {
  char uuid[40];
  std::snprintf(uuid, sizeof(uuid), "6f1c2a9e-3b4d-4c8a-9e21-%012u", client);
  return uuid;
}

// An Internet Computer principal's shape: 63 characters in dashed groups.
std::string NodePrincipal(uint32_t node) {
  std::string principal = HashFor(node + 1'000'000).substr(0, 53);
  for (size_t at = 5; at < principal.size(); at += 6) principal.insert(at, 1, '-');
  return principal.substr(0, 63);
}

JobRecord LeasedJob(uint32_t i, const JobCostOptions& options) {
  JobRecord job;
  job.created_ms = kT0Ms + i / 8;
  job.job_id = "job_" + std::to_string(job.created_ms) + "_" + std::to_string(i % 8);
  job.client_uuid = ClientUuid(i % options.clients);
  job.job_type = "twitter";
  job.target = "https://x.com/user" + std::to_string(i % 997) + "/status/" +
               std::to_string(1'800'000'000'000'000'000ull + i);
  job.state = JobState::kOngoing;
  job.attempt = 1;
  job.max_attempts = 3;
  job.node_principal = NodePrincipal(i % 10'000);
  job.node_client_id = std::to_string(kT0Ms - (i % 10'000));
  job.assigned_ms = job.created_ms;
  job.lease_deadline_ms = job.created_ms + kLeaseMs;
  job.deadline_ms = job.created_ms + kScrapeTimeoutMs;
  job.post_count = 10;
  job.sync = true;
  return job;
}

JobCompletion CompletionFor(uint32_t i, const JobCostOptions& options) {
  JobCompletion completion{.node_principal = NodePrincipal(i % 10'000),
                           .attempt = 1,
                           .result_hash = HashFor(i),
                           .result_content_type = "application/json",
                           .result = ResultFor(i, options.result_bytes),
                           .price_cents = 120,
                           .objects_count = 10,
                           .file_size_kb = options.result_bytes / 1024};
  if (options.rewards) {
    // 0.01 SP under a 1,000,000 SP daily cap; 5 % and 2 % to the referrers.
    completion.reward = {.amount_units = 1'000'000,
                         .daily_cap_units = 100'000'000'000'000,
                         .referral_l1_bp = 500,
                         .referral_l2_bp = 200,
                         .day = "2023-11-14"};
  }
  return completion;
}

// CPU time of this process so far, in microseconds.
uint64_t ProcessCpuUs() {
  rusage usage{};
  ::getrusage(RUSAGE_SELF, &usage);
  const auto us = [](const timeval& t) { return static_cast<uint64_t>(t.tv_sec) * 1'000'000 + t.tv_usec; };
  return us(usage.ru_utime) + us(usage.ru_stime);
}

// This process's file system calls so far.
struct ProcessIo {
  uint64_t write_calls = 0;
  uint64_t bytes_written = 0;
  uint64_t read_calls = 0;
};

Result<ProcessIo> ReadProcessIo() {
  std::ifstream file("/proc/self/io");
  if (!file) return Err(FailedPrecondition("cannot read /proc/self/io"));
  ProcessIo io;
  std::string key;
  uint64_t value = 0;
  while (file >> key >> value) {
    if (key == "syscw:") io.write_calls = value;
    if (key == "wchar:") io.bytes_written = value;
    if (key == "syscr:") io.read_calls = value;
  }
  return io;
}

// Counts the callbacks of one run; the first failure is kept.
struct Outcomes {
  uint64_t ok = 0;
  Status first_error;

  void Add(const Status& status) {
    if (status.ok()) {
      ++ok;
    } else if (first_error.ok()) {
      first_error = status;
    }
  }
  template <typename T>
  std::function<void(Result<T>)> Callback() {
    return [this](Result<T> result) { Add(result.has_value() ? Status::Ok() : result.error()); };
  }
};

// What a run counted between the end of its set-up and its last batch.
struct Window {
  SqliteStats stats_start;
  SqliteStats stats_end;
  ProcessIo io_start;
  ProcessIo io_end;
  uint64_t cpu_us_start = 0;
  uint64_t cpu_us_end = 0;
};

class Run {
 public:
  Run(const JobCostOptions& options, std::string path)
      : options_(options), path_(std::move(path)) {}

  Status Open();
  Status Setup();
  // Runs every batch, counting from after a first empty one (a Ping) to
  // after the last, while the writer is held.
  Result<Window> RunBatches();
  // Lets the writer go and closes the store.
  void Finish();
  const std::string& path() const { return path_; }
  uint64_t batches() const { return batches_; }

 private:
  void SubmitBatch(uint32_t batch);
  // Registers the nodes and refers each (JobCostOptions::rewards).
  Status SetupReferrals();
  Status CheckOutcomes() const;

  const JobCostOptions& options_;
  const std::string path_;
  BatchGate gate_;
  StatsBox stats_;
  Outcomes outcomes_;
  std::unique_ptr<Store> store_;
  uint64_t batches_ = 0;
  uint64_t setup_ops_ = 0;  // SetupReferrals' operations.
};

Status Run::Open() {
  if (std::filesystem::exists(path_)) {
    return FailedPrecondition("job cost: " + path_ + " exists; use an empty directory");
  }
  SqliteOptions store_options;
  store_options.path = path_;
  store_options.random = [state = uint64_t{1}]() mutable { return SplitMix64(state); };
  store_options.batch_ops_max = std::max(kBatchOpsFloor, 2 * options_.jobs_per_batch);
  store_options.queue_ops_max = store_options.batch_ops_max;
  store_options.on_batch = stats_.Sink();
  store_options.wal_checkpoint_pages = options_.wal_checkpoint_pages;
  ASSIGN_OR_RETURN(store_, SqliteStore::Open(store_options, gate_.AsPostFn()));
  return Status::Ok();
}

Status Run::Setup() {
  for (uint32_t c = 0; c < options_.clients; ++c) {
    const ApiClient client{.uuid = ClientUuid(c),
                           .key_hash = HashFor(~uint64_t{c}),
                           .usage_count = 0,
                           .usage_limit = 1'000'000'000,
                           .created_ms = kT0Ms};
    store_->RegisterApiClient(client, outcomes_.Callback<ApiClient>());
  }
  store_->Flush();
  gate_.RunCallbacks();
  if (!options_.rewards) return outcomes_.first_error;
  return SetupReferrals();
}

Status Run::SetupReferrals() {
  const uint32_t nodes = std::min<uint32_t>(options_.jobs, 10'000);
  std::vector<std::string> codes(nodes);
  for (uint32_t i = 0; i < nodes; ++i) {
    store_->RegisterNode(NodePrincipal(i), "1", kT0Ms, [this, &codes, i](Result<NodeRecord> node) {
      outcomes_.Add(node.has_value() ? Status::Ok() : node.error());
      if (node.has_value()) codes[i] = node->referral_code;
    });
    if (i % 512 == 511) store_->Flush();  // Within the store's queue.
  }
  store_->Flush();
  gate_.RunCallbacks();
  for (uint32_t i = 1; i < nodes; ++i) {
    store_->RegisterReferral(NodePrincipal(i), codes[(i - 1) / 2], kT0Ms, [this](Result<ReferralOutcome> r) {
      if (r.has_value() && r->refusal != ReferralRefusal::kNone) {
        outcomes_.Add(Internal("job cost: a referral was refused"));
      } else {
        outcomes_.Add(r.has_value() ? Status::Ok() : r.error());
      }
    });
    if (i % 512 == 511) store_->Flush();
  }
  store_->Flush();
  gate_.RunCallbacks();
  setup_ops_ = 2 * nodes - 1;
  return outcomes_.first_error;
}

void Run::SubmitBatch(uint32_t batch) {
  const uint32_t per_batch = options_.jobs_per_batch;
  const uint32_t begin = batch * per_batch;
  for (uint32_t i = begin; i < std::min(begin + per_batch, options_.jobs); ++i) {
    CreateJobRequest request;
    request.job = LeasedJob(i, options_);
    request.charge_usage = true;
    if (options_.idempotency_keys) {
      request.idempotency_key = "key-" + std::to_string(i);
      request.request_hash = HashFor(i + 7);
    }
    store_->CreateJob(request, outcomes_.Callback<CreateJobOutcome>());
  }
  if (batch == 0) return;
  for (uint32_t i = begin - per_batch; i < std::min(begin, options_.jobs); ++i) {
    const JobRecord job = LeasedJob(i, options_);
    store_->CompleteJob(job.job_id, CompletionFor(i, options_), job.created_ms + 3,
                        outcomes_.Callback<CompletedJob>());
  }
}

Status Run::CheckOutcomes() const {
  if (!outcomes_.first_error.ok()) return outcomes_.first_error;
  const uint64_t expected = 1 + options_.clients + setup_ops_ + 2ull * options_.jobs;
  if (outcomes_.ok == expected) return Status::Ok();
  return Internal("job cost: " + std::to_string(outcomes_.ok) + " operations succeeded, " +
                  std::to_string(expected) + " expected");
}

Result<Window> Run::RunBatches() {
  Window window;
  gate_.Hold();
  store_->Ping([this](Status status) { outcomes_.Add(status); });
  gate_.WaitUntilHeld();
  window.stats_start = stats_.Get();
  ASSIGN_OR_RETURN(window.io_start, ReadProcessIo());
  window.cpu_us_start = ProcessCpuUs();
  const uint32_t creating = (options_.jobs + options_.jobs_per_batch - 1) / options_.jobs_per_batch;
  for (uint32_t batch = 0; batch <= creating; ++batch) {
    SubmitBatch(batch);
    gate_.Release();
    gate_.WaitUntilHeld();
    ++batches_;
  }
  window.stats_end = stats_.Get();
  ASSIGN_OR_RETURN(window.io_end, ReadProcessIo());
  window.cpu_us_end = ProcessCpuUs();
  gate_.RunCallbacks();
  RETURN_IF_ERROR(CheckOutcomes());
  return window;
}

void Run::Finish() {
  gate_.StopHolding();
  if (store_ != nullptr) store_->Flush();
  gate_.RunCallbacks();
  store_.reset();
}

Result<int64_t> QueryInt(Database& db, const std::string& sql, int column) {
  ASSIGN_OR_RETURN(Query query, db.Prepare(sql));
  ASSIGN_OR_RETURN(const bool row, query.Step());
  if (!row) return Err(Internal("no row from " + sql));
  return query.Int64(column);
}

// Holds a read transaction on an empty WAL, so that no checkpoint can copy
// or reset it while the batches run.
class WalPin {
 public:
  static Result<std::unique_ptr<WalPin>> Start(const std::string& path) {
    ASSIGN_OR_RETURN(auto db, Database::Open(path, 5'000));
    auto pin = std::unique_ptr<WalPin>(new WalPin(std::move(db)));
    // The store's own checkpoint may still be running after a big set-up.
    int64_t busy = 1;
    for (int attempt = 0; busy != 0 && attempt < 200; ++attempt) {
      if (attempt > 0) std::this_thread::sleep_for(std::chrono::milliseconds(10));
      ASSIGN_OR_RETURN(busy, pin->Int("PRAGMA wal_checkpoint(TRUNCATE)", 0));
    }
    if (busy != 0) return Err(Internal("job cost: the WAL could not be emptied"));
    RETURN_IF_ERROR(pin->db_->Exec("BEGIN"));
    ASSIGN_OR_RETURN(const int64_t tables, pin->Int("SELECT COUNT(*) FROM sqlite_schema", 0));
    if (tables == 0) return Err(Internal("job cost: the store made no tables"));
    ASSIGN_OR_RETURN(pin->pages_start_, pin->Int("PRAGMA page_count", 0));
    ASSIGN_OR_RETURN(pin->page_bytes_, pin->Int("PRAGMA page_size", 0));
    return pin;
  }
  // Ends the read transaction and checkpoints: the frames the WAL held, and
  // by how many bytes the database grew.
  Status Stop(JobCost& cost) {
    RETURN_IF_ERROR(db_->Exec("COMMIT"));
    ASSIGN_OR_RETURN(const int64_t frames, Int("PRAGMA wal_checkpoint(PASSIVE)", 1));
    ASSIGN_OR_RETURN(const int64_t pages_end, Int("PRAGMA page_count", 0));
    cost.wal_frames = static_cast<uint64_t>(frames);
    cost.file_bytes_added = static_cast<uint64_t>((pages_end - pages_start_) * page_bytes_);
    return Status::Ok();
  }

 private:
  explicit WalPin(std::unique_ptr<Database> db) : db_(std::move(db)) {}
  Result<int64_t> Int(const std::string& sql, int column) { return QueryInt(*db_, sql, column); }

  std::unique_ptr<Database> db_;
  int64_t pages_start_ = 0;
  int64_t page_bytes_ = 0;
};

Status MeasurePinned(const JobCostOptions& options, JobCost& cost) {
  Run run(options, options.dir + "/job_cost_pinned/sela.db");
  RETURN_IF_ERROR(run.Open());
  RETURN_IF_ERROR(run.Setup());
  auto pin = WalPin::Start(run.path());
  Result<Window> window = pin.has_value() ? run.RunBatches() : Err(pin.error());
  run.Finish();
  if (!window.has_value()) return window.error();
  cost.batches = run.batches();
  cost.statements = window->stats_end.statements - window->stats_start.statements;
  cost.vm_steps = window->stats_end.vm_steps - window->stats_start.vm_steps;
  cost.pages_written = window->stats_end.pages_written - window->stats_start.pages_written;
  return (*pin)->Stop(cost);
}

Status MeasureUnpinned(const JobCostOptions& options, JobCost& cost) {
  Run run(options, options.dir + "/job_cost_unpinned/sela.db");
  RETURN_IF_ERROR(run.Open());
  RETURN_IF_ERROR(run.Setup());
  Result<Window> window = run.RunBatches();
  run.Finish();
  if (!window.has_value()) return window.error();
  cost.write_calls = window->io_end.write_calls - window->io_start.write_calls;
  cost.bytes_written = window->io_end.bytes_written - window->io_start.bytes_written;
  cost.read_calls = window->io_end.read_calls - window->io_start.read_calls;
  cost.cpu_us = window->cpu_us_end - window->cpu_us_start;
  return Status::Ok();
}

}  // namespace

Result<JobCost> MeasureJobCost(const JobCostOptions& options) {
  if (options.jobs == 0 || options.jobs_per_batch == 0 || options.clients == 0) {
    return Err(InvalidArgument("job cost: jobs, jobs_per_batch and clients must be at least 1"));
  }
  JobCost cost;
  cost.jobs = options.jobs;
  RETURN_IF_ERROR(MeasurePinned(options, cost));
  RETURN_IF_ERROR(MeasureUnpinned(options, cost));
  return cost;
}

std::string FormatJobCost(const JobCostOptions& options, const JobCost& cost) {
  char line[500];
  std::snprintf(line, sizeof(line),
                "jobs %llu, jobs/batch %u, clients %u, result %u B, checkpoint at %u pages%s%s: "
                "per job WAL frames %.2f, statements %.2f, VM steps %.0f, file growth %.0f B | "
                "write calls %.2f, bytes written %.0f, read calls %.2f, CPU %.1f us",
                static_cast<unsigned long long>(cost.jobs), options.jobs_per_batch, options.clients,
                options.result_bytes, options.wal_checkpoint_pages,
                options.idempotency_keys ? ", idempotency keys" : "",
                options.rewards ? ", rewards and referral shares paid" : "", cost.PerJob(cost.wal_frames),
                cost.PerJob(cost.statements), cost.PerJob(cost.vm_steps),
                cost.PerJob(cost.file_bytes_added), cost.PerJob(cost.write_calls),
                cost.PerJob(cost.bytes_written), cost.PerJob(cost.read_calls), cost.PerJob(cost.cpu_us));
  return line;
}

}  // namespace sela::store::sqlite
