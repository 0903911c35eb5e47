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
#include "auth/api_key.h"
#include "codec/js_json.h"
#include "core/logging.h"
#include "jobs/result.h"

namespace sela::api {

namespace {

using Ctx = RpcRoutesContext;
namespace json = boost::json;

constexpr std::string_view kForbiddenJob = "Access denied: Job does not belong to authenticated user";
constexpr std::string_view kEmptyMessage = "Scraping completed but returned empty results - no data found";

std::string JsonString(std::string_view text) {
  std::string out;
  codec::AppendJsonString(out, text);
  return out;
}

double Sp(int64_t units) { return static_cast<double>(units) / 1e8; }

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

// The synchronous half of WithClient: a well-formed Authorization header.
// False (and answered 401) without one.
bool PrecheckKey(RestCall& call) {
  if (!call.request.HasHeader("Authorization")) {
    call.respond(E1Error(401, "Missing Authorization header"));
    return false;
  }
  if (!auth::ApiKeyFromHeader(call.request.Header("Authorization"))) {
    call.respond(E1Error(401, "Invalid Authorization header format. Expected: \"Bearer <api_key>\" or "
                              "\"ApiKey <api_key>\" or just the API key"));
    return false;
  }
  return true;
}

// The API client behind the request's key (rest-api.md §3.3, minus D-15).
void WithClient(Ctx& ctx, RestCall& call, std::function<void(const std::string& uuid)> then) {
  if (!call.request.HasHeader("Authorization")) {
    call.respond(E1Error(401, "Missing Authorization header"));
    return;
  }
  auto key = auth::ApiKeyFromHeader(call.request.Header("Authorization"));
  if (!key) {
    call.respond(E1Error(401, "Invalid Authorization header format. Expected: \"Bearer <api_key>\" or "
                              "\"ApiKey <api_key>\" or just the API key"));
    return;
  }
  std::string hash = auth::Sha256Hex(*key);
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
          respond(E1Error(401, "Invalid API key"));
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
  return "scrape_result_" + job.job_id + (job.result_content_type == "text/html" ? ".html" : ".json");
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
  ctx.deps.store.GetJob(job_id, [uuid, respond, then = std::move(then)](
                                    Result<std::optional<store::JobRecord>> job) {
    if (!job) {
      respond(StoreFailure(job.error(), "Failed to get job"));
      return;
    }
    if (!*job) {
      respond(E1Error(404, "Job not found"));
      return;
    }
    if ((*job)->client_uuid != uuid) {
      respond(E1Error(403, kForbiddenJob));
      return;
    }
    then(**job);
  });
}

// ---- R1, R2 -----------------------------------------------------------------------

void Ping(Ctx&, RestCall& call) { call.respond(E1Success("Server is healthy", R"({"status":"OK"})")); }

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

void Status(Ctx& ctx, RestCall& call) {
  call.respond(E1Success("Server status retrieved successfully",
                         codec::JsonObjectWriter()
                             .String("server", "OK")
                             .String("timestamp", IsoTimestamp(ctx.deps.clock.WallMs()))
                             .Raw("jobQueue", JobQueueJson(ctx))
                             .Raw("jobTimeoutMonitor", MonitorJson(ctx))
                             .Finish()));
}

// ---- R3, R4, R5 ---------------------------------------------------------------

void GetClientStatus(Ctx& ctx, RestCall& call) {
  bool structured = false;
  auto uuid = QueryString(call.request, "uuid", &structured);
  if (!uuid || structured || uuid->empty()) {
    call.respond(E1Error(400, "Missing Client UUID"));
    return;
  }
  ctx.deps.store.GetApiClient(*uuid, [respond = call.respond](Result<std::optional<store::ApiClient>> c) {
    if (!c) {
      respond(StoreFailure(c.error(), "Failed to get client status"));
      return;
    }
    if (!*c) {
      respond(E1Error(404, "API key for Client UUID not found"));
      return;
    }
    // The key itself is never shown again (D-1): only usage.
    respond(E1Success("Client status retrieved successfully", codec::JsonObjectWriter()
                                                                   .Integer("totalUsage", (*c)->usage_count)
                                                                   .Integer("usageLimit", (*c)->usage_limit)
                                                                   .Finish()));
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
        respond(E1Error(404, "Client UUID not found"));
        return;
      }
      respond(E1Success("Total usage retrieved successfully", codec::JsonObjectWriter()
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
    call.respond(E1Error(400, "Missing required parameters: fromDate and toDate"));
    return;
  }
  auto from_ms = s1 ? std::nullopt : ParseTimeAsMs(*from);
  auto to_ms = s2 ? std::nullopt : ParseTimeAsMs(*to);
  if (!from_ms || !to_ms) {
    call.respond(E1Error(400, "Invalid date format. Expected millisecond, microsecond or nanosecond timestamps"));
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
      respond(E1Success("Usage data retrieved successfully",
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
    call.respond(E1Error(400, "Missing required parameter: jobID"));
    return;
  }
  WithClient(ctx, call, [&ctx, respond = call.respond, id = *id](const std::string& uuid) {
    RespondJobRead(ctx, respond, uuid, id, [&ctx, respond](const store::JobRecord& job) {
      if (job.state != store::JobState::kCompleted || job.result_hash.empty()) {
        respond(E1Error(404, "File content not found"));
        return;
      }
      ctx.deps.store.GetBlob(job.result_hash, [respond](Result<std::optional<std::string>> blob) {
        if (!blob) {
          respond(StoreFailure(blob.error(), "Failed to get file content"));
          return;
        }
        if (!*blob) {
          respond(E1Error(404, "File content not found"));
          return;
        }
        respond(E1Success("File content retrieved successfully", "{\"ok\":" + JsonString(**blob) + "}"));
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
          respond(E1Success(pending_only ? "Pending jobs retrieved successfully" : "Jobs retrieved successfully",
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
    call.respond(E1Error(400, "Missing id parameter"));
    return;
  }
  WithClient(ctx, call, [&ctx, respond = call.respond, id = *id](const std::string& uuid) {
    RespondJobRead(ctx, respond, uuid, id, [respond](const store::JobRecord& job) {
      respond(E1Success("Job retrieved successfully", JobJson(job)));
    });
  });
}

void DownloadJob(Ctx& ctx, RestCall& call) {
  std::string id(call.request.Param("id"));
  WithClient(ctx, call, [&ctx, respond = call.respond, id](const std::string& uuid) {
    RespondJobRead(ctx, respond, uuid, id, [&ctx, respond](const store::JobRecord& job) {
      if (job.state != store::JobState::kCompleted || job.result_hash.empty()) {
        respond(E1Error(404, "File not found"));
        return;
      }
      ctx.deps.store.GetBlob(job.result_hash, [respond, job](Result<std::optional<std::string>> blob) {
        if (!blob) {
          respond(StoreFailure(blob.error(), "Failed to download job content"));
          return;
        }
        if (!*blob) {
          respond(E1Error(404, "File not found"));
          return;
        }
        net::HttpResponse r;
        r.status = 200;
        r.content_type = job.result_content_type.empty() ? "application/octet-stream" : job.result_content_type;
        // Job ids are visible ASCII of our own making, so the name needs no
        // escaping (D-29 came from user-chosen names).
        r.headers.emplace_back("Content-Disposition", "attachment; filename=\"" + ResultFileName(job) + "\"");
        r.body = std::move(**blob);
        respond(std::move(r));
      });
    });
  });
}

// ---- R11 ---------------------------------------------------------------------

void RegisterClient(Ctx& ctx, RestCall& call) {
  const json::value* uuid = call.body.if_contains("uuid");
  if (!Truthy(uuid)) {
    call.respond(E1Error(400, "Missing or invalid client_id in request body"));
    return;
  }
  if (!uuid->is_string() || uuid->get_string().size() > ctx.options.uuid_bytes_max ||
      !protocol::v1::ValidateIdText("uuid", uuid->get_string(), ctx.options.uuid_bytes_max).ok()) {
    call.respond(E1Error(400, "Invalid uuid: expected 1 to " + std::to_string(ctx.options.uuid_bytes_max) +
                                  " visible ASCII characters"));
    return;
  }
  auto key = auth::GenerateApiKey();
  if (!key) {
    call.respond(StoreFailure(key.error(), "Failed to register client"));
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
            respond(E1Error(409, "Client already registered: its API key was issued at registration"));
            return;
          }
          respond(StoreFailure(done.error(), "Failed to register client"));
          return;
        }
        ctx.key_cache.emplace(done->key_hash, done->uuid);
        respond(E1Success("Client registered successfully", codec::JsonObjectWriter()
                                                                 .String("function", "Register")
                                                                 .String("message", "API key generated")
                                                                 .String("apiKey", key)
                                                                 .String("status", "OK")
                                                                 .Finish()));
      });
}

// ---- R12, R13 ------------------------------------------------------------------

// Fills the idempotency fields from the request. False (and responded) when
// the key is malformed.
bool ReadIdempotency(Ctx& ctx, RestCall& call, store::CreateJobRequest& request) {
  if (!call.request.HasHeader("Idempotency-Key")) return true;
  std::string_view key = call.request.Header("Idempotency-Key");
  if (!protocol::v1::ValidateIdText("Idempotency-Key", key, ctx.options.idempotency_key_bytes_max).ok()) {
    call.respond(E1Error(400, "Invalid Idempotency-Key: expected 1 to " +
                                  std::to_string(ctx.options.idempotency_key_bytes_max) +
                                  " visible ASCII characters"));
    return false;
  }
  request.idempotency_key = std::string(key);
  std::string lower_path = call.request.path;
  for (char& c : lower_path) c = static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
  while (lower_path.size() > 1 && lower_path.back() == '/') lower_path.pop_back();
  request.request_hash = auth::Sha256Hex(lower_path + "\n" + call.request.body);
  return true;
}

// The job kind and URL checks shared by addJob and scrapeUrl.
bool CheckKindAndUrl(Ctx& ctx, RestCall& call, std::string_view kind, std::string_view url) {
  if (!ctx.deps.jobs.IsKind(kind)) {
    call.respond(E1Error(400, "Unsupported scrapeType: " + std::string(kind).substr(0, 64) +
                                  ". Supported types: " + ctx.deps.jobs.KindList()));
    return false;
  }
  if (!IsHttpUrl(url, ctx.options.url_bytes_max)) {
    call.respond(E1Error(400, "url must be an http or https URL of at most " +
                                  std::to_string(ctx.options.url_bytes_max) + " characters"));
    return false;
  }
  return true;
}

// A failed Submit, as an HTTP answer.
net::HttpResponse SubmitFailure(const sela::Status& st, std::string_view route_message) {
  switch (st.code()) {
    case Code::kResourceExhausted:
      return E1Error(429, "Rate limit exceeded");
    case Code::kConflict:
      return E1Error(409, "Idempotency-Key was already used with a different request");
    case Code::kInvalidArgument:
      return E1Error(401, "Invalid API key");
    default:
      return StoreFailure(st, route_message);
  }
}

void AddJob(Ctx& ctx, RestCall& call) {
  if (!PrecheckKey(call)) return;
  const json::value* url = call.body.if_contains("url");
  const json::value* kind = call.body.if_contains("scrapeType");
  if (!Truthy(url) || !Truthy(kind)) {
    call.respond(E1Error(400, "Missing or invalid url or scrapeType in request body"));
    return;
  }
  if (!url->is_string() || !kind->is_string()) {
    call.respond(E1Error(400, "url and scrapeType must be strings"));
    return;
  }
  if (!CheckKindAndUrl(ctx, call, kind->get_string(), url->get_string())) return;
  auto request = std::make_shared<store::CreateJobRequest>();
  request->job.job_type = std::string(kind->get_string());
  request->job.target = std::string(url->get_string());
  request->charge_usage = true;
  if (!ReadIdempotency(ctx, call, *request)) return;
  WithClient(ctx, call, [&ctx, request, respond = call.respond](const std::string& uuid) {
    request->job.client_uuid = uuid;
    ctx.deps.jobs.Submit(std::move(*request), [respond](Result<store::CreateJobOutcome> outcome) {
      if (!outcome) {
        respond(SubmitFailure(outcome.error(), "Failed to add job"));
        return;
      }
      respond(E1Success("Job added successfully", codec::JsonObjectWriter()
                                                       .String("jobId", outcome->job.job_id)
                                                       .String("message", "Job successfully added")
                                                       .Finish()));
    });
  });
}

struct ScrapeCall {
  RestRespond respond;
  std::string url;
  std::string kind;
  int64_t timeout_ms = 0;
  MonoTime started;
};

net::HttpResponse ScrapeEmptyResponse(const store::JobRecord& job, int64_t now_ms, const ScrapeCall& sc,
                                      std::optional<int64_t> elapsed_ms) {
  codec::JsonObjectWriter w;
  w.String("function", "ScrapeEmpty")
      .String("message", kEmptyMessage)
      .String("jobId", job.job_id)
      .String("url", sc.url)
      .String("scrapeType", sc.kind)
      .String("user_principal_id", job.node_principal)
      .String("client_id", job.node_client_id)
      .String("state", "failed")
      .String("error", "NO_DATA_FOUND")
      .Integer("timestamp", now_ms);
  if (elapsed_ms) w.Integer("elapsedTimeMs", *elapsed_ms);
  net::HttpResponse r = E1Success("Scraping returned empty results", w.Finish());
  r.status = 422;
  // E1 error envelope: success false.
  r.body.replace(0, std::string_view(R"({"success":true)").size(), R"({"success":false)");
  return r;
}

net::HttpResponse ScrapeFailedResponse(const store::JobRecord& job, const std::string& error, const ScrapeCall& sc,
                                       int64_t elapsed_ms) {
  std::string data = codec::JsonObjectWriter()
                         .String("jobId", job.job_id)
                         .String("url", sc.url)
                         .String("scrapeType", sc.kind)
                         .Integer("timeoutMs", sc.timeout_ms)
                         .Integer("elapsedTimeMs", elapsed_ms)
                         .Integer("elapsedMinutes", (elapsed_ms + 30'000) / 60'000)
                         .Finish();
  net::HttpResponse r = E1Success("Scraping failed: " + error, data);
  r.status = 408;
  r.body.replace(0, std::string_view(R"({"success":true)").size(), R"({"success":false)");
  return r;
}

net::HttpResponse ScrapeSuccessResponse(const store::JobRecord& job, std::string_view result_json,
                                        std::string_view analysis_json, std::string_view source,
                                        std::string_view message) {
  return E1Success("URL scraping completed successfully",
                   codec::JsonObjectWriter()
                       .String("function", "ScrapeComplete")
                       .String("message", message)
                       .String("jobId", job.job_id)
                       .String("url", job.target)
                       .String("scrapeType", job.job_type)
                       .Raw("result", result_json)
                       .String("user_principal_id", job.node_principal)
                       .String("client_id", job.node_client_id)
                       .String("state", "completed")
                       .String("status", "OK")
                       .Integer("completedAt", job.complete_ms)
                       .String("resultSource", source)
                       .Raw("pricing", PricingJson(job))
                       .Raw("contentAnalysis", analysis_json)
                       .Finish());
}

int64_t ElapsedMs(Ctx& ctx, const ScrapeCall& sc) {
  return std::chrono::duration_cast<Millis>(ctx.deps.clock.Now() - sc.started).count();
}

// Answers from a job that has ended (read from the store).
void AnswerFromStore(Ctx& ctx, std::shared_ptr<ScrapeCall> sc, const store::JobRecord& job) {
  const int64_t now_ms = ctx.deps.clock.WallMs();
  if (job.state == store::JobState::kFailed) {
    if (job.error.find("empty results") != std::string::npos) {
      sc->respond(ScrapeEmptyResponse(job, now_ms, *sc, ElapsedMs(ctx, *sc)));
    } else {
      sc->respond(ScrapeFailedResponse(job, job.error, *sc, ElapsedMs(ctx, *sc)));
    }
    return;
  }
  ctx.deps.store.GetBlob(job.result_hash, [sc, job](Result<std::optional<std::string>> blob) {
    if (!blob || !*blob) {
      sc->respond(blob ? E1Error(500, "Failed to scrape URL") : StoreFailure(blob.error(), "Failed to scrape URL"));
      return;
    }
    bool is_json = false;
    const std::string result = StoredResultJson(**blob, &is_json);
    json::value content = is_json ? json::parse(**blob) : json::value(json::string(**blob));
    sc->respond(ScrapeSuccessResponse(job, result,
                                      jobs::ContentAnalysisJson(content, static_cast<int64_t>((*blob)->size())),
                                      "stored_file", "URL scraped successfully (from stored file)"));
  });
}

void AwaitScrape(Ctx& ctx, std::shared_ptr<ScrapeCall> sc, const store::JobRecord& created) {
  const bool waiting = ctx.deps.jobs.Wait(created.job_id, [&ctx, sc](const JobOutcome& o) {
    const int64_t now_ms = ctx.deps.clock.WallMs();
    switch (o.kind) {
      case JobOutcome::Kind::kCompleted: {
        // A non-string result was stored as exactly this JSON.
        const std::string result =
            o.stored && !o.content->is_string() ? *o.stored : codec::StringifyJs(*o.content);
        sc->respond(ScrapeSuccessResponse(o.job, result, jobs::ContentAnalysisJson(*o.content, o.job.result_bytes),
                                          "job_result", "URL scraped successfully"));
        return;
      }
      case JobOutcome::Kind::kEmpty:
        sc->respond(ScrapeEmptyResponse(o.job, now_ms, *sc, std::nullopt));
        return;
      case JobOutcome::Kind::kInterrupted: {
        // The job is kept and runs after the restart: the caller can read it
        // with job/id. 503 says "try again later", not "it failed".
        net::HttpResponse r = E1Error(503, "Server restarting: the job continues, read it with /api/rpc/job/id");
        r.body = codec::JsonObjectWriter()
                     .Bool("success", false)
                     .String("message", "Server restarting: the job continues, read it with /api/rpc/job/id")
                     .Raw("data", codec::JsonObjectWriter()
                                      .String("jobId", o.job.job_id)
                                      .String("url", sc->url)
                                      .String("scrapeType", sc->kind)
                                      .Finish())
                     .Finish();
        r.headers.emplace_back("Retry-After", "5");
        sc->respond(std::move(r));
        return;
      }
      case JobOutcome::Kind::kFailed:
        if (o.error == "completed") {
          // Lost a race with the result: read what was stored.
          ctx.deps.store.GetJob(o.job.job_id, [&ctx, sc](Result<std::optional<store::JobRecord>> job) {
            if (!job || !*job) {
              sc->respond(E1Error(500, "Failed to scrape URL"));
              return;
            }
            AnswerFromStore(ctx, sc, **job);
          });
          return;
        }
        sc->respond(ScrapeFailedResponse(o.job, o.error, *sc, ElapsedMs(ctx, *sc)));
        return;
    }
  });
  if (waiting) return;
  // Not open here: it ended already (an idempotent repeat), read it back.
  ctx.deps.store.GetJob(created.job_id, [&ctx, sc](Result<std::optional<store::JobRecord>> job) {
    if (!job || !*job) {
      sc->respond(job ? E1Error(500, "Failed to scrape URL") : StoreFailure(job.error(), "Failed to scrape URL"));
      return;
    }
    if ((*job)->state == store::JobState::kPending || (*job)->state == store::JobState::kOngoing) {
      // Open in the store but not here: held by another process.
      sc->respond(E1Error(409, "The job of this Idempotency-Key is still running"));
      return;
    }
    AnswerFromStore(ctx, sc, **job);
  });
}

void ScrapeUrl(Ctx& ctx, RestCall& call) {
  if (!PrecheckKey(call)) return;
  const json::object& b = call.body;
  const json::value* url = b.if_contains("url");
  const json::value* kind = b.if_contains("scrapeType");
  if (!Truthy(url)) return call.respond(E1Error(400, "Missing required field: url"));
  if (!Truthy(kind)) return call.respond(E1Error(400, "Missing required field: scrapeType"));
  if (!url->is_string()) return call.respond(E1Error(400, "url must be a string"));
  if (!kind->is_string()) return call.respond(E1Error(400, "scrapeType must be a string"));
  int64_t timeout_ms = ctx.options.scrape_timeout_default_ms;
  if (const json::value* t = b.if_contains("timeoutMs"); t && !t->is_null()) {
    auto n = NumberOf(t);
    if (!n || !(*n >= 1000)) return call.respond(E1Error(400, "timeoutMs must be a number >= 1000 (1 second)"));
    if (*n > static_cast<double>(ctx.options.scrape_timeout_max_ms)) {
      return call.respond(E1Error(400, "timeoutMs must be at most " + std::to_string(ctx.options.scrape_timeout_max_ms) +
                                           " (" + std::to_string(ctx.options.scrape_timeout_max_ms / 60'000) +
                                           " minutes)"));
    }
    timeout_ms = static_cast<int64_t>(*n);
  }
  // principalId: that node only. As the original, it must be online with a
  // free slot now (else 400); should it fill up or drop meanwhile, the job
  // waits for it, within timeoutMs.
  std::string target;
  if (const json::value* p = b.if_contains("principalId"); Truthy(p)) {
    if (!p->is_string() ||
        !protocol::v1::ValidateIdText("principalId", p->get_string(), ctx.options.uuid_bytes_max).ok()) {
      return call.respond(E1Error(400, "principalId must be a node's principal"));
    }
    target = std::string(p->get_string());
  }
  int64_t counts[3] = {0, 0, 0};
  static constexpr std::string_view kCounts[3] = {"postCount", "replyCount", "scrollPauseTime"};
  for (int i = 0; i < 3; ++i) {
    const json::value* v = b.if_contains(kCounts[i]);
    if (!v || v->is_null()) continue;
    auto n = NumberOf(v);
    if (!n || !(*n >= 0) || *n > 1e9) {
      return call.respond(E1Error(400, std::string(kCounts[i]) + " must be a non-negative number"));
    }
    counts[i] = static_cast<int64_t>(*n);
  }
  if (!CheckKindAndUrl(ctx, call, kind->get_string(), url->get_string())) return;
  if (!target.empty()) {
    const nodes::NodeIndex node = ctx.deps.registry.Find(target);
    const auto view = ctx.deps.registry.View(node);
    if (!view || view->active_jobs >= view->max_concurrent_jobs) {
      return call.respond(E1Error(400, "Failed to find optimal node for assignment"));
    }
  }
  auto request = std::make_shared<store::CreateJobRequest>();
  request->job.job_type = std::string(kind->get_string());
  request->job.target = std::string(url->get_string());
  request->job.target_node = std::move(target);
  request->job.post_count = counts[0];
  request->job.replies_count = counts[1];
  request->job.scroll_pause_ms = counts[2];
  request->job.sync = true;
  request->job.deadline_ms = timeout_ms;  // Relative; Submit makes it absolute.
  request->charge_usage = true;
  if (!ReadIdempotency(ctx, call, *request)) return;
  auto sc = std::make_shared<ScrapeCall>();
  sc->respond = call.respond;
  sc->url = request->job.target;
  sc->kind = request->job.job_type;
  sc->timeout_ms = timeout_ms;
  sc->started = ctx.deps.clock.Now();
  WithClient(ctx, call, [&ctx, request, sc](const std::string& uuid) {
    request->job.client_uuid = uuid;
    ctx.deps.jobs.Submit(std::move(*request), [&ctx, sc](Result<store::CreateJobOutcome> outcome) {
      if (!outcome) {
        sc->respond(SubmitFailure(outcome.error(), "Failed to scrape URL"));
        return;
      }
      AwaitScrape(ctx, sc, outcome->job);
    });
  });
}

// ---- system (admin) --------------------------------------------------------------

void JobTimeoutMonitor(Ctx& ctx, RestCall& call) {
  call.respond(E1Success("Job timeout monitor status retrieved successfully", MonitorJson(ctx)));
}

void TriggerCheck(Ctx& ctx, RestCall& call) {
  ctx.deps.jobs.Tick();
  call.respond(E1Success("Manual timeout check completed",
                         codec::JsonObjectWriter()
                             .String("message", "Timeout check triggered successfully")
                             .String("timestamp", IsoTimestamp(ctx.deps.clock.WallMs()))
                             .Finish()));
}

std::string Percent(double v) {
  const double r = std::round(v * 10.0) / 10.0;
  return codec::FormatJsNumber(r) + "%";
}

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
  call.respond(E1Success("System capacity retrieved successfully",
                         codec::JsonObjectWriter()
                             .Raw("capacity", cap)
                             .Raw("jobQueue", JobQueueJson(ctx))
                             .String("timestamp", IsoTimestamp(ctx.deps.clock.WallMs()))
                             .Finish()));
}

std::string QueueStatusJson() {
  return R"({"exists":false,"pendingJobs":0,"isProcessing":false,"lastProcessedAt":0,"waitingJobs":0})";
}

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
  call.respond(E1Success("Clients information retrieved successfully",
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
    call.respond(E1Error(404, "Client not found"));
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
  call.respond(E1Success("Client status retrieved successfully",
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
  call.respond(E1Success("Job queue status retrieved successfully", q));
}

using R = RestRoute<Ctx>;
constexpr std::string_view kMarketplace = "the marketplace needs a product decision (reference D-8)";

const R kRpcRoutes[] = {
    {{"R1", "GET", "/api/rpc/ping", RestAuth::kNone, "Liveness of the API."}, &Ping},
    {{"R2", "GET", "/api/rpc/status", RestAuth::kNone, "Job queue figures (no principals)."}, &Status},
    {{"R3", "GET", "/api/rpc/getClientStatus", RestAuth::kNone,
      "Usage and limit of an API client by uuid; never the key."},
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
    {{"R14", "GET", "/api/rpc/marketplace/list-jobs", RestAuth::kNone, "Marketplace listing.", kMarketplace}},
    {{"R15", "GET", "/api/rpc/marketplace/job/:job_id/details", RestAuth::kNone, "Marketplace job details.",
      kMarketplace}},
    {{"R16", "GET", "/api/rpc/marketplace/job/:job_id/download", RestAuth::kApiKey, "Marketplace download.",
      kMarketplace}},
    {{"R17", "GET", "/api/rpc/marketplace/stats", RestAuth::kNone, "Marketplace statistics.", kMarketplace}},
    {{"R18", "POST", "/api/rpc/marketplace/calculate-retroactive-pricing", RestAuth::kAdmin,
      "Pricing of old jobs.", "pricing is computed at completion; nothing is retroactive"}},
    {{"R19", "POST", "/api/rpc/marketplace/store-purchase", RestAuth::kApiKey, "Marketplace purchase.",
      kMarketplace}},
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
      .String("user_principal_id", job.node_principal)
      .Number("reward", Sp(job.reward_units))
      .String("jobID", job.job_id)
      .Integer("assignedAt", job.assigned_ms)
      .Integer("completeAt", job.complete_ms)
      .Integer("job_views", 0)
      .Integer("job_downloads", 0)
      .Integer("attempts", job.attempt);
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
  return o;
}

std::span<const RestRoute<RpcRoutesContext>> RpcRouteTable() { return kRpcRoutes; }

void AddRpcRoutes(net::Router& router, RpcRoutesDeps deps, RpcRoutesOptions options) {
  auto rest = std::make_shared<const RestOptions>(options.rest);
  auto ctx = std::make_shared<RpcRoutesContext>(RpcRoutesContext{deps, std::move(options), {}});
  RegisterRestRoutes<RpcRoutesContext>(router, kRpcRoutes, ctx, rest);
}

}  // namespace sela::api
