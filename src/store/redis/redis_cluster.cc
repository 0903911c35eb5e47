// The Redis store as the Cluster of the processes sharing it (cluster.h;
// the scripts are in scripts_jobs.cc).
#include <spdlog/spdlog.h>

#include <algorithm>
#include <utility>

#include "store/redis/records.h"
#include "store/redis/redis_store.h"
#include "store/redis/redis_store_impl.h"

namespace sela::store {

using redis::Command;
using redis::Connection;
using redis::Script;

namespace {

// Messages on a process's channel: 't' + job id (a job was sent here),
// 'e' + job id (a job created here ended elsewhere), 'n' + <length of the
// principal> + ':' + principal + text (a frame for a node here). On the
// broadcast channel: 'b' + <length of the sender's id> + ':' + sender + text.
std::string LengthPrefixed(char type, std::string_view head, std::string_view rest) {
  std::string out(1, type);
  out += std::to_string(head.size());
  out += ':';
  out += head;
  out += rest;
  return out;
}

// Splits what follows the type byte of a length-prefixed message.
bool SplitLengthPrefixed(std::string_view body, std::string_view& head, std::string_view& rest) {
  const size_t colon = body.find(':');
  if (colon == std::string_view::npos || colon == 0 || colon > 4) return false;
  size_t length = 0;
  for (char c : body.substr(0, colon)) {
    if (c < '0' || c > '9') return false;
    length = length * 10 + static_cast<size_t>(c - '0');
  }
  if (colon + 1 + length > body.size()) return false;
  head = body.substr(colon + 1, length);
  rest = body.substr(colon + 1 + length);
  return true;
}

}  // namespace

Status RedisStore::Start(Events events) {
  if (started_) return FailedPrecondition("the cluster has started already");
  if (!options_.now_ms) return InvalidArgument("the Redis cluster needs a clock (RedisOptions.now_ms)");
  events_ = std::move(events);
  Connection::Options base;
  base.endpoint = options_.endpoint;
  base.connect_timeout_ms = options_.connect_timeout_ms;
  base.backoff_min_ms = options_.backoff_min_ms;
  base.backoff_max_ms = options_.backoff_max_ms;

  Connection::Options blocking = base;
  blocking.client_name = "sela-take:" + options_.process_id;
  blocking.reply_timeout_ms = 0;  // A take waits as long as the queue is empty.
  Connection::Hooks blocking_hooks;
  blocking_hooks.on_ready = [this] { TakeMore(); };
  blocking_hooks.on_down = [this](const Status&) { take_outstanding_ = false; };
  blocking_ = std::make_unique<Connection>(reactor_, std::move(blocking), std::move(blocking_hooks));

  Connection::Options subscriber = base;
  subscriber.client_name = "sela-sub:" + options_.process_id;
  subscriber.reply_timeout_ms = 0;
  subscriber.subscriber = true;
  Connection::Hooks subscriber_hooks;
  subscriber_hooks.on_ready = [this] {
    subscriber_->Send(Command("SUBSCRIBE")
                          .Arg(channel_prefix_ + "proc:" + options_.process_id)
                          .Arg(channel_prefix_ + "all")
                          .Finish(),
                      Connection::Kind::kNoReply, nullptr);
    // Messages sent while it was away are lost: whoever waits re-reads.
    if (subscribed_once_ && events_.reconnected) events_.reconnected();
    subscribed_once_ = true;
  };
  subscriber_hooks.on_push = [this](redis::Reply message) { OnMessage(std::move(message)); };
  subscriber_hooks.on_read_done = [this] { TakeClaimed(); };
  subscriber_ = std::make_unique<Connection>(reactor_, std::move(subscriber), std::move(subscriber_hooks));

  for (Connection* c : {blocking_.get(), subscriber_.get()}) {
    if (Status st = c->Open(); !st.ok()) return st;
    c->Attach();
  }
  started_ = true;
  Heartbeat();
  return Status::Ok();
}

void RedisStore::ClusterCall(Command command, const char* what,
                             std::function<void(Result<const redisReply*>)> done) {
  auto on_reply = [what, done](Result<redis::Reply> reply) {
    Result<const redisReply*> payload = redis_detail::Payload(reply, true, what);
    if (!payload) spdlog::warn("cluster: {}", payload.error().ToString());
    if (done) done(payload);
  };
  if (main_->Send(command.Finish(), Kind::kScript, std::move(on_reply))) {
    ++commands_sent_;
    return;
  }
  if (done) done(Err(Unreachable()));
}

// ---- liveness -----------------------------------------------------------------

void RedisStore::Heartbeat() {
  if (leaving_) return;
  Command c = ScriptCall(Script::kHeartbeat, 1);
  c.Arg(keys_.jobs() + "alive:" + options_.process_id);
  JobContext(c);
  c.Uint(options_.process_ttl_ms).Int(options_.now_ms());
  ClusterCall(std::move(c), "Heartbeat", [this](Result<const redisReply*> r) {
    if (r && redis::ToInt(redis::Element(*r, 1)) == 1 && heartbeats_ > 0) {
      // Its heartbeats did not reach Redis for a TTL: others released what it
      // held. Its nodes are still here: they are announced again.
      spdlog::error("cluster: this process ({}) was given up for dead; its leases went to others",
                    options_.process_id);
      if (events_.reaped) events_.reaped();
    }
    if (r) ++heartbeats_;
  });
  ScheduleHeartbeat();
}

void RedisStore::ScheduleHeartbeat() {
  reactor_.RunAfter(std::chrono::milliseconds(std::max<uint32_t>(options_.process_ttl_ms / 3, 1)),
                    [alive = std::weak_ptr<RedisStore*>(alive_)] {
                      if (auto self = alive.lock()) (*self)->Heartbeat();
                    });
}

void RedisStore::Leave(std::function<void(Status)> done) {
  leaving_ = true;
  want_ = 0;
  Command c = ScriptCall(Script::kLeave, 1);
  c.Arg(keys_.jobs() + "alive:" + options_.process_id);
  JobContext(c);
  c.Int(options_.now_ms ? options_.now_ms() : 0);
  ClusterCall(std::move(c), "Leave", [done = std::move(done)](Result<const redisReply*> r) {
    if (done) done(r ? Status::Ok() : r.error());
  });
}

// ---- taking work ---------------------------------------------------------------

void RedisStore::WantJobs(uint32_t free_slots) {
  want_ = leaving_ ? 0 : free_slots;
  TakeMore();
}

void RedisStore::TakeMore() {
  if (!started_ || want_ == 0 || take_outstanding_ || !blocking_ || !blocking_->ready()) return;
  const std::string mine = keys_.jobs() + "claimed:" + options_.process_id;
  take_outstanding_ = blocking_->Send(Command("BLMOVE").Arg(keys_.jobs() + "queue").Arg(mine).Arg("LEFT").Arg("RIGHT").Arg("0").Finish(),
                                      Kind::kWrite, [this](Result<redis::Reply> r) { OnTaken(std::move(r)); });
}

void RedisStore::OnTaken(Result<redis::Reply> reply) {
  take_outstanding_ = false;
  if (!reply || redis::IsNil(reply->get()) || redis::IsError(reply->get())) {
    TakeMore();  // Lost (the connection comes back and takes again) or unblocked.
    return;
  }
  // One job moved to claimed:<me>; claim it and up to want - 1 more.
  Command c = ScriptCall(Script::kClaim, 1);
  c.Arg(keys_.jobs() + "queue");
  JobContext(c);
  c.Uint(want_ > 1 ? want_ - 1 : 0);
  ClusterCall(std::move(c), "Claim", [this](Result<const redisReply*> r) {
    if (r) DeliverJobs(redis::Element(*r, 1), "Claim");
    TakeMore();
  });
}

void RedisStore::DeliverJobs(const redisReply* list, const char* what) {
  if (!redis::IsArray(list) || list->elements == 0) return;
  std::vector<JobRecord> jobs;
  jobs.reserve(list->elements);
  for (size_t i = 0; i < list->elements; ++i) {
    Result<std::optional<JobRecord>> job = redis::DecodeJob(list->element[i]);
    if (!job) {
      spdlog::error("cluster: {}: {}", what, job.error().ToString());
      continue;
    }
    if (*job) jobs.push_back(std::move(**job));
  }
  // They fill slots: until the service says otherwise, fewer are wanted.
  want_ -= std::min<uint32_t>(want_, static_cast<uint32_t>(jobs.size()));
  if (!jobs.empty() && events_.jobs) events_.jobs(std::move(jobs));
}

void RedisStore::GiveBack(std::vector<std::string> job_ids) {
  if (job_ids.empty()) return;
  Command c = ScriptCall(Script::kGiveBack, 1);
  c.Arg(keys_.jobs() + "claimed:" + options_.process_id);
  JobContext(c);
  for (const std::string& id : job_ids) c.Arg(id);
  ClusterCall(std::move(c), "GiveBack", nullptr);
}

// ---- messages ------------------------------------------------------------------

void RedisStore::OnMessage(redis::Reply message) {
  const redisReply* m = message.get();
  if (redis::Text(redis::Element(m, 0)) != "message") return;  // Subscription confirmations.
  const std::string_view payload = redis::Text(redis::Element(m, 2));
  if (payload.empty()) return;
  const std::string_view body = payload.substr(1);
  std::string_view head;
  std::string_view rest;
  switch (payload[0]) {
    case 't':
      sent_here_.emplace_back(body);
      return;
    case 'e':
      if (events_.ended) events_.ended(std::string(body));
      return;
    case 'n':
      if (SplitLengthPrefixed(body, head, rest) && events_.to_node) {
        events_.to_node(std::string(head), std::string(rest));
      }
      return;
    case 'b':
      if (SplitLengthPrefixed(body, head, rest) && head != options_.process_id && events_.to_all) {
        events_.to_all(std::string(rest));
      }
      return;
    default:
      spdlog::warn("cluster: a message of unknown type '{}' on the channel", payload[0]);
  }
}

void RedisStore::TakeClaimed() {
  if (sent_here_.empty()) return;
  Command c = ScriptCall(Script::kTakeClaimed, 1);
  c.Arg(keys_.jobs() + "claimed:" + options_.process_id);
  JobContext(c);
  for (const std::string& id : sent_here_) c.Arg(id);
  sent_here_.clear();
  ClusterCall(std::move(c), "TakeClaimed", [this](Result<const redisReply*> r) {
    if (r) DeliverJobs(redis::Element(*r, 1), "TakeClaimed");
  });
}

void RedisStore::SendToNode(const std::string& process, const std::string& principal, const std::string& text) {
  if (process == options_.process_id) {
    if (events_.to_node) events_.to_node(principal, text);
    return;
  }
  if (main_->Send(Command("PUBLISH").Arg(channel_prefix_ + "proc:" + process).Arg(LengthPrefixed('n', principal, text)).Finish(),
                  Kind::kWrite, nullptr)) {
    ++commands_sent_;
  }
}

void RedisStore::Broadcast(const std::string& text) {
  if (main_->Send(Command("PUBLISH").Arg(channel_prefix_ + "all").Arg(LengthPrefixed('b', options_.process_id, text)).Finish(),
                  Kind::kWrite, nullptr)) {
    ++commands_sent_;
  }
}

// ---- nodes and deadlines -------------------------------------------------------

void RedisStore::NodeOnline(const std::string& principal) {
  Command c = ScriptCall(Script::kNodeOnline, 1);
  c.Arg(keys_.jobs() + "presence");
  JobContext(c);
  c.Arg(principal);
  ClusterCall(std::move(c), "NodeOnline", [this](Result<const redisReply*> r) {
    if (r) DeliverJobs(redis::Element(*r, 1), "NodeOnline");
  });
}

void RedisStore::NodeOffline(const std::string& principal) {
  Command c = ScriptCall(Script::kNodeOffline, 1);
  c.Arg(keys_.jobs() + "presence");
  JobContext(c);
  c.Arg(principal);
  ClusterCall(std::move(c), "NodeOffline", nullptr);
}

void RedisStore::FindNode(const std::string& principal,
                          std::function<void(Result<std::optional<std::string>>)> done) {
  Command c = ScriptCall(Script::kFindNode, 1);
  c.Arg(keys_.jobs() + "presence");
  JobContext(c);
  c.Arg(principal);
  ClusterCall(std::move(c), "FindNode", [done = std::move(done)](Result<const redisReply*> r) {
    if (!r) return done(Err(r.error()));
    const redisReply* process = redis::Element(*r, 1);
    if (redis::IsNil(process)) return done(std::optional<std::string>());
    done(std::optional<std::string>(std::string(redis::Text(process))));
  });
}

void RedisStore::ExpireJob(const std::string& job_id, int64_t now_ms, const std::string& error,
                           std::function<void(Result<bool>)> done) {
  Command c = ScriptCall(Script::kExpireJob, 1);
  c.Arg(keys_.Job(job_id));
  JobContext(c);
  c.Arg(job_id).Int(now_ms).Arg(error);
  ClusterCall(std::move(c), "ExpireJob", [done = std::move(done)](Result<const redisReply*> r) {
    if (!r) return done(Err(r.error()));
    done(redis::ToInt(redis::Element(*r, 1)) == 1);
  });
}

}  // namespace sela::store
