// /api/rpc job creation: addJob (R12) and scrapeUrl (R13), with their
// answers (rest-api.md §2.3; docs/REST-RPC.md).
#include <boost/json/parse.hpp>
#include <memory>

#include "api/rpc_internal.h"
#include "auth/api_key.h"
#include "codec/js_json.h"
#include "jobs/result.h"
#include "jobs/url_policy.h"
#include "protocol/v1_decode.h"

namespace sela::api::rpc {

namespace json = boost::json;

namespace {

constexpr std::string_view kEmptyMessage = "Scraping completed but returned empty results - no data found";

// ---- R12, R13 ------------------------------------------------------------------

// Fills the idempotency fields from the request. False (and responded) when
// the key is malformed.
bool ReadIdempotency(Ctx& ctx, RestCall& call, store::CreateJobRequest& request) {
  if (!call.request.HasHeader("Idempotency-Key")) return true;
  std::string_view key = call.request.Header("Idempotency-Key");
  if (!protocol::v1::ValidateIdText("Idempotency-Key", key, ctx.options.idempotency_key_bytes_max).ok()) {
    call.respond(ErrorResponse(400, "Invalid Idempotency-Key: expected 1 to " +
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
    call.respond(ErrorResponse(400, "Unsupported scrapeType: " + std::string(kind).substr(0, 64) +
                                  ". Supported types: " + ctx.deps.jobs.KindList()));
    return false;
  }
  if (!IsHttpUrl(url, ctx.options.url_bytes_max)) {
    call.respond(ErrorResponse(400, "url must be an http or https URL of at most " +
                                  std::to_string(ctx.options.url_bytes_max) + " characters"));
    return false;
  }
  // Nodes fetch from their owners' networks: no loopback, private,
  // link-local or local-name targets (docs/JOB-URLS.md).
  const Status allowed = jobs::CheckJobUrl(
      url, jobs::UrlPolicy{.allow_private = ctx.options.allow_private_urls, .url_bytes_max = ctx.options.url_bytes_max});
  if (!allowed.ok()) {
    if (ctx.deps.events) {
      ctx.deps.events->Refused(Refusal::kPrivateUrl, {{"url", url.substr(0, 256)}, {"why", allowed.message()}});
    }
    call.respond(ErrorResponse(400, allowed.message()));
    return false;
  }
  return true;
}

}  // namespace

void AddJob(Ctx& ctx, RestCall& call) {
  const json::value* url = call.body.if_contains("url");
  const json::value* kind = call.body.if_contains("scrapeType");
  if (!Truthy(url) || !Truthy(kind)) {
    call.respond(ErrorResponse(400, "Missing or invalid url or scrapeType in request body"));
    return;
  }
  if (!url->is_string() || !kind->is_string()) {
    call.respond(ErrorResponse(400, "url and scrapeType must be strings"));
    return;
  }
  if (!CheckKindAndUrl(ctx, call, kind->get_string(), url->get_string())) return;
  auto request = std::make_shared<store::CreateJobRequest>();
  if (!ReadListed(call, &request->listed)) return;
  request->job.job_type = std::string(kind->get_string());
  request->job.target = std::string(url->get_string());
  request->charge_usage = true;
  if (!ReadIdempotency(ctx, call, *request)) return;
  WithClient(ctx, call, [&ctx, request, respond = call.respond](const std::string& uuid) {
    request->job.client_uuid = uuid;
    ctx.deps.jobs.Submit(std::move(*request), /*timeout_ms=*/0, [respond](Result<store::CreateJobOutcome> outcome) {
      if (!outcome) {
        respond(ErrorFromStatus(outcome.error(), "Failed to add job"));
        return;
      }
      respond(SuccessResponse("Job added successfully", codec::JsonObjectWriter()
                                                       .String("jobId", outcome->job.job_id)
                                                       .String("message", "Job successfully added")
                                                       .Finish()));
    });
  });
}

namespace {

struct ScrapeCall {
  RestRespond respond;
  std::string url;
  std::string kind;
  int64_t timeout_ms = 0;
  MonoTime started;
};

net::HttpResponse ScrapeEmptyResponse(const store::JobRecord& job, int64_t now_ms, const ScrapeCall& sc,
                                      int64_t elapsed_ms) {
  codec::JsonObjectWriter w;
  w.String("function", "ScrapeEmpty")
      .String("message", kEmptyMessage)
      .String("jobId", job.job_id)
      .String("url", sc.url)
      .String("scrapeType", sc.kind)
      .String("user_principal_id", kNodeHidden)
      .String("client_id", kNodeHidden)
      .String("state", "failed")
      .String("error", "NO_DATA_FOUND")
      .Integer("timestamp", now_ms)
      .Integer("elapsedTimeMs", elapsed_ms);
  return ErrorResponse(422, "Scraping returned empty results", w.Finish());
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
  return ErrorResponse(408, "Scraping failed: " + error, data);
}

net::HttpResponse ScrapeSuccessResponse(const store::JobRecord& job, std::string_view result_json,
                                        std::string_view analysis_json, std::string_view source,
                                        std::string_view message) {
  // Room for the result, its analysis and the fields around them.
  constexpr size_t kFieldsBytes = 1024;
  return SuccessResponse("URL scraping completed successfully",
                   codec::JsonObjectWriter(kFieldsBytes + result_json.size() + analysis_json.size())
                       .String("function", "ScrapeComplete")
                       .String("message", message)
                       .String("jobId", job.job_id)
                       .String("url", job.target)
                       .String("scrapeType", job.job_type)
                       .Raw("result", result_json)
                       .String("user_principal_id", kNodeHidden)
                       .String("client_id", kNodeHidden)
                       .String("state", "completed")
                       .String("status", "OK")
                       .Integer("completedAt", job.complete_ms)
                       .String("resultSource", source)
                       .Raw("pricing", PricingJson(job))
                       .Raw("contentAnalysis", analysis_json)
                       .Finish());
}

// A result that came as a file too large to return inline: `result` is
// null and `resultFile` says where to download it.
net::HttpResponse ScrapeFileResponse(const store::JobRecord& job) {
  return SuccessResponse("URL scraping completed successfully",
                   codec::JsonObjectWriter()
                       .String("function", "ScrapeComplete")
                       .String("message", "URL scraped successfully; the result is a file: download it")
                       .String("jobId", job.job_id)
                       .String("url", job.target)
                       .String("scrapeType", job.job_type)
                       .Raw("result", "null")
                       .Raw("resultFile", ResultFileJson(job))
                       .String("user_principal_id", kNodeHidden)
                       .String("client_id", kNodeHidden)
                       .String("state", "completed")
                       .String("status", "OK")
                       .Integer("completedAt", job.complete_ms)
                       .String("resultSource", "result_file")
                       .Raw("pricing", PricingJson(job))
                       .Finish());
}

int64_t ElapsedMs(Ctx& ctx, const ScrapeCall& sc) {
  return std::chrono::duration_cast<Millis>(ctx.deps.clock.Now() - sc.started).count();
}

// Answers from a job that has ended (read from the store).
void AnswerFromStore(Ctx& ctx, std::shared_ptr<ScrapeCall> sc, const store::JobRecord& job) {
  const int64_t now_ms = ctx.deps.clock.WallMs();
  if (job.state == store::JobState::kFailed) {
    if (job.failure_reason == store::FailureReason::kNoData) {
      sc->respond(ScrapeEmptyResponse(job, now_ms, *sc, ElapsedMs(ctx, *sc)));
    } else {
      sc->respond(ScrapeFailedResponse(job, job.error, *sc, ElapsedMs(ctx, *sc)));
    }
    return;
  }
  ReadResult(ctx, job, ctx.options.result_inline_bytes_max, [sc, job](Result<std::string> blob) {
    if (!blob && blob.error().code() == Code::kResourceExhausted) {
      // A result file too large to return inline: where to download it.
      sc->respond(ScrapeFileResponse(job));
      return;
    }
    if (!blob) {
      sc->respond(blob.error().code() == Code::kNotFound ? ErrorResponse(500, "Failed to scrape URL")
                                                         : StoreFailure(blob.error(), "Failed to scrape URL"));
      return;
    }
    bool is_json = false;
    const std::string result = StoredResultJson(*blob, &is_json);
    json::value content = is_json ? json::parse(*blob) : json::value(json::string(*blob));
    sc->respond(ScrapeSuccessResponse(job, result,
                                      jobs::ContentAnalysisJson(content, static_cast<int64_t>(blob->size())),
                                      "stored_file", "URL scraped successfully (from stored file)"));
  });
}

void AwaitScrape(Ctx& ctx, std::shared_ptr<ScrapeCall> sc, const store::JobRecord& created);

void SubmitScrape(Ctx& ctx, std::shared_ptr<store::CreateJobRequest> request, std::shared_ptr<ScrapeCall> sc) {
  ctx.deps.jobs.Submit(std::move(*request), sc->timeout_ms, [&ctx, sc](Result<store::CreateJobOutcome> outcome) {
    if (!outcome) {
      sc->respond(ErrorFromStatus(outcome.error(), "Failed to scrape URL"));
      return;
    }
    AwaitScrape(ctx, sc, outcome->job);
  });
}

void AwaitScrape(Ctx& ctx, std::shared_ptr<ScrapeCall> sc, const store::JobRecord& created) {
  const bool waiting = ctx.deps.jobs.Wait(created.job_id, [&ctx, sc](const JobOutcome& o) {
    const int64_t now_ms = ctx.deps.clock.WallMs();
    switch (o.kind) {
      case JobOutcome::Kind::kCompleted: {
        if (!o.content) {
          // A result file too large to return inline.
          sc->respond(ScrapeFileResponse(o.job));
          return;
        }
        // A non-string result was stored as exactly this JSON: use it
        // where it is rather than copy it.
        const bool use_stored = o.stored && !o.content->is_string();
        const std::string stringified = use_stored ? std::string() : codec::StringifyJs(*o.content);
        const std::string_view result = use_stored ? std::string_view(*o.stored) : stringified;
        sc->respond(ScrapeSuccessResponse(o.job, result, jobs::ContentAnalysisJson(*o.content, o.job.result_bytes),
                                          "job_result", "URL scraped successfully"));
        return;
      }
      case JobOutcome::Kind::kFailed:
        if (o.job.failure_reason == store::FailureReason::kNoData) {
          // As the original's capture has it: the time waited, here too.
          sc->respond(ScrapeEmptyResponse(o.job, now_ms, *sc, ElapsedMs(ctx, *sc)));
        } else {
          sc->respond(ScrapeFailedResponse(o.job, o.job.error, *sc, ElapsedMs(ctx, *sc)));
        }
        return;
      case JobOutcome::Kind::kCompletedElsewhere:
        // Lost a race with the result: read what was stored.
        ctx.deps.store.GetJob(o.job.job_id, [&ctx, sc](Result<std::optional<store::JobRecord>> job) {
          if (!job || !*job) {
            sc->respond(ErrorResponse(500, "Failed to scrape URL"));
            return;
          }
          AnswerFromStore(ctx, sc, **job);
        });
        return;
      case JobOutcome::Kind::kInterrupted: {
        // The job is kept and runs after the restart: the caller can read it
        // with job/id. 503 says "try again later", not "it failed".
        net::HttpResponse r = ErrorResponse(503, "Server restarting: the job continues, read it with /api/rpc/job/id",
                                            codec::JsonObjectWriter()
                                                .String("jobId", o.job.job_id)
                                                .String("url", sc->url)
                                                .String("scrapeType", sc->kind)
                                                .Finish());
        r.headers.emplace_back("Retry-After", "5");
        sc->respond(std::move(r));
        return;
      }
    }
  });
  if (waiting) return;
  // Not open here: it ended already (an idempotent repeat), read it back.
  ctx.deps.store.GetJob(created.job_id, [&ctx, sc](Result<std::optional<store::JobRecord>> job) {
    if (!job || !*job) {
      sc->respond(job ? ErrorResponse(500, "Failed to scrape URL") : StoreFailure(job.error(), "Failed to scrape URL"));
      return;
    }
    if ((*job)->state == store::JobState::kPending || (*job)->state == store::JobState::kOngoing) {
      // Open in the store but not here: held by another process.
      sc->respond(ErrorResponse(409, "The job of this Idempotency-Key is still running"));
      return;
    }
    AnswerFromStore(ctx, sc, **job);
  });
}

}  // namespace

void ScrapeUrl(Ctx& ctx, RestCall& call) {
  const json::object& b = call.body;
  const json::value* url = b.if_contains("url");
  const json::value* kind = b.if_contains("scrapeType");
  if (!Truthy(url)) return call.respond(ErrorResponse(400, "Missing required field: url"));
  if (!Truthy(kind)) return call.respond(ErrorResponse(400, "Missing required field: scrapeType"));
  if (!url->is_string()) return call.respond(ErrorResponse(400, "url must be a string"));
  if (!kind->is_string()) return call.respond(ErrorResponse(400, "scrapeType must be a string"));
  int64_t timeout_ms = ctx.options.scrape_timeout_default_ms;
  if (const json::value* t = b.if_contains("timeoutMs"); t && !t->is_null()) {
    auto n = NumberOf(t);
    if (!n || !(*n >= 1000)) return call.respond(ErrorResponse(400, "timeoutMs must be a number >= 1000 (1 second)"));
    if (*n > static_cast<double>(ctx.options.scrape_timeout_max_ms)) {
      return call.respond(ErrorResponse(400, "timeoutMs must be at most " + std::to_string(ctx.options.scrape_timeout_max_ms) +
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
      return call.respond(ErrorResponse(400, "principalId must be a node's principal"));
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
      return call.respond(ErrorResponse(400, std::string(kCounts[i]) + " must be a non-negative number"));
    }
    counts[i] = static_cast<int64_t>(*n);
  }
  if (!CheckKindAndUrl(ctx, call, kind->get_string(), url->get_string())) return;
  // Elsewhere: with several processes, another one may hold the node (asked
  // below, once the key is known to be good).
  bool target_elsewhere = false;
  if (!target.empty()) {
    const nodes::NodeIndex node = ctx.deps.registry.Find(target);
    const auto view = ctx.deps.registry.View(node);
    target_elsewhere = !view && ctx.deps.jobs.shares_store();
    if (!target_elsewhere && (!view || view->active_jobs >= view->max_concurrent_jobs)) {
      return call.respond(ErrorResponse(400, "Failed to find optimal node for assignment"));
    }
  }
  auto request = std::make_shared<store::CreateJobRequest>();
  if (!ReadListed(call, &request->listed)) return;
  request->job.job_type = std::string(kind->get_string());
  request->job.target = std::string(url->get_string());
  request->job.target_node = std::move(target);
  request->job.post_count = counts[0];
  request->job.replies_count = counts[1];
  request->job.scroll_pause_ms = counts[2];
  request->job.sync = true;
  request->charge_usage = true;
  if (!ReadIdempotency(ctx, call, *request)) return;
  auto sc = std::make_shared<ScrapeCall>();
  sc->respond = call.respond;
  sc->url = request->job.target;
  sc->kind = request->job.job_type;
  sc->timeout_ms = timeout_ms;
  sc->started = ctx.deps.clock.Now();
  WithClient(ctx, call, [&ctx, request, sc, target_elsewhere](const std::string& uuid) {
    request->job.client_uuid = uuid;
    if (!target_elsewhere) {
      SubmitScrape(ctx, request, sc);
      return;
    }
    ctx.deps.jobs.CanTarget(request->job.target_node, [&ctx, request, sc](bool ok) {
      if (!ok) {
        sc->respond(ErrorResponse(400, "Failed to find optimal node for assignment"));
        return;
      }
      SubmitScrape(ctx, request, sc);
    });
  });
}


// ---- cancel (ours: RC1 customer, RC2 operator; docs/REST-RPC.md) -------------

namespace {

// The body's `jobId`; false (and answered 400) when missing or malformed.
bool ReadCancelJobId(Ctx& ctx, RestCall& call, std::string* job_id) {
  const json::value* id = call.body.if_contains("jobId");
  if (!Truthy(id) || !id->is_string() ||
      !protocol::v1::ValidateIdText("jobId", id->get_string(), ctx.options.uuid_bytes_max).ok()) {
    call.respond(ErrorResponse(400, "Missing or invalid jobId in request body"));
    return false;
  }
  *job_id = std::string(id->get_string());
  return true;
}

void AnswerCancel(const RestRespond& respond, Result<store::JobRecord> cancelled) {
  if (!cancelled) {
    respond(ErrorFromStatus(cancelled.error(), "Failed to cancel job"));
    return;
  }
  respond(SuccessResponse("Job cancelled", JobJson(*cancelled)));
}

}  // namespace

void CancelJob(Ctx& ctx, RestCall& call) {
  std::string job_id;
  if (!ReadCancelJobId(ctx, call, &job_id)) return;
  WithClient(ctx, call, [&ctx, job_id, respond = call.respond](const std::string& uuid) {
    ctx.deps.jobs.Cancel(job_id, uuid, [respond](Result<store::JobRecord> r) { AnswerCancel(respond, std::move(r)); });
  });
}

void AdminCancelJob(Ctx& ctx, RestCall& call) {
  std::string job_id;
  if (!ReadCancelJobId(ctx, call, &job_id)) return;
  ctx.deps.jobs.Cancel(job_id, std::nullopt,
                       [respond = call.respond](Result<store::JobRecord> r) { AnswerCancel(respond, std::move(r)); });
}

}  // namespace sela::api::rpc
