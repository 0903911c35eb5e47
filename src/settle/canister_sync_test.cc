// CanisterSync (canister_sync.h) against the fake IC's file canister: a real
// SQLite journal, the agent, the Executor and the fake endpoint, on a fake
// clock. Bytes here are maps the tests control (the server reads the store
// and the disk; src/app/file_sync_setup.cc).
#include "settle/canister_sync.h"

#include <gtest/gtest.h>

#include <random>

#include "chain/sha256.h"
#include "codec/hex.h"
#include "settle/settle_test_util.h"
#include "testing/fault_injection_store.h"

namespace sela::settle::testing {
namespace {

using chain::fake::Fault;
using store::SyncRecord;
using store::SyncState;

std::string RandomBytes(size_t n, uint32_t seed) {
  std::mt19937 rng(seed);
  std::string out(n, '\0');
  for (char& c : out) c = static_cast<char>(rng());
  return out;
}

std::string HexSha(const std::string& bytes) { return codec::HexEncode(chain::Sha256(bytes)); }

class CanisterSyncTest : public SettleTest {
 protected:
  static constexpr size_t kChunk = 64 * 1024;

  void SetUp() override {
    SettleTest::SetUp();
    chain::FileClientOptions options;
    options.chunk_bytes = kChunk;
    options.file_bytes_max = 4 << 20;
    client_ = std::make_unique<chain::FileCanisterClient>(*agent, ic->files_id(), options);
  }
  void TearDown() override {
    // Uploads still running finish and report while sync_ still exists.
    executor_.reset();
    posts_.RunAll();
    store_->Flush();
    posts_.RunAll();
    sync_.reset();
    SettleTest::TearDown();
  }

  Upload RealUpload() {
    LoadResult load = [this](const SyncRecord& r, std::function<void(Result<std::string>)> done) {
      ++loads_;
      const auto it = results_.find(r.sha256);
      if (it == results_.end()) return done(Err(NotFound("the result is gone")));
      done(it->second);
    };
    ReadFile read = [this](const std::string& sha, size_t offset, size_t n) -> Result<std::string> {
      std::lock_guard lock(files_mu_);
      const auto it = files_.find(sha);
      if (it == files_.end()) return Err(NotFound("the blob is gone"));
      return it->second.substr(offset, n);
    };
    return MakeUpload(std::move(load), std::move(read), *client_, *executor_);
  }
  void MakeSync(bool enabled, Upload upload, uint32_t backfill_page_rows = 1'000) {
    CanisterSyncOptions o;
    o.enabled = enabled;
    o.in_flight_max = 2;
    o.backfill_page_rows = backfill_page_rows;
    sync_ = std::make_unique<CanisterSync>(o, *store_, clock, std::move(upload), metrics_);
  }
  // The store on the same file again, keeping the sync journal itself or not.
  void ReopenStore(bool canister_sync) {
    CloseStore();
    store::SqliteOptions options;
    options.path = dir_.path() + "/sela.db";
    options.random = [n = uint64_t{1}]() mutable { return n++; };
    options.canister_sync = canister_sync;
    store_ = store::SqliteStore::Open(options, posts_.AsPostFn()).value();
  }
  // A row as the store records it with a completion, then the nudge the
  // services give.
  void Record(const SyncRecord& row) {
    ASSERT_TRUE(Sync<bool>([&](auto cb) { store_->EnqueueSync(row, std::move(cb)); }).has_value());
    sync_->Nudge();
  }
  std::string AddResult(std::string bytes, const std::string& job) {
    const std::string sha = HexSha(bytes);
    results_[sha] = bytes;
    Record(store::NewSyncRow(sha, store::SyncSource::kResult, job, NodePrincipal(1), "application/json",
                             static_cast<int64_t>(bytes.size()), clock.WallMs()));
    return sha;
  }
  std::string AddFile(std::string bytes, const std::string& file_id) {
    const std::string sha = HexSha(bytes);
    const auto size = static_cast<int64_t>(bytes.size());
    {
      std::lock_guard lock(files_mu_);
      files_[sha] = std::move(bytes);
    }
    Record(store::NewSyncRow(sha, store::SyncSource::kFile, file_id, NodePrincipal(2), "image/png", size,
                             clock.WallMs()));
    return sha;
  }
  // A job completed through the store with `bytes` as its inline result (the
  // store records its row itself when opened with canister_sync).
  std::string CompleteJobInStore(const std::string& job_id, const std::string& bytes, uint32_t n) {
    const std::string sha = HexSha(bytes);
    results_[sha] = bytes;
    if (!client_made_) {
      store::ApiClient client;
      client.uuid = "acme";
      client.key_hash = HexSha("acme");
      client.usage_limit = 1'000;
      client.created_ms = clock.WallMs();
      EXPECT_TRUE(Sync<store::ApiClient>([&](auto cb) { store_->RegisterApiClient(client, std::move(cb)); }));
      client_made_ = true;
    }
    store::CreateJobRequest request;
    request.job.job_id = job_id;
    request.job.client_uuid = "acme";
    request.job.job_type = "HTML";
    request.job.target = "https://example.com/" + job_id;
    request.job.created_ms = clock.WallMs();
    request.job.assigned_ms = clock.WallMs();
    EXPECT_TRUE(Sync<store::CreateJobOutcome>([&](auto cb) { store_->CreateJob(request, std::move(cb)); }));
    const std::string node = NodePrincipal(n);
    const store::JobLease lease{node, "c1", 1, clock.WallMs() + 60'000};
    std::optional<Status> leased;
    store_->LeaseJob(job_id, lease, clock.WallMs(), [&leased](Status st) { leased = std::move(st); });
    store_->Flush();
    posts_.RunAll();
    EXPECT_TRUE(leased.has_value() && leased->ok());
    store::JobCompletion completion;
    completion.node_principal = node;
    completion.attempt = 1;
    completion.result_hash = sha;
    completion.result_content_type = "application/json";
    completion.result = bytes;
    auto done = Sync<store::CompletedJob>(
        [&](auto cb) { store_->CompleteJob(job_id, completion, clock.WallMs(), std::move(cb)); });
    EXPECT_TRUE(done.has_value()) << done.error().ToString();
    return sha;
  }
  // A complete file of node 2 uploaded in one chunk, through the store.
  std::string CompleteFileInStore(const std::string& file_id, std::string bytes, bool finish = true) {
    const std::string sha = HexSha(bytes);
    const std::string owner = NodePrincipal(2);
    const auto size = static_cast<int64_t>(bytes.size());
    {
      std::lock_guard lock(files_mu_);
      files_[sha] = std::move(bytes);
    }
    store::FileRecord f;
    f.file_id = file_id;
    f.owner = owner;
    f.name = "a.png";
    f.content_type = "image/png";
    f.size = size;
    f.created_ms = clock.WallMs();
    f.updated_ms = f.created_ms;
    f.expires_ms = clock.WallMs() + 600'000;
    EXPECT_TRUE(Sync<store::FileRecord>([&](auto cb) { store_->CreateFile(f, store::FileQuota{}, std::move(cb)); }));
    if (!finish) return sha;
    const store::FileChunk chunk{.index = 0, .offset = 0, .bytes = size, .sha256 = ""};
    EXPECT_TRUE(Sync<store::ChunkOutcome>([&](auto cb) {
      store_->PutFileChunk(file_id, owner, chunk, clock.WallMs(), 600'000, std::move(cb));
    }));
    EXPECT_TRUE(Sync<store::FileCompleteOutcome>(
        [&](auto cb) { store_->CompleteFile(file_id, owner, sha, clock.WallMs(), std::move(cb)); }));
    return sha;
  }
  // Ticks until the backfill pass is over and everything due is synced.
  bool BackfillAndDrain() {
    for (int i = 0; i < 50; ++i) {
      if (!Drain()) return false;
      if (sync_->backfilled()) return Drain();
    }
    return false;
  }
  uint64_t Backfilled() { return metrics_.GetCounter("sela_canister_sync_backfilled_total", "").value(); }

  store::SyncSummary Summary() {
    return Sync<store::SyncSummary>([&](auto cb) { store_->GetSyncSummary(std::move(cb)); }).value();
  }
  std::vector<SyncRecord> DueAt(int64_t now_ms) {
    return Sync<std::vector<SyncRecord>>([&](auto cb) { store_->ListDueSyncs(now_ms, 100, std::move(cb)); }).value();
  }
  // Ticks, callbacks and the fake clock (500 ms a step) until nothing is
  // pending and nothing in flight.
  bool Drain(int steps_max = 400) {
    for (int i = 0; i < steps_max; ++i) {
      posts_.RunAll();
      sync_->Tick();
      for (int k = 0; k < 20; ++k) {
        if (posts_.RunAll() == 0) std::this_thread::sleep_for(std::chrono::microseconds(200));
      }
      if (sync_->in_flight() == 0 && Summary().count_by_state[0] == 0) return true;
      clock.Advance(Millis(500));
    }
    return false;
  }
  Result<std::string> ReadBack(const std::string& sha) {
    return Sync<std::string>([&](auto cb) { FetchFromCanister(*client_, *executor_, sha, std::move(cb)); });
  }
  // Until the only row has `n` attempts saved and nothing is in flight.
  bool WaitAttempts(uint32_t n) {
    for (int i = 0; i < 5000; ++i) {
      posts_.RunAll();
      const std::vector<SyncRecord> rows = DueAt(clock.WallMs() + 3'600'000);
      if (sync_->in_flight() == 0 && rows.size() == 1 && rows[0].attempts == n) return true;
      std::this_thread::sleep_for(std::chrono::microseconds(500));
    }
    return false;
  }
  size_t CanisterEntries() {
    return ic->WithFiles([](const chain::fake::FakeFileCanister& f) { return f.files(); });
  }

  std::unique_ptr<chain::FileCanisterClient> client_;
  std::unique_ptr<CanisterSync> sync_;
  std::map<std::string, std::string> results_;
  std::mutex files_mu_;
  std::map<std::string, std::string> files_;  // Guarded by files_mu_ (read on workers).
  int loads_ = 0;
  bool client_made_ = false;
};

TEST_F(CanisterSyncTest, ResultsAndFilesSyncInChunksByteForByteAndReadBack) {
  MakeSync(true, RealUpload());
  const std::string result = R"({"tweets":["caf)" "\xC3\xA9" R"("]})";
  const std::string binary = RandomBytes(3 * kChunk + 123, 7);  // Not UTF-8: four chunks.
  const std::string empty;
  const std::string r = AddResult(result, "job_1");
  const std::string b = AddFile(binary, "file_1");
  const std::string e = AddFile(empty, "file_2");
  AddFile(binary, "file_3");  // The same content again: one row, one copy.
  ASSERT_TRUE(Drain());
  const store::SyncSummary s = Summary();
  EXPECT_EQ(s.count_by_state[1], 3);
  EXPECT_EQ(s.bytes_by_state[1], static_cast<int64_t>(result.size() + binary.size()));
  EXPECT_EQ(CanisterEntries(), (1u + 1) + (4u + 1) + 1);  // Chunks and a manifest each.
  EXPECT_EQ(ReadBack(r).value(), result);
  EXPECT_EQ(ReadBack(b).value(), binary);
  EXPECT_EQ(ReadBack(e).value(), empty);
  EXPECT_EQ(ReadBack(HexSha("never stored")).error().code(), Code::kNotFound);
  EXPECT_EQ(metrics_.GetCounter("sela_canister_sync_synced_total", "").value(), 3u);
}

TEST_F(CanisterSyncTest, EveryChunkCallStaysUnderTheIngressLimit) {
  ic.reset();
  chain::fake::FakeIcOptions options;
  options.ledger.minting_account.owner = chain::testing::Minter().principal();
  options.ingress_arg_bytes_max = 100 * 1024;  // 64 KiB chunks are 87 KiB as base64, plus metadata.
  ic = chain::fake::FakeIc::Start(options, clock).value();
  agent = MakeAgent(chain::testing::Minter(), clock, ic->root_key_der_hex());
  client_ = std::make_unique<chain::FileCanisterClient>(*agent, ic->files_id(),
                                                        chain::FileClientOptions{.chunk_bytes = kChunk, .file_bytes_max = 4 << 20});
  MakeSync(true, RealUpload());
  AddFile(RandomBytes(5 * kChunk, 9), "file_1");
  ASSERT_TRUE(Drain());
  EXPECT_EQ(Summary().count_by_state[1], 1);
  EXPECT_EQ(ic->stats().refused, 0u);
  // A client with larger chunks is refused by the limit (413, a 4xx: the
  // same call can only be refused again), which fails the row, naming it.
  client_ = std::make_unique<chain::FileCanisterClient>(*agent, ic->files_id(),
                                                        chain::FileClientOptions{.chunk_bytes = 2 * kChunk, .file_bytes_max = 4 << 20});
  MakeSync(true, RealUpload());
  AddFile(RandomBytes(3 * kChunk, 10), "file_2");
  ASSERT_TRUE(Drain());
  EXPECT_EQ(Summary().count_by_state[2], 1);
  EXPECT_GT(ic->stats().refused, 0u);
}

TEST_F(CanisterSyncTest, AFailingCanisterIsRetriedWithBackOffAndCatchesUp) {
  MakeSync(true, RealUpload());
  ic->InjectFault(Fault::kHttp503, -1);
  const std::string b = AddFile(RandomBytes(kChunk + 1, 3), "file_1");
  sync_->Tick();
  ASSERT_TRUE(WaitAttempts(1));
  std::vector<SyncRecord> due = DueAt(clock.WallMs() + 10 * 60'000);
  ASSERT_EQ(due.size(), 1u);
  EXPECT_EQ(due[0].state, SyncState::kPending);
  EXPECT_EQ(due[0].attempts, 1u);
  EXPECT_NE(due[0].last_error.find("UNAVAILABLE"), std::string::npos) << due[0].last_error;
  EXPECT_GT(due[0].next_attempt_ms, clock.WallMs());  // Backed off.
  EXPECT_TRUE(DueAt(clock.WallMs()).empty());
  // Still failing: each attempt waits longer.
  clock.Advance(Millis(due[0].next_attempt_ms - clock.WallMs()));
  sync_->Tick();
  ASSERT_TRUE(WaitAttempts(2));
  const std::vector<SyncRecord> again = DueAt(clock.WallMs() + 10 * 60'000);
  ASSERT_EQ(again.size(), 1u);
  EXPECT_EQ(again[0].attempts, 2u);
  EXPECT_EQ(again[0].next_attempt_ms - again[0].updated_ms, 2 * (due[0].next_attempt_ms - due[0].updated_ms));
  ic->ClearFaults();
  ASSERT_TRUE(Drain());
  EXPECT_EQ(Summary().count_by_state[1], 1);
  EXPECT_EQ(ReadBack(b).value().size(), kChunk + 1);
}

// A crash after some chunks were stored and before the manifest: the next
// process sends the whole content again under the same keys. store_file
// overwrites, so nothing is duplicated and the copy is whole.
TEST_F(CanisterSyncTest, AnUploadCutShortIsResentWholeWithoutDuplicates) {
  const std::string bytes = RandomBytes(3 * kChunk, 5);
  const std::string sha = HexSha(bytes);
  int reads = 0;
  auto cut = client_->PutFrom(
      CanisterKey(sha), bytes.size(),
      [&](size_t offset, size_t n) -> Result<std::string> {
        if (++reads > 2) return Err(Unavailable("the process died"));
        return bytes.substr(offset, n);
      },
      sha, chain::FileInfo{});
  ASSERT_FALSE(cut.has_value());
  EXPECT_EQ(CanisterEntries(), 2u);  // Two chunks, no manifest.
  EXPECT_EQ(ReadBack(sha).error().code(), Code::kNotFound);

  MakeSync(true, RealUpload());
  AddFile(bytes, "file_1");
  ASSERT_TRUE(Drain());
  EXPECT_EQ(CanisterEntries(), 4u);  // The same two chunks, the third, the manifest.
  EXPECT_EQ(ReadBack(sha).value(), bytes);
  // And a resend of a content already synced changes nothing either.
  ASSERT_TRUE(client_->Put(CanisterKey(sha), bytes, chain::FileInfo{}).has_value());
  EXPECT_EQ(CanisterEntries(), 4u);
  EXPECT_EQ(ReadBack(sha).value(), bytes);
}

TEST_F(CanisterSyncTest, BytesGoneHereOrNotMatchingTheirHashFailForGood) {
  MakeSync(true, RealUpload());
  Record(store::NewSyncRow(HexSha("vanished"), store::SyncSource::kResult, "job_gone", "", "", 8,
                           clock.WallMs()));  // No bytes in results_.
  const std::string wrong = HexSha("the recorded content");
  {
    std::lock_guard lock(files_mu_);
    files_[wrong] = "something else entirely";  // Damaged here.
  }
  Record(store::NewSyncRow(wrong, store::SyncSource::kFile, "file_bad", "", "",
                           static_cast<int64_t>(std::string("something else entirely").size()), clock.WallMs()));
  ASSERT_TRUE(Drain());
  const store::SyncSummary s = Summary();
  EXPECT_EQ(s.count_by_state[2], 2);
  EXPECT_EQ(s.count_by_state[1], 0);
  EXPECT_TRUE(DueAt(clock.WallMs() + 3'600'000).empty());  // Not retried.
  EXPECT_EQ(ReadBack(wrong).error().code(), Code::kNotFound);  // No manifest was written.
}

TEST_F(CanisterSyncTest, ACopyDamagedOnTheCanisterIsRefusedOnReadBack) {
  MakeSync(true, RealUpload());
  const std::string bytes = RandomBytes(2 * kChunk, 11);
  const std::string sha = AddFile(bytes, "file_1");
  ASSERT_TRUE(Drain());
  ASSERT_TRUE(ic->MutateFiles([&](chain::fake::FakeFileCanister& f) { return f.Corrupt(CanisterKey(sha) + "#1"); }));
  EXPECT_EQ(ReadBack(sha).error().code(), Code::kFailedPrecondition);
  ASSERT_TRUE(ic->MutateFiles([&](chain::fake::FakeFileCanister& f) { return f.Erase(CanisterKey(sha)); }));
  EXPECT_EQ(ReadBack(sha).error().code(), Code::kNotFound);
}

// Disabled, the server's store records no row (store contract:
// SyncOffCompletionsRecordNoRow); rows that exist (an earlier enabled run)
// are neither read nor sent, and there is no backfill.
TEST_F(CanisterSyncTest, DisabledReadsAndSendsNothing) {
  int uploads = 0;
  MakeSync(false, [&](const SyncRecord&, UploadDone done) {
    ++uploads;
    done(Uploaded{});
  });
  AddFile("bytes", "file_1");
  AddResult("result", "job_1");
  CompleteJobInStore("job_2", "another result", 2);
  for (int i = 0; i < 5; ++i) {
    sync_->Tick();
    sync_->Nudge();
    posts_.RunAll();
  }
  store_->Flush();
  posts_.RunAll();
  const store::SyncSummary s = Summary();
  EXPECT_EQ(s.count_by_state[0], 2);  // Those two, untouched; none for job_2.
  EXPECT_EQ(s.count_by_state[1] + s.count_by_state[2], 0);
  EXPECT_FALSE(sync_->backfilled());
  EXPECT_EQ(uploads, 0);
  EXPECT_EQ(ic->stats().calls_executed, 0u);
  EXPECT_EQ(metrics_.GetGauge("sela_canister_sync_enabled", "").value(), 0);
}

// Uploads that never answer hold only their slots: recording goes on, the
// store answers, and no more than in_flight_max uploads are started.
TEST_F(CanisterSyncTest, AStalledCanisterHoldsOnlyItsInFlightUploads) {
  std::vector<UploadDone> held;
  MakeSync(true, [&](const SyncRecord&, UploadDone done) { held.push_back(std::move(done)); });
  for (int i = 0; i < 6; ++i) AddResult("result " + std::to_string(i), "job_" + std::to_string(i));
  for (int i = 0; i < 10; ++i) {
    sync_->Tick();
    for (int k = 0; k < 10; ++k) posts_.RunAll();
    store_->Flush();
    posts_.RunAll();
    clock.Advance(Millis(1'000));
  }
  EXPECT_EQ(held.size(), 2u);
  EXPECT_EQ(sync_->in_flight(), 2u);
  EXPECT_EQ(Summary().count_by_state[0], 6);
  for (UploadDone& done : held) done(Uploaded{.chunks = 1});
  held.clear();
  store_->Flush();
  posts_.RunAll();
  EXPECT_EQ(Summary().count_by_state[1], 2);
}

// With the journal kept by the store, a completion's row is there when the
// completion is acknowledged, with nothing else done (no CanisterSync call):
// the nudge only makes the upload start without waiting for a Tick.
TEST_F(CanisterSyncTest, TheStoreRecordsTheRowWithTheCompletionAndANudgeUploadsIt) {
  ReopenStore(true);
  const std::string r = CompleteJobInStore("job_1", "a result", 1);
  const std::string f = CompleteFileInStore("file_1", RandomBytes(kChunk + 5, 4));
  const std::vector<SyncRecord> due = DueAt(clock.WallMs());
  ASSERT_EQ(due.size(), 2u);
  std::map<std::string, SyncRecord> by_sha;
  for (const SyncRecord& row : due) by_sha[row.sha256] = row;
  EXPECT_EQ(by_sha[r].source, store::SyncSource::kResult);
  EXPECT_EQ(by_sha[r].ref, "job_1");
  EXPECT_EQ(by_sha[f].source, store::SyncSource::kFile);
  EXPECT_EQ(by_sha[f].size, static_cast<int64_t>(kChunk + 5));
  using sela::testing::StoreOp;
  sela::testing::FaultInjectionStore counted(*store_);  // Counts, never fails.
  CanisterSyncOptions o;
  o.enabled = true;
  o.in_flight_max = 2;
  sync_ = std::make_unique<CanisterSync>(o, counted, clock, RealUpload(), metrics_);
  sync_->Nudge();  // No Tick at all: the nudge reads the due rows and starts both uploads.
  bool synced = false;
  for (int i = 0; i < 20'000 && !synced; ++i) {
    if (posts_.RunAll() == 0) std::this_thread::sleep_for(std::chrono::microseconds(200));
    synced = sync_->in_flight() == 0 && counted.issued(StoreOp::kUpdateSync) == 2;
  }
  ASSERT_TRUE(synced);
  EXPECT_EQ(Summary().count_by_state[1], 2);
  EXPECT_EQ(ReadBack(f).value().size(), kChunk + 5);
  EXPECT_EQ(counted.issued(StoreOp::kListDueSyncs), 1u);
  sync_->Nudge();  // Within nudge_gap_ms of the last read: no read.
  EXPECT_EQ(counted.issued(StoreOp::kListDueSyncs), 1u);
  clock.Advance(Millis(100));
  sync_->Nudge();
  EXPECT_EQ(counted.issued(StoreOp::kListDueSyncs), 2u);
  store_->Flush();
  posts_.RunAll();
  sync_.reset();  // Before `counted`, which it uses.
}

// Results and files completed while the sync was disabled (or whose row was
// lost before rows were written with the completion) get their rows from the
// backfill pass of the first process that runs enabled, exactly once: a
// second process's pass (a restart) finds them all and adds nothing.
TEST_F(CanisterSyncTest, ContentCompletedWhileDisabledIsBackfilledOnceWhenEnabled) {
  const std::string r1 = CompleteJobInStore("job_1", "result one", 1);
  const std::string r2 = CompleteJobInStore("job_2", "result two", 1);
  EXPECT_EQ(CompleteJobInStore("job_3", "result one", 3), r1);  // The same content again.
  const std::string f1 = CompleteFileInStore("file_1", RandomBytes(2 * kChunk + 1, 12));
  const std::string f2 = CompleteFileInStore("file_2", RandomBytes(100, 13));
  CompleteFileInStore("file_3", RandomBytes(50, 14), /*finish=*/false);  // Still uploading: not final.
  const store::SyncSummary off = Summary();
  ASSERT_EQ(off.count_by_state[0] + off.count_by_state[1] + off.count_by_state[2], 0);

  ReopenStore(true);
  MakeSync(true, RealUpload(), /*backfill_page_rows=*/2);  // Several pages: 3 jobs, 3 files.
  ASSERT_TRUE(BackfillAndDrain());
  EXPECT_EQ(Summary().count_by_state[1], 4);
  EXPECT_EQ(Backfilled(), 4u);
  for (const std::string& sha : {r1, r2, f1, f2}) EXPECT_TRUE(ReadBack(sha).has_value()) << sha;
  const uint64_t calls = ic->stats().calls_executed;

  MakeSync(true, RealUpload(), 2);  // A restart: the pass runs again.
  ASSERT_TRUE(BackfillAndDrain());
  EXPECT_EQ(Backfilled(), 4u);
  const store::SyncSummary s = Summary();
  EXPECT_EQ(s.count_by_state[0] + s.count_by_state[1] + s.count_by_state[2], 4);
  EXPECT_EQ(ic->stats().calls_executed, calls);  // Nothing sent twice.
}

// A backfill page the store refuses is tried again from the same place.
TEST_F(CanisterSyncTest, AFailedBackfillPageIsRetriedAtTheNextTick) {
  CompleteJobInStore("job_1", "result one", 1);
  ReopenStore(true);
  sela::testing::FaultInjectionStore faulty(*store_);
  faulty.FailOp(sela::testing::StoreOp::kBackfillSyncs, Unavailable("database is locked"), 1);
  CanisterSyncOptions o;
  o.enabled = true;
  sync_ = std::make_unique<CanisterSync>(o, faulty, clock, RealUpload(), metrics_);
  ASSERT_TRUE(BackfillAndDrain());
  EXPECT_EQ(faulty.issued(sela::testing::StoreOp::kBackfillSyncs), 3u);  // Refused, then jobs, then files.
  EXPECT_EQ(Backfilled(), 1u);
  EXPECT_EQ(Summary().count_by_state[1], 1);
  store_->Flush();
  posts_.RunAll();
  sync_.reset();  // Before `faulty`, which it uses.
}

}  // namespace
}  // namespace sela::settle::testing
