#include "store/ledger.h"

#include <tuple>

namespace sela::store {

std::string_view RewardKindName(RewardKind kind) {
  switch (kind) {
    case RewardKind::kJob:
      return "job";
    case RewardKind::kUptime:
      return "uptime";
    case RewardKind::kReferralTask1:
      return "referral_task_1";
    case RewardKind::kReferralTask2:
      return "referral_task_2";
    case RewardKind::kReferralUptime1:
      return "referral_uptime_1";
    case RewardKind::kReferralUptime2:
      return "referral_uptime_2";
    case RewardKind::kReferralInstallation:
      return "referral_installation";
    case RewardKind::kAdmin:
      return "admin";
  }
  return "";
}

std::string IssuanceAccount(RewardKind kind) {
  return "issuance:" + std::string(RewardKindName(kind));
}

bool SameTransferBody(const Transfer& a, const Transfer& b) {
  auto body = [](const Transfer& t) {
    return std::tie(t.id, t.kind, t.principal, t.amount_units, t.cap, t.day, t.job_id, t.referee,
                    t.minutes, t.tier, t.base_units, t.bonus_units, t.share_bp);
  };
  return body(a) == body(b);
}

std::string_view RunKindName(RunKind kind) {
  switch (kind) {
    case RunKind::kUptime:
      return "uptime";
    case RunKind::kReferralWeekly:
      return "referral_weekly";
  }
  return "";
}

std::string_view RunStateName(RunState state) {
  switch (state) {
    case RunState::kRunning:
      return "running";
    case RunState::kCompleted:
      return "completed";
    case RunState::kFailed:
      return "failed";
  }
  return "";
}

}  // namespace sela::store
