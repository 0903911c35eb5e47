// Settlement: the state machine that pays one credited amount to one
// principal on the ICRC-1 ledger exactly once (docs/CHAIN.md,
// "Settlement"). Pure domain code: no I/O, no clock (`now` is passed in);
// the store persists a Settlement, an Executor runs the transfer.
//
//   pending --MarkSent--> sent --applied (Ok or Duplicate)--> confirmed(block)
//      ^                   |  \--unknown outcome / transient--> sent (retry at next_attempt_ms)
//      |                   \--ledger or call refused it--------> failed(reason)
//      \----Reconciled(absent): new generation---- failed(needs_reconciliation)
//
// Exactly once: every send of one generation carries the same TransferArg:
// created_at_time fixed when the settlement was made, memo derived from the
// settlement id and generation. A resend after a crash, timeout or lost
// reply is therefore answered Duplicate{duplicate_of} by the ledger, which
// counts as confirmed. The ledger deduplicates only within its window
// (24 h on the DFINITY ledger): an outcome still unknown near its end, or a
// TooOld answer, stops sending and asks for reconciliation against the
// ledger's block log (Icrc1Client::FindMint) before any new generation.
//
// Store contract: MarkSent is persisted before the transfer is sent;
// Apply's result is persisted when the outcome arrives. A crash between the
// two leaves `sent`, and Due() then yields the same TransferArg again.
//
// Thread-safety: values and free functions.
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>

#include "chain/icrc1_client.h"
#include "chain/icrc1_types.h"
#include "core/status.h"

namespace sela::chain {

struct SettlementPolicy {
  int64_t retry_initial_ms = 1'000;
  int64_t retry_max_ms = 5 * 60'000;
  uint64_t dedup_window_ns = 24ULL * 3600 * 1'000'000'000;     // The ledger's TX window.
  uint64_t safety_margin_ns = 2ULL * 3600 * 1'000'000'000;     // Stop resending this long before its end.
};

struct Settlement {
  enum class State : uint8_t { kPending, kSent, kConfirmed, kFailed };
  std::string id;  // Deterministic, e.g. "<run id>/<principal>"; at most 128 bytes.
  icrc1::Account to;
  icrc1::Uint128 amount = 0;
  uint32_t generation = 0;          // Bumped only after reconciliation proved absence.
  uint64_t created_at_time_ns = 0;  // Of this generation.
  State state = State::kPending;
  uint32_t attempts = 0;            // Sends of this generation.
  int64_t next_attempt_ms = 0;      // Wall time; sent: when to resend.
  icrc1::Uint128 block_index = 0;   // Confirmed.
  bool duplicate = false;           // Confirmed through Duplicate.
  std::string failure;              // Failed: the reason, for operators.
  bool needs_reconciliation = false;  // Failed: the outcome may be on the ledger.
};

std::string_view StateName(Settlement::State state);

// 32 bytes (the ledger's memo limit): "SELA" || SHA-256(id, generation)[0..28).
std::string SettlementMemo(std::string_view id, uint32_t generation);

// A new pending settlement; InvalidArgument for an empty or long id or a
// zero amount.
Result<Settlement> NewSettlement(std::string id, icrc1::Account to, icrc1::Uint128 amount, int64_t now_ms);

// The transfer to send now, or nullopt when nothing is due.
std::optional<icrc1::TransferArg> Due(const Settlement& s, int64_t now_ms, const SettlementPolicy& policy);
// The same arguments whenever asked, for the current generation.
icrc1::TransferArg TransferFor(const Settlement& s);

// Before sending: pending|sent -> sent, attempts + 1, next attempt scheduled
// (exponential back-off), so that a crash mid-call resends later.
void MarkSent(Settlement& s, int64_t now_ms, const SettlementPolicy& policy);

// The outcome of a send (the Icrc1Client result).
void Apply(Settlement& s, const Result<TransferOutcome>& outcome, int64_t now_ms, const SettlementPolicy& policy);

// The answer of reconciliation for a failed settlement that needs it: the
// block where the ledger has it (confirmed), or none (a new generation,
// pending, with a fresh created_at_time and memo).
void Reconciled(Settlement& s, std::optional<icrc1::Uint128> block, int64_t now_ms);

// An operator's retry of a failed settlement: the same transfer again while
// the ledger's window still covers it; past the window a new generation, only
// for one that needs no reconciliation (FailedPrecondition otherwise).
Status RetryFailed(Settlement& s, int64_t now_ms, const SettlementPolicy& policy);

}  // namespace sela::chain
