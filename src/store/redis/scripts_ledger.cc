// The rewards ledger's write scripts on Redis (ledger.h; see scripts.h):
// transfers, uptime payments and installation bonuses. The reads, the
// audit, referrals and runs are in scripts_ledger_read.cc.
//
// Exact money. Lua numbers are doubles, exact only below 2^53, and units
// reach 2^63 - 1. Every amount, total, minute count and time is kept as
// decimal text and added, subtracted and compared by the helpers of
// BigNumberHelpers() on two exact parts (value = hi * 10^9 + lo), so the
// arithmetic is exact up to 10^24; a total that passes INT64_MAX is
// refused (ResourceExhausted), as SQLite's STRICT integers refuse it.
//
// All or nothing. Redis does not undo the writes of a script that fails
// half way, so the write scripts write nothing until they know they will
// succeed: every total is read through an overlay (W) of what the script
// has decided so far, and the overlay is written out at the end.
//
// Where things are, under the ledger prefix ("{<prefix>}:ledger:",
// the store's one hash tag, with the nodes and uptime days it reads):
//   t:<id>          hash: a recorded transfer (TRANSFER_FIELDS)
//   seq             string: the last transfer's seq
//   all             zset seq -> id: every transfer (the audit)
//   pt:<p>:<kind>   zset seq -> id: a principal's transfers of one kind
//   rt:<run>:<kind> zset seq -> id: a run's transfers of one kind
//   a:<p>           hash: account: balance_units, credited_units, transfers,
//                   updated_ms, u<kind>, n<kind> (units, transfers by kind),
//                   m (uptime minutes paid)
//   accts           zset (lex): principals with an account
//   issued          hash: u<kind>, n<kind> (the issuance accounts)
//   d:<p>:<day>     hash: u<kind>, n<kind>, m: the principal's credits of a day
//   dl:<p>          zset (lex): the principal's days with credits
//   mo:<p>:<month>  hash: u<kind>: credits of a month (monthly caps)
//   earned:<p>      hash: referee -> units credited to p for its activity
// and the uptime prefix gets `unpaid` (zset, lex: days with measured
// minutes not paid yet) and `rows` (the number of uptime days).
#include "store/redis/scripts_ledger.h"

#include <vector>

#include "store/redis/ledger_records.h"
#include "store/redis/records.h"
#include "store/redis/scripts_internal.h"

namespace sela::store::redis {
namespace {

// In the prologue of every script (AddUptime keeps the unpaid index too).
constexpr std::string_view kBigNumbers = R"lua(
local BIG = 1000000000
local INT64_MAX = '9223372036854775807'
local function bn(s)
  local n = #s
  if n <= 9 then return 0, tonumber(s) end
  return tonumber(string.sub(s, 1, n - 9)), tonumber(string.sub(s, n - 8))
end
local function bs(h, l)
  if h == 0 then return string.format('%d', l) end
  return string.format('%.0f', h) .. string.format('%09d', l)
end
-- Below 10^15 a double is exact, and so is the sum of two: the fast path.
local function small(s) return #s <= 15 end
local function badd(a, b)
  if small(a) and small(b) then return string.format('%.0f', tonumber(a) + tonumber(b)) end
  local ah, al = bn(a)
  local bh, bl = bn(b)
  local h, l = ah + bh, al + bl
  if l >= BIG then h, l = h + 1, l - BIG end
  return bs(h, l)
end
local function bsub(a, b)
  if small(a) and small(b) then return string.format('%.0f', tonumber(a) - tonumber(b)) end
  local ah, al = bn(a)
  local bh, bl = bn(b)
  local h, l = ah - bh, al - bl
  if l < 0 then h, l = h - 1, l + BIG end
  return bs(h, l)
end
local function bcmp(a, b)
  if small(a) and small(b) then
    local x, y = tonumber(a), tonumber(b)
    if x == y then return 0 end
    return x < y and -1 or 1
  end
  local ah, al = bn(a)
  local bh, bl = bn(b)
  if ah ~= bh then return ah < bh and -1 or 1 end
  if al ~= bl then return al < bl and -1 or 1 end
  return 0
end
local function bmax(a, b) if bcmp(a, b) < 0 then return b end return a end
-- floor(s / d) for 0 < d < 10^6, one digit at a time.
local function bdiv(s, d)
  local out, r = {}, 0
  for i = 1, #s do
    r = r * 10 + string.byte(s, i) - 48
    local q = math.floor(r / d)
    r = r - q * d
    if q > 0 or #out > 0 then out[#out + 1] = string.char(48 + q) end
  end
  if #out == 0 then return '0' end
  return table.concat(out)
end
-- A principal in a lex-ordered member: NUL bytes escaped so that the
-- separator "\0\0" sorts below any principal byte that follows.
local function esc(p) return (string.gsub(p, '%z', '\0\1')) end
local function unesc(e) return (string.gsub(e, '%z\1', '\0')) end
local function day_member(p, d) return esc(p) .. '\0\0' .. d end
local MS_PER_MINUTE = 60000
)lua";

// For the scripts that record transfers. ARGV[LA] is the ledger prefix,
// ARGV[LA + 1] the uptime prefix, ARGV[LA + 2] the run owner (LA is 1 for
// the ledger's scripts; CompleteJob passes them after its own arguments).
constexpr std::string_view kLedgerHelpers = R"lua(
local L, U, OWNER = ARGV[LA], ARGV[LA + 1], ARGV[LA + 2]
local NT = 17  -- Transfer fields in ARGV, TRANSFER_FIELDS order without credited_units and seq.
local BODY = {1, 2, 3, 4, 5, 6, 7, 8, 11, 12, 13, 14, 15, 16, 17}  -- All but created_ms, run_id.
local W = {h = {}, z = {}, zrem = {}, seq = nil}
local RECORDED = {}
local function fail(code, msg) error({sela = true, code = code, msg = msg}) end
local function hget(k, f)
  local t = W.h[k]
  if t and t[f] ~= nil then return t[f] end
  return redis.call('HGET', k, f)
end
local function hset(k, f, v)
  local t = W.h[k]
  if not t then t = {}; W.h[k] = t end
  t[f] = v
end
local function hadd(k, f, v, what)
  local sum = badd(hget(k, f) or '0', v)
  if bcmp(sum, INT64_MAX) > 0 then fail(RESOURCE_EXHAUSTED, what .. ' would overflow') end
  hset(k, f, sum)
end
local ZSEEN = {}
local function zadd(k, score, m) W.z[#W.z + 1] = {k, score, m} end
-- For members added with the same score by many transfers of a call.
local function zadd_once(k, m)
  local key = k .. '\0' .. m
  if not ZSEEN[key] then ZSEEN[key] = true; zadd(k, 0, m) end
end
local function zrem(k, m) W.zrem[#W.zrem + 1] = {k, m} end
local function flush()
  for k, t in pairs(W.h) do
    local args = {}
    for f, v in pairs(t) do
      args[#args + 1] = f
      args[#args + 1] = v
      if #args >= 200 then redis.call('HSET', k, unpack(args)); args = {} end  -- unpack's stack is bounded.
    end
    if #args > 0 then redis.call('HSET', k, unpack(args)) end
  end
  for _, z in ipairs(W.z) do redis.call('ZADD', z[1], z[2], z[3]) end
  for _, z in ipairs(W.zrem) do redis.call('ZREM', z[1], z[2]) end
  if W.seq then redis.call('SET', L .. 'seq', W.seq) end
end
-- Runs `main` and writes the overlay when it succeeded; a refusal writes nothing.
local function run(main)
  local ok, r = pcall(main)
  if not ok then
    if type(r) == 'table' and r.sela then return {r.code, r.msg} end
    return {INTERNAL, type(r) == 'table' and (r.err or 'script error') or tostring(r)}
  end
  flush()
  return {OK, r}
end
local function transfer_at(i)
  local t = {}
  for j = 1, NT do t[j] = ARGV[i + j - 1] end
  return t
end
-- The recorded transfer (TRANSFER_FIELDS values), or nil.
local function find(id)
  local r = RECORDED[id]
  if r then return r end
  if redis.call('EXISTS', L .. 't:' .. id) == 0 then return nil end
  local v = redis.call('HMGET', L .. 't:' .. id, unpack(TRANSFER_FIELDS))
  if not v[1] then return nil end
  return v
end
local function same_body(rec, t)
  for _, j in ipairs(BODY) do
    if rec[j] ~= t[j] then return false end
  end
  return true
end
local function has_kind(kinds, k) return math.floor(kinds / 2 ^ k) % 2 == 1 end
-- What the cap leaves of the amount (ledger.h "Caps").
local function capped(t)
  local window = t[5]
  if window == '0' then return t[4] end
  local key
  if window == '1' then key = L .. 'd:' .. t[3] .. ':' .. t[8] else key = L .. 'mo:' .. t[3] .. ':' .. string.sub(t[8], 1, 7) end
  local kinds, already = tonumber(t[6]), '0'
  for k = 0, 7 do
    if has_kind(kinds, k) then already = badd(already, hget(key, 'u' .. k) or '0') end
  end
  if bcmp(already, t[7]) >= 0 then return '0' end
  local room = bsub(t[7], already)
  if bcmp(room, t[4]) < 0 then return room end
  return t[4]
end
local function add_to_run(t, credited)
  local key = L .. 'run:' .. t[10]
  if hget(key, 'state') ~= 'running' or hget(key, 'owner') ~= OWNER then
    fail(FAILED_PRECONDITION, 'transfer ' .. t[1] .. ' names run ' .. t[10] ..
         ', which is not running under owner ' .. OWNER)
  end
  if credited ~= '0' then hadd(key, 'users', '1', 'run users') end
  hadd(key, 'total_units', credited, 'run total')
  hset(key, 'heartbeat_ms', bmax(hget(key, 'heartbeat_ms') or '0', t[9]))
end
-- Records one transfer: 0 (applied) or 1 (repeat), and the units credited.
local function apply(t)
  local rec = find(t[1])
  if rec then
    if not same_body(rec, t) then fail(CONFLICT, 'transfer ' .. t[1] .. ' is recorded with another body') end
    return 1, rec[18]
  end
  local id, kind, p, day = t[1], t[2], t[3], t[8]
  local credited = capped(t)
  local a = L .. 'a:' .. p
  hadd(a, 'balance_units', credited, 'balance of ' .. p)
  hadd(a, 'credited_units', credited, 'credited units of ' .. p)
  hadd(a, 'transfers', '1', 'transfers of ' .. p)
  hadd(a, 'u' .. kind, credited, 'credits by kind of ' .. p)
  hadd(a, 'n' .. kind, '1', 'transfers by kind of ' .. p)
  hset(a, 'updated_ms', bmax(hget(a, 'updated_ms') or '0', t[9]))
  local d = L .. 'd:' .. p .. ':' .. day
  hadd(d, 'u' .. kind, credited, 'day total of ' .. p)
  hadd(d, 'n' .. kind, '1', 'day transfers of ' .. p)
  if kind == '1' then
    hadd(a, 'm', t[13], 'uptime minutes of ' .. p)
    hadd(d, 'm', t[13], 'day minutes of ' .. p)
  end
  hadd(L .. 'mo:' .. p .. ':' .. string.sub(day, 1, 7), 'u' .. kind, credited, 'month total of ' .. p)
  hadd(L .. 'issued', 'u' .. kind, credited, 'issuance of kind ' .. kind)
  hadd(L .. 'issued', 'n' .. kind, '1', 'issuance transfers of kind ' .. kind)
  if t[12] ~= '' then hadd(L .. 'earned:' .. p, t[12], credited, 'referral earnings of ' .. p) end
  if t[10] ~= '' then add_to_run(t, credited) end
  W.seq = (W.seq or tonumber(redis.call('GET', L .. 'seq') or '0')) + 1
  local seq = string.format('%d', W.seq)
  rec = {}
  for j = 1, NT do rec[j] = t[j] end
  rec[18], rec[19] = credited, seq
  for j = 1, #TRANSFER_FIELDS do hset(L .. 't:' .. id, TRANSFER_FIELDS[j], rec[j]) end
  RECORDED[id] = rec
  zadd_once(L .. 'accts', p)
  zadd_once(L .. 'dl:' .. p, day)
  zadd(L .. 'all', seq, id)
  zadd(L .. 'pt:' .. p .. ':' .. kind, seq, id)
  if t[10] ~= '' then zadd(L .. 'rt:' .. t[10] .. ':' .. kind, seq, id) end
  return 0, credited
end
)lua";

// ARGV: ledger prefix, uptime prefix, run owner, then the transfers (NT
// fields each). Returns {outcome, credited, ...}.
constexpr std::string_view kApplyTransfers = R"lua(
return run(function()
  local out = {}
  for i = 4, #ARGV, NT do
    local outcome, credited = apply(transfer_at(i))
    out[#out + 1] = outcome
    out[#out + 1] = credited
  end
  return out
end)
)lua";

// ARGV: ledger prefix, uptime prefix, run owner, then per payment: from,
// through, the transfer (NT fields). Returns an outcome per payment: 0
// applied, 1 repeat, 2 stale.
constexpr std::string_view kPayUptime = R"lua(
return run(function()
  local out = {}
  for i = 4, #ARGV, NT + 2 do
    local from, through, t = ARGV[i], ARGV[i + 1], transfer_at(i + 2)
    local p, day = t[3], t[8]
    local row = U .. 'day:' .. p .. ':' .. day
    local online = hget(row, 'online_ms')
    if not online then fail(INVALID_ARGUMENT, 'uptime payment ' .. t[1] .. ' has no uptime row') end
    local measured = bdiv(online, MS_PER_MINUTE)
    if bcmp(through, measured) > 0 then
      fail(INVALID_ARGUMENT, 'uptime payment ' .. t[1] .. ' pays minutes that were not measured')
    end
    local paid = hget(row, 'paid_minutes') or '0'
    if paid == through then
      local rec = find(t[1])
      if not rec then
        out[#out + 1] = 2
      elseif not same_body(rec, t) then
        fail(CONFLICT, 'transfer ' .. t[1] .. ' is recorded with another body')
      else
        out[#out + 1] = 1
      end
    elseif paid ~= from then
      out[#out + 1] = 2
    else
      local outcome = apply(t)
      if outcome ~= 0 then fail(INTERNAL, 'uptime transfer ' .. t[1] .. ' is recorded but its minutes are not paid') end
      hset(row, 'paid_minutes', through)
      if bcmp(measured, through) <= 0 then zrem(U .. 'unpaid', day_member(p, day)) end
      out[#out + 1] = 0
    end
  end
  return out
end)
)lua";

// ARGV: ledger prefix, uptime prefix, run owner, min_uptime_ms,
// amount_units, day, now_ms, run_id, limit, refusal ("" when the claim's
// transfer is valid, else why not: said only when something qualifies).
// Returns, per claim: referee, referrer_l1, credited.
constexpr std::string_view kClaimInstallations = R"lua(
return run(function()
  local min, amount, day, now, run_id, limit, refusal = ARGV[4], ARGV[5], ARGV[6], ARGV[7], ARGV[8], tonumber(ARGV[9]), ARGV[10]
  local out, paid, after = {}, 0, '-'
  while paid < limit do
    local page = redis.call('ZRANGEBYLEX', L .. 'unclaimed', after, '+', 'LIMIT', 0, 1000)
    for _, referee in ipairs(page) do
      if paid >= limit then break end
      local r = redis.call('HMGET', L .. 'ref:' .. referee, 'referrer_l1', 'referrer_l2', 'uptime_base_ms')
      local online = redis.call('HGET', U .. 'total', referee) or '0'
      if bcmp(online, badd(r[3], min)) >= 0 then
        if refusal ~= '' then fail(INVALID_ARGUMENT, refusal) end
        local t = {'referral:installation:' .. referee, '6', r[1], amount, '0', '0', '0', day, now, run_id, '',
                   referee, '0', '0', amount, '0', '10000'}
        local _, credited = apply(t)
        local ref = L .. 'ref:' .. referee
        hset(ref, 'installation_claimed', '1')
        hset(ref, 'installation_claimed_ms', now)
        zrem(L .. 'unclaimed', referee)
        zrem(L .. 'l1u:' .. r[1], referee)
        if r[2] ~= '' then zrem(L .. 'l2u:' .. r[2], referee) end
        out[#out + 1] = referee
        out[#out + 1] = r[1]
        out[#out + 1] = credited
        paid = paid + 1
      end
    end
    if #page < 1000 then break end
    after = '(' .. page[#page]
  end
  return out
end)
)lua";

// CompleteJob's payment (ledger.h JobRewardSpec), for the completion script
// (scripts_jobs.cc), which passes ARGV[11] = amount_units, ARGV[17..19] =
// ledger prefix, uptime prefix, owner (""), ARGV[20] = daily_cap_units,
// ARGV[21], ARGV[22] = the two shares' bp, ARGV[23] = day; `id` is the job
// id, ARGV[5] the node, ARGV[7] now_ms. Records through the overlay (run()
// writes it only when everything was decided); returns {credited, l1, l2}.
constexpr std::string_view kPayJob = R"lua(
local function pay_job(id)
  local amount, node, now, cap, day = ARGV[11], ARGV[5], ARGV[7], ARGV[20], ARGV[23]
  if amount == '0' then return {'0', '0', '0'} end
  local window, kinds = '0', '0'
  if cap ~= '0' then window, kinds = '1', '1' end  -- kDay, KindBit(kJob)
  local _, credited = apply({'job:' .. id, '0', node, amount, window, kinds, cap, day, now, '', id, '',
                             '0', '0', '0', '0', '0'})
  local out = {credited, '0', '0'}
  if credited == '0' then return out end
  local r = redis.call('HMGET', L .. 'ref:' .. node, 'referrer_l1', 'referrer_l2')
  local c = tonumber(credited)  -- At most kTransferUnitsMax (10^15): exact.
  local rest = c % 10000
  for level = 1, 2 do
    local p, bp = r[level], tonumber(ARGV[20 + level])
    -- floor(c * bp / 10000) without passing 2^53: c = q * 10000 + rest.
    local share = (c - rest) / 10000 * bp + math.floor(rest * bp / 10000)
    if p and p ~= '' and share > 0 then
      local units = string.format('%d', share)
      local _, got = apply({'referral:task:' .. id .. ':' .. level, tostring(level + 1), p, units, '0', '0', '0',
                            day, now, '', id, node, '0', '0', credited, '0', ARGV[20 + level]})
      out[level + 1] = got
    end
  end
  return out
end
)lua";

}  // namespace

std::string_view BigNumberHelpers() { return kBigNumbers; }

std::string LedgerFieldLists() {
  return "local TRANSFER_FIELDS = " + LuaList(TransferFields()) + "\n" +
         "local RUN_FIELDS = " + LuaList(RunFields()) + "\n" +
         "local REFERRAL_FIELDS = " + LuaList(ReferralFields()) + "\n" +
         "local DAY_TOTAL_FIELDS = " + LuaList(DayTotalFields()) + "\n";
}

std::string JobPaymentHelpers() {
  return LedgerFieldLists() + "local LA = 17\n" + std::string(kLedgerHelpers) + std::string(kPayJob);
}

std::string_view LedgerScriptBody(Script script) {
  constexpr auto kFirst = static_cast<size_t>(Script::kApplyTransfers);
  constexpr auto kLast = static_cast<size_t>(Script::kListRuns);
  // Built once: the field lists, then the write helpers and body, or the
  // read body (the prologue and BigNumberHelpers() come before, scripts.cc).
  static const std::vector<std::string> bodies = [] {
    std::vector<std::string> out;
    for (size_t i = kFirst; i <= kLast; ++i) {
      const auto script = static_cast<Script>(i);
      std::string body = LedgerFieldLists() + "local LA = 1\n";
      switch (script) {
        case Script::kApplyTransfers: body += std::string(kLedgerHelpers) + std::string(kApplyTransfers); break;
        case Script::kPayUptime: body += std::string(kLedgerHelpers) + std::string(kPayUptime); break;
        case Script::kClaimInstallations:
          body += std::string(kLedgerHelpers) + std::string(kClaimInstallations);
          break;
        default: body += LedgerReadScriptBody(script); break;
      }
      out.push_back(std::move(body));
    }
    return out;
  }();
  const auto i = static_cast<size_t>(script);
  if (i < kFirst || i > kLast) return {};
  return bodies[i - kFirst];
}

}  // namespace sela::store::redis
