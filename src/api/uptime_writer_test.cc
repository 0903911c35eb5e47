// UptimeWriter: checkpoints go to the store in chunks, one at a time; a
// refused chunk is kept and sent again, never half applied, never twice.
#include "api/uptime_writer.h"

#include <gtest/gtest.h>

#include <memory>
#include <string>
#include <vector>

#include "store/sqlite/sqlite_test_util.h"
#include "store/store_test_support.h"
#include "testing/fault_injection_store.h"

namespace sela::api {
namespace {

using sela::testing::FaultInjectionStore;
using sela::testing::StoreOp;

constexpr int64_t kNowMs = 1'700'000'000'000;
constexpr const char* kDay = "2023-11-14";

// One delta of `ms` online for each of principals p0..p(n-1).
std::vector<store::UptimeDelta> Deltas(int n, int64_t ms) {
  std::vector<store::UptimeDelta> out;
  for (int i = 0; i < n; ++i) {
    store::UptimeDelta d;
    d.principal = "p" + std::to_string(i);
    d.day = kDay;
    d.online_ms = ms;
    d.sessions = 1;
    out.push_back(std::move(d));
  }
  return out;
}

class UptimeWriterTest : public ::testing::Test {
 protected:
  UptimeWriterTest() {
    inner_ = store::testing::OpenTestSqlite(dir_, posts_);
    faults_ = std::make_unique<FaultInjectionStore>(*inner_);
    writer_ = std::make_unique<UptimeWriter>(UptimeWriter::Options{.chunk_deltas = 1000}, *faults_,
                                             [this](const Status&) { ++failures_; });
  }
  ~UptimeWriterTest() override {
    writer_.reset();
    Settle();
  }

  // Lets the store answer everything issued so far, and whatever the
  // answers issue in turn.
  void Settle() {
    do inner_->Flush();
    while (posts_.RunAll() > 0);
  }
  int64_t OnlineMs(const std::string& principal) {
    int64_t total = -1;
    inner_->GetTotalUptimeMs(principal, [&total](Result<int64_t> r) { total = r ? *r : -2; });
    Settle();
    return total;
  }
  uint64_t Calls() const { return faults_->issued(StoreOp::kAddUptime); }

  store::testing::TempDir dir_;
  store::testing::PostQueue posts_;
  std::unique_ptr<store::Store> inner_;
  std::unique_ptr<FaultInjectionStore> faults_;
  std::unique_ptr<UptimeWriter> writer_;
  int failures_ = 0;
};

TEST_F(UptimeWriterTest, SendsACheckpointInChunksOneAtATime) {
  writer_->Add(Deltas(2500, 60'000), kNowMs);
  // The next chunk waits for the first's answer (which runs on the loop:
  // here, in Settle).
  EXPECT_EQ(Calls(), 1u);
  EXPECT_TRUE(writer_->sending());
  Settle();
  EXPECT_EQ(Calls(), 3u);  // 1000 + 1000 + 500.
  EXPECT_FALSE(writer_->sending());
  EXPECT_EQ(writer_->queued(), 0u);
  EXPECT_EQ(OnlineMs("p0"), 60'000);
  EXPECT_EQ(OnlineMs("p1999"), 60'000);
  EXPECT_EQ(OnlineMs("p2499"), 60'000);
  EXPECT_EQ(failures_, 0);
}

TEST_F(UptimeWriterTest, ARefusedChunkIsKeptAndSentAgainWithTheNextCheckpointNeverTwice) {
  writer_->Add(Deltas(2500, 60'000), kNowMs);  // The first chunk issued.
  // The store refuses the second operation issued from now: the third chunk.
  faults_->FailNth(2, Unavailable("store down"));
  Settle();  // The first two applied, the third refused.
  EXPECT_EQ(failures_, 1);
  EXPECT_FALSE(writer_->sending());
  EXPECT_EQ(writer_->queued(), 500u);
  EXPECT_EQ(OnlineMs("p2499"), 0);  // Refused means nothing applied.
  const uint64_t calls = Calls();
  Settle();
  EXPECT_EQ(Calls(), calls);  // Nothing retried before the next checkpoint.

  // The next checkpoint: p0 online another minute; the kept chunk goes first.
  writer_->Add(Deltas(1, 60'000), kNowMs + 60'000);
  Settle();
  EXPECT_EQ(writer_->queued(), 0u);
  EXPECT_EQ(OnlineMs("p0"), 120'000);
  EXPECT_EQ(OnlineMs("p1000"), 60'000);
  EXPECT_EQ(OnlineMs("p2499"), 60'000);
  EXPECT_EQ(failures_, 1);
}

TEST_F(UptimeWriterTest, FlushSendsEverythingQueuedButNotTheChunkInFlightAgain) {
  writer_->Add(Deltas(2500, 60'000), kNowMs);
  ASSERT_TRUE(writer_->sending());
  writer_->Flush(kNowMs);
  EXPECT_EQ(Calls(), 3u);  // The chunk in flight, then the other two at once.
  Settle();
  EXPECT_EQ(Calls(), 3u);
  EXPECT_EQ(writer_->queued(), 0u);
  EXPECT_EQ(OnlineMs("p0"), 60'000);
  EXPECT_EQ(OnlineMs("p1000"), 60'000);
  EXPECT_EQ(OnlineMs("p2499"), 60'000);
}

TEST_F(UptimeWriterTest, AnswersAfterTheWriterIsGoneAreIgnored) {
  writer_->Add(Deltas(1500, 1'000), kNowMs);
  writer_.reset();
  Settle();  // The first chunk's answer finds no writer: no crash, no second chunk.
  EXPECT_EQ(Calls(), 1u);
  EXPECT_EQ(OnlineMs("p0"), 1'000);
  EXPECT_EQ(OnlineMs("p1499"), 0);
}

}  // namespace
}  // namespace sela::api
