#include "api/reward_routes.h"

// GCC 12 at -O3 warns that a moved-from std::expected<std::vector<...>> in a
// std::function argument "may be used uninitialized" (a false positive of
// its inliner, like GCC bug 105562; as in rpc_routes.cc).
#if defined(__GNUC__) && !defined(__clang__)
#pragma GCC diagnostic ignored "-Wmaybe-uninitialized"
#endif

#include <spdlog/spdlog.h>

#include <memory>

#include "api/reward_views.h"
#include "codec/js_json.h"
#include "core/logging.h"
#include "store/store.h"

namespace sela::api {

namespace {

using Ctx = RewardRoutesContext;
using store::RunKind;

constexpr std::string_view kBusy = "A reward distribution is already running; try again when it has finished";

uint32_t RunKindBit(RunKind kind) { return uint32_t{1} << static_cast<uint32_t>(kind); }

// The original's E2 validation error.
net::HttpResponse E2Invalid(std::string_view message) { return E2Error(400, "ValidationError", message); }

// ---- /api/rewards (E2, admin) -------------------------------------------------

void RewardStatus(Ctx& ctx, RestCall& call) {
  const RewardStatusInput in{.enabled = ctx.options.distribution_enabled,
                             .running = ctx.deps.distributor.running(),
                             .interval = ctx.options.distribution_interval,
                             .next_run_ms = ctx.deps.next_run_ms ? ctx.deps.next_run_ms() : std::nullopt,
                             .rules = &ctx.deps.distributor.rules()};
  call.respond(E2Success(RewardStatusJson(in)));
}

void Trigger(Ctx& ctx, RestCall& call) {
  if (ctx.deps.distributor.running()) {
    call.respond(E2Error(409, "Conflict", kBusy));
    return;
  }
  ctx.deps.distributor.RunUptime(rewards::Trigger::kManual, [respond = call.respond](Result<rewards::RunOutcome> r) {
    if (!r) {
      // Another process's run (the store's single-flight) is the only
      // FailedPrecondition a start gives.
      respond(r.error().code() == Code::kFailedPrecondition ? E2Error(409, "Conflict", kBusy)
                                                             : E2FromStatus(r.error(), "Distribution failed"));
      return;
    }
    spdlog::info("manual reward distribution{}", LogFields({{"run", r->run.id},
                                                           {"transfers", std::to_string(r->run.users)},
                                                           {"units", std::to_string(r->run.total_units)}}));
    respond(E2Success(TriggerResultJson(*r)));
  });
}

void History(Ctx& ctx, RestCall& call) {
  const auto limit = PagingParam(call.request, "limit", 10, 1, ctx.options.page_limit_max);
  const auto offset = PagingParam(call.request, "offset", 0, 0, ctx.options.offset_max);
  if (!limit || !offset) {
    call.respond(E2Invalid("limit must be an integer from 1 to " + std::to_string(ctx.options.page_limit_max) +
                           " and offset an integer from 0"));
    return;
  }
  ctx.deps.store.ListRuns(RunKindBit(RunKind::kUptime) | RunKindBit(RunKind::kReferralWeekly), *offset,
                          static_cast<uint32_t>(*limit),
                          [respond = call.respond, limit = *limit, offset = *offset](Result<store::RunPage> page) {
                            if (!page) return respond(E2FromStatus(page.error(), "Failed to get distribution history"));
                            respond(E2Success(DistributionHistoryJson(*page, static_cast<uint32_t>(limit), offset)));
                          });
}

void Distribution(Ctx& ctx, RestCall& call) {
  const std::string id(call.request.Param("distributionId"));
  if (id.empty() || id.size() > ctx.options.rest.principal_bytes_max) {
    call.respond(E2Error(404, "NotFound", "Distribution not found"));
    return;
  }
  const uint32_t max = ctx.options.run_transactions_max;
  ctx.deps.store.GetRun(id, [&ctx, id, max, respond = call.respond](Result<std::optional<store::RunRecord>> run) {
    if (!run) return respond(E2FromStatus(run.error(), "Failed to get distribution details"));
    if (!run->has_value()) return respond(E2Error(404, "NotFound", "Distribution not found"));
    store::TransferQuery q;
    q.run_id = id;
    q.newest_first = false;
    q.limit = max;
    ctx.deps.store.ListTransfers(q, [respond, record = std::move(**run)](Result<store::TransferPage> page) {
      if (!page) return respond(E2FromStatus(page.error(), "Failed to get distribution details"));
      respond(E2Success(DistributionDetailJson(record, *page)));
    });
  });
}

void UserHistory(Ctx& ctx, RestCall& call) {
  const std::string principal(call.request.Param("userPrincipalId"));
  if (principal.empty() || principal.size() > ctx.options.rest.principal_bytes_max) {
    call.respond(E2Invalid("Invalid user principal ID format"));
    return;
  }
  const auto limit = PagingParam(call.request, "limit", 20, 1, ctx.options.page_limit_max);
  const auto offset = PagingParam(call.request, "offset", 0, 0, ctx.options.offset_max);
  if (!limit || !offset) {
    call.respond(E2Invalid("limit must be an integer from 1 to " + std::to_string(ctx.options.page_limit_max) +
                           " and offset an integer from 0"));
    return;
  }
  store::TransferQuery q;
  q.principal = principal;
  q.kinds = store::KindBit(store::RewardKind::kUptime);
  q.offset = *offset;
  q.limit = static_cast<uint32_t>(*limit);
  ctx.deps.store.ListTransfers(q, [respond = call.respond, principal, q](Result<store::TransferPage> page) {
    if (!page) return respond(E2FromStatus(page.error(), "Failed to get user reward history"));
    respond(E2Success(UserHistoryJson(principal, *page, q.limit, q.offset)));
  });
}

void UnprocessedCount(Ctx& ctx, RestCall& call) {
  ctx.deps.store.CountUptimeDays([respond = call.respond](Result<store::UptimeDayCounts> counts) {
    if (!counts) return respond(E2FromStatus(counts.error(), "Failed to get unprocessed count"));
    respond(E2Success(UnprocessedCountJson(*counts)));
  });
}

void Logs(Ctx& ctx, RestCall& call) {
  const auto lines = PagingParam(call.request, "lines", 100, 1, ctx.options.log_runs_max);
  if (!lines) {
    call.respond(E2Invalid("lines must be an integer from 1 to " + std::to_string(ctx.options.log_runs_max)));
    return;
  }
  ctx.deps.store.ListRuns(RunKindBit(RunKind::kUptime), 0, static_cast<uint32_t>(*lines),
                          [respond = call.respond](Result<store::RunPage> runs) {
                            if (!runs) return respond(E2FromStatus(runs.error(), "Failed to get logs"));
                            respond(E2Success(RunLogJson(*runs, "RewardDistribution")));
                          });
}

void Audit(Ctx& ctx, RestCall& call) {
  ctx.deps.store.AuditLedger([respond = call.respond](Result<store::LedgerAudit> audit) {
    if (!audit) return respond(E2FromStatus(audit.error(), "Failed to audit the ledger"));
    if (!audit->balanced()) spdlog::error("ledger audit: the ledger does not balance");
    respond(E2Success(AuditJson(*audit)));
  });
}

// ---- /api/referral-distribution (E1) --------------------------------------------

void DistributionServiceStatus(Ctx& ctx, RestCall& call) {
  const bool enabled = ctx.options.distribution_enabled;
  call.respond(SuccessResponse("Referral distribution service status retrieved",
                               codec::JsonObjectWriter()
                                   .Bool("isRunning", enabled)
                                   .Raw("activeJobs", enabled ? R"(["weekly_uptime"])" : "[]")
                                   .Bool("distributionInProgress", ctx.deps.distributor.running())
                                   .Finish()));
}

void RespondWeekly(RestRespond respond, Result<rewards::RunOutcome> r, int64_t now_ms) {
  if (!r) {
    respond(r.error().code() == Code::kFailedPrecondition ? ErrorResponse(409, kBusy)
                                                           : ErrorFromStatus(store::FailureForCaller(r.error()),
                                                                             "Failed to trigger weekly uptime distribution"));
    return;
  }
  std::vector<std::string> errors;
  if (r->conflicts > 0) errors.push_back(std::to_string(r->conflicts) + " shares were recorded with other figures");
  if (r->run.state == store::RunState::kFailed) errors.push_back(r->run.error);
  respond(SuccessResponse("Weekly uptime distribution completed",
                          ReferralDistributionJson(r->run.id, "WEEKLY_UPTIME", r->run.users, r->run.total_units,
                                                   errors, now_ms)));
}

// As the scheduled weekly job: the uptime of the week is paid first, so
// that its shares are reckoned on every minute.
void TriggerWeekly(Ctx& ctx, RestCall& call) {
  if (ctx.deps.distributor.running()) {
    call.respond(ErrorResponse(409, kBusy));
    return;
  }
  ctx.deps.distributor.RunUptime(rewards::Trigger::kManual, [&ctx, respond = call.respond](Result<rewards::RunOutcome> up) {
    if (!up) return RespondWeekly(respond, std::move(up), ctx.deps.clock.WallMs());
    ctx.deps.distributor.RunReferralWeekly(rewards::Trigger::kManual, [&ctx, respond](Result<rewards::RunOutcome> r) {
      RespondWeekly(respond, std::move(r), ctx.deps.clock.WallMs());
    });
  });
}

// Task shares are paid with each job's reward and monthly caps are windows
// over the recorded transfers: neither has anything left to do on demand.
void TriggerDailyTask(Ctx& ctx, RestCall& call) {
  const int64_t now = ctx.deps.clock.WallMs();
  call.respond(SuccessResponse("Daily task distribution completed",
                               ReferralDistributionJson("daily_task_" + std::to_string(now), "DAILY_TASK", 0, 0, {}, now)));
}

void TriggerCapReset(Ctx& ctx, RestCall& call) {
  const int64_t now = ctx.deps.clock.WallMs();
  call.respond(SuccessResponse("Monthly cap reset completed",
                               ReferralDistributionJson("monthly_cap_reset_" + std::to_string(now), "MONTHLY_CAP_RESET",
                                                        0, 0, {}, now)));
}

void DistributionLogs(Ctx& ctx, RestCall& call) {
  const auto lines = PagingParam(call.request, "lines", 100, 1, ctx.options.log_runs_max);
  if (!lines) {
    call.respond(ErrorResponse(400, "lines must be an integer from 1 to " + std::to_string(ctx.options.log_runs_max)));
    return;
  }
  ctx.deps.store.ListRuns(RunKindBit(RunKind::kReferralWeekly), 0, static_cast<uint32_t>(*lines),
                          [respond = call.respond](Result<store::RunPage> runs) {
                            if (!runs) return respond(StoreFailure(runs.error(), "Failed to retrieve logs"));
                            const std::vector<std::string> lines = RunLogLines(*runs, "ReferralDistribution");
                            respond(SuccessResponse(
                                lines.empty() ? "No logs found for the specified date" : "Logs retrieved successfully",
                                codec::JsonObjectWriter()
                                    .Raw("logs", codec::JsonArray(lines))
                                    .Integer("totalLines", static_cast<int64_t>(lines.size()))
                                    .String("filePath", "ledger:reward_runs")
                                    .Finish()));
                          });
}

constexpr RestRoute<Ctx> kRewardRoutes[] = {
    {{"RW1", "GET", "/api/rewards/status", RestAuth::kAdmin,
      "Distribution settings, whether a run is in progress, the next scheduled run."},
     &RewardStatus},
    {{"RW2", "POST", "/api/rewards/trigger", RestAuth::kAdmin,
      "Run the uptime distribution now (single-flight: 409 while one runs); answers when it has finished."},
     &Trigger},
    {{"RW3", "GET", "/api/rewards/history", RestAuth::kAdmin, "Distribution runs, newest first (`limit`, `offset`)."},
     &History},
    {{"RW4", "GET", "/api/rewards/distribution/:distributionId", RestAuth::kAdmin,
      "One run and the transfers it made."},
     &Distribution},
    {{"RW5", "GET", "/api/rewards/user/:userPrincipalId/history", RestAuth::kAdmin,
      "A principal's uptime transfers, newest first (`limit`, `offset`)."},
     &UserHistory},
    {{"RW6", "GET", "/api/rewards/unprocessed-count", RestAuth::kAdmin,
      "Uptime days with measured minutes not paid yet."},
     &UnprocessedCount},
    {{"RW7", "GET", "/api/rewards/logs", RestAuth::kAdmin, "The uptime runs as log lines (`lines` runs at most)."},
     &Logs},
    {{"RWX1", "GET", "/api/rewards/audit", RestAuth::kAdmin,
      "Ours: recompute every ledger total; `balanced` is issued == held."},
     &Audit},
};

constexpr RestRoute<Ctx> kDistributionRoutes[] = {
    {{"D1", "GET", "/api/referral-distribution/status", RestAuth::kNone,
      "Whether the scheduled referral distribution is on."},
     &DistributionServiceStatus},
    {{"D2", "POST", "/api/referral-distribution/trigger/weekly-uptime", RestAuth::kAdmin,
      "Pay uptime, then the weekly referral uptime shares of the last completed week (409 while a run is in progress)."},
     &TriggerWeekly},
    {{"D3", "POST", "/api/referral-distribution/trigger/daily-task", RestAuth::kAdmin,
      "Nothing to do: task shares are paid with each job reward."},
     &TriggerDailyTask},
    {{"D4", "POST", "/api/referral-distribution/trigger/monthly-cap-reset", RestAuth::kAdmin,
      "Nothing to do: the monthly cap is a window over the recorded transfers."},
     &TriggerCapReset},
    {{"D5", "GET", "/api/referral-distribution/logs", RestAuth::kAdmin, "The weekly referral runs as log lines."},
     &DistributionLogs},
};

template <typename Table>
void Register(net::Router& router, Table table, std::shared_ptr<Ctx> ctx, std::shared_ptr<const RestOptions> options,
              bool e2) {
  for (const RestRoute<Ctx>& route : table) {
    router.Add(std::string(route.info.method), std::string(route.info.path),
               [&route, ctx, options, e2](net::HttpRequest& request, net::HttpReply reply) {
                 auto shared = std::make_shared<net::HttpReply>(std::move(reply));
                 RestRespond respond = [shared, &route, agent = std::string(request.Header("User-Agent"))](
                                           net::HttpResponse r) {
                   LogRestOutcome(route.info, agent, r);
                   shared->Send(std::move(r));
                 };
                 if (e2 && route.info.auth == RestAuth::kAdmin) {
                   const AdminCheck check = CheckAdminToken(request.Header("Authorization"), options->admin_token);
                   if (check != AdminCheck::kAllowed) return respond(E2AdminRefusal(check));
                 }
                 RunRestRoute(route, *ctx, *options, request, std::move(respond));
               },
               route.info.body_bytes_max);
  }
}

}  // namespace

RewardRoutesOptions RewardRoutesOptions::FromConfig(const Config& config) {
  RewardRoutesOptions o;
  o.rest.admin_token = config.admin_token;
  o.distribution_enabled = config.reward_distribution_enabled;
  o.distribution_interval = config.rewards.distribution_interval;
  return o;
}

std::span<const RestRoute<RewardRoutesContext>> RewardRouteTable() { return kRewardRoutes; }
std::span<const RestRoute<RewardRoutesContext>> ReferralDistributionRouteTable() { return kDistributionRoutes; }

void AddRewardRoutes(net::Router& router, RewardRoutesDeps deps, RewardRoutesOptions options) {
  auto rest = std::make_shared<const RestOptions>(options.rest);
  auto ctx = std::make_shared<Ctx>(Ctx{std::move(deps), std::move(options)});
  Register(router, RewardRouteTable(), ctx, rest, true);
  Register(router, ReferralRouteTable(), ctx, rest, false);
  Register(router, ReferralDistributionRouteTable(), ctx, rest, false);
}

net::HttpResponse E2AdminRefusal(AdminCheck check) {
  if (check == AdminCheck::kDisabled) {
    return E2Error(403, "Forbidden", "Admin routes are disabled: ADMIN_TOKEN is not configured");
  }
  std::string_view message = "Invalid authorization token";
  if (check == AdminCheck::kMissing) message = "Authorization header is required";
  if (check == AdminCheck::kNotBearer) message = "Authorization header must start with \"Bearer \"";
  net::HttpResponse r = E2Error(401, "Unauthorized", message);
  r.headers.emplace_back("WWW-Authenticate", "Bearer");
  return r;
}

net::HttpResponse E2FromStatus(const Status& status, std::string_view route_message) {
  const Status s = store::FailureForCaller(status);
  switch (s.code()) {
    case Code::kInvalidArgument:
    case Code::kFailedPrecondition: return E2Error(400, "ValidationError", s.message());
    case Code::kNotFound: return E2Error(404, "NotFound", s.message());
    case Code::kAlreadyExists:
    case Code::kConflict: return E2Error(409, "Conflict", s.message());
    case Code::kUnavailable: {
      net::HttpResponse r = E2Error(503, "ServiceUnavailable", "Service temporarily unavailable: " + s.message());
      r.headers.emplace_back("Retry-After", "1");
      return r;
    }
    default: break;
  }
  spdlog::warn("request failed{}", LogFields({{"route_message", route_message}, {"error", status.ToString()}}));
  return E2Error(500, "DatabaseError", route_message);
}

}  // namespace sela::api
