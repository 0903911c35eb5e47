#include "chain/settlement.h"

#include <algorithm>

#include "chain/sha256.h"

namespace sela::chain {
namespace {

constexpr size_t kIdMax = 128;

uint64_t Ns(int64_t ms) { return static_cast<uint64_t>(ms) * 1'000'000; }

void Fail(Settlement& s, std::string reason, bool reconcile) {
  s.state = Settlement::State::kFailed;
  s.failure = std::move(reason);
  s.needs_reconciliation = reconcile;
}

// Whether sending this generation again is still covered by deduplication.
bool InsideWindow(const Settlement& s, int64_t now_ms, const SettlementPolicy& policy) {
  return Ns(now_ms) + policy.safety_margin_ns < s.created_at_time_ns + policy.dedup_window_ns;
}

void RetryLater(Settlement& s, int64_t now_ms, const SettlementPolicy& policy, std::string why) {
  if (!InsideWindow(s, now_ms, policy)) {
    Fail(s, "outcome unknown near the end of the deduplication window (" + why + "): reconcile", true);
    return;
  }
  s.state = Settlement::State::kSent;
  s.failure = std::move(why);  // The last trouble, for operators; not a failure.
  (void)now_ms;
}

void ApplyLedgerError(Settlement& s, const icrc1::TransferError& e, int64_t now_ms, const SettlementPolicy& policy) {
  using K = icrc1::TransferError::Kind;
  const std::string name(icrc1::KindName(e.kind));
  switch (e.kind) {
    case K::kTooOld:
      // Deduplication no longer covers it: an earlier send may be applied.
      Fail(s, "TooOld: the ledger's window passed; reconcile", true);
      return;
    case K::kCreatedInFuture:
    case K::kTemporarilyUnavailable:
      RetryLater(s, now_ms, policy, name);
      return;
    case K::kGenericError:
      Fail(s, "GenericError " + codec::Uint128ToString(e.number) + ": " + e.message, false);
      return;
    default:
      // BadFee, BadBurn, InsufficientFunds, unknown cases: refused, nothing
      // applied (a Duplicate never gets here: it is an applied outcome).
      Fail(s, name, false);
      return;
  }
}

}  // namespace

std::string_view StateName(Settlement::State state) {
  static constexpr std::string_view kNames[] = {"pending", "sent", "confirmed", "failed"};
  return kNames[static_cast<size_t>(state)];
}

std::string SettlementMemo(std::string_view id, uint32_t generation) {
  return "SELA" + Sha256({id, std::string_view("\0", 1), std::to_string(generation)}).substr(0, 28);
}

Result<Settlement> NewSettlement(std::string id, icrc1::Account to, icrc1::Uint128 amount, int64_t now_ms) {
  if (id.empty() || id.size() > kIdMax) return Err(InvalidArgument("settlement id must be 1..128 bytes"));
  if (amount == 0) return Err(InvalidArgument("settlement of zero"));
  Settlement s;
  s.id = std::move(id);
  s.to = std::move(to);
  s.amount = amount;
  s.created_at_time_ns = Ns(now_ms);
  s.next_attempt_ms = now_ms;
  return s;
}

icrc1::TransferArg TransferFor(const Settlement& s) {
  icrc1::TransferArg arg;
  arg.to = s.to;
  arg.amount = s.amount;
  arg.memo = SettlementMemo(s.id, s.generation);
  arg.created_at_time = s.created_at_time_ns;
  return arg;  // fee null: mints have none.
}

std::optional<icrc1::TransferArg> Due(const Settlement& s, int64_t now_ms, const SettlementPolicy& policy) {
  const bool waiting = s.state == Settlement::State::kPending || s.state == Settlement::State::kSent;
  if (!waiting || now_ms < s.next_attempt_ms || !InsideWindow(s, now_ms, policy)) return std::nullopt;
  return TransferFor(s);
}

void MarkSent(Settlement& s, int64_t now_ms, const SettlementPolicy& policy) {
  s.state = Settlement::State::kSent;
  const int shift = static_cast<int>(std::min<uint32_t>(s.attempts, 20));
  s.attempts += 1;
  s.next_attempt_ms = now_ms + std::min(policy.retry_max_ms, policy.retry_initial_ms << shift);
}

void Apply(Settlement& s, const Result<TransferOutcome>& outcome, int64_t now_ms, const SettlementPolicy& policy) {
  if (s.state != Settlement::State::kSent) return;  // A late answer to a settled one changes nothing.
  if (!outcome.has_value()) {
    RetryLater(s, now_ms, policy, outcome.error().ToString());
    return;
  }
  switch (outcome->kind) {
    case TransferOutcome::Kind::kApplied:
      s.state = Settlement::State::kConfirmed;
      s.block_index = outcome->block_index;
      s.duplicate = outcome->duplicate;
      s.failure.clear();
      return;
    case TransferOutcome::Kind::kLedgerError:
      ApplyLedgerError(s, outcome->error, now_ms, policy);
      return;
    case TransferOutcome::Kind::kRejected: {
      const std::string why = "rejected " + std::string(RejectCodeName(outcome->reject.code)) + ": " +
                              outcome->reject.message.substr(0, 200);
      if (outcome->reject.code == static_cast<uint64_t>(RejectCode::kSysTransient)) {
        RetryLater(s, now_ms, policy, why);
      } else {
        // An uncertified rejection is a node's word only: the call may have
        // run after all.
        Fail(s, why, !outcome->reject.certified);
      }
      return;
    }
  }
}

void Reconciled(Settlement& s, std::optional<icrc1::Uint128> block, int64_t now_ms) {
  if (s.state != Settlement::State::kFailed || !s.needs_reconciliation) return;
  if (block) {
    s.state = Settlement::State::kConfirmed;
    s.block_index = *block;
    s.failure.clear();
    s.needs_reconciliation = false;
    return;
  }
  // Proven absent: a new generation is a new transfer, paid once more at most
  // because the old one never was.
  s.generation += 1;
  s.created_at_time_ns = Ns(now_ms);
  s.state = Settlement::State::kPending;
  s.attempts = 0;
  s.next_attempt_ms = now_ms;
  s.failure.clear();
  s.needs_reconciliation = false;
}

Status RetryFailed(Settlement& s, int64_t now_ms, const SettlementPolicy& policy) {
  if (s.state != Settlement::State::kFailed) return FailedPrecondition("only failed settlements are retried");
  // Inside the window the same transfer is sent again: if it was applied
  // after all, the ledger answers Duplicate. Past it, only a settlement that
  // certainly was not applied gets a new generation.
  if (!InsideWindow(s, now_ms, policy)) {
    if (s.needs_reconciliation) return FailedPrecondition("reconcile first: the transfer may be on the ledger");
    s.generation += 1;
    s.created_at_time_ns = Ns(now_ms);
  }
  s.needs_reconciliation = false;
  s.state = Settlement::State::kPending;
  s.attempts = 0;
  s.next_attempt_ms = now_ms;
  s.failure.clear();
  return Status::Ok();
}

}  // namespace sela::chain
