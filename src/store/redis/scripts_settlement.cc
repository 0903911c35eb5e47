// The settlement journal's scripts on Redis (store.h "Settlement on the
// chain", settlement_types.h; the SQLite backend is
// sqlite/operations_settlement.cc). Every script takes ARGV[1] = the
// settlement prefix ("{<prefix>}:settle:"), ARGV[2] = the ledger prefix.
//
// Where things are, under the settlement prefix:
//   s:<id>        hash: a SettlementRecord (SETTLE_FIELDS; state as its number,
//                 bools as 0/1)
//   ids           zset (lex): every settlement id
//   p:<principal>, r:<run>, st:<state>
//                 zset (lex): the ids of a principal, a run, a state
//   due           zset: next_attempt_ms -> id of pending and sent ones (ties
//                 by id, as ListDueSettlements orders them)
//   open          zset: created_ms -> id of pending and sent ones
//   sum           hash: c<state>, u<state> (count, units by state), lc (the
//                 last confirmed_ms)
//   fk            hash: failure_kind -> failed settlements of that kind
//   tot:<p>       hash: committed_units, settled_units
//   who           zset (lex): principals with totals
// Amounts are int64 (HINCRBY); the ledger's credited_units (decimal text,
// up to INT64_MAX) is compared and subtracted with the big-number helpers.
#include "store/redis/scripts_internal.h"

namespace sela::store::redis {
namespace {

constexpr std::string_view kHelpers = R"lua(
local S, L = ARGV[1], ARGV[2]
local SETTLE_FIELDS = {'id', 'run_id', 'principal', 'amount_units', 'created_ms', 'state', 'generation',
  'created_at_ns', 'attempts', 'next_attempt_ms', 'block_index', 'duplicate', 'failure', 'failure_kind',
  'needs_reconciliation', 'updated_ms', 'confirmed_ms', 'version'}
local function index(id, r)
  local st = r[6]
  redis.call('ZADD', S .. 'st:' .. st, 0, id)
  if st == '0' or st == '1' then
    redis.call('ZADD', S .. 'due', r[10], id)
    redis.call('ZADD', S .. 'open', r[5], id)
  end
  redis.call('HINCRBY', S .. 'sum', 'c' .. st, 1)
  redis.call('HINCRBY', S .. 'sum', 'u' .. st, r[4])
  if st == '3' then redis.call('HINCRBY', S .. 'fk', r[14], 1) end
end
local function unindex(id, r)
  local st = r[6]
  redis.call('ZREM', S .. 'st:' .. st, id)
  redis.call('ZREM', S .. 'due', id)
  redis.call('ZREM', S .. 'open', id)
  redis.call('HINCRBY', S .. 'sum', 'c' .. st, -1)
  redis.call('HINCRBY', S .. 'sum', 'u' .. st, '-' .. r[4])
  if st == '3' and redis.call('HINCRBY', S .. 'fk', r[14], -1) <= 0 then redis.call('HDEL', S .. 'fk', r[14]) end
end
local function write(id, r)
  local args = {}
  for i, f in ipairs(SETTLE_FIELDS) do args[#args + 1] = f; args[#args + 1] = r[i] end
  redis.call('HSET', S .. 's:' .. id, unpack(args))
end
local function read(id) return redis.call('HMGET', S .. 's:' .. id, unpack(SETTLE_FIELDS)) end
)lua";

// ARGV[3..6]: run_id, after_principal, now_ms, limit. Returns {OK, created,
// units, last principal, more (0/1)}.
constexpr std::string_view kCreateSettlements = R"lua(
local run, after, now, limit = ARGV[3], ARGV[4], ARGV[5], tonumber(ARGV[6])
local ns = now == '0' and '0' or now .. '000000'
local created, units, last = 0, '0', ''
local from = after == '' and '-' or '(' .. after
while created < limit do
  local page = redis.call('ZRANGEBYLEX', L .. 'accts', from, '+', 'LIMIT', 0, 500)
  for _, p in ipairs(page) do
    local credited = redis.call('HGET', L .. 'a:' .. p, 'credited_units') or '0'
    local committed = redis.call('HGET', S .. 'tot:' .. p, 'committed_units') or '0'
    local id = run .. '/' .. p
    if bcmp(credited, committed) > 0 and redis.call('EXISTS', S .. 's:' .. id) == 0 then
      local amount = bsub(credited, committed)
      local r = {id, run, p, amount, now, '0', '0', ns, '0', now, '-1', '0', '', '', '0', now, '0', '1'}
      write(id, r)
      redis.call('ZADD', S .. 'ids', 0, id)
      redis.call('ZADD', S .. 'p:' .. p, 0, id)
      redis.call('ZADD', S .. 'r:' .. run, 0, id)
      index(id, r)
      redis.call('HINCRBY', S .. 'tot:' .. p, 'committed_units', amount)
      redis.call('HSETNX', S .. 'tot:' .. p, 'settled_units', '0')
      redis.call('ZADD', S .. 'who', 0, p)
      created = created + 1
      units = badd(units, amount)
      last = p
      if created == limit then break end
    end
  end
  if #page < 500 then break end
  from = '(' .. page[#page]
end
return {OK, created, units, last, created == limit and 1 or 0}
)lua";

// ARGV[3..20]: the record (SETTLE_FIELDS order). Returns {OK, stored record}.
constexpr std::string_view kUpdateSettlement = R"lua(
local id = ARGV[3]
local cur = read(id)
if not cur[1] then return {NOT_FOUND, 'no settlement ' .. id} end
for k = 2, 5 do
  if cur[k] ~= ARGV[2 + k] then
    return {INVALID_ARGUMENT, "a settlement's run, principal, amount and time are fixed"}
  end
end
if cur[6] == '2' then return {FAILED_PRECONDITION, 'settlement ' .. id .. ' is confirmed'} end
if cur[18] ~= ARGV[20] then return {FAILED_PRECONDITION, 'settlement ' .. id .. ' changed meanwhile'} end
local r = {}
for k = 1, 17 do r[k] = ARGV[2 + k] end
r[18] = tostring(tonumber(cur[18]) + 1)
unindex(id, cur)
write(id, r)
index(id, r)
if r[6] == '2' then
  redis.call('HINCRBY', S .. 'tot:' .. r[3], 'settled_units', r[4])
  redis.call('HSET', S .. 'sum', 'lc', bmax(redis.call('HGET', S .. 'sum', 'lc') or '0', r[17]))
end
return {OK, r}
)lua";

// ARGV[3..4]: now_ms, limit. Returns {OK, {record...}}.
constexpr std::string_view kDueSettlements = R"lua(
local out = {}
for _, id in ipairs(redis.call('ZRANGEBYSCORE', S .. 'due', '-inf', ARGV[3], 'LIMIT', 0, tonumber(ARGV[4]))) do
  out[#out + 1] = read(id)
end
return {OK, out}
)lua";

// ARGV[3..8]: has_state (0/1), state, principal, run_id, after_id, limit.
// Reads the narrowest index and checks the other filters on each record.
constexpr std::string_view kListSettlements = R"lua(
local has_state, state, p, run, after, limit = ARGV[3] == '1', ARGV[4], ARGV[5], ARGV[6], ARGV[7], tonumber(ARGV[8])
local source = S .. 'ids'
if p ~= '' then source = S .. 'p:' .. p elseif run ~= '' then source = S .. 'r:' .. run
elseif has_state then source = S .. 'st:' .. state end
local out = {}
local from = after == '' and '-' or '(' .. after
while #out < limit do
  local page = redis.call('ZRANGEBYLEX', source, from, '+', 'LIMIT', 0, 500)
  for _, id in ipairs(page) do
    local r = read(id)
    if (not has_state or r[6] == state) and (p == '' or r[3] == p) and (run == '' or r[2] == run) then
      out[#out + 1] = r
      if #out == limit then break end
    end
  end
  if #page < 500 then break end
  from = '(' .. page[#page]
end
return {OK, out}
)lua";

// Returns {OK, {c0..c3}, {u0..u3}, {kind, count, ...} by kind, oldest open
// created_ms, last confirmed_ms}.
constexpr std::string_view kSettlementSummary = R"lua(
local sum = redis.call('HMGET', S .. 'sum', 'c0', 'c1', 'c2', 'c3', 'u0', 'u1', 'u2', 'u3', 'lc')
local counts, units = {}, {}
for i = 1, 4 do counts[i] = sum[i] or '0'; units[i] = sum[4 + i] or '0' end
local fk = redis.call('HGETALL', S .. 'fk')
local kinds = {}
for i = 1, #fk, 2 do kinds[#kinds + 1] = fk[i] end
table.sort(kinds)
local failed = {}
for _, k in ipairs(kinds) do failed[#failed + 1] = k; failed[#failed + 1] = redis.call('HGET', S .. 'fk', k) end
local oldest = '0'
local first = redis.call('ZRANGE', S .. 'open', 0, 0)
if first[1] then oldest = redis.call('HGET', S .. 's:' .. first[1], 'created_ms') end
return {OK, counts, units, failed, oldest, sum[9] or '0'}
)lua";

// Returns {OK, {principal, committed, settled, ...}} by principal.
constexpr std::string_view kSettledTotals = R"lua(
local out = {}
for _, p in ipairs(redis.call('ZRANGEBYLEX', S .. 'who', '-', '+')) do
  local t = redis.call('HMGET', S .. 'tot:' .. p, 'committed_units', 'settled_units')
  out[#out + 1] = p
  out[#out + 1] = t[1] or '0'
  out[#out + 1] = t[2] or '0'
end
return {OK, out}
)lua";

// ARGV[3..]: principals (sorted, each once). Returns {OK, {principal,
// committed, settled, ...}} of those with totals.
constexpr std::string_view kSettledTotalsOf = R"lua(
local out = {}
for i = 3, #ARGV do
  local p = ARGV[i]
  if redis.call('ZSCORE', S .. 'who', p) then
    local t = redis.call('HMGET', S .. 'tot:' .. p, 'committed_units', 'settled_units')
    out[#out + 1] = p
    out[#out + 1] = t[1] or '0'
    out[#out + 1] = t[2] or '0'
  end
end
return {OK, out}
)lua";

}  // namespace

std::string_view SettlementScriptBody(Script script) {
  static const std::string bodies[] = {
      std::string(kHelpers) + std::string(kCreateSettlements), std::string(kHelpers) + std::string(kUpdateSettlement),
      std::string(kHelpers) + std::string(kDueSettlements),    std::string(kHelpers) + std::string(kListSettlements),
      std::string(kHelpers) + std::string(kSettlementSummary), std::string(kHelpers) + std::string(kSettledTotals),
      std::string(kHelpers) + std::string(kSettledTotalsOf)};
  constexpr auto kFirst = static_cast<size_t>(Script::kCreateSettlements);
  const auto i = static_cast<size_t>(script);
  if (i < kFirst || i > static_cast<size_t>(Script::kSettledTotalsOf)) return {};
  return bodies[i - kFirst];
}

}  // namespace sela::store::redis
