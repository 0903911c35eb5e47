// Input checks of the settlement operations (settlement_types.h).
#include "store/validate.h"
#include "store/validate_ledger.h"

namespace sela::store {
namespace {

constexpr size_t kRunIdBytesMax = 64;
constexpr size_t kFailureBytesMax = 1024;
constexpr size_t kFailureKindBytesMax = 64;

Status ValidateRunId(std::string_view run_id) {
  RETURN_IF_ERROR(ValidateId(run_id, "settlement run id", kRunIdBytesMax));
  if (run_id.find('/') != std::string_view::npos) return InvalidArgument("settlement run id must not contain '/'");
  return Status::Ok();
}

bool KnownState(SettlementState state) { return static_cast<size_t>(state) < kSettlementStates; }

}  // namespace

const char* SettlementStateName(SettlementState state) {
  static constexpr const char* kNames[] = {"pending", "sent", "confirmed", "failed"};
  return KnownState(state) ? kNames[static_cast<size_t>(state)] : "";
}

Status ValidateSettlementBatch(const SettlementBatch& batch, const LedgerLimits& limits, uint32_t rows_max) {
  RETURN_IF_ERROR(ValidateRunId(batch.run_id));
  RETURN_IF_ERROR(ValidateText(batch.after_principal, "after_principal", limits.principal_bytes_max));
  RETURN_IF_ERROR(ValidateNowMs(batch.now_ms));
  if (batch.now_ms > INT64_MAX / 1'000'000) return InvalidArgument("now_ms out of range");
  return ValidateCount(batch.limit, rows_max, "limit", false);
}

Status ValidateSettlementRecord(const SettlementRecord& r, const LedgerLimits& limits) {
  RETURN_IF_ERROR(ValidateRunId(r.run_id));
  RETURN_IF_ERROR(ValidatePrincipal(r.principal, limits.principal_bytes_max));
  if (r.id != r.run_id + "/" + r.principal) return InvalidArgument("settlement id must be <run_id>/<principal>");
  if (!KnownState(r.state)) return InvalidArgument("unknown settlement state");
  if (r.amount_units < 1 || r.amount_units > kTransferUnitsMax) return InvalidArgument("settlement amount out of range");
  if (r.created_ms < 0 || r.created_at_ns < 0 || r.next_attempt_ms < 0 || r.updated_ms < 0 || r.confirmed_ms < 0 ||
      r.version < 0) {
    return InvalidArgument("settlement times and version must not be negative");
  }
  if ((r.state == SettlementState::kConfirmed) != (r.block_index >= 0)) {
    return InvalidArgument("a block index comes with the confirmed state, and only with it");
  }
  RETURN_IF_ERROR(ValidateText(r.failure, "failure", kFailureBytesMax));
  return ValidateText(r.failure_kind, "failure_kind", kFailureKindBytesMax);
}

Status ValidateSettlementQuery(const SettlementQuery& q, const LedgerLimits& limits, uint32_t rows_max) {
  if (q.has_state && !KnownState(q.state)) return InvalidArgument("unknown settlement state");
  RETURN_IF_ERROR(ValidateText(q.principal, "principal", limits.principal_bytes_max));
  RETURN_IF_ERROR(ValidateText(q.run_id, "run_id", kRunIdBytesMax));
  RETURN_IF_ERROR(ValidateText(q.after_id, "after_id", limits.principal_bytes_max + kRunIdBytesMax + 1));
  return ValidateCount(q.limit, rows_max, "limit", false);
}

}  // namespace sela::store
