// The file-canister sync journal (store/canister_sync_types.h), and its
// backfill pass.
#include <cstdint>
#include <utility>

#include "store/sqlite/operations.h"

namespace sela::store::sqlite {
namespace {

#define SELA_SYNC_COLUMNS                                                                           \
  "sha256, source, ref, owner, content_type, size, created_ms, state, attempts, next_attempt_ms, " \
  "last_error, chunks, updated_ms, synced_ms"

constexpr char kInsert[] = "INSERT INTO canister_sync (" SELA_SYNC_COLUMNS
                           ") VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, 0, ?8, ?9, ?10, 0, ?11, 0) "
                           "ON CONFLICT (sha256) DO NOTHING";
constexpr char kDue[] = "SELECT " SELA_SYNC_COLUMNS
                        " FROM canister_sync WHERE state = 0 AND next_attempt_ms <= ?1 "
                        "ORDER BY next_attempt_ms, sha256 LIMIT ?2";
constexpr char kInState[] = "SELECT " SELA_SYNC_COLUMNS
                            " FROM canister_sync WHERE state = ?1 AND sha256 > ?2 ORDER BY sha256 LIMIT ?3";
constexpr char kOneInState[] = "SELECT " SELA_SYNC_COLUMNS " FROM canister_sync WHERE state = ?1 AND sha256 = ?2";
constexpr char kState[] = "SELECT state FROM canister_sync WHERE sha256 = ?1";
constexpr char kUpdate[] =
    "UPDATE canister_sync SET state = ?2, attempts = ?3, next_attempt_ms = ?4, last_error = ?5, chunks = ?6, "
    "updated_ms = ?7, synced_ms = ?8 WHERE sha256 = ?1";
constexpr char kByState[] =
    "SELECT state, COUNT(*), COALESCE(SUM(size), 0) FROM canister_sync GROUP BY state";
constexpr char kOldest[] = "SELECT COALESCE(MIN(created_ms), 0) FROM canister_sync WHERE state = 0";
// The backfill looks at `limit` rows by rowid whatever their state, so that
// a page's work is bounded however few of them are final.
constexpr char kJobsAfter[] =
    "SELECT seq, state, result_hash, result_file_id, job_id, node_principal, result_content_type, result_bytes "
    "FROM jobs WHERE seq > ?1 ORDER BY seq LIMIT ?2";
constexpr char kFilesAfter[] =
    "SELECT seq, state, sha256, file_id, owner, content_type, size FROM files WHERE seq > ?1 ORDER BY seq LIMIT ?2";

#undef SELA_SYNC_COLUMNS

SyncRecord ReadSync(const Query& q) {
  return SyncRecord{.sha256 = q.Text(0),
                    .source = static_cast<SyncSource>(q.Int64(1)),
                    .ref = q.Text(2),
                    .owner = q.Text(3),
                    .content_type = q.Text(4),
                    .size = q.Int64(5),
                    .created_ms = q.Int64(6),
                    .state = static_cast<SyncState>(q.Int64(7)),
                    .attempts = static_cast<uint32_t>(q.Int64(8)),
                    .next_attempt_ms = q.Int64(9),
                    .last_error = q.Text(10),
                    .chunks = q.Int64(11),
                    .updated_ms = q.Int64(12),
                    .synced_ms = q.Int64(13)};
}

// A backfill cursor: "r:<rowid>" (jobs after it), "f:<rowid>" (files after
// it), "" (the start, "r:0").
struct BackfillCursor {
  bool files = false;
  int64_t after_seq = 0;
};

Result<BackfillCursor> ParseCursor(const std::string& cursor) {
  if (cursor.empty()) return BackfillCursor{};
  const auto bad = [&] {
    return Err(InvalidArgument("backfill cursor '" + cursor.substr(0, 64) + "' is not one of this store's"));
  };
  if (cursor.size() < 3 || cursor.size() > 22 || (cursor[0] != 'r' && cursor[0] != 'f') || cursor[1] != ':') {
    return bad();
  }
  int64_t seq = 0;
  for (size_t i = 2; i < cursor.size(); ++i) {
    if (cursor[i] < '0' || cursor[i] > '9' || seq > (INT64_MAX - 9) / 10) return bad();
    seq = seq * 10 + (cursor[i] - '0');
  }
  return BackfillCursor{.files = cursor[0] == 'f', .after_seq = seq};
}

}  // namespace

Status Operations::InsertSyncRow(const SyncRecord& r, bool* inserted) {
  ASSIGN_OR_RETURN(Query query, db_.Prepare(kInsert));
  query.BindText(1, r.sha256).BindInt(2, static_cast<int64_t>(r.source)).BindText(3, r.ref).BindText(4, r.owner);
  query.BindText(5, r.content_type).BindInt(6, r.size).BindInt(7, r.created_ms).BindInt(8, r.attempts);
  query.BindInt(9, r.next_attempt_ms).BindText(10, r.last_error).BindInt(11, r.updated_ms);
  RETURN_IF_ERROR(query.Run());
  if (inserted != nullptr) *inserted = db_.Changes() == 1;
  return Status::Ok();
}

Result<bool> Operations::EnqueueSync(const SyncRecord& r) {
  RETURN_IF_ERROR(ValidateSyncRecord(r));
  bool inserted = false;
  RETURN_IF_ERROR(InsertSyncRow(r, &inserted));
  return inserted;
}

Result<SyncBackfillPage> Operations::BackfillSyncs(const std::string& cursor, uint32_t limit, int64_t now_ms) {
  RETURN_IF_ERROR(ValidateNowMs(now_ms));
  RETURN_IF_ERROR(ValidateCount(limit, limits_.rows_per_read_max, "limit", false));
  ASSIGN_OR_RETURN(const BackfillCursor at, ParseCursor(cursor));
  if (at.files) return BackfillFiles(at.after_seq, limit, now_ms);
  ASSIGN_OR_RETURN(SyncBackfillPage page, BackfillResults(at.after_seq, limit, now_ms));
  // The jobs are done: the files follow, from the start.
  if (page.next_cursor.empty()) page.next_cursor = "f:0";
  return page;
}

// One page of one half (jobs "r", files "f"): the rows of `sql` after
// `after_seq`, each given to row_of (the content's row, or none); a page ends
// the half when it has fewer rows than asked for ("" cursor).
Result<SyncBackfillPage> Operations::BackfillPage(const char* sql, std::string_view half, int64_t after_seq,
                                                  uint32_t limit,
                                                  const std::function<std::optional<SyncRecord>(Query&)>& row_of) {
  ASSIGN_OR_RETURN(Query query, db_.Prepare(sql));
  query.BindInt(1, after_seq).BindInt(2, limit);
  std::vector<SyncRecord> rows;
  SyncBackfillPage page;
  int64_t last = after_seq;
  while (true) {
    ASSIGN_OR_RETURN(const bool row, query.Step());
    if (!row) break;
    ++page.scanned;
    last = query.Int64(0);
    if (std::optional<SyncRecord> r = row_of(query)) rows.push_back(std::move(*r));
  }
  for (const SyncRecord& r : rows) {
    bool inserted = false;
    RETURN_IF_ERROR(InsertSyncRow(r, &inserted));
    page.inserted += inserted ? 1 : 0;
  }
  if (page.scanned == limit) page.next_cursor = std::string(half) + ":" + std::to_string(last);
  return page;
}

Result<SyncBackfillPage> Operations::BackfillResults(int64_t after_seq, uint32_t limit, int64_t now_ms) {
  return BackfillPage(kJobsAfter, "r", after_seq, limit, [now_ms](Query& q) -> std::optional<SyncRecord> {
    // Completed with an inline result (a result that is a file has the file's row).
    if (q.Text(1) != "completed" || q.Text(2).empty() || !q.Text(3).empty()) return std::nullopt;
    return NewSyncRow(q.Text(2), SyncSource::kResult, q.Text(4), q.Text(5), q.Text(6), q.Int64(7), now_ms);
  });
}

Result<SyncBackfillPage> Operations::BackfillFiles(int64_t after_seq, uint32_t limit, int64_t now_ms) {
  return BackfillPage(kFilesAfter, "f", after_seq, limit, [now_ms](Query& q) -> std::optional<SyncRecord> {
    if (q.Text(1) != "complete" || q.Text(2).empty()) return std::nullopt;
    return NewSyncRow(q.Text(2), SyncSource::kFile, q.Text(3), q.Text(4), q.Text(5), q.Int64(6), now_ms);
  });
}

Result<std::vector<SyncRecord>> Operations::ListDueSyncs(int64_t now_ms, uint32_t limit) {
  RETURN_IF_ERROR(ValidateNowMs(now_ms));
  RETURN_IF_ERROR(ValidateCount(limit, limits_.rows_per_read_max, "limit", false));
  ASSIGN_OR_RETURN(Query query, db_.Prepare(kDue));
  query.BindInt(1, now_ms).BindInt(2, limit);
  std::vector<SyncRecord> out;
  while (true) {
    ASSIGN_OR_RETURN(const bool row, query.Step());
    if (!row) return out;
    out.push_back(ReadSync(query));
  }
}

Status Operations::UpdateSync(const SyncRecord& r) {
  RETURN_IF_ERROR(ValidateSyncRecord(r));
  {
    ASSIGN_OR_RETURN(Query query, db_.Prepare(kState));
    query.BindText(1, r.sha256);
    ASSIGN_OR_RETURN(const bool row, query.Step());
    if (!row) return NotFound("no sync record " + r.sha256);
    if (query.Int64(0) == static_cast<int64_t>(SyncState::kSynced)) {
      return FailedPrecondition("sync record " + r.sha256 + " is synced");
    }
  }
  ASSIGN_OR_RETURN(Query query, db_.Prepare(kUpdate));
  query.BindText(1, r.sha256).BindInt(2, static_cast<int64_t>(r.state)).BindInt(3, r.attempts);
  query.BindInt(4, r.next_attempt_ms).BindText(5, r.last_error).BindInt(6, r.chunks).BindInt(7, r.updated_ms);
  query.BindInt(8, r.synced_ms);
  return query.Run();
}

Result<std::vector<SyncRecord>> Operations::ListSyncs(const SyncQuery& q) {
  RETURN_IF_ERROR(ValidateCount(q.limit, limits_.rows_per_read_max, "limit", false));
  if (q.state != SyncState::kPending && q.state != SyncState::kFailed) {
    return Err(InvalidArgument("state: only pending or failed rows are listed"));
  }
  ASSIGN_OR_RETURN(Query query, db_.Prepare(q.sha256.empty() ? kInState : kOneInState));
  query.BindInt(1, static_cast<int64_t>(q.state)).BindText(2, q.sha256.empty() ? q.after_sha256 : q.sha256);
  if (q.sha256.empty()) query.BindInt(3, q.limit);
  std::vector<SyncRecord> out;
  while (true) {
    ASSIGN_OR_RETURN(const bool row, query.Step());
    if (!row) return out;
    out.push_back(ReadSync(query));
  }
}

Result<SyncSummary> Operations::GetSyncSummary() {
  SyncSummary summary;
  {
    ASSIGN_OR_RETURN(Query query, db_.Prepare(kByState));
    while (true) {
      ASSIGN_OR_RETURN(const bool row, query.Step());
      if (!row) break;
      const auto state = static_cast<size_t>(query.Int64(0));
      if (state >= kSyncStates) return Err(Internal("unknown sync state in the store"));
      summary.count_by_state[state] = query.Int64(1);
      summary.bytes_by_state[state] = query.Int64(2);
    }
  }
  ASSIGN_OR_RETURN(Query query, db_.Prepare(kOldest));
  ASSIGN_OR_RETURN(const bool row, query.Step());
  if (row) summary.oldest_pending_ms = query.Int64(0);
  return summary;
}

}  // namespace sela::store::sqlite
