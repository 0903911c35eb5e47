// The Store contract on callbacks: order, isolation of failures, operations
// issued from many threads, Flush and shutdown. See store_contract_test.h.
#include <algorithm>
#include <set>
#include <thread>
#include <vector>

#include "store/store_contract_test.h"

namespace sela::store::testing {
namespace {

constexpr int64_t kT0 = 1'700'000'000'000;

TEST_P(StoreContractTest, CallbacksArriveInIssueOrderWhateverTheOutcome) {
  std::vector<int> order;
  auto record = [&order](int i) { return [&order, i](auto) { order.push_back(i); }; };
  constexpr int kRounds = 60;
  int issued = 0;
  for (int round = 0; round < kRounds; ++round) {
    const std::string p = "node-" + std::to_string(round);
    store().RegisterNode(p, "1", kT0, record(issued++));
    store().MarkNodeDisconnected("ghost", kT0, record(issued++));  // Fails: NotFound.
    store().ReserveSessionIds(3, record(issued++));
    store().GetNode("", record(issued++));  // Fails: InvalidArgument.
    store().AddUptime({OnlineDelta(p, "2024-05-05", 5)}, kT0, record(issued++));
    store().ListNodes(true, record(issued++));
  }
  Settle();
  ASSERT_EQ(order.size(), static_cast<size_t>(issued));
  for (int i = 0; i < issued; ++i) ASSERT_EQ(order[i], i);
}

TEST_P(StoreContractTest, AFailingOperationDoesNotUndoTheOthersIssuedWithIt) {
  // Hold the backend's worker so that what follows is applied together.
  posts_.HoldNextPost();
  store().Ping([](Status) {});
  posts_.WaitUntilHeld();
  std::vector<Status> statuses;
  auto record = [&statuses](Status s) { statuses.push_back(std::move(s)); };
  store().RegisterNode("alpha", "1", kT0, [&](Result<NodeRecord> r) {
    statuses.push_back(r.has_value() ? Status::Ok() : r.error());
  });
  store().MarkNodeDisconnected("ghost", kT0, record);
  store().SetNodeCapacity("alpha", 3, record);
  store().AddUptime({OnlineDelta("alpha", "2024-99-01", 5)}, kT0, record);
  store().AddUptime({OnlineDelta("alpha", "2024-05-01", 5)}, kT0, record);
  posts_.Release();
  Settle();

  ASSERT_EQ(statuses.size(), 5u);
  EXPECT_TRUE(statuses[0].ok()) << statuses[0].ToString();
  EXPECT_EQ(statuses[1].code(), Code::kNotFound);
  EXPECT_TRUE(statuses[2].ok()) << statuses[2].ToString();
  EXPECT_EQ(statuses[3].code(), Code::kInvalidArgument);
  EXPECT_TRUE(statuses[4].ok()) << statuses[4].ToString();
  EXPECT_EQ(Get("alpha")->value().max_concurrent_jobs, 3u);
  EXPECT_EQ(TotalUptime("alpha"), 5);
}

TEST_P(StoreContractTest, OperationsIssuedFromManyThreadsAllApplyOnce) {
  constexpr int kThreads = 4;
  constexpr int kPerThread = 250;
  constexpr uint64_t kBlock = 10;
  struct Seen {
    std::vector<int64_t> numeric_ids;
    std::vector<uint64_t> first_session_ids;
    int failures = 0;
  };
  std::vector<Seen> seen(kThreads);
  std::vector<std::thread> threads;
  for (int t = 0; t < kThreads; ++t) {
    threads.emplace_back([this, t, &seen] {
      for (int i = 0; i < kPerThread; ++i) {
        const std::string p = "t" + std::to_string(t) + "-" + std::to_string(i);
        // Callbacks run on the test thread (RunAll), so `seen` needs no lock.
        store().RegisterNode(p, "1", kT0, [&seen, t](Result<NodeRecord> r) {
          if (r.has_value()) {
            seen[t].numeric_ids.push_back(r->numeric_id);
          } else {
            ++seen[t].failures;
          }
        });
        store().ReserveSessionIds(kBlock, [&seen, t](Result<uint64_t> r) {
          if (r.has_value()) {
            seen[t].first_session_ids.push_back(*r);
          } else {
            ++seen[t].failures;
          }
        });
      }
    });
  }
  for (std::thread& thread : threads) thread.join();
  Settle();

  std::set<int64_t> numeric_ids;
  std::set<uint64_t> session_ids;
  for (const Seen& s : seen) {
    EXPECT_EQ(s.failures, 0);
    // One thread's operations are applied in the order it issued them.
    EXPECT_TRUE(std::is_sorted(s.numeric_ids.begin(), s.numeric_ids.end()));
    EXPECT_TRUE(std::is_sorted(s.first_session_ids.begin(), s.first_session_ids.end()));
    numeric_ids.insert(s.numeric_ids.begin(), s.numeric_ids.end());
    for (uint64_t first : s.first_session_ids) {
      for (uint64_t id = first; id < first + kBlock; ++id) session_ids.insert(id);
    }
  }
  constexpr size_t kTotal = kThreads * kPerThread;
  ASSERT_EQ(numeric_ids.size(), kTotal);
  EXPECT_EQ(*numeric_ids.begin(), 1);
  EXPECT_EQ(*numeric_ids.rbegin(), static_cast<int64_t>(kTotal));
  ASSERT_EQ(session_ids.size(), kTotal * kBlock);  // No id handed out twice.
  EXPECT_EQ(*session_ids.begin(), 1u);
  EXPECT_EQ(*session_ids.rbegin(), kTotal * kBlock);
  EXPECT_EQ(List(false).value().size(), kTotal);
}

TEST_P(StoreContractTest, FlushReturnsOnceEveryIssuedCallbackIsPosted) {
  store().Flush();
  EXPECT_EQ(posts_.size(), 0u);
  constexpr size_t kOps = 100;
  size_t delivered = 0;
  for (size_t i = 0; i < kOps; ++i) {
    store().RegisterNode("node-" + std::to_string(i), "1", kT0, [&delivered](Result<NodeRecord>) { ++delivered; });
  }
  store().Flush();
  // A backend may post several callbacks as one closure; all are posted.
  EXPECT_GE(posts_.size(), 1u);
  EXPECT_EQ(delivered, 0u);  // Posted, not run: they run on the post target.
  posts_.RunAll();
  EXPECT_EQ(delivered, kOps);
}

TEST_P(StoreContractTest, ClosingTheStoreDeliversEveryCallbackAndKeepsTheWrites) {
  constexpr int kNodes = 50;
  int ok = 0;
  for (int i = 0; i < kNodes; ++i) {
    store().RegisterNode("node-" + std::to_string(i), "1", kT0,
                         [&ok](Result<NodeRecord> r) { ok += r.has_value() ? 1 : 0; });
  }
  store_.reset();
  posts_.RunAll();
  EXPECT_EQ(ok, kNodes);
  ASSERT_NO_FATAL_FAILURE(Reopen());
  EXPECT_EQ(List(false).value().size(), static_cast<size_t>(kNodes));
}

}  // namespace
}  // namespace sela::store::testing
