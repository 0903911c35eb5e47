// The rewards ledger's reads and audit, referrals and distribution runs on
// Redis (ledger.h; layout in scripts_ledger.cc). Every ledger script gets
// KEYS[1] = the referral-code hash (it names the slot), ARGV[1] = the
// ledger prefix, ARGV[2] = the uptime prefix, ARGV[3] = the run owner ("" for
// reads); its own arguments follow. Numbers go out as decimal text (exact); seq numbers
// and times are also zset scores, which order exactly below 2^53.
//
// Referrals and runs, under the ledger prefix:
//   ref:<referee>   hash: the ReferralRecord (REFERRAL_FIELDS)
//   refs            zset (lex): every referee
//   l1:<r>, l2:<r>  zset signup_ms -> referee: r's referees by level
//   l1u:<r>, l2u:<r> zset: those whose installation bonus is unclaimed
//   unclaimed       zset (lex): every referee not claimed yet
//   run:<id>        hash: the RunRecord (RUN_FIELDS; kind and state by name)
//   running         string: the id of the running run, if any
//   runs:<kind>     zset seq -> id (kind by name); runseq: the last seq
#include "store/redis/scripts_ledger.h"

namespace sela::store::redis {
namespace {

// ARGV: -, uptime prefix, -, after principal, after day ("" and "": from
// the start), limit. Returns principal, day, DAY_FIELDS values, ...
constexpr std::string_view kUnpaidPage = R"lua(
local U = ARGV[2]
local out = {}
local after = '(' .. day_member(ARGV[4], ARGV[5])
for _, m in ipairs(redis.call('ZRANGEBYLEX', U .. 'unpaid', after, '+', 'LIMIT', 0, ARGV[6])) do
  local p, d = unesc(string.sub(m, 1, -13)), string.sub(m, -10)
  out[#out + 1] = p
  out[#out + 1] = d
  out[#out + 1] = redis.call('HMGET', U .. 'day:' .. p .. ':' .. d, unpack(DAY_FIELDS))
end
return {OK, out}
)lua";

// ARGV: -, uptime prefix.
constexpr std::string_view kCountUptimeDays = R"lua(
return {OK, redis.call('GET', ARGV[2] .. 'rows') or '0', redis.call('ZCARD', ARGV[2] .. 'unpaid')}
)lua";

// ARGV: L, -, -, principal, from, to. Returns day, DAY_TOTAL_FIELDS values, ...
constexpr std::string_view kEarningsDays = R"lua(
local L, p = ARGV[1], ARGV[4]
local out = {}
for _, d in ipairs(redis.call('ZRANGEBYLEX', L .. 'dl:' .. p, '[' .. ARGV[5], '[' .. ARGV[6])) do
  out[#out + 1] = d
  out[#out + 1] = redis.call('HMGET', L .. 'd:' .. p .. ':' .. d, unpack(DAY_TOTAL_FIELDS))
end
return {OK, out}
)lua";

// Up to offset + limit ids of the newest (or oldest) entries of the zsets
// base .. k for the kinds in the set, merged by seq; the total over them.
constexpr std::string_view kMerge = R"lua(
local function merged(base, names, kinds, newest, offset, limit)
  local total, all = 0, {}
  for k = 0, #names - 1 do
    if math.floor(kinds / 2 ^ k) % 2 == 1 then total = total + redis.call('ZCARD', base .. names[k + 1]) end
  end
  if offset >= total then return total, {} end
  local last = string.format('%d', offset + limit - 1)
  for k = 0, #names - 1 do
    if math.floor(kinds / 2 ^ k) % 2 == 1 then
      local cmd = newest and 'ZREVRANGE' or 'ZRANGE'
      local r = redis.call(cmd, base .. names[k + 1], 0, last, 'WITHSCORES')
      for i = 1, #r, 2 do all[#all + 1] = {tonumber(r[i + 1]), r[i]} end
    end
  end
  table.sort(all, function(a, b) if newest then return a[1] > b[1] end return a[1] < b[1] end)
  local page = {}
  for i = offset + 1, math.min(offset + limit, #all) do page[#page + 1] = all[i][2] end
  return total, page
end
)lua";

// ARGV: L, -, -, key base ("pt:<p>:" or "rt:<run>:"), kinds, newest
// (1/0), offset, limit. Returns total, then TRANSFER_FIELDS values per transfer.
constexpr std::string_view kListTransfers = R"lua(
local L = ARGV[1]
local total, ids = merged(L .. ARGV[4], {'0', '1', '2', '3', '4', '5', '6', '7'}, tonumber(ARGV[5]), ARGV[6] == '1',
                          tonumber(ARGV[7]), tonumber(ARGV[8]))
local out = {}
for _, id in ipairs(ids) do out[#out + 1] = redis.call('HMGET', L .. 't:' .. id, unpack(TRANSFER_FIELDS)) end
return {OK, total, out}
)lua";

// ARGV: L, -, -, day, after principal, count. Returns principal,
// {principal, balance, units credited on the day}, ...
constexpr std::string_view kBalancesPage = R"lua(
local L, day = ARGV[1], ARGV[4]
local out = {}
for _, p in ipairs(redis.call('ZRANGEBYLEX', L .. 'accts', '(' .. ARGV[5], '+', 'LIMIT', 0, ARGV[6])) do
  local units = '0'
  local d = redis.call('HMGET', L .. 'd:' .. p .. ':' .. day, 'u0', 'u1', 'u2', 'u3', 'u4', 'u5', 'u6', 'u7')
  for k = 1, 8 do units = badd(units, d[k] or '0') end
  out[#out + 1] = p
  out[#out + 1] = {p, redis.call('HGET', L .. 'a:' .. p, 'balance_units') or '0', units}
end
return {OK, out}
)lua";

// ARGV: L, -, -, day, principal, ... (sorted, each once). Returns
// {principal, balance, units credited on the day} of those with an account.
constexpr std::string_view kBalancesOf = R"lua(
local L, day = ARGV[1], ARGV[4]
local out = {}
for i = 5, #ARGV do
  local p = ARGV[i]
  if redis.call('ZSCORE', L .. 'accts', p) then
    local units = '0'
    local d = redis.call('HMGET', L .. 'd:' .. p .. ':' .. day, 'u0', 'u1', 'u2', 'u3', 'u4', 'u5', 'u6', 'u7')
    for k = 1, 8 do units = badd(units, d[k] or '0') end
    out[#out + 1] = {p, redis.call('HGET', L .. 'a:' .. p, 'balance_units') or '0', units}
  end
end
return {OK, out}
)lua";

// ARGV: L. Recomputes every total from the transfers (one pass; it holds
// Redis for its duration). Returns issued, held, transfer units, transfers,
// accounts, issued by kind (8), mismatched issuance, accounts, days,
// over-credited.
constexpr std::string_view kAuditLedger = R"lua(
local L = ARGV[1]
local ku, kn = {}, {}
for k = 0, 7 do ku[k], kn[k] = '0', 0 end
local acc, days = {}, {}
local total, count, over = '0', 0, 0
local n = redis.call('ZCARD', L .. 'all')
for start = 0, n - 1, 1000 do
  for _, id in ipairs(redis.call('ZRANGE', L .. 'all', start, start + 999)) do
    local v = redis.call('HMGET', L .. 't:' .. id, 'kind', 'principal', 'day', 'credited_units', 'amount_units', 'minutes')
    local k, p, c = tonumber(v[1]), v[2], v[4]
    ku[k], kn[k] = badd(ku[k], c), kn[k] + 1
    total, count = badd(total, c), count + 1
    if bcmp(c, v[5]) > 0 then over = over + 1 end
    local a = acc[p] or {u = '0', n = 0}
    acc[p] = a
    a.u, a.n = badd(a.u, c), a.n + 1
    local dk = day_member(p, v[3]) .. ':' .. k
    local d = days[dk] or {u = '0', n = 0, m = '0'}
    days[dk] = d
    d.u, d.n = badd(d.u, c), d.n + 1
    if k == 1 then d.m = badd(d.m, v[6]) end
  end
end
local issued, by_kind, bad_issued = '0', {}, 0
for k = 0, 7 do
  local v = redis.call('HMGET', L .. 'issued', 'u' .. k, 'n' .. k)
  local u, c = v[1] or '0', v[2] or '0'
  issued = badd(issued, u)
  by_kind[k + 1] = u
  if u ~= ku[k] or c ~= string.format('%d', kn[k]) then bad_issued = bad_issued + 1 end
end
local held, accounts, bad_acc, bad_days = '0', 0, 0, 0
local seen = {}
local principals = redis.call('ZRANGE', L .. 'accts', 0, -1)
for _, p in ipairs(principals) do
  local v = redis.call('HMGET', L .. 'a:' .. p, 'balance_units', 'credited_units', 'transfers')
  local a = acc[p]
  held, accounts = badd(held, v[1] or '0'), accounts + 1
  if not a or v[1] ~= a.u or v[2] ~= a.u or v[3] ~= string.format('%d', a.n) then bad_acc = bad_acc + 1 end
  seen[p] = true
  for _, day in ipairs(redis.call('ZRANGE', L .. 'dl:' .. p, 0, -1)) do
    local row = redis.call('HGETALL', L .. 'd:' .. p .. ':' .. day)
    local f = {}
    for i = 1, #row, 2 do f[row[i]] = row[i + 1] end
    for k = 0, 7 do
      local dk = day_member(p, day) .. ':' .. k
      local d = days[dk]
      if f['n' .. k] then
        if not d or f['u' .. k] ~= d.u or f['n' .. k] ~= string.format('%d', d.n) or
           (k == 1 and (f.m or '0') ~= d.m) then bad_days = bad_days + 1 end
        if d then d.seen = true end
      end
    end
  end
end
for p, _ in pairs(acc) do if not seen[p] then bad_acc = bad_acc + 1 end end
for _, d in pairs(days) do if not d.seen then bad_days = bad_days + 1 end end
return {OK, issued, held, total, count, accounts, by_kind, bad_issued, bad_acc, bad_days, over}
)lua";

// KEYS: code -> principal hash. ARGV: -, -, -, node key prefix, code.
constexpr std::string_view kNodeByCode = R"lua(
local p = redis.call('HGET', KEYS[1], ARGV[5])
if not p then return {OK, false} end
return {OK, redis.call('HMGET', ARGV[4] .. p, unpack(NODE_FIELDS))}
)lua";

// KEYS: code -> principal hash. ARGV: L, uptime prefix, -, node key
// prefix, referee, code, now_ms, depth max. Returns the refusal (ledger.h
// ReferralRefusal) and the stored or existing record.
constexpr std::string_view kRegisterReferral = R"lua(
local L, N, referee, code, now, depth_max = ARGV[1], ARGV[4], ARGV[5], ARGV[6], ARGV[7], tonumber(ARGV[8])
local function record() return redis.call('HMGET', L .. 'ref:' .. referee, unpack(REFERRAL_FIELDS)) end
local owner = redis.call('HGET', KEYS[1], code)
if not owner then return {OK, 1, false} end
if redis.call('EXISTS', N .. referee) == 0 then return {OK, 2, false} end
if owner == referee then return {OK, 3, false} end
if redis.call('EXISTS', L .. 'ref:' .. referee) == 1 then return {OK, 4, record()} end
local l2, ancestor, depth = '', owner, 0
while true do
  if depth >= depth_max then return {OK, 6, false} end
  local up = redis.call('HGET', L .. 'ref:' .. ancestor, 'referrer_l1')
  if not up then break end
  if up == referee then return {OK, 5, false} end
  if depth == 0 then l2 = up end
  ancestor, depth = up, depth + 1
end
local base = redis.call('HGET', ARGV[2] .. 'total', referee) or '0'
redis.call('HSET', L .. 'ref:' .. referee, 'referee', referee, 'referrer_l1', owner, 'referrer_l2', l2,
           'code_used', code, 'signup_ms', now, 'uptime_base_ms', base, 'installation_claimed', '0',
           'installation_claimed_ms', '0')
redis.call('ZADD', L .. 'refs', 0, referee)
redis.call('ZADD', L .. 'unclaimed', 0, referee)
redis.call('ZADD', L .. 'l1:' .. owner, now, referee)
redis.call('ZADD', L .. 'l1u:' .. owner, now, referee)
if l2 ~= '' then
  redis.call('ZADD', L .. 'l2:' .. l2, now, referee)
  redis.call('ZADD', L .. 'l2u:' .. l2, now, referee)
end
redis.call('HINCRBY', N .. owner, 'total_referral', 1)
return {OK, 0, record()}
)lua";

// ARGV: L, -, -, referrer, limit. Returns per referee: referee, level, via,
// signup_ms, claimed, earned; every referee tied with the limit-th newest
// of a level is included (the caller sorts and cuts).
constexpr std::string_view kListReferees = R"lua(
local L, r, limit = ARGV[1], ARGV[4], tonumber(ARGV[5])
local out = {}
for level = 1, 2 do
  local key = L .. 'l' .. level .. ':' .. r
  local last = redis.call('ZREVRANGE', key, limit - 1, limit - 1, 'WITHSCORES')
  local members
  if #last == 0 then members = redis.call('ZRANGE', key, 0, -1) else members = redis.call('ZRANGEBYSCORE', key, last[2], '+inf') end
  for _, referee in ipairs(members) do
    local v = redis.call('HMGET', L .. 'ref:' .. referee, 'referrer_l1', 'signup_ms', 'installation_claimed')
    out[#out + 1] = {referee, level, level == 2 and v[1] or '', v[2], v[3],
                     redis.call('HGET', L .. 'earned:' .. r, referee) or '0'}
  end
end
return {OK, out}
)lua";

// ARGV: L, -, -, referrer.
constexpr std::string_view kCountReferees = R"lua(
local L, r = ARGV[1], ARGV[4]
return {OK, redis.call('ZCARD', L .. 'l1:' .. r), redis.call('ZCARD', L .. 'l2:' .. r),
        redis.call('ZCARD', L .. 'l1u:' .. r), redis.call('ZCARD', L .. 'l2u:' .. r)}
)lua";

// ARGV: L, uptime prefix, -, from, to, after referee, limit. Returns per
// referee: referee, l1, l2, minutes, uptime units.
constexpr std::string_view kRefereeWeeks = R"lua(
local L, U, from, to = ARGV[1], ARGV[2], ARGV[4], ARGV[5]
local out = {}
for _, referee in ipairs(redis.call('ZRANGEBYLEX', L .. 'refs', '(' .. ARGV[6], '+', 'LIMIT', 0, ARGV[7])) do
  local v = redis.call('HMGET', L .. 'ref:' .. referee, 'referrer_l1', 'referrer_l2')
  local minutes, units = '0', '0'
  for _, d in ipairs(redis.call('ZRANGEBYLEX', U .. 'days:' .. referee, '[' .. from, '[' .. to)) do
    minutes = badd(minutes, bdiv(redis.call('HGET', U .. 'day:' .. referee .. ':' .. d, 'online_ms') or '0', MS_PER_MINUTE))
  end
  for _, d in ipairs(redis.call('ZRANGEBYLEX', L .. 'dl:' .. referee, '[' .. from, '[' .. to)) do
    units = badd(units, redis.call('HGET', L .. 'd:' .. referee .. ':' .. d, 'u1') or '0')
  end
  out[#out + 1] = {referee, v[1], v[2], minutes, units}
end
return {OK, out}
)lua";

// ARGV: L, -, -, id, kind, trigger, day, owner, now_ms, stale_after_ms,
// resume_only (1/0). Returns the outcome by name and the run.
constexpr std::string_view kStartRun = R"lua(
local L, id, kind, owner, now = ARGV[1], ARGV[4], ARGV[5], ARGV[8], ARGV[9]
local running = redis.call('GET', L .. 'running')
if running then
  local key = L .. 'run:' .. running
  local v = redis.call('HMGET', key, 'owner', 'heartbeat_ms')
  local own = v[1] == owner
  if not own and bcmp(now, badd(v[2], ARGV[10])) < 0 then
    return {OK, 'busy', redis.call('HMGET', key, unpack(RUN_FIELDS))}
  end
  redis.call('HSET', key, 'owner', owner, 'heartbeat_ms', bmax(v[2], now))
  if not own then redis.call('HINCRBY', key, 'resumes', 1) end
  return {OK, 'resumed', redis.call('HMGET', key, unpack(RUN_FIELDS))}
end
if ARGV[11] == '1' then return {OK, 'idle', false} end
local key = L .. 'run:' .. id
if redis.call('EXISTS', key) == 1 then return {ALREADY_EXISTS, 'run id ' .. id .. ' is taken'} end
redis.call('HSET', key, 'id', id, 'kind', kind, 'state', 'running', 'trigger', ARGV[6], 'day', ARGV[7],
           'owner', owner, 'started_ms', now, 'heartbeat_ms', now, 'completed_ms', '0', 'users', '0',
           'total_units', '0', 'resumes', '0', 'error', '')
redis.call('SET', L .. 'running', id)
redis.call('ZADD', L .. 'runs:' .. kind, redis.call('INCR', L .. 'runseq'), id)
return {OK, 'started', redis.call('HMGET', key, unpack(RUN_FIELDS))}
)lua";

// ARGV: L, -, -, id, owner, state, now_ms, error, discard_if_empty (1/0).
constexpr std::string_view kFinishRun = R"lua(
local L, id, owner = ARGV[1], ARGV[4], ARGV[5]
local key = L .. 'run:' .. id
local v = redis.call('HMGET', key, 'state', 'owner', 'kind')
if not v[1] then return {NOT_FOUND, 'no run with id ' .. id} end
if v[1] ~= 'running' or v[2] ~= owner then
  return {FAILED_PRECONDITION, 'run ' .. id .. ' is ' .. v[1] .. ' under owner ' .. v[2] .. ', not running under ' .. owner}
end
redis.call('HSET', key, 'state', ARGV[6], 'completed_ms', ARGV[7], 'error', ARGV[8])
if redis.call('GET', L .. 'running') == id then redis.call('DEL', L .. 'running') end
local rec = redis.call('HMGET', key, unpack(RUN_FIELDS))
if ARGV[9] == '1' and redis.call('HGET', key, 'users') == '0' then
  redis.call('DEL', key)
  redis.call('ZREM', L .. 'runs:' .. v[3], id)
end
return {OK, rec}
)lua";

// ARGV: L, -, -, kinds (bit per RunKind), offset, limit. Returns total, runs.
constexpr std::string_view kListRuns = R"lua(
local L = ARGV[1]
local total, ids = merged(L .. 'runs:', {'uptime', 'referral_weekly'}, tonumber(ARGV[4]), true, tonumber(ARGV[5]),
                          tonumber(ARGV[6]))
local out = {}
for _, id in ipairs(ids) do out[#out + 1] = redis.call('HMGET', L .. 'run:' .. id, unpack(RUN_FIELDS)) end
return {OK, total, out}
)lua";

}  // namespace

std::string LedgerReadScriptBody(Script script) {
  switch (script) {
    case Script::kUnpaidPage: return std::string(kUnpaidPage);
    case Script::kCountUptimeDays: return std::string(kCountUptimeDays);
    case Script::kEarningsDays: return std::string(kEarningsDays);
    case Script::kListTransfers: return std::string(kMerge) + std::string(kListTransfers);
    case Script::kBalancesPage: return std::string(kBalancesPage);
    case Script::kBalancesOf: return std::string(kBalancesOf);
    case Script::kAuditLedger: return std::string(kAuditLedger);
    case Script::kNodeByCode: return std::string(kNodeByCode);
    case Script::kRegisterReferral: return std::string(kRegisterReferral);
    case Script::kListReferees: return std::string(kListReferees);
    case Script::kCountReferees: return std::string(kCountReferees);
    case Script::kRefereeWeeks: return std::string(kRefereeWeeks);
    case Script::kStartRun: return std::string(kStartRun);
    case Script::kFinishRun: return std::string(kFinishRun);
    case Script::kListRuns: return std::string(kMerge) + std::string(kListRuns);
    default: return {};
  }
}

}  // namespace sela::store::redis
