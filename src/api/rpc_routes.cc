#include "api/rpc_routes.h"

// GCC 12 at -O3 warns that a moved-from std::expected<std::vector<...>> in a
// std::function argument "may be used uninitialized" (a false positive of
// its inliner, like GCC bug 105562); clang and -O0 builds see nothing.
#if defined(__GNUC__) && !defined(__clang__)
#pragma GCC diagnostic ignored "-Wmaybe-uninitialized"
#endif

#include <spdlog/spdlog.h>

#include <boost/json/parse.hpp>
#include <charconv>
#include <cmath>
#include <memory>

#include "api/ops_routes.h"
#include "api/rpc_internal.h"
#include "auth/api_key.h"
#include "codec/js_json.h"
#include "core/logging.h"
#include "core/points.h"
#include "jobs/result.h"

namespace sela::api::rpc {

namespace json = boost::json;


std::string JsonString(std::string_view text) {
  std::string out;
  codec::AppendJsonString(out, text);
  return out;
}

// JavaScript truthiness of a body field.
bool Truthy(const json::value* v) {
  if (!v || v->is_null()) return false;
  if (v->is_bool()) return v->get_bool();
  if (v->is_string()) return !v->get_string().empty();
  if (v->is_int64()) return v->get_int64() != 0;
  if (v->is_uint64()) return v->get_uint64() != 0;
  if (v->is_double()) return v->get_double() != 0 && !std::isnan(v->get_double());
  return true;  // Objects and arrays.
}

std::optional<double> NumberOf(const json::value* v) {
  if (!v) return std::nullopt;
  if (v->is_int64()) return static_cast<double>(v->get_int64());
  if (v->is_uint64()) return static_cast<double>(v->get_uint64());
  if (v->is_double()) return v->get_double();
  return std::nullopt;
}

// http(s)://host... of visible ASCII: nodes fetch it, so nothing else.
bool IsHttpUrl(std::string_view url, std::size_t max) {
  if (url.size() > max) return false;
  std::string_view rest;
  if (url.starts_with("https://")) {
    rest = url.substr(8);
  } else if (url.starts_with("http://")) {
    rest = url.substr(7);
  } else {
    return false;
  }
  if (rest.empty() || rest.front() == '/') return false;
  for (unsigned char c : url) {
    if (c <= 0x20 || c >= 0x7f) return false;
  }
  return true;
}

// ---- authentication -------------------------------------------------------------

// The API client behind the request's key (rest-api.md §3.3, minus D-15).
void WithClient(Ctx& ctx, RestCall& call, std::function<void(const std::string& uuid)> then) {
  const std::string& hash = call.api_key_hash;
  if (auto it = ctx.key_cache.find(hash); it != ctx.key_cache.end()) {
    then(it->second);
    return;
  }
  ctx.deps.store.FindApiClientByKeyHash(
      hash, [&ctx, hash, respond = call.respond, then = std::move(then)](Result<std::optional<store::ApiClient>> c) {
        if (!c) {
          respond(StoreFailure(c.error(), "Authentication failed"));
          return;
        }
        if (!*c) {
          respond(ErrorResponse(401, "Invalid API key"));
          return;
        }
        if (ctx.key_cache.size() >= ctx.options.key_cache_max) ctx.key_cache.clear();
        ctx.key_cache.emplace(hash, (*c)->uuid);
        then((*c)->uuid);
      });
}

// ---- job views ------------------------------------------------------------------

std::string PricingJson(const store::JobRecord& job) {
  return codec::JsonObjectWriter()
      .Number("price", jobs::PriceFromCents(job.price_cents))
      .Integer("objectsCount", job.objects_count)
      .Integer("fileSizeKB", job.file_size_kb)
      .String("currency", "USDT")
      .Finish();
}

std::string ResultFileName(const store::JobRecord& job) {
  const std::string_view type = job.result_content_type;
  const char* ext = type == "text/html" ? ".html" : type.starts_with("application/json") ? ".json" : ".bin";
  return "scrape_result_" + job.job_id + ext;
}

// A stored result as scrapeUrl returns it: JSON if it parses, else text.
std::string StoredResultJson(const std::string& bytes, bool* is_json) {
  boost::system::error_code ec;
  json::value v = json::parse(bytes, ec);
  *is_json = !ec;
  if (!ec) return codec::StringifyJs(v);
  return JsonString(bytes);
}

void RespondJobRead(Ctx& ctx, const RestRespond& respond, const std::string& uuid, const std::string& job_id,
                    std::function<void(const store::JobRecord&)> then) {
  // No job has an id the store would refuse (too long, blanks): not found,
  // without asking the store (whose refusal would be a 500).
  if (!protocol::v1::ValidateIdText("id", job_id, ctx.options.uuid_bytes_max).ok()) {
    respond(ErrorResponse(404, "Job not found"));
    return;
  }
  ctx.deps.store.GetJob(job_id, [uuid, respond, then = std::move(then)](
                                    Result<std::optional<store::JobRecord>> job) {
    if (!job) {
      respond(StoreFailure(job.error(), "Failed to get job"));
      return;
    }
    // Another customer's job answers exactly as a missing one: job ids are
    // predictable, and a 403 would confirm that the job exists (issue 11).
    if (!*job || (*job)->client_uuid != uuid) {
      respond(ErrorResponse(404, "Job not found"));
      return;
    }
    then(**job);
  });
}

std::string JobQueueJson(Ctx& ctx) {
  const auto& engine = ctx.deps.jobs.engine();
  return codec::JsonObjectWriter()
      .Integer("totalClients", static_cast<int64_t>(engine.live_nodes()))
      .Integer("activeQueues", 0)
      .Integer("totalPendingJobs", static_cast<int64_t>(engine.pending_jobs()))
      .Integer("totalWaitingJobs", static_cast<int64_t>(engine.open_jobs() - engine.pending_jobs()))
      .Raw("clientQueues", "[]")
      .Finish();
}

std::string MonitorJson(Ctx& ctx) {
  return codec::JsonObjectWriter()
      .Bool("isRunning", true)
      .Number("timeoutMinutes", static_cast<double>(ctx.deps.jobs.options().lease_ms) / 60000.0)
      .Integer("checkIntervalMs", 250)
      .Finish();
}

namespace {

// ---- R1, R2 -----------------------------------------------------------------------

void Ping(Ctx&, RestCall& call) { call.respond(SuccessResponse("Server is healthy", R"({"status":"OK"})")); }

void Status(Ctx& ctx, RestCall& call) {
  call.respond(SuccessResponse("Server status retrieved successfully",
                         codec::JsonObjectWriter()
                             .String("server", "OK")
                             .String("timestamp", IsoTimestamp(ctx.deps.clock.WallMs()))
                             .Raw("jobQueue", JobQueueJson(ctx))
                             .Raw("jobTimeoutMonitor", MonitorJson(ctx))
                             .Finish()));
}

// ---- R3, R4, R5 ---------------------------------------------------------------

// A uuid the store would refuse (too long, blanks, control characters) is
// the caller's mistake, answered 400 here rather than 500 from the store.
bool CheckUuid(Ctx& ctx, RestCall& call, std::string_view uuid) {
  if (uuid.size() <= ctx.options.uuid_bytes_max &&
      protocol::v1::ValidateIdText("uuid", uuid, ctx.options.uuid_bytes_max).ok()) {
    return true;
  }
  call.respond(ErrorResponse(400, "Invalid uuid: expected 1 to " + std::to_string(ctx.options.uuid_bytes_max) +
                                      " visible ASCII characters"));
  return false;
}

void GetClientStatus(Ctx& ctx, RestCall& call) {
  bool structured = false;
  auto uuid = QueryString(call.request, "uuid", &structured);
  if (!uuid || structured || uuid->empty()) {
    call.respond(ErrorResponse(400, "Missing Client UUID"));
    return;
  }
  if (!CheckUuid(ctx, call, *uuid)) return;
  // Only the client's own key shows its usage; any other uuid answers as
  // an unknown one (issue 11: usage was anyone's to read).
  WithClient(ctx, call, [&ctx, asked = *uuid, respond = call.respond](const std::string& caller) {
    if (caller != asked) {
      respond(ErrorResponse(404, "API key for Client UUID not found"));
      return;
    }
    ctx.deps.store.GetApiClient(asked, [respond](Result<std::optional<store::ApiClient>> c) {
      if (!c) {
        respond(StoreFailure(c.error(), "Failed to get client status"));
        return;
      }
      if (!*c) {
        respond(ErrorResponse(404, "API key for Client UUID not found"));
        return;
      }
      // The key itself is never shown again (D-1): only usage.
      respond(SuccessResponse("Client status retrieved successfully", codec::JsonObjectWriter()
                                                                     .Integer("totalUsage", (*c)->usage_count)
                                                                     .Integer("usageLimit", (*c)->usage_limit)
                                                                     .Finish()));
    });
  });
}

void GetTotalUsage(Ctx& ctx, RestCall& call) {
  WithClient(ctx, call, [&ctx, respond = call.respond](const std::string& uuid) {
    ctx.deps.store.GetApiClient(uuid, [respond](Result<std::optional<store::ApiClient>> c) {
      if (!c) {
        respond(StoreFailure(c.error(), "Failed to get total usage"));
        return;
      }
      if (!*c) {
        respond(ErrorResponse(404, "Client UUID not found"));
        return;
      }
      respond(SuccessResponse("Total usage retrieved successfully", codec::JsonObjectWriter()
                                                                   .String("clientUUID", (*c)->uuid)
                                                                   .Integer("totalUsage", (*c)->usage_count)
                                                                   .Integer("usageLimit", (*c)->usage_limit)
                                                                   .Finish()));
    });
  });
}

// A time in ms, µs or ns (told apart by magnitude; the original compared
// "µs" input with ms entries, D-16) as ms.
std::optional<int64_t> ParseTimeAsMs(const std::string& text) {
  int64_t v = 0;
  const char* end = text.data() + text.size();
  auto [p, ec] = std::from_chars(text.data(), end, v);
  if (ec != std::errc() || p != end || v < 0) return std::nullopt;
  if (v >= 100'000'000'000'000'000) return v / 1'000'000;  // ns
  if (v >= 100'000'000'000'000) return v / 1'000;           // µs
  return v;
}

void GetUsageInDateRange(Ctx& ctx, RestCall& call) {
  bool s1 = false, s2 = false;
  auto from = QueryString(call.request, "fromDate", &s1);
  auto to = QueryString(call.request, "toDate", &s2);
  if (!from || !to || from->empty() || to->empty()) {
    call.respond(ErrorResponse(400, "Missing required parameters: fromDate and toDate"));
    return;
  }
  auto from_ms = s1 ? std::nullopt : ParseTimeAsMs(*from);
  auto to_ms = s2 ? std::nullopt : ParseTimeAsMs(*to);
  if (!from_ms || !to_ms) {
    call.respond(ErrorResponse(400, "Invalid date format. Expected millisecond, microsecond or nanosecond timestamps"));
    return;
  }
  WithClient(ctx, call, [&ctx, respond = call.respond, f = *from_ms, t = *to_ms](const std::string& uuid) {
    ctx.deps.store.GetUsageLog(uuid, f, t, [respond, uuid, f, t](Result<std::vector<int64_t>> log) {
      if (!log) {
        respond(StoreFailure(log.error(), "Failed to get usage data"));
        return;
      }
      std::string details = "[";
      for (int64_t ts : *log) {
        if (details.size() > 1) details += ',';
        details += codec::JsonObjectWriter().Integer("timestamp", ts).Finish();
      }
      details += ']';
      respond(SuccessResponse("Usage data retrieved successfully",
                        codec::JsonObjectWriter()
                            .String("clientUUID", uuid)
                            .Integer("fromDate", f)
                            .Integer("toDate", t)
                            .Integer("usageCount", static_cast<int64_t>(log->size()))
                            .Raw("usageDetails", details)
                            .Finish()));
    });
  });
}

// ---- R6, R7, R8, R9, R10 --------------------------------------------------------

void GetFileContent(Ctx& ctx, RestCall& call) {
  bool structured = false;
  auto id = QueryString(call.request, "jobID", &structured);
  if (!id || structured || id->empty()) {
    call.respond(ErrorResponse(400, "Missing required parameter: jobID"));
    return;
  }
  WithClient(ctx, call, [&ctx, respond = call.respond, id = *id](const std::string& uuid) {
    RespondJobRead(ctx, respond, uuid, id, [&ctx, respond](const store::JobRecord& job) {
      const int64_t max = ctx.options.result_inline_bytes_max;
      ReadResult(ctx, job, max, [respond, job, max](Result<std::string> bytes) {
        if (!bytes) {
          if (bytes.error().code() == Code::kNotFound) return respond(ErrorResponse(404, "File content not found"));
          if (bytes.error().code() == Code::kResourceExhausted) return respond(ResultTooLargeResponse(job, max));
          return respond(StoreFailure(bytes.error(), "Failed to get file content"));
        }
        respond(SuccessResponse("File content retrieved successfully", "{\"ok\":" + JsonString(*bytes) + "}"));
      });
    });
  });
}

void ListJobs(Ctx& ctx, RestCall& call, bool pending_only) {
  WithClient(ctx, call, [&ctx, respond = call.respond, pending_only](const std::string& uuid) {
    std::optional<store::JobState> state;
    if (pending_only) state = store::JobState::kPending;
    ctx.deps.store.ListClientJobs(
        uuid, state, ctx.options.job_list_max, [respond, pending_only](Result<std::vector<store::JobRecord>> jobs) {
          if (!jobs) {
            respond(StoreFailure(jobs.error(), pending_only ? "Failed to get pending jobs" : "Failed to get jobs"));
            return;
          }
          const std::vector<store::JobRecord> list = std::move(jobs).value();
          std::string data = "[";
          for (const store::JobRecord& j : list) {
            if (data.size() > 1) data += ',';
            data += JobJson(j);
          }
          data += ']';
          respond(SuccessResponse(pending_only ? "Pending jobs retrieved successfully" : "Jobs retrieved successfully",
                            data));
        });
  });
}

void Jobs(Ctx& ctx, RestCall& call) { ListJobs(ctx, call, false); }
void PendingJobs(Ctx& ctx, RestCall& call) { ListJobs(ctx, call, true); }

void JobById(Ctx& ctx, RestCall& call) {
  bool structured = false;
  auto id = QueryString(call.request, "id", &structured);
  if (!id || structured || id->empty()) {
    call.respond(ErrorResponse(400, "Missing id parameter"));
    return;
  }
  WithClient(ctx, call, [&ctx, respond = call.respond, id = *id](const std::string& uuid) {
    RespondJobRead(ctx, respond, uuid, id, [respond](const store::JobRecord& job) {
      respond(SuccessResponse("Job retrieved successfully", JobJson(job)));
    });
  });
}

void DownloadJob(Ctx& ctx, RestCall& call) {
  std::string id(call.request.Param("id"));
  WithClient(ctx, call, [&ctx, request = call.request, respond = call.respond, id](const std::string& uuid) {
    RespondJobRead(ctx, respond, uuid, id, [&ctx, request, respond](const store::JobRecord& job) {
      ServeJobDownload(ctx, request, job, respond, "Failed to download job content");
    });
  });
}

// ---- R11 ---------------------------------------------------------------------

void RegisterClient(Ctx& ctx, RestCall& call) {
  // REGISTER_CLIENT and RATE_REGISTER_CLIENT_PER_SOURCE (rest_guard.h).
  if (RestGuard* guard = ctx.options.rest.guard; guard != nullptr) {
    if (auto refused = guard->AdmitRegisterClient(call.request)) {
      call.respond(std::move(*refused));
      return;
    }
  }
  const json::value* uuid = call.body.if_contains("uuid");
  if (!Truthy(uuid)) {
    call.respond(ErrorResponse(400, "Missing or invalid client_id in request body"));
    return;
  }
  if (!uuid->is_string()) {
    call.respond(ErrorResponse(400, "Invalid uuid: expected 1 to " + std::to_string(ctx.options.uuid_bytes_max) +
                                        " visible ASCII characters"));
    return;
  }
  if (!CheckUuid(ctx, call, uuid->get_string())) return;
  auto key = auth::GenerateApiKey();
  if (!key) {
    call.respond(ErrorFromStatus(key.error(), "Failed to register client"));
    return;
  }
  store::ApiClient client;
  client.uuid = std::string(uuid->get_string());
  client.key_hash = auth::Sha256Hex(*key);
  client.usage_limit = ctx.options.usage_limit;
  client.created_ms = ctx.deps.clock.WallMs();
  ctx.deps.store.RegisterApiClient(
      client, [&ctx, key = *key, respond = call.respond](Result<store::ApiClient> done) {
        if (!done) {
          if (done.error().code() == Code::kAlreadyExists) {
            // A key is handed out once (D-3): whoever asks again gets none.
            respond(ErrorResponse(409, "Client already registered: its API key was issued at registration"));
            return;
          }
          respond(StoreFailure(done.error(), "Failed to register client"));
          return;
        }
        ctx.key_cache.emplace(done->key_hash, done->uuid);
        respond(SuccessResponse("Client registered successfully", codec::JsonObjectWriter()
                                                                 .String("function", "Register")
                                                                 .String("message", "API key generated")
                                                                 .String("apiKey", key)
                                                                 .String("status", "OK")
                                                                 .Finish()));
      });
}


}  // namespace
}  // namespace sela::api::rpc

namespace sela::api {

namespace {

using namespace rpc;

using R = RestRoute<Ctx>;

const R kRpcRoutes[] = {
    {{"R1", "GET", "/api/rpc/ping", RestAuth::kNone, "Liveness of the API."}, &Ping},
    {{"R2", "GET", "/api/rpc/status", RestAuth::kNone, "Job queue figures (no principals)."}, &Status},
    {{"R3", "GET", "/api/rpc/getClientStatus", RestAuth::kApiKey,
      "Usage and limit of the caller's own API client by uuid; never the key."},
     &GetClientStatus},
    {{"R4", "GET", "/api/rpc/getTotalUsage", RestAuth::kApiKey, "The caller's usage and limit."}, &GetTotalUsage},
    {{"R5", "GET", "/api/rpc/getUsageInDateRange", RestAuth::kApiKey,
      "The caller's usages between fromDate and toDate (ms, µs or ns)."},
     &GetUsageInDateRange},
    {{"R6", "GET", "/api/rpc/getFileContent", RestAuth::kApiKey, "A job's result as a string in {ok}."},
     &GetFileContent},
    {{"R7", "GET", "/api/rpc/jobs", RestAuth::kApiKey, "Jobs the caller created, oldest first."}, &Jobs},
    {{"R8", "GET", "/api/rpc/pendingJobs", RestAuth::kApiKey, "The caller's pending jobs."}, &PendingJobs},
    {{"R9", "GET", "/api/rpc/job/id", RestAuth::kApiKey, "One of the caller's jobs (?id=)."}, &JobById},
    {{"R10", "GET", "/api/rpc/job/:id/download", RestAuth::kApiKey, "A job's result as a download."},
     &DownloadJob},
    {{"R11", "POST", "/api/rpc/registerClient", RestAuth::kNone,
      "Creates an API client and returns its key, once."},
     &RegisterClient},
    {{"R12", "POST", "/api/rpc/addJob", RestAuth::kApiKey,
      "Creates a job and returns its id at once; it is delivered to a node."},
     &AddJob},
    {{"R13", "POST", "/api/rpc/scrapeUrl", RestAuth::kApiKey,
      "Creates a job and waits for its result (timeoutMs, at most SCRAPE_TIMEOUT_MAX_MS)."},
     &ScrapeUrl},
    {{"RC1", "POST", "/api/rpc/cancelJob", RestAuth::kApiKey,
      "Ours: cancels one of the caller's pending or ongoing jobs ({jobId}); it fails as cancelled."},
     &CancelJob},
    {{"RC2", "POST", "/api/rpc/admin/cancelJob", RestAuth::kAdmin,
      "Ours: an operator cancels any pending or ongoing job ({jobId})."},
     &AdminCancelJob},
    {{"R14", "GET", "/api/rpc/marketplace/list-jobs", RestAuth::kNone,
      "Completed jobs their customers chose to list (?limit=, ?offset=, ?search=, ?sort=)."},
     &MarketList},
    {{"R15", "GET", "/api/rpc/marketplace/job/:job_id/details", RestAuth::kNone,
      "A listed job (or the caller's own) with a preview of its result."},
     &MarketDetails},
    {{"R16", "GET", "/api/rpc/marketplace/job/:job_id/download", RestAuth::kApiKey,
      "A listed job's result, once bought (or the caller's own), with Range and ETag."},
     &MarketDownload},
    {{"R17", "GET", "/api/rpc/marketplace/stats", RestAuth::kNone, "Figures over the listed jobs."},
     &MarketStatsRoute},
    {{"R18", "POST", "/api/rpc/marketplace/calculate-retroactive-pricing", RestAuth::kAdmin,
      "Pricing of old jobs.", "pricing is computed at completion; nothing is retroactive"}},
    {{"R19", "POST", "/api/rpc/marketplace/store-purchase", RestAuth::kApiKey,
      "Buys a listed job at its price, once (a repeat changes nothing)."},
     &MarketPurchase},
    {{"RM1", "PUT", "/api/rpc/marketplace/job/:job_id/listing", RestAuth::kApiKey,
      "Ours: lists or unlists one of the caller's jobs ({listed})."},
     &MarketSetListed},
    {{"RM2", "PUT", "/api/rpc/marketplace/listing-default", RestAuth::kApiKey,
      "Ours: whether the caller's new jobs are listed when addJob or scrapeUrl does not say ({listed})."},
     &MarketSetDefault},
    {{"R20", "GET", "/api/rpc/system/job-timeout-monitor", RestAuth::kAdmin, "Lease monitor status."},
     &JobTimeoutMonitor},
    {{"R21", "POST", "/api/rpc/system/job-timeout-monitor/trigger-check", RestAuth::kAdmin,
      "Runs the lease and deadline check now."},
     &TriggerCheck},
    {{"R22", "GET", "/api/rpc/system/capacity", RestAuth::kAdmin, "Capacity of the live nodes."}, &Capacity},
    {{"R23", "GET", "/api/rpc/system/clients", RestAuth::kAdmin, "The live nodes and their load."}, &Clients},
    {{"R24", "GET", "/api/rpc/system/client/:clientId/status", RestAuth::kAdmin, "One live node by clientId."},
     &ClientStatusById},
    {{"R25", "POST", "/api/rpc/system/client/:clientId/capacity", RestAuth::kAdmin, "Node capacity.",
      "use PUT /api/node/client/:principal/capacity"}},
    {{"R26", "GET", "/api/rpc/system/queue", RestAuth::kAdmin, "Job queue figures."}, &Queue},
    {{"R27", "DELETE", "/api/rpc/system/client/:clientId/queue", RestAuth::kAdmin, "Clear a node's queue.",
      "there are no per-node queues: leases end when a node leaves"}},
    {{"R28", "POST", "/api/rpc/admin/cleanup-old-jobs", RestAuth::kAdmin, "Delete old jobs.",
      "job retention is not decided yet"}},
    {{"R29", "GET", "/api/rpc/admin/api-keys-created", RestAuth::kAdmin, "Keys created since a date.",
      "keys are stored only as hashes (reference D-1)"}},
    {{"R30", "GET", "/api/rpc/admin/jobs-stats", RestAuth::kAdmin, "Job statistics.", "not built yet"}},
};

}  // namespace

std::string JobJson(const store::JobRecord& job) {
  codec::JsonObjectWriter w;
  w.String("clientUUID", job.client_uuid)
      .String("storedID", job.result_hash)
      .String("jobType", job.job_type)
      .String("target", job.target)
      .String("state", store::JobStateName(job.state))
      .String("user_principal_id", rpc::kNodeHidden)
      .Number("reward", Sp(job.reward_units))
      .String("jobID", job.job_id)
      .Integer("assignedAt", job.assigned_ms)
      .Integer("completeAt", job.complete_ms)
      .Integer("job_views", 0)
      .Integer("job_downloads", 0)
      .Integer("attempts", job.attempt)
      .Bool("listed", job.listed);
  if (!job.result_file_id.empty()) w.String("resultFileId", job.result_file_id);
  if (job.state == store::JobState::kCompleted) {
    w.Number("price", jobs::PriceFromCents(job.price_cents))
        .Integer("objectsCount", job.objects_count)
        .Integer("fileSizeKB", job.file_size_kb);
  }
  if (job.state == store::JobState::kFailed) w.String("error", job.error);
  return w.Finish();
}

RpcRoutesOptions RpcRoutesOptions::FromConfig(const Config& config) {
  RpcRoutesOptions o;
  o.rest.admin_token = config.admin_token;
  o.usage_limit = static_cast<int64_t>(std::min<uint64_t>(config.usage_limit, INT64_MAX));
  o.scrape_timeout_max_ms = config.jobs.scrape_timeout_max_ms;
  o.result_inline_bytes_max = static_cast<int64_t>(config.files.result_inline_bytes_max);
  o.allow_private_urls = config.security.allow_private_urls;
  return o;
}

std::span<const RestRoute<RpcRoutesContext>> RpcRouteTable() { return kRpcRoutes; }

void AddRpcRoutes(net::Router& router, RpcRoutesDeps deps, RpcRoutesOptions options) {
  auto rest = std::make_shared<const RestOptions>(options.rest);
  auto ctx = std::make_shared<RpcRoutesContext>(RpcRoutesContext{deps, std::move(options), {}});
  RegisterRestRoutes<RpcRoutesContext>(router, kRpcRoutes, ctx, rest);
}

}  // namespace sela::api
