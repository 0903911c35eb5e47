#include "net/event_loop.h"

#include <gtest/gtest.h>
#include <sys/socket.h>
#include <unistd.h>

#include <algorithm>
#include <atomic>
#include <condition_variable>
#include <functional>
#include <mutex>
#include <csignal>
#include <string>
#include <thread>
#include <vector>

namespace sela::net {
namespace {

using std::chrono::milliseconds;

TEST(EventLoopTest, PostsFromTheLoopThreadRunInOrderAfterTheCurrentPass) {
  EventLoop loop;
  std::vector<int> order;
  loop.Post([&] {
    order.push_back(1);
    loop.Post([&] { order.push_back(3); });
  });
  loop.Post([&] { order.push_back(2); });
  loop.RunUntilIdle();
  EXPECT_EQ(order, (std::vector<int>{1, 2, 3}));
}

TEST(EventLoopTest, PostsFromOtherThreadsWakeASleepingLoop) {
  EventLoop loop;
  constexpr int kThreads = 4;
  constexpr int kEach = 2000;
  int count = 0;  // Touched on the loop thread only.
  std::vector<std::thread> threads;
  for (int t = 0; t < kThreads; ++t) {
    threads.emplace_back([&] {
      for (int i = 0; i < kEach; ++i) {
        loop.Post([&] {
          if (++count == kThreads * kEach) loop.Stop();
        });
        if (i % 500 == 0) std::this_thread::sleep_for(milliseconds(2));  // Let the loop sleep.
      }
    });
  }
  loop.Run();  // Returns only once every post ran (no timer could end it).
  for (auto& t : threads) t.join();
  EXPECT_EQ(count, kThreads * kEach);
}

TEST(EventLoopTest, RunUntilIdleRunsWhatOtherThreadsAlreadyPosted) {
  EventLoop loop;
  bool ran = false;
  std::thread([&] { loop.Post([&] { ran = true; }); }).join();
  loop.RunUntilIdle();
  EXPECT_TRUE(ran);
}

TEST(EventLoopTest, TimersFireInDeadlineOrderAndRepeat) {
  EventLoop loop;
  std::vector<std::string> fired;
  int ticks = 0;
  loop.RunAfter(milliseconds(30), [&] { fired.push_back("after30"); });
  loop.RunAfter(milliseconds(10), [&] { fired.push_back("after10"); });
  loop.RunEvery(milliseconds(5), [&] { ++ticks; });
  loop.RunAfter(milliseconds(60), [&] { loop.Stop(); });
  const auto start = std::chrono::steady_clock::now();
  loop.Run();
  const auto took = std::chrono::steady_clock::now() - start;
  EXPECT_EQ(fired, (std::vector<std::string>{"after10", "after30"}));
  EXPECT_GE(took, milliseconds(60));  // Never early.
  EXPECT_GE(ticks, 3);                 // Repeats (loosely: the machine may be busy).
  EXPECT_LE(ticks, 12);
}

// The store's writer is woken a fraction of a millisecond after the first
// operation (SQLITE_GATHER_US), so timers keep sub-millisecond delays:
// never early, and (the fastest of 20, so that a busy machine cannot fail
// it) well under the millisecond that epoll_wait's timeout would round to.
TEST(EventLoopTest, SubMillisecondTimersAreNeitherEarlyNorRoundedUp) {
  EventLoop loop;
  constexpr auto kDelay = std::chrono::microseconds(200);
  std::vector<std::chrono::steady_clock::duration> took;
  auto armed = std::chrono::steady_clock::now();
  std::function<void()> fire = [&] {
    took.push_back(std::chrono::steady_clock::now() - armed);
    if (took.size() == 20) return loop.Stop();
    armed = std::chrono::steady_clock::now();
    loop.RunAfter(kDelay, fire);
  };
  loop.RunAfter(kDelay, fire);
  loop.Run();
  ASSERT_EQ(took.size(), 20u);
  for (const auto& t : took) EXPECT_GE(t, kDelay);
  EXPECT_LT(*std::min_element(took.begin(), took.end()), std::chrono::microseconds(900));
}

// Once its one posted task has run, the loop waits with nothing to wake it
// but the Stop() from the other thread. Should that Stop not wake it, the
// other thread posts a rescue after a while, so the test fails (rescued)
// rather than hangs.
TEST(EventLoopTest, StopFromAnotherThreadWakesTheLoop) {
  EventLoop loop;
  std::mutex mu;
  std::condition_variable changed;
  bool running = false;
  bool stop_called = false;
  bool returned = false;
  bool rescued = false;
  loop.Post([&] {
    std::lock_guard lock(mu);
    running = true;
    changed.notify_all();
  });
  std::thread stopper([&] {
    std::unique_lock lock(mu);
    changed.wait(lock, [&] { return running; });
    stop_called = true;
    loop.Stop();
    if (!changed.wait_for(lock, std::chrono::seconds(5), [&] { return returned; })) {
      rescued = true;
      loop.Post([] {});
    }
  });
  loop.Run();
  {
    std::lock_guard lock(mu);
    EXPECT_TRUE(stop_called) << "Run() returned before Stop()";
    returned = true;
    changed.notify_all();
  }
  stopper.join();
  EXPECT_FALSE(rescued) << "Stop() from another thread did not wake the loop";
}

TEST(EventLoopTest, ShutdownDropsPendingWorkWithoutRunningIt) {
  EventLoop loop;
  bool ran = false;
  loop.Post([&] { ran = true; });
  loop.RunAfter(milliseconds(0), [&] { ran = true; });
  loop.Shutdown();
  loop.RunUntilIdle();
  EXPECT_FALSE(ran);
}

TEST(EventLoopTest, SignalsReachTheirHandlerOnTheLoop) {
  EventLoop loop;
  std::vector<int> got;
  loop.OnSignals({SIGUSR1, SIGUSR2}, [&](int s) {
    got.push_back(s);
    if (got.size() == 2) loop.Stop();
  });
  loop.Post([] {
    ::raise(SIGUSR1);
    ::raise(SIGUSR2);
  });
  loop.RunAfter(milliseconds(5000), [&] { loop.Stop(); });  // Bound a failure.
  loop.Run();
  EXPECT_EQ(got, (std::vector<int>{SIGUSR1, SIGUSR2}));
  loop.Shutdown();  // Back to the default dispositions.
  struct sigaction now {};
  sigaction(SIGUSR1, nullptr, &now);
  EXPECT_EQ(now.sa_handler, SIG_DFL);
}

struct Recorder : EventLoop::IoHandler {
  std::vector<std::pair<uint64_t, uint32_t>> seen;
  void OnIo(uint64_t token, uint32_t events) override { seen.emplace_back(token, events); }
};

TEST(EventLoopTest, WatchedDescriptorsReportEdgesWithTheirToken) {
  EventLoop loop;
  int sv[2];
  ASSERT_EQ(::socketpair(AF_UNIX, SOCK_STREAM | SOCK_NONBLOCK, 0, sv), 0);
  Recorder rec;
  const uint64_t token = (uint64_t{7} << 32) | 42;
  ASSERT_EQ(loop.Watch(sv[0], EPOLLIN | EPOLLRDHUP, &rec, token), 0);
  ASSERT_EQ(::write(sv[1], "x", 1), 1);
  loop.RunAfter(milliseconds(20), [&] { loop.Stop(); });
  loop.Run();
  ASSERT_EQ(rec.seen.size(), 1u);  // One edge, though the byte was never read.
  EXPECT_EQ(rec.seen[0].first, token);
  EXPECT_TRUE(rec.seen[0].second & EPOLLIN);
  // New data is a new edge, even with the old byte still unread.
  ASSERT_EQ(::write(sv[1], "y", 1), 1);
  ::shutdown(sv[1], SHUT_WR);
  loop.RunAfter(milliseconds(20), [&] { loop.Stop(); });
  loop.Run();
  ASSERT_GE(rec.seen.size(), 2u);
  EXPECT_TRUE(rec.seen.back().second & EPOLLRDHUP);
  EXPECT_NE(loop.Watch(sv[0], EPOLLIN, &rec, token), 0);  // Already watched: an errno.
  ::close(sv[0]);
  ::close(sv[1]);
}

}  // namespace
}  // namespace sela::net
