// Shared by the /api/rpc route files (rpc_routes.cc: reads and keys,
// rpc_jobs.cc: job creation and scrapeUrl, rpc_system.cc: admin views).
// Internal to src/api.
#pragma once

#include <boost/json/value.hpp>
#include <functional>
#include <optional>
#include <string>
#include <string_view>

#include "api/rpc_routes.h"

namespace sela::api::rpc {

using Ctx = RpcRoutesContext;

std::string JsonString(std::string_view text);

// What customers are shown for the node that ran a job, in the fields the
// original filled with its principal and session (user_principal_id,
// client_id): nothing (issue 11, item 7: principals are how a node is
// impersonated). The fields stay, as strings, because clients parse them.
inline constexpr std::string_view kNodeHidden = "";
// JavaScript truthiness of a body field.
bool Truthy(const boost::json::value* v);
std::optional<double> NumberOf(const boost::json::value* v);
// http(s)://host... of visible ASCII: nodes fetch it, so nothing else.
bool IsHttpUrl(std::string_view url, std::size_t max);

// The API client whose key the request carries (rest-api.md §3.3, minus
// D-15), for kApiKey routes (the route table has checked the header): then
// gets its uuid, or the caller gets 401 Invalid API key. From the key cache
// at once when the key was seen before, else after a store lookup.
void WithClient(Ctx& ctx, RestCall& call, std::function<void(const std::string& uuid)> then);

std::string PricingJson(const store::JobRecord& job);
// A stored result as scrapeUrl returns it: JSON if it parses, else text.
std::string StoredResultJson(const std::string& bytes, bool* is_json);
std::string JobQueueJson(Ctx& ctx);
std::string MonitorJson(Ctx& ctx);

std::string ResultFileName(const store::JobRecord& job);

// Results (rpc_results.cc). A job's result bytes: those kept in the store,
// or its result file read whole when at most bytes_max long. NotFound when
// there are none; ResourceExhausted when the file is larger (answer with
// ResultTooLargeResponse, which points at the download).
void ReadResult(Ctx& ctx, const store::JobRecord& job, int64_t bytes_max,
                std::function<void(Result<std::string>)> done);
net::HttpResponse ResultTooLargeResponse(const store::JobRecord& job, int64_t bytes_max);
// Answers a download of the job's result, or with ?file_id= of another
// complete file of the job (one a node uploaded for it), streamed with
// Range and ETag.
void ServeJobDownload(Ctx& ctx, const net::HttpRequest& request, const store::JobRecord& job,
                      const RestRespond& respond, std::string_view failure_message);
// scrapeUrl's `resultFile` for a result too large to return inline.
std::string ResultFileJson(const store::JobRecord& job);

// R14-R19 and ours (rpc_market.cc).
void MarketList(Ctx& ctx, RestCall& call);
void MarketDetails(Ctx& ctx, RestCall& call);
void MarketDownload(Ctx& ctx, RestCall& call);
void MarketStatsRoute(Ctx& ctx, RestCall& call);
void MarketPurchase(Ctx& ctx, RestCall& call);
void MarketSetListed(Ctx& ctx, RestCall& call);
void MarketSetDefault(Ctx& ctx, RestCall& call);
// The `listed` field of addJob and scrapeUrl: nullopt when absent; false
// (and answered 400) when it is not a boolean.
bool ReadListed(RestCall& call, std::optional<bool>* listed);

// R12, R13 (rpc_jobs.cc).
void AddJob(Ctx& ctx, RestCall& call);
void ScrapeUrl(Ctx& ctx, RestCall& call);
// Ours: a customer cancels one of its jobs (RC1), an operator any job (RC2).
void CancelJob(Ctx& ctx, RestCall& call);
void AdminCancelJob(Ctx& ctx, RestCall& call);

// R20-R24, R26 (rpc_system.cc).
void JobTimeoutMonitor(Ctx& ctx, RestCall& call);
void TriggerCheck(Ctx& ctx, RestCall& call);
void Capacity(Ctx& ctx, RestCall& call);
void Clients(Ctx& ctx, RestCall& call);
void ClientStatusById(Ctx& ctx, RestCall& call);
void Queue(Ctx& ctx, RestCall& call);

}  // namespace sela::api::rpc
