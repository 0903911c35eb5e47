// The job and cluster scripts of the Redis store (see scripts.h and
// cluster.h). Every one takes ARGV[1] = the jobs domain prefix
// ("{<prefix>}:jobs:"), ARGV[2] = the channel prefix, ARGV[3] = this
// process's id; its own arguments follow.
//
// Where things are, under the jobs prefix:
//   job:<id>            hash: the JobRecord's fields, and `owner` (the
//                       process that leased or took the job), `notify` (the
//                       process a sync job's caller waits on),
//                       `usage_refunded`
//   queue               list: pending jobs for any process (may hold stale
//                       ids: a taker skips jobs that are not pending or are
//                       taken)
//   claimed:<process>   list: pending jobs held by that process
//   parked:<principal>  list: pending jobs for a node that is not online
//   leases:<process>    set: ongoing jobs leased by that process
//   presence            hash: principal → process holding the node
//   pnodes:<process>    set: the principals of that process's nodes
//   alive:<process>     string with a TTL: the process is alive
//   procs               set: processes known (dead ones until reaped)
#include "store/redis/scripts_internal.h"

namespace sela::store::redis {
namespace {

constexpr std::string_view kHelpers = R"lua(
local function refused(id, j, wanted)
  return 'job ' .. id .. ' is ' .. j[1] .. ' with attempt ' .. (j[2] or '0') ..
         ' (node ' .. (j[3] or '') .. '), not ' .. wanted
end
local function alive(pre, p)
  return p and redis.call('EXISTS', pre .. 'alive:' .. p) == 1
end
-- A pending job goes to its place: for one node (target), to the process
-- holding it, else parked for it; otherwise to the shared queue. `front`:
-- it is older than what waits there.
local function route(pre, chan, id, target, front)
  local push = front and 'LPUSH' or 'RPUSH'
  local key = pre .. 'job:' .. id
  if target and target ~= '' then
    local p = redis.call('HGET', pre .. 'presence', target)
    if p and alive(pre, p) then
      redis.call('HSET', key, 'owner', p)
      redis.call(push, pre .. 'claimed:' .. p, id)
      redis.call('PUBLISH', chan .. 'proc:' .. p, 't' .. id)
      return
    end
    redis.call('HDEL', key, 'owner')
    redis.call(push, pre .. 'parked:' .. target, id)
    return
  end
  redis.call('HDEL', key, 'owner')
  redis.call(push, pre .. 'queue', id)
end
-- The job leaves its place (a queued id is left behind, and skipped). Its
-- `owner` field is left as it was: whoever moves it next writes it (route,
-- lease), and an ended job keeps its last holder's.
local function unplace(pre, id, state, owner, target)
  if owner then
    if state == 'ongoing' then
      redis.call('SREM', pre .. 'leases:' .. owner, id)
    else
      redis.call('LREM', pre .. 'claimed:' .. owner, 1, id)
    end
  elseif state == 'pending' and target and target ~= '' then
    redis.call('LREM', pre .. 'parked:' .. target, 1, id)
  end
end
-- A job ended: it leaves the open indexes, and a caller waiting on another
-- process hears of it (a process that is gone has no subscriber; one given
-- up for dead too early still has, and must hear it).
local function closed(pre, chan, me, id, client, notify)
  redis.call('ZREM', pre .. 'open', id)
  redis.call('ZREM', pre .. 'copen:' .. client, id)
  if notify and notify ~= me then
    redis.call('PUBLISH', chan .. 'proc:' .. notify, 'e' .. id)
  end
end
local FAIL_FIELDS = {'state', 'attempt', 'node_principal', 'client_uuid', 'owner', 'sync', 'usage_charged',
                     'target_node', 'notify'}
-- Fails a pending or ongoing job (its fields as FAIL_FIELDS); a charged
-- sync job gives its usage back.
local function fail(pre, chan, me, id, j, now, err, reason)
  local key = pre .. 'job:' .. id
  redis.call('HSET', key, 'state', 'failed', 'complete_ms', now, 'error', err, 'failure_reason', reason,
             'reward_units', '0', 'lease_deadline_ms', '0')
  if j[6] == '1' and j[7] == '1' then
    redis.call('HSET', key, 'usage_refunded', '1')
    redis.call('HINCRBY', pre .. 'client:' .. j[4], 'usage_count', -1)
    redis.call('ZREM', pre .. 'usage:' .. j[4], id)
  end
  unplace(pre, id, j[1], j[5], j[8])
  closed(pre, chan, me, id, j[4], j[9])
end
-- What a dead (or leaving) process held goes back: its leases to pending
-- (failed when out of attempts), the jobs it had taken to their place, its
-- nodes' presence away.
local function reap(pre, chan, me, p, now)
  -- Released leases and taken jobs go back to the front oldest first:
  -- pushed one by one, newest first.
  local back = {}
  for _, id in ipairs(redis.call('SMEMBERS', pre .. 'leases:' .. p)) do
    local key = pre .. 'job:' .. id
    local j = redis.call('HMGET', key, unpack(FAIL_FIELDS))
    if j[1] == 'ongoing' and j[5] == p then
      local max = tonumber(redis.call('HGET', key, 'max_attempts')) or 1
      if (tonumber(j[2]) or 0) >= max then
        -- Nobody here ran it: its creator hears of it even if it is `me`.
        fail(pre, chan, '', id, j, now, 'Job failed after ' .. j[2] .. ' attempts: its server process stopped',
             'restart')
      else
        redis.call('HSET', key, 'state', 'pending', 'last_failed_node', j[3] or '', 'lease_deadline_ms', '0')
        back[#back + 1] = {id, j[8]}
      end
    end
  end
  redis.call('DEL', pre .. 'leases:' .. p)
  for _, id in ipairs(redis.call('LRANGE', pre .. 'claimed:' .. p, 0, -1)) do
    local j = redis.call('HMGET', pre .. 'job:' .. id, 'state', 'owner', 'target_node')
    -- Its own, or moved there by a take it never finished.
    if j[1] == 'pending' and (j[2] == p or not j[2]) then back[#back + 1] = {id, j[3]} end
  end
  redis.call('DEL', pre .. 'claimed:' .. p)
  for _, b in ipairs(back) do b[3] = tonumber(redis.call('ZSCORE', pre .. 'open', b[1])) or 0 end
  table.sort(back, function(x, y) return x[3] > y[3] end)
  for _, b in ipairs(back) do route(pre, chan, b[1], b[2], true) end
  for _, n in ipairs(redis.call('SMEMBERS', pre .. 'pnodes:' .. p)) do
    if redis.call('HGET', pre .. 'presence', n) == p then redis.call('HDEL', pre .. 'presence', n) end
  end
  redis.call('DEL', pre .. 'pnodes:' .. p)
  redis.call('SREM', pre .. 'procs', p)
end
)lua";

// KEYS: job, client, usage, client's jobs, client's open jobs, open jobs,
// seq counter, idempotency key. ARGV: pre, chan, me, job_id, client uuid,
// charge (1/0), has key (1/0), request hash, created_ms, leased (1/0),
// sync (1/0), target node, listed ('1', '0', or '' for the client's
// list_by_default), then the job's field/value pairs (with `owner` for a
// leased job and `notify` for a sync one). Returns {OK, 1, listed} created
// or {OK, 0, values} for an idempotent repeat.
constexpr std::string_view kCreateJob = R"lua(
local pre, chan, me, id, uuid = ARGV[1], ARGV[2], ARGV[3], ARGV[4], ARGV[5]
if ARGV[7] == '1' then
  local idem = redis.call('HMGET', KEYS[8], 'request_hash', 'job_id')
  if idem[1] then
    if idem[1] ~= ARGV[8] then
      return {CONFLICT, 'idempotency key of client ' .. uuid .. ' was used with a different request'}
    end
    local earlier = redis.call('HMGET', pre .. 'job:' .. idem[2], unpack(JOB_FIELDS))
    if not earlier[1] then return {INTERNAL, 'idempotency key points at missing job ' .. idem[2]} end
    return {OK, 0, earlier}
  end
end
local usage = redis.call('HMGET', KEYS[2], 'usage_count', 'usage_limit')
if not usage[1] then return {NOT_FOUND, 'no API client with uuid ' .. uuid} end
if ARGV[6] == '1' and tonumber(usage[1]) >= tonumber(usage[2]) then
  return {RESOURCE_EXHAUSTED, 'API client ' .. uuid .. ' has used ' .. usage[1] .. ' of its ' .. usage[2] .. ' usages'}
end
if redis.call('EXISTS', KEYS[1]) == 1 then return {ALREADY_EXISTS, 'job id ' .. id .. ' is taken'} end
local seq = redis.call('INCR', KEYS[7])
redis.call('HSET', KEYS[1], unpack(ARGV, 14))
local listed = ARGV[13]
if listed == '' then listed = redis.call('HGET', KEYS[2], 'list_by_default') == '1' and '1' or '0' end
if listed == '1' then redis.call('HSET', KEYS[1], 'listed', '1') else redis.call('HDEL', KEYS[1], 'listed') end
redis.call('ZADD', KEYS[4], seq, id)
redis.call('ZADD', KEYS[5], seq, id)
redis.call('ZADD', KEYS[6], seq, id)
if ARGV[6] == '1' then
  redis.call('HINCRBY', KEYS[2], 'usage_count', 1)
  redis.call('ZADD', KEYS[3], ARGV[9], id)
end
if ARGV[7] == '1' then redis.call('HSET', KEYS[8], 'request_hash', ARGV[8], 'job_id', id) end
-- A leased job's pairs carry owner = me; a sync job's notify = me.
if ARGV[10] == '1' then
  redis.call('SADD', pre .. 'leases:' .. me, id)
else
  route(pre, chan, id, ARGV[12], false)
end
return {OK, 1, listed}
)lua";

// KEYS: job. ARGV: pre, chan, me, job_id, attempt, node, node client id,
// now_ms, lease deadline.
constexpr std::string_view kLeaseJob = R"lua(
local pre, me, id = ARGV[1], ARGV[3], ARGV[4]
local j = redis.call('HMGET', KEYS[1], 'state', 'attempt', 'node_principal', 'owner', 'target_node')
if not j[1] then return {NOT_FOUND, 'no job with id ' .. id} end
local attempt = tonumber(ARGV[5])
if j[1] ~= 'pending' or (tonumber(j[2]) or 0) ~= attempt - 1 then
  return {FAILED_PRECONDITION, refused(id, j, 'pending with attempt ' .. (attempt - 1))}
end
unplace(pre, id, 'pending', j[4], j[5])
redis.call('HSET', KEYS[1], 'state', 'ongoing', 'attempt', ARGV[5], 'node_principal', ARGV[6],
           'node_client_id', ARGV[7], 'assigned_ms', ARGV[8], 'lease_deadline_ms', ARGV[9], 'owner', me)
redis.call('SADD', pre .. 'leases:' .. me, id)
return {OK}
)lua";

// KEYS: job, blob, market, market types. ARGV: pre, chan, me, job_id, node,
// attempt, now_ms, result hash, content type, result bytes, reward
// amount_units, price, objects, file kB, result, result file id ('' for
// none: the result is the blob), then the payment's (scripts_ledger.cc
// kPayJob): ledger prefix, uptime prefix, owner, daily cap, l1 bp, l2 bp,
// day. Every check comes before any write; the payment is decided in the
// ledger's overlay and written (run()) before the completion's own writes,
// so a refused payment (a Conflict on "job:<id>", an overflow) leaves
// everything as it was. A listed job enters the marketplace. Returns {OK,
// 1, credited, l1 share, l2 share} completed or {OK, 0, reward_units, 0, 0}
// for a repeat.
constexpr std::string_view kCompleteJob = R"lua(
local pre, chan, me, id = ARGV[1], ARGV[2], ARGV[3], ARGV[4]
local j = redis.call('HMGET', KEYS[1], 'state', 'attempt', 'node_principal', 'client_uuid', 'owner', 'notify',
                     'listed', 'job_type', 'reward_units')
if not j[1] then return {NOT_FOUND, 'no job with id ' .. id} end
local same = j[3] == ARGV[5] and tonumber(j[2]) == tonumber(ARGV[6])
if j[1] == 'ongoing' and same then
  local bytes, file_id = ARGV[10], ARGV[16]
  local stored
  if file_id ~= '' then
    local size, why = result_file(pre, id, file_id, ARGV[5], ARGV[8])
    if not size then return {FAILED_PRECONDITION, why} end
    bytes = size
  else
    stored = redis.call('GET', KEYS[2])
    if stored and stored ~= ARGV[15] then return {CONFLICT, 'blob ' .. ARGV[8] .. ' is stored with different bytes'} end
  end
  local paid = run(function() return pay_job(id) end)
  if paid[1] ~= OK then return paid end
  local credited = paid[2][1]
  if file_id ~= '' then
    redis.call('HSET', pre .. 'file:' .. file_id, 'result_of', id)
    redis.call('HSET', KEYS[1], 'result_file_id', file_id)
  elseif not stored then
    redis.call('SET', KEYS[2], ARGV[15])
  end
  redis.call('HSET', KEYS[1], 'state', 'completed', 'complete_ms', ARGV[7], 'lease_deadline_ms', '0',
             'result_hash', ARGV[8], 'result_content_type', ARGV[9], 'result_bytes', bytes,
             'reward_units', credited, 'price_cents', ARGV[12], 'objects_count', ARGV[13], 'file_size_kb', ARGV[14])
  if j[7] == '1' then market_list(KEYS[3], KEYS[4], id, ARGV[7], j[8], true) end
  unplace(pre, id, 'ongoing', j[5], nil)
  closed(pre, chan, me, id, j[4], j[6])
  return {OK, 1, credited, paid[2][2], paid[2][3]}
end
if j[1] == 'completed' and same then return {OK, 0, j[9] or '0', '0', '0'} end
return {FAILED_PRECONDITION, refused(id, j, 'ongoing with attempt ' .. ARGV[6] .. ' held by ' .. ARGV[5])}
)lua";

// KEYS: job. ARGV: pre, chan, me, job_id, attempt, now_ms.
constexpr std::string_view kReleaseJob = R"lua(
local pre, chan, id = ARGV[1], ARGV[2], ARGV[4]
local j = redis.call('HMGET', KEYS[1], 'state', 'attempt', 'node_principal', 'owner', 'target_node')
if not j[1] then return {NOT_FOUND, 'no job with id ' .. id} end
if j[1] ~= 'ongoing' or tonumber(j[2]) ~= tonumber(ARGV[5]) then
  return {FAILED_PRECONDITION, refused(id, j, 'ongoing with attempt ' .. ARGV[5])}
end
unplace(pre, id, 'ongoing', j[4], nil)
redis.call('HSET', KEYS[1], 'state', 'pending', 'last_failed_node', j[3] or '', 'lease_deadline_ms', '0')
route(pre, chan, id, j[5], true)
return {OK}
)lua";

// KEYS: job. ARGV: pre, chan, me, job_id, attempt, now_ms, error, reason.
constexpr std::string_view kFailJob = R"lua(
local pre, chan, me, id = ARGV[1], ARGV[2], ARGV[3], ARGV[4]
local j = redis.call('HMGET', KEYS[1], unpack(FAIL_FIELDS))
if not j[1] then return {NOT_FOUND, 'no job with id ' .. id} end
if (j[1] ~= 'pending' and j[1] ~= 'ongoing') or (tonumber(j[2]) or 0) ~= tonumber(ARGV[5]) then
  return {FAILED_PRECONDITION, refused(id, j, 'pending or ongoing with attempt ' .. ARGV[5])}
end
fail(pre, chan, me, id, j, ARGV[6], ARGV[7], ARGV[8])
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

// KEYS: alive:<me>. ARGV: pre, chan, me, ttl_ms, now_ms. Renews this
// process's liveness and reaps the processes whose key expired. Returns
// {OK, 1} when this process had been given up for dead (and reaped)
// before this heartbeat, {OK, 0} otherwise.
constexpr std::string_view kHeartbeat = R"lua(
local pre, chan, me = ARGV[1], ARGV[2], ARGV[3]
local known = redis.call('SISMEMBER', pre .. 'procs', me) == 1
redis.call('SET', KEYS[1], '1', 'PX', ARGV[4])
redis.call('SADD', pre .. 'procs', me)
for _, p in ipairs(redis.call('SMEMBERS', pre .. 'procs')) do
  if p ~= me and not alive(pre, p) then reap(pre, chan, me, p, ARGV[5]) end
end
return {OK, known and 0 or 1}
)lua";

// KEYS: alive:<me>. ARGV: pre, chan, me, now_ms. This process leaves (a
// drain): what it holds goes back now.
constexpr std::string_view kLeave = R"lua(
redis.call('DEL', KEYS[1])
reap(ARGV[1], ARGV[2], ARGV[3], ARGV[3], ARGV[4])
return {OK}
)lua";

// KEYS: the queue. ARGV: pre, chan, me, more. A blocking pop has just
// moved a job from the queue to claimed:<me>; up to `more` others follow
// it. Every job there that is pending and nobody's is taken (including one
// left by a take whose answer was lost); stale ids are dropped. Returns the
// values of the jobs taken.
constexpr std::string_view kClaim = R"lua(
local pre, me = ARGV[1], ARGV[3]
local mine = pre .. 'claimed:' .. me
for _ = 1, tonumber(ARGV[4]) do
  if not redis.call('LMOVE', KEYS[1], mine, 'LEFT', 'RIGHT') then break end
end
local out = {}
for _, id in ipairs(redis.call('LRANGE', mine, 0, -1)) do
  local key = pre .. 'job:' .. id
  local j = redis.call('HMGET', key, 'state', 'owner', 'target_node')
  if j[2] ~= me then
    if j[1] == 'pending' and not j[2] and (not j[3] or j[3] == '') then
      redis.call('HSET', key, 'owner', me)
      out[#out + 1] = redis.call('HMGET', key, unpack(JOB_FIELDS))
    else
      redis.call('LREM', mine, 1, id)
    end
  end
end
return {OK, out}
)lua";

// KEYS: claimed:<me>. ARGV: pre, chan, me, ids...: jobs sent here (route).
// Returns the values of those still pending and held by this process.
constexpr std::string_view kTakeClaimed = R"lua(
local pre, me = ARGV[1], ARGV[3]
local out = {}
for i = 4, #ARGV do
  local key = pre .. 'job:' .. ARGV[i]
  local j = redis.call('HMGET', key, 'state', 'owner')
  if j[1] == 'pending' and j[2] == me then out[#out + 1] = redis.call('HMGET', key, unpack(JOB_FIELDS)) end
end
return {OK, out}
)lua";

// KEYS: claimed:<me>. ARGV: pre, chan, me, ids...: pending jobs held here
// go back to their place, at the front, in their order.
constexpr std::string_view kGiveBack = R"lua(
local pre, chan, me = ARGV[1], ARGV[2], ARGV[3]
for i = #ARGV, 4, -1 do
  local id = ARGV[i]
  local j = redis.call('HMGET', pre .. 'job:' .. id, 'state', 'owner', 'target_node')
  if j[1] == 'pending' and j[2] == me then
    redis.call('LREM', KEYS[1], 1, id)
    route(pre, chan, id, j[3], true)
  end
end
return {OK}
)lua";

// KEYS: presence. ARGV: pre, chan, me, principal. The node is here now; the
// jobs parked for it come here. Returns their values.
constexpr std::string_view kNodeOnline = R"lua(
local pre, me, n = ARGV[1], ARGV[3], ARGV[4]
redis.call('HSET', KEYS[1], n, me)
redis.call('SADD', pre .. 'pnodes:' .. me, n)
local parked = pre .. 'parked:' .. n
local out = {}
for _, id in ipairs(redis.call('LRANGE', parked, 0, -1)) do
  local key = pre .. 'job:' .. id
  local j = redis.call('HMGET', key, 'state', 'owner')
  if j[1] == 'pending' and not j[2] then
    redis.call('HSET', key, 'owner', me)
    redis.call('RPUSH', pre .. 'claimed:' .. me, id)
    out[#out + 1] = redis.call('HMGET', key, unpack(JOB_FIELDS))
  end
end
redis.call('DEL', parked)
return {OK, out}
)lua";

// KEYS: presence. ARGV: pre, chan, me, principal.
constexpr std::string_view kNodeOffline = R"lua(
if redis.call('HGET', KEYS[1], ARGV[4]) == ARGV[3] then redis.call('HDEL', KEYS[1], ARGV[4]) end
redis.call('SREM', ARGV[1] .. 'pnodes:' .. ARGV[3], ARGV[4])
return {OK}
)lua";

// KEYS: presence. ARGV: pre, chan, me, principal. Returns the live process
// holding the node, or nil.
constexpr std::string_view kFindNode = R"lua(
local p = redis.call('HGET', KEYS[1], ARGV[4])
if p and alive(ARGV[1], p) then return {OK, p} end
return {OK, false}
)lua";

// KEYS: job. ARGV: pre, chan, me, job_id, now_ms, error. Fails a pending
// job that nobody holds once its deadline has passed. Returns {OK, 1} when
// it did.
constexpr std::string_view kExpireJob = R"lua(
local pre, chan, me, id = ARGV[1], ARGV[2], ARGV[3], ARGV[4]
local j = redis.call('HMGET', KEYS[1], unpack(FAIL_FIELDS))
local deadline = tonumber(redis.call('HGET', KEYS[1], 'deadline_ms')) or 0
if j[1] ~= 'pending' or j[5] or deadline == 0 or deadline > tonumber(ARGV[5]) then return {OK, 0} end
fail(pre, chan, me, id, j, ARGV[5], ARGV[6], 'deadline')
return {OK, 1}
)lua";

}  // namespace

std::string_view JobScriptHelpers() { return kHelpers; }

std::string_view JobScriptBody(Script script) {
  switch (script) {
    case Script::kCreateJob: return kCreateJob;
    case Script::kLeaseJob: return kLeaseJob;
    case Script::kCompleteJob: return kCompleteJob;
    case Script::kReleaseJob: return kReleaseJob;
    case Script::kFailJob: return kFailJob;
    case Script::kClientJobs: return kClientJobs;
    case Script::kOpenJobsPage: return kOpenJobsPage;
    case Script::kHeartbeat: return kHeartbeat;
    case Script::kLeave: return kLeave;
    case Script::kClaim: return kClaim;
    case Script::kTakeClaimed: return kTakeClaimed;
    case Script::kGiveBack: return kGiveBack;
    case Script::kNodeOnline: return kNodeOnline;
    case Script::kNodeOffline: return kNodeOffline;
    case Script::kFindNode: return kFindNode;
    case Script::kExpireJob: return kExpireJob;
    default: return {};
  }
}

}  // namespace sela::store::redis
