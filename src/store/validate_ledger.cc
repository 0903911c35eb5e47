#include "store/validate_ledger.h"

#include <algorithm>
#include <string>

#include "store/validate.h"

namespace sela::store {
namespace {

Status InRange(int64_t value, int64_t min, int64_t max, std::string_view what) {
  if (value < min || value > max) {
    return InvalidArgument(std::string(what) + " " + std::to_string(value) + " is outside " +
                           std::to_string(min) + ".." + std::to_string(max));
  }
  return Status::Ok();
}

Status ValidateCap(const TransferCap& cap) {
  using Window = TransferCap::Window;
  if (cap.window == Window::kNone) {
    if (cap.kinds != 0 || cap.limit_units != 0) {
      return InvalidArgument("a transfer cap without a window must have no kinds and no limit");
    }
    return Status::Ok();
  }
  if (cap.window != Window::kDay && cap.window != Window::kMonth) {
    return InvalidArgument("transfer cap window " + std::to_string(static_cast<int>(cap.window)) +
                           " is neither day nor month");
  }
  if (cap.kinds == 0 || (cap.kinds & ~kAllKinds) != 0) {
    return InvalidArgument("transfer cap kinds must be a non-empty set of reward kinds");
  }
  return InRange(cap.limit_units, 0, INT64_MAX, "transfer cap limit_units");
}

}  // namespace

Status ValidateTransfer(const Transfer& t, const LedgerLimits& limits) {
  RETURN_IF_ERROR(ValidateId(t.id, "transfer id", limits.id_bytes_max));
  if (static_cast<size_t>(t.kind) >= kRewardKinds) {
    return InvalidArgument("transfer " + t.id + " has an unknown kind " +
                           std::to_string(static_cast<int>(t.kind)));
  }
  RETURN_IF_ERROR(ValidatePrincipal(t.principal, limits.principal_bytes_max));
  RETURN_IF_ERROR(InRange(t.amount_units, 1, kTransferUnitsMax, "transfer amount_units"));
  RETURN_IF_ERROR(ValidateCap(t.cap));
  RETURN_IF_ERROR(ValidateDay(t.day, "transfer day"));
  RETURN_IF_ERROR(ValidateNowMs(t.created_ms));
  RETURN_IF_ERROR(ValidateText(t.run_id, "transfer run_id", limits.id_bytes_max));
  RETURN_IF_ERROR(ValidateText(t.job_id, "transfer job_id", limits.id_bytes_max));
  RETURN_IF_ERROR(ValidateText(t.referee, "transfer referee", limits.principal_bytes_max));
  RETURN_IF_ERROR(InRange(t.minutes, 0, INT64_MAX, "transfer minutes"));
  RETURN_IF_ERROR(InRange(t.tier, 0, 99, "transfer tier"));
  RETURN_IF_ERROR(InRange(t.base_units, 0, kTransferUnitsMax, "transfer base_units"));
  RETURN_IF_ERROR(InRange(t.bonus_units, 0, kTransferUnitsMax, "transfer bonus_units"));
  return InRange(t.share_bp, 0, 10'000, "transfer share_bp");
}

Status ValidateUptimePayment(const UptimePayment& p, const LedgerLimits& limits) {
  RETURN_IF_ERROR(ValidateTransfer(p.transfer, limits));
  if (p.transfer.kind != RewardKind::kUptime || p.transfer.cap.window != TransferCap::Window::kNone) {
    return InvalidArgument("uptime payment " + p.transfer.id + " must be an uncapped uptime transfer");
  }
  if (p.from_minutes < 0 || p.through_minutes <= p.from_minutes) {
    return InvalidArgument("uptime payment " + p.transfer.id + " must pay from >= 0 through > from minutes");
  }
  if (p.transfer.minutes != p.through_minutes - p.from_minutes) {
    return InvalidArgument("uptime payment " + p.transfer.id + " must pay through - from minutes");
  }
  return Status::Ok();
}

Status ValidateJobRewardSpec(const JobRewardSpec& spec) {
  RETURN_IF_ERROR(InRange(spec.amount_units, 0, kTransferUnitsMax, "job reward amount_units"));
  RETURN_IF_ERROR(InRange(spec.daily_cap_units, 0, INT64_MAX, "job reward daily_cap_units"));
  RETURN_IF_ERROR(InRange(spec.referral_l1_bp, 0, 10'000, "job reward referral_l1_bp"));
  RETURN_IF_ERROR(InRange(spec.referral_l2_bp, 0, 10'000, "job reward referral_l2_bp"));
  if (spec.amount_units == 0) return Status::Ok();
  return ValidateDay(spec.day, "job reward day");
}

Status ValidateReferralCode(std::string_view code) {
  bool ok = code.size() == 8;
  for (size_t i = 0; ok && i < code.size(); ++i) {
    const char c = code[i];
    ok = (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9');
  }
  if (!ok) return InvalidArgument("a referral code is 8 characters of A-Z and 0-9");
  return Status::Ok();
}

Status ValidateTransferQuery(const TransferQuery& q, const LedgerLimits& limits) {
  if (q.principal.empty() == q.run_id.empty()) {
    return InvalidArgument("a transfer query names exactly one of a principal and a run");
  }
  if (!q.principal.empty()) RETURN_IF_ERROR(ValidatePrincipal(q.principal, limits.principal_bytes_max));
  RETURN_IF_ERROR(ValidateText(q.run_id, "run id", limits.id_bytes_max));
  if ((q.kinds & ~kAllKinds) != 0) return InvalidArgument("transfer query kinds are not reward kinds");
  if (q.offset > static_cast<uint64_t>(INT64_MAX)) return InvalidArgument("transfer query offset is too large");
  return InRange(q.limit, 1, limits.transfers_per_page_max, "transfer query limit");
}

Status ValidateRunStart(const RunStart& s, const LedgerLimits& limits) {
  RETURN_IF_ERROR(ValidateId(s.run.id, "run id", limits.id_bytes_max));
  RETURN_IF_ERROR(ValidateId(s.run.owner, "run owner", limits.id_bytes_max));
  RETURN_IF_ERROR(ValidateId(s.run.trigger, "run trigger", limits.id_bytes_max));
  if (RunKindName(s.run.kind).empty()) return InvalidArgument("unknown run kind");
  RETURN_IF_ERROR(ValidateDay(s.run.day, "run day"));
  RETURN_IF_ERROR(ValidateNowMs(s.now_ms));
  return InRange(s.stale_after_ms, 0, INT64_MAX, "stale_after_ms");
}

Status ValidateCount(size_t count, size_t max, std::string_view what, bool allow_empty) {
  if ((count == 0 && !allow_empty) || count > max) {
    return InvalidArgument(std::string(what) + ": " + std::to_string(count) + " items, expected " +
                           (allow_empty ? "0" : "1") + ".." + std::to_string(max));
  }
  return Status::Ok();
}

Result<std::vector<std::string>> SortedPrincipals(std::vector<std::string> principals,
                                                  const LedgerLimits& limits, size_t count_max) {
  RETURN_IF_ERROR(ValidateCount(principals.size(), count_max, "principals", true));
  for (const std::string& p : principals) RETURN_IF_ERROR(ValidatePrincipal(p, limits.principal_bytes_max));
  std::sort(principals.begin(), principals.end());
  principals.erase(std::unique(principals.begin(), principals.end()), principals.end());
  return principals;
}

}  // namespace sela::store
