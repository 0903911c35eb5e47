#include "rewards/distributor.h"

#include <spdlog/spdlog.h>

#include <utility>
#include <vector>

#include "rewards/plan.h"

namespace sela::rewards {

namespace {
constexpr int kIdTries = 8;
}  // namespace

std::string_view TriggerName(Trigger trigger) {
  return trigger == Trigger::kSchedule ? "schedule" : "manual";
}

struct Distributor::Ctx {
  store::RunRecord run;
  RunDone done;
  bool resumed = false;
  int64_t conflicts = 0;
  int64_t stale_payments = 0;
  Week week;  // Weekly runs: the week it pays (from run.day, its last day).
  // Weekly runs: ApplyTransfers calls of the current page still out, and
  // the first error among them.
  size_t outstanding = 0;
  Status page_error;
  bool stopped = false;  // Finish() was called.
};

Distributor::Distributor(DistributorOptions options, store::Store& store, const Clock& clock)
    : options_(std::move(options)), store_(store), clock_(clock) {}

Distributor::~Distributor() { *alive_ = false; }

std::optional<store::RunRecord> Distributor::current() const {
  if (!current_) return std::nullopt;
  return current_->run;
}

std::string Distributor::NextRunId(store::RunKind kind, int64_t now_ms) {
  // The original's id forms (rest-api.md §1.5), unique here because
  // (ms, n) never repeats.
  if (now_ms > last_id_ms_) {
    last_id_ms_ = now_ms;
    id_seq_ = 0;
  } else {
    ++id_seq_;
  }
  const std::string suffix = std::to_string(last_id_ms_) + "_" + std::to_string(id_seq_);
  return kind == store::RunKind::kUptime ? "dist_" + suffix : "weekly_uptime_" + suffix;
}

void Distributor::RunUptime(Trigger trigger, RunDone done) {
  Begin(store::RunKind::kUptime, trigger, std::move(done));
}

void Distributor::RunReferralWeekly(Trigger trigger, RunDone done) {
  Begin(store::RunKind::kReferralWeekly, trigger, std::move(done));
}

void Distributor::Begin(store::RunKind kind, Trigger trigger, RunDone done) {
  if (current_) {
    done(Err(FailedPrecondition("distribution run " + current_->run.id + " is in progress")));
    return;
  }
  const int64_t now_ms = clock_.WallMs();
  auto ctx = std::make_shared<Ctx>();
  ctx->done = std::move(done);
  current_ = ctx;
  store::RunStart start;
  start.run.id = NextRunId(kind, now_ms);
  start.run.kind = kind;
  start.run.trigger = std::string(TriggerName(trigger));
  start.run.day = kind == store::RunKind::kUptime ? UtcDayOf(now_ms)
                                                  : DayText(LastCompletedWeek(DayNumberOf(now_ms)).last_day);
  start.run.owner = options_.owner;
  start.now_ms = now_ms;
  start.stale_after_ms = options_.stale_after_ms;
  Start(std::move(ctx), std::move(start), kIdTries);
}

void Distributor::Start(std::shared_ptr<Ctx> ctx, store::RunStart start, int tries) {
  store_.StartRun(start, [this, alive = std::weak_ptr<bool>(alive_), ctx, start, tries](
                             Result<store::RunStartResult> r) mutable {
    if (!alive.lock()) return;
    if (!r && r.error().code() == Code::kAlreadyExists && tries > 1) {
      // An id a previous process made in the same millisecond: the next one.
      start.run.id = NextRunId(start.run.kind, start.now_ms);
      Start(std::move(ctx), std::move(start), tries - 1);
      return;
    }
    Started(ctx, std::move(r));
  });
}

void Distributor::Resume(int64_t stale_after_ms, std::function<void(Result<std::optional<RunOutcome>>)> done) {
  if (current_) {
    done(Err(FailedPrecondition("distribution run " + current_->run.id + " is in progress")));
    return;
  }
  auto ctx = std::make_shared<Ctx>();
  ctx->done = [done](Result<RunOutcome> r) {
    if (!r) {
      done(Err(r.error()));
      return;
    }
    done(std::optional<RunOutcome>(std::move(*r)));
  };
  current_ = ctx;
  store::RunStart start;
  start.run.id = "resume";
  start.run.trigger = "resume";
  start.run.day = UtcDayOf(clock_.WallMs());
  start.run.owner = options_.owner;
  start.now_ms = clock_.WallMs();
  start.stale_after_ms = stale_after_ms;
  start.resume_only = true;
  store_.StartRun(start, [this, alive = std::weak_ptr<bool>(alive_), ctx, done](Result<store::RunStartResult> r) {
    if (!alive.lock()) return;
    if (r && r->outcome == store::RunStartOutcome::kIdle) {
      current_.reset();
      done(std::optional<RunOutcome>());
      return;
    }
    Started(ctx, std::move(r));
  });
}

void Distributor::Started(std::shared_ptr<Ctx> ctx, Result<store::RunStartResult> r) {
  if (!r) {
    current_.reset();
    ctx->done(Err(r.error()));
    return;
  }
  if (r->outcome == store::RunStartOutcome::kBusy) {
    current_.reset();
    ctx->done(Err(FailedPrecondition("distribution run " + r->run.id + " is in progress under " + r->run.owner)));
    return;
  }
  ctx->run = std::move(r->run);
  ctx->resumed = r->outcome == store::RunStartOutcome::kResumed;
  if (ctx->resumed) {
    spdlog::info("reward distribution resumed: run {} ({})", ctx->run.id, store::RunKindName(ctx->run.kind));
  }
  Continue(std::move(ctx));
}

void Distributor::Continue(std::shared_ptr<Ctx> ctx) {
  if (ctx->run.kind == store::RunKind::kUptime) {
    UptimePage(std::move(ctx), "", "");
    return;
  }
  const std::optional<int64_t> last = ParseDay(ctx->run.day);
  if (!last) {
    Finish(std::move(ctx), Internal("weekly run with a malformed day " + ctx->run.day));
    return;
  }
  ctx->week = Week{*last - 6, *last};
  WeeklyPage(std::move(ctx), "");
}

void Distributor::UptimePage(std::shared_ptr<Ctx> ctx, std::string after_principal, std::string after_day) {
  store_.ListUnpaidUptime(after_principal, after_day, options_.page_rows,
                          [this, alive = std::weak_ptr<bool>(alive_), ctx](Result<std::vector<store::UptimeDay>> rows) {
                            if (alive.lock()) OnUptimeRows(ctx, std::move(rows));
                          });
}

// Pays a page, and reads the next one at once: the store applies in issue
// order, so the next page (strictly after this one's last row) is the same
// whether or not these payments have been applied, and the writer always
// has the next step queued.
void Distributor::OnUptimeRows(std::shared_ptr<Ctx> ctx, Result<std::vector<store::UptimeDay>> rows) {
  if (ctx->stopped) return;
  if (!rows) {
    Finish(ctx, rows.error());
    return;
  }
  if (rows->empty()) {
    Installations(ctx);
    return;
  }
  const int64_t now_ms = clock_.WallMs();
  std::vector<store::UptimePayment> payments;
  payments.reserve(rows->size());
  for (const store::UptimeDay& day : *rows) {
    if (auto p = PlanUptimePayment(day, options_.rules, ctx->run.id, now_ms)) payments.push_back(std::move(*p));
  }
  const bool last_page = rows->size() < options_.page_rows;
  auto alive = std::weak_ptr<bool>(alive_);
  if (!payments.empty()) {
    store_.PayUptime(std::move(payments), options_.owner,
                     [this, alive, ctx, last_page](Result<std::vector<store::PaymentOutcome>> paid) {
                       if (!alive.lock() || ctx->stopped) return;
                       if (!paid) {
                         Finish(ctx, paid.error());
                         return;
                       }
                       for (store::PaymentOutcome o : *paid) {
                         if (o == store::PaymentOutcome::kStale) ++ctx->stale_payments;
                       }
                       if (last_page) Installations(ctx);
                     });
  } else if (last_page) {
    Installations(ctx);
  }
  if (!last_page) UptimePage(ctx, rows->back().principal, rows->back().day);
}

void Distributor::Installations(std::shared_ptr<Ctx> ctx) {
  if (!options_.rules.referral_enabled) {
    Finish(std::move(ctx), Status::Ok());
    return;
  }
  store::InstallationClaim claim;
  claim.min_uptime_ms = options_.rules.installation_min_uptime_ms;
  claim.amount_units = options_.rules.installation_units;
  claim.now_ms = clock_.WallMs();
  claim.day = UtcDayOf(claim.now_ms);
  claim.run_id = ctx->run.id;
  claim.limit = options_.installation_claims_per_call;
  store_.ClaimInstallationBonuses(
      claim, options_.owner,
      [this, alive = std::weak_ptr<bool>(alive_), ctx, limit = claim.limit](Result<std::vector<store::TransferRecord>> r) {
        if (!alive.lock()) return;
        if (!r) {
          Finish(ctx, r.error());
        } else if (r->size() >= limit) {
          Installations(ctx);
        } else {
          Finish(ctx, Status::Ok());
        }
      });
}

void Distributor::WeeklyPage(std::shared_ptr<Ctx> ctx, std::string after_referee) {
  store_.ListRefereeWeeks(
      DayText(ctx->week.first_day), DayText(ctx->week.last_day), after_referee, options_.page_rows,
      [this, alive = std::weak_ptr<bool>(alive_), ctx](Result<std::vector<store::RefereeWeek>> rows) {
        if (!alive.lock()) return;
        if (!rows) {
          Finish(ctx, rows.error());
          return;
        }
        const bool last_page = rows->size() < options_.page_rows;
        const std::string next = rows->empty() ? std::string() : rows->back().referee;
        auto after_page = [this, ctx, last_page, next] {
          if (!ctx->page_error.ok()) {
            Finish(ctx, ctx->page_error);
          } else if (last_page) {
            Finish(ctx, Status::Ok());
          } else {
            WeeklyPage(ctx, next);
          }
        };
        const int64_t now_ms = clock_.WallMs();
        ctx->outstanding = 1;  // Held until every call of the page is issued.
        for (const store::RefereeWeek& w : *rows) {
          std::vector<store::Transfer> shares = PlanWeeklyShares(w, ctx->week, options_.rules, ctx->run.id, now_ms);
          if (shares.empty()) continue;
          ++ctx->outstanding;
          // One call per referee: a week already paid with other figures is
          // a Conflict for that referee only.
          store_.ApplyTransfers(std::move(shares), options_.owner,
                                [alive, ctx, after_page](Result<std::vector<store::AppliedTransfer>> r) {
                                  if (!alive.lock()) return;
                                  if (!r && r.error().code() == Code::kConflict) {
                                    ++ctx->conflicts;
                                  } else if (!r && ctx->page_error.ok()) {
                                    ctx->page_error = r.error();
                                  }
                                  if (--ctx->outstanding == 0) after_page();
                                });
        }
        if (--ctx->outstanding == 0) after_page();
      });
}

void Distributor::Finish(std::shared_ptr<Ctx> ctx, Status status) {
  // Callbacks of operations already issued for this run do nothing more.
  ctx->stopped = true;
  store::RunFinish finish;
  finish.id = ctx->run.id;
  finish.owner = options_.owner;
  finish.state = status.ok() ? store::RunState::kCompleted : store::RunState::kFailed;
  finish.error = status.ok() ? std::string() : status.ToString();
  finish.now_ms = clock_.WallMs();
  finish.discard_if_empty = status.ok();
  if (!status.ok()) {
    spdlog::error("reward distribution run {} failed: {}", ctx->run.id, status.ToString());
  }
  store_.FinishRun(finish, [this, alive = std::weak_ptr<bool>(alive_), ctx, status](Result<store::RunRecord> r) {
    if (!alive.lock()) return;
    current_.reset();
    if (!status.ok()) {
      ctx->done(Err(status));
      return;
    }
    if (!r) {
      // Still running in the store: the next start of this owner resumes it.
      ctx->done(Err(r.error()));
      return;
    }
    RunOutcome outcome{.run = std::move(*r), .skipped = false, .resumed = ctx->resumed, .conflicts = ctx->conflicts};
    outcome.skipped = outcome.run.users == 0;
    ctx->done(std::move(outcome));
  });
}

}  // namespace sela::rewards
