// The Redis store as the Cluster of several processes (cluster.h): two
// stores with their own process ids stand for two server processes on one
// real redis-server.
#include <gtest/gtest.h>

#include <iostream>

#include <chrono>
#include <condition_variable>
#include <future>
#include <map>
#include <mutex>
#include <thread>

#include "store/redis/redis_store.h"
#include "store/redis/redis_test_util.h"
#include "store/store_contract_test.h"

namespace sela::store::testing {
namespace {

constexpr int64_t kT0 = StoreTimeZeroMs();
constexpr uint32_t kTtlMs = 600;
constexpr auto kWait = std::chrono::seconds(10);

// What one process's cluster told it, gathered on the loop thread and read
// on the test thread.
struct Heard {
  std::mutex mu;
  std::condition_variable changed;
  std::vector<std::string> jobs;  // Ids, in the order they came.
  std::vector<std::string> ended;
  std::vector<std::string> to_node;  // "principal text"
  std::vector<std::string> to_all;
  int reaped = 0;

  template <typename Pred>
  bool WaitFor(Pred pred) {
    std::unique_lock lock(mu);
    return changed.wait_for(lock, kWait, [&] { return pred(*this); });
  }
  size_t JobCount() {
    std::lock_guard lock(mu);
    return jobs.size();
  }
};

class Process {
 public:
  Process(RedisServer& server, LoopThread& loop, const std::string& id) : loop_(loop) {
    RedisOptions options = TestRedisOptions(server, "cl", std::hash<std::string>()(id));
    options.process_id = id;
    options.process_ttl_ms = kTtlMs;
    options.backoff_min_ms = 10;
    options.backoff_max_ms = 50;
    options.now_ms = [] { return kT0 + 1000; };
    auto store = RedisStore::Open(options, loop.loop(), posts_.AsPostFn());
    EXPECT_TRUE(store.has_value()) << store.error().ToString();
    if (store) store_ = std::move(*store);
  }
  ~Process() {
    store_.reset();
    posts_.RunAll();
  }

  Status Start() {
    return OnLoop<Status>([&] {
      Cluster::Events e;
      e.jobs = [this](std::vector<JobRecord> jobs) {
        Note([&](Heard& h) {
          for (const JobRecord& j : jobs) h.jobs.push_back(j.job_id);
        });
      };
      e.ended = [this](const std::string& id) { Note([&](Heard& h) { h.ended.push_back(id); }); };
      e.to_node = [this](const std::string& p, const std::string& t) {
        Note([&](Heard& h) { h.to_node.push_back(p + " " + t); });
      };
      e.to_all = [this](const std::string& t) { Note([&](Heard& h) { h.to_all.push_back(t); }); };
      e.reaped = [this] { Note([&](Heard& h) { ++h.reaped; }); };
      return store_->Start(std::move(e));
    });
  }
  // Runs fn on the loop thread and returns what it returns.
  template <typename R, typename Fn>
  R OnLoop(Fn fn) {
    std::promise<R> out;
    loop_.loop().Post([&] { out.set_value(fn()); });
    return out.get_future().get();
  }
  void Do(std::function<void(RedisStore&)> fn) {
    OnLoop<bool>([&] {
      fn(*store_);
      return true;
    });
  }
  // A store operation, waited for.
  template <typename R, typename Issue>
  R Call(Issue issue) {
    std::optional<R> got;
    issue(*store_, [&got](R r) { got = std::move(r); });
    store_->Flush();
    posts_.RunAll();
    return std::move(*got);
  }

  RedisStore& store() { return *store_; }
  Heard& heard() { return heard_; }

 private:
  void Note(const std::function<void(Heard&)>& fn) {
    std::lock_guard lock(heard_.mu);
    fn(heard_);
    heard_.changed.notify_all();
  }

  LoopThread& loop_;
  PostQueue posts_;
  Heard heard_;
  std::unique_ptr<RedisStore> store_;
};

class RedisClusterTest : public ::testing::Test {
 protected:
  void SetUp() override {
    RedisServer::Options options;
    options.clock = &clock_;
    auto server = RedisServer::Start(options);
    ASSERT_TRUE(server.has_value()) << server.error().ToString();
    server_ = std::move(*server);
    loop_ = std::make_unique<LoopThread>();
    a_ = std::make_unique<Process>(*server_, *loop_, "proc-a");
    b_ = std::make_unique<Process>(*server_, *loop_, "proc-b");
    ASSERT_TRUE(a_->Start().ok());
    ASSERT_TRUE(b_->Start().ok());
    ASSERT_TRUE(a_->Call<Result<ApiClient>>([](Store& s, auto done) {
                   s.RegisterApiClient(Client("acme", 1000, 1), done);
                 }).has_value());
  }
  void TearDown() override {
    a_.reset();
    b_.reset();
    loop_.reset();
    server_.reset();
  }

  // A pending job created through `p`; `target` for one node only.
  void Create(Process& p, const std::string& id, bool sync = false, const std::string& target = "") {
    JobRecord job = NewJob(id, "acme", kT0, sync);
    job.target_node = target;
    const auto created = p.Call<Result<CreateJobOutcome>>(
        [&](Store& s, auto done) { s.CreateJob(NewJobRequest(job), done); });
    ASSERT_TRUE(created.has_value()) << created.error().ToString();
  }
  Status Lease(Process& p, const std::string& id, const std::string& node, uint32_t attempt = 1) {
    return p.Call<Status>([&](Store& s, auto done) {
      s.LeaseJob(id, JobLease{node, "c", attempt, kT0 + 60'000}, kT0 + 10, done);
    });
  }
  JobRecord Get(Process& p, const std::string& id) {
    auto job = p.Call<Result<std::optional<JobRecord>>>([&](Store& s, auto done) { s.GetJob(id, done); });
    EXPECT_TRUE(job.has_value() && job->has_value()) << id;
    return job.has_value() && job->has_value() ? **job : JobRecord{};
  }
  std::string Field(const std::string& id, const std::string& field) {
    return server_->Command({"HGET", "{cl}:jobs:job:" + id, field}).value();
  }

  SystemClock clock_;  // Times the waits on a real redis-server.
  std::unique_ptr<RedisServer> server_;
  std::unique_ptr<LoopThread> loop_;
  std::unique_ptr<Process> a_;
  std::unique_ptr<Process> b_;
};

TEST_F(RedisClusterTest, AJobCreatedOnOneProcessGoesToAnotherThatWantsWork) {
  b_->Do([](RedisStore& s) { s.WantJobs(4); });
  Create(*a_, "job_1");
  ASSERT_TRUE(b_->heard().WaitFor([](Heard& h) { return h.jobs.size() == 1; }));
  EXPECT_EQ(b_->heard().jobs[0], "job_1");
  EXPECT_EQ(Field("job_1", "owner"), "proc-b");
  ASSERT_TRUE(Lease(*b_, "job_1", "node-b").ok());
  EXPECT_EQ(server_->Command({"SMEMBERS", "{cl}:jobs:leases:proc-b"}).value(), "job_1");
  EXPECT_EQ(server_->Command({"LLEN", "{cl}:jobs:claimed:proc-b"}).value(), "0");
}

TEST_F(RedisClusterTest, OnlyAProcessThatWantsWorkTakesIt) {
  Create(*a_, "job_1");
  a_->Do([](RedisStore& s) { s.WantJobs(1); });
  ASSERT_TRUE(a_->heard().WaitFor([](Heard& h) { return h.jobs.size() == 1; }));
  EXPECT_EQ(b_->heard().JobCount(), 0u);  // B never asked.
}

TEST_F(RedisClusterTest, EveryQueuedJobIsTakenOnceAcrossProcessesOldestFirst) {
  for (int i = 0; i < 30; ++i) Create(*a_, "job_" + std::to_string(100 + i));
  auto all = [&] { return a_->heard().JobCount() + b_->heard().JobCount(); };
  // Both processes' events count here; each Heard has its own lock, so
  // this waits by looking again every millisecond.
  auto wait_until = [&](size_t n) {
    const MonoTime deadline = clock_.Now() + kWait;
    while (all() < n && clock_.Now() < deadline) {
      std::this_thread::sleep_for(std::chrono::milliseconds(1));
    }
    return all() >= n;
  };
  // Each asks for up to 7 at a time, again once its last take has come.
  for (int round = 0; round < 30 && all() < 30; ++round) {
    const size_t before = all();
    a_->Do([](RedisStore& s) { s.WantJobs(7); });
    b_->Do([](RedisStore& s) { s.WantJobs(7); });
    ASSERT_TRUE(wait_until(before + 1));
  }
  ASSERT_TRUE(wait_until(30));
  EXPECT_EQ(all(), 30u);
  std::map<std::string, int> seen;
  for (Process* p : {a_.get(), b_.get()}) {
    std::lock_guard lock(p->heard().mu);
    for (const std::string& id : p->heard().jobs) ++seen[id];
    EXPECT_TRUE(std::is_sorted(p->heard().jobs.begin(), p->heard().jobs.end()));
  }
  ASSERT_EQ(seen.size(), 30u);
  for (const auto& [id, n] : seen) EXPECT_EQ(n, 1) << id;
}

TEST_F(RedisClusterTest, JobsGivenBackGoToTheFrontForAnother) {
  Create(*a_, "job_1");
  Create(*a_, "job_2");
  a_->Do([](RedisStore& s) { s.WantJobs(1); });
  ASSERT_TRUE(a_->heard().WaitFor([](Heard& h) { return h.jobs.size() == 1; }));
  a_->Do([](RedisStore& s) { s.GiveBack({"job_1"}); });
  b_->Do([](RedisStore& s) { s.WantJobs(1); });
  ASSERT_TRUE(b_->heard().WaitFor([](Heard& h) { return h.jobs.size() == 1; }));
  EXPECT_EQ(b_->heard().jobs[0], "job_1");  // Ahead of job_2.
  EXPECT_EQ(Field("job_1", "owner"), "proc-b");
}

TEST_F(RedisClusterTest, AJobForOneNodeGoesToTheProcessHoldingIt) {
  b_->Do([](RedisStore& s) { s.NodeOnline("node-b"); });
  ASSERT_TRUE(b_->Call<Status>([](Store& s, auto done) { s.Ping(done); }).ok());  // Applied.
  Create(*a_, "job_1", false, "node-b");
  ASSERT_TRUE(b_->heard().WaitFor([](Heard& h) { return h.jobs.size() == 1; }));
  EXPECT_EQ(Field("job_1", "owner"), "proc-b");
  // A node that is nowhere: its job is parked until it comes.
  Create(*a_, "job_2", false, "node-c");
  EXPECT_EQ(Field("job_2", "owner"), "(nil)");
  a_->Do([](RedisStore& s) { s.NodeOnline("node-c"); });
  ASSERT_TRUE(a_->heard().WaitFor([](Heard& h) { return h.jobs.size() == 1; }));
  EXPECT_EQ(a_->heard().jobs[0], "job_2");
  EXPECT_EQ(Field("job_2", "owner"), "proc-a");
}

TEST_F(RedisClusterTest, FindNodeNamesTheLiveProcessHoldingIt) {
  b_->Do([](RedisStore& s) { s.NodeOnline("node-b"); });
  ASSERT_TRUE(b_->Call<Status>([](Store& s, auto done) { s.Ping(done); }).ok());
  std::promise<Result<std::optional<std::string>>> found;
  a_->Do([&](RedisStore& s) { s.FindNode("node-b", [&](auto r) { found.set_value(r); }); });
  EXPECT_EQ(found.get_future().get().value(), std::optional<std::string>("proc-b"));
  b_->Do([](RedisStore& s) { s.NodeOffline("node-b"); });
  // Applied once an operation issued after it on B's connection answers.
  ASSERT_TRUE(b_->Call<Status>([](Store& s, auto done) { s.Ping(done); }).ok());
  std::promise<Result<std::optional<std::string>>> gone;
  a_->Do([&](RedisStore& s) { s.FindNode("node-b", [&](auto r) { gone.set_value(r); }); });
  EXPECT_EQ(gone.get_future().get().value(), std::optional<std::string>());
}

TEST_F(RedisClusterTest, WhatADeadProcessHeldGoesToTheOthersAfterItsTtl) {
  // B takes two jobs, leases one, holds a node; a third job of B's is on
  // its last attempt; then B dies without a word (no Leave).
  Create(*a_, "job_1");
  Create(*a_, "job_2");
  b_->Do([](RedisStore& s) { s.WantJobs(2); });
  ASSERT_TRUE(b_->heard().WaitFor([](Heard& h) { return h.jobs.size() == 2; }));
  ASSERT_TRUE(Lease(*b_, "job_1", "node-b").ok());
  JobRecord last = NewJob("job_3", "acme", kT0, /*sync=*/true);
  last.max_attempts = 1;
  ASSERT_TRUE(a_->Call<Result<CreateJobOutcome>>([&](Store& s, auto done) {
                   s.CreateJob(NewJobRequest(last), done);
                 }).has_value());
  b_->Do([](RedisStore& s) { s.WantJobs(1); });
  ASSERT_TRUE(b_->heard().WaitFor([](Heard& h) { return h.jobs.size() == 3; }));
  ASSERT_TRUE(Lease(*b_, "job_3", "node-b").ok());
  b_->Do([](RedisStore& s) { s.NodeOnline("node-b"); });
  b_.reset();

  a_->Do([](RedisStore& s) { s.WantJobs(10); });
  const bool heard_all = a_->heard().WaitFor([](Heard& h) { return h.jobs.size() == 2 && h.ended.size() == 1; });
  if (!heard_all) {
    for (auto k : {"procs", "queue", "claimed:proc-a", "claimed:proc-b", "leases:proc-b"}) {
      std::cerr << k << ": " << server_->Command({"TYPE", std::string("{cl}:jobs:") + k}).value() << " "
                << server_->Command({"SORT", std::string("{cl}:jobs:") + k, "ALPHA"}).value_or("?") << "\n";
    }
    std::cerr << "heard jobs " << a_->heard().jobs.size() << " ended " << a_->heard().ended.size() << "\n";
    for (auto id : {"job_1", "job_2", "job_3"}) std::cerr << id << " " << Field(id, "state") << " " << Field(id, "owner") << "\n";
  }
  ASSERT_TRUE(heard_all);
  EXPECT_EQ(a_->heard().jobs, (std::vector<std::string>{"job_1", "job_2"}));
  const JobRecord released = Get(*a_, "job_1");
  EXPECT_EQ(released.state, JobState::kPending);
  EXPECT_EQ(released.attempt, 1u);
  EXPECT_EQ(released.last_failed_node, "node-b");
  // Out of attempts: failed, and its creator (A) heard of it.
  EXPECT_EQ(a_->heard().ended[0], "job_3");
  const JobRecord failed = Get(*a_, "job_3");
  EXPECT_EQ(failed.state, JobState::kFailed);
  EXPECT_NE(failed.error.find("server process stopped"), std::string::npos) << failed.error;
  // The sync job's usage came back.
  EXPECT_EQ(server_->Command({"ZCARD", "{cl}:jobs:usage:acme"}).value(), "2");
  EXPECT_EQ(server_->Command({"SISMEMBER", "{cl}:jobs:procs", "proc-b"}).value(), "0");
  EXPECT_EQ(server_->Command({"HGET", "{cl}:jobs:presence", "node-b"}).value(), "(nil)");
  // The released lease goes on with its next attempt.
  EXPECT_TRUE(Lease(*a_, "job_1", "node-a", 2).ok());
}

TEST_F(RedisClusterTest, ASyncJobThatEndsElsewhereIsAnnouncedToItsCreator) {
  Create(*a_, "job_1", /*sync=*/true);
  b_->Do([](RedisStore& s) { s.WantJobs(1); });
  ASSERT_TRUE(b_->heard().WaitFor([](Heard& h) { return h.jobs.size() == 1; }));
  ASSERT_TRUE(Lease(*b_, "job_1", "node-b").ok());
  const auto done = b_->Call<Result<CompletedJob>>([](Store& s, auto d) {
    s.CompleteJob("job_1", Completion("node-b", 1, "[1]", 1), kT0 + 50, d);
  });
  ASSERT_EQ(done.value().outcome, CompleteOutcome::kCompleted);
  ASSERT_TRUE(a_->heard().WaitFor([](Heard& h) { return h.ended.size() == 1; }));
  EXPECT_EQ(a_->heard().ended[0], "job_1");
  EXPECT_TRUE(b_->heard().ended.empty());
}

TEST_F(RedisClusterTest, FramesReachNodesOnOtherProcessesAndBroadcastsEveryOtherProcess) {
  a_->Do([](RedisStore& s) {
    s.SendToNode("proc-b", "node-b", "hello b");
    s.SendToNode("proc-a", "node-a", "hello a");  // Its own: delivered at once.
    s.Broadcast("to everyone");
  });
  ASSERT_TRUE(b_->heard().WaitFor([](Heard& h) { return h.to_node.size() == 1 && h.to_all.size() == 1; }));
  EXPECT_EQ(b_->heard().to_node[0], "node-b hello b");
  EXPECT_EQ(b_->heard().to_all[0], "to everyone");
  ASSERT_TRUE(a_->heard().WaitFor([](Heard& h) { return h.to_node.size() == 1; }));
  EXPECT_EQ(a_->heard().to_node[0], "node-a hello a");
  EXPECT_TRUE(a_->heard().to_all.empty());
}

TEST_F(RedisClusterTest, ExpireJobFailsOnlyAnUnheldJobPastItsDeadline) {
  Create(*a_, "job_q", /*sync=*/true);  // Queued; deadline kT0 + 60 s.
  auto expire = [&](const std::string& id, int64_t now) {
    std::promise<Result<bool>> out;
    a_->Do([&](RedisStore& s) { s.ExpireJob(id, now, "timed out", [&](Result<bool> r) { out.set_value(r); }); });
    return out.get_future().get().value();
  };
  EXPECT_FALSE(expire("job_q", kT0 + 59'999));
  EXPECT_TRUE(expire("job_q", kT0 + 60'000));
  EXPECT_EQ(Get(*a_, "job_q").state, JobState::kFailed);
  Create(*a_, "job_h", /*sync=*/true);
  b_->Do([](RedisStore& s) { s.WantJobs(1); });
  ASSERT_TRUE(b_->heard().WaitFor([](Heard& h) { return h.jobs.size() == 1; }));
  EXPECT_FALSE(expire("job_h", kT0 + 120'000));  // Held by B: B's deadline, not ours.
  EXPECT_EQ(Get(*a_, "job_h").state, JobState::kPending);
}

TEST_F(RedisClusterTest, ALeavingProcessHandsEverythingBackAtOnce) {
  Create(*a_, "job_1");
  Create(*a_, "job_2");
  b_->Do([](RedisStore& s) { s.WantJobs(2); });
  ASSERT_TRUE(b_->heard().WaitFor([](Heard& h) { return h.jobs.size() == 2; }));
  ASSERT_TRUE(Lease(*b_, "job_1", "node-b").ok());
  std::promise<Status> left;
  b_->Do([&](RedisStore& s) { s.Leave([&](Status st) { left.set_value(st); }); });
  ASSERT_TRUE(left.get_future().get().ok());
  a_->Do([](RedisStore& s) { s.WantJobs(5); });
  ASSERT_TRUE(a_->heard().WaitFor([](Heard& h) { return h.jobs.size() == 2; }));
  EXPECT_EQ(Get(*a_, "job_1").state, JobState::kPending);
}

}  // namespace
}  // namespace sela::store::testing
