// The results marketplace, R14-R19 (rest-api.md §2.3, services.md §6), with
// the original's paths, fields and envelopes, without its leak (D-8): a job
// is on the marketplace only when its customer listed it (addJob/scrapeUrl
// `listed`, RM1, or the RM2 default; not listed by default). Anyone may see
// listed jobs; only their customer sees the others, and to everyone else an
// unlisted job answers as a missing one. A download needs a purchase (or
// the job's customer); a purchase is recorded once, at the job's price.
#include <charconv>

#include "api/rpc_internal.h"
#include "codec/js_json.h"
#include "jobs/preview.h"
#include "jobs/result.h"

namespace sela::api::rpc {
namespace {

namespace json = boost::json;

constexpr uint32_t kListLimitDefault = 50;
constexpr uint32_t kListLimitMax = 100;
// A preview reads at most this much of a result (jobs/preview.h).
constexpr int64_t kPreviewSourceBytesMax = 256 * 1024;

bool Visible(const store::JobRecord& job, const std::string& uuid) {
  return job.listed || (!uuid.empty() && job.client_uuid == uuid);
}

std::optional<int64_t> Integer(const std::string& text) {
  int64_t n = 0;
  const auto [end, ec] = std::from_chars(text.data(), text.data() + text.size(), n);
  if (text.empty() || ec != std::errc() || end != text.data() + text.size()) return std::nullopt;
  return n;
}

std::string MarketJobJson(const store::MarketJob& m) {
  return codec::JsonObjectWriter()
      .String("job_id", m.job.job_id)
      .String("job_type", m.job.job_type)
      .String("target", m.job.target)
      .Integer("job_views", m.views)
      .Integer("job_downloads", m.downloads)
      .Integer("completeAt", m.job.complete_ms)
      .Number("price", jobs::PriceFromCents(m.job.price_cents))
      .Finish();
}

// R15 and R16 read a job through this: the caller's uuid ("" when the
// request has no key), and 404 for what the caller may not see.
void WithVisibleJob(Ctx& ctx, RestCall& call, bool key_required,
                    std::function<void(const std::string& uuid, const store::MarketJob& job)> then) {
  auto read = [&ctx, id = std::string(call.request.Param("job_id")), respond = call.respond,
               then = std::move(then)](const std::string& uuid) {
    ctx.deps.store.GetMarketJob(id, [uuid, id, respond, then](Result<std::optional<store::MarketJob>> job) {
      if (!job && job.error().code() != Code::kInvalidArgument) {
        return respond(StoreFailure(job.error(), "Failed to get job details"));
      }
      if (!job || !*job || !Visible((*job)->job, uuid)) return respond(ErrorResponse(404, "Job not found"));
      if ((*job)->job.state != store::JobState::kCompleted) {
        return respond(ErrorResponse(400, "Job " + id + " is not completed"));
      }
      then(uuid, **job);
    });
  };
  if (!key_required) {
    // A public route (R15) where a key, when given, also shows the caller's
    // own unlisted jobs: the table checks no key there, so it is read here.
    if (!call.request.HasHeader("Authorization")) return read("");
    net::HttpResponse refusal;
    std::optional<std::string> hash = ApiKeyHashOf(call.request, &refusal);
    if (!hash) return call.respond(std::move(refusal));
    call.api_key_hash = std::move(*hash);
  }
  WithClient(ctx, call, std::move(read));
}

}  // namespace

bool ReadListed(RestCall& call, std::optional<bool>* listed) {
  const json::value* v = call.body.if_contains("listed");
  if (!v || v->is_null()) return true;
  if (!v->is_bool()) {
    call.respond(ErrorResponse(400, "listed must be true or false"));
    return false;
  }
  *listed = v->get_bool();
  return true;
}

// R14
void MarketList(Ctx& ctx, RestCall& call) {
  bool s1 = false, s2 = false, s3 = false, s4 = false;
  const std::string limit_text = QueryString(call.request, "limit", &s1).value_or("");
  const std::string offset_text = QueryString(call.request, "offset", &s2).value_or("");
  store::MarketQuery query;
  query.search = QueryString(call.request, "search", &s3).value_or("");
  query.ascending = QueryString(call.request, "sort", &s4).value_or("desc") == "asc";
  const auto limit = limit_text.empty() ? std::optional<int64_t>(kListLimitDefault) : Integer(limit_text);
  const auto offset = offset_text.empty() ? std::optional<int64_t>(0) : Integer(offset_text);
  if (s1 || s2 || s3 || s4 || !limit || !offset || *limit < 1 || *offset < 0) {
    return call.respond(ErrorResponse(400, "Invalid limit or offset parameters"));
  }
  if (*limit > kListLimitMax) return call.respond(ErrorResponse(400, "Limit cannot exceed 100"));
  if (query.search.size() > ctx.options.market_search_bytes_max) {
    return call.respond(ErrorResponse(400, "search is longer than " + std::to_string(ctx.options.market_search_bytes_max) +
                                         " characters"));
  }
  query.limit = static_cast<uint32_t>(*limit);
  query.offset = static_cast<uint64_t>(*offset);
  ctx.deps.store.ListMarketJobs(query, [respond = call.respond](Result<store::MarketPage> page) {
    if (!page) return respond(StoreFailure(page.error(), "Failed to get marketplace jobs"));
    std::string jobs = "[";
    for (const store::MarketJob& j : page->jobs) {
      if (jobs.size() > 1) jobs += ',';
      jobs += MarketJobJson(j);
    }
    jobs += ']';
    respond(SuccessResponse("Marketplace jobs retrieved successfully",
                      codec::JsonObjectWriter().Raw("jobs", jobs).Integer("totalCount", page->total_count).Finish()));
  });
}

// R15
void MarketDetails(Ctx& ctx, RestCall& call) {
  WithVisibleJob(ctx, call, false, [&ctx, respond = call.respond](const std::string&, const store::MarketJob& m) {
    ctx.deps.store.CountMarketEvent(m.job.job_id, store::MarketCounter::kView, [](Status) {});
    const store::JobRecord& job = m.job;
    ReadResult(ctx, job, kPreviewSourceBytesMax, [m, respond](Result<std::string> bytes) {
      const store::JobRecord& job = m.job;
      jobs::Preview preview;
      const bool has_content = bytes.has_value();
      if (has_content) {
        preview = jobs::MakePreview(*bytes, job.result_content_type, static_cast<size_t>(job.result_bytes));
      } else if (bytes.error().code() == Code::kResourceExhausted) {
        preview.text = "(the result is " + std::to_string(job.result_bytes) + " bytes: download it to see it)";
      } else {
        preview.text = "(the content could not be loaded)";
      }
      std::string included = "null";
      if (!preview.included.empty()) {
        included = "[";
        for (const std::string& k : preview.included) {
          if (included.size() > 1) included += ',';
          codec::AppendJsonString(included, k);
        }
        included += ']';
      }
      const std::string file = codec::JsonObjectWriter()
                                   .String("id", job.result_file_id.empty() ? job.result_hash : job.result_file_id)
                                   .String("name", ResultFileName(job))
                                   .String("content_type", job.result_content_type)
                                   .Integer("size", job.result_bytes)
                                   .Integer("created_at", job.complete_ms)
                                   .Finish();
      const std::string job_json = codec::JsonObjectWriter()
                                       .String("jobID", job.job_id)
                                       .String("jobType", job.job_type)
                                       .String("target", job.target)
                                       .Integer("job_views", m.views + 1)
                                       .Integer("job_downloads", m.downloads)
                                       .Integer("createdAt", job.created_ms)
                                       .Raw("pricing", PricingJson(job))
                                       .Finish();
      respond(SuccessResponse("Job details retrieved successfully", codec::JsonObjectWriter()
                                                                   .Raw("job", job_json)
                                                                   .Raw("file", file)
                                                                   .String("preview", preview.text)
                                                                   .Bool("hasContent", has_content)
                                                                   .Integer("dataCount", job.objects_count)
                                                                   .Raw("included", included)
                                                                   .Finish()));
    });
  });
}

// R16
void MarketDownload(Ctx& ctx, RestCall& call) {
  WithVisibleJob(ctx, call, true, [&ctx, request = call.request, respond = call.respond](
                                      const std::string& uuid, const store::MarketJob& m) {
    auto serve = [&ctx, request, respond, job = m.job] {
      ctx.deps.store.CountMarketEvent(job.job_id, store::MarketCounter::kDownload, [](Status) {});
      ServeJobDownload(ctx, request, job, respond, "Failed to download job file");
    };
    if (m.job.client_uuid == uuid) return serve();
    ctx.deps.store.GetPurchase(uuid, m.job.job_id, [respond, serve](Result<std::optional<store::Purchase>> p) {
      if (!p) return respond(StoreFailure(p.error(), "Failed to verify purchase access"));
      if (!*p) return respond(ErrorResponse(403, "Access denied: User has not purchased this job"));
      serve();
    });
  });
}

// R17
void MarketStatsRoute(Ctx& ctx, RestCall& call) {
  const int64_t since = std::max<int64_t>(0, ctx.deps.clock.WallMs() - ctx.options.market_recent_ms);
  ctx.deps.store.GetMarketStats(since, [respond = call.respond](Result<store::MarketStats> stats) {
    if (!stats) return respond(StoreFailure(stats.error(), "Failed to get marketplace stats"));
    codec::JsonObjectWriter by_type;
    for (const auto& [type, count] : stats->by_type) by_type.Integer(type, count);
    respond(SuccessResponse("Marketplace statistics retrieved successfully",
                      codec::JsonObjectWriter()
                          .Integer("totalCompletedJobs", stats->total_completed)
                          .Raw("totalJobsByType", by_type.Finish())
                          .Integer("recentJobsCount", stats->recent)
                          .Finish()));
  });
}

// R19
void MarketPurchase(Ctx& ctx, RestCall& call) {
  const json::value* id = call.body.if_contains("jobId");
  if (!id || id->is_null() || (id->is_string() && id->get_string().empty())) {
    return call.respond(ErrorResponse(400, "Missing required parameter: jobId"));
  }
  if (!id->is_string()) return call.respond(ErrorResponse(400, "jobId must be a string"));
  WithClient(ctx, call, [&ctx, respond = call.respond, job_id = std::string(id->get_string())](const std::string& uuid) {
    ctx.deps.store.RecordPurchase(uuid, job_id, ctx.deps.clock.WallMs(),
                                  [respond, job_id, uuid](Result<store::PurchaseOutcome> outcome) {
                                    if (!outcome) {
                                      const Code code = outcome.error().code();
                                      if (code == Code::kNotFound || code == Code::kInvalidArgument) {
                                        return respond(ErrorResponse(404, "Job " + job_id + " not found"));
                                      }
                                      if (code == Code::kFailedPrecondition) {
                                        return respond(ErrorResponse(400, "Job " + job_id + " is not completed"));
                                      }
                                      return respond(StoreFailure(outcome.error(), "Failed to store purchase"));
                                    }
                                    const store::Purchase& p = outcome->purchase;
                                    respond(SuccessResponse(outcome->created ? "Purchase stored successfully"
                                                                       : "Purchase already stored",
                                                      codec::JsonObjectWriter()
                                                          .String("userPrincipalId", uuid)
                                                          .String("jobId", p.job_id)
                                                          .Integer("purchased_at", p.purchased_ms)
                                                          .Bool("isNewPurchase", outcome->created)
                                                          .Number("price", jobs::PriceFromCents(p.price_cents))
                                                          .String("currency", "USDT")
                                                          .Finish()));
                                  });
  });
}

// RM1
void MarketSetListed(Ctx& ctx, RestCall& call) {
  std::optional<bool> listed;
  if (!ReadListed(call, &listed)) return;
  if (!listed) return call.respond(ErrorResponse(400, "listed is required: true or false"));
  WithClient(ctx, call, [&ctx, respond = call.respond, id = std::string(call.request.Param("job_id")),
                         listed = *listed](const std::string& uuid) {
    ctx.deps.store.SetJobListed(id, uuid, listed, [respond, id, listed](Status st) {
      // Another client's job answers as a missing one.
      const Code code = st.code();
      if (code == Code::kNotFound || code == Code::kPermissionDenied || code == Code::kInvalidArgument) {
        return respond(ErrorResponse(404, "Job not found"));
      }
      if (!st.ok()) return respond(StoreFailure(st, "Failed to change the listing"));
      respond(SuccessResponse(listed ? "Job listed on the marketplace" : "Job taken off the marketplace",
                        codec::JsonObjectWriter().String("jobId", id).Bool("listed", listed).Finish()));
    });
  });
}

// RM2
void MarketSetDefault(Ctx& ctx, RestCall& call) {
  std::optional<bool> listed;
  if (!ReadListed(call, &listed)) return;
  if (!listed) return call.respond(ErrorResponse(400, "listed is required: true or false"));
  WithClient(ctx, call, [&ctx, respond = call.respond, listed = *listed](const std::string& uuid) {
    ctx.deps.store.SetListingDefault(uuid, listed, [respond, listed](Status st) {
      if (!st.ok()) return respond(StoreFailure(st, "Failed to change the listing default"));
      respond(SuccessResponse("Listing default changed",
                        codec::JsonObjectWriter().Bool("listByDefault", listed).Finish()));
    });
  });
}

}  // namespace sela::api::rpc
