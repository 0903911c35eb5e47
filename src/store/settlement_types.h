// Settlement of the rewards ledger on the Internet Computer, as the Store
// keeps it (docs/CHAIN.md "Settlement"; the state machine is
// chain/settlement.h). store.h declares the operations; every backend must
// implement exactly the semantics written there and here.
//
// A settlement pays one principal, once, the part of its ledger credits
// that no earlier settlement covers. Per principal the store keeps two
// totals, moved in the same atomic step as the settlement rows:
//   committed_units: sum of amount_units of every settlement of the
//                    principal, in any state (failed ones included: their
//                    amount stays committed until an operator retries them);
//   settled_units:   sum of amount_units of its confirmed settlements.
// So the unsettled amount of a principal is
//   AccountSummary::credited_units - committed_units
// and what the chain holds for it (when nothing else mints) is
// settled_units. Nothing in the rewards ledger (ledger.h) is changed by
// settlement; its audit stays as it is.
#pragma once

#include <array>
#include <cstdint>
#include <string>
#include <utility>
#include <vector>

namespace sela::store {

enum class SettlementState : uint8_t { kPending = 0, kSent = 1, kConfirmed = 2, kFailed = 3 };
inline constexpr size_t kSettlementStates = 4;
// "pending", "sent", "confirmed", "failed"; "" outside the enum.
const char* SettlementStateName(SettlementState state);

// One settlement: a row of the journal. Fields marked (fixed) are set by
// CreateSettlements and never change; UpdateSettlement refuses a record
// whose fixed fields differ from the stored ones.
struct SettlementRecord {
  std::string id;              // (fixed) "<run_id>/<principal>".
  std::string run_id;          // (fixed)
  std::string principal;       // (fixed) Text form; the ICRC-1 account's owner, no subaccount.
  int64_t amount_units = 0;    // (fixed) > 0.
  int64_t created_ms = 0;      // (fixed) When the run made it.
  SettlementState state = SettlementState::kPending;
  uint32_t generation = 0;     // Bumped when a new transfer replaces one proven absent.
  int64_t created_at_ns = 0;   // The transfer's created_at_time (of this generation).
  uint32_t attempts = 0;       // Sends of this generation.
  int64_t next_attempt_ms = 0; // Pending/sent: when it is due (again).
  int64_t block_index = -1;    // Confirmed: the ledger's block; -1 otherwise.
  bool duplicate = false;      // Confirmed through a Duplicate answer.
  std::string failure;         // The last trouble or, failed, the reason (for operators).
  std::string failure_kind;    // Failed: a short code (metrics label), e.g. "BadFee"; "" otherwise.
  bool needs_reconciliation = false;  // Failed: the transfer may be on the ledger.
  int64_t updated_ms = 0;
  int64_t confirmed_ms = 0;    // 0 until confirmed.
  int64_t version = 0;         // Stored version; UpdateSettlement compares and bumps it.

  friend bool operator==(const SettlementRecord&, const SettlementRecord&) = default;
};

// CreateSettlements: one step of a settlement run. Considers the principals
// that have a ledger account (ledger.h AccountSummary) with
// principal > after_principal, in ascending order, whose unsettled amount
// (credited_units - committed_units) is > 0 and that have no settlement
// "<run_id>/<principal>" yet; creates one pending settlement for each of
// the first `limit` of them: amount_units = the unsettled amount,
// created_ms = updated_ms = next_attempt_ms = now_ms, created_at_ns =
// now_ms * 1'000'000, generation 0, attempts 0, block_index -1, version 1;
// committed_units += amount_units. All in one atomic step.
struct SettlementBatch {
  std::string run_id;          // 1..64 bytes, no '/'.
  std::string after_principal; // "" for the first step.
  int64_t now_ms = 0;
  uint32_t limit = 1000;       // 1..rows_per_read_max.
};
struct SettlementBatchResult {
  int64_t created = 0;         // Settlements created by this step.
  int64_t units = 0;           // Their amounts.
  std::string last_principal;  // The last principal created for ("" if none): the next after_principal.
  bool more = false;           // The step stopped at `limit`: call again after last_principal.
};

// ListSettlements: by id ascending, id > after_id, at most `limit`
// (1..rows_per_read_max); only `state` when has_state, only `principal`
// when it is not "", only `run_id` when it is not "".
struct SettlementQuery {
  bool has_state = false;
  SettlementState state = SettlementState::kFailed;
  std::string principal;
  std::string run_id;
  std::string after_id;
  uint32_t limit = 100;
};

// GetSettlementSummary: over every settlement.
struct SettlementSummary {
  std::array<int64_t, kSettlementStates> count_by_state{};
  std::array<int64_t, kSettlementStates> units_by_state{};
  // Failed settlements by failure_kind, ascending by kind.
  std::vector<std::pair<std::string, int64_t>> failed_by_kind;
  int64_t oldest_open_created_ms = 0;  // Min created_ms over pending and sent; 0 when none.
  int64_t last_confirmed_ms = 0;       // Max confirmed_ms; 0 when none.
};

// A principal's settlement totals (see the top of this file).
struct SettledTotal {
  std::string principal;
  int64_t committed_units = 0;
  int64_t settled_units = 0;
  friend bool operator==(const SettledTotal&, const SettledTotal&) = default;
};

}  // namespace sela::store
