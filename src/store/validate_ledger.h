// Input checks of the rewards ledger's operations (ledger.h), shared by
// every Store backend so that each refuses the same inputs with the same
// code (InvalidArgument) before touching its data.
//
// Pure functions; thread-safe.
#pragma once

#include <cstddef>
#include <cstdint>
#include <string>
#include <string_view>
#include <vector>

#include "core/status.h"
#include "store/ledger.h"
#include "store/canister_sync_types.h"
#include "store/settlement_types.h"

namespace sela::store {

struct LedgerLimits {
  size_t principal_bytes_max = 256;
  size_t id_bytes_max = 256;           // Transfer, job and run ids.
  uint32_t transfers_per_page_max = 1000;
  uint32_t transfers_per_call_max = 10'000;  // ApplyTransfers, PayUptime.
};

// Every field within its range (see ledger.h Transfer); a cap without a
// window has no kinds and no limit, so that equal caps compare equal.
Status ValidateTransfer(const Transfer& transfer, const LedgerLimits& limits);

// The transfer valid, of kind kUptime, without a cap, its minutes
// through - from, and 0 <= from < through.
Status ValidateUptimePayment(const UptimePayment& payment, const LedgerLimits& limits);

// amount_units 0..kTransferUnitsMax, daily_cap_units >= 0, both bp at most
// 10000, and a real day when amount_units > 0 (ledger.h JobRewardSpec).
Status ValidateJobRewardSpec(const JobRewardSpec& spec);

// Eight characters of [A-Z0-9] (callers trim and upper-case first).
Status ValidateReferralCode(std::string_view code);

// Exactly one of principal and run_id; limit 1..transfers_per_page_max.
Status ValidateTransferQuery(const TransferQuery& query, const LedgerLimits& limits);

// A new run: id, owner and trigger non-empty within id_bytes_max, a known
// kind, a real day, times not negative.
Status ValidateRunStart(const RunStart& start, const LedgerLimits& limits);

// A count of items in one call: 1..max (0 is allowed when allow_empty).
Status ValidateCount(size_t count, size_t max, std::string_view what, bool allow_empty);

// The principals of a read by principal (Store::ListBalancesOf,
// ListSettledTotalsOf): each valid within principal_bytes_max, at most
// count_max of them (none is fine). Returns them sorted, each once.
Result<std::vector<std::string>> SortedPrincipals(std::vector<std::string> principals,
                                                  const LedgerLimits& limits, size_t count_max);

}  // namespace sela::store

// ---- Settlement (settlement_types.h) ----
namespace sela::store {
// run_id 1..64 bytes without '/', after_principal within principal_bytes_max,
// now_ms >= 0, limit 1..rows_max.
Status ValidateSettlementBatch(const SettlementBatch& batch, const LedgerLimits& limits, uint32_t rows_max);
// Ids, principal and texts within the limits, a known state, amount
// 1..kTransferUnitsMax, times and counters not negative, block_index >= 0
// exactly when confirmed.
Status ValidateSettlementRecord(const SettlementRecord& record, const LedgerLimits& limits);
Status ValidateSettlementQuery(const SettlementQuery& query, const LedgerLimits& limits, uint32_t rows_max);
}  // namespace sela::store

// ---- File-canister sync journal (canister_sync_types.h) ----
namespace sela::store {
// A lowercase SHA-256, a known source and state, texts within their limits
// (ref 128, owner 256, content_type 256, last_error 1024 bytes), no negative
// size, time or count.
Status ValidateSyncRecord(const SyncRecord& record);
}  // namespace sela::store
