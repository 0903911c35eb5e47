// Distributor: runs the reward distributions against the Store
// (ARCHITECTURE.md §7; services.md §4, §5.6 minus D3, D4, D10):
//
// - an uptime run pays every (principal, UTC day) with unpaid measured
//   minutes (store::ListUnpaidUptime, in pages), each with one
//   store::PayUptime payment that moves the day's paid_minutes and records
//   its transfer in one step, then pays the installation bonuses that are
//   due (store::ClaimInstallationBonuses);
// - a weekly run pays the referral uptime shares of the last completed week
//   (store::ListRefereeWeeks, store::ApplyTransfers with deterministic ids
//   and the monthly cap).
//
// Single-flight: one run at a time, in this process (running()) and across
// processes (store::StartRun). Resumable: a run is a record in the store;
// when its process dies, Resume() (or a later start, once the run is
// stale) takes it over and finishes it. Nothing is paid twice, whatever the
// point of the crash: an uptime payment is a compare-and-set of
// paid_minutes, and every transfer has a deterministic id.
//
// No clock reads of its own: `clock` is injected. Store callbacks run on the
// thread the store posts to (the event loop), like every call here.
#pragma once

#include <cstdint>
#include <functional>
#include <memory>
#include <optional>
#include <string>
#include <vector>

#include "core/clock.h"
#include "core/status.h"
#include "core/calendar.h"
#include "rewards/rules.h"
#include "store/store.h"

namespace sela::rewards {

struct DistributorOptions {
  RewardRules rules;
  // This process, as the owner of the runs it makes (main passes a random
  // id). Required.
  std::string owner;
  uint32_t page_rows = 1'000;        // Rows read per store call, payments per PayUptime.
  int64_t stale_after_ms = 120'000;  // Another owner's run with no progress this long is taken over.
  uint32_t installation_claims_per_call = 500;
};

enum class Trigger : uint8_t { kSchedule, kManual };
std::string_view TriggerName(Trigger trigger);  // "schedule", "manual"

struct RunOutcome {
  store::RunRecord run;  // As finished.
  bool skipped = false;  // Paid nobody: the record was not kept (the original's SKIPPED).
  bool resumed = false;  // A run left by a process that died, finished by this one.
  int64_t conflicts = 0; // Weekly shares already recorded with other figures (left as they were).
};

using RunDone = std::function<void(Result<RunOutcome>)>;

class Distributor {
 public:
  Distributor(DistributorOptions options, store::Store& store, const Clock& clock);
  ~Distributor();
  Distributor(const Distributor&) = delete;
  Distributor& operator=(const Distributor&) = delete;

  // Starts a run and calls done when it has finished. FailedPrecondition
  // (nothing done) when a run is in progress, here or in another process.
  // When the store holds a stale run (its process died), that run is taken
  // over and finished instead, whatever its kind: done then reports it
  // (resumed). A store failure ends the run as failed (kept, with its error)
  // and is passed to done.
  void RunUptime(Trigger trigger, RunDone done);
  void RunReferralWeekly(Trigger trigger, RunDone done);
  // At start-up: finishes a run left running by a process that made no
  // progress for stale_after_ms (0: any; the embedded store serves one
  // process, so its runs are this server's). done(nullopt) when there is
  // none.
  void Resume(int64_t stale_after_ms, std::function<void(Result<std::optional<RunOutcome>>)> done);

  bool running() const { return current_ != nullptr; }
  // The run in progress here, if any.
  std::optional<store::RunRecord> current() const;
  const RewardRules& rules() const { return options_.rules; }

 private:
  struct Ctx;
  void Begin(store::RunKind kind, Trigger trigger, RunDone done);
  void Start(std::shared_ptr<Ctx> ctx, store::RunStart start, int tries);
  void Started(std::shared_ptr<Ctx> ctx, Result<store::RunStartResult> started);
  void Continue(std::shared_ptr<Ctx> ctx);
  void UptimePage(std::shared_ptr<Ctx> ctx, std::string after_principal, std::string after_day);
  void OnUptimeRows(std::shared_ptr<Ctx> ctx, Result<std::vector<store::UptimeDay>> rows);
  void Installations(std::shared_ptr<Ctx> ctx);
  void WeeklyPage(std::shared_ptr<Ctx> ctx, std::string after_referee);
  void Finish(std::shared_ptr<Ctx> ctx, Status status);
  std::string NextRunId(store::RunKind kind, int64_t now_ms);

  DistributorOptions options_;
  store::Store& store_;
  const Clock& clock_;
  std::shared_ptr<Ctx> current_;
  int64_t last_id_ms_ = 0;
  uint32_t id_seq_ = 0;
  // Lets a store callback that arrives after destruction do nothing.
  std::shared_ptr<bool> alive_ = std::make_shared<bool>(true);
};

}  // namespace sela::rewards
