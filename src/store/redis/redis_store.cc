// The Redis store: connection, delivery order, nodes, uptime and counters.
// API clients and jobs: redis_store_jobs.cc.
#include "store/redis/redis_store.h"

#include <spdlog/spdlog.h>

#include <charconv>
#include <condition_variable>
#include <future>
#include <limits>
#include <map>
#include <mutex>
#include <utility>

#include "store/redis/records.h"
#include "store/redis/redis_store_impl.h"

namespace sela::store {

using redis::Command;
using redis::Script;

namespace redis_detail {

Result<const redisReply*> Payload(const Result<redis::Reply>& reply, bool script, const char* what) {
  if (!reply) return Err(Status(reply.error().code(), std::string(what) + ": " + reply.error().message()));
  const redisReply* r = reply->get();
  if (redis::IsError(r)) return Err(redis::ErrorReplyStatus(redis::Text(r), what));
  if (!script) return r;
  const auto code = redis::IsArray(r) && r->elements > 0 ? redis::ToInt(r->element[0]) : std::nullopt;
  if (!code || *code < 0 || *code > static_cast<int64_t>(Code::kInternal)) {
    return Err(Internal(std::string(what) + ": malformed script reply"));
  }
  if (*code != 0) return Err(Status(static_cast<Code>(*code), std::string(redis::Text(redis::Element(r, 1)))));
  return r;
}

}  // namespace redis_detail

namespace {

using redis_detail::Payload;

bool IsNameChar(char c, bool colon) {
  return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') || c == '_' || c == '-' ||
         c == '.' || (colon && c == ':');
}

Status CheckName(const std::string& name, const char* what, bool colon) {
  constexpr size_t kNameBytesMax = 64;
  bool ok = !name.empty() && name.size() <= kNameBytesMax;
  for (char c : name) ok = ok && IsNameChar(c, colon);
  if (!ok) {
    return InvalidArgument(std::string(what) + " \"" + name + "\" must be 1..64 letters, digits, '_', '-', '.'" +
                           (colon ? " or ':'" : ""));
  }
  return Status::Ok();
}

Status CheckOptions(const RedisOptions& o, const PostFn& post) {
  if (!o.random) return InvalidArgument("the Redis store needs a random source (RedisOptions.random)");
  if (!post) return InvalidArgument("the Redis store needs a post function");
  RETURN_IF_ERROR(CheckName(o.key_prefix, "Redis key prefix", false));
  RETURN_IF_ERROR(CheckName(o.process_id, "process id", true));
  if (o.pending_ops_max == 0 || o.page_size == 0 || o.referral_code_attempts_max == 0 ||
      o.session_ids_per_reserve_max == 0 || o.id_bytes_max == 0 || o.connect_timeout_ms == 0 ||
      o.flush_timeout_ms == 0) {
    return InvalidArgument(
        "Redis store limits pending_ops_max, page_size, referral_code_attempts_max, session_ids_per_reserve_max, "
        "id_bytes_max, connect_timeout_ms and flush_timeout_ms must be at least 1");
  }
  return Status::Ok();
}

// Runs fn on the loop thread and waits for it.
void RunOnLoop(Reactor& reactor, const std::function<void()>& fn) {
  if (reactor.InLoopThread()) {
    fn();
    return;
  }
  std::promise<void> done;
  reactor.Post([&] {
    fn();
    done.set_value();
  });
  done.get_future().wait();
}

Result<NodeRecord> RequireNode(const redisReply* values) {
  ASSIGN_OR_RETURN(std::optional<NodeRecord> node, redis::DecodeNode(values));
  if (!node) return Err(Internal("RegisterNode: the node was not stored"));
  return std::move(*node);
}

}  // namespace

Result<std::unique_ptr<RedisStore>> RedisStore::Open(const RedisOptions& options, Reactor& reactor, PostFn post) {
  RETURN_IF_ERROR(CheckOptions(options, post));
  std::unique_ptr<RedisStore> store(new RedisStore(options, reactor, std::move(post)));
  RETURN_IF_ERROR(store->main_->Open());
  RETURN_IF_ERROR(store->CheckServerConfig());
  RunOnLoop(reactor, [&] { store->main_->Attach(); });
  return store;
}

Status RedisStore::CheckServerConfig() {
  std::map<std::string, std::string> config;
  bool refused = false;
  for (const char* name : {"appendonly", "appendfsync", "maxmemory-policy"}) {
    main_->Send(Command("CONFIG").Arg("GET").Arg(name).Finish(), Kind::kRead, [&, name](Result<redis::Reply> r) {
      if (!r || !redis::IsArray(r->get()) || r->get()->elements != 2) {
        refused = true;
        return;
      }
      config[name] = std::string(redis::Text(r->get()->element[1]));
    });
  }
  main_->DriveUntilIdle(std::chrono::milliseconds(options_.connect_timeout_ms));
  const std::string where = "Redis at " + options_.endpoint.Describe();
  if (refused || config.size() != 3) {
    // CONFIG may be disabled (managed services): the operator vouches.
    spdlog::warn("{} does not answer CONFIG GET: its persistence (REDIS_DURABILITY) and eviction policy are not "
                 "checked",
                 where);
    return Status::Ok();
  }
  if (config["maxmemory-policy"] != "noeviction") {
    return FailedPrecondition(where + " has maxmemory-policy " + config["maxmemory-policy"] +
                              ": it may evict records; set maxmemory-policy noeviction");
  }
  const bool aof = config["appendonly"] == "yes";
  const std::string& fsync = config["appendfsync"];
  const bool ok = options_.durability == RedisDurability::kNone ||
                  (aof && (fsync == "always" || (options_.durability == RedisDurability::kEverysec && fsync == "everysec")));
  if (!ok) {
    const char* wanted = options_.durability == RedisDurability::kAlways ? "always" : "everysec";
    return FailedPrecondition(where + " has appendonly " + config["appendonly"] + ", appendfsync " + fsync +
                              ": acknowledged writes (jobs, payments) could be lost if Redis stops; set appendonly "
                              "yes and appendfsync " + wanted + ", or lower REDIS_DURABILITY");
  }
  if (aof && fsync != "always") {
    spdlog::warn("{} syncs its AOF {}: what it acknowledged in the last second or two may be lost in a power cut",
                 where, fsync);
  }
  return Status::Ok();
}

RedisStore::RedisStore(const RedisOptions& options, Reactor& reactor, PostFn post)
    : options_(options),
      reactor_(reactor),
      post_(std::move(post)),
      keys_(options.key_prefix),
      channel_prefix_(options.key_prefix + ":" + std::to_string(options.endpoint.db) + ":"),
      limits_{.principal_bytes_max = options.principal_bytes_max,
              .client_id_bytes_max = options.client_id_bytes_max,
              .id_bytes_max = options.id_bytes_max,
              .text_bytes_max = options.text_bytes_max,
              .result_bytes_max = static_cast<size_t>(options.result_bytes_max)},
      random_(options.random) {
  redis::Connection::Options conn;
  conn.endpoint = options.endpoint;
  conn.client_name = "sela:" + options.process_id;
  conn.scripts = redis::ScriptBodies({.canister_sync = options.canister_sync});
  conn.connect_timeout_ms = options.connect_timeout_ms;
  conn.reply_timeout_ms = options.reply_timeout_ms;
  conn.backoff_min_ms = options.backoff_min_ms;
  conn.backoff_max_ms = options.backoff_max_ms;
  redis::Connection::Hooks hooks;
  hooks.on_read_done = [this] { DeliverReady(); };
  hooks.on_scripts = [this](const std::vector<std::string>& shas) { shas_ = shas; };
  main_ = std::make_unique<redis::Connection>(reactor, std::move(conn), std::move(hooks));
}

RedisStore::~RedisStore() {
  Flush();
  RunOnLoop(reactor_, [this] {
    started_ = false;
    // Cluster calls (not in the delivery order) are answered too.
    if (main_) main_->DriveUntilIdle(std::chrono::milliseconds(options_.flush_timeout_ms));
    blocking_.reset();
    subscriber_.reset();
    main_.reset();
    DeliverReady();
  });
}

void RedisStore::OnLoop(std::function<void()> fn) {
  if (reactor_.InLoopThread()) {
    fn();
  } else {
    reactor_.Post(std::move(fn));
  }
}

uint64_t RedisStore::NewSlot() {
  slots_.emplace_back();
  return first_seq_ + slots_.size() - 1;
}

void RedisStore::Fill(uint64_t seq, std::function<void()> deliver) {
  Slot& slot = slots_[seq - first_seq_];
  slot.ready = true;
  slot.deliver = std::move(deliver);
  // Replies read together are delivered together, after the read.
  if (!main_ || !main_->reading()) DeliverReady();
}

void RedisStore::DeliverReady() {
  if (!slots_.empty() && slots_.front().ready) {
    std::vector<std::function<void()>> batch;
    while (!slots_.empty() && slots_.front().ready) {
      batch.push_back(std::move(slots_.front().deliver));
      slots_.pop_front();
      ++first_seq_;
    }
    post_([batch = std::move(batch)]() mutable {
      for (auto& deliver : batch) deliver();
    });
  }
  for (size_t i = 0; i < barriers_.size();) {
    if (barriers_[i].first <= first_seq_) {
      auto release = std::move(barriers_[i].second);
      barriers_.erase(barriers_.begin() + static_cast<std::ptrdiff_t>(i));
      release();
    } else {
      ++i;
    }
  }
}

Status RedisStore::Unreachable() const {
  const Status& why = main_->last_failure();
  return Unavailable("Redis at " + options_.endpoint.Describe() + " is unreachable (" +
                     (why.ok() ? std::string("reconnecting") : why.message()) + "); nothing was applied");
}

void RedisStore::Answer(Done done, Status status) {
  Fill(NewSlot(), [done = std::move(done), status = std::move(status)] { done(status); });
}

Status NotYetStatus(const char* what) {
  return Unavailable(std::string(what) + ": not implemented on the Redis backend yet");
}

void RedisStore::NotYet(Done done, const char* what) {
  OnLoop([this, done = std::move(done), what]() mutable { Answer(std::move(done), NotYetStatus(what)); });
}

void RedisStore::SendDone(Done done, std::string command, Kind kind, const char* what) {
  Send<bool>([done = std::move(done)](Result<bool> r) { done(r ? Status::Ok() : r.error()); }, std::move(command),
             kind, what, [](const redisReply*) -> Result<bool> { return true; });
}

Command RedisStore::ScriptCall(Script script, size_t keys) const {
  Command command("EVALSHA");
  const size_t index = static_cast<size_t>(script);
  command.Arg(index < shas_.size() ? shas_[index] : std::string(40, '0'));
  command.Uint(keys);
  return command;
}

void RedisStore::JobContext(Command& command) const {
  command.Arg(keys_.jobs()).Arg(channel_prefix_).Arg(options_.process_id);
}

void RedisStore::Flush() {
  if (reactor_.InLoopThread()) {
    // The loop may not be running (shutdown): serve the socket here.
    if (main_) main_->DriveUntilIdle(std::chrono::milliseconds(options_.flush_timeout_ms));
    DeliverReady();
    return;
  }
  std::mutex mu;
  std::condition_variable cv;
  bool released = false;
  reactor_.Post([&] {
    auto release = [&] {
      std::lock_guard lock(mu);
      released = true;
      cv.notify_all();
    };
    const uint64_t target = first_seq_ + slots_.size();
    if (first_seq_ >= target) {
      release();
    } else {
      barriers_.emplace_back(target, release);
    }
  });
  std::unique_lock lock(mu);
  cv.wait(lock, [&] { return released; });
}

void RedisStore::Ping(Done done) {
  OnLoop([this, done = std::move(done)]() mutable {
    SendDone(std::move(done), Command("PING").Finish(), Kind::kRead, "Ping");
  });
}

// ---- counters and nodes ----------------------------------------------------

void RedisStore::ReserveSessionIds(uint64_t count, Callback<uint64_t> done) {
  OnLoop([this, count, done = std::move(done)]() mutable {
    if (count == 0 || count > options_.session_ids_per_reserve_max) {
      return Answer(std::move(done), InvalidArgument("session id count " + std::to_string(count) +
                                                     " is outside 1.." +
                                                     std::to_string(options_.session_ids_per_reserve_max)));
    }
    // INCRBY refuses to overflow (an error reply: nothing applied).
    Send<uint64_t>(std::move(done), Command("INCRBY").Arg(keys_.SessionIdCounter()).Uint(count).Finish(),
                   Kind::kWrite, "ReserveSessionIds", [count](const redisReply* r) -> Result<uint64_t> {
                     const auto last = redis::ToInt(r);
                     if (!last) return Err(Internal("ReserveSessionIds: INCRBY returned no integer"));
                     return static_cast<uint64_t>(*last) - count + 1;
                   });
  });
}

void RedisStore::RegisterNode(const std::string& principal, const std::string& client_id, int64_t now_ms,
                              Callback<NodeRecord> done) {
  RegisterNodeAs(principal, client_id, now_ms, false, std::move(done));
}

void RedisStore::RegisterNodeAs(const std::string& principal, const std::string& client_id, int64_t now_ms,
                                bool is_signed, Callback<NodeRecord> done) {
  OnLoop([this, principal, client_id, now_ms, is_signed, done = std::move(done)]() mutable {
    Status st = ValidatePrincipal(principal, options_.principal_bytes_max);
    if (st.ok()) st = ValidateNowMs(now_ms);
    if (st.ok() && client_id.size() > options_.client_id_bytes_max) {
      st = InvalidArgument("client_id is longer than " + std::to_string(options_.client_id_bytes_max) + " bytes");
    }
    if (!st.ok()) return Answer(std::move(done), std::move(st));
    Command c = ScriptCall(Script::kRegisterNode, 6);
    c.Arg(keys_.Node(principal)).Arg(keys_.NodesAll()).Arg(keys_.NodesActive()).Arg(keys_.Referrals());
    c.Arg(keys_.ClientIdCounter()).Arg(keys_.NodesExpirable()).Arg(principal).Arg(client_id).Int(now_ms);
    c.Uint(NodeRecord{}.max_concurrent_jobs).Arg(is_signed ? "1" : "0");
    // Every draw the operation may need is sent along: the script takes the
    // first code that is free.
    for (uint32_t i = 0; i < options_.referral_code_attempts_max; ++i) c.Arg(ReferralCodeFrom(random_()));
    Send<NodeRecord>(std::move(done), c.Finish(), Kind::kScript, is_signed ? "RegisterSignedNode" : "RegisterNode",
                     [](const redisReply* r) { return RequireNode(redis::Element(r, 1)); });
  });
}

namespace {

std::string Decimal(int64_t v) { return std::to_string(v); }
std::string ShortestDouble(double v) {
  char buf[32];
  const auto [end, ec] = std::to_chars(buf, buf + sizeof buf, v);
  return std::string(buf, end);
}

}  // namespace


void RedisStore::UpdateNodeFields(const char* what, const std::string& principal, const Pairs& pairs, Done done) {
  Command c = ScriptCall(Script::kUpdateNode, 1);
  c.Arg(keys_.Node(principal)).Arg(principal);
  for (const auto& [field, value] : pairs) c.Arg(field).Arg(value);
  SendDone(std::move(done), c.Finish(), Kind::kScript, what);
}

void RedisStore::MarkNodeDisconnected(const std::string& principal, int64_t now_ms, Done done) {
  OnLoop([this, principal, now_ms, done = std::move(done)]() mutable {
    Status st = ValidatePrincipal(principal, options_.principal_bytes_max);
    if (st.ok()) st = ValidateNowMs(now_ms);
    if (!st.ok()) return Answer(std::move(done), std::move(st));
    Command c = ScriptCall(Script::kDisconnectNode, 2);
    c.Arg(keys_.Node(principal)).Arg(keys_.NodesExpirable()).Arg(principal).Int(now_ms);
    SendDone(std::move(done), c.Finish(), Kind::kScript, "MarkNodeDisconnected");
  });
}

void RedisStore::UpdateNodeMetrics(const std::string& principal, const NodeMetricsUpdate& update, int64_t now_ms,
                                   Done done) {
  OnLoop([this, principal, update, now_ms, done = std::move(done)]() mutable {
    Status st = ValidatePrincipal(principal, options_.principal_bytes_max);
    if (st.ok()) st = ValidateNowMs(now_ms);
    if (st.ok()) st = ValidateMetrics(update);
    if (!st.ok()) return Answer(std::move(done), std::move(st));
    Pairs pairs;
    if (update.download_speed) pairs.emplace_back("download_speed", ShortestDouble(*update.download_speed));
    if (update.upload_speed) pairs.emplace_back("upload_speed", ShortestDouble(*update.upload_speed));
    if (update.ping_ms) pairs.emplace_back("ping_ms", ShortestDouble(*update.ping_ms));
    pairs.emplace_back("ping_timestamp_ms", Decimal(now_ms));
    UpdateNodeFields("UpdateNodeMetrics", principal, pairs, std::move(done));
  });
}

void RedisStore::SetNodeCapacity(const std::string& principal, uint32_t max_concurrent_jobs, Done done) {
  OnLoop([this, principal, max_concurrent_jobs, done = std::move(done)]() mutable {
    if (Status st = ValidatePrincipal(principal, options_.principal_bytes_max); !st.ok()) {
      return Answer(std::move(done), std::move(st));
    }
    const Pairs pairs = {{"max_concurrent_jobs", Decimal(max_concurrent_jobs)}};
    UpdateNodeFields("SetNodeCapacity", principal, pairs, std::move(done));
  });
}

void RedisStore::SetNodeStatus(const std::string& principal, NodeStatus status, int64_t now_ms, Done done) {
  OnLoop([this, principal, status, now_ms, done = std::move(done)]() mutable {
    Status st = ValidatePrincipal(principal, options_.principal_bytes_max);
    if (st.ok()) st = ValidateNowMs(now_ms);
    if (st.ok()) st = ValidateStatus(status);
    if (!st.ok()) return Answer(std::move(done), std::move(st));
    Command c = ScriptCall(Script::kSetNodeStatus, 2);
    c.Arg(keys_.Node(principal)).Arg(keys_.NodesActive()).Arg(principal);
    c.Arg(status == NodeStatus::kActive ? "active" : "inactive").Int(now_ms);
    SendDone(std::move(done), c.Finish(), Kind::kScript, "SetNodeStatus");
  });
}

void RedisStore::GetNode(const std::string& principal, Callback<std::optional<NodeRecord>> done) {
  OnLoop([this, principal, done = std::move(done)]() mutable {
    if (Status st = ValidatePrincipal(principal, options_.principal_bytes_max); !st.ok()) {
      return Answer(std::move(done), std::move(st));
    }
    Command c("HMGET");
    c.Arg(keys_.Node(principal));
    redis::AppendFieldNames(c, redis::NodeFields());
    Send<std::optional<NodeRecord>>(std::move(done), c.Finish(), Kind::kRead, "GetNode",
                                    [](const redisReply* r) { return redis::DecodeNode(r); });
  });
}

void RedisStore::ListNodes(bool only_active, Callback<std::vector<NodeRecord>> done) {
  OnLoop([this, only_active, done = std::move(done)]() mutable {
    const std::string index = only_active ? keys_.NodesActive() : keys_.NodesAll();
    auto page = [this, index](const std::string& after) {
      Command c = ScriptCall(Script::kNodesPage, 1);
      c.Arg(index).Arg(keys_.nodes() + "node:").Arg(after).Uint(options_.page_size);
      return c.Finish();
    };
    auto decode = [](const redisReply* values, std::vector<NodeRecord>& nodes) -> Status {
      ASSIGN_OR_RETURN(std::optional<NodeRecord> node, redis::DecodeNode(values));
      if (node) nodes.push_back(std::move(*node));  // Listed and gone: skipped.
      return Status::Ok();
    };
    Pages<NodeRecord>(NewSlot(), std::move(done), std::make_shared<std::vector<NodeRecord>>(), page, "ListNodes",
                      decode, "0");
  });
}

// ---- uptime ----------------------------------------------------------------

void RedisStore::AddUptime(std::vector<UptimeDelta> deltas, int64_t now_ms, Done done) {
  OnLoop([this, deltas = std::move(deltas), now_ms, done = std::move(done)]() mutable {
    Status st = ValidateNowMs(now_ms);
    for (size_t i = 0; st.ok() && i < deltas.size(); ++i) {
      st = ValidateUptimeDelta(deltas[i], options_.principal_bytes_max);
    }
    if (!st.ok()) return Answer(std::move(done), std::move(st));
    if (deltas.empty()) return Answer(std::move(done), Status::Ok());
    Command c = ScriptCall(Script::kAddUptime, 1);
    c.Arg(keys_.UptimeTotal()).Arg(keys_.uptime()).Int(now_ms);
    for (const UptimeDelta& d : deltas) {
      c.Arg(d.principal).Arg(d.day).Int(d.online_ms).Uint(d.sessions).Double(d.speed_sum).Uint(d.speed_count);
      c.Double(d.ping_sum).Uint(d.ping_count);
    }
    SendDone(std::move(done), c.Finish(), Kind::kScript, "AddUptime");
  });
}

void RedisStore::GetUptimeDays(const std::string& principal, const std::string& from_day, const std::string& to_day,
                               Callback<std::vector<UptimeDay>> done) {
  OnLoop([this, principal, from_day, to_day, done = std::move(done)]() mutable {
    Status st = ValidatePrincipal(principal, options_.principal_bytes_max);
    if (st.ok()) st = ValidateDay(from_day, "from_day");
    if (st.ok()) st = ValidateDay(to_day, "to_day");
    if (!st.ok()) return Answer(std::move(done), std::move(st));
    Command c = ScriptCall(Script::kUptimeDays, 1);
    c.Arg(keys_.UptimeDays(principal)).Arg(keys_.uptime()).Arg(principal).Arg(from_day).Arg(to_day);
    Send<std::vector<UptimeDay>>(
        std::move(done), c.Finish(), Kind::kScript, "GetUptimeDays",
        [principal](const redisReply* r) -> Result<std::vector<UptimeDay>> {
          const redisReply* list = redis::Element(r, 1);
          if (!redis::IsArray(list) || list->elements % 2 != 0) return Err(Internal("GetUptimeDays: malformed reply"));
          std::vector<UptimeDay> days;
          for (size_t i = 0; i + 1 < list->elements; i += 2) {
            ASSIGN_OR_RETURN(UptimeDay day, redis::DecodeDay(list->element[i + 1], principal,
                                                             std::string(redis::Text(list->element[i]))));
            days.push_back(std::move(day));
          }
          return days;
        });
  });
}

void RedisStore::GetTotalUptimeMs(const std::string& principal, Callback<int64_t> done) {
  OnLoop([this, principal, done = std::move(done)]() mutable {
    if (Status st = ValidatePrincipal(principal, options_.principal_bytes_max); !st.ok()) {
      return Answer(std::move(done), std::move(st));
    }
    Send<int64_t>(std::move(done), Command("HGET").Arg(keys_.UptimeTotal()).Arg(principal).Finish(), Kind::kRead,
                  "GetTotalUptimeMs", [](const redisReply* r) -> Result<int64_t> {
                    if (redis::IsNil(r)) return int64_t{0};
                    const auto total = redis::ToInt(r);
                    if (!total) return Err(Internal("GetTotalUptimeMs: the stored total does not parse"));
                    return *total;
                  });
  });
}

}  // namespace sela::store
