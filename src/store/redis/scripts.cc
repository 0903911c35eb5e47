#include "store/redis/scripts.h"

#include <cctype>
#include <optional>
#include <string_view>

#include "core/status.h"
#include "store/redis/records.h"
#include "store/redis/scripts_ledger.h"
#include "store/redis/scripts_internal.h"

namespace sela::store::redis {
namespace {

// Lua numbers are doubles: counters and times stay exact below 2^53, and
// anything added up with money later goes through INCRBY instead.


// KEYS: node, all, active, referral, client_id counter, expirable.
// ARGV: principal, client_id, now_ms, default capacity, signed (1/0),
// candidate codes... A legacy (unsigned) registration of a signed
// principal is refused and writes nothing.
constexpr std::string_view kRegisterNode = R"lua(
local node = KEYS[1]
local signed = ARGV[5] == '1'
local f = redis.call('HMGET', node, 'numeric_id', 'signed_identity', 'registrations')
if f[1] then
  if f[2] == '1' and not signed then
    return {FAILED_PRECONDITION, 'principal ' .. ARGV[1] ..
            ' has signed in with protocol v2; v1 registrations of it are refused'}
  end
  redis.call('HSET', node, 'client_id', ARGV[2], 'status', 'active', 'ws_connect_ms', ARGV[3],
             'ws_disconnect_ms', '0', 'ping_timestamp_ms', ARGV[3],
             'registrations', string.format('%d', math.min((tonumber(f[3]) or 0) + 1, 4294967295)))
  if signed then redis.call('HSET', node, 'signed_identity', '1') end
  -- Registered twice: never a one-time record again.
  redis.call('ZREM', KEYS[6], ARGV[1])
  redis.call('ZADD', KEYS[3], f[1], ARGV[1])
  return {OK, redis.call('HMGET', node, unpack(NODE_FIELDS))}
end
local code = false
for i = 6, #ARGV do
  if redis.call('HSETNX', KEYS[4], ARGV[i], ARGV[1]) == 1 then
    code = ARGV[i]
    break
  end
end
if not code then
  return {INTERNAL, 'no free referral code after ' .. (#ARGV - 5) .. ' draws; is the random source broken?'}
end
local id = redis.call('INCR', KEYS[5])
redis.call('HSET', node, 'principal', ARGV[1], 'numeric_id', id, 'client_id', ARGV[2], 'referral_code', code,
           'status', 'active', 'max_concurrent_jobs', ARGV[4], 'download_speed', '0', 'upload_speed', '0',
           'ping_ms', '0', 'created_ms', ARGV[3], 'ws_connect_ms', ARGV[3], 'ws_disconnect_ms', '0',
           'ping_timestamp_ms', ARGV[3], 'total_referral', '0', 'registrations', '1')
if signed then redis.call('HSET', node, 'signed_identity', '1') end
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
  if redis.call('ZADD', pre .. 'days:' .. p, 0, d) == 1 then redis.call('INCR', pre .. 'rows') end
  redis.call('HINCRBY', KEYS[1], p, ARGV[i + 2])
  -- The index of days with measured minutes not paid yet (ListUnpaidUptime).
  local v = redis.call('HMGET', k, 'online_ms', 'paid_minutes')
  if bcmp(bdiv(v[1], MS_PER_MINUTE), v[2] or '0') > 0 then
    redis.call('ZADD', pre .. 'unpaid', 0, day_member(p, d))
  end
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

// Scripts on nodes, uptime and API clients; the job scripts are in
// scripts_jobs.cc.
std::string_view Body(Script script) {
  switch (script) {
    case Script::kRegisterNode: return kRegisterNode;
    case Script::kUpdateNode: return kUpdateNode;
    case Script::kSetNodeStatus: return kSetNodeStatus;
    case Script::kAddUptime: return kAddUptime;
    case Script::kUptimeDays: return kUptimeDays;
    case Script::kNodesPage: return kNodesPage;
    case Script::kRegisterClient: return kRegisterClient;
    case Script::kFindClient: return kFindClient;
    default: break;
  }
  if (std::string_view body = JobScriptBody(script); !body.empty()) return body;
  if (std::string_view body = FileScriptBody(script); !body.empty()) return body;
  if (std::string_view body = SettlementScriptBody(script); !body.empty()) return body;
  if (std::string_view body = SyncScriptBody(script); !body.empty()) return body;
  return LedgerScriptBody(script);
}

std::string Prologue() {
  auto code = [](Code c) { return std::to_string(static_cast<int>(c)); };
  return "local OK = 0\n"
         "local INVALID_ARGUMENT = " + code(Code::kInvalidArgument) + "\n" +
         "local NOT_FOUND = " + code(Code::kNotFound) + "\n" +
         "local ALREADY_EXISTS = " + code(Code::kAlreadyExists) + "\n" +
         "local CONFLICT = " + code(Code::kConflict) + "\n" +
         "local RESOURCE_EXHAUSTED = " + code(Code::kResourceExhausted) + "\n" +
         "local FAILED_PRECONDITION = " + code(Code::kFailedPrecondition) + "\n" +
         "local PERMISSION_DENIED = " + code(Code::kPermissionDenied) + "\n" +
         "local INTERNAL = " + code(Code::kInternal) + "\n" +
         "local JOB_FIELDS = " + LuaList(JobFields()) + "\n" +
         "local NODE_FIELDS = " + LuaList(NodeFields()) + "\n" +
         "local CLIENT_FIELDS = " + LuaList(ClientFields()) + "\n" +
         "local DAY_FIELDS = " + LuaList(DayFields()) + "\n" +
         "local FILE_FIELDS = " + LuaList(FileFields()) + "\n" + std::string(BigNumberHelpers());
}

bool IsNameChar(char c) { return std::isalnum(static_cast<unsigned char>(c)) != 0 || c == '_'; }

// Whether `name` occurs as a word in `text`, outside [skip_from, skip_to).
bool Mentions(std::string_view text, std::string_view name, size_t skip_from, size_t skip_to) {
  for (size_t at = text.find(name); at != std::string_view::npos; at = text.find(name, at + 1)) {
    if (at >= skip_from && at < skip_to) continue;
    const bool starts = at == 0 || !IsNameChar(text[at - 1]);
    const bool ends = at + name.size() == text.size() || !IsNameChar(text[at + name.size()]);
    if (starts && ends) return true;
  }
  return false;
}

// A top-level definition of the helpers: `local function NAME(...)` up to
// its `end` (on the same line, or the first line that is only "end"), or a
// one-line `local NAME_FIELDS = {...}`.
struct Definition {
  std::string name;
  size_t from;
  size_t to;  // Past its last newline.
};

std::optional<Definition> DefinitionAt(std::string_view text, size_t from) {
  const auto line_end = [&](size_t at) {
    const size_t nl = text.find('\n', at);
    return nl == std::string_view::npos ? text.size() : nl + 1;
  };
  const size_t first_end = line_end(from);
  std::string_view line = text.substr(from, first_end - from);
  while (!line.empty() && (line.back() == '\n' || line.back() == ' ')) line.remove_suffix(1);
  constexpr std::string_view kFunction = "local function ";
  if (line.starts_with(kFunction)) {
    const size_t open = line.find('(');
    if (open == std::string_view::npos) return std::nullopt;
    std::string name(line.substr(kFunction.size(), open - kFunction.size()));
    if (line.ends_with(" end")) return Definition{std::move(name), from, first_end};
    for (size_t at = first_end; at < text.size(); at = line_end(at)) {
      if (text.substr(at, line_end(at) - at) == "end\n") return Definition{std::move(name), from, line_end(at)};
    }
    return std::nullopt;
  }
  const size_t eq = line.find(" = {");
  if (line.starts_with("local ") && eq != std::string_view::npos && line.ends_with("}")) {
    std::string name(line.substr(6, eq - 6));
    if (name.ends_with("_FIELDS") && name.find(',') == std::string::npos) {
      return Definition{std::move(name), from, first_end};
    }
  }
  return std::nullopt;
}

// The helpers without the definitions nothing uses (in the helpers or in
// `body`): every call runs the whole chunk, and each helper defined is a
// closure or a table made and collected per call.
std::string Pruned(std::string helpers, std::string_view body) {
  for (bool removed = true; removed;) {
    removed = false;
    for (size_t at = 0; at < helpers.size();) {
      const size_t next_line = helpers.find('\n', at);
      const std::optional<Definition> d = DefinitionAt(helpers, at);
      if (d && !Mentions(helpers, d->name, d->from, d->to) && !Mentions(body, d->name, 0, 0)) {
        helpers.erase(d->from, d->to - d->from);
        removed = true;
        continue;
      }
      if (next_line == std::string::npos) break;
      at = next_line + 1;
    }
  }
  return helpers;
}

}  // namespace

std::vector<std::string> ScriptBodies(const ScriptOptions& options) {
  const std::string prologue = Prologue();
  std::vector<std::string> bodies;
  // Job, file and marketplace scripts share their helpers (a completion
  // adopts a result file and lists the job).
  const std::string job_helpers = std::string(JobScriptHelpers()) + std::string(FileScriptHelpers());
  bodies.reserve(static_cast<size_t>(Script::kCount));
  for (size_t i = 0; i < static_cast<size_t>(Script::kCount); ++i) {
    const auto script = static_cast<Script>(i);
    const bool job = script >= Script::kCreateJob;
    // The completion pays the job's reward with the ledger's helpers.
    const std::string pay = script == Script::kCompleteJob ? JobPaymentHelpers() : std::string();
    const bool keeps_journal =
        options.canister_sync && (script == Script::kCompleteJob || script == Script::kCompleteFile);
    const std::string body = keeps_journal ? SyncCompletionBody(script, Body(script)) : std::string(Body(script));
    bodies.push_back(Pruned(prologue + (job ? job_helpers : std::string()) + pay, body) + body);
  }
  return bodies;
}

}  // namespace sela::store::redis
