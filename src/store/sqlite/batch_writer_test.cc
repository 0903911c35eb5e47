// How the SQLite store's writer is woken (SqliteOptions::wake_later,
// wake_after, gather, gather_ops): operations issued within `gather` share
// one transaction, a full enough queue wakes the writer at the end of the
// caller's pass, and a wake-up that was overtaken or outlived the store
// does nothing. The "loop" here is the test's own: closures the store hands
// to wake_later and wake_after are kept and run by hand.
#include <gtest/gtest.h>

#include <chrono>
#include <condition_variable>
#include <functional>
#include <mutex>
#include <thread>
#include <vector>

#include "store/sqlite/sqlite_test_util.h"

namespace sela::store::testing {
namespace {

using std::chrono::microseconds;

class GatherTest : public SqliteStoreTest {
 protected:
  void OpenGathering(microseconds gather, uint32_t gather_ops) {
    options_.wake_later = [this](std::function<void()> fn) { now_.push_back(std::move(fn)); };
    options_.wake_after = [this](microseconds delay, std::function<void()> fn) {
      delays_.push_back(delay);
      later_.push_back(std::move(fn));
    };
    options_.gather = gather;
    options_.gather_ops = gather_ops;
    options_.on_batch = [this](const SqliteStats& stats) {
      std::lock_guard lock(mu_);
      stats_ = stats;
      changed_.notify_all();
    };
    Open();
  }
  // The schema's own batch, if any, is not the test's.
  SqliteStats StatsNow() {
    std::lock_guard lock(mu_);
    return stats_;
  }
  SqliteStats WaitForOperations(uint64_t operations) {
    std::unique_lock lock(mu_);
    const bool reached = changed_.wait_for(lock, std::chrono::seconds(10),
                                           [&] { return stats_.operations >= operations; });
    EXPECT_TRUE(reached) << "the writer ran " << stats_.operations << " operations, not " << operations;
    return stats_;
  }
  void Reserve(int n, int* answered) {
    for (int i = 0; i < n; ++i) {
      store_->ReserveSessionIds(1, [answered](Result<uint64_t> r) {
        EXPECT_TRUE(r.has_value());
        ++*answered;
      });
    }
  }
  static void RunAndClear(std::vector<std::function<void()>>& fns) {
    auto taken = std::move(fns);
    fns.clear();
    for (auto& fn : taken) fn();
  }

  std::vector<std::function<void()>> now_, later_;
  std::vector<microseconds> delays_;
  std::mutex mu_;
  std::condition_variable changed_;
  SqliteStats stats_;
};

TEST_F(GatherTest, OperationsIssuedWithinTheGatherTimeShareOneTransaction) {
  OpenGathering(microseconds(1500), 64);
  int answered = 0;
  // A writer that looks at the queue (as it starts, or after a batch) takes
  // what is there without a wake-up; let it go to sleep first.
  Reserve(1, &answered);
  store_->Flush();
  WaitForOperations(1);
  RunAndClear(later_);  // The warm-up's own wake-up, overtaken by Flush().
  std::this_thread::sleep_for(std::chrono::milliseconds(50));
  delays_.clear();
  const uint64_t before = StatsNow().batches;
  Reserve(5, &answered);
  // One delayed wake-up for the five, none at the end of the pass.
  ASSERT_EQ(delays_, std::vector<microseconds>{microseconds(1500)});
  EXPECT_TRUE(now_.empty());
  // Nobody woke the writer: nothing runs until the delay is over.
  std::this_thread::sleep_for(std::chrono::milliseconds(30));
  EXPECT_EQ(StatsNow().operations, 1u);
  RunAndClear(later_);
  const SqliteStats stats = WaitForOperations(6);
  EXPECT_EQ(stats.batches, before + 1);
  EXPECT_EQ(stats.operations, 6u);
  store_->Flush();
  posts_.RunAll();
  EXPECT_EQ(answered, 6);
}

TEST_F(GatherTest, AFullEnoughQueueWakesTheWriterAtTheEndOfThePass) {
  OpenGathering(microseconds(1000), 4);
  int answered = 0;
  Reserve(3, &answered);
  EXPECT_EQ(later_.size(), 1u);
  EXPECT_TRUE(now_.empty());
  Reserve(3, &answered);  // The fourth reaches gather_ops.
  ASSERT_EQ(now_.size(), 1u) << "one wake-up per pass, however many past gather_ops";
  EXPECT_EQ(later_.size(), 1u);
  RunAndClear(now_);
  EXPECT_EQ(WaitForOperations(6).batches, 1u);
  // The delayed wake-up was overtaken by the one at the end of the pass: it
  // neither blocks the next operation's wake-up nor cuts its gather short.
  std::this_thread::sleep_for(std::chrono::milliseconds(50));  // The writer sleeps again.
  Reserve(1, &answered);
  ASSERT_EQ(later_.size(), 2u) << "a new operation schedules its own wake-up";
  later_[0]();
  std::this_thread::sleep_for(std::chrono::milliseconds(30));
  EXPECT_EQ(StatsNow().operations, 6u) << "a stale wake-up woke the writer";
  later_[1]();
  later_.clear();
  EXPECT_EQ(WaitForOperations(7).batches, 2u);
  store_->Flush();
  posts_.RunAll();
  EXPECT_EQ(answered, 7);
}

TEST_F(GatherTest, ZeroGatherWakesAtTheEndOfEveryPass) {
  OpenGathering(microseconds(0), 64);
  int answered = 0;
  Reserve(2, &answered);
  EXPECT_TRUE(later_.empty());
  ASSERT_EQ(now_.size(), 1u);
  RunAndClear(now_);
  EXPECT_EQ(WaitForOperations(2).batches, 1u);
  Reserve(1, &answered);
  EXPECT_EQ(now_.size(), 1u);
  RunAndClear(now_);
  WaitForOperations(3);
  store_->Flush();
  posts_.RunAll();
  EXPECT_EQ(answered, 3);
}

TEST_F(GatherTest, AWakeUpThatOutlivesTheStoreDoesNothing) {
  OpenGathering(microseconds(1000), 64);
  int answered = 0;
  Reserve(2, &answered);
  ASSERT_EQ(later_.size(), 1u);
  Close();  // Runs what is queued (nothing is lost), then the writer is gone.
  EXPECT_EQ(answered, 2);
  RunAndClear(later_);  // Must not touch the destroyed writer (asan).
}

}  // namespace
}  // namespace sela::store::testing
