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
  void MakeSync(bool enabled, Upload upload) {
    CanisterSyncOptions o;
    o.enabled = enabled;
    o.in_flight_max = 2;
    sync_ = std::make_unique<CanisterSync>(o, *store_, clock, std::move(upload), metrics_);
  }
  std::string AddResult(std::string bytes, const std::string& job) {
    const std::string sha = HexSha(bytes);
    results_[sha] = bytes;
    store::JobRecord j;
    j.job_id = job;
    j.node_principal = NodePrincipal(1);
    j.result_hash = sha;
    j.result_content_type = "application/json";
    j.result_bytes = static_cast<int64_t>(bytes.size());
    sync_->JobCompleted(j);
    return sha;
  }
  std::string AddFile(std::string bytes, const std::string& file_id) {
    const std::string sha = HexSha(bytes);
    store::FileRecord f;
    f.file_id = file_id;
    f.owner = NodePrincipal(2);
    f.content_type = "image/png";
    f.size = static_cast<int64_t>(bytes.size());
    f.sha256 = sha;
    {
      std::lock_guard lock(files_mu_);
      files_[sha] = std::move(bytes);
    }
    sync_->FileCompleted(f);
    return sha;
  }
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
  store::JobRecord job;
  job.job_id = "job_gone";
  job.result_hash = HexSha("vanished");
  job.result_bytes = 8;
  sync_->JobCompleted(job);  // No bytes in results_.
  const std::string wrong = HexSha("the recorded content");
  {
    std::lock_guard lock(files_mu_);
    files_[wrong] = "something else entirely";  // Damaged here.
  }
  store::FileRecord f;
  f.file_id = "file_bad";
  f.sha256 = wrong;
  f.size = static_cast<int64_t>(std::string("something else entirely").size());
  sync_->FileCompleted(f);
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

TEST_F(CanisterSyncTest, DisabledRecordsAndSendsNothing) {
  int uploads = 0;
  MakeSync(false, [&](const SyncRecord&, UploadDone done) {
    ++uploads;
    done(Uploaded{});
  });
  AddFile("bytes", "file_1");
  AddResult("result", "job_1");
  for (int i = 0; i < 5; ++i) {
    sync_->Tick();
    posts_.RunAll();
  }
  store_->Flush();
  posts_.RunAll();
  const store::SyncSummary s = Summary();
  EXPECT_EQ(s.count_by_state[0] + s.count_by_state[1] + s.count_by_state[2], 0);
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

}  // namespace
}  // namespace sela::settle::testing
