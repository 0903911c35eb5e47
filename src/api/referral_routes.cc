// /api/referral/* (rest-api.md §2.7): a caller's own referral data, found
// by RestAuth::kPrincipalCompat like the node routes today's app calls, and
// registration by the referee itself, limited per source
// (RATE_REGISTER_REFERRAL_PER_SOURCE). The JSON is referral_views.h's.
#include <memory>

// GCC 12 at -O3 warns that a moved-from std::expected<std::vector<...>> in a
// std::function argument "may be used uninitialized" (a false positive of
// its inliner, like GCC bug 105562; as in rpc_routes.cc).
#if defined(__GNUC__) && !defined(__clang__)
#pragma GCC diagnostic ignored "-Wmaybe-uninitialized"
#endif

#include "api/referral_views.h"
#include "api/reward_routes.h"
#include "codec/js_json.h"
#include "codec/json.h"
#include "core/calendar.h"

namespace sela::api {

namespace {

using Ctx = RewardRoutesContext;
using codec::JsonObjectWriter;

constexpr size_t kCodeLength = 8;

OnlineFn OnlineIn(const nodes::NodeRegistry& registry) {
  return [&registry](std::string_view p) { return registry.Find(p) != nodes::kNoNode; };
}

std::string FieldData(std::string_view field, std::string_view message) {
  return JsonObjectWriter().String("field", field).String("message", message).Finish();
}

net::HttpResponse InvalidCode() {
  return ErrorResponse(400, "Invalid referral code", R"({"field":"referral_code","valid":false})");
}

// Rf1/Rf2 `referral_code`: trimmed and upper-cased, as the original; on
// failure, the response to send.
std::optional<std::string> CodeOf(const boost::json::object& body, net::HttpResponse* refusal) {
  const auto* v = codec::FindField(body, "referral_code");
  if (v == nullptr || !codec::IsTruthy(*v)) {
    *refusal = ErrorResponse(400, "Referral code is required", FieldData("referral_code", "This field is required"));
    return std::nullopt;
  }
  std::string_view text = v->is_string() ? std::string_view(v->as_string()) : std::string_view();
  while (!text.empty() && (text.front() == ' ' || text.front() == '\t')) text.remove_prefix(1);
  while (!text.empty() && (text.back() == ' ' || text.back() == '\t')) text.remove_suffix(1);
  if (text.empty()) {
    *refusal = ErrorResponse(400, "Invalid referral code format", FieldData("referral_code", "Must be a non-empty string"));
    return std::nullopt;
  }
  std::string code(text);
  for (char& c : code) c = static_cast<char>(std::toupper(static_cast<unsigned char>(c)));
  bool ok = code.size() == kCodeLength;
  for (char c : code) ok = ok && ((c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9'));
  if (!ok) {
    *refusal = InvalidCode();  // No code of another form exists.
    return std::nullopt;
  }
  return code;
}

void Validate(Ctx& ctx, RestCall& call) {
  net::HttpResponse refusal;
  const auto code = CodeOf(call.body, &refusal);
  if (!code) return call.respond(std::move(refusal));
  ctx.deps.store.FindNodeByReferralCode(*code, [respond = call.respond](Result<std::optional<store::NodeRecord>> r) {
    if (!r) return respond(StoreFailure(r.error(), "Failed to validate referral code"));
    if (!r->has_value()) return respond(InvalidCode());
    respond(SuccessResponse("Referral code is valid", JsonObjectWriter()
                                                          .Bool("valid", true)
                                                          .String("referrer_principal_id", (*r)->principal)
                                                          .String("message", "Valid referral code")
                                                          .Finish()));
  });
}

net::HttpResponse RegistrationRefused(const store::ReferralOutcome& o) {
  using store::ReferralRefusal;
  switch (o.refusal) {
    case ReferralRefusal::kNone: break;
    case ReferralRefusal::kUnknownCode: return InvalidCode();
    case ReferralRefusal::kUnknownReferee:
      return ErrorResponse(404, "Client not found: only a node that has connected can register a referral code");
    case ReferralRefusal::kSelfReferral: return ErrorResponse(400, "You cannot use your own referral code");
    case ReferralRefusal::kAlreadyReferred: return ErrorResponse(409, "User already registered with a referral code");
    case ReferralRefusal::kCycle:
    case ReferralRefusal::kChainTooDeep:
      return ErrorResponse(400, "This referral code would make a referral cycle");
  }
  return ErrorResponse(500, "Failed to register referral");
}

void Register(Ctx& ctx, RestCall& call) {
  // RATE_REGISTER_REFERRAL_PER_SOURCE (rest_guard.h), before anything is read.
  if (RestGuard* guard = ctx.options.rest.guard; guard != nullptr) {
    if (auto refused = guard->AdmitReferralRegister(call.request)) return call.respond(std::move(*refused));
  }
  if (!ctx.deps.distributor.rules().referral_enabled) {
    return call.respond(ErrorResponse(503, "Referral system is currently disabled"));
  }
  net::HttpResponse refusal;
  const auto code = CodeOf(call.body, &refusal);
  if (!code) return call.respond(std::move(refusal));
  ctx.deps.store.RegisterReferral(call.principal, *code, ctx.deps.clock.WallMs(),
                                  [respond = call.respond](Result<store::ReferralOutcome> r) {
                                    if (!r) return respond(StoreFailure(r.error(), "Failed to register referral"));
                                    if (r->refusal != store::ReferralRefusal::kNone) {
                                      return respond(RegistrationRefused(*r));
                                    }
                                    net::HttpResponse created = SuccessResponse(
                                        "Successfully registered with referral code",
                                        JsonObjectWriter().Raw("relationship", RelationshipJson(r->record, true)).Finish());
                                    created.status = 201;
                                    respond(std::move(created));
                                  });
}

// Everything the dashboard shows, read one after another.
struct DashboardRead {
  DashboardInput in;
  std::string principal;
  RestRespond respond;
};

void DashboardMonth(Ctx& ctx, std::shared_ptr<DashboardRead> d) {
  const int64_t now = ctx.deps.clock.WallMs();
  const std::string today = UtcDayOf(now);
  d->in.month = today.substr(0, 7);
  ctx.deps.store.GetEarningsDays(
      d->principal, d->in.month + "-01", today, [&ctx, d](Result<std::vector<store::EarningsDay>> days) {
        if (!days) return d->respond(StoreFailure(days.error(), "Failed to get referral dashboard"));
        for (const store::EarningsDay& day : *days) {
          d->in.month_uptime_units += day.units[static_cast<size_t>(store::RewardKind::kReferralUptime1)] +
                                      day.units[static_cast<size_t>(store::RewardKind::kReferralUptime2)];
        }
        d->in.monthly_cap_units = ctx.deps.distributor.rules().monthly_cap_units;
        d->in.online = OnlineIn(ctx.deps.registry);
        d->respond(SuccessResponse("Referral dashboard retrieved successfully", DashboardJson(d->in)));
      });
}

void DashboardLists(Ctx& ctx, std::shared_ptr<DashboardRead> d) {
  ctx.deps.store.ListReferees(d->principal, ctx.options.tree_referees_max,
                              [&ctx, d](Result<std::vector<store::RefereeEntry>> referees) {
    if (!referees) return d->respond(StoreFailure(referees.error(), "Failed to get referral dashboard"));
    d->in.referees = std::move(*referees);
    store::TransferQuery q;
    q.principal = d->principal;
    q.kinds = kReferralKinds;
    q.limit = 10;
    ctx.deps.store.ListTransfers(q, [&ctx, d](Result<store::TransferPage> page) {
      if (!page) return d->respond(StoreFailure(page.error(), "Failed to get referral dashboard"));
      d->in.recent = std::move(page->transfers);
      DashboardMonth(ctx, d);
    });
  });
}

void Dashboard(Ctx& ctx, RestCall& call) {
  auto d = std::make_shared<DashboardRead>(DashboardRead{{}, call.principal, call.respond});
  ctx.deps.store.GetNode(call.principal, [&ctx, d](Result<std::optional<store::NodeRecord>> node) {
    if (!node) return d->respond(StoreFailure(node.error(), "Failed to get referral dashboard"));
    if (!node->has_value()) return d->respond(ErrorResponse(404, "Client not found"));
    d->in.referral_code = (*node)->referral_code;
    ctx.deps.store.CountReferees(d->principal, [&ctx, d](Result<store::ReferralCounts> counts) {
      if (!counts) return d->respond(StoreFailure(counts.error(), "Failed to get referral dashboard"));
      d->in.counts = *counts;
      ctx.deps.store.GetAccount(d->principal, [&ctx, d](Result<store::AccountSummary> account) {
        if (!account) return d->respond(StoreFailure(account.error(), "Failed to get referral dashboard"));
        d->in.account = std::move(*account);
        DashboardLists(ctx, d);
      });
    });
  });
}

void Stats(Ctx& ctx, RestCall& call) {
  auto in = std::make_shared<StatsInput>();
  const std::string principal = call.principal;
  ctx.deps.store.CountReferees(principal, [&ctx, in, principal, respond = call.respond](Result<store::ReferralCounts> c) {
    if (!c) return respond(StoreFailure(c.error(), "Failed to get referral stats"));
    in->counts = *c;
    ctx.deps.store.GetAccount(principal, [&ctx, in, principal, respond](Result<store::AccountSummary> a) {
      if (!a) return respond(StoreFailure(a.error(), "Failed to get referral stats"));
      in->account = std::move(*a);
      // Monday 00:00 UTC of this week (every day, Sunday too: D-20).
      const int64_t today = DayNumberOf(ctx.deps.clock.WallMs());
      const int64_t monday = today - (WeekdayOf(today) + 6) % 7;
      ctx.deps.store.GetEarningsDays(principal, DayText(monday), DayText(today),
                                     [in, respond](Result<std::vector<store::EarningsDay>> days) {
                                       if (!days) return respond(StoreFailure(days.error(), "Failed to get referral stats"));
                                       for (const store::EarningsDay& d : *days) {
                                         for (size_t k = 0; k < store::kRewardKinds; ++k) {
                                           if (kReferralKinds & (uint32_t{1} << k)) in->this_week_units += d.units[k];
                                         }
                                       }
                                       respond(SuccessResponse("Referral stats retrieved successfully",
                                                               ReferralStatsJson(*in)));
                                     });
    });
  });
}

struct TreeRead {
  store::ReferralCounts counts;
  std::vector<TreeEntry> entries;
  size_t next = 0;
  RestRespond respond;
};

// One referee at a time: its node record, then (level 1) its uptime and
// balance.
void TreeNext(Ctx& ctx, std::shared_ptr<TreeRead> t) {
  if (t->next == t->entries.size()) {
    return t->respond(SuccessResponse("Referral tree retrieved successfully",
                                      ReferralTreeJson(t->counts, t->entries, OnlineIn(ctx.deps.registry))));
  }
  TreeEntry& e = t->entries[t->next];
  ctx.deps.store.GetNode(e.referee.referee, [&ctx, t, &e](Result<std::optional<store::NodeRecord>> node) {
    if (!node) return t->respond(StoreFailure(node.error(), "Failed to get referral tree"));
    if (node->has_value()) e.client_status = (*node)->status == store::NodeStatus::kActive ? "Active" : "Inactive";
    if (e.referee.level != 1 || !node->has_value()) {
      ++t->next;
      return TreeNext(ctx, t);
    }
    ctx.deps.store.GetTotalUptimeMs(e.referee.referee, [&ctx, t, &e](Result<int64_t> uptime) {
      if (!uptime) return t->respond(StoreFailure(uptime.error(), "Failed to get referral tree"));
      e.total_uptime_ms = *uptime;
      ctx.deps.store.GetAccount(e.referee.referee, [&ctx, t, &e](Result<store::AccountSummary> a) {
        if (!a) return t->respond(StoreFailure(a.error(), "Failed to get referral tree"));
        e.balance_units = a->balance_units;
        ++t->next;
        TreeNext(ctx, t);
      });
    });
  });
}

void Tree(Ctx& ctx, RestCall& call) {
  auto t = std::make_shared<TreeRead>();
  t->respond = call.respond;
  const std::string principal = call.principal;
  ctx.deps.store.CountReferees(principal, [&ctx, t, principal](Result<store::ReferralCounts> c) {
    if (!c) return t->respond(StoreFailure(c.error(), "Failed to get referral tree"));
    t->counts = *c;
    ctx.deps.store.ListReferees(principal, ctx.options.tree_referees_max,
                                [&ctx, t](Result<std::vector<store::RefereeEntry>> referees) {
                                  if (!referees) return t->respond(StoreFailure(referees.error(), "Failed to get referral tree"));
                                  for (store::RefereeEntry& e : *referees) {
                                    TreeEntry entry;
                                    entry.referee = std::move(e);
                                    t->entries.push_back(std::move(entry));
                                  }
                                  TreeNext(ctx, t);
                                });
  });
}

// Rf6 `type` and `tier`: the kinds they select; nullopt (and the refusal)
// when either is not one the original had.
std::optional<uint32_t> RewardKindsOf(const net::HttpRequest& request, net::HttpResponse* refusal) {
  bool structured = false;
  const std::string type = QueryString(request, "type", &structured).value_or("");
  if (structured || !(type.empty() || type == "INSTALLATION" || type == "UPTIME" || type == "TASK")) {
    *refusal = ErrorResponse(400, "Invalid reward type", FieldData("type", "Must be INSTALLATION, UPTIME or TASK"));
    return std::nullopt;
  }
  const std::string tier = QueryString(request, "tier", &structured).value_or("");
  if (structured || !(tier.empty() || tier == "1" || tier == "2")) {
    *refusal = ErrorResponse(400, "Invalid tier", FieldData("tier", "Must be 1 or 2"));
    return std::nullopt;
  }
  return ReferralKinds(type, tier.empty() ? 0 : static_cast<uint32_t>(tier[0] - '0'));
}

void Rewards(Ctx& ctx, RestCall& call) {
  const auto page = PagingParam(call.request, "page", 1, 1, ctx.options.offset_max);
  if (!page) {
    return call.respond(ErrorResponse(400, "Invalid page number", FieldData("page", "Must be a positive integer")));
  }
  const auto limit = PagingParam(call.request, "limit", 20, 1, ctx.options.page_limit_max);
  if (!limit) {
    return call.respond(ErrorResponse(400, "Invalid limit", FieldData("limit", "Must be between 1 and 100")));
  }
  net::HttpResponse refusal;
  const auto kinds = RewardKindsOf(call.request, &refusal);
  if (!kinds) return call.respond(std::move(refusal));
  auto in = std::make_shared<ReferralPageInput>();
  in->kinds = *kinds;
  in->page_number = static_cast<uint32_t>(*page);
  in->limit = static_cast<uint32_t>(*limit);
  const std::string principal = call.principal;
  ctx.deps.store.GetAccount(principal, [&ctx, in, principal, respond = call.respond](Result<store::AccountSummary> a) {
    if (!a) return respond(StoreFailure(a.error(), "Failed to get referral rewards"));
    in->account = std::move(*a);
    if (in->kinds == 0) {  // INSTALLATION at tier 2: nothing can match.
      return respond(SuccessResponse("Reward history retrieved successfully", ReferralRewardsJson(*in)));
    }
    store::TransferQuery q;
    q.principal = principal;
    q.kinds = in->kinds;
    q.offset = uint64_t{in->page_number - 1} * in->limit;
    q.limit = in->limit;
    ctx.deps.store.ListTransfers(q, [in, respond](Result<store::TransferPage> p) {
      if (!p) return respond(StoreFailure(p.error(), "Failed to get referral rewards"));
      in->page = std::move(*p);
      respond(SuccessResponse("Reward history retrieved successfully", ReferralRewardsJson(*in)));
    });
  });
}

void Relationship(Ctx& ctx, RestCall& call) {
  ctx.deps.store.GetReferral(call.principal, [respond = call.respond](Result<std::optional<store::ReferralRecord>> r) {
    if (!r) return respond(StoreFailure(r.error(), "Failed to get referral relationship"));
    if (!r->has_value()) return respond(SuccessResponse("User was not referred by anyone", "null"));
    respond(SuccessResponse("Referral relationship retrieved successfully", RelationshipJson(**r, false)));
  });
}

void RegistrationStatus(Ctx& ctx, RestCall& call) {
  ctx.deps.store.GetReferral(call.principal, [respond = call.respond](Result<std::optional<store::ReferralRecord>> r) {
    if (!r) return respond(StoreFailure(r.error(), "Failed to get registration status"));
    JsonObjectWriter w;
    if (r->has_value()) {
      w.Bool("registered", true)
          .Raw("relationship", RelationshipJson(**r, false))
          .String("message", "User is registered with a referral code");
    } else {
      w.Bool("registered", false).String("message", "User is not registered with any referral code");
    }
    respond(SuccessResponse("User registration status retrieved successfully", w.Finish()));
  });
}

void Config_(Ctx& ctx, RestCall& call) {
  call.respond(SuccessResponse("Referral configuration retrieved successfully",
                               ReferralConfigJson(ctx.deps.distributor.rules().referral_enabled)));
}

constexpr RestRoute<Ctx> kReferralRoutes[] = {
    {{"Rf1", "POST", "/api/referral/validate", RestAuth::kNone, "Whether a referral code exists, and whose it is."},
     &Validate},
    {{"Rf2", "POST", "/api/referral/register", RestAuth::kPrincipalCompat,
      "The caller (a registered node) registers itself under a referral code: 201; once only, never its own, no cycle."},
     &Register},
    {{"Rf3", "GET", "/api/referral/dashboard", RestAuth::kPrincipalCompat,
      "The caller's code, referees, earnings and monthly cap."},
     &Dashboard},
    {{"Rf4", "GET", "/api/referral/stats", RestAuth::kPrincipalCompat, "The caller's referral figures."}, &Stats},
    {{"Rf5", "GET", "/api/referral/tree", RestAuth::kPrincipalCompat, "The caller's level 1 and 2 referees."}, &Tree},
    {{"Rf6", "GET", "/api/referral/rewards", RestAuth::kPrincipalCompat,
      "The caller's referral rewards (`page`, `limit`, `type`, `tier`)."},
     &Rewards},
    {{"Rf7", "GET", "/api/referral/relationship", RestAuth::kPrincipalCompat, "Who referred the caller, or null."},
     &Relationship},
    {{"Rf8", "GET", "/api/referral/status", RestAuth::kPrincipalCompat, "Whether the caller registered a referral code."},
     &RegistrationStatus},
    {{"Rf9", "GET", "/api/referral/config", RestAuth::kNone, "Whether referrals are on, and their depth."}, &Config_},
};

}  // namespace

std::span<const RestRoute<RewardRoutesContext>> ReferralRouteTable() { return kReferralRoutes; }

}  // namespace sela::api
