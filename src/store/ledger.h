// The rewards ledger as the Store keeps it (ARCHITECTURE.md §7,
// docs/REWARDS.md): the types of its operations, which store.h declares.
// Every backend must implement them with exactly the arithmetic written
// here; the contract suite (store_contract_ledger_test.cc and
// store_contract_referral_test.cc) checks it.
//
// Money is integer base units: 1 SP = 10^8 units (the token's 8 decimals).
//
// Accounts. Every principal has one account (created by its first
// transfer). Every RewardKind has one system account, "issuance:<name>",
// which is debited by each transfer of its kind. A transfer credits a
// principal and debits the issuance account of its kind by the same amount,
// in the same atomic operation, so at every commit
//   sum(issued over the issuance accounts) == sum(balances of principals)
// (AuditLedger proves it).
//
// Idempotency. A transfer has a deterministic id (rewards/ids.h):
// "job:<job_id>", "uptime:<principal>:<day>:<minutes paid through>",
// "referral:task:<job_id>:<level>", ... Applying an id that is already
// recorded with the same body is a repeat: nothing changes and the recorded
// credited amount is reported. With a different body it is Conflict and
// nothing of the operation is applied. The body is every Transfer field
// except created_ms and run_id (when and by which run it was made).
//
// Caps. A transfer may carry a cap: it then credits
//   credited = min(amount_units, max(0, limit_units - already))
// where `already` is the sum of credited units of the principal's recorded
// transfers whose kind is in cap.kinds and whose day lies in the same
// window (the UTC day of `day`, or its UTC month "YYYY-MM") as this one's.
// A transfer that the cap reduces to 0 is still recorded (so a repeat is
// recognised and histories show it as capped) but moves nothing.
#pragma once

#include <array>
#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "core/points.h"

namespace sela::store {

using sela::kUnitsPerSp;
// The largest amount of one transfer (10^7 SP). Balances and totals are
// checked against int64 overflow on top of it (ResourceExhausted).
inline constexpr int64_t kTransferUnitsMax = 1'000'000'000'000'000;

enum class RewardKind : uint8_t {
  kJob = 0,                    // A node's reward for a completed job.
  kUptime = 1,                 // Measured uptime of one principal and UTC day.
  kReferralTask1 = 2,          // Share of a referee's job reward, level 1 (L1).
  kReferralTask2 = 3,          // ... level 2 (L2).
  kReferralUptime1 = 4,        // Weekly share of a referee's uptime reward, L1.
  kReferralUptime2 = 5,        // ... L2.
  kReferralInstallation = 6,   // Once the referee has enough measured uptime, to L1.
  kAdmin = 7,                  // Granted by an operator (POST /api/node/rewards/add).
};
inline constexpr size_t kRewardKinds = 8;
// "job", "uptime", "referral_task_1", "referral_task_2", "referral_uptime_1",
// "referral_uptime_2", "referral_installation", "admin"; "" outside the enum.
std::string_view RewardKindName(RewardKind kind);
// "issuance:" + RewardKindName(kind).
std::string IssuanceAccount(RewardKind kind);
// Bit (1 << kind): sets of kinds for caps and queries.
constexpr uint32_t KindBit(RewardKind kind) { return uint32_t{1} << static_cast<uint32_t>(kind); }
inline constexpr uint32_t kAllKinds = (uint32_t{1} << kRewardKinds) - 1;

struct TransferCap {
  enum class Window : uint8_t { kNone = 0, kDay = 1, kMonth = 2 };
  Window window = Window::kNone;
  uint32_t kinds = 0;       // KindBit set whose credits count against the limit.
  int64_t limit_units = 0;  // >= 0.
  friend bool operator==(const TransferCap&, const TransferCap&) = default;
};

struct Transfer {
  std::string id;            // Deterministic (rewards/ids.h); 1..id_bytes_max bytes.
  RewardKind kind = RewardKind::kJob;
  std::string principal;     // The account credited.
  int64_t amount_units = 0;  // Requested: 1..kTransferUnitsMax.
  TransferCap cap;           // Window kNone: credited == amount_units.
  std::string day;           // UTC day "YYYY-MM-DD" the reward counts for.
  int64_t created_ms = 0;    // Not part of the body.
  std::string run_id;        // The distribution run that made it, or ""; not part of the body.
  // What it pays for (shown in histories); "" / 0 when not applicable.
  std::string job_id;        // kJob, kReferralTask*.
  std::string referee;       // kReferral*: whose activity earned the share.
  int64_t minutes = 0;       // kUptime: minutes paid; kReferralUptime*: the referee's week minutes.
  uint32_t tier = 0;         // kUptime: performance tier 1..4.
  int64_t base_units = 0;    // kUptime: before the tier bonus; kReferral*: what the share is of.
  int64_t bonus_units = 0;   // kUptime: the tier bonus (amount = base + bonus).
  uint32_t share_bp = 0;     // kReferral*: the share in basis points (1/100 %).

  friend bool operator==(const Transfer&, const Transfer&) = default;
};

// Whether two transfers have the same body (every field but created_ms and
// run_id): what decides between a repeat and a Conflict.
bool SameTransferBody(const Transfer& a, const Transfer& b);

// A recorded transfer.
struct TransferRecord {
  Transfer transfer;
  int64_t credited_units = 0;  // What the cap left of amount_units (== it without a cap).
  int64_t seq = 0;             // Order of recording, from 1.
};

enum class TransferOutcome : uint8_t { kApplied, kRepeat };
struct AppliedTransfer {
  TransferOutcome outcome = TransferOutcome::kApplied;
  int64_t credited_units = 0;  // Of this application, or of the recorded one for a repeat.
};

// ---- Uptime payments (docs/REWARDS.md "Uptime") -------------------------

// Pays the minutes of one (principal, day) row of uptime_days that are not
// paid yet: moves the row's paid_minutes from `from_minutes` to
// `through_minutes` and records `transfer` (kind kUptime, principal and day
// of the row, minutes == through - from, no cap) in one step.
struct UptimePayment {
  Transfer transfer;
  int64_t from_minutes = 0;
  int64_t through_minutes = 0;
};

enum class PaymentOutcome : uint8_t {
  kApplied,  // paid_minutes was from_minutes; now through_minutes, transfer recorded.
  kRepeat,   // paid_minutes is through_minutes and this transfer is recorded: nothing changed.
  kStale,    // paid_minutes is something else (paid meanwhile): nothing changed; re-read.
};

// ---- Referrals (docs/REWARDS.md "Referrals") ------------------------------

struct ReferralRecord {
  std::string referee;
  std::string referrer_l1;       // The owner of the code used.
  std::string referrer_l2;       // referrer_l1's own L1, or "".
  std::string code_used;
  int64_t signup_ms = 0;
  // The referee's measured uptime (sum of online_ms) at signup: the
  // installation bonus counts only uptime measured after it.
  int64_t uptime_base_ms = 0;
  bool installation_claimed = false;
  int64_t installation_claimed_ms = 0;
  friend bool operator==(const ReferralRecord&, const ReferralRecord&) = default;
};

// Why RegisterReferral wrote nothing (kNone: it registered).
enum class ReferralRefusal : uint8_t {
  kNone,
  kUnknownCode,        // No node holds the code.
  kUnknownReferee,     // The referee has no node record (never registered).
  kSelfReferral,       // The code is the referee's own.
  kAlreadyReferred,    // The referee has a referrer already.
  kCycle,              // The referee is an ancestor of the code's owner.
  kChainTooDeep,       // Walking the owner's ancestors passed referral_depth_max.
};

struct ReferralOutcome {
  ReferralRefusal refusal = ReferralRefusal::kNone;
  ReferralRecord record;  // The stored record (kNone), or the existing one (kAlreadyReferred).
};

// One referee of a referrer, as the referral routes list them.
struct RefereeEntry {
  std::string referee;
  uint32_t level = 1;          // 1: referred with the referrer's code; 2: by one of its L1s.
  std::string via;             // Level 2: the L1 in between; "" for level 1.
  int64_t signup_ms = 0;
  bool installation_claimed = false;
  // What the referrer has been credited for this referee's activity (the
  // referral transfers naming it), all time.
  int64_t earned_units = 0;
};

struct ReferralCounts {
  int64_t level1 = 0;
  int64_t level2 = 0;
  int64_t level1_pending = 0;  // Installation bonus not yet claimed.
  int64_t level2_pending = 0;
};

// What a weekly uptime-share run needs of one referee (ListRefereeWeeks).
struct RefereeWeek {
  std::string referee;
  std::string referrer_l1;
  std::string referrer_l2;
  // Over the days of the window: sum of floor(online_ms / 60000) per day,
  // and the units credited to the referee by kUptime transfers whose day is
  // in the window.
  int64_t minutes = 0;
  int64_t uptime_units = 0;
};

// ClaimInstallationBonuses: each unclaimed referral whose referee has
// measured at least min_uptime_ms since signup (sum of its online_ms minus
// uptime_base_ms) pays `amount_units` to its L1 (transfer id
// "referral:installation:<referee>", kind kReferralInstallation, day of
// now_ms, referee, base_units = amount_units, share_bp 10000) and is marked
// claimed, each in one step. At most `limit` per call, by referee order.
struct InstallationClaim {
  int64_t min_uptime_ms = 0;
  int64_t amount_units = 0;
  std::string day;
  int64_t now_ms = 0;
  std::string run_id;
  uint32_t limit = 1000;
};

// ---- Job rewards, paid by CompleteJob -------------------------------------

// What CompleteJob pays, in the same transaction that completes the job
// (store.h CompleteJob), for a completion of job J by node N (the lease
// holder) at now_ms. Every backend does exactly this:
//
// 1. Nothing at all when amount_units == 0 (no transfer, reward_units 0),
//    and nothing for a repeat, a refused completion, FailJob or ReleaseJob.
// 2. The node's transfer: id "job:<J>", kind kJob, principal N,
//    amount_units, day = `day`, created_ms = now_ms, run_id "", job_id J,
//    every other field "" / 0; cap {kDay, KindBit(kJob), daily_cap_units}
//    when daily_cap_units > 0, no cap (window kNone, kinds 0, limit 0) when
//    it is 0. So it credits
//      credited = min(amount_units, max(0, daily_cap_units - already))
//    where `already` is the sum of N's kJob credits whose day == `day`
//    (every kJob transfer of N that day, whoever recorded it); a transfer
//    the cap reduces to 0 is still recorded (credited 0). Applied as
//    ApplyTransfers applies one (idempotency: an id recorded with the same
//    body is a repeat reporting its recorded credit; another body is a
//    Conflict that refuses the whole completion).
// 3. The job's reward_units = credited.
// 4. Task shares, only when credited > 0, of `credited` (not of
//    amount_units): with R the referral record whose referee is N (none:
//    no shares), for level L in 1, 2 with referrer P = R.referrer_l1 /
//    R.referrer_l2 and bp = referral_l1_bp / referral_l2_bp:
//      share = floor(credited * bp / 10000)   (exact, in 128-bit)
//    and when P != "" and share > 0, the transfer id
//    "referral:task:<J>:<L>", kind kReferralTask1 / kReferralTask2,
//    principal P, amount share, no cap, day `day`, created_ms now_ms,
//    run_id "", job_id J, referee N, base_units credited, share_bp bp,
//    every other field 0. Shares are recorded after the node's transfer,
//    level 1 before level 2.
// All of it, with the job's transition and its result, commits or is rolled
// back as one: a crash never leaves a completed job unpaid or a paid job
// open. These ids are the job id plus at most 16 bytes ("referral:task:"
// and ":2"): a backend's limit on transfer ids must be its job-id limit + 16
// (SqliteStore does so), so that every job it stores can be paid. An invalid spec is InvalidArgument and writes nothing:
// amount_units outside 0..kTransferUnitsMax, daily_cap_units < 0, a bp over
// 10000, or (amount_units > 0) a day that is not a real "YYYY-MM-DD".
struct JobRewardSpec {
  int64_t amount_units = 0;        // 0: no reward, no transfers.
  int64_t daily_cap_units = 0;     // 0: none.
  uint32_t referral_l1_bp = 0;     // 500 = 5 % (REFERRAL_TASK_PERCENT).
  uint32_t referral_l2_bp = 0;
  std::string day;                 // UTC day of the completion ("YYYY-MM-DD").

  friend bool operator==(const JobRewardSpec&, const JobRewardSpec&) = default;
};

// ---- Reading the ledger ----------------------------------------------------

struct AccountSummary {
  std::string principal;
  int64_t balance_units = 0;   // Credited minus debited (nothing is debited yet).
  // Everything ever credited: what settlement on the chain reads
  // (docs/REWARDS.md "Settlement").
  int64_t credited_units = 0;
  int64_t transfers = 0;       // Transfers that credited it (capped ones at 0 included).
  int64_t updated_ms = 0;
  std::array<int64_t, kRewardKinds> credited_by_kind{};
  std::array<int64_t, kRewardKinds> transfers_by_kind{};
  int64_t uptime_minutes = 0;  // Minutes paid by its kUptime transfers.
};

// One principal's credits on one UTC day.
struct EarningsDay {
  std::string day;
  std::array<int64_t, kRewardKinds> units{};
  std::array<int64_t, kRewardKinds> transfers{};
  int64_t uptime_minutes = 0;  // Minutes paid by kUptime transfers of this day.
  int64_t total_units() const {
    int64_t sum = 0;
    for (int64_t u : units) sum += u;
    return sum;
  }
};

struct TransferQuery {
  // Exactly one of the two: a principal's transfers, or a run's.
  std::string principal;
  std::string run_id;
  uint32_t kinds = kAllKinds;  // Only transfers of these kinds.
  bool newest_first = true;
  uint64_t offset = 0;
  uint32_t limit = 20;         // 1..transfers_per_page_max.
};

struct TransferPage {
  int64_t total = 0;  // Matching transfers over all pages.
  std::vector<TransferRecord> transfers;
};

struct Balance {
  std::string principal;
  int64_t balance_units = 0;
  int64_t day_units = 0;  // Credited with transfers of the given day.
};

// What AuditLedger found; balanced() is the ledger's invariant.
struct LedgerAudit {
  int64_t issued_units = 0;     // Sum over issuance accounts.
  int64_t held_units = 0;       // Sum of principal balances.
  int64_t transfer_units = 0;   // Sum of credited units over recorded transfers.
  int64_t transfers = 0;
  int64_t accounts = 0;
  std::array<int64_t, kRewardKinds> issued_by_kind{};
  // Issuance accounts, principal accounts and per-day rows whose totals
  // differ from the sum of their transfers; credited beyond requested.
  int64_t mismatched_issuance = 0;
  int64_t mismatched_accounts = 0;
  int64_t mismatched_days = 0;
  int64_t over_credited = 0;
  bool balanced() const {
    return issued_units == held_units && held_units == transfer_units &&
           mismatched_issuance == 0 && mismatched_accounts == 0 && mismatched_days == 0 &&
           over_credited == 0;
  }
};

// ---- Distribution runs (single-flight, resumable) ---------------------------

enum class RunKind : uint8_t { kUptime = 0, kReferralWeekly = 1 };
enum class RunState : uint8_t { kRunning = 0, kCompleted = 1, kFailed = 2 };
std::string_view RunKindName(RunKind kind);    // "uptime", "referral_weekly"
std::string_view RunStateName(RunState state); // "running", "completed", "failed"

struct RunRecord {
  std::string id;            // "dist_<ms>_<n>" (uptime) or "weekly_uptime_<ms>".
  RunKind kind = RunKind::kUptime;
  RunState state = RunState::kRunning;
  std::string trigger;       // "schedule", "manual".
  std::string day;           // UTC day it distributes for (uptime: of its start; weekly: the week's last day).
  std::string owner;         // The process running it.
  int64_t started_ms = 0;
  int64_t heartbeat_ms = 0;  // Last progress (PayUptime, ApplyTransfers with its run_id, StartRun).
  int64_t completed_ms = 0;  // 0 while running.
  int64_t users = 0;         // Transfers that credited something, made with this run id.
  int64_t total_units = 0;   // Units they credited.
  int64_t resumes = 0;       // Times another owner took it over.
  std::string error;
  friend bool operator==(const RunRecord&, const RunRecord&) = default;
};

// StartRun: at most one run is running at a time, of any kind.
// - None running: `run` is inserted running (owner, started_ms =
//   heartbeat_ms = now_ms); started.
// - One running, owned by `owner`, or whose heartbeat_ms is at least
//   stale_after_ms before now_ms: taken over (owner and heartbeat_ms set,
//   resumes + 1 when the owner changed); resumed, and `run` is that record
//   (its id and kind, not the request's).
// - One running otherwise: busy; nothing written.
// With resume_only, nothing is inserted: no run running answers kIdle.
struct RunStart {
  RunRecord run;              // id, kind, trigger, day, owner.
  int64_t now_ms = 0;
  int64_t stale_after_ms = 0;
  bool resume_only = false;
};
enum class RunStartOutcome : uint8_t { kStarted, kResumed, kBusy, kIdle };
struct RunStartResult {
  RunStartOutcome outcome = RunStartOutcome::kStarted;
  RunRecord run;
};

// FinishRun: the running run `id` owned by `owner` becomes `state`
// (completed_ms = now_ms, error). With discard_if_empty and users == 0 the
// record is deleted instead (the original did not keep runs that paid
// nobody). FailedPrecondition when it is not running or owned by another.
struct RunFinish {
  std::string id;
  std::string owner;
  RunState state = RunState::kCompleted;
  std::string error;
  int64_t now_ms = 0;
  bool discard_if_empty = false;
};

struct RunPage {
  int64_t total = 0;
  std::vector<RunRecord> runs;  // Newest first.
};

// Rows of uptime_days (for GET /api/rewards/unprocessed-count).
struct UptimeDayCounts {
  int64_t total = 0;
  int64_t unpaid = 0;  // With at least one measured minute not paid.
};

}  // namespace sela::store
