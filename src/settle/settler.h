// Settler: settles the rewards ledger on the ICRC-1 ledger (docs/CHAIN.md
// "Settlement"). Runs on the event loop and never blocks it: the store's
// operations complete through the loop's post, and each transfer is handed
// to `send`, which runs it off the loop (the chain Executor in the server)
// and calls back on the loop. A stalled IC therefore holds at most
// in_flight_max transfers and nothing else: jobs never wait for it.
//
// A run (StartRun) creates one pending settlement per principal with an
// unsettled amount (Store::CreateSettlements, in steps). Tick() sends what
// is due, and every outcome saved sends the next due one at once, so a run
// goes at the IC's pace with in_flight_max transfers outstanding, not one
// batch per Tick. Each settlement is persisted as sent (attempts, next attempt)
// before its transfer leaves, and the outcome is persisted when it comes
// back (chain/settlement.h decides the state). A crash between the two
// leaves it sent; the next process resends the same transfer when its back-
// off passes, and the ledger answers Duplicate, recorded as confirmed.
//
// With options.enabled false (BLOCKCHAIN_ENABLED=false) nothing is created
// or sent; the owner says so in the log and sela_settlement_enabled is 0.
//
// Thread-safety: loop thread only.
#pragma once

#include <cstdint>
#include <functional>
#include <optional>
#include <set>
#include <string>
#include <vector>

#include "chain/settlement.h"
#include "core/clock.h"
#include "core/cron.h"
#include "core/metrics.h"
#include "core/status.h"
#include "store/store.h"

namespace sela::settle {

struct SettlerOptions {
  bool enabled = false;          // BLOCKCHAIN_ENABLED
  uint32_t batch_limit = 1000;   // Principals per CreateSettlements step.
  uint32_t in_flight_max = 8;    // SETTLEMENT_CONCURRENCY: transfers outstanding at once.
  uint32_t due_per_tick = 256;   // Due settlements read per Tick.
  chain::SettlementPolicy policy;
  // Reconciliation waits this long past created_at_time + the ledger's
  // window, so that the ledger can no longer accept the transfer (its
  // permitted drift, our last envelope's expiry, clock skew).
  int64_t reconcile_margin_ms = 15 * 60'000;
  // The reconciliation pass (Tick): every reconcile_interval_ms, failed
  // settlements that need reconciliation and are past that margin are
  // reconciled without an operator, one ledger search at a time, at most
  // reconcile_per_pass per pass, reading reconcile_page failed settlements
  // per pass (a cursor goes round the failed ones). 0: no pass (the admin
  // route only).
  int64_t reconcile_interval_ms = 5 * 60'000;
  uint32_t reconcile_per_pass = 20;
  uint32_t reconcile_page = 200;
  // The gauges (lag, units and counts by state) come from the journal's
  // summary, a scan of every settlement (seconds with 250,000 in the
  // journal, measured by bench/settle_bench): read at most this often.
  int64_t gauges_every_ms = 15'000;
};

using TransferDone = std::function<void(Result<chain::TransferOutcome>)>;
// Reconciliation: the ledger block holding exactly this transfer, or none
// (Icrc1Client::FindMint over the blocks of its time window, archives
// followed, off the loop; `done` on the loop). An error whenever absence
// is not proven.
using MintFound = std::function<void(Result<std::optional<chain::icrc1::Uint128>>)>;
using FindMint = std::function<void(const chain::icrc1::TransferArg&, MintFound done)>;
// Runs the transfer off the loop; `done` runs on the loop.
using SendTransfer = std::function<void(const chain::icrc1::TransferArg&, TransferDone done)>;

struct RunSummary {
  std::string run_id;
  int64_t settlements = 0;
  int64_t units = 0;
};

class Settler {
 public:
  Settler(SettlerOptions options, store::Store& store, const Clock& clock, SendTransfer send,
          MetricsRegistry& metrics);
  Settler(const Settler&) = delete;
  Settler& operator=(const Settler&) = delete;
  ~Settler();

  bool enabled() const { return options_.enabled; }
  // Runs start on this schedule (checked by Tick); none without one.
  void SetSchedule(CronSchedule schedule);

  // Creates the run's settlements. FailedPrecondition when disabled,
  // Unavailable when a run is still being created.
  void StartRun(const std::string& trigger, std::function<void(Result<RunSummary>)> done);
  // Starts a scheduled run when due, sends due settlements, runs the
  // reconciliation pass when due, refreshes the gauges.
  void Tick();
  // An operator's retry of a failed settlement (chain::RetryFailed).
  void Retry(const std::string& id, std::function<void(Result<store::SettlementRecord>)> done);
  // An operator's reconciliation of a failed settlement that needs it
  // (docs/CHAIN.md "Reconciliation"): once the ledger's window is over
  // (FailedPrecondition before, naming when), the ledger's log is searched
  // for the transfer: found → confirmed at that block; absent → a new
  // generation, pending (chain::Reconciled). FailedPrecondition without a
  // finder (BLOCKCHAIN_ENABLED=false) or for any other settlement;
  // Unavailable while the same settlement is being reconciled here (by the
  // pass). The periodic pass (SettlerOptions::reconcile_interval_ms) does
  // the same by itself. Exactly one new generation: the save compares the
  // stored version, so of two reconciliations of one settlement (two
  // processes, or a route racing a pass elsewhere) only the first is saved.
  // Implemented in settler_reconcile.cc.
  void SetFindMint(FindMint find) { find_mint_ = std::move(find); }
  void Reconcile(const std::string& id, std::function<void(Result<store::SettlementRecord>)> done);
  bool reconciling() const { return passing_ || !reconciling_.empty(); }

  size_t in_flight() const { return in_flight_.size(); }
  bool creating() const { return creating_; }

 private:
  struct Metrics;
  void CreateStep(RunSummary summary, std::string after, std::function<void(Result<RunSummary>)> done);
  void SendDue();
  void Begin(store::SettlementRecord record);
  void Finish(store::SettlementRecord record, chain::Settlement s, Result<chain::TransferOutcome> outcome);
  void Save(store::SettlementRecord record, bool keep, std::function<void(store::SettlementRecord)> then);
  void RefreshGauges();
  Status CheckReconcilable(const store::SettlementRecord& record, int64_t now_ms) const;
  void ReconcileRecord(store::SettlementRecord record, const char* by,
                       std::function<void(Result<store::SettlementRecord>)> done);
  void ReconcileSaved(const char* by, Result<store::SettlementRecord> saved);
  void MaybeReconcilePass();
  void PassStep(std::vector<store::SettlementRecord> todo, size_t i);
  void EndPass();
  void CountReconciled(const char* outcome);

  SettlerOptions options_;
  store::Store& store_;
  const Clock& clock_;
  SendTransfer send_;
  FindMint find_mint_;
  MetricsRegistry& registry_;
  std::unique_ptr<Metrics> m_;
  std::optional<CronSchedule> schedule_;
  std::optional<int64_t> next_run_ms_;
  std::set<std::string> in_flight_;  // Ids read as due and not yet finished.
  bool creating_ = false;
  bool reading_due_ = false;
  bool read_again_ = false;  // Slots freed during a read: read once more after it.
  bool reading_summary_ = false;
  std::optional<int64_t> gauges_ms_;  // When the gauges were last read from the store.
  uint64_t run_seq_ = 0;
  std::set<std::string> reconciling_;  // Ids whose ledger search or save is under way here.
  bool passing_ = false;               // A reconciliation pass is running.
  std::optional<int64_t> next_pass_ms_;
  std::string pass_cursor_;            // The pass goes on after this failed settlement's id.
};

// The store's record as the chain's state machine sees it, and back
// (mutable fields only). nullopt when the principal is not a principal.
std::optional<chain::Settlement> ToChain(const store::SettlementRecord& record);
store::SettlementRecord FromChain(const chain::Settlement& s, store::SettlementRecord base, int64_t now_ms);
// A short code for a failure (the metrics label): "TooOld", "BadFee",
// "rejected_SYS_FATAL", "window_passed", ...
std::string FailureKind(const chain::Settlement& s);

}  // namespace sela::settle
