// The file-canister sync journal on Redis (store.h "File-canister sync
// journal"; canister_sync_types.h): each operation one script
// (scripts_sync.cc), with the SQLite backend's checks (validate_sync.cc)
// and its messages.
#include <algorithm>
#include <string_view>
#include <utility>

#include "store/redis/redis_store.h"
#include "store/redis/redis_store_impl.h"
#include "store/validate.h"
#include "store/validate_ledger.h"

namespace sela::store {
namespace {

using redis::Command;
using redis::Script;

constexpr size_t kSyncFields = 14;

Status Malformed(const char* what) { return Internal(std::string(what) + ": malformed Redis reply"); }

Result<int64_t> IntAt(const redisReply* r, size_t i, const char* what) {
  const auto v = redis::ToInt(redis::Element(r, i));
  if (!v) return Err(Malformed(what));
  return *v;
}

// A record from its SYNC_FIELDS values.
Result<SyncRecord> DecodeSync(const redisReply* v, const char* what) {
  if (!redis::IsArray(v) || v->elements != kSyncFields) return Err(Malformed(what));
  if (redis::IsNil(v->element[0])) return Err(Internal(std::string(what) + ": an indexed sync record is missing"));
  SyncRecord s;
  s.sha256 = std::string(redis::Text(v->element[0]));
  ASSIGN_OR_RETURN(const int64_t source, IntAt(v, 1, what));
  if (source != static_cast<int64_t>(SyncSource::kResult) && source != static_cast<int64_t>(SyncSource::kFile)) {
    return Err(Malformed(what));
  }
  s.source = static_cast<SyncSource>(source);
  s.ref = std::string(redis::Text(v->element[2]));
  s.owner = std::string(redis::Text(v->element[3]));
  s.content_type = std::string(redis::Text(v->element[4]));
  ASSIGN_OR_RETURN(s.size, IntAt(v, 5, what));
  ASSIGN_OR_RETURN(s.created_ms, IntAt(v, 6, what));
  ASSIGN_OR_RETURN(const int64_t state, IntAt(v, 7, what));
  if (state < 0 || state >= static_cast<int64_t>(kSyncStates)) return Err(Malformed(what));
  s.state = static_cast<SyncState>(state);
  ASSIGN_OR_RETURN(const int64_t attempts, IntAt(v, 8, what));
  s.attempts = static_cast<uint32_t>(attempts);
  ASSIGN_OR_RETURN(s.next_attempt_ms, IntAt(v, 9, what));
  s.last_error = std::string(redis::Text(v->element[10]));
  ASSIGN_OR_RETURN(s.chunks, IntAt(v, 11, what));
  ASSIGN_OR_RETURN(s.updated_ms, IntAt(v, 12, what));
  ASSIGN_OR_RETURN(s.synced_ms, IntAt(v, 13, what));
  return s;
}

// A backfill cursor: "" (the start), "r:<SCAN cursor>" (job hashes) or
// "f:<SCAN cursor>" (file hashes).
struct BackfillCursor {
  bool files = false;
  std::string scan = "0";
};

Result<BackfillCursor> ParseCursor(const std::string& cursor) {
  if (cursor.empty()) return BackfillCursor{};
  bool ok = cursor.size() >= 3 && cursor.size() <= 22 && (cursor[0] == 'r' || cursor[0] == 'f') && cursor[1] == ':';
  for (size_t i = 2; ok && i < cursor.size(); ++i) ok = cursor[i] >= '0' && cursor[i] <= '9';
  // SCAN's cursors are unsigned 64-bit numbers.
  const std::string_view digits = std::string_view(cursor).substr(std::min<size_t>(2, cursor.size()));
  ok = ok && (digits.size() < 20 || (digits.size() == 20 && digits <= "18446744073709551615"));
  if (!ok) return Err(InvalidArgument("backfill cursor '" + cursor.substr(0, 64) + "' is not one of this store's"));
  return BackfillCursor{.files = cursor[0] == 'f', .scan = cursor.substr(2)};
}

}  // namespace

Command RedisStore::SyncScript(Script script) const {
  Command c = ScriptCall(script, 0);
  c.Arg(keys_.csync());
  return c;
}

void RedisStore::EnqueueSync(const SyncRecord& record, Callback<bool> done) {
  OnLoop([this, record, done = std::move(done)]() mutable {
    if (Status st = ValidateSyncRecord(record); !st.ok()) return Answer(std::move(done), std::move(st));
    const SyncRecord& r = record;
    Command c = SyncScript(Script::kEnqueueSync);
    c.Arg(r.sha256).Uint(static_cast<uint32_t>(r.source)).Arg(r.ref).Arg(r.owner).Arg(r.content_type);
    c.Int(r.size).Int(r.created_ms).Uint(r.attempts).Int(r.next_attempt_ms).Arg(r.last_error).Int(r.updated_ms);
    Send<bool>(std::move(done), c.Finish(), Kind::kScript, "EnqueueSync", [](const redisReply* reply) -> Result<bool> {
      ASSIGN_OR_RETURN(const int64_t inserted, IntAt(reply, 1, "EnqueueSync"));
      return inserted == 1;
    });
  });
}

void RedisStore::ListDueSyncs(int64_t now_ms, uint32_t limit, Callback<std::vector<SyncRecord>> done) {
  OnLoop([this, now_ms, limit, done = std::move(done)]() mutable {
    Status st = ValidateNowMs(now_ms);
    if (st.ok()) st = CheckRows(limit, "limit");
    if (!st.ok()) return Answer(std::move(done), std::move(st));
    Command c = SyncScript(Script::kDueSyncs);
    c.Int(now_ms).Uint(limit);
    Send<std::vector<SyncRecord>>(std::move(done), c.Finish(), Kind::kScript, "ListDueSyncs",
                                  [](const redisReply* reply) -> Result<std::vector<SyncRecord>> {
                                    const redisReply* list = redis::Element(reply, 1);
                                    if (!redis::IsArray(list)) return Err(Malformed("ListDueSyncs"));
                                    std::vector<SyncRecord> out;
                                    for (size_t i = 0; i < list->elements; ++i) {
                                      ASSIGN_OR_RETURN(SyncRecord s, DecodeSync(list->element[i], "ListDueSyncs"));
                                      out.push_back(std::move(s));
                                    }
                                    return out;
                                  });
  });
}

void RedisStore::UpdateSync(const SyncRecord& record, Done done) {
  OnLoop([this, record, done = std::move(done)]() mutable {
    if (Status st = ValidateSyncRecord(record); !st.ok()) return Answer(std::move(done), std::move(st));
    const SyncRecord& r = record;
    Command c = SyncScript(Script::kUpdateSync);
    c.Arg(r.sha256).Uint(static_cast<uint32_t>(r.source)).Arg(r.ref).Arg(r.owner).Arg(r.content_type);
    c.Int(r.size).Int(r.created_ms).Uint(static_cast<uint32_t>(r.state)).Uint(r.attempts).Int(r.next_attempt_ms);
    c.Arg(r.last_error).Int(r.chunks).Int(r.updated_ms).Int(r.synced_ms);
    SendDone(std::move(done), c.Finish(), Kind::kScript, "UpdateSync");
  });
}

void RedisStore::ListSyncs(const SyncQuery& query, Callback<std::vector<SyncRecord>> done) {
  OnLoop([this, query, done = std::move(done)]() mutable {
    Status st = CheckRows(query.limit, "limit");
    if (st.ok() && query.state != SyncState::kPending && query.state != SyncState::kFailed) {
      st = InvalidArgument("state: only pending or failed rows are listed");
    }
    if (!st.ok()) return Answer(std::move(done), std::move(st));
    Command c = SyncScript(Script::kListSyncs);
    c.Uint(static_cast<uint32_t>(query.state)).Arg(query.sha256).Arg(query.after_sha256).Uint(query.limit);
    Send<std::vector<SyncRecord>>(std::move(done), c.Finish(), Kind::kScript, "ListSyncs",
                                  [](const redisReply* reply) -> Result<std::vector<SyncRecord>> {
                                    const redisReply* list = redis::Element(reply, 1);
                                    if (!redis::IsArray(list)) return Err(Malformed("ListSyncs"));
                                    std::vector<SyncRecord> out;
                                    for (size_t i = 0; i < list->elements; ++i) {
                                      ASSIGN_OR_RETURN(SyncRecord s, DecodeSync(list->element[i], "ListSyncs"));
                                      out.push_back(std::move(s));
                                    }
                                    return out;
                                  });
  });
}

void RedisStore::GetSyncSummary(Callback<SyncSummary> done) {
  OnLoop([this, done = std::move(done)]() mutable {
    Command c = SyncScript(Script::kSyncSummary);
    Send<SyncSummary>(std::move(done), c.Finish(), Kind::kScript, "GetSyncSummary",
                      [](const redisReply* r) -> Result<SyncSummary> {
                        constexpr const char* kWhat = "GetSyncSummary";
                        SyncSummary out;
                        const redisReply* counts = redis::Element(r, 1);
                        const redisReply* bytes = redis::Element(r, 2);
                        if (!redis::IsArray(counts) || counts->elements != kSyncStates || !redis::IsArray(bytes) ||
                            bytes->elements != kSyncStates) {
                          return Err(Malformed(kWhat));
                        }
                        for (size_t i = 0; i < kSyncStates; ++i) {
                          ASSIGN_OR_RETURN(out.count_by_state[i], IntAt(counts, i, kWhat));
                          ASSIGN_OR_RETURN(out.bytes_by_state[i], IntAt(bytes, i, kWhat));
                        }
                        ASSIGN_OR_RETURN(out.oldest_pending_ms, IntAt(r, 3, kWhat));
                        return out;
                      });
  });
}

void RedisStore::BackfillSyncs(const std::string& cursor, uint32_t limit, int64_t now_ms,
                               Callback<SyncBackfillPage> done) {
  OnLoop([this, cursor, limit, now_ms, done = std::move(done)]() mutable {
    Status st = ValidateNowMs(now_ms);
    if (st.ok()) st = CheckRows(limit, "limit");
    Result<BackfillCursor> at = ParseCursor(cursor);
    if (st.ok() && !at) st = at.error();
    if (!st.ok()) return Answer(std::move(done), std::move(st));
    Command c = SyncScript(Script::kBackfillSyncs);
    c.Arg(keys_.jobs()).Arg(at->files ? "f" : "r").Arg(at->scan).Uint(limit).Int(now_ms);
    const bool files = at->files;
    Send<SyncBackfillPage>(std::move(done), c.Finish(), Kind::kScript, "BackfillSyncs",
                           [files](const redisReply* r) -> Result<SyncBackfillPage> {
                             constexpr const char* kWhat = "BackfillSyncs";
                             const std::string next(redis::Text(redis::Element(r, 1)));
                             ASSIGN_OR_RETURN(const int64_t scanned, IntAt(r, 2, kWhat));
                             ASSIGN_OR_RETURN(const int64_t added, IntAt(r, 3, kWhat));
                             if (next.empty() || scanned < 0 || added < 0) return Err(Malformed(kWhat));
                             SyncBackfillPage page{.next_cursor = std::string(files ? "f:" : "r:") + next,
                                                   .scanned = static_cast<uint32_t>(scanned),
                                                   .inserted = static_cast<uint32_t>(added)};
                             // SCAN's "0": this half has been walked; the jobs' is followed by the files'.
                             if (next == "0") page.next_cursor = files ? "" : "f:0";
                             return page;
                           });
  });
}

}  // namespace sela::store
