#include "api/node_reward_routes.h"

// GCC 12 at -O3 warns that a moved-from std::expected<std::vector<...>> in a
// std::function argument "may be used uninitialized" (a false positive of
// its inliner, like GCC bug 105562; as in rpc_routes.cc).
#if defined(__GNUC__) && !defined(__clang__)
#pragma GCC diagnostic ignored "-Wmaybe-uninitialized"
#endif

#include <spdlog/spdlog.h>

#include <cmath>
#include <memory>

#include "api/node_reward_views.h"
#include "api/query_params.h"
#include "codec/json.h"
#include "core/calendar.h"
#include "core/logging.h"

namespace sela::api {

namespace {

using Ctx = NodeRoutesContext;
using store::RewardKind;

// Everything N5 shows, read one after another.
struct UserDataRead {
  UserDataInput in;
  std::string today;
  RestRespond respond;
};

void Fail(const std::shared_ptr<UserDataRead>& d, const Status& st) {
  d->respond(StoreFailure(st, "Failed to get user data"));
}

void UserDataToday(Ctx& ctx, std::shared_ptr<UserDataRead> d) {
  const std::string& p = d->in.node.principal;
  ctx.deps.store.GetEarningsDays(p, d->today, d->today, [&ctx, d](Result<std::vector<store::EarningsDay>> days) {
    if (!days) return Fail(d, days.error());
    for (const store::EarningsDay& day : *days) d->in.today_units += day.total_units();
    ctx.deps.store.GetUptimeDays(d->in.node.principal, d->today, d->today,
                                 [&ctx, d](Result<std::vector<store::UptimeDay>> uptime) {
                                   if (!uptime) return Fail(d, uptime.error());
                                   if (!uptime->empty()) d->in.today = uptime->front();
                                   // The live part is read last, so that the
                                   // stored day and it do not overlap.
                                   d->in.now_ms = ctx.deps.clock.WallMs();
                                   d->in.live = SnapshotLive(ctx.deps.registry, d->in.node.principal, d->in.now_ms,
                                                             ctx.deps.last_checkpoint_ms());
                                   d->respond(SuccessResponse("User data retrieved successfully", UserDataJson(d->in)));
                                 });
  });
}

void UserDataSettled(Ctx& ctx, std::shared_ptr<UserDataRead> d);

void UserDataLedger(Ctx& ctx, std::shared_ptr<UserDataRead> d) {
  const std::string& p = d->in.node.principal;
  ctx.deps.store.GetAccount(p, [&ctx, d](Result<store::AccountSummary> account) {
    if (!account) return Fail(d, account.error());
    d->in.account = std::move(*account);
    UserDataSettled(ctx, d);
  });
}

void UserDataSettled(Ctx& ctx, std::shared_ptr<UserDataRead> d) {
  ctx.deps.store.GetSettledTotal(d->in.node.principal, [&ctx, d](Result<store::SettledTotal> settled) {
    if (!settled) return Fail(d, settled.error());
    d->in.settled = std::move(*settled);
    store::TransferQuery q;
    q.principal = d->in.node.principal;
    q.kinds = store::KindBit(RewardKind::kJob);
    q.limit = 1;
    ctx.deps.store.ListTransfers(q, [&ctx, d](Result<store::TransferPage> page) {
      if (!page) return Fail(d, page.error());
      if (!page->transfers.empty()) d->in.last_job = std::move(page->transfers.front());
      UserDataToday(ctx, d);
    });
  });
}

// "YYYY-MM-DD" query parameter: absent is nullopt in *out; true when absent
// or a real day.
bool DayParam(const net::HttpRequest& request, std::string_view name, std::optional<std::string>* out) {
  bool structured = false;
  auto text = QueryString(request, name, &structured);
  if (!text) return true;
  if (structured || !ParseDay(*text)) return false;
  *out = std::move(*text);
  return true;
}

}  // namespace

// The original created the node record and marked it online here (D-10);
// this reads only: a principal without a node record is a 404.
void UserData(Ctx& ctx, RestCall& call) {
  auto d = std::make_shared<UserDataRead>();
  d->respond = call.respond;
  d->today = UtcDayOf(ctx.deps.clock.WallMs());
  d->in.rules = &ctx.options.rules;
  ctx.deps.store.GetNode(call.principal, [&ctx, d](Result<std::optional<store::NodeRecord>> node) {
    if (!node) return Fail(d, node.error());
    if (!node->has_value()) return d->respond(ErrorResponse(404, "Client not found"));
    d->in.node = std::move(**node);
    UserDataLedger(ctx, d);
  });
}

void RewardHistory(Ctx& ctx, RestCall& call) {
  const auto page = PagingParam(call.request, "page", 1, 1, 1'000'000'000);
  const auto limit = PagingParam(call.request, "limit", 20, 1, ctx.options.history_limit_max);
  if (!page || !limit) {
    call.respond(ErrorResponse(400, "Invalid page or limit: page must be a positive integer and limit an integer from 1 to " +
                                        std::to_string(ctx.options.history_limit_max)));
    return;
  }
  auto in = std::make_shared<HistoryInput>();
  in->principal = call.principal;
  in->page_number = static_cast<uint32_t>(*page);
  in->limit = static_cast<uint32_t>(*limit);
  ctx.deps.store.GetAccount(in->principal, [&ctx, in, respond = call.respond](Result<store::AccountSummary> a) {
    if (!a) return respond(StoreFailure(a.error(), "Failed to fetch reward history"));
    in->account = std::move(*a);
    store::TransferQuery q;
    q.principal = in->principal;
    q.kinds = store::KindBit(RewardKind::kJob) | store::KindBit(RewardKind::kUptime);
    q.offset = uint64_t{in->page_number - 1} * in->limit;
    q.limit = in->limit;
    ctx.deps.store.ListTransfers(q, [in, respond](Result<store::TransferPage> p) {
      if (!p) return respond(StoreFailure(p.error(), "Failed to fetch reward history"));
      in->page = std::move(*p);
      respond(SuccessResponse("Paginated reward history retrieved successfully", RewardHistoryJson(*in)));
    });
  });
}

void RewardChart(Ctx& ctx, RestCall& call) {
  std::optional<std::string> start;
  std::optional<std::string> end;
  if (!DayParam(call.request, "startDate", &start) || !DayParam(call.request, "endDate", &end) ||
      (start && end && *start > *end)) {
    call.respond(ErrorResponse(400, "Invalid date range: startDate and endDate are YYYY-MM-DD days (UTC), "
                                    "startDate not after endDate"));
    return;
  }
  const std::string principal = call.principal;
  ctx.deps.store.GetEarningsDays(principal, start.value_or(DayText(0)), end.value_or("9999-12-31"),
                                 [principal, start, end, respond = call.respond](
                                     Result<std::vector<store::EarningsDay>> days) {
                                   if (!days) return respond(StoreFailure(days.error(), "Failed to fetch reward history"));
                                   respond(SuccessResponse("Reward history chart data retrieved successfully",
                                                           RewardChartJson(principal, *days, start, end)));
                                 });
}

std::optional<int64_t> GrantUnits(const boost::json::value& rewards, int64_t units_max) {
  if (!rewards.is_number()) return std::nullopt;
  const double sp = rewards.to_number<double>();
  if (!std::isfinite(sp) || sp <= 0 || sp > static_cast<double>(units_max) / kUnitsPerSp) return std::nullopt;
  const double units = sp * kUnitsPerSp;
  const double whole = std::round(units);
  // More than 8 decimals cannot be credited exactly: refused, not rounded.
  if (whole < 1 || std::fabs(units - whole) > std::max(1e-3, whole * 1e-12)) return std::nullopt;
  return static_cast<int64_t>(whole);
}

namespace {

constexpr std::string_view kGrantFailed = "Failed to add rewards";

// The grant's transfer id: the caller's Idempotency-Key (a repeat with the
// same body is then a no-op), else one this process never makes twice.
std::optional<std::string> GrantId(Ctx& ctx, const net::HttpRequest& request, int64_t now_ms) {
  if (request.HasHeader("Idempotency-Key")) {
    const std::string_view key = request.Header("Idempotency-Key");
    if (key.empty() || key.size() > 128) return std::nullopt;
    for (char c : key) {
      if (c < 0x21 || c > 0x7e) return std::nullopt;
    }
    return "admin:key:" + std::string(key);
  }
  return "admin:" + ctx.options.instance + ":" + std::to_string(now_ms) + ":" + std::to_string(++ctx.grants);
}

void Grant(Ctx& ctx, store::Transfer t, RestRespond respond) {
  const std::string principal = t.principal;
  std::vector<store::Transfer> one;
  one.push_back(std::move(t));
  ctx.deps.store.ApplyTransfers(std::move(one), "", [&ctx, principal, respond](
                                                        Result<std::vector<store::AppliedTransfer>> applied) {
    if (!applied) {
      if (applied.error().code() == Code::kConflict) {
        return respond(ErrorResponse(409, "Idempotency-Key was used before with another principal or amount"));
      }
      return respond(StoreFailure(applied.error(), kGrantFailed));
    }
    spdlog::info("admin grant{}", LogFields({{"principal", principal},
                                             {"units", std::to_string(applied->front().credited_units)},
                                             {"repeat", applied->front().outcome == store::TransferOutcome::kRepeat
                                                            ? "true" : "false"}}));
    ctx.deps.store.GetAccount(principal, [respond](Result<store::AccountSummary> a) {
      if (!a) return respond(StoreFailure(a.error(), kGrantFailed));
      respond(SuccessResponse("Rewards added successfully", RewardsAddedJson(a->balance_units)));
    });
  });
}

}  // namespace

// Admin only (the original let anyone credit anyone, negative amounts too:
// D-4, D-17). A credit from the `issuance:admin` account, as every reward.
void AddRewards(Ctx& ctx, RestCall& call) {
  const auto* principal = codec::FindField(call.body, "principalId");
  const auto* rewards = codec::FindField(call.body, "rewards");
  if (principal == nullptr || !codec::IsTruthy(*principal) || rewards == nullptr || !rewards->is_number()) {
    return call.respond(ErrorResponse(400, "Missing or invalid principalId or rewards"));
  }
  if (!principal->is_string() || principal->as_string().size() > ctx.options.rest.principal_bytes_max) {
    return call.respond(ErrorResponse(400, "Invalid user principal ID format"));
  }
  const auto units = GrantUnits(*rewards, ctx.options.grant_units_max);
  if (!units) {
    return call.respond(ErrorResponse(400, "Invalid rewards: a positive number of SP with at most 8 decimals, at most " +
                                               std::to_string(ctx.options.grant_units_max / kUnitsPerSp)));
  }
  const int64_t now = ctx.deps.clock.WallMs();
  auto id = GrantId(ctx, call.request, now);
  if (!id) return call.respond(ErrorResponse(400, "Invalid Idempotency-Key: 1 to 128 visible ASCII characters"));
  store::Transfer t;
  t.id = std::move(*id);
  t.kind = RewardKind::kAdmin;
  t.principal = std::string(principal->as_string());
  t.amount_units = *units;
  t.day = UtcDayOf(now);
  t.created_ms = now;
  const std::string target = t.principal;
  ctx.deps.store.GetNode(target, [&ctx, t = std::move(t), respond = call.respond](
                                          Result<std::optional<store::NodeRecord>> node) mutable {
    if (!node) return respond(StoreFailure(node.error(), kGrantFailed));
    if (!node->has_value()) return respond(ErrorResponse(404, "Failed to add rewards: Client not found"));
    Grant(ctx, std::move(t), respond);
  });
}

}  // namespace sela::api
