// The contract every Store backend meets (store.h), as a value-parameterised
// gtest suite written against Store& only. A backend joins by instantiating
// it with a StoreBackend that makes fresh environments for its data:
//
//   INSTANTIATE_TEST_SUITE_P(Sqlite, StoreContractTest,
//                            ::testing::Values(SqliteBackend()), BackendName);
//
// API clients and jobs have their own suite, JobContractTest, which a
// backend instantiates the same way.
//
// Callbacks are posted into a PostQueue that the test drains on its own
// thread after Store::Flush(), so no test sleeps or polls.
#pragma once

#include <gtest/gtest.h>

#include <condition_variable>
#include <cstdint>
#include <cstdlib>
#include <deque>
#include <filesystem>
#include <functional>
#include <limits>
#include <memory>
#include <mutex>
#include <optional>
#include <string>
#include <utility>
#include <vector>

#include "core/status.h"
#include "store/store.h"
#include "store/store_test_support.h"

namespace sela::store::testing {

// The time the helpers below stamp records with unless told otherwise.
constexpr int64_t StoreTimeZeroMs() { return 1'700'000'000'000; }

// The ids of jobs, in order.
inline std::vector<std::string> Ids(const std::vector<JobRecord>& jobs) {
  std::vector<std::string> ids;
  for (const JobRecord& job : jobs) ids.push_back(job.job_id);
  return ids;
}

inline NodeMetricsUpdate Metrics(std::optional<double> download_speed,
                                 std::optional<double> upload_speed,
                                 std::optional<double> ping_ms) {
  NodeMetricsUpdate update;
  update.download_speed = download_speed;
  update.upload_speed = upload_speed;
  update.ping_ms = ping_ms;
  return update;
}

// A delta of online time only.
inline UptimeDelta OnlineDelta(const std::string& principal, const std::string& day,
                               int64_t online_ms) {
  UptimeDelta delta;
  delta.principal = principal;
  delta.day = day;
  delta.online_ms = online_ms;
  return delta;
}

// 64 lowercase hex digits standing for a SHA-256 (the store does not hash):
// `seed` in hex, padded with zeros.
inline std::string FakeSha256(uint64_t seed) {
  std::string hash(64, '0');
  for (size_t i = hash.size(); seed != 0 && i > 0; --i, seed /= 16) {
    hash[i - 1] = "0123456789abcdef"[seed % 16];
  }
  return hash;
}

inline ApiClient Client(const std::string& uuid, int64_t usage_limit, uint64_t key_seed,
                        int64_t created_ms = StoreTimeZeroMs()) {
  return ApiClient{.uuid = uuid,
                   .key_hash = FakeSha256(key_seed),
                   .usage_count = 0,
                   .usage_limit = usage_limit,
                   .created_ms = created_ms};
}

// A new pending job as CreateJob takes it.
inline JobRecord NewJob(const std::string& job_id, const std::string& client_uuid,
                        int64_t created_ms, bool sync = false) {
  JobRecord job;
  job.job_id = job_id;
  job.client_uuid = client_uuid;
  job.job_type = "scrape";
  job.target = "https://example.com/" + job_id;
  job.created_ms = created_ms;
  job.assigned_ms = created_ms;
  job.deadline_ms = sync ? created_ms + 60'000 : 0;
  job.post_count = 5;
  job.replies_count = 2;
  job.scroll_pause_ms = 700;
  job.sync = sync;
  return job;
}

inline CreateJobRequest NewJobRequest(JobRecord job, bool charge_usage = true,
                                      std::string idempotency_key = "",
                                      std::string request_hash = "") {
  CreateJobRequest request;
  request.job = std::move(job);
  request.charge_usage = charge_usage;
  request.idempotency_key = std::move(idempotency_key);
  request.request_hash = std::move(request_hash);
  return request;
}

inline JobCompletion Completion(const std::string& node, uint32_t attempt, std::string result,
                                uint64_t hash_seed) {
  JobCompletion completion;
  completion.node_principal = node;
  completion.attempt = attempt;
  completion.result_hash = FakeSha256(hash_seed);
  completion.result_content_type = "application/json";
  completion.result = std::move(result);
  completion.reward.amount_units = 12'500'000;  // 0.125 SP, no cap, no shares.
  completion.reward.day = "2024-03-10";
  completion.price_cents = 3;
  completion.objects_count = 4;
  completion.file_size_kb = 1;
  return completion;
}

// A place for one backend's data (a temp dir, a Redis database) on which
// stores can be opened, closed and opened again.
class StoreEnv {
 public:
  virtual ~StoreEnv() = default;
  // At most one store of an environment is open at a time.
  virtual Result<std::unique_ptr<Store>> Open(PostFn post) = 0;

  // The next Open keeps the file-canister sync journal in step with the
  // completions (the backends' canister_sync option).
  bool canister_sync = false;
};

struct StoreBackend {
  std::string name;
  // Each call makes an empty environment.
  std::function<std::unique_ptr<StoreEnv>()> make_env;
  // Contract tests the backend does not pass yet: given "Suite.Test"
  // (without the backend's name), the reason, and the test is reported as
  // SKIPPED with it. Empty: every test runs.
  std::function<std::optional<std::string>(const std::string& test)> not_yet;
};

// "Suite.Test" of the running contract test, without the instantiation's
// prefix ("Redis/") and parameter suffix ("/Redis").
inline std::string ContractTestName() {
  const ::testing::TestInfo* info = ::testing::UnitTest::GetInstance()->current_test_info();
  std::string suite = info->test_suite_name();
  std::string name = info->name();
  if (const size_t slash = suite.find('/'); slash != std::string::npos) suite = suite.substr(slash + 1);
  if (const size_t slash = name.rfind('/'); slash != std::string::npos) name = name.substr(0, slash);
  return suite + "." + name;
}

inline std::string BackendName(const ::testing::TestParamInfo<StoreBackend>& info) {
  return info.param.name;
}
// So that gtest names the backend in failures instead of dumping its bytes.
inline void PrintTo(const StoreBackend& backend, std::ostream* os) { *os << backend.name; }

// A store under test with synchronous helpers: each issues one operation,
// flushes, runs the posted callbacks and returns the outcome.
class StoreHarness {
 public:
  static constexpr int64_t kDefaultNowMs = 1'700'000'000'000;

 protected:
  Store& store() { return *store_; }

  // Delivers everything issued so far to its callback.
  void Settle() {
    store_->Flush();
    posts_.RunAll();
  }

  // Issues one operation through `issue(callback)`, waits for it and returns
  // its outcome R (a Status or a Result<T>).
  template <typename R, typename Issue>
  R Call(Issue&& issue) {
    std::optional<R> got;
    issue([&got](R r) { got = std::move(r); });
    Settle();
    EXPECT_TRUE(got.has_value()) << "the callback was not delivered";
    if (!got.has_value()) return R(Err(Internal("no callback")));
    return std::move(*got);
  }

  Result<NodeRecord> Register(const std::string& principal, int64_t now_ms = kDefaultNowMs,
                              const std::string& client_id = "1") {
    return Call<Result<NodeRecord>>(
        [&](auto done) { store().RegisterNode(principal, client_id, now_ms, done); });
  }
  Result<NodeRecord> RegisterSigned(const std::string& principal, int64_t now_ms = kDefaultNowMs,
                                    const std::string& client_id = "1") {
    return Call<Result<NodeRecord>>(
        [&](auto done) { store().RegisterSignedNode(principal, client_id, now_ms, done); });
  }
  Result<std::vector<NodeRecord>> Page(int64_t after, uint32_t limit) {
    return Call<Result<std::vector<NodeRecord>>>([&](auto done) { store().ListNodesPage(after, limit, done); });
  }
  Result<uint32_t> ExpireRecords(int64_t before_ms, uint32_t limit) {
    return Call<Result<uint32_t>>([&](auto done) { store().ExpireNodeRecords(before_ms, limit, done); });
  }
  Result<std::optional<NodeRecord>> Get(const std::string& principal) {
    return Call<Result<std::optional<NodeRecord>>>(
        [&](auto done) { store().GetNode(principal, done); });
  }
  Result<std::vector<NodeRecord>> List(bool only_active) {
    return Call<Result<std::vector<NodeRecord>>>(
        [&](auto done) { store().ListNodes(only_active, done); });
  }
  Result<uint64_t> Reserve(uint64_t count) {
    return Call<Result<uint64_t>>([&](auto done) { store().ReserveSessionIds(count, done); });
  }
  Status AddUptime(std::vector<UptimeDelta> deltas, int64_t now_ms) {
    return Call<Status>([&](auto done) { store().AddUptime(std::move(deltas), now_ms, done); });
  }
  Result<std::vector<UptimeDay>> Days(const std::string& principal, const std::string& from,
                                      const std::string& to) {
    return Call<Result<std::vector<UptimeDay>>>(
        [&](auto done) { store().GetUptimeDays(principal, from, to, done); });
  }
  Result<int64_t> TotalUptime(const std::string& principal) {
    return Call<Result<int64_t>>([&](auto done) { store().GetTotalUptimeMs(principal, done); });
  }
  Status Disconnect(const std::string& principal, int64_t now_ms) {
    return Call<Status>([&](auto done) { store().MarkNodeDisconnected(principal, now_ms, done); });
  }
  Status UpdateMetrics(const std::string& principal, const NodeMetricsUpdate& update,
                       int64_t now_ms) {
    return Call<Status>(
        [&](auto done) { store().UpdateNodeMetrics(principal, update, now_ms, done); });
  }
  Status SetStatus(const std::string& principal, NodeStatus status, int64_t now_ms) {
    return Call<Status>([&](auto done) { store().SetNodeStatus(principal, status, now_ms, done); });
  }
  Status SetCapacity(const std::string& principal, uint32_t max_concurrent_jobs) {
    return Call<Status>(
        [&](auto done) { store().SetNodeCapacity(principal, max_concurrent_jobs, done); });
  }
  Status Ping() {
    return Call<Status>([&](auto done) { store().Ping(done); });
  }

  Result<ApiClient> RegisterClient(const ApiClient& client) {
    return Call<Result<ApiClient>>([&](auto done) { store().RegisterApiClient(client, done); });
  }
  Result<std::optional<ApiClient>> GetClient(const std::string& uuid) {
    return Call<Result<std::optional<ApiClient>>>(
        [&](auto done) { store().GetApiClient(uuid, done); });
  }
  Result<std::optional<ApiClient>> FindClient(const std::string& key_hash) {
    return Call<Result<std::optional<ApiClient>>>(
        [&](auto done) { store().FindApiClientByKeyHash(key_hash, done); });
  }
  Result<std::vector<int64_t>> UsageLog(const std::string& uuid, int64_t from_ms = 0,
                                        int64_t to_ms = std::numeric_limits<int64_t>::max()) {
    return Call<Result<std::vector<int64_t>>>(
        [&](auto done) { store().GetUsageLog(uuid, from_ms, to_ms, done); });
  }
  Result<CreateJobOutcome> Create(const CreateJobRequest& request) {
    return Call<Result<CreateJobOutcome>>([&](auto done) { store().CreateJob(request, done); });
  }
  Status Lease(const std::string& job_id, const std::string& node, uint32_t attempt,
               int64_t lease_deadline_ms, int64_t now_ms, const std::string& client_id = "c1") {
    return Call<Status>([&](auto done) {
      store().LeaseJob(job_id, JobLease{node, client_id, attempt, lease_deadline_ms}, now_ms, done);
    });
  }
  // CompleteJob's outcome, and CompleteAndPay's with what it credited.
  Result<CompleteOutcome> Complete(const std::string& job_id, const JobCompletion& completion,
                                   int64_t now_ms) {
    const Result<CompletedJob> done = CompleteAndPay(job_id, completion, now_ms);
    if (!done) return Err(done.error());
    return done->outcome;
  }
  Result<CompletedJob> CompleteAndPay(const std::string& job_id, const JobCompletion& completion,
                                      int64_t now_ms) {
    return Call<Result<CompletedJob>>(
        [&](auto done) { store().CompleteJob(job_id, completion, now_ms, done); });
  }
  Status Release(const std::string& job_id, uint32_t attempt, int64_t now_ms) {
    return Call<Status>([&](auto done) { store().ReleaseJob(job_id, attempt, now_ms, done); });
  }
  Status Fail(const std::string& job_id, uint32_t attempt, const std::string& error,
              int64_t now_ms, FailureReason reason = FailureReason::kAttemptsExhausted) {
    return Call<Status>(
        [&](auto done) { store().FailJob(job_id, JobFailure{attempt, reason, error}, now_ms, done); });
  }
  Result<std::optional<JobRecord>> GetJob(const std::string& job_id) {
    return Call<Result<std::optional<JobRecord>>>(
        [&](auto done) { store().GetJob(job_id, done); });
  }
  Result<std::vector<JobRecord>> ClientJobs(const std::string& uuid,
                                            std::optional<JobState> state = std::nullopt,
                                            uint32_t limit = 100) {
    return Call<Result<std::vector<JobRecord>>>(
        [&](auto done) { store().ListClientJobs(uuid, state, limit, done); });
  }
  Result<std::vector<JobRecord>> OpenJobs() {
    return Call<Result<std::vector<JobRecord>>>([&](auto done) { store().ListOpenJobs(done); });
  }
  Result<std::optional<std::string>> Blob(const std::string& hash) {
    return Call<Result<std::optional<std::string>>>(
        [&](auto done) { store().GetBlob(hash, done); });
  }

  Result<FileRecord> CreateFile(const FileRecord& file, const FileQuota& quota = FileQuota{}) {
    return Call<Result<FileRecord>>([&](auto done) { store().CreateFile(file, quota, done); });
  }
  Result<std::optional<FileRecord>> GetFile(const std::string& file_id) {
    return Call<Result<std::optional<FileRecord>>>(
        [&](auto done) { store().GetFile(file_id, done); });
  }
  Result<std::optional<FileChunk>> GetChunk(const std::string& file_id, uint32_t index) {
    return Call<Result<std::optional<FileChunk>>>(
        [&](auto done) { store().GetFileChunk(file_id, index, done); });
  }
  Result<ChunkOutcome> PutChunk(const std::string& file_id, const std::string& owner,
                                const FileChunk& chunk, int64_t now_ms, int64_t ttl_ms = 60'000) {
    return Call<Result<ChunkOutcome>>(
        [&](auto done) { store().PutFileChunk(file_id, owner, chunk, now_ms, ttl_ms, done); });
  }
  Result<std::vector<FileChunk>> Chunks(const std::string& file_id) {
    return Call<Result<std::vector<FileChunk>>>(
        [&](auto done) { store().ListFileChunks(file_id, done); });
  }
  Result<FileCompleteOutcome> CompleteFile(const std::string& file_id, const std::string& owner,
                                           const std::string& sha256, int64_t now_ms) {
    return Call<Result<FileCompleteOutcome>>(
        [&](auto done) { store().CompleteFile(file_id, owner, sha256, now_ms, done); });
  }
  Result<std::vector<FileRecord>> ListFiles(const FileListQuery& query) {
    return Call<Result<std::vector<FileRecord>>>(
        [&](auto done) { store().ListFiles(query, done); });
  }
  Result<std::vector<FileRecord>> JobFiles(const std::string& job_id, uint32_t limit = 100) {
    return Call<Result<std::vector<FileRecord>>>(
        [&](auto done) { store().ListJobFiles(job_id, limit, done); });
  }
  Result<DeletedFile> DeleteFile(const std::string& file_id, const std::string& owner) {
    return Call<Result<DeletedFile>>([&](auto done) { store().DeleteFile(file_id, owner, done); });
  }
  Result<std::vector<FileRecord>> ExpireUploads(int64_t now_ms, uint32_t limit = 100) {
    return Call<Result<std::vector<FileRecord>>>(
        [&](auto done) { store().ExpireUploads(now_ms, limit, done); });
  }
  Result<bool> BlobUsed(const std::string& sha256) {
    return Call<Result<bool>>([&](auto done) { store().IsBlobUsed(sha256, done); });
  }
  Status SetListingDefault(const std::string& uuid, bool listed) {
    return Call<Status>([&](auto done) { store().SetListingDefault(uuid, listed, done); });
  }
  Status SetListed(const std::string& job_id, const std::string& uuid, bool listed) {
    return Call<Status>([&](auto done) { store().SetJobListed(job_id, uuid, listed, done); });
  }
  Result<MarketPage> Market(const MarketQuery& query) {
    return Call<Result<MarketPage>>([&](auto done) { store().ListMarketJobs(query, done); });
  }
  Result<std::optional<MarketJob>> MarketJobOf(const std::string& job_id) {
    return Call<Result<std::optional<MarketJob>>>(
        [&](auto done) { store().GetMarketJob(job_id, done); });
  }
  Result<MarketStats> Stats(int64_t since_ms) {
    return Call<Result<MarketStats>>([&](auto done) { store().GetMarketStats(since_ms, done); });
  }
  Status Count(const std::string& job_id, MarketCounter counter) {
    return Call<Status>([&](auto done) { store().CountMarketEvent(job_id, counter, done); });
  }
  Result<PurchaseOutcome> Buy(const std::string& uuid, const std::string& job_id, int64_t now_ms) {
    return Call<Result<PurchaseOutcome>>(
        [&](auto done) { store().RecordPurchase(uuid, job_id, now_ms, done); });
  }
  Result<std::optional<Purchase>> PurchaseOf(const std::string& uuid, const std::string& job_id) {
    return Call<Result<std::optional<Purchase>>>(
        [&](auto done) { store().GetPurchase(uuid, job_id, done); });
  }

  // Closes the store; its pending callbacks are delivered.
  void Close() {
    posts_.Release();
    store_.reset();
    posts_.RunAll();
  }

  PostQueue posts_;  // Declared before the store, which posts into it.
  std::unique_ptr<Store> store_;
};

class StoreContractTest : public ::testing::TestWithParam<StoreBackend>, public StoreHarness {
 protected:
  void SetUp() override {
    if (GetParam().not_yet) {
      if (const auto why = GetParam().not_yet(ContractTestName())) GTEST_SKIP() << GetParam().name << ": " << *why;
    }
    env_ = GetParam().make_env();
    Reopen();
  }
  void TearDown() override {
    if (store_ != nullptr) Close();
    env_.reset();
  }

  // Closes the store and opens it again on the same data.
  void Reopen() {
    Close();
    auto opened = env_->Open(posts_.AsPostFn());
    ASSERT_TRUE(opened.has_value()) << opened.error().ToString();
    store_ = std::move(opened).value();
  }

  std::unique_ptr<StoreEnv> env_;
};

// The contract on API clients and jobs (store_contract_jobs_test.cc): a
// store with one registered client "acme" (limit 100, key FakeSha256(1)),
// and helpers that drive jobs. A backend instantiates it beside
// StoreContractTest.
class JobContractTest : public StoreContractTest {
 public:
  static constexpr int64_t kLeaseMs = 30'000;

 protected:
  void SetUp() override {
    StoreContractTest::SetUp();
    if (HasFatalFailure() || IsSkipped()) return;
    ASSERT_TRUE(RegisterClient(Client("acme", 100, 1)).has_value());
  }

  JobRecord MustCreate(const JobRecord& job, bool charge_usage = true) {
    const Result<CreateJobOutcome> outcome = Create(NewJobRequest(job, charge_usage));
    EXPECT_TRUE(outcome.has_value()) << outcome.error().ToString();
    if (!outcome.has_value()) return {};
    EXPECT_TRUE(outcome->created);
    return outcome->job;
  }
  JobRecord MustGet(const std::string& job_id) {
    const Result<std::optional<JobRecord>> job = GetJob(job_id);
    EXPECT_TRUE(job.has_value() && job->has_value()) << job_id;
    return job.has_value() && job->has_value() ? **job : JobRecord{};
  }
  int64_t UsageCount(const std::string& uuid) {
    const Result<std::optional<ApiClient>> client = GetClient(uuid);
    EXPECT_TRUE(client.has_value() && client->has_value()) << uuid;
    return client.has_value() && client->has_value() ? (*client)->usage_count : -1;
  }
  // A new uploading file of `owner` (files: store_contract_files_test.cc).
  static FileRecord NewFile(const std::string& file_id, const std::string& owner, int64_t size,
                            int64_t chunk_bytes = 0, const std::string& job_id = "") {
    FileRecord file;
    file.file_id = file_id;
    file.owner = owner;
    file.job_id = job_id;
    file.name = "result.bin";
    file.content_type = "application/octet-stream";
    file.size = size;
    file.chunk_bytes = chunk_bytes;
    file.created_ms = StoreTimeZeroMs();
    file.updated_ms = StoreTimeZeroMs();
    file.expires_ms = StoreTimeZeroMs() + kUploadTtlMs;
    return file;
  }
  static FileChunk Chunk(uint32_t index, int64_t offset, int64_t bytes, uint64_t hash_seed) {
    return FileChunk{.index = index, .offset = offset, .bytes = bytes, .sha256 = FakeSha256(hash_seed)};
  }
  FileRecord MustGetFile(const std::string& file_id) {
    const Result<std::optional<FileRecord>> file = GetFile(file_id);
    EXPECT_TRUE(file.has_value() && file->has_value()) << file_id;
    return file.has_value() && file->has_value() ? **file : FileRecord{};
  }
  // A complete file of `owner` in one chunk whose content hash is FakeSha256(seed).
  FileRecord MustCompleteFile(const std::string& file_id, const std::string& owner, int64_t size,
                              uint64_t seed, const std::string& job_id = "") {
    const Result<FileRecord> created = CreateFile(NewFile(file_id, owner, size, 0, job_id));
    EXPECT_TRUE(created.has_value()) << created.error().ToString();
    const Result<ChunkOutcome> put =
        PutChunk(file_id, owner, Chunk(0, 0, size, seed), StoreTimeZeroMs() + 1);
    EXPECT_TRUE(put.has_value()) << put.error().ToString();
    const auto done = CompleteFile(file_id, owner, FakeSha256(seed), StoreTimeZeroMs() + 2);
    EXPECT_TRUE(done.has_value()) << done.error().ToString();
    return MustGetFile(file_id);
  }
  static constexpr int64_t kUploadTtlMs = 60'000;

  // A job of client `uuid` (listing as given, nullopt: the client's
  // default), leased to node-a and completed at complete_ms with a result of
  // price 3 cents (marketplace: store_contract_market_test.cc).
  JobRecord MustCompleteJob(const std::string& job_id, const std::string& uuid,
                            std::optional<bool> listed, int64_t complete_ms,
                            const std::string& type = "scrape", const std::string& target = "") {
    JobRecord job = NewJob(job_id, uuid, StoreTimeZeroMs());
    job.job_type = type;
    if (!target.empty()) job.target = target;
    CreateJobRequest request = NewJobRequest(job);
    request.listed = listed;
    const Result<CreateJobOutcome> created = Create(request);
    EXPECT_TRUE(created.has_value()) << created.error().ToString();
    EXPECT_TRUE(Lease(job_id, "node-a", 1, complete_ms + kLeaseMs, StoreTimeZeroMs() + 1).ok());
    const Result<CompleteOutcome> done = Complete(job_id, Completion("node-a", 1, "result", 1), complete_ms);
    EXPECT_TRUE(done.has_value()) << done.error().ToString();
    return MustGet(job_id);
  }

  // A job of acme leased to `node` with attempt 1.
  JobRecord Ongoing(const std::string& job_id, const std::string& node = "node-a",
                    bool sync = false) {
    MustCreate(NewJob(job_id, "acme", StoreTimeZeroMs(), sync));
    EXPECT_TRUE(Lease(job_id, node, 1, StoreTimeZeroMs() + 10 + kLeaseMs, StoreTimeZeroMs() + 10).ok());
    return MustGet(job_id);
  }
};

}  // namespace sela::store::testing
