#include "api/node_routes.h"

// GCC 12 at -O3 warns that a moved-from std::expected<std::vector<...>> in a
// std::function argument "may be used uninitialized" (a false positive of
// its inliner, like GCC bug 105562; as in rpc_routes.cc).
#if defined(__GNUC__) && !defined(__clang__)
#pragma GCC diagnostic ignored "-Wmaybe-uninitialized"
#endif

#include <spdlog/spdlog.h>

#include <charconv>
#include <memory>
#include <optional>
#include <unordered_map>

#include "api/node_reward_routes.h"
#include "api/node_views.h"
#include "codec/js_json.h"
#include "codec/json.h"
#include "core/logging.h"

namespace sela::api {

namespace {

using Ctx = NodeRoutesContext;
constexpr int64_t kDayMs = 86'400'000;

// What the original answered on N12 success; kept because admin scripts may
// compare it (rest-api.md §2.4 N12).
constexpr std::string_view kMessageSentData =
    R"({"function":"JobSent","message":"Job sent to client successfully","status":"OK"})";
constexpr std::string_view kNodeNotConnected = "Failed to send message: Node is not connected";

std::string JsonString(std::string_view text) {
  std::string out;
  codec::AppendJsonString(out, text);
  return out;
}

void Health(Ctx&, RestCall& call) {
  call.respond(SuccessResponse("Node service is healthy", R"({"status":"OK"})"));
}

void Stats(Ctx&, RestCall& call) {
  static constexpr std::string_view kFeatures[] = {
      "Job assignment and processing", "File storage and retrieval", "Authentication and authorization",
      "Client management",             "Database operations",        "Business logic coordination"};
  std::string features = "[";
  for (std::string_view f : kFeatures) {
    if (features.size() > 1) features += ',';
    codec::AppendJsonString(features, f);
  }
  features += ']';
  call.respond(SuccessResponse("Node service statistics retrieved",
                         codec::JsonObjectWriter().String("name", "Node Service").Raw("features", features).Finish()));
}

// A decimal integer of at most 18 digits in 0..max; nullopt otherwise.
std::optional<int64_t> ParseDecimal(std::string_view text, int64_t max) {
  if (text.empty() || text.size() > 18) return std::nullopt;
  int64_t v = 0;
  for (char c : text) {
    if (c < '0' || c > '9') return std::nullopt;
    v = v * 10 + (c - '0');
  }
  if (v > max) return std::nullopt;
  return v;
}

// The page of N3 or N4 asked for: ?after=<numeric id> (0: the first page) and
// ?limit=1..nodes_page_max (default nodes_page_max). False (and answered
// 400) when either is malformed.
bool ReadNodesPage(Ctx& ctx, RestCall& call, int64_t* after, uint32_t* limit) {
  const uint32_t page_max = ctx.options.nodes_page_max;
  *after = 0;
  *limit = page_max;
  bool structured = false;
  if (auto text = QueryString(call.request, "after", &structured)) {
    auto v = structured ? std::nullopt : ParseDecimal(*text, INT64_MAX / 2);
    if (!v) {
      call.respond(ErrorResponse(400, "Invalid after parameter: expected a node's numeric id (0 or more)"));
      return false;
    }
    *after = *v;
  }
  if (auto text = QueryString(call.request, "limit", &structured)) {
    auto v = structured ? std::nullopt : ParseDecimal(*text, page_max);
    if (!v || *v < 1) {
      call.respond(ErrorResponse(400, "Invalid limit parameter: expected an integer from 1 to " +
                                          std::to_string(page_max)));
      return false;
    }
    *limit = static_cast<uint32_t>(*v);
  }
  return true;
}

using Balances = std::unordered_map<std::string, store::Balance>;
using Settled = std::unordered_map<std::string, store::SettledTotal>;

// Records of a list and where its next page starts (X-Next-After), if any.
using NodesAnswer = std::function<void(Result<std::vector<store::NodeRecord>>, std::optional<int64_t> next_after)>;

// N4's page: the records after `after` whose node is connected now, `limit`
// at most, read a page of nodes_page_max records at a time in numeric-id
// order. At most running_scan_pages pages a request: past them the answer
// names where the next request goes on, so that a long run of records of
// offline nodes costs a bounded read per request.
struct RunningScan {
  std::vector<store::NodeRecord> found;
  int64_t cursor = 0;  // The last numeric id read.
  uint32_t limit = 0;
  uint32_t pages_left = 0;
};

void ScanRunning(Ctx& ctx, std::shared_ptr<RunningScan> scan, NodesAnswer answer) {
  const uint32_t chunk = ctx.options.nodes_page_max;
  ctx.deps.store.ListNodesPage(scan->cursor, chunk, [&ctx, scan, chunk, answer = std::move(answer)](
                                                       Result<std::vector<store::NodeRecord>> page) mutable {
    if (!page) return answer(Err(page.error()), std::nullopt);
    const int64_t now_ms = ctx.deps.clock.WallMs();
    for (store::NodeRecord& record : *page) {
      scan->cursor = record.numeric_id;
      if (!SnapshotLive(ctx.deps.registry, record.principal, now_ms, now_ms).online) continue;
      scan->found.push_back(std::move(record));
      if (scan->found.size() == scan->limit) return answer(std::move(scan->found), scan->cursor);
    }
    if (page->size() < chunk) return answer(std::move(scan->found), std::nullopt);  // The end.
    if (--scan->pages_left == 0) return answer(std::move(scan->found), scan->cursor);
    ScanRunning(ctx, std::move(scan), std::move(answer));
  });
}

// A page of node records as N3 and N4 answer it: each with its live state,
// its balance and today's credits (UTC day `today`) and what of them is
// settled on the chain, read for the page's principals only. A node without
// an account shows 0.
void AnswerNodesPage(Ctx& ctx, RestRespond respond, bool running_only,
                     std::string today, std::vector<store::NodeRecord> page, std::optional<int64_t> next_after) {
  const char* failure = running_only ? "Failed to get running nodes" : "Failed to get all nodes";
  std::vector<std::string> principals;
  principals.reserve(page.size());
  for (const store::NodeRecord& node : page) principals.push_back(node.principal);
  auto records = std::make_shared<std::vector<store::NodeRecord>>(std::move(page));
  ctx.deps.store.ListBalancesOf(principals, today, [&ctx, respond, running_only, failure, principals, records,
                                                    next_after](Result<std::vector<store::Balance>> balances) {
    if (!balances) return respond(StoreFailure(balances.error(), failure));
    auto by_principal = std::make_shared<Balances>();
    for (store::Balance& b : *balances) by_principal->emplace(b.principal, std::move(b));
    ctx.deps.store.ListSettledTotalsOf(principals, [&ctx, respond, running_only, failure, records, next_after,
                                                    by_principal](Result<std::vector<store::SettledTotal>> totals) {
      if (!totals) return respond(StoreFailure(totals.error(), failure));
      Settled settled;
      for (store::SettledTotal& t : *totals) settled.emplace(t.principal, std::move(t));
      // Live state is read now, when the answer is written, so "running" is
      // who is connected at this moment (not the status index, reference D-14).
      const int64_t now_ms = ctx.deps.clock.WallMs();
      std::string data = "[";
      for (const store::NodeRecord& node : *records) {
        const LiveUptime live = SnapshotLive(ctx.deps.registry, node.principal, now_ms, now_ms);
        if (running_only && !live.online) continue;
        if (data.size() > 1) data += ',';
        const auto b = by_principal->find(node.principal);
        std::string json = b == by_principal->end()
                               ? NodeRecordJson(node, live, 0, 0)
                               : NodeRecordJson(node, live, b->second.balance_units, b->second.day_units);
        const auto t = settled.find(node.principal);
        AppendSettledFields(json, t == settled.end() ? store::SettledTotal{} : t->second);
        data += json;
      }
      data += ']';
      net::HttpResponse r = SuccessResponse(
          running_only ? "Running nodes retrieved successfully" : "All nodes retrieved successfully", data);
      if (next_after) r.headers.emplace_back("X-Next-After", std::to_string(*next_after));
      respond(std::move(r));
    });
  });
}

// N3: one page of the node records; N4: one page of those connected now.
// X-Next-After names the next page's `after` when there may be one.
void ListNodes(Ctx& ctx, RestCall& call, bool running_only) {
  const char* failure = running_only ? "Failed to get running nodes" : "Failed to get all nodes";
  int64_t after = 0;
  uint32_t limit = 0;
  if (!ReadNodesPage(ctx, call, &after, &limit)) return;
  NodesAnswer answer = [&ctx, respond = call.respond, running_only, failure,
                        today = nodes::UtcDay(ctx.deps.clock.WallMs())](
                           Result<std::vector<store::NodeRecord>> nodes, std::optional<int64_t> next_after) {
    if (!nodes) return respond(StoreFailure(nodes.error(), failure));
    AnswerNodesPage(ctx, respond, running_only, today, std::move(*nodes), next_after);
  };
  if (running_only) {
    auto scan = std::make_shared<RunningScan>();
    scan->cursor = after;
    scan->limit = limit;
    scan->pages_left = ctx.options.running_scan_pages;
    ScanRunning(ctx, std::move(scan), std::move(answer));
    return;
  }
  ctx.deps.store.ListNodesPage(after, limit, [answer = std::move(answer), limit](
                                                 Result<std::vector<store::NodeRecord>> nodes) {
    std::optional<int64_t> next_after;
    if (nodes && nodes->size() == limit) next_after = nodes->back().numeric_id;
    answer(std::move(nodes), next_after);
  });
}

void AllNodes(Ctx& ctx, RestCall& call) { ListNodes(ctx, call, false); }
void RunningNodes(Ctx& ctx, RestCall& call) { ListNodes(ctx, call, true); }

void UserUptime(Ctx& ctx, RestCall& call) {
  const int64_t now_ms = ctx.deps.clock.WallMs();
  const std::string today = nodes::UtcDay(now_ms);
  // Both reads are issued before any later checkpoint can reach the store,
  // so together with the live snapshot taken now nothing is counted twice.
  struct Join {
    int pending = 2;
    LiveUptime live;
    Result<int64_t> total = 0;
    Result<std::vector<store::UptimeDay>> today = std::vector<store::UptimeDay>();
  };
  auto join = std::make_shared<Join>();
  join->live = SnapshotLive(ctx.deps.registry, call.principal, now_ms, ctx.deps.last_checkpoint_ms());
  auto finish = [join, now_ms, respond = call.respond] {
    if (--join->pending > 0) return;
    const Status* failed = !join->total ? &join->total.error() : !join->today ? &join->today.error() : nullptr;
    if (failed != nullptr) {
      respond(StoreFailure(*failed, "Failed to retrieve uptime data"));
      return;
    }
    std::optional<store::UptimeDay> day;
    if (!join->today->empty()) day = join->today->front();
    respond(SuccessResponse("Uptime stats retrieved successfully", UptimeStatsJson(join->live, now_ms, *join->total, day)));
  };
  ctx.deps.store.GetTotalUptimeMs(call.principal, [join, finish](Result<int64_t> r) {
    join->total = std::move(r);
    finish();
  });
  ctx.deps.store.GetUptimeDays(call.principal, today, today,
                               [join, finish](Result<std::vector<store::UptimeDay>> r) {
                                 join->today = std::move(r);
                                 finish();
                               });
}

void DetailedUptime(Ctx& ctx, RestCall& call) {
  const int64_t days_max = ctx.options.uptime_days_max;
  DetailedUptimeInput in;
  bool structured = false;
  if (auto text = QueryString(call.request, "days", &structured)) {
    auto days = structured ? std::nullopt : ParseUptimeDays(*text, days_max);
    if (!days) {
      call.respond(ErrorResponse(400, "Invalid days parameter: expected an integer from 0 to " + std::to_string(days_max)));
      return;
    }
    in.days = *days;
  }
  in.principal = call.principal;
  in.now_ms = ctx.deps.clock.WallMs();
  in.end_day = nodes::UtcDay(in.now_ms);
  in.start_day = nodes::UtcDay(in.now_ms - in.days * kDayMs);
  in.live = SnapshotLive(ctx.deps.registry, call.principal, in.now_ms, ctx.deps.last_checkpoint_ms());
  auto shared = std::make_shared<DetailedUptimeInput>(std::move(in));
  ctx.deps.store.GetUptimeDays(shared->principal, shared->start_day, shared->end_day,
                               [shared, respond = call.respond](Result<std::vector<store::UptimeDay>> r) {
                                 if (!r) {
                                   respond(StoreFailure(r.error(), "Failed to retrieve uptime data"));
                                   return;
                                 }
                                 shared->records = std::move(*r);
                                 respond(SuccessResponse("Detailed uptime information retrieved successfully",
                                                   DetailedUptimeJson(*shared)));
                               });
}

void AuthCheck(Ctx& ctx, RestCall& call) {
  ctx.deps.store.GetNode(call.principal, [respond = call.respond](Result<std::optional<store::NodeRecord>> r) {
    if (!r) {
      respond(StoreFailure(r.error(), "Failed to check authentication"));
    } else if (!r->has_value()) {
      respond(ErrorResponse(401, "Authentication failed: Client not found"));
    } else if ((*r)->status != store::NodeStatus::kActive) {
      respond(ErrorResponse(401, "Authentication failed: Client is not active"));
    } else {
      respond(SuccessResponse("Authentication successful", R"({"status":"RequestAuth OK"})"));
    }
  });
}

// `text` of N12/N13: absent or falsy gives the default; otherwise a string.
std::optional<std::string> MessageText(const boost::json::object& body, std::string_view fallback,
                                       std::size_t bytes_max) {
  const auto* v = codec::FindField(body, "text");
  if (v == nullptr || !codec::IsTruthy(*v)) return std::string(fallback);
  if (!v->is_string() || v->as_string().size() > bytes_max) return std::nullopt;
  return std::string(v->as_string());
}

// `data` of N12/N13 as JSON text: absent or falsy gives the default string.
std::string MessageData(const boost::json::object& body, std::string_view fallback) {
  const auto* v = codec::FindField(body, "data");
  if (v == nullptr || !codec::IsTruthy(*v)) return JsonString(fallback);
  return codec::StringifyJs(*v);
}

std::string InvalidTextMessage(std::size_t bytes_max) {
  return "Invalid text: expected a string of at most " + std::to_string(bytes_max) + " bytes";
}

// The live node an admin message is for: the one whose newest registration
// has this clientId, else the principal's. Never any other node (D-14).
nodes::NodeIndex MessageTarget(const nodes::NodeRegistry& registry, std::string_view client_id,
                               std::string_view principal) {
  nodes::NodeIndex target = nodes::kNoNode;
  int64_t id = 0;
  const auto [end, ec] = std::from_chars(client_id.data(), client_id.data() + client_id.size(), id);
  if (ec == std::errc() && end == client_id.data() + client_id.size()) {
    registry.ForEach([&](nodes::NodeIndex i) {
      if (target == nodes::kNoNode && registry.View(i)->client_id_ms == id) target = i;
    });
  }
  return target != nodes::kNoNode ? target : registry.Find(principal);
}

// The node is not here; another process sharing the store may hold it: the
// notice (ClusterNotice) goes there (its connections are counted there, not here).
void SendToNodeElsewhere(Ctx& ctx, std::string principal, std::string frame, RestRespond respond) {
  ctx.deps.cluster->FindNode(principal, [&ctx, principal, frame = std::move(frame), respond = std::move(respond)](
                                            Result<std::optional<std::string>> process) {
    if (!process) {
      respond(StoreFailure(process.error(), "Failed to send message"));
      return;
    }
    if (!process->has_value()) {
      respond(ErrorResponse(404, kNodeNotConnected));
      return;
    }
    ctx.deps.cluster->SendToNode(**process, principal, frame);
    spdlog::info("admin message{}", LogFields({{"principal", principal}, {"process", **process}}));
    respond(SuccessResponse("Message sent successfully", codec::JsonObjectWriter()
                                                            .String("message", kMessageSentData)
                                                            .String("user_principal_id", principal)
                                                            .String("forwardedTo", **process)
                                                            .Finish()));
  });
}

void ClientMessage(Ctx& ctx, RestCall& call) {
  const std::string_view client_id = call.request.Param("clientId");
  const auto* principal = codec::FindField(call.body, "userPrincipalId");
  if (client_id.empty() || principal == nullptr || !codec::IsTruthy(*principal)) {
    call.respond(ErrorResponse(400, "Missing clientId or userPrincipalId"));
    return;
  }
  if (!principal->is_string() || principal->as_string().size() > ctx.options.rest.principal_bytes_max) {
    call.respond(ErrorResponse(400, "Invalid user principal ID format"));
    return;
  }
  const std::size_t text_max = ctx.options.message_text_bytes_max;
  const auto text = MessageText(call.body, "NOTIFICATION", text_max);
  if (!text) {
    call.respond(ErrorResponse(400, InvalidTextMessage(text_max)));
    return;
  }
  const std::string_view wanted(principal->as_string());
  const nodes::NodeIndex node = MessageTarget(ctx.deps.registry, client_id, wanted);
  const auto view = ctx.deps.registry.View(node);
  if (!view && ctx.deps.cluster != nullptr) {
    SendToNodeElsewhere(ctx, std::string(wanted), ClusterNotice(*text, MessageData(call.body, "Admin message")),
                        call.respond);
    return;
  }
  if (!view) {
    call.respond(ErrorResponse(404, kNodeNotConnected));
    return;
  }
  const std::string target(view->principal);
  const size_t sent =
      ctx.deps.send_to_node(node, *text, MessageData(call.body, "Admin message"));
  spdlog::info("admin message{}", LogFields({{"principal", target}, {"connections", std::to_string(sent)}}));
  if (sent == 0) {
    call.respond(ErrorResponse(404, kNodeNotConnected));
    return;
  }
  call.respond(SuccessResponse("Message sent successfully", codec::JsonObjectWriter()
                                                          .String("message", kMessageSentData)
                                                          .String("user_principal_id", target)
                                                          .Integer("connectionsReached", static_cast<int64_t>(sent))
                                                          .Finish()));
}

void Broadcast(Ctx& ctx, RestCall& call) {
  const auto* text_field = codec::FindField(call.body, "text");
  const auto* principal = codec::FindField(call.body, "user_principal_id");
  if (text_field == nullptr || !codec::IsTruthy(*text_field) || principal == nullptr ||
      !codec::IsTruthy(*principal)) {
    call.respond(ErrorResponse(400, "Missing required fields: text, user_principal_id"));
    return;
  }
  const std::size_t text_max = ctx.options.message_text_bytes_max;
  const auto text = MessageText(call.body, "", text_max);
  if (!text) {
    call.respond(ErrorResponse(400, InvalidTextMessage(text_max)));
    return;
  }
  const size_t sent = ctx.deps.send_to_all(*text, MessageData(call.body, ""));
  // The other processes sharing the store send it to their nodes.
  if (ctx.deps.cluster != nullptr) ctx.deps.cluster->Broadcast(ClusterNotice(*text, MessageData(call.body, "")));
  spdlog::info("admin broadcast{}", LogFields({{"connections", std::to_string(sent)}}));
  call.respond(SuccessResponse("Broadcast completed", codec::JsonObjectWriter()
                                                    .String("message", "Message broadcasted successfully")
                                                    .Integer("clientsReached", static_cast<int64_t>(sent))
                                                    .Finish()));
}

void SetCapacityInStore(Ctx& ctx, const std::string& principal, uint32_t capacity, uint32_t old_capacity,
                        RestRespond respond) {
  ctx.deps.store.SetNodeCapacity(principal, capacity, [&ctx, principal, capacity, old_capacity,
                                                       respond = std::move(respond)](Status st) {
    if (st.code() == Code::kNotFound) {
      respond(ErrorResponse(404, "Client not found"));
      return;
    }
    if (!st.ok()) {
      respond(StoreFailure(st, "Failed to update client capacity"));
      return;
    }
    // A node that registers later gets the stored value at registration.
    const nodes::NodeIndex node = ctx.deps.registry.Find(principal);
    if (node != nodes::kNoNode) {
      ctx.deps.registry.SetCapacity(node, capacity);
      if (ctx.deps.node_changed) ctx.deps.node_changed(node);
    }
    respond(SuccessResponse("Client capacity updated successfully", codec::JsonObjectWriter()
                                                                  .String("user_principal_id", principal)
                                                                  .Integer("oldCapacity", old_capacity)
                                                                  .Integer("newCapacity", capacity)
                                                                  .Bool("isOnline", node != nodes::kNoNode)
                                                                  .Finish()));
  });
}

void SetCapacity(Ctx& ctx, RestCall& call) {
  const std::string principal(call.request.Param("principal"));
  if (principal.size() > ctx.options.rest.principal_bytes_max) {
    call.respond(ErrorResponse(400, "Invalid user principal ID format"));
    return;
  }
  const auto* field = codec::FindField(call.body, "maxConcurrentJobs");
  const auto value = field != nullptr ? codec::NumberOf(*field) : std::nullopt;
  if (!value || *value == 0) {
    call.respond(ErrorResponse(400, "Missing or invalid maxConcurrentJobs"));
    return;
  }
  const uint32_t max = ctx.options.capacity_max;
  if (!(*value >= 1 && *value <= max) || *value != static_cast<double>(static_cast<uint32_t>(*value))) {
    call.respond(ErrorResponse(400, "Failed to update capacity: maxConcurrentJobs must be an integer between 1 and " +
                                  std::to_string(max)));
    return;
  }
  const auto capacity = static_cast<uint32_t>(*value);
  ctx.deps.store.GetNode(principal, [&ctx, principal, capacity,
                                     respond = call.respond](Result<std::optional<store::NodeRecord>> r) {
    if (!r) {
      respond(StoreFailure(r.error(), "Failed to update client capacity"));
    } else if (!r->has_value()) {
      respond(ErrorResponse(404, "Client not found"));
    } else {
      SetCapacityInStore(ctx, principal, capacity, (*r)->max_concurrent_jobs, respond);
    }
  });
}

constexpr RestRoute<Ctx> kNodeRoutes[] = {
    {{"N1", "GET", "/api/node/health", RestAuth::kNone, "Liveness of the node service."}, &Health},
    {{"N2", "GET", "/api/node/stats", RestAuth::kNone, "Fixed description of the node service."}, &Stats},
    {{"N3", "GET", "/api/node/nodes", RestAuth::kAdmin,
      "Node records, a page at a time (?after=, ?limit=; X-Next-After), with `isOnline` from the live registry."},
     &AllNodes},
    {{"N4", "GET", "/api/node/nodes/running", RestAuth::kAdmin,
      "The records of the nodes connected now (live registry), a page at a time (?after=, ?limit=; X-Next-After)."},
     &RunningNodes},
    {{"N5", "GET", "/api/node/user/data", RestAuth::kPrincipalCompat,
      "The caller's balance, today's and total credits, last job reward, live session (a node record is needed)."},
     &UserData},
    {{"N6", "GET", "/api/node/user/uptime", RestAuth::kPrincipalCompat,
      "Total and today's uptime (HH:MM:SS), online now, current session."},
     &UserUptime},
    {{"N7", "GET", "/api/node/user/uptime/detailed", RestAuth::kPrincipalCompat,
      "Uptime per UTC day for `days` (default 7) days back, live session, tiers."},
     &DetailedUptime},
    {{"N8", "GET", "/api/node/user/reward-history", RestAuth::kPrincipalCompat,
      "The caller's job and uptime rewards, newest first (`page`, `limit` 1 to 100)."},
     &RewardHistory},
    {{"N9", "GET", "/api/node/user/reward-history/chart", RestAuth::kPrincipalCompat,
      "The caller's job and uptime rewards per UTC day (`startDate`, `endDate`)."},
     &RewardChart},
    {{"N10", "GET", "/api/node/auth/check", RestAuth::kPrincipalCompat,
      "200 when the principal's node record exists and is Active, else 401."},
     &AuthCheck},
    {{"N11", "POST", "/api/node/rewards/add", RestAuth::kAdmin,
      "Credit SP to a node through the ledger (kind `admin`; `Idempotency-Key` makes a repeat a no-op)."},
     &AddRewards},
    {{"N12", "POST", "/api/node/client/:clientId/message", RestAuth::kAdmin,
      "Send a Notification frame to one live node."},
     &ClientMessage},
    {{"N13", "POST", "/api/node/broadcast", RestAuth::kAdmin,
      "Send a Notification frame to every live node."},
     &Broadcast},
    {{"NX1", "PUT", "/api/node/:principal/capacity", RestAuth::kAdmin,
      "Ours: set a node's `maxConcurrentJobs` (store and live registry)."},
     &SetCapacity},
};

}  // namespace

NodeRoutesOptions NodeRoutesOptions::FromConfig(const Config& config) {
  NodeRoutesOptions o;
  o.rest.admin_token = config.admin_token;
  o.rules = rewards::RulesFromConfig(config.rewards);
  return o;
}

NodeRoutesDeps NodeRoutesDepsFor(const Clock& clock, store::Store& store, nodes::NodeRegistry& registry,
                                 NodeSessions& sessions) {
  return NodeRoutesDeps{
      .clock = clock,
      .store = store,
      .registry = registry,
      .send_to_node = [&sessions](nodes::NodeIndex node, std::string_view text, std::string_view data_json) {
        return sessions.SendToNode(node, text, data_json);
      },
      .send_to_all = [&sessions](std::string_view text, std::string_view data_json) {
        return sessions.SendToAll(text, data_json);
      },
      .last_checkpoint_ms = [&sessions] { return sessions.last_uptime_checkpoint_ms(); },
      .node_changed = [&sessions](nodes::NodeIndex node) { sessions.NodeChanged(node); },
  };
}

std::span<const RestRoute<NodeRoutesContext>> NodeRouteTable() { return kNodeRoutes; }

void AddNodeRoutes(net::Router& router, NodeRoutesDeps deps, NodeRoutesOptions options) {
  auto rest = std::make_shared<const RestOptions>(options.rest);
  auto ctx = std::make_shared<NodeRoutesContext>(NodeRoutesContext{std::move(deps), std::move(options)});
  RegisterRestRoutes<NodeRoutesContext>(router, NodeRouteTable(), std::move(ctx), std::move(rest));
}

std::optional<int64_t> ParseUptimeDays(std::string_view text, int64_t days_max) {
  if (text.empty() || text.size() > 6) return std::nullopt;
  int64_t days = 0;
  for (char c : text) {
    if (c < '0' || c > '9') return std::nullopt;
    days = days * 10 + (c - '0');
  }
  if (days > days_max) return std::nullopt;
  return days;
}

}  // namespace sela::api
