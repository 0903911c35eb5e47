// "OK means committed": a child process opens the store, issues writes and
// kills itself with SIGKILL as soon as it has seen a given number of them
// acknowledged, while more are queued and in flight. The parent reopens the
// file and must find every acknowledged write (and, for completions with
// the sync journal on, each with its file-canister sync row).
#include <signal.h>
#include <sys/wait.h>
#include <unistd.h>

#include <algorithm>
#include <atomic>
#include <cerrno>
#include <cstring>
#include <random>
#include <set>

#include "store/sqlite/sqlite_test_util.h"

namespace sela::store::testing {
namespace {

constexpr int64_t kT0 = 1'700'000'000'000;
constexpr int kNodes = 2000;
constexpr size_t kAcksBeforeKill = 500;
constexpr uint64_t kSessionBlock = 10;

enum class AckKind : uint32_t { kRegistered = 1, kReserved = 2 };

struct Ack {
  AckKind kind;
  uint32_t index;
  int64_t value;  // numeric_id, or the first session id of the block.
};

std::string NodeName(uint32_t i) { return "node-" + std::to_string(i); }

// Never returns: the process ends by SIGKILL, or by _exit with a code that
// says what went wrong first.
[[noreturn]] void RunChild(const std::string& path, int fd) {
  SqliteOptions options;
  options.path = path;
  options.random = [rng = std::mt19937_64(99)]() mutable { return rng(); };
  // Callbacks run inline on the writer thread, right after the commit that
  // they report, so the kill lands while later batches are still queued.
  auto opened = SqliteStore::Open(options, [](std::function<void()> fn) { fn(); });
  if (!opened.has_value()) ::_exit(10);
  std::unique_ptr<Store> store = std::move(opened).value();
  std::atomic<size_t> acks = 0;
  auto report = [fd, &acks](Ack ack) {
    if (::write(fd, &ack, sizeof ack) != static_cast<ssize_t>(sizeof ack)) ::_exit(11);
    if (++acks == kAcksBeforeKill) ::raise(SIGKILL);
  };
  for (uint32_t i = 0; i < kNodes; ++i) {
    store->RegisterNode(NodeName(i), "1", kT0, [report, i](Result<NodeRecord> r) {
      if (!r.has_value()) ::_exit(12);
      report({AckKind::kRegistered, i, r->numeric_id});
    });
    store->ReserveSessionIds(kSessionBlock, [report, i](Result<uint64_t> r) {
      if (!r.has_value()) ::_exit(13);
      report({AckKind::kReserved, i, static_cast<int64_t>(*r)});
    });
  }
  store->Flush();
  ::_exit(14);  // Every write was acknowledged and the kill never came.
}

std::vector<Ack> ReadAcks(int fd) {
  std::string bytes;
  char buffer[4096];
  while (true) {
    const ssize_t n = ::read(fd, buffer, sizeof buffer);
    if (n < 0 && errno == EINTR) continue;
    if (n <= 0) break;
    bytes.append(buffer, static_cast<size_t>(n));
  }
  std::vector<Ack> acks(bytes.size() / sizeof(Ack));
  std::memcpy(acks.data(), bytes.data(), acks.size() * sizeof(Ack));
  return acks;
}

TEST_F(SqliteStoreTest, WritesAcknowledgedBeforeAKill9AreThereAfterReopening) {
  int fds[2];
  ASSERT_EQ(::pipe(fds), 0);
  const pid_t pid = ::fork();
  ASSERT_GE(pid, 0);
  if (pid == 0) {
    ::close(fds[0]);
    RunChild(options_.path, fds[1]);
  }
  ::close(fds[1]);
  const std::vector<Ack> acks = ReadAcks(fds[0]);
  ::close(fds[0]);
  int wait_status = 0;
  ASSERT_EQ(::waitpid(pid, &wait_status, 0), pid);
  ASSERT_TRUE(WIFSIGNALED(wait_status) && WTERMSIG(wait_status) == SIGKILL)
      << "the child exited with code " << (WIFEXITED(wait_status) ? WEXITSTATUS(wait_status) : -1);
  ASSERT_EQ(acks.size(), kAcksBeforeKill);

  ASSERT_NO_FATAL_FAILURE(Open());
  uint64_t last_reserved = 0;
  for (const Ack& ack : acks) {
    if (ack.kind == AckKind::kRegistered) {
      const auto node = Get(NodeName(ack.index));
      ASSERT_TRUE(node.has_value() && node->has_value()) << NodeName(ack.index) << " was lost";
      EXPECT_EQ((*node)->numeric_id, ack.value);
    } else {
      last_reserved = std::max(last_reserved, static_cast<uint64_t>(ack.value) + kSessionBlock - 1);
    }
  }
  // No session id handed out before the crash is handed out again.
  EXPECT_GT(Reserve(1).value(), last_reserved);
}

constexpr int kJobs = 2000;
constexpr size_t kCompletionsBeforeKill = 300;

// The child of the completion test: jobs created already leased and
// completed, each with a result of its own, on a store that keeps the sync
// journal; it dies after kCompletionsBeforeKill completions were
// acknowledged, with more queued behind them.
[[noreturn]] void RunCompletingChild(const std::string& path, int fd) {
  SqliteOptions options;
  options.path = path;
  options.random = [rng = std::mt19937_64(7)]() mutable { return rng(); };
  options.canister_sync = true;
  auto opened = SqliteStore::Open(options, [](std::function<void()> fn) { fn(); });
  if (!opened.has_value()) ::_exit(20);
  std::unique_ptr<Store> store = std::move(opened).value();
  store->RegisterApiClient(Client("acme", 1'000'000, 1), [](Result<ApiClient> r) {
    if (!r.has_value()) ::_exit(21);
  });
  std::atomic<size_t> acks = 0;
  for (uint32_t i = 0; i < kJobs; ++i) {
    JobRecord job = NewJob("job_" + std::to_string(i), "acme", kT0);
    job.state = JobState::kOngoing;
    job.attempt = 1;
    job.node_principal = "node-a";
    job.node_client_id = "c1";
    job.lease_deadline_ms = kT0 + 60'000;
    store->CreateJob(NewJobRequest(job), [](Result<CreateJobOutcome> r) {
      if (!r.has_value()) ::_exit(22);
    });
    store->CompleteJob(job.job_id, Completion("node-a", 1, "result " + std::to_string(i), 1'000 + i), kT0 + 1,
                       [fd, &acks, i](Result<CompletedJob> r) {
                         if (!r.has_value()) ::_exit(23);
                         if (::write(fd, &i, sizeof i) != static_cast<ssize_t>(sizeof i)) ::_exit(24);
                         if (++acks == kCompletionsBeforeKill) ::raise(SIGKILL);
                       });
  }
  store->Flush();
  ::_exit(25);  // Every completion was acknowledged and the kill never came.
}

// The row is written in the completion's own transaction: a completion
// acknowledged before a kill -9 has it after the restart, and no completed
// job, acknowledged or not, is without it.
TEST_F(SqliteStoreTest, ACompletionAcknowledgedBeforeAKill9HasItsSyncRowAfterReopening) {
  int fds[2];
  ASSERT_EQ(::pipe(fds), 0);
  const pid_t pid = ::fork();
  ASSERT_GE(pid, 0);
  if (pid == 0) {
    ::close(fds[0]);
    RunCompletingChild(options_.path, fds[1]);
  }
  ::close(fds[1]);
  std::string bytes;
  char buffer[4096];
  while (true) {
    const ssize_t n = ::read(fds[0], buffer, sizeof buffer);
    if (n < 0 && errno == EINTR) continue;
    if (n <= 0) break;
    bytes.append(buffer, static_cast<size_t>(n));
  }
  ::close(fds[0]);
  int wait_status = 0;
  ASSERT_EQ(::waitpid(pid, &wait_status, 0), pid);
  ASSERT_TRUE(WIFSIGNALED(wait_status) && WTERMSIG(wait_status) == SIGKILL)
      << "the child exited with code " << (WIFEXITED(wait_status) ? WEXITSTATUS(wait_status) : -1);
  std::vector<uint32_t> acked(bytes.size() / sizeof(uint32_t));
  std::memcpy(acked.data(), bytes.data(), acked.size() * sizeof(uint32_t));
  ASSERT_EQ(acked.size(), kCompletionsBeforeKill);

  ASSERT_NO_FATAL_FAILURE(Open());
  const auto due = Call<Result<std::vector<SyncRecord>>>(
      [&](auto done) { store().ListDueSyncs(kT0 + 1, 100'000, done); });
  ASSERT_TRUE(due.has_value()) << due.error().ToString();
  std::set<std::string> rows;
  for (const SyncRecord& r : *due) rows.insert(r.sha256);
  const auto completed = ClientJobs("acme", JobState::kCompleted, 10'000);
  ASSERT_TRUE(completed.has_value());
  std::set<std::string> completed_ids;
  for (const JobRecord& job : *completed) {
    completed_ids.insert(job.job_id);
    EXPECT_TRUE(rows.contains(job.result_hash)) << job.job_id << " is completed without its sync row";
  }
  for (const uint32_t i : acked) {
    EXPECT_TRUE(completed_ids.contains("job_" + std::to_string(i))) << "job_" << i << " was lost";
    EXPECT_TRUE(rows.contains(FakeSha256(1'000 + i))) << "the sync row of job_" << i << " was lost";
  }
  EXPECT_EQ(rows.size(), completed_ids.size());  // No row without its completion either.
}

}  // namespace
}  // namespace sela::store::testing
