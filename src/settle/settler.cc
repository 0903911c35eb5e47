#include "settle/settler.h"

#include <spdlog/spdlog.h>

#include <algorithm>
#include <map>
#include <utility>

#include "codec/principal.h"

namespace sela::settle {

using store::SettlementRecord;
using store::SettlementState;

struct Settler::Metrics {
  explicit Metrics(MetricsRegistry& r)
      : enabled(r.GetGauge("sela_settlement_enabled", "1 when BLOCKCHAIN_ENABLED: the ledger is settled on the chain.")),
        sent(r.GetCounter("sela_settlement_transfers_sent_total", "ICRC-1 transfers sent (resends included).")),
        confirmed(r.GetCounter("sela_settlement_confirmed_total", "Settlements confirmed on the ledger.")),
        duplicates(r.GetCounter("sela_settlement_duplicates_total",
                                "Settlements confirmed by a Duplicate answer (an earlier send had been applied).")),
        unknown(r.GetCounter("sela_settlement_unknown_outcomes_total",
                             "Sends whose outcome was not known (timeout, 5xx, bad certificate): resent later.")),
        in_flight(r.GetGauge("sela_settlement_in_flight", "Transfers outstanding now.")),
        pending_units(r.GetGauge("sela_settlement_pending_units", "Units in pending and sent settlements.")),
        failed_units(r.GetGauge("sela_settlement_failed_units", "Units in failed settlements.")),
        lag_seconds(r.GetGauge("sela_settlement_lag_seconds",
                               "Age of the oldest settlement not yet confirmed or failed (0 when none).")) {
    for (size_t i = 0; i < store::kSettlementStates; ++i) {
      const auto state = static_cast<SettlementState>(i);
      by_state[i] = &r.GetGauge("sela_settlements", "Settlements by state.",
                                std::string("state=\"") + store::SettlementStateName(state) + "\"");
    }
  }
  Gauge& enabled;
  Counter& sent;
  Counter& confirmed;
  Counter& duplicates;
  Counter& unknown;
  Gauge& in_flight;
  Gauge& pending_units;
  Gauge& failed_units;
  Gauge& lag_seconds;
  std::array<Gauge*, store::kSettlementStates> by_state{};
  std::map<std::string, Gauge*> failed_by_kind;
};

std::optional<chain::Settlement> ToChain(const SettlementRecord& r) {
  auto owner = codec::Principal::FromText(r.principal);
  if (!owner) return std::nullopt;
  chain::Settlement s;
  s.id = r.id;
  s.to = {*owner, std::nullopt};
  s.amount = static_cast<chain::icrc1::Uint128>(r.amount_units);
  s.generation = r.generation;
  s.created_at_time_ns = static_cast<uint64_t>(r.created_at_ns);
  s.state = static_cast<chain::Settlement::State>(r.state);  // Same order in both enums.
  s.attempts = r.attempts;
  s.next_attempt_ms = r.next_attempt_ms;
  s.block_index = r.block_index >= 0 ? static_cast<chain::icrc1::Uint128>(r.block_index) : 0;
  s.duplicate = r.duplicate;
  s.failure = r.failure;
  s.needs_reconciliation = r.needs_reconciliation;
  return s;
}

std::string FailureKind(const chain::Settlement& s) {
  if (s.state != chain::Settlement::State::kFailed) return "";
  const std::string& f = s.failure;
  if (f.starts_with("outcome unknown")) return "window_passed";
  if (f.starts_with("rejected ")) {
    const size_t end = f.find(':');
    std::string kind = "rejected_" + f.substr(9, end == std::string::npos ? std::string::npos : end - 9);
    return kind.substr(0, 64);
  }
  const size_t end = f.find_first_of(": ");
  return f.substr(0, std::min<size_t>(end == std::string::npos ? f.size() : end, 64));
}

SettlementRecord FromChain(const chain::Settlement& s, SettlementRecord base, int64_t now_ms) {
  const bool confirmed = s.state == chain::Settlement::State::kConfirmed;
  base.state = static_cast<SettlementState>(s.state);
  base.generation = s.generation;
  base.created_at_ns = static_cast<int64_t>(s.created_at_time_ns);
  base.attempts = s.attempts;
  base.next_attempt_ms = s.next_attempt_ms;
  base.block_index = confirmed ? static_cast<int64_t>(s.block_index) : -1;
  base.duplicate = confirmed && s.duplicate;
  base.failure = s.failure.substr(0, 1024);
  base.failure_kind = FailureKind(s);
  base.needs_reconciliation = s.needs_reconciliation;
  base.updated_ms = now_ms;
  if (confirmed && base.confirmed_ms == 0) base.confirmed_ms = now_ms;
  return base;
}

Settler::Settler(SettlerOptions options, store::Store& store, const Clock& clock, SendTransfer send,
                 MetricsRegistry& metrics)
    : options_(options), store_(store), clock_(clock), send_(std::move(send)), registry_(metrics),
      m_(std::make_unique<Metrics>(metrics)) {
  m_->enabled.Set(options_.enabled ? 1 : 0);
}

Settler::~Settler() = default;

void Settler::SetSchedule(CronSchedule schedule) {
  next_run_ms_ = schedule.Next(clock_.WallMs());
  schedule_ = std::move(schedule);
}

void Settler::StartRun(const std::string& trigger, std::function<void(Result<RunSummary>)> done) {
  if (!options_.enabled) return done(Err(FailedPrecondition("BLOCKCHAIN_ENABLED is false: nothing is settled")));
  if (creating_) return done(Err(Unavailable("a settlement run is being created")));
  creating_ = true;
  RunSummary summary;
  summary.run_id = "settle_" + std::to_string(clock_.WallMs()) + "_" + std::to_string(++run_seq_);
  spdlog::info("settlement run {} ({}) starts", summary.run_id, trigger);
  CreateStep(std::move(summary), "", std::move(done));
}

void Settler::CreateStep(RunSummary summary, std::string after, std::function<void(Result<RunSummary>)> done) {
  store::SettlementBatch batch{.run_id = summary.run_id, .after_principal = std::move(after),
                               .now_ms = clock_.WallMs(), .limit = options_.batch_limit};
  store_.CreateSettlements(batch, [this, summary = std::move(summary), done = std::move(done)](
                                      Result<store::SettlementBatchResult> r) mutable {
    if (!r) {
      creating_ = false;
      spdlog::error("settlement run {} stopped: {}", summary.run_id, r.error().ToString());
      return done(Err(r.error()));
    }
    summary.settlements += r->created;
    summary.units += r->units;
    if (r->more) return CreateStep(std::move(summary), r->last_principal, std::move(done));
    creating_ = false;
    spdlog::info("settlement run {}: {} settlements, {} units", summary.run_id, summary.settlements, summary.units);
    done(std::move(summary));
  });
}

void Settler::Tick() {
  m_->in_flight.Set(static_cast<int64_t>(in_flight_.size()));
  const int64_t now = clock_.WallMs();
  if (!gauges_ms_ || now - *gauges_ms_ >= options_.gauges_every_ms || now < *gauges_ms_) {
    gauges_ms_ = now;
    RefreshGauges();
  }
  if (!options_.enabled) return;
  if (schedule_ && next_run_ms_ && now >= *next_run_ms_ && !creating_) {
    next_run_ms_ = schedule_->Next(now);
    StartRun("schedule", [](Result<RunSummary>) {});  // Logged by the run itself.
  }
  SendDue();
  MaybeReconcilePass();
}

void Settler::SendDue() {
  if (in_flight_.size() >= options_.in_flight_max) return;
  if (reading_due_) {
    read_again_ = true;
    return;
  }
  reading_due_ = true;
  read_again_ = false;
  store_.ListDueSettlements(clock_.WallMs(), options_.due_per_tick, [this](Result<std::vector<SettlementRecord>> r) {
    reading_due_ = false;
    if (!r) {
      spdlog::warn("cannot read due settlements: {}", r.error().ToString());
      return;
    }
    for (SettlementRecord& record : *r) {
      if (in_flight_.size() >= options_.in_flight_max) break;
      if (in_flight_.contains(record.id)) continue;
      in_flight_.insert(record.id);
      Begin(std::move(record));
    }
    m_->in_flight.Set(static_cast<int64_t>(in_flight_.size()));
    if (read_again_) SendDue();
  });
}

void Settler::Begin(SettlementRecord record) {
  const int64_t now = clock_.WallMs();
  std::optional<chain::Settlement> s = ToChain(record);
  if (!s) {
    record.state = SettlementState::kFailed;
    record.failure = "the principal is not a valid principal: nothing sent";
    record.failure_kind = "bad_principal";
    record.updated_ms = now;
    return Save(std::move(record), false, [](SettlementRecord) {});
  }
  std::optional<chain::icrc1::TransferArg> arg = chain::Due(*s, now, options_.policy);
  if (!arg) {
    // Due by the store's clock but not by the machine's: past the ledger's
    // deduplication window. Nothing may be resent; reconcile first.
    s->state = chain::Settlement::State::kFailed;
    s->failure = "outcome unknown near the end of the deduplication window: reconcile";
    s->needs_reconciliation = true;
    return Save(FromChain(*s, std::move(record), now), false, [](SettlementRecord) {});
  }
  chain::MarkSent(*s, now, options_.policy);
  Save(FromChain(*s, std::move(record), now), true, [this, s = *s, arg = *arg](SettlementRecord stored) mutable {
    m_->sent.Inc();
    spdlog::info("settlement {} sent: {} units to {}, attempt {}, generation {}", stored.id, stored.amount_units,
                 stored.principal, stored.attempts, stored.generation);
    send_(arg, [this, stored = std::move(stored), s = std::move(s)](Result<chain::TransferOutcome> outcome) mutable {
      Finish(std::move(stored), std::move(s), std::move(outcome));
    });
  });
}

void Settler::Finish(SettlementRecord record, chain::Settlement s, Result<chain::TransferOutcome> outcome) {
  const int64_t now = clock_.WallMs();
  chain::Apply(s, outcome, now, options_.policy);
  if (!outcome) m_->unknown.Inc();
  Save(FromChain(s, std::move(record), now), false, [this](SettlementRecord stored) {
    switch (stored.state) {
      case SettlementState::kConfirmed:
        m_->confirmed.Inc();
        if (stored.duplicate) m_->duplicates.Inc();
        spdlog::info("settlement {} confirmed: block {}{}, {} units to {}", stored.id, stored.block_index,
                     stored.duplicate ? " (duplicate of an earlier send)" : "", stored.amount_units, stored.principal);
        break;
      case SettlementState::kFailed:
        registry_.GetCounter("sela_settlement_failures_total", "Settlements that failed, by reason.",
                             "reason=\"" + MetricsRegistry::EscapeLabel(stored.failure_kind) + "\"").Inc();
        spdlog::warn("settlement {} failed ({}): {}", stored.id, stored.failure_kind, stored.failure);
        break;
      default:
        spdlog::info("settlement {} outcome unknown, resent after {}: {}", stored.id, stored.next_attempt_ms,
                     stored.failure);
        break;
    }
    // A slot is free: the next due settlement goes now, not at the next
    // Tick (once a second in the server, which capped a run at
    // in_flight_max settlements per second).
    SendDue();
  });
}

void Settler::Retry(const std::string& id, std::function<void(Result<SettlementRecord>)> done) {
  store_.GetSettlement(id, [this, id, done = std::move(done)](Result<std::optional<SettlementRecord>> r) mutable {
    std::optional<SettlementRecord> found;
    if (r.has_value()) found = std::move(r.value());
    if (!r.has_value()) return done(Err(Status(r.error())));
    if (!found) return done(Err(NotFound("no settlement " + id)));
    SettlementRecord record = std::move(*found);
    std::optional<chain::Settlement> s = ToChain(record);
    if (!s) return done(Err(FailedPrecondition("the principal is not a valid principal")));
    const int64_t now = clock_.WallMs();
    if (Status st = chain::RetryFailed(*s, now, options_.policy); !st.ok()) return done(Err(st));
    store_.UpdateSettlement(FromChain(*s, std::move(record), now), [done = std::move(done)](Result<SettlementRecord> saved) {
      if (saved) spdlog::info("settlement {} retried by an operator (generation {})", saved->id, saved->generation);
      done(std::move(saved));
    });
  });
}

void Settler::RefreshGauges() {
  if (reading_summary_) return;
  reading_summary_ = true;
  store_.GetSettlementSummary([this](Result<store::SettlementSummary> r) {
    reading_summary_ = false;
    if (!r) return;
    const auto idx = [](SettlementState st) { return static_cast<size_t>(st); };
    for (size_t i = 0; i < store::kSettlementStates; ++i) m_->by_state[i]->Set(r->count_by_state[i]);
    m_->pending_units.Set(r->units_by_state[idx(SettlementState::kPending)] + r->units_by_state[idx(SettlementState::kSent)]);
    m_->failed_units.Set(r->units_by_state[idx(SettlementState::kFailed)]);
    const int64_t lag_ms = r->oldest_open_created_ms > 0 ? clock_.WallMs() - r->oldest_open_created_ms : 0;
    m_->lag_seconds.Set(std::max<int64_t>(0, lag_ms / 1000));
    for (auto& [kind, gauge] : m_->failed_by_kind) gauge->Set(0);
    for (const auto& [kind, count] : r->failed_by_kind) {
      Gauge*& gauge = m_->failed_by_kind[kind];
      if (gauge == nullptr) {
        gauge = &registry_.GetGauge("sela_settlement_failed", "Failed settlements now, by reason.",
                                    "reason=\"" + MetricsRegistry::EscapeLabel(kind) + "\"");
      }
      gauge->Set(count);
    }
  });
}

// Persists `record`; `then` runs once it is stored. The id leaves
// in_flight_ then, unless `keep` (saved as sent before its transfer: it
// stays until the outcome is saved), and always when the save fails.
void Settler::Save(SettlementRecord record, bool keep, std::function<void(SettlementRecord)> then) {
  std::string id = record.id;
  store_.UpdateSettlement(record, [this, id = std::move(id), keep, then = std::move(then)](Result<SettlementRecord> r) {
    if (!r || !keep) in_flight_.erase(id);
    m_->in_flight.Set(static_cast<int64_t>(in_flight_.size()));
    if (!r) {
      spdlog::warn("settlement {} not saved: {}", id, r.error().ToString());
      return;
    }
    then(std::move(*r));
  });
}

}  // namespace sela::settle
