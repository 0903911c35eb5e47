// WAL checkpoints: the writer's policy as pure code, then the store on a real
// file under steady writes, with a reader holding the WAL, and at close.
#include "store/sqlite/checkpointer.h"

#include <gtest/gtest.h>

#include <filesystem>
#include <mutex>
#include <string>

#include "store/sqlite/sqlite_test_util.h"

namespace sela::store::sqlite {
namespace {

using Action = CheckpointPolicy::Action;

constexpr CheckpointPolicy::Limits kLimits{.start_frames = 100, .tail_frames = 8,
                                           .limit_frames = 400};

PassReport Idle(uint64_t passes, uint64_t generation, int64_t backfilled) {
  return {.running = false, .passes = passes, .generation = generation, .backfilled = backfilled};
}

TEST(CheckpointPolicyTest, NothingHappensBelowTheStartThreshold) {
  CheckpointPolicy policy(kLimits);
  for (int64_t frames = 1; frames < 100; frames += 7) {
    EXPECT_EQ(policy.AfterCommit(frames, Idle(0, 0, 0)), Action::kNone) << frames;
  }
}

TEST(CheckpointPolicyTest, APassStartsAtTheThresholdAndNotWhileOneRuns) {
  CheckpointPolicy policy(kLimits);
  EXPECT_EQ(policy.AfterCommit(100, Idle(0, 0, 0)), Action::kStartPass);
  PassReport running = Idle(0, 0, 0);
  running.running = true;
  EXPECT_EQ(policy.AfterCommit(130, running), Action::kNone);
  EXPECT_EQ(policy.AfterCommit(399, running), Action::kNone);
}

TEST(CheckpointPolicyTest, TheWriterFinishesWhenFewFramesAreLeft) {
  CheckpointPolicy policy(kLimits);
  ASSERT_EQ(policy.AfterCommit(100, Idle(0, 0, 0)), Action::kStartPass);
  // The pass copied 100; 30 came meanwhile: too many for the writer.
  EXPECT_EQ(policy.AfterCommit(130, Idle(1, 0, 100)), Action::kStartPass);
  // The next pass left 6: the writer copies them.
  EXPECT_EQ(policy.AfterCommit(136, Idle(2, 0, 130)), Action::kWriterTail);
  // The WAL did not start over (a reader held it): not again before
  // another pass.
  EXPECT_EQ(policy.AfterCommit(138, Idle(2, 0, 130)), Action::kStartPass);
  EXPECT_EQ(policy.AfterCommit(139, Idle(3, 0, 138)), Action::kWriterTail);
  EXPECT_EQ(policy.generation(), 0u);
}

TEST(CheckpointPolicyTest, TheWriterFinishesWhenPassesStopGainingOnTheWrites) {
  CheckpointPolicy policy(kLimits);
  ASSERT_EQ(policy.AfterCommit(100, Idle(0, 0, 0)), Action::kStartPass);
  EXPECT_EQ(policy.AfterCommit(160, Idle(1, 0, 100)), Action::kStartPass);  // 60 left.
  EXPECT_EQ(policy.AfterCommit(190, Idle(2, 0, 160)), Action::kStartPass);  // 30: halved.
  EXPECT_EQ(policy.AfterCommit(210, Idle(3, 0, 190)), Action::kWriterTail);  // 20: not.
}

TEST(CheckpointPolicyTest, AReportOfAnEarlierGenerationIsNotTrusted) {
  CheckpointPolicy policy(kLimits);
  ASSERT_EQ(policy.AfterCommit(100, Idle(0, 0, 0)), Action::kStartPass);
  ASSERT_EQ(policy.AfterCommit(104, Idle(1, 0, 100)), Action::kWriterTail);
  // The WAL started over: fewer frames than the commit before.
  EXPECT_EQ(policy.AfterCommit(3, Idle(1, 0, 100)), Action::kNone);
  EXPECT_EQ(policy.generation(), 1u);
  // A report that came late, about the old WAL, says nothing of this one.
  EXPECT_EQ(policy.AfterCommit(101, Idle(2, 0, 100)), Action::kStartPass);
  EXPECT_EQ(policy.AfterCommit(105, Idle(3, 1, 101)), Action::kWriterTail);
}

TEST(CheckpointPolicyTest, TheWriterCheckpointsEverythingAtTheLimit) {
  CheckpointPolicy policy(kLimits);
  PassReport running = Idle(5, 0, 10);
  running.running = true;
  EXPECT_EQ(policy.AfterCommit(400, running), Action::kWriterAll);
  EXPECT_EQ(policy.AfterCommit(450, Idle(6, 0, 10)), Action::kWriterAll);
  EXPECT_EQ(policy.AfterCommit(399, Idle(6, 0, 10)), Action::kStartPass);
}

}  // namespace
}  // namespace sela::store::sqlite

namespace sela::store::testing {
namespace {

// Frames the WAL file has room for: its size only grows, so this is the most
// the WAL ever held, not what it holds now.
uintmax_t WalFileFrames(const std::string& db_path) {
  std::error_code error;
  const uintmax_t bytes = std::filesystem::file_size(db_path + "-wal", error);
  if (error || bytes < 32) return 0;
  return (bytes - 32) / (4096 + 24);
}

class CheckpointStoreTest : public SqliteStoreTest {
 protected:
  void OpenWithStats() {
    options_.wal_checkpoint_pages = 100;
    options_.on_batch = [this](const SqliteStats& stats) {
      std::lock_guard lock(stats_mu_);
      stats_ = stats;
    };
    ASSERT_NO_FATAL_FAILURE(Open());
  }
  SqliteStats Stats() {
    std::lock_guard lock(stats_mu_);
    return stats_;
  }

  std::mutex stats_mu_;
  SqliteStats stats_;
};

// One registration at a time, as a lightly loaded server commits: the WAL
// starts over again and again instead of growing (the thread alone catches
// up, as the writer waits between commits).
TEST_F(CheckpointStoreTest, SteadyWritesKeepTheWalSmallAndStartItOver) {
  ASSERT_NO_FATAL_FAILURE(OpenWithStats());
  // The checkpoint thread runs at nice 10: on a machine busy with other
  // work it may get no CPU during the first 3,000 commits (the writer then
  // does every checkpoint itself, as it must). Commits go on, one at a
  // time, until the thread has done a pass, up to a bound far beyond what
  // an idle machine needs.
  constexpr int kNodes = 3'000;
  constexpr int kNodesMax = 30'000;
  int nodes = 0;
  while (nodes < kNodes || (Stats().checkpoint_passes_background == 0 && nodes < kNodesMax)) {
    ASSERT_TRUE(Register("node-" + std::to_string(nodes)).has_value()) << nodes;
    ++nodes;
  }
  const SqliteStats stats = Stats();
  EXPECT_GE(stats.wal_restarts, 5u);
  EXPECT_GE(stats.checkpoint_passes_background, 1u) << "after " << nodes << " commits";
  EXPECT_EQ(stats.checkpoint_failures, 0u);
  // Never past the limit (2 x 100 pages) by more than one commit's pages.
  EXPECT_LE(WalFileFrames(options_.path), 220u);
  Close();
  EXPECT_FALSE(std::filesystem::exists(options_.path + "-wal"));  // Last close removes it.
  ASSERT_NO_FATAL_FAILURE(Open());
  for (int i = 0; i < nodes; i += 97) {
    const auto node = Get("node-" + std::to_string(i));
    ASSERT_TRUE(node.has_value() && node->has_value()) << i;
  }
}

// Commits back to back (one operation per batch, all queued at once): the
// thread never reaches the WAL's end alone, so the writer finishes.
TEST_F(CheckpointStoreTest, BackToBackCommitsAreFinishedByTheWriter) {
  options_.batch_ops_max = 1;
  ASSERT_NO_FATAL_FAILURE(OpenWithStats());
  constexpr int kNodes = 4'000;
  int ok = 0;
  for (int i = 0; i < kNodes; ++i) {
    store_->RegisterNode("node-" + std::to_string(i), "1", 1'700'000'000'000,
                         [&ok](Result<NodeRecord> r) { ok += r.has_value() ? 1 : 0; });
  }
  store_->Flush();
  posts_.RunAll();
  EXPECT_EQ(ok, kNodes);
  const SqliteStats stats = Stats();
  EXPECT_GE(stats.wal_restarts, 3u);
  EXPECT_GE(stats.checkpoints_writer_tail + stats.checkpoints_writer_all, 1u);
  EXPECT_LE(WalFileFrames(options_.path), 220u);
  EXPECT_EQ(RawQueryInt(options_.path, "SELECT COUNT(*) FROM nodes"), kNodes);
}

// A reader holding the WAL keeps every checkpoint from reaching its end:
// writes go on regardless, the writer's own checkpoints past the limit do
// what they can, and once the reader is gone the WAL starts over again.
TEST_F(CheckpointStoreTest, AReaderHoldingTheWalStopsNoWrite) {
  ASSERT_NO_FATAL_FAILURE(OpenWithStats());
  ASSERT_TRUE(Register("first").has_value());
  {
    RawConnection reader(options_.path);
    ASSERT_TRUE(reader.Exec("BEGIN").ok());
    ASSERT_EQ(reader.QueryInt("SELECT COUNT(*) FROM nodes"), 1);
    for (int i = 0; i < 1'500; ++i) {
      ASSERT_TRUE(Register("held-" + std::to_string(i)).has_value()) << i;
    }
    EXPECT_GT(WalFileFrames(options_.path), 200u);  // It had to grow.
    EXPECT_GE(Stats().checkpoints_writer_all, 1u);
    EXPECT_EQ(reader.QueryInt("SELECT COUNT(*) FROM nodes"), 1);  // Its snapshot.
    ASSERT_TRUE(reader.Exec("COMMIT").ok());
  }
  const uint64_t restarts = Stats().wal_restarts;
  for (int i = 0; i < 1'500; ++i) {
    ASSERT_TRUE(Register("after-" + std::to_string(i)).has_value()) << i;
  }
  EXPECT_GT(Stats().wal_restarts, restarts);
  EXPECT_EQ(RawQueryInt(options_.path, "SELECT COUNT(*) FROM nodes"), 3'001);
}

}  // namespace
}  // namespace sela::store::testing
