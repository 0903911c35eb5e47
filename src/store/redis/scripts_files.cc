// The identity, file and marketplace scripts of the Redis store (see
// scripts.h and docs/STORAGE.md "Redis backend").
//
// Identity (nodes domain, "{<prefix>}:nodes:"):
//   node:<principal>   hash: also `signed_identity` ("1"/absent) and
//                      `registrations`
//   expirable          zset: principal scored by ws_disconnect_ms, for nodes
//                      that registered once, unsigned, referring nobody when
//                      they disconnected; ExpireNodeRecords checks each
//                      again before it deletes (a later referral or sign-in
//                      keeps the record) and drops the stale ones
//
// Files and marketplace (jobs domain, "{<prefix>}:jobs:", beside the jobs
// their checks read):
//   file:<id>          hash: the FileRecord's fields (FILE_FIELDS: the members,
//                      then `state` by name, 16th), and `seq`
//   fseq               counter: creation order of files
//   ofiles:<owner>     zset seq → file id: the owner's files
//   jfiles:<job>       zset seq → file id: the files tied to a job
//   chunks:<id>        hash index → "<offset>:<bytes>:<sha256>" while uploading
//   fusage:<owner>     hash uploads, bytes: the owner's quota use
//   uploads            zset expires_ms → file id: files uploading
//   blobrefs           hash sha256 → complete files with that content
//   market             zset complete_ms → job id: listed completed jobs
//                      (ties by job id, as the SQLite listing orders them)
//   mtypes             hash job type → listed completed jobs of that type
//   purchase:<n>:<uuid>:<job>   hash: a client's purchase of a job
//   job:<id>           gains `views`, `downloads` (CountMarketEvent)
#include "store/redis/scripts_internal.h"

namespace sela::store::redis {
namespace {

// ---- identity ----

// KEYS: node, expirable. ARGV: principal, now_ms.
constexpr std::string_view kDisconnectNode = R"lua(
local f = redis.call('HMGET', KEYS[1], 'principal', 'registrations', 'signed_identity', 'total_referral')
if not f[1] then return {NOT_FOUND, 'no node with principal ' .. ARGV[1]} end
redis.call('HSET', KEYS[1], 'ws_disconnect_ms', ARGV[2])
if f[2] == '1' and f[3] ~= '1' and (tonumber(f[4]) or 0) == 0 then
  redis.call('ZADD', KEYS[2], ARGV[2], ARGV[1])
end
return {OK}
)lua";

// KEYS: expirable, all, active, referral. ARGV: node key prefix, before_ms,
// limit. Returns the count deleted.
constexpr std::string_view kExpireNodes = R"lua(
local limit, before, n = tonumber(ARGV[3]), tonumber(ARGV[2]), 0
while n < limit do
  local batch = redis.call('ZRANGEBYSCORE', KEYS[1], '-inf', '(' .. ARGV[2], 'LIMIT', 0, 64)
  if #batch == 0 then break end
  for _, p in ipairs(batch) do
    if n >= limit then break end
    redis.call('ZREM', KEYS[1], p)
    local key = ARGV[1] .. 'node:' .. p
    local f = redis.call('HMGET', key, 'registrations', 'signed_identity', 'total_referral', 'ws_disconnect_ms',
                         'referral_code')
    local d = tonumber(f[4]) or 0
    if f[1] == '1' and f[2] ~= '1' and (tonumber(f[3]) or 0) == 0 and d > 0 and d < before then
      redis.call('DEL', key)
      redis.call('ZREM', KEYS[2], p)
      redis.call('ZREM', KEYS[3], p)
      if f[5] and redis.call('HGET', KEYS[4], f[5]) == p then redis.call('HDEL', KEYS[4], f[5]) end
      n = n + 1
    end
  end
end
return {OK, n}
)lua";

// ---- files ----

// Helpers of the file scripts. `pre` is the jobs domain prefix.
constexpr std::string_view kFileHelpers = R"lua(
local function owned(pre, id, owner, fields)
  local f = redis.call('HMGET', pre .. 'file:' .. id, 'owner', unpack(fields))
  if not f[1] then return nil, {NOT_FOUND, 'no file with id ' .. id} end
  if f[1] ~= owner then return nil, {PERMISSION_DENIED, 'file ' .. id .. ' is not ' .. owner .. "'s"} end
  return f
end
local function uploading(id, state, expires, now)
  if state ~= 'uploading' then return {FAILED_PRECONDITION, 'file ' .. id .. ' is complete'} end
  if (tonumber(expires) or 0) <= tonumber(now) then
    return {FAILED_PRECONDITION, 'the upload of file ' .. id .. ' expired'}
  end
  return nil
end
-- Removes a file (values as FILE_FIELDS) and its chunks, and gives its
-- bytes back to the owner's quota. Delivers whether another complete file
-- still has its content.
local function remove_file(pre, f)
  local id, owner, job, state, sha, size = f[1], f[2], f[3], f[16], f[9], tonumber(f[6]) or 0
  redis.call('DEL', pre .. 'file:' .. id, pre .. 'chunks:' .. id)
  redis.call('ZREM', pre .. 'ofiles:' .. owner, id)
  if job and job ~= '' then redis.call('ZREM', pre .. 'jfiles:' .. job, id) end
  redis.call('ZREM', pre .. 'uploads', id)
  local usage = pre .. 'fusage:' .. owner
  if state == 'uploading' then
    redis.call('HINCRBY', usage, 'uploads', -1)
    redis.call('HINCRBY', usage, 'bytes', string.format('%d', -size))
    return false
  end
  redis.call('HINCRBY', usage, 'bytes', string.format('%d', -size))
  local refs = redis.call('HINCRBY', pre .. 'blobrefs', sha, -1)
  if refs <= 0 then redis.call('HDEL', pre .. 'blobrefs', sha) end
  return refs > 0
end
-- A completed job enters (listed) or leaves the marketplace's indexes.
local function market_list(market, types, id, complete_ms, job_type, listed)
  if listed then
    redis.call('ZADD', market, complete_ms, id)
    redis.call('HINCRBY', types, job_type, 1)
  else
    redis.call('ZREM', market, id)
    if redis.call('HINCRBY', types, job_type, -1) <= 0 then redis.call('HDEL', types, job_type) end
  end
end
-- Whether the file can become job `id`'s result (store.h JobCompletion):
-- its size, or nil and why not.
local function result_file(pre, id, file_id, node, hash)
  local f = redis.call('HMGET', pre .. 'file:' .. file_id, 'owner', 'job_id', 'state', 'sha256', 'result_of', 'size')
  if not f[1] then return nil, 'result file ' .. file_id .. ' does not exist' end
  if f[1] ~= node or f[2] ~= id then
    return nil, 'result file ' .. file_id .. ' is not ' .. node .. "'s file of job " .. id
  end
  if f[3] ~= 'complete' or f[4] ~= hash then
    return nil, 'result file ' .. file_id .. " is not complete with the result's hash"
  end
  if f[5] and f[5] ~= '' and f[5] ~= id then return nil, 'file ' .. file_id .. ' is the result of job ' .. f[5] end
  return f[6] or '0'
end
)lua";

// KEYS: file, usage, owner's files, file seq, uploads. ARGV: pre, file_id,
// owner, job_id, open_uploads_max, owner_bytes_max, size, expires_ms, then
// the file's field/value pairs.
constexpr std::string_view kCreateFile = R"lua(
local pre, id, owner, job = ARGV[1], ARGV[2], ARGV[3], ARGV[4]
if job ~= '' then
  local j = redis.call('HMGET', pre .. 'job:' .. job, 'state', 'node_principal')
  if not j[1] then return {NOT_FOUND, 'no job with id ' .. job} end
  if j[1] ~= 'ongoing' or j[2] ~= owner then
    return {FAILED_PRECONDITION, 'job ' .. job .. ' is not leased to ' .. owner}
  end
end
local u = redis.call('HMGET', KEYS[2], 'uploads', 'bytes')
local uploads, bytes, size = tonumber(u[1]) or 0, tonumber(u[2]) or 0, tonumber(ARGV[7])
if uploads >= tonumber(ARGV[5]) then
  return {RESOURCE_EXHAUSTED, owner .. ' has ' .. uploads .. ' uploads open, the limit'}
end
if size > tonumber(ARGV[6]) - bytes then
  return {RESOURCE_EXHAUSTED, owner .. ' has ' .. bytes .. ' bytes in files; ' .. ARGV[7] ..
          ' more would pass the limit of ' .. ARGV[6]}
end
if redis.call('EXISTS', KEYS[1]) == 1 then return {ALREADY_EXISTS, 'file id ' .. id .. ' is taken'} end
local seq = redis.call('INCR', KEYS[4])
redis.call('HSET', KEYS[1], 'seq', seq, unpack(ARGV, 9))
redis.call('ZADD', KEYS[3], seq, id)
if job ~= '' then redis.call('ZADD', pre .. 'jfiles:' .. job, seq, id) end
redis.call('ZADD', KEYS[5], ARGV[8], id)
redis.call('HINCRBY', KEYS[2], 'uploads', 1)
redis.call('HINCRBY', KEYS[2], 'bytes', ARGV[7])
return {OK}
)lua";

// KEYS: file's chunks, uploads. ARGV: pre, file_id, owner, index, offset,
// bytes, sha256, now_ms, expires_ms. Returns 1 stored or 0 for a repeat.
constexpr std::string_view kPutChunk = R"lua(
local pre, id, owner = ARGV[1], ARGV[2], ARGV[3]
local f, refusal = owned(pre, id, owner, {'state', 'expires_ms', 'received_bytes', 'size', 'chunk_bytes'})
if not f then return refusal end
refusal = uploading(id, f[2], f[3], ARGV[8])
if refusal then return refusal end
local key = pre .. 'file:' .. id
local index, offset, bytes = tonumber(ARGV[4]), tonumber(ARGV[5]), tonumber(ARGV[6])
local earlier = redis.call('HGET', KEYS[1], ARGV[4])
if earlier then
  local _, _, b, sha = string.find(earlier, '^%d+:(%d+):(%x*)$')
  if tonumber(b) ~= bytes or sha ~= ARGV[7] then
    return {CONFLICT, 'chunk ' .. ARGV[4] .. ' of file ' .. id .. ' was received before with different content'}
  end
  redis.call('HSET', key, 'updated_ms', ARGV[8], 'expires_ms', ARGV[9])
  redis.call('ZADD', KEYS[2], ARGV[9], id)
  return {OK, 0}
end
local received, size, chunk = tonumber(f[4]) or 0, tonumber(f[5]) or 0, tonumber(f[6]) or 0
if received + bytes > size then
  return {INVALID_ARGUMENT, 'chunk ' .. ARGV[4] .. ' of ' .. ARGV[6] .. ' bytes would make file ' .. id ..
          ' longer than its size ' .. size}
end
if chunk == 0 then
  if offset ~= received then
    return {INVALID_ARGUMENT, 'chunk ' .. ARGV[4] .. ' of file ' .. id .. ' must go at offset ' .. received}
  end
else
  local at = index * chunk
  local expected = math.min(chunk, size - at)
  if at >= size or offset ~= at or bytes ~= expected then
    return {INVALID_ARGUMENT, 'chunk ' .. ARGV[4] .. ' of file ' .. id .. ' must be ' ..
            string.format('%d', math.max(expected, 0)) .. ' bytes at offset ' .. string.format('%d', at)}
  end
end
redis.call('HSET', KEYS[1], ARGV[4], ARGV[5] .. ':' .. ARGV[6] .. ':' .. ARGV[7])
redis.call('HINCRBY', key, 'received_bytes', bytes)
redis.call('HINCRBY', key, 'chunks', 1)
redis.call('HSET', key, 'updated_ms', ARGV[8], 'expires_ms', ARGV[9])
redis.call('ZADD', KEYS[2], ARGV[9], id)
return {OK, 1}
)lua";

// KEYS: file's chunks, owner's usage, uploads, blobrefs. ARGV: pre,
// file_id, owner, sha256, now_ms. Returns 1 completed or 0 for a repeat.
constexpr std::string_view kCompleteFile = R"lua(
local pre, id, owner, sha, now = ARGV[1], ARGV[2], ARGV[3], ARGV[4], ARGV[5]
local f, refusal = owned(pre, id, owner, {'state', 'sha256', 'expires_ms', 'received_bytes', 'size'})
if not f then return refusal end
if f[2] == 'complete' then
  if f[3] == sha then return {OK, 0} end
  return {FAILED_PRECONDITION, 'file ' .. id .. ' is complete with another sha256'}
end
refusal = uploading(id, f[2], f[4], now)
if refusal then return refusal end
if (tonumber(f[5]) or 0) ~= (tonumber(f[6]) or 0) then
  return {FAILED_PRECONDITION, 'file ' .. id .. ' has ' .. (f[5] or '0') .. ' of its ' .. (f[6] or '0') .. ' bytes'}
end
redis.call('HSET', pre .. 'file:' .. id, 'state', 'complete', 'sha256', sha, 'expires_ms', '0', 'updated_ms', now)
redis.call('DEL', KEYS[1])
redis.call('ZREM', KEYS[3], id)
redis.call('HINCRBY', KEYS[2], 'uploads', -1)
redis.call('HINCRBY', KEYS[4], sha, 1)
return {OK, 1}
)lua";

// KEYS: owner's files or the job's files. ARGV: pre, after file id ('' for
// the start), limit, owner ('' for anyone's), complete only (1/0).
// Returns the files' values in creation order.
constexpr std::string_view kListFiles = R"lua(
local pre, limit = ARGV[1], tonumber(ARGV[3])
local after = '-inf'
if ARGV[2] ~= '' then
  local seq = redis.call('HGET', pre .. 'file:' .. ARGV[2], 'seq')
  if not seq then return {NOT_FOUND, 'no file with id ' .. ARGV[2]} end
  after = '(' .. seq
end
local out = {}
while #out < limit do
  local ids = redis.call('ZRANGEBYSCORE', KEYS[1], after, '+inf', 'WITHSCORES', 'LIMIT', 0, 256)
  if #ids == 0 then break end
  for i = 1, #ids, 2 do
    local f = redis.call('HMGET', pre .. 'file:' .. ids[i], unpack(FILE_FIELDS))
    if f[1] and (ARGV[4] == '' or f[2] == ARGV[4]) and (ARGV[5] == '0' or f[16] == 'complete') then
      out[#out + 1] = f
      if #out >= limit then break end
    end
    after = '(' .. ids[i + 1]
  end
end
return {OK, out}
)lua";

// KEYS: none. ARGV: pre, file_id, owner. Returns the file's values and
// whether its content is still used.
constexpr std::string_view kDeleteFile = R"lua(
local pre, id, owner = ARGV[1], ARGV[2], ARGV[3]
local f, refusal = owned(pre, id, owner, {'result_of'})
if not f then return refusal end
if f[2] and f[2] ~= '' then
  return {FAILED_PRECONDITION, 'file ' .. id .. ' is the result of job ' .. f[2]}
end
local values = redis.call('HMGET', pre .. 'file:' .. id, unpack(FILE_FIELDS))
local used = remove_file(pre, values)
return {OK, values, used and 1 or 0}
)lua";

// KEYS: uploads. ARGV: pre, now_ms, limit. Returns the expired files'
// values, oldest expiry first.
constexpr std::string_view kExpireUploads = R"lua(
local pre = ARGV[1]
local out = {}
for _, id in ipairs(redis.call('ZRANGEBYSCORE', KEYS[1], '-inf', ARGV[2], 'LIMIT', 0, ARGV[3])) do
  local values = redis.call('HMGET', pre .. 'file:' .. id, unpack(FILE_FIELDS))
  if values[1] and values[16] == 'uploading' then
    remove_file(pre, values)
    out[#out + 1] = values
  else
    redis.call('ZREM', KEYS[1], id)
  end
end
return {OK, out}
)lua";

// ---- marketplace ----

// KEYS: client. ARGV: uuid, listed (1/0).
constexpr std::string_view kSetListingDefault = R"lua(
if redis.call('EXISTS', KEYS[1]) == 0 then return {NOT_FOUND, 'no API client with uuid ' .. ARGV[1]} end
if ARGV[2] == '1' then
  redis.call('HSET', KEYS[1], 'list_by_default', '1')
else
  redis.call('HDEL', KEYS[1], 'list_by_default')
end
return {OK}
)lua";

// KEYS: job, market, types. ARGV: job_id, uuid, listed (1/0).
constexpr std::string_view kSetJobListed = R"lua(
local j = redis.call('HMGET', KEYS[1], 'client_uuid', 'state', 'listed', 'complete_ms', 'job_type')
if not j[1] then return {NOT_FOUND, 'no job with id ' .. ARGV[1]} end
if j[1] ~= ARGV[2] then return {PERMISSION_DENIED, 'job ' .. ARGV[1] .. ' is not ' .. ARGV[2] .. "'s"} end
local was, now = j[3] == '1', ARGV[3] == '1'
if now then redis.call('HSET', KEYS[1], 'listed', '1') else redis.call('HDEL', KEYS[1], 'listed') end
if j[2] == 'completed' and was ~= now then market_list(KEYS[2], KEYS[3], ARGV[1], j[4], j[5], now) end
return {OK}
)lua";

// KEYS: market. ARGV: pre, search (lowercase, '' for all), ascending (1/0),
// limit, offset. Returns the total, then per job its values, views and
// downloads.
constexpr std::string_view kMarketPage = R"lua(
local pre, search, asc, limit, offset = ARGV[1], ARGV[2], ARGV[3] == '1', tonumber(ARGV[4]), tonumber(ARGV[5])
local function entry(id)
  local e = redis.call('HMGET', pre .. 'job:' .. id, 'views', 'downloads')
  return {redis.call('HMGET', pre .. 'job:' .. id, unpack(JOB_FIELDS)), e[1] or '0', e[2] or '0'}
end
local out = {}
if search == '' then
  local total = redis.call('ZCARD', KEYS[1])
  if offset < total then
    local range = asc and 'ZRANGE' or 'ZREVRANGE'
    for _, id in ipairs(redis.call(range, KEYS[1], offset, offset + limit - 1)) do out[#out + 1] = entry(id) end
  end
  return {OK, total, out}
end
-- A search reads every listed job (as SQLite's does).
local total, start, page = 0, 0, 512
local range = asc and 'ZRANGE' or 'ZREVRANGE'
while true do
  local ids = redis.call(range, KEYS[1], start, start + page - 1)
  if #ids == 0 then break end
  for _, id in ipairs(ids) do
    local j = redis.call('HMGET', pre .. 'job:' .. id, 'job_type', 'target')
    if string.find(string.lower(id), search, 1, true) or string.find(string.lower(j[1] or ''), search, 1, true)
       or string.find(string.lower(j[2] or ''), search, 1, true) then
      if total >= offset and #out < limit then out[#out + 1] = entry(id) end
      total = total + 1
    end
  end
  start = start + page
end
return {OK, total, out}
)lua";

// KEYS: market, types. ARGV: since_ms. Returns type, count, ..., then the
// count completed since.
constexpr std::string_view kMarketStats = R"lua(
local by_type = redis.call('HGETALL', KEYS[2])
return {OK, by_type, redis.call('ZCOUNT', KEYS[1], ARGV[1], '+inf')}
)lua";

// KEYS: job. ARGV: job_id, counter field.
constexpr std::string_view kCountMarketEvent = R"lua(
if redis.call('EXISTS', KEYS[1]) == 0 then return {NOT_FOUND, 'no job with id ' .. ARGV[1]} end
redis.call('HINCRBY', KEYS[1], ARGV[2], 1)
return {OK}
)lua";

// KEYS: purchase, client, job. ARGV: uuid, job_id, now_ms. Returns created
// (1/0), price, time.
constexpr std::string_view kRecordPurchase = R"lua(
local p = redis.call('HMGET', KEYS[1], 'price_cents', 'purchased_ms')
if p[1] then return {OK, 0, p[1], p[2]} end
if redis.call('EXISTS', KEYS[2]) == 0 then return {INVALID_ARGUMENT, 'no API client with uuid ' .. ARGV[1]} end
local j = redis.call('HMGET', KEYS[3], 'client_uuid', 'listed', 'state', 'price_cents')
-- Another client's unlisted job is answered as a missing one.
if not j[1] or (j[1] ~= ARGV[1] and j[2] ~= '1') then return {NOT_FOUND, 'no job with id ' .. ARGV[2]} end
if j[3] ~= 'completed' then return {FAILED_PRECONDITION, 'job ' .. ARGV[2] .. ' is not completed'} end
local price = j[4] or '0'
redis.call('HSET', KEYS[1], 'price_cents', price, 'purchased_ms', ARGV[3])
return {OK, 1, price, ARGV[3]}
)lua";

}  // namespace

std::string_view FileScriptHelpers() { return kFileHelpers; }

std::string_view FileScriptBody(Script script) {
  switch (script) {
    case Script::kDisconnectNode: return kDisconnectNode;
    case Script::kExpireNodes: return kExpireNodes;
    case Script::kCreateFile: return kCreateFile;
    case Script::kPutChunk: return kPutChunk;
    case Script::kCompleteFile: return kCompleteFile;
    case Script::kListFiles: return kListFiles;
    case Script::kDeleteFile: return kDeleteFile;
    case Script::kExpireUploads: return kExpireUploads;
    case Script::kSetListingDefault: return kSetListingDefault;
    case Script::kSetJobListed: return kSetJobListed;
    case Script::kMarketPage: return kMarketPage;
    case Script::kMarketStats: return kMarketStats;
    case Script::kCountMarketEvent: return kCountMarketEvent;
    case Script::kRecordPurchase: return kRecordPurchase;
    default: return {};
  }
}

}  // namespace sela::store::redis
