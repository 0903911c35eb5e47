#include "store/redis/scripts.h"

#include <array>
#include <string_view>

#include "core/status.h"
#include "store/redis/records.h"

namespace sela::store::redis {
namespace {

// Lua numbers are doubles: counters and times stay exact below 2^53, and
// anything added up with money later goes through INCRBY instead.
constexpr std::string_view kHelpers = R"lua(
local function refused(id, j, wanted)
  return 'job ' .. id .. ' is ' .. j[1] .. ' with attempt ' .. (j[2] or '0') ..
         ' (node ' .. (j[3] or '') .. '), not ' .. wanted
end
-- A job leaves the open indexes and its owner's leases.
local function close_job(pre, id, client, owner)
  redis.call('ZREM', pre .. 'open', id)
  redis.call('ZREM', pre .. 'copen:' .. client, id)
  if owner then redis.call('SREM', pre .. 'leases:' .. owner, id) end
  redis.call('HDEL', pre .. 'job:' .. id, 'owner')
end
)lua";

// KEYS: node, all, active, referral, client_id counter.
// ARGV: principal, client_id, now_ms, default capacity, candidate codes...
constexpr std::string_view kRegisterNode = R"lua(
local node = KEYS[1]
if redis.call('EXISTS', node) == 1 then
  redis.call('HSET', node, 'client_id', ARGV[2], 'status', 'active', 'ws_connect_ms', ARGV[3],
             'ws_disconnect_ms', '0', 'ping_timestamp_ms', ARGV[3])
  redis.call('ZADD', KEYS[3], redis.call('HGET', node, 'numeric_id'), ARGV[1])
  return {OK, redis.call('HMGET', node, unpack(NODE_FIELDS))}
end
local code = false
for i = 5, #ARGV do
  if redis.call('HSETNX', KEYS[4], ARGV[i], ARGV[1]) == 1 then
    code = ARGV[i]
    break
  end
end
if not code then
  return {INTERNAL, 'no free referral code after ' .. (#ARGV - 4) .. ' draws; is the random source broken?'}
end
local id = redis.call('INCR', KEYS[5])
redis.call('HSET', node, 'principal', ARGV[1], 'numeric_id', id, 'client_id', ARGV[2], 'referral_code', code,
           'status', 'active', 'max_concurrent_jobs', ARGV[4], 'download_speed', '0', 'upload_speed', '0',
           'ping_ms', '0', 'created_ms', ARGV[3], 'ws_connect_ms', ARGV[3], 'ws_disconnect_ms', '0',
           'ping_timestamp_ms', ARGV[3], 'total_referral', '0')
redis.call('ZADD', KEYS[2], id, ARGV[1])
redis.call('ZADD', KEYS[3], id, ARGV[1])
return {OK, redis.call('HMGET', node, unpack(NODE_FIELDS))}
)lua";

// KEYS: node. ARGV: principal, field, value, ...
constexpr std::string_view kUpdateNode = R"lua(
if redis.call('EXISTS', KEYS[1]) == 0 then return {NOT_FOUND, 'no node with principal ' .. ARGV[1]} end
redis.call('HSET', KEYS[1], unpack(ARGV, 2))
return {OK}
)lua";

// KEYS: node, active. ARGV: principal, 'active' | 'inactive', now_ms.
constexpr std::string_view kSetNodeStatus = R"lua(
if redis.call('EXISTS', KEYS[1]) == 0 then return {NOT_FOUND, 'no node with principal ' .. ARGV[1]} end
redis.call('HSET', KEYS[1], 'status', ARGV[2], 'ping_timestamp_ms', ARGV[3])
if ARGV[2] == 'active' then
  redis.call('ZADD', KEYS[2], redis.call('HGET', KEYS[1], 'numeric_id'), ARGV[1])
else
  redis.call('ZREM', KEYS[2], ARGV[1])
end
return {OK}
)lua";

// KEYS: the totals hash. ARGV: uptime prefix, now_ms, then per delta:
// principal, day, online_ms, sessions, speed_sum, speed_count, ping_sum,
// ping_count. Sums of doubles are added as doubles and written exactly.
constexpr std::string_view kAddUptime = R"lua(
local pre, now = ARGV[1], ARGV[2]
for i = 3, #ARGV, 8 do
  local p, d = ARGV[i], ARGV[i + 1]
  local k = pre .. 'day:' .. p .. ':' .. d
  redis.call('HINCRBY', k, 'online_ms', ARGV[i + 2])
  redis.call('HINCRBY', k, 'sessions', ARGV[i + 3])
  redis.call('HINCRBY', k, 'speed_count', ARGV[i + 5])
  redis.call('HINCRBY', k, 'ping_count', ARGV[i + 7])
  local sums = redis.call('HMGET', k, 'speed_sum', 'ping_sum')
  redis.call('HSET', k, 'speed_sum', string.format('%.17g', (tonumber(sums[1]) or 0) + tonumber(ARGV[i + 4])),
             'ping_sum', string.format('%.17g', (tonumber(sums[2]) or 0) + tonumber(ARGV[i + 6])),
             'updated_ms', now)
  redis.call('ZADD', pre .. 'days:' .. p, 0, d)
  redis.call('HINCRBY', KEYS[1], p, ARGV[i + 2])
end
return {OK}
)lua";

// KEYS: the principal's days. ARGV: uptime prefix, principal, from, to.
// Returns day, values, day, values, ...
constexpr std::string_view kUptimeDays = R"lua(
local out = {}
for _, d in ipairs(redis.call('ZRANGEBYLEX', KEYS[1], '[' .. ARGV[3], '[' .. ARGV[4])) do
  out[#out + 1] = d
  out[#out + 1] = redis.call('HMGET', ARGV[1] .. 'day:' .. ARGV[2] .. ':' .. d, unpack(DAY_FIELDS))
end
return {OK, out}
)lua";

// KEYS: the all or active zset. ARGV: node key prefix, after numeric id,
// count. Returns numeric id, values, ...
constexpr std::string_view kNodesPage = R"lua(
local ids = redis.call('ZRANGEBYSCORE', KEYS[1], '(' .. ARGV[2], '+inf', 'WITHSCORES', 'LIMIT', 0, ARGV[3])
local out = {}
for i = 1, #ids, 2 do
  out[#out + 1] = ids[i + 1]
  out[#out + 1] = redis.call('HMGET', ARGV[1] .. ids[i], unpack(NODE_FIELDS))
end
return {OK, out}
)lua";

// KEYS: client, key lookup. ARGV: uuid, key_hash, usage_limit, created_ms.
constexpr std::string_view kRegisterClient = R"lua(
if redis.call('EXISTS', KEYS[1]) == 1 or redis.call('EXISTS', KEYS[2]) == 1 then
  return {ALREADY_EXISTS, 'an API client with uuid ' .. ARGV[1] .. ' or with the same key hash is registered already'}
end
redis.call('HSET', KEYS[1], 'uuid', ARGV[1], 'key_hash', ARGV[2], 'usage_count', '0', 'usage_limit', ARGV[3],
           'created_ms', ARGV[4])
redis.call('SET', KEYS[2], ARGV[1])
return {OK}
)lua";

// KEYS: key lookup. ARGV: client key prefix.
constexpr std::string_view kFindClient = R"lua(
local uuid = redis.call('GET', KEYS[1])
if not uuid then return {OK, false} end
return {OK, redis.call('HMGET', ARGV[1] .. uuid, unpack(CLIENT_FIELDS))}
)lua";

// KEYS: job, client, usage, client's jobs, client's open jobs, open jobs,
// seq counter, idempotency key, owner's leases.
// ARGV: job_id, client uuid, charge (1/0), has key (1/0), request hash,
// created_ms, job key prefix, owner ('' unless created leased), then the
// job's field/value pairs. Returns {OK, 1} created or {OK, 0, values} for
// an idempotent repeat.
constexpr std::string_view kCreateJob = R"lua(
local id, uuid = ARGV[1], ARGV[2]
if ARGV[4] == '1' then
  local idem = redis.call('HMGET', KEYS[8], 'request_hash', 'job_id')
  if idem[1] then
    if idem[1] ~= ARGV[5] then
      return {CONFLICT, 'idempotency key of client ' .. uuid .. ' was used with a different request'}
    end
    local earlier = redis.call('HMGET', ARGV[7] .. idem[2], unpack(JOB_FIELDS))
    if not earlier[1] then return {INTERNAL, 'idempotency key points at missing job ' .. idem[2]} end
    return {OK, 0, earlier}
  end
end
local usage = redis.call('HMGET', KEYS[2], 'usage_count', 'usage_limit')
if not usage[1] then return {INVALID_ARGUMENT, 'no API client with uuid ' .. uuid} end
if ARGV[3] == '1' and tonumber(usage[1]) >= tonumber(usage[2]) then
  return {RESOURCE_EXHAUSTED, 'API client ' .. uuid .. ' has used ' .. usage[1] .. ' of its ' .. usage[2] .. ' usages'}
end
if redis.call('EXISTS', KEYS[1]) == 1 then return {ALREADY_EXISTS, 'job id ' .. id .. ' is taken'} end
local seq = redis.call('INCR', KEYS[7])
redis.call('HSET', KEYS[1], unpack(ARGV, 9))
redis.call('ZADD', KEYS[4], seq, id)
redis.call('ZADD', KEYS[5], seq, id)
redis.call('ZADD', KEYS[6], seq, id)
if ARGV[3] == '1' then
  redis.call('HINCRBY', KEYS[2], 'usage_count', 1)
  redis.call('ZADD', KEYS[3], ARGV[6], id)
end
if ARGV[4] == '1' then redis.call('HSET', KEYS[8], 'request_hash', ARGV[5], 'job_id', id) end
if ARGV[8] ~= '' then
  redis.call('HSET', KEYS[1], 'owner', ARGV[8])
  redis.call('SADD', KEYS[9], id)
end
return {OK, 1}
)lua";

// KEYS: job, owner's leases. ARGV: job_id, attempt, node, node client id,
// now_ms, lease deadline, owner.
constexpr std::string_view kLeaseJob = R"lua(
local j = redis.call('HMGET', KEYS[1], 'state', 'attempt', 'node_principal')
if not j[1] then return {NOT_FOUND, 'no job with id ' .. ARGV[1]} end
local attempt = tonumber(ARGV[2])
if j[1] ~= 'pending' or (tonumber(j[2]) or 0) ~= attempt - 1 then
  return {FAILED_PRECONDITION, refused(ARGV[1], j, 'pending with attempt ' .. (attempt - 1))}
end
redis.call('HSET', KEYS[1], 'state', 'ongoing', 'attempt', ARGV[2], 'node_principal', ARGV[3],
           'node_client_id', ARGV[4], 'assigned_ms', ARGV[5], 'lease_deadline_ms', ARGV[6], 'owner', ARGV[7])
redis.call('SADD', KEYS[2], ARGV[1])
return {OK}
)lua";

// KEYS: job, blob. ARGV: job_id, node, attempt, now_ms, result hash, content
// type, result bytes, reward, price, objects, file kB, result, job domain
// prefix. Returns {OK, 1} completed or {OK, 0} for a repeat.
constexpr std::string_view kCompleteJob = R"lua(
local j = redis.call('HMGET', KEYS[1], 'state', 'attempt', 'node_principal', 'client_uuid', 'owner')
if not j[1] then return {NOT_FOUND, 'no job with id ' .. ARGV[1]} end
local same = j[3] == ARGV[2] and tonumber(j[2]) == tonumber(ARGV[3])
if j[1] == 'ongoing' and same then
  local stored = redis.call('GET', KEYS[2])
  if stored then
    if stored ~= ARGV[12] then return {CONFLICT, 'blob ' .. ARGV[5] .. ' is stored with different bytes'} end
  else
    redis.call('SET', KEYS[2], ARGV[12])
  end
  redis.call('HSET', KEYS[1], 'state', 'completed', 'complete_ms', ARGV[4], 'lease_deadline_ms', '0',
             'result_hash', ARGV[5], 'result_content_type', ARGV[6], 'result_bytes', ARGV[7],
             'reward_units', ARGV[8], 'price_cents', ARGV[9], 'objects_count', ARGV[10], 'file_size_kb', ARGV[11])
  close_job(ARGV[13], ARGV[1], j[4], j[5])
  return {OK, 1}
end
if j[1] == 'completed' and same then return {OK, 0} end
return {FAILED_PRECONDITION, refused(ARGV[1], j, 'ongoing with attempt ' .. ARGV[3] .. ' held by ' .. ARGV[2])}
)lua";

// KEYS: job. ARGV: job_id, attempt, now_ms, job domain prefix.
constexpr std::string_view kReleaseJob = R"lua(
local j = redis.call('HMGET', KEYS[1], 'state', 'attempt', 'node_principal', 'owner')
if not j[1] then return {NOT_FOUND, 'no job with id ' .. ARGV[1]} end
if j[1] ~= 'ongoing' or tonumber(j[2]) ~= tonumber(ARGV[2]) then
  return {FAILED_PRECONDITION, refused(ARGV[1], j, 'ongoing with attempt ' .. ARGV[2])}
end
redis.call('HSET', KEYS[1], 'state', 'pending', 'last_failed_node', j[3] or '', 'lease_deadline_ms', '0')
if j[4] then redis.call('SREM', ARGV[4] .. 'leases:' .. j[4], ARGV[1]) end
redis.call('HDEL', KEYS[1], 'owner')
return {OK}
)lua";

// KEYS: job. ARGV: job_id, attempt, now_ms, error, job domain prefix. A
// charged sync job gives its usage back.
constexpr std::string_view kFailJob = R"lua(
local j = redis.call('HMGET', KEYS[1], 'state', 'attempt', 'node_principal', 'client_uuid', 'owner', 'sync',
                     'usage_charged')
if not j[1] then return {NOT_FOUND, 'no job with id ' .. ARGV[1]} end
if (j[1] ~= 'pending' and j[1] ~= 'ongoing') or (tonumber(j[2]) or 0) ~= tonumber(ARGV[2]) then
  return {FAILED_PRECONDITION, refused(ARGV[1], j, 'pending or ongoing with attempt ' .. ARGV[2])}
end
redis.call('HSET', KEYS[1], 'state', 'failed', 'complete_ms', ARGV[3], 'error', ARGV[4], 'reward_units', '0',
           'lease_deadline_ms', '0')
local pre = ARGV[5]
if j[6] == '1' and j[7] == '1' then
  redis.call('HSET', KEYS[1], 'usage_refunded', '1')
  redis.call('HINCRBY', pre .. 'client:' .. j[4], 'usage_count', -1)
  redis.call('ZREM', pre .. 'usage:' .. j[4], ARGV[1])
end
close_job(pre, ARGV[1], j[4], j[5])
return {OK}
)lua";

// KEYS: the client's jobs, the client's open jobs. ARGV: job key prefix,
// state ('' for any), limit. Oldest first.
constexpr std::string_view kClientJobs = R"lua(
local limit = tonumber(ARGV[3])
local out = {}
if limit == 0 then return {OK, out} end
if ARGV[2] == '' then
  for _, id in ipairs(redis.call('ZRANGE', KEYS[1], 0, limit - 1)) do
    out[#out + 1] = redis.call('HMGET', ARGV[1] .. id, unpack(JOB_FIELDS))
  end
  return {OK, out}
end
local source = KEYS[1]
if ARGV[2] == 'pending' or ARGV[2] == 'ongoing' then source = KEYS[2] end
local start, page = 0, 256
while #out < limit do
  local ids = redis.call('ZRANGE', source, start, start + page - 1)
  if #ids == 0 then break end
  for _, id in ipairs(ids) do
    local values = redis.call('HMGET', ARGV[1] .. id, unpack(JOB_FIELDS))
    if values[#values] == ARGV[2] then
      out[#out + 1] = values
      if #out == limit then break end
    end
  end
  start = start + page
end
return {OK, out}
)lua";

// KEYS: open jobs. ARGV: job key prefix, after seq, count. Returns seq,
// values, ...
constexpr std::string_view kOpenJobsPage = R"lua(
local ids = redis.call('ZRANGEBYSCORE', KEYS[1], '(' .. ARGV[2], '+inf', 'WITHSCORES', 'LIMIT', 0, ARGV[3])
local out = {}
for i = 1, #ids, 2 do
  out[#out + 1] = ids[i + 1]
  out[#out + 1] = redis.call('HMGET', ARGV[1] .. ids[i], unpack(JOB_FIELDS))
end
return {OK, out}
)lua";

constexpr std::array<std::string_view, static_cast<size_t>(Script::kCount)> kBodies = {
    kRegisterNode, kUpdateNode,   kSetNodeStatus, kAddUptime,  kUptimeDays,  kNodesPage,   kRegisterClient, kFindClient,
    kCreateJob,    kLeaseJob,     kCompleteJob,   kReleaseJob, kFailJob,     kClientJobs,  kOpenJobsPage,
};

std::string Prologue() {
  auto code = [](Code c) { return std::to_string(static_cast<int>(c)); };
  return "local OK = 0\n"
         "local INVALID_ARGUMENT = " + code(Code::kInvalidArgument) + "\n" +
         "local NOT_FOUND = " + code(Code::kNotFound) + "\n" +
         "local ALREADY_EXISTS = " + code(Code::kAlreadyExists) + "\n" +
         "local CONFLICT = " + code(Code::kConflict) + "\n" +
         "local RESOURCE_EXHAUSTED = " + code(Code::kResourceExhausted) + "\n" +
         "local FAILED_PRECONDITION = " + code(Code::kFailedPrecondition) + "\n" +
         "local INTERNAL = " + code(Code::kInternal) + "\n" +
         "local JOB_FIELDS = " + LuaList(JobFields()) + "\n" +
         "local NODE_FIELDS = " + LuaList(NodeFields()) + "\n" +
         "local CLIENT_FIELDS = " + LuaList(ClientFields()) + "\n" +
         "local DAY_FIELDS = " + LuaList(DayFields()) + "\n" + std::string(kHelpers);
}

}  // namespace

std::vector<std::string> ScriptBodies() {
  const std::string prologue = Prologue();
  std::vector<std::string> bodies;
  bodies.reserve(kBodies.size());
  for (std::string_view body : kBodies) bodies.push_back(prologue + std::string(body));
  return bodies;
}

}  // namespace sela::store::redis
