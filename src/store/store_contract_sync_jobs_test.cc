// The file-canister sync journal kept by the store with the completions
// (store.h "File-canister sync journal"): a store opened with canister_sync
// writes a content's row in the same step as the completion that makes it
// final, never for a repeat or a refused completion, and a store without
// it writes none; the backfill pass gives a row, once, to every final
// content that has none. On both backends (JobPayContractTest).
#include <map>
#include <set>

#include "store/store_contract_ledger_test.h"

namespace sela::store::testing {
namespace {

constexpr int64_t kT0 = StoreTimeZeroMs();

// The helpers as lambdas in each test's body (which may call the harness's
// protected members), so that the tests stay in a suite that every backend
// instantiates already.
#define JOURNAL_HELPERS()                                                                                      \
  auto Due = [&](int64_t now_ms) {                                                                            \
    auto due = Call<Result<std::vector<SyncRecord>>>([&](auto done) { store().ListDueSyncs(now_ms, 1000, done); }); \
    EXPECT_TRUE(due.has_value()) << due.error().ToString();                                                   \
    return due.value_or(std::vector<SyncRecord>{});                                                           \
  };                                                                                                          \
  auto Summary = [&]() {                                                                                      \
    auto s = Call<Result<SyncSummary>>([&](auto done) { store().GetSyncSummary(done); });                    \
    EXPECT_TRUE(s.has_value());                                                                               \
    return s.value_or(SyncSummary{});                                                                         \
  };                                                                                                          \
  auto Rows = [&]() {                                                                                         \
    const SyncSummary s = Summary();                                                                          \
    return s.count_by_state[0] + s.count_by_state[1] + s.count_by_state[2];                                   \
  };                                                                                                          \
  auto Backfill = [&](const std::string& cursor, uint32_t limit, int64_t now_ms) {                           \
    return Call<Result<SyncBackfillPage>>([&](auto done) { store().BackfillSyncs(cursor, limit, now_ms, done); }); \
  };                                                                                                          \
  auto KeepJournal = [&] {                                                                                    \
    env_->canister_sync = true;                                                                               \
    Reopen();                                                                                                 \
  };                                                                                                          \
  (void)Due, (void)Summary, (void)Rows, (void)Backfill, (void)KeepJournal

TEST_P(JobPayContractTest, SyncRowIsWrittenWithTheCompletionOfAnInlineResult) {
  JOURNAL_HELPERS();
  KeepJournal();
  const int64_t t = kT0 + 100;
  Ongoing("job_1", "node-a");
  ASSERT_EQ(Complete("job_1", Completion("node-a", 1, "result", 7), t).value(), CompleteOutcome::kCompleted);
  // Nothing else was issued: the row came with the completion.
  const SyncRecord expected =
      NewSyncRow(FakeSha256(7), SyncSource::kResult, "job_1", "node-a", "application/json", 6, t);
  std::vector<SyncRecord> due = Due(t);
  ASSERT_EQ(due.size(), 1u);
  EXPECT_EQ(due[0], expected);
  // A repeat, and another job with the same bytes: still that one row.
  EXPECT_EQ(Complete("job_1", Completion("node-a", 1, "result", 7), t + 5).value(), CompleteOutcome::kRepeat);
  Ongoing("job_2", "node-b");
  EXPECT_EQ(Complete("job_2", Completion("node-b", 1, "result", 7), t + 6).value(), CompleteOutcome::kCompleted);
  Reopen();
  due = Due(t + 10);
  ASSERT_EQ(due.size(), 1u);
  EXPECT_EQ(due[0], expected);
}

TEST_P(JobPayContractTest, SyncRowIsWrittenWithTheCompletionOfAFileAndAResultFileAddsNone) {
  JOURNAL_HELPERS();
  KeepJournal();
  MustCompleteFile("file_1", "node-a", 10, 5);  // Completed at kT0 + 2.
  const SyncRecord expected =
      NewSyncRow(FakeSha256(5), SyncSource::kFile, "file_1", "node-a", "application/octet-stream", 10, kT0 + 2);
  std::vector<SyncRecord> due = Due(kT0 + 2);
  ASSERT_EQ(due.size(), 1u);
  EXPECT_EQ(due[0], expected);
  EXPECT_EQ(CompleteFile("file_1", "node-a", FakeSha256(5), kT0 + 3).value(), FileCompleteOutcome::kRepeat);
  EXPECT_EQ(Rows(), 1);

  Ongoing("job_f", "node-a");
  MustCompleteFile("file_2", "node-a", 4, 6, "job_f");
  JobCompletion c = Completion("node-a", 1, "", 6);
  c.result_file_id = "file_2";
  ASSERT_EQ(Complete("job_f", c, kT0 + 50).value(), CompleteOutcome::kCompleted);
  due = Due(kT0 + 50);
  ASSERT_EQ(due.size(), 2u);  // file_1's and file_2's; the job's result is file_2's row.
  const SyncRecord& second = due[0].sha256 == FakeSha256(6) ? due[0] : due[1];
  EXPECT_EQ(second, NewSyncRow(FakeSha256(6), SyncSource::kFile, "file_2", "node-a", "application/octet-stream", 4,
                               kT0 + 2));
}

TEST_P(JobPayContractTest, SyncRowsAreNotWrittenWithTheJournalOff) {
  JOURNAL_HELPERS();
  Ongoing("job_1", "node-a");
  ASSERT_TRUE(Complete("job_1", Completion("node-a", 1, "result", 7), kT0 + 20).has_value());
  MustCompleteFile("file_1", "node-a", 10, 5);
  EXPECT_EQ(Rows(), 0);
  EXPECT_TRUE(Due(kT0 + 1'000'000).empty());
}

// A completion that is refused, late part or all, writes no row either: the
// row is part of the transition (SQLite rolls the operation back, a Redis
// script writes it only when the completion went through).
TEST_P(JobPayContractTest, SyncRowIsNotWrittenForARefusedCompletion) {
  JOURNAL_HELPERS();
  KeepJournal();
  // The job's payment is refused (its transfer id is taken by another
  // body), after the result was checked: nothing of the completion stays.
  ASSERT_TRUE(Apply({MakeTransfer("job:job_1", "someone-else", 5, RewardKind::kJob)}).has_value());
  Ongoing("job_1", "node-a");
  const auto refused = CompleteAndPay("job_1", Completion("node-a", 1, "result", 1), kT0 + 20);
  ASSERT_FALSE(refused.has_value());
  EXPECT_EQ(refused.error().code(), Code::kConflict) << refused.error().ToString();
  // Another node's result.
  Ongoing("job_2", "node-a");
  EXPECT_EQ(Complete("job_2", Completion("node-b", 1, "x", 2), kT0 + 21).error().code(), Code::kFailedPrecondition);
  // A file not all there, and another owner's.
  ASSERT_TRUE(CreateFile(NewFile("file_1", "node-a", 10)).has_value());
  EXPECT_EQ(CompleteFile("file_1", "node-a", FakeSha256(3), kT0 + 3).error().code(), Code::kFailedPrecondition);
  EXPECT_EQ(CompleteFile("file_1", "node-b", FakeSha256(3), kT0 + 3).error().code(), Code::kPermissionDenied);
  EXPECT_EQ(Rows(), 0);
}

// Content made final while the journal was off, then a pass with it on:
// every completed inline result and complete file gets its row (jobs first,
// so content that is both gets the result's), a row that exists is left as
// it is, a cursor carries across a reopen, and a second pass adds nothing.
TEST_P(JobPayContractTest, SyncBackfillGivesEveryFinalContentWithoutARowItsRowOnce) {
  JOURNAL_HELPERS();
  const int64_t t = kT0 + 20;
  for (const auto& [job, seed] : std::vector<std::pair<std::string, uint64_t>>{
           {"job_1", 11}, {"job_2", 12}, {"job_3", 11}}) {
    Ongoing(job, "node-a");
    ASSERT_TRUE(Complete(job, Completion("node-a", 1, "bytes " + std::to_string(seed), seed), t).has_value());
  }
  Ongoing("job_4", "node-a");
  ASSERT_TRUE(Fail("job_4", 1, "gone", t).ok());
  Ongoing("job_5", "node-a");                    // Still ongoing.
  MustCompleteFile("file_1", "node-b", 10, 13);  // Completed at kT0 + 2.
  MustCompleteFile("file_2", "node-b", 10, 11);  // The bytes of job_1's result.
  ASSERT_TRUE(CreateFile(NewFile("file_3", "node-b", 10)).has_value());  // Uploading.
  Ongoing("job_6", "node-a");
  MustCompleteFile("file_4", "node-a", 4, 14, "job_6");
  JobCompletion by_file = Completion("node-a", 1, "", 14);
  by_file.result_file_id = "file_4";
  ASSERT_TRUE(Complete("job_6", by_file, t).has_value());
  // job_2's content has a row already, synced: the pass leaves it alone.
  SyncRecord synced = NewSyncRow(FakeSha256(12), SyncSource::kResult, "job_2", "node-a", "application/json", 8, t);
  ASSERT_TRUE(Call<Result<bool>>([&](auto done) { store().EnqueueSync(synced, done); }).has_value());
  synced.state = SyncState::kSynced;
  synced.attempts = 1;
  synced.synced_ms = t + 1;
  ASSERT_TRUE(Call<Status>([&](auto done) { store().UpdateSync(synced, done); }).ok());
  ASSERT_EQ(Rows(), 1);

  KeepJournal();
  const int64_t now = kT0 + 1'000;
  std::string cursor;
  uint32_t inserted = 0;
  int pages = 0;
  // Small pages first, then large ones: Redis walks every key of its
  // database (other tests' too), a page of about `limit` at a time.
  do {
    const Result<SyncBackfillPage> page = Backfill(cursor, pages < 3 ? 2 : 1'000, now);
    ASSERT_TRUE(page.has_value()) << page.error().ToString();
    inserted += page->inserted;
    cursor = page->next_cursor;
    if (++pages == 1) Reopen();  // The cursor is good after a restart.
  } while (!cursor.empty() && pages < 100'000);
  ASSERT_TRUE(cursor.empty());
  EXPECT_EQ(inserted, 3u);
  EXPECT_GT(pages, 2);
  const std::vector<SyncRecord> due = Due(now);
  std::map<std::string, SyncRecord> rows;
  for (const SyncRecord& r : due) rows[r.sha256] = r;
  ASSERT_EQ(rows.size(), 3u);
  const SyncRecord& r11 = rows[FakeSha256(11)];
  EXPECT_EQ(r11.source, SyncSource::kResult);
  EXPECT_TRUE(r11.ref == "job_1" || r11.ref == "job_3") << r11.ref;  // Redis walks in hash order.
  EXPECT_EQ(r11, NewSyncRow(FakeSha256(11), SyncSource::kResult, r11.ref, "node-a", "application/json", 8, now));
  EXPECT_EQ(rows[FakeSha256(13)],
            NewSyncRow(FakeSha256(13), SyncSource::kFile, "file_1", "node-b", "application/octet-stream", 10, now));
  EXPECT_EQ(rows[FakeSha256(14)],
            NewSyncRow(FakeSha256(14), SyncSource::kFile, "file_4", "node-a", "application/octet-stream", 4, now));
  EXPECT_EQ(Summary().count_by_state[1], 1);  // job_2's, still synced.

  cursor.clear();
  inserted = 0;
  pages = 0;
  do {
    const Result<SyncBackfillPage> page = Backfill(cursor, 1'000, now + 1);
    ASSERT_TRUE(page.has_value()) << page.error().ToString();
    inserted += page->inserted;
    cursor = page->next_cursor;
  } while (!cursor.empty() && ++pages < 100'000);
  EXPECT_EQ(inserted, 0u);
  EXPECT_EQ(Rows(), 4);
}

TEST_P(JobPayContractTest, SyncBackfillRefusesWhatItDidNotHandOut) {
  JOURNAL_HELPERS();
  for (const char* cursor : {"x:1", "r:", "r:12a", "f", "r:123456789012345678901", "f:99999999999999999999"}) {
    const auto page = Backfill(cursor, 10, kT0);
    ASSERT_FALSE(page.has_value()) << cursor;
    EXPECT_EQ(page.error().code(), Code::kInvalidArgument) << cursor;
  }
  EXPECT_EQ(Backfill("", 0, kT0).error().code(), Code::kInvalidArgument);
  EXPECT_EQ(Backfill("", 10, -1).error().code(), Code::kInvalidArgument);
  const auto first = Backfill("", 10, kT0);
  ASSERT_TRUE(first.has_value()) << first.error().ToString();
  EXPECT_EQ(first->inserted, 0u);
}

}  // namespace
}  // namespace sela::store::testing
