#include "chain/executor.h"

#include <gtest/gtest.h>

#include <atomic>
#include <future>

#include "chain/chain_e2e_test_util.h"
#include "chain/icrc1_client.h"

namespace sela::chain {
namespace {

// Completions land here, as on an event loop: one thread drains them.
class Inbox {
 public:
  void Post(std::function<void()> f) {
    std::lock_guard<std::mutex> lock(mu_);
    queue_.push_back(std::move(f));
    cv_.notify_one();
  }
  // Runs posted completions until `n` have run.
  void RunUntil(size_t n) {
    while (ran_ < n) {
      std::unique_lock<std::mutex> lock(mu_);
      cv_.wait(lock, [&] { return !queue_.empty(); });
      auto f = std::move(queue_.front());
      queue_.erase(queue_.begin());
      lock.unlock();
      f();
      ++ran_;
    }
  }

 private:
  std::mutex mu_;
  std::condition_variable cv_;
  std::vector<std::function<void()>> queue_;
  size_t ran_ = 0;
};

TEST(Executor, RunsWorkOffTheCallerAndPostsResultsBack) {
  Inbox inbox;
  const std::thread::id caller = std::this_thread::get_id();
  Executor executor(2, 8, [&](std::function<void()> f) { inbox.Post(std::move(f)); });
  std::vector<int> results;
  for (int i = 0; i < 4; ++i) {
    executor.Run<int>(
        [i, caller]() -> Result<int> {
          EXPECT_NE(std::this_thread::get_id(), caller);
          return i * i;
        },
        [&, caller](Result<int> r) {
          EXPECT_EQ(std::this_thread::get_id(), caller);
          results.push_back(r.value());
        });
  }
  inbox.RunUntil(4);
  std::sort(results.begin(), results.end());
  EXPECT_EQ(results, (std::vector<int>{0, 1, 4, 9}));
}

TEST(Executor, RefusesWorkPastTheQueueAndDropsQueuedWorkOnStop) {
  Inbox inbox;
  std::promise<void> release;
  std::shared_future<void> gate = release.get_future().share();
  std::vector<Code> codes;
  {
    Executor executor(1, 1, [&](std::function<void()> f) { inbox.Post(std::move(f)); });
    std::atomic<bool> started{false};
    executor.Run<int>([&]() -> Result<int> { started = true; gate.wait(); return 1; },
                      [&](Result<int> r) { codes.push_back(r.has_value() ? Code::kOk : r.error().code()); });
    while (!started) std::this_thread::yield();
    executor.Run<int>([]() -> Result<int> { return 2; },
                      [&](Result<int> r) { codes.push_back(r.has_value() ? Code::kOk : r.error().code()); });
    executor.Run<int>([]() -> Result<int> { return 3; },  // Queue of one is full.
                      [&](Result<int> r) { codes.push_back(r.has_value() ? Code::kOk : r.error().code()); });
    inbox.RunUntil(1);
    EXPECT_EQ(codes, std::vector<Code>{Code::kResourceExhausted});
    release.set_value();
    // The destructor lets the running task finish and drops the queued one...
  }
  inbox.RunUntil(3);
  // ...unless a worker took it first.
  ASSERT_EQ(codes.size(), 3u);
  EXPECT_EQ(codes[0], Code::kResourceExhausted);
  EXPECT_EQ(codes[1], Code::kOk);
  EXPECT_TRUE(codes[2] == Code::kOk || codes[2] == Code::kUnavailable);
}

class ExecutorLedgerTest : public testing::ChainTest {};

TEST_F(ExecutorLedgerTest, ConcurrentTransfersThroughTheExecutorMintOnceEach) {
  Inbox inbox;
  Executor executor(4, 64, [&](std::function<void()> f) { inbox.Post(std::move(f)); });
  Icrc1Client client(*agent, ic->ledger_id());
  int applied = 0;
  for (int i = 0; i < 16; ++i) {
    icrc1::TransferArg arg;
    arg.to = {testing::Minter().principal(), std::string(31, '\0') + static_cast<char>(i)};
    arg.amount = 100 + i;
    arg.memo = "m" + std::to_string(i);
    arg.created_at_time = static_cast<uint64_t>(clock.WallMs()) * 1'000'000;
    executor.Run<TransferOutcome>([&client, arg] { return client.Transfer(arg); },
                                  [&](Result<TransferOutcome> r) { applied += r.has_value() && r->kind == TransferOutcome::Kind::kApplied; });
  }
  inbox.RunUntil(16);
  EXPECT_EQ(applied, 16);
  EXPECT_EQ(ic->WithLedger([](const fake::FakeLedger& l) { return l.mints().size(); }), 16u);
}

}  // namespace
}  // namespace sela::chain
