// /api/rpc/system/* (admin): the lease monitor and the live nodes' load
// (rest-api.md §2.3 R20-R26; docs/REST-RPC.md).
#include <cmath>

#include "api/ops_routes.h"
#include "api/rpc_internal.h"
#include "codec/js_json.h"

namespace sela::api::rpc {

// ---- system (admin) --------------------------------------------------------------

void JobTimeoutMonitor(Ctx& ctx, RestCall& call) {
  call.respond(SuccessResponse("Job timeout monitor status retrieved successfully", MonitorJson(ctx)));
}

void TriggerCheck(Ctx& ctx, RestCall& call) {
  ctx.deps.jobs.Tick();
  call.respond(SuccessResponse("Manual timeout check completed",
                         codec::JsonObjectWriter()
                             .String("message", "Timeout check triggered successfully")
                             .String("timestamp", IsoTimestamp(ctx.deps.clock.WallMs()))
                             .Finish()));
}

namespace {
std::string Percent(double v) {
  const double r = std::round(v * 10.0) / 10.0;
  return codec::FormatJsNumber(r) + "%";
}

}  // namespace

void Capacity(Ctx& ctx, RestCall& call) {
  int64_t total = 0, capacity = 0, active = 0, high = 0;
  ctx.deps.registry.ForEach([&](nodes::NodeIndex n) {
    const auto v = ctx.deps.registry.View(n);
    if (!v) return;
    ++total;
    capacity += v->max_concurrent_jobs;
    active += v->active_jobs;
    if (v->max_concurrent_jobs > 0 && v->active_jobs * 100 > v->max_concurrent_jobs * 80) ++high;
  });
  std::string cap = codec::JsonObjectWriter()
                        .Integer("totalClients", total)
                        .Integer("activeClients", total)
                        .Integer("totalCapacity", capacity)
                        .Integer("totalActiveJobs", active)
                        .Integer("totalAvailableCapacity", capacity - active)
                        .String("averageUtilization", Percent(capacity ? 100.0 * active / capacity : 0))
                        .Integer("highUtilizationClients", high)
                        .Finish();
  call.respond(SuccessResponse("System capacity retrieved successfully",
                         codec::JsonObjectWriter()
                             .Raw("capacity", cap)
                             .Raw("jobQueue", JobQueueJson(ctx))
                             .String("timestamp", IsoTimestamp(ctx.deps.clock.WallMs()))
                             .Finish()));
}

namespace {
std::string QueueStatusJson() {
  return R"({"exists":false,"pendingJobs":0,"isProcessing":false,"lastProcessedAt":0,"waitingJobs":0})";
}

}  // namespace

void Clients(Ctx& ctx, RestCall& call) {
  std::string list = "[";
  int64_t total = 0, at_capacity = 0;
  ctx.deps.registry.ForEach([&](nodes::NodeIndex n) {
    const auto v = ctx.deps.registry.View(n);
    if (!v) return;
    ++total;
    if (v->active_jobs >= v->max_concurrent_jobs) ++at_capacity;
    if (list.size() > 1) list += ',';
    const int64_t free = static_cast<int64_t>(v->max_concurrent_jobs) - v->active_jobs;
    list += codec::JsonObjectWriter()
                .String("user_principal_id", v->principal)
                .String("client_id", std::to_string(v->client_id_ms))
                .Integer("activeJobs", v->active_jobs)
                .Integer("maxConcurrentJobs", v->max_concurrent_jobs)
                .Integer("availableCapacity", free < 0 ? 0 : free)
                .String("utilizationRate", Percent(v->max_concurrent_jobs
                                                       ? 100.0 * v->active_jobs / v->max_concurrent_jobs
                                                       : 0))
                .Number("downloadSpeed", v->download_speed)
                .String("clientStatus", "Active")
                .Bool("isOnline", true)
                .Integer("lastSeen", v->last_activity_ms)
                .Raw("queueStatus", QueueStatusJson())
                .Finish();
  });
  list += ']';
  call.respond(SuccessResponse("Clients information retrieved successfully",
                         codec::JsonObjectWriter()
                             .Raw("clients", list)
                             .Raw("summary", codec::JsonObjectWriter()
                                                 .Integer("total", total)
                                                 .Integer("online", total)
                                                 .Integer("active", total)
                                                 .Integer("atCapacity", at_capacity)
                                                 .Finish())
                             .Finish()));
}

void ClientStatusById(Ctx& ctx, RestCall& call) {
  const std::string id(call.request.Param("clientId"));
  std::optional<nodes::NodeView> found;
  ctx.deps.registry.ForEach([&](nodes::NodeIndex n) {
    const auto v = ctx.deps.registry.View(n);
    if (v && !found && std::to_string(v->client_id_ms) == id) found = v;
  });
  if (!found) {
    call.respond(ErrorResponse(404, "Client not found"));
    return;
  }
  const nodes::NodeView& v = *found;
  const int64_t free = static_cast<int64_t>(v.max_concurrent_jobs) - v.active_jobs;
  std::string capacity = codec::JsonObjectWriter()
                             .Integer("activeJobs", v.active_jobs)
                             .Integer("maxConcurrentJobs", v.max_concurrent_jobs)
                             .Integer("availableCapacity", free < 0 ? 0 : free)
                             .Number("utilizationRate",
                                     v.max_concurrent_jobs
                                         ? std::round(1000.0 * v.active_jobs / v.max_concurrent_jobs) / 10.0
                                         : 0)
                             .Bool("isOnline", true)
                             .Bool("isActive", true)
                             .Finish();
  call.respond(SuccessResponse("Client status retrieved successfully",
                         codec::JsonObjectWriter()
                             .String("client_id", id)
                             .String("user_principal_id", v.principal)
                             .Raw("capacity", capacity)
                             .Raw("queue", QueueStatusJson())
                             .Raw("performance", codec::JsonObjectWriter()
                                                     .Number("downloadSpeed", v.download_speed)
                                                     .Number("ping", v.ping_ms)
                                                     .Integer("lastSeen", v.last_activity_ms)
                                                     .Finish())
                             .String("timestamp", IsoTimestamp(ctx.deps.clock.WallMs()))
                             .Finish()));
}

void Queue(Ctx& ctx, RestCall& call) {
  std::string q = JobQueueJson(ctx);
  q.pop_back();
  q += ",\"timestamp\":" + JsonString(IsoTimestamp(ctx.deps.clock.WallMs())) + "}";
  call.respond(SuccessResponse("Job queue status retrieved successfully", q));
}


}  // namespace sela::api::rpc
