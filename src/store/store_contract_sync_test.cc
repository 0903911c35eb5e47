// The file-canister sync journal (canister_sync_types.h): insert once per
// hash, due rows in order, updates, the final synced state, the summary,
// refusals that write nothing, and that it survives a reopen.
#include "store/store_contract_test.h"

namespace sela::store::testing {
namespace {

SyncRecord Row(char digit, int64_t size, int64_t now_ms, SyncSource source = SyncSource::kFile) {
  SyncRecord r;
  r.sha256 = std::string(64, digit);
  r.source = source;
  r.ref = std::string("file_") + digit;
  r.owner = "node-a";
  r.content_type = "application/octet-stream";
  r.size = size;
  r.created_ms = now_ms;
  r.updated_ms = now_ms;
  r.next_attempt_ms = now_ms;
  return r;
}

// The helpers as lambdas in each test's body (which may call the harness's
// protected Call), so that the tests stay in StoreContractTest, which every
// backend instantiates.
#define SYNC_HELPERS()                                                                                     \
  auto Enqueue = [&](const SyncRecord& r) {                                                                \
    return Call<Result<bool>>([&](auto done) { store().EnqueueSync(r, done); });                         \
  };                                                                                                       \
  auto Due = [&](int64_t now_ms, uint32_t limit = 100) {                                                   \
    return Call<Result<std::vector<SyncRecord>>>([&](auto done) { store().ListDueSyncs(now_ms, limit, done); }); \
  };                                                                                                       \
  auto Update = [&](const SyncRecord& r) { return Call<Status>([&](auto done) { store().UpdateSync(r, done); }); }; \
  auto Summary = [&]() {                                                                                   \
    auto s = Call<Result<SyncSummary>>([&](auto done) { store().GetSyncSummary(done); });                 \
    EXPECT_TRUE(s.has_value());                                                                            \
    return s.value_or(SyncSummary{});                                                                      \
  };                                                                                                       \
  (void)Enqueue, (void)Due, (void)Update, (void)Summary

TEST_P(StoreContractTest, SyncRowIsRecordedOncePerHashAndIsDueInOrder) {
  SYNC_HELPERS();
  const int64_t t = StoreTimeZeroMs();
  ASSERT_EQ(Enqueue(Row('b', 10, t + 5)).value(), true);
  ASSERT_EQ(Enqueue(Row('a', 20, t)).value(), true);
  SyncRecord again = Row('a', 20, t + 9, SyncSource::kResult);  // Same content brought by a result.
  EXPECT_EQ(Enqueue(again).value(), false);
  const auto due = Due(t + 5);
  ASSERT_TRUE(due.has_value()) << due.error().ToString();
  ASSERT_EQ(due->size(), 2u);
  EXPECT_EQ((*due)[0], Row('a', 20, t));  // The first one stays as it was.
  EXPECT_EQ((*due)[1].sha256, std::string(64, 'b'));
  EXPECT_EQ(Due(t + 4)->size(), 1u);
  EXPECT_EQ(Due(t + 5, 1)->size(), 1u);
  const SyncSummary s = Summary();
  EXPECT_EQ(s.count_by_state[0], 2);
  EXPECT_EQ(s.bytes_by_state[0], 30);
  EXPECT_EQ(s.oldest_pending_ms, t);
}

TEST_P(StoreContractTest, SyncUpdatesMoveTheRowAndSyncedIsFinal) {
  SYNC_HELPERS();
  const int64_t t = StoreTimeZeroMs();
  ASSERT_TRUE(Enqueue(Row('c', 7, t)).has_value());
  SyncRecord r = Row('c', 7, t);
  r.attempts = 1;
  r.next_attempt_ms = t + 1'000;
  r.last_error = "UNAVAILABLE: 503";
  r.updated_ms = t + 1;
  ASSERT_TRUE(Update(r).ok());
  EXPECT_TRUE(Due(t + 999)->empty());
  ASSERT_EQ(Due(t + 1'000)->size(), 1u);
  EXPECT_EQ(Due(t + 1'000)->front(), r);

  r.state = SyncState::kSynced;
  r.attempts = 2;
  r.chunks = 1;
  r.last_error = "";
  r.synced_ms = t + 1'001;
  ASSERT_TRUE(Update(r).ok());
  EXPECT_TRUE(Due(t + 10'000)->empty());
  SyncSummary s = Summary();
  EXPECT_EQ(s.count_by_state[1], 1);
  EXPECT_EQ(s.bytes_by_state[1], 7);
  EXPECT_EQ(s.count_by_state[0], 0);
  EXPECT_EQ(s.bytes_by_state[0], 0);
  EXPECT_EQ(s.oldest_pending_ms, 0);
  r.state = SyncState::kPending;
  EXPECT_EQ(Update(r).code(), Code::kFailedPrecondition);
  EXPECT_EQ(Summary().count_by_state[1], 1);

  Reopen();
  EXPECT_EQ(Summary().count_by_state[1], 1);
  EXPECT_EQ(Enqueue(Row('c', 7, t)).value(), false);
}

TEST_P(StoreContractTest, SyncFailedRowIsNotDue) {
  SYNC_HELPERS();
  const int64_t t = StoreTimeZeroMs();
  ASSERT_TRUE(Enqueue(Row('d', 3, t)).has_value());
  SyncRecord r = Row('d', 3, t);
  r.state = SyncState::kFailed;
  r.attempts = 1;
  r.last_error = "NOT_FOUND: gone";
  ASSERT_TRUE(Update(r).ok());
  EXPECT_TRUE(Due(t + 1'000'000)->empty());
  EXPECT_EQ(Summary().count_by_state[2], 1);
}

TEST_P(StoreContractTest, SyncDueTiesGoByHashAndEmptyContentIsCounted) {
  SYNC_HELPERS();
  const int64_t t = StoreTimeZeroMs();
  ASSERT_EQ(Enqueue(Row('9', 0, t + 2)).value(), true);  // Empty content, due at the same time as 'f'.
  ASSERT_EQ(Enqueue(Row('f', 4, t + 2)).value(), true);
  ASSERT_EQ(Enqueue(Row('1', 6, t + 1)).value(), true);
  const auto due = Due(t + 2);
  ASSERT_TRUE(due.has_value()) << due.error().ToString();
  ASSERT_EQ(due->size(), 3u);
  EXPECT_EQ((*due)[0].sha256, std::string(64, '1'));
  EXPECT_EQ((*due)[1].sha256, std::string(64, '9'));
  EXPECT_EQ((*due)[2].sha256, std::string(64, 'f'));
  SyncRecord empty = Row('9', 0, t + 2);
  empty.state = SyncState::kSynced;
  empty.attempts = 1;
  empty.synced_ms = t + 3;
  ASSERT_TRUE(Update(empty).ok());
  SyncRecord older = Row('1', 6, t + 1);
  older.state = SyncState::kFailed;
  older.attempts = 1;
  older.last_error = "NOT_FOUND: gone";
  ASSERT_TRUE(Update(older).ok());
  const SyncSummary s = Summary();
  EXPECT_EQ(s.count_by_state, (std::array<int64_t, kSyncStates>{1, 1, 1}));
  EXPECT_EQ(s.bytes_by_state, (std::array<int64_t, kSyncStates>{4, 0, 6}));
  EXPECT_EQ(s.oldest_pending_ms, t + 2);  // The failed row is older but no longer pending.
  ASSERT_EQ(Due(t + 2)->size(), 1u);
}

TEST_P(StoreContractTest, SyncRowsAreListedByStateAndHashWithPaging) {
  SYNC_HELPERS();
  auto List = [&](SyncState state, std::string sha, std::string after, uint32_t limit = 100) {
    return Call<Result<std::vector<SyncRecord>>>([&](auto done) {
      store().ListSyncs(SyncQuery{state, std::move(sha), std::move(after), limit}, done);
    });
  };
  auto Hashes = [](const Result<std::vector<SyncRecord>>& rows) {
    std::string out;
    if (!rows.has_value()) return rows.error().ToString();
    for (const SyncRecord& r : *rows) out += r.sha256[0];
    return out;
  };
  const int64_t t = StoreTimeZeroMs();
  for (char c : std::string("dcba")) ASSERT_TRUE(Enqueue(Row(c, 2, t)).has_value());
  for (char c : std::string("bd")) {
    SyncRecord r = Row(c, 2, t);
    r.state = SyncState::kFailed;
    r.attempts = 3;
    r.last_error = std::string("INVALID_ARGUMENT: bad ") + c;
    ASSERT_TRUE(Update(r).ok());
  }
  SyncRecord synced = Row('c', 2, t);
  synced.state = SyncState::kSynced;
  synced.synced_ms = t + 1;
  ASSERT_TRUE(Update(synced).ok());
  EXPECT_EQ(Hashes(List(SyncState::kFailed, "", "")), "bd");
  EXPECT_EQ(Hashes(List(SyncState::kPending, "", "")), "a");
  EXPECT_EQ(Hashes(List(SyncState::kFailed, "", "", 1)), "b");
  EXPECT_EQ(Hashes(List(SyncState::kFailed, "", std::string(64, 'b'))), "d");
  const auto one = List(SyncState::kFailed, std::string(64, 'd'), "");
  ASSERT_EQ(Hashes(one), "d");
  EXPECT_EQ((*one)[0].last_error, "INVALID_ARGUMENT: bad d");
  EXPECT_EQ((*one)[0].attempts, 3u);
  EXPECT_EQ(Hashes(List(SyncState::kFailed, std::string(64, 'a'), "")), "");  // Pending, not failed.
  EXPECT_EQ(Hashes(List(SyncState::kFailed, std::string(64, 'e'), "")), "");  // No such row.
  // A failed row made pending again leaves the failed list for the pending one.
  SyncRecord retried = (*one)[0];
  retried.state = SyncState::kPending;
  retried.next_attempt_ms = t + 5;
  ASSERT_TRUE(Update(retried).ok());
  EXPECT_EQ(Hashes(List(SyncState::kFailed, "", "")), "b");
  EXPECT_EQ(Hashes(List(SyncState::kPending, "", "")), "ad");
  EXPECT_EQ(List(SyncState::kFailed, "", "", 0).error().code(), Code::kInvalidArgument);
  EXPECT_EQ(List(SyncState::kSynced, "", "").error().code(), Code::kInvalidArgument);
}

TEST_P(StoreContractTest, SyncBadInputIsRefusedAndWritesNothing) {
  SYNC_HELPERS();
  const int64_t t = StoreTimeZeroMs();
  SyncRecord bad = Row('e', 1, t);
  bad.sha256 = std::string(64, 'E');  // Not lowercase.
  EXPECT_EQ(Enqueue(bad).error().code(), Code::kInvalidArgument);
  bad = Row('e', -1, t);
  EXPECT_EQ(Enqueue(bad).error().code(), Code::kInvalidArgument);
  bad = Row('e', 1, t);
  bad.last_error = std::string(1025, 'x');
  EXPECT_EQ(Enqueue(bad).error().code(), Code::kInvalidArgument);
  bad = Row('e', 1, t);
  bad.state = static_cast<SyncState>(7);
  EXPECT_EQ(Update(bad).code(), Code::kInvalidArgument);
  EXPECT_EQ(Update(Row('e', 1, t)).code(), Code::kNotFound);
  EXPECT_EQ(Due(t, 0).error().code(), Code::kInvalidArgument);
  const SyncSummary s = Summary();
  EXPECT_EQ(s.count_by_state[0] + s.count_by_state[1] + s.count_by_state[2], 0);
}

}  // namespace
}  // namespace sela::store::testing
