// The file-canister sync journal's scripts on Redis (store.h "File-canister
// sync journal", canister_sync_types.h; the SQLite backend is
// sqlite/operations_canister_sync.cc). Every script takes ARGV[1] = the
// journal's prefix ("{<prefix>}:csync:"); the completion scripts take it
// last (SyncCompletionBody).
//
// Where things are, under that prefix:
//   r:<sha256>  hash: a SyncRecord (SYNC_FIELDS; source and state as numbers)
//   due         zset: next_attempt_ms -> sha256 of the pending rows (ties by
//               sha256, as ListDueSyncs orders them)
//   pend        zset: created_ms -> sha256 of the pending rows
//   s0, s2      zset: score 0 -> sha256 of the pending (s0) and failed (s2)
//               rows, by sha256 (ListSyncs)
//   sum         hash: c<state>, b<state> (rows, bytes by state)
// Sizes are added with HINCRBY (int64); times are zset scores (doubles,
// exact below 2^53 ms).
#include <string>

#include "store/canister_sync_types.h"
#include "store/redis/scripts_internal.h"

namespace sela::store::redis {
namespace {

// The journal's functions, each given the prefix C: also run inside the
// completion scripts (SyncCompletionBody) and the backfill.
constexpr std::string_view kRowHelpers = R"lua(
local SYNC_FIELDS = {'sha256', 'source', 'ref', 'owner', 'content_type', 'size', 'created_ms', 'state',
  'attempts', 'next_attempt_ms', 'last_error', 'chunks', 'updated_ms', 'synced_ms'}
local function sync_index(C, sha, r)
  local st = r[8]
  if st == '0' then
    redis.call('ZADD', C .. 'due', r[10], sha)
    redis.call('ZADD', C .. 'pend', r[7], sha)
  end
  if st ~= '1' then redis.call('ZADD', C .. 's' .. st, 0, sha) end
  redis.call('HINCRBY', C .. 'sum', 'c' .. st, 1)
  if r[6] ~= '0' then redis.call('HINCRBY', C .. 'sum', 'b' .. st, r[6]) end
end
local function sync_unindex(C, sha, r)
  local st = r[8]
  redis.call('ZREM', C .. 'due', sha)
  redis.call('ZREM', C .. 'pend', sha)
  if st ~= '1' then redis.call('ZREM', C .. 's' .. st, sha) end
  redis.call('HINCRBY', C .. 'sum', 'c' .. st, -1)
  if r[6] ~= '0' then redis.call('HINCRBY', C .. 'sum', 'b' .. st, '-' .. r[6]) end
end
local function sync_write(C, sha, r)
  local args = {}
  for i, f in ipairs(SYNC_FIELDS) do args[#args + 1] = f; args[#args + 1] = r[i] end
  redis.call('HSET', C .. 'r:' .. sha, unpack(args))
end
local function sync_read(C, sha) return redis.call('HMGET', C .. 'r:' .. sha, unpack(SYNC_FIELDS)) end
-- Writes and indexes r unless its hash has a row: 1 when it did.
local function sync_insert(C, r)
  if redis.call('EXISTS', C .. 'r:' .. r[1]) == 1 then return 0 end
  sync_write(C, r[1], r)
  sync_index(C, r[1], r)
  return 1
end
-- canister_sync_types.h NewSyncRow: pending, due at now, texts cut to
-- their limits (bytes).
local function sync_row(sha, source, ref, owner, ct, size, now)
  return {sha, source, string.sub(ref, 1, REF_MAX), string.sub(owner, 1, OWNER_MAX), string.sub(ct, 1, TYPE_MAX),
          size, now, '0', '0', now, '', '0', now, '0'}
end
)lua";

// ARGV[2..12]: sha256, source, ref, owner, content_type, size, created_ms,
// attempts, next_attempt_ms, last_error, updated_ms. Inserted as pending
// (chunks and synced_ms 0) unless the hash has a row. Returns {OK, 1 when
// inserted else 0}.
constexpr std::string_view kEnqueueSync = R"lua(
local C = ARGV[1]
local r = {ARGV[2], ARGV[3], ARGV[4], ARGV[5], ARGV[6], ARGV[7], ARGV[8], '0', ARGV[9], ARGV[10], ARGV[11], '0',
  ARGV[12], '0'}
return {OK, sync_insert(C, r)}
)lua";

// ARGV[2..15]: the record (SYNC_FIELDS order). Writes the mutable fields
// (state .. synced_ms), keeps the fixed ones. Returns {OK}.
constexpr std::string_view kUpdateSync = R"lua(
local C, sha = ARGV[1], ARGV[2]
local cur = sync_read(C, sha)
if not cur[1] then return {NOT_FOUND, 'no sync record ' .. sha} end
if cur[8] == '1' then return {FAILED_PRECONDITION, 'sync record ' .. sha .. ' is synced'} end
local r = {}
for k = 1, 7 do r[k] = cur[k] end
for k = 8, 14 do r[k] = ARGV[1 + k] end
sync_unindex(C, sha, cur)
sync_write(C, sha, r)
sync_index(C, sha, r)
return {OK}
)lua";

// ARGV[2..3]: now_ms, limit. Returns {OK, {record...}}.
constexpr std::string_view kDueSyncs = R"lua(
local C = ARGV[1]
local out = {}
for _, sha in ipairs(redis.call('ZRANGEBYSCORE', C .. 'due', '-inf', ARGV[2], 'LIMIT', 0, tonumber(ARGV[3]))) do
  out[#out + 1] = sync_read(C, sha)
end
return {OK, out}
)lua";

// Returns {OK, {c0, c1, c2}, {b0, b1, b2}, oldest pending created_ms}.
constexpr std::string_view kSyncSummary = R"lua(
local C = ARGV[1]
local sum = redis.call('HMGET', C .. 'sum', 'c0', 'c1', 'c2', 'b0', 'b1', 'b2')
local counts, bytes = {}, {}
for i = 1, 3 do counts[i] = sum[i] or '0'; bytes[i] = sum[3 + i] or '0' end
local oldest = '0'
local first = redis.call('ZRANGE', C .. 'pend', 0, 0)
if first[1] then oldest = redis.call('HGET', C .. 'r:' .. first[1], 'created_ms') or '0' end
return {OK, counts, bytes, oldest}
)lua";

// ARGV[2..5]: state, sha256 ("" for any), after_sha256, limit. Returns
// {OK, {record...}} by sha256.
constexpr std::string_view kListSyncs = R"lua(
local C, st, sha, after, limit = ARGV[1], ARGV[2], ARGV[3], ARGV[4], tonumber(ARGV[5])
local out = {}
if sha ~= '' then
  local r = sync_read(C, sha)
  if r[1] and r[8] == st then out[1] = r end
  return {OK, out}
end
local from = '-'
if after ~= '' then from = '(' .. after end
for _, s in ipairs(redis.call('ZRANGEBYLEX', C .. 's' .. st, from, '+', 'LIMIT', 0, limit)) do
  out[#out + 1] = sync_read(C, s)
end
return {OK, out}
)lua";

// ARGV[2..6]: the jobs' prefix, 'r' (jobs) or 'f' (files), SCAN's cursor,
// its COUNT, now_ms. One SCAN step over the job or file hashes; each
// completed job with an inline result and each complete file gets its row
// unless its hash has one (store.h BackfillSyncs). Returns {OK, SCAN's next
// cursor ('0': this half is done), keys looked at, rows added}.
constexpr std::string_view kBackfillSyncs = R"lua(
local C, pre, files, now = ARGV[1], ARGV[2], ARGV[3] == 'f', ARGV[6]
local found = redis.call('SCAN', ARGV[4], 'MATCH', pre .. (files and 'file:' or 'job:') .. '*', 'COUNT', ARGV[5])
local added = 0
for _, key in ipairs(found[2]) do
  if files then
    local f = redis.call('HMGET', key, 'state', 'sha256', 'file_id', 'owner', 'content_type', 'size')
    if f[1] == 'complete' and f[2] and f[2] ~= '' then
      added = added + sync_insert(C, sync_row(f[2], '1', f[3] or '', f[4] or '', f[5] or '', f[6] or '0', now))
    end
  else
    local j = redis.call('HMGET', key, 'state', 'result_hash', 'result_file_id', 'job_id', 'node_principal',
                         'result_content_type', 'result_bytes')
    if j[1] == 'completed' and j[2] and j[2] ~= '' and (j[3] or '') == '' then
      added = added + sync_insert(C, sync_row(j[2], '0', j[4] or '', j[5] or '', j[6] or '', j[7] or '0', now))
    end
  end
end
return {OK, found[1], #found[2], added}
)lua";

// The completion scripts with the journal kept (store.h "File-canister sync
// journal"): the script runs as a function, and when it completed something
// ({OK, 1, ...}) the content's row is inserted before the script returns,
// in the same atomic step. Its last argument is then the journal's prefix.
// KEYS and ARGV as the scripts' own (scripts_jobs.cc kCompleteJob: 4 job
// id, 5 node, 7 now, 8 hash, 9 content type, 10 size, 16 result file id,
// 24 the prefix; scripts_files.cc kCompleteFile: 1 the jobs' prefix, 2
// file id, 3 owner, 4 sha256, 5 now, 6 the prefix).
constexpr std::string_view kJobRow = R"lua(
if ARGV[16] == '' then
  sync_insert(ARGV[24], sync_row(ARGV[8], '0', ARGV[4], ARGV[5], ARGV[9], ARGV[10], ARGV[7]))
end
)lua";
constexpr std::string_view kFileRow = R"lua(
local f = redis.call('HMGET', ARGV[1] .. 'file:' .. ARGV[2], 'content_type', 'size')
sync_insert(ARGV[6], sync_row(ARGV[4], '1', ARGV[2], ARGV[3], f[1] or '', f[2] or '0', ARGV[5]))
)lua";

std::string RowHelpers() {
  return "local REF_MAX, OWNER_MAX, TYPE_MAX = " + std::to_string(kSyncRefBytesMax) + ", " +
         std::to_string(kSyncOwnerBytesMax) + ", " + std::to_string(kSyncContentTypeBytesMax) + "\n" +
         std::string(kRowHelpers);
}

}  // namespace

std::string_view SyncScriptBody(Script script) {
  static const std::string bodies[] = {
      RowHelpers() + std::string(kEnqueueSync), RowHelpers() + std::string(kUpdateSync),
      RowHelpers() + std::string(kDueSyncs),    RowHelpers() + std::string(kSyncSummary),
      RowHelpers() + std::string(kListSyncs),   RowHelpers() + std::string(kBackfillSyncs)};
  constexpr auto kFirst = static_cast<size_t>(Script::kEnqueueSync);
  const auto i = static_cast<size_t>(script);
  if (i < kFirst || i > static_cast<size_t>(Script::kBackfillSyncs)) return {};
  return bodies[i - kFirst];
}

std::string SyncCompletionBody(Script script, std::string_view body) {
  const std::string_view row = script == Script::kCompleteJob ? kJobRow : kFileRow;
  return "local function complete()\n" + std::string(body) + "end\nlocal out = complete()\n" +
         "if out[1] == OK and tonumber(out[2]) == 1 then\n" + RowHelpers() + std::string(row) + "end\nreturn out\n";
}

}  // namespace sela::store::redis
