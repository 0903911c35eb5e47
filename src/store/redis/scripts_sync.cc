// The file-canister sync journal's scripts on Redis (store.h "File-canister
// sync journal", canister_sync_types.h; the SQLite backend is
// sqlite/operations_canister_sync.cc). Every script takes ARGV[1] = the
// journal's prefix ("{<prefix>}:csync:").
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
#include "store/redis/scripts_internal.h"

namespace sela::store::redis {
namespace {

constexpr std::string_view kHelpers = R"lua(
local C = ARGV[1]
local SYNC_FIELDS = {'sha256', 'source', 'ref', 'owner', 'content_type', 'size', 'created_ms', 'state',
  'attempts', 'next_attempt_ms', 'last_error', 'chunks', 'updated_ms', 'synced_ms'}
local function index(sha, r)
  local st = r[8]
  if st == '0' then
    redis.call('ZADD', C .. 'due', r[10], sha)
    redis.call('ZADD', C .. 'pend', r[7], sha)
  end
  if st ~= '1' then redis.call('ZADD', C .. 's' .. st, 0, sha) end
  redis.call('HINCRBY', C .. 'sum', 'c' .. st, 1)
  if r[6] ~= '0' then redis.call('HINCRBY', C .. 'sum', 'b' .. st, r[6]) end
end
local function unindex(sha, r)
  local st = r[8]
  redis.call('ZREM', C .. 'due', sha)
  redis.call('ZREM', C .. 'pend', sha)
  if st ~= '1' then redis.call('ZREM', C .. 's' .. st, sha) end
  redis.call('HINCRBY', C .. 'sum', 'c' .. st, -1)
  if r[6] ~= '0' then redis.call('HINCRBY', C .. 'sum', 'b' .. st, '-' .. r[6]) end
end
local function write(sha, r)
  local args = {}
  for i, f in ipairs(SYNC_FIELDS) do args[#args + 1] = f; args[#args + 1] = r[i] end
  redis.call('HSET', C .. 'r:' .. sha, unpack(args))
end
local function read(sha) return redis.call('HMGET', C .. 'r:' .. sha, unpack(SYNC_FIELDS)) end
)lua";

// ARGV[2..12]: sha256, source, ref, owner, content_type, size, created_ms,
// attempts, next_attempt_ms, last_error, updated_ms. Inserted as pending
// (chunks and synced_ms 0) unless the hash has a row. Returns {OK, 1 when
// inserted else 0}.
constexpr std::string_view kEnqueueSync = R"lua(
local sha = ARGV[2]
if redis.call('EXISTS', C .. 'r:' .. sha) == 1 then return {OK, 0} end
local r = {sha, ARGV[3], ARGV[4], ARGV[5], ARGV[6], ARGV[7], ARGV[8], '0', ARGV[9], ARGV[10], ARGV[11], '0',
  ARGV[12], '0'}
write(sha, r)
index(sha, r)
return {OK, 1}
)lua";

// ARGV[2..15]: the record (SYNC_FIELDS order). Writes the mutable fields
// (state .. synced_ms), keeps the fixed ones. Returns {OK}.
constexpr std::string_view kUpdateSync = R"lua(
local sha = ARGV[2]
local cur = read(sha)
if not cur[1] then return {NOT_FOUND, 'no sync record ' .. sha} end
if cur[8] == '1' then return {FAILED_PRECONDITION, 'sync record ' .. sha .. ' is synced'} end
local r = {}
for k = 1, 7 do r[k] = cur[k] end
for k = 8, 14 do r[k] = ARGV[1 + k] end
unindex(sha, cur)
write(sha, r)
index(sha, r)
return {OK}
)lua";

// ARGV[2..3]: now_ms, limit. Returns {OK, {record...}}.
constexpr std::string_view kDueSyncs = R"lua(
local out = {}
for _, sha in ipairs(redis.call('ZRANGEBYSCORE', C .. 'due', '-inf', ARGV[2], 'LIMIT', 0, tonumber(ARGV[3]))) do
  out[#out + 1] = read(sha)
end
return {OK, out}
)lua";

// Returns {OK, {c0, c1, c2}, {b0, b1, b2}, oldest pending created_ms}.
constexpr std::string_view kSyncSummary = R"lua(
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
local st, sha, after, limit = ARGV[2], ARGV[3], ARGV[4], tonumber(ARGV[5])
local out = {}
if sha ~= '' then
  local r = read(sha)
  if r[1] and r[8] == st then out[1] = r end
  return {OK, out}
end
local from = '-'
if after ~= '' then from = '(' .. after end
for _, s in ipairs(redis.call('ZRANGEBYLEX', C .. 's' .. st, from, '+', 'LIMIT', 0, limit)) do
  out[#out + 1] = read(s)
end
return {OK, out}
)lua";

}  // namespace

std::string_view SyncScriptBody(Script script) {
  static const std::string bodies[] = {
      std::string(kHelpers) + std::string(kEnqueueSync), std::string(kHelpers) + std::string(kUpdateSync),
      std::string(kHelpers) + std::string(kDueSyncs), std::string(kHelpers) + std::string(kSyncSummary),
      std::string(kHelpers) + std::string(kListSyncs)};
  constexpr auto kFirst = static_cast<size_t>(Script::kEnqueueSync);
  const auto i = static_cast<size_t>(script);
  if (i < kFirst || i > static_cast<size_t>(Script::kListSyncs)) return {};
  return bodies[i - kFirst];
}

}  // namespace sela::store::redis
