// RedisStore: the contract suite on a real redis-server, plus what only this
// backend has (connection loss and return, NOSCRIPT, options, keys,
// durability of what Redis acknowledged).
#include "store/redis/redis_store.h"

#include <gtest/gtest.h>

#include <chrono>
#include <future>
#include <set>
#include <thread>
#include <vector>

#include "core/clock.h"
#include "store/redis/redis_contract_skips.h"
#include "store/redis/redis_test_util.h"
#include "store/redis/scripts.h"
#include "store/store_contract_ledger_test.h"
#include "store/store_contract_settlement_test.h"
#include "store/store_contract_test.h"

namespace sela::store::testing {
namespace {

// The tests it does not pass yet are reported SKIPPED with their reason
// (redis_contract_skips.cc).
const StoreBackend kRedis{"Redis", [] { return std::make_unique<RedisEnv>(); }, RedisContractNotYet};

INSTANTIATE_TEST_SUITE_P(Redis, StoreContractTest, ::testing::Values(kRedis), BackendName);
INSTANTIATE_TEST_SUITE_P(Redis, JobContractTest, ::testing::Values(kRedis), BackendName);
INSTANTIATE_TEST_SUITE_P(Redis, LedgerContractTest, ::testing::Values(kRedis), BackendName);
INSTANTIATE_TEST_SUITE_P(Redis, JobPayContractTest, ::testing::Values(kRedis), BackendName);
INSTANTIATE_TEST_SUITE_P(Redis, SettlementContractTest, ::testing::Values(kRedis), BackendName);

constexpr int64_t kT0 = StoreTimeZeroMs();
constexpr auto kReconnectWait = std::chrono::seconds(10);

class RedisStoreTest : public ::testing::Test, public StoreHarness {
 protected:
  void SetUp() override { StartServer({}); }
  void TearDown() override {
    Close();
    loop_.reset();
    server_.reset();
  }

  void StartServer(RedisServer::Options server_options) {
    Close();  // A store open on the old loop goes first.
    auto server = RedisServer::Start(std::move(server_options));
    ASSERT_TRUE(server.has_value()) << server.error().ToString();
    server_ = std::move(*server);
    loop_ = std::make_unique<LoopThread>();
    options_ = TestRedisOptions(*server_, "unit", 1);
    // Quick to notice and to come back, so that the tests are short.
    options_.backoff_min_ms = 10;
    options_.backoff_max_ms = 50;
  }
  Status TryOpen() {
    Close();
    auto opened = RedisStore::Open(options_, loop_->loop(), posts_.AsPostFn());
    if (!opened) return opened.error();
    store_ = std::move(*opened);
    return Status::Ok();
  }
  void Open() {
    const Status st = TryOpen();
    ASSERT_TRUE(st.ok()) << st.ToString();
  }
  // Pings until the store answers, as a client retrying after a 503 would.
  bool WaitUntilServing() {
    const MonoTime deadline = clock_.Now() + kReconnectWait;
    while (clock_.Now() < deadline) {
      if (Ping().ok()) return true;
      std::this_thread::sleep_for(std::chrono::milliseconds(10));
    }
    return false;
  }

  // Real time: these tests time a real redis-server's answers.
  SystemClock clock_;
  std::unique_ptr<RedisServer> server_;
  std::unique_ptr<LoopThread> loop_;
  RedisOptions options_;
};

// ---- URLs -------------------------------------------------------------------

TEST(RedisUrl, ReadsHostPortDatabaseAndCredentials) {
  auto e = redis::ParseRedisUrl("redis://alice:p%40ss@cache.internal:6380/3");
  ASSERT_TRUE(e.has_value()) << e.error().ToString();
  EXPECT_EQ(e->host, "cache.internal");
  EXPECT_EQ(e->port, 6380);
  EXPECT_EQ(e->db, 3u);
  EXPECT_EQ(e->user, "alice");
  EXPECT_EQ(e->password, "p@ss");
  EXPECT_EQ(e->Describe(), "cache.internal:6380");

  auto defaults = redis::ParseRedisUrl("redis://localhost", "fromenv", 2);
  ASSERT_TRUE(defaults.has_value());
  EXPECT_EQ(defaults->port, 6379);
  EXPECT_EQ(defaults->password, "fromenv");  // REDIS_PASSWORD when the URL has none.
  EXPECT_EQ(defaults->db, 2u);               // REDIS_DB likewise.
  EXPECT_EQ(redis::ParseRedisUrl("redis://:inurl@h/0", "fromenv", 5)->password, "inurl");
  EXPECT_EQ(redis::ParseRedisUrl("redis://:inurl@h/0", "fromenv", 5)->db, 0u);

  auto v6 = redis::ParseRedisUrl("redis://[::1]:7000");
  ASSERT_TRUE(v6.has_value());
  EXPECT_EQ(v6->host, "::1");
  EXPECT_EQ(v6->Describe(), "[::1]:7000");

  auto sock = redis::ParseRedisUrl("unix:///run/redis/redis.sock?db=4");
  ASSERT_TRUE(sock.has_value()) << sock.error().ToString();
  EXPECT_EQ(sock->unix_path, "/run/redis/redis.sock");
  EXPECT_EQ(sock->db, 4u);
}

TEST(RedisUrl, RefusesWhatItCannotUseAndNamesTheVariable) {
  for (const char* url : {"", "http://h", "redis://", "redis://h:0", "redis://h:70000", "redis://h:12x",
                          "redis://h/x", "redis://[::1", "unix://relative.sock", "unix:///s?x=1",
                          "rediss://h", "redis://:%4@h"}) {
    auto e = redis::ParseRedisUrl(url);
    ASSERT_FALSE(e.has_value()) << url;
    EXPECT_EQ(e.error().code(), Code::kInvalidArgument) << url;
    EXPECT_NE(e.error().message().find("REDIS_URL"), std::string::npos) << e.error().ToString();
  }
  // A password never appears in the message.
  auto e = redis::ParseRedisUrl("redis://:topsecret@h:99999");
  ASSERT_FALSE(e.has_value());
  EXPECT_EQ(e.error().message().find("topsecret"), std::string::npos) << e.error().ToString();
}

// ---- opening ----------------------------------------------------------------

TEST_F(RedisStoreTest, OpenNamesTheEndpointWhenNothingListens) {
  server_->Kill();
  const Status st = TryOpen();
  EXPECT_EQ(st.code(), Code::kUnavailable) << st.ToString();
  EXPECT_NE(st.message().find("127.0.0.1:" + std::to_string(server_->port())), std::string::npos) << st.ToString();
}

TEST_F(RedisStoreTest, OpenReportsAPasswordRedisRefuses) {
  server_.reset();
  StartServer({.appendfsync = "", .password = "right"});
  options_.endpoint.password = "wrong";
  const Status st = TryOpen();
  EXPECT_EQ(st.code(), Code::kFailedPrecondition) << st.ToString();
  EXPECT_NE(st.message().find("AUTH"), std::string::npos) << st.ToString();
  EXPECT_EQ(st.message().find("wrong"), std::string::npos) << st.ToString();
  options_.endpoint.password = "right";
  ASSERT_NO_FATAL_FAILURE(Open());
  EXPECT_TRUE(Register("alpha").has_value());
}

TEST_F(RedisStoreTest, OpenRefusesBadOptions) {
  const RedisOptions good = options_;
  for (auto change : std::vector<std::function<void(RedisOptions&)>>{
           [](RedisOptions& o) { o.key_prefix = ""; },
           [](RedisOptions& o) { o.key_prefix = "a{b}"; },  // Would break the hash tags.
           [](RedisOptions& o) { o.key_prefix = std::string(65, 'a'); },
           [](RedisOptions& o) { o.process_id = "has space"; },
           [](RedisOptions& o) { o.random = nullptr; },
           [](RedisOptions& o) { o.pending_ops_max = 0; },
           [](RedisOptions& o) { o.page_size = 0; },
       }) {
    options_ = good;
    change(options_);
    EXPECT_EQ(TryOpen().code(), Code::kInvalidArgument);
  }
}

TEST_F(RedisStoreTest, OpenRefusesARedisThatPromisesLessThanRequired) {
  options_.durability = RedisDurability::kAlways;  // The default.
  Status st = TryOpen();  // This test server has no persistence.
  EXPECT_EQ(st.code(), Code::kFailedPrecondition) << st.ToString();
  EXPECT_NE(st.message().find("appendfsync always"), std::string::npos) << st.ToString();

  server_.reset();
  StartServer({.appendfsync = "everysec", .password = ""});
  options_.durability = RedisDurability::kAlways;
  EXPECT_EQ(TryOpen().code(), Code::kFailedPrecondition);
  options_.durability = RedisDurability::kEverysec;
  EXPECT_TRUE(TryOpen().ok());
}

TEST_F(RedisStoreTest, OpenRefusesARedisThatMayEvictRecords) {
  ASSERT_TRUE(server_->Command({"CONFIG", "SET", "maxmemory-policy", "allkeys-lru"}).has_value());
  options_.durability = RedisDurability::kNone;
  const Status st = TryOpen();
  EXPECT_EQ(st.code(), Code::kFailedPrecondition) << st.ToString();
  EXPECT_NE(st.message().find("noeviction"), std::string::npos) << st.ToString();
}

// ---- losing Redis and getting it back --------------------------------------

TEST_F(RedisStoreTest, WhileRedisIsDownOperationsFailAtOnceAndNothingAcknowledgedIsLost) {
  server_.reset();
  StartServer({.appendfsync = "always", .password = ""});
  ASSERT_NO_FATAL_FAILURE(Open());
  const NodeRecord alpha = Register("alpha", kT0).value();
  ASSERT_TRUE(RegisterClient(Client("acme", 10, 1)).has_value());

  server_->Kill();
  // Whether it is noticed before or after the write, the answer is
  // Unavailable, and quickly (no waiting for a timeout).
  const MonoTime started = clock_.Now();
  const Result<NodeRecord> refused = Register("bravo", kT0);
  ASSERT_FALSE(refused.has_value());
  EXPECT_EQ(refused.error().code(), Code::kUnavailable) << refused.error().ToString();
  EXPECT_EQ(Ping().code(), Code::kUnavailable);
  EXPECT_LT(clock_.Now() - started, std::chrono::seconds(2));

  ASSERT_TRUE(server_->Restart().ok());
  ASSERT_TRUE(WaitUntilServing()) << "the store did not reconnect";
  // A fresh Redis process: the scripts were loaded again on reconnect.
  EXPECT_EQ(Get("alpha").value(), std::optional<NodeRecord>(alpha));
  EXPECT_TRUE(GetClient("acme").value().has_value());
  const Result<NodeRecord> bravo = Register("bravo", kT0);
  ASSERT_TRUE(bravo.has_value()) << bravo.error().ToString();
  EXPECT_EQ(bravo->numeric_id, 2);  // The counter survived too.
}

TEST_F(RedisStoreTest, ARequestLeftUnansweredCountsAsALostConnection) {
  options_.reply_timeout_ms = 100;
  ASSERT_NO_FATAL_FAILURE(Open());
  ASSERT_TRUE(Ping().ok());
  ASSERT_TRUE(server_->Command({"CLIENT", "PAUSE", "600", "ALL"}).has_value());
  const MonoTime started = clock_.Now();
  const Status st = Ping();
  EXPECT_EQ(st.code(), Code::kUnavailable) << st.ToString();
  EXPECT_LT(clock_.Now() - started, std::chrono::milliseconds(550));
  EXPECT_TRUE(WaitUntilServing());
}

TEST_F(RedisStoreTest, FlushedScriptsAreLoadedAgainAndTheRefusedOperationsRepeatedInOrder) {
  ASSERT_NO_FATAL_FAILURE(Open());
  ASSERT_TRUE(Register("first", kT0).has_value());
  ASSERT_TRUE(server_->Command({"SCRIPT", "FLUSH"}).has_value());
  // Writes (scripts) and reads interleaved: every read sees the write
  // issued before it, every callback comes in order.
  std::vector<std::string> seen;
  for (int i = 0; i < 40; ++i) {
    const std::string p = "node-" + std::to_string(i);
    store().RegisterNode(p, "1", kT0, [&seen, p](Result<NodeRecord> r) {
      seen.push_back(r.has_value() ? "registered " + p + " #" + std::to_string(r->numeric_id) : r.error().ToString());
    });
    store().GetNode(p, [&seen, p](Result<std::optional<NodeRecord>> r) {
      seen.push_back(r.has_value() && r->has_value() ? "read " + p : "missing " + p);
    });
  }
  Settle();
  ASSERT_EQ(seen.size(), 80u);
  for (int i = 0; i < 40; ++i) {
    const std::string p = "node-" + std::to_string(i);
    EXPECT_EQ(seen[2 * i], "registered " + p + " #" + std::to_string(i + 2));
    EXPECT_EQ(seen[2 * i + 1], "read " + p);
  }
  EXPECT_EQ(server_->Command({"SCRIPT", "EXISTS", std::string(40, '0')}).value(), "0");
}

// ---- delivery ----------------------------------------------------------------

TEST_F(RedisStoreTest, OperationsBeyondTheQueueLimitAreRefusedAtOnce) {
  options_.pending_ops_max = 4;
  ASSERT_NO_FATAL_FAILURE(Open());
  std::vector<Code> codes(10, Code::kInternal);
  std::promise<void> issued;
  // Issued in one pass of the loop, before any reply can come back.
  loop_->loop().Post([&] {
    for (int i = 0; i < 10; ++i) store().Ping([&codes, i](Status st) { codes[i] = st.code(); });
    issued.set_value();
  });
  issued.get_future().wait();
  Settle();
  for (int i = 0; i < 10; ++i) {
    EXPECT_EQ(codes[i], i < 4 ? Code::kOk : Code::kResourceExhausted) << i;
  }
}

TEST_F(RedisStoreTest, FlushOnTheLoopThreadServesTheSocketWhileTheLoopIsStopped) {
  // As at the server's start and shutdown: the loop thread is this one and
  // nothing runs the loop.
  net::EventLoop loop;
  std::vector<std::function<void()>> posted;
  auto opened = RedisStore::Open(options_, loop, [&posted](std::function<void()> fn) { posted.push_back(fn); });
  ASSERT_TRUE(opened.has_value()) << opened.error().ToString();
  std::unique_ptr<RedisStore> store = std::move(*opened);
  std::vector<int64_t> ids;
  for (int i = 0; i < 20; ++i) {
    store->RegisterNode("n" + std::to_string(i), "1", kT0,
                        [&ids](Result<NodeRecord> r) { ids.push_back(r ? r->numeric_id : -1); });
  }
  store->Flush();
  for (auto& fn : posted) fn();
  ASSERT_EQ(ids.size(), 20u);
  for (int i = 0; i < 20; ++i) EXPECT_EQ(ids[i], i + 1);
  store.reset();
  loop.Shutdown();
}

// ---- keys ----------------------------------------------------------------------

// One hash tag for the whole store (keys.h): a completion pays its reward in
// the completion's script, so jobs, nodes, uptime and the ledger share a slot.
TEST_F(RedisStoreTest, EveryKeyCarriesTheStoresOneHashTagAndADomain) {
  ASSERT_NO_FATAL_FAILURE(Open());
  ASSERT_TRUE(Register("alpha", kT0).has_value());
  ASSERT_TRUE(AddUptime({OnlineDelta("alpha", "2024-05-05", 10)}, kT0).ok());
  ASSERT_TRUE(Reserve(5).has_value());
  ASSERT_TRUE(RegisterClient(Client("acme", 10, 1)).has_value());
  JobRecord job = NewJob("job_1", "acme", kT0, /*sync=*/true);
  ASSERT_TRUE(Create(NewJobRequest(job, true, "key", "hash")).has_value());
  ASSERT_TRUE(Lease("job_1", "alpha", 1, kT0 + 1000, kT0).ok());
  ASSERT_TRUE(Complete("job_1", Completion("alpha", 1, "r", 1), kT0 + 5).has_value());
  const std::string keys = server_->Command({"KEYS", "*"}).value();
  std::set<std::string> domains;
  size_t count = 0;
  for (size_t start = 0; start < keys.size();) {
    const size_t end = std::min(keys.find(' ', start), keys.size());
    const std::string key = keys.substr(start, end - start);
    start = end + 1;
    ++count;
    ASSERT_TRUE(key.starts_with("{unit}:")) << key;
    EXPECT_EQ(key.find('{', 1), std::string::npos) << key;  // No second tag.
    const std::string domain = key.substr(7, key.find(':', 7) - 7);
    EXPECT_TRUE(domain == "nodes" || domain == "uptime" || domain == "jobs" || domain == "ledger") << key;
    domains.insert(domain);
  }
  // The completion paid its node (Completion's reward): ledger keys too.
  EXPECT_EQ(domains, (std::set<std::string>{"nodes", "uptime", "jobs", "ledger"}));
  EXPECT_GT(count, 15u);
}

// Each script holds the helpers it uses and not the others (scripts.cc
// Pruned(): every helper is a closure made per call); a helper it uses but
// lost would fail the contract tests above at run time.
TEST(RedisScripts, EachScriptHoldsOnlyTheHelpersItUses) {
  const std::vector<std::string> bodies = redis::ScriptBodies();
  const auto body = [&](redis::Script s) { return bodies[static_cast<size_t>(s)]; };
  const auto defines = [](const std::string& text, const std::string& name) {
    return text.find("\nlocal function " + name + "(") != std::string::npos;
  };
  const std::string create = body(redis::Script::kCreateJob);
  EXPECT_TRUE(defines(create, "route"));
  EXPECT_TRUE(defines(create, "alive"));  // Used by route only.
  EXPECT_FALSE(defines(create, "reap"));
  EXPECT_FALSE(defines(create, "badd"));
  EXPECT_FALSE(defines(create, "market_list"));
  EXPECT_NE(create.find("local JOB_FIELDS = {"), std::string::npos);  // An idempotent repeat returns them.
  EXPECT_EQ(create.find("local NODE_FIELDS = {"), std::string::npos);
  const std::string complete = body(redis::Script::kCompleteJob);
  for (const char* used : {"pay_job", "apply", "prefetch", "badd", "bcmp", "market_list", "result_file", "unplace",
                           "closed", "refused"}) {
    EXPECT_TRUE(defines(complete, used)) << used;
  }
  EXPECT_FALSE(defines(complete, "reap"));
  EXPECT_FALSE(defines(complete, "bdiv"));
  const std::string heartbeat = body(redis::Script::kHeartbeat);
  for (const char* used : {"reap", "fail", "route", "unplace", "closed", "alive"}) {
    EXPECT_TRUE(defines(heartbeat, used)) << used;
  }
}

// The sync journal kept by the store (ScriptOptions::canister_sync) changes
// the two completion scripts only; without it they hold no trace of it, so
// the job path costs what it did.
TEST(RedisScripts, OnlyTheCompletionsChangeWithTheJournalAndOffTheyAreUntouched) {
  const std::vector<std::string> off = redis::ScriptBodies();
  const std::vector<std::string> on = redis::ScriptBodies({.canister_sync = true});
  ASSERT_EQ(off.size(), on.size());
  for (size_t i = 0; i < off.size(); ++i) {
    const auto script = static_cast<redis::Script>(i);
    const bool completion = script == redis::Script::kCompleteJob || script == redis::Script::kCompleteFile;
    EXPECT_EQ(off[i] != on[i], completion) << i;
    if (completion) {
      EXPECT_EQ(off[i].find("sync_insert"), std::string::npos) << i;
      EXPECT_NE(on[i].find("sync_insert"), std::string::npos) << i;
    }
  }
}

}  // namespace
}  // namespace sela::store::testing
