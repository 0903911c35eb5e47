#include "rewards/ids.h"

namespace sela::rewards {
namespace {

std::string Join(std::initializer_list<std::string_view> parts) {
  std::string out;
  for (std::string_view p : parts) {
    if (!out.empty()) out += ':';
    out += p;
  }
  return out;
}

}  // namespace

std::string JobTransferId(std::string_view job_id) { return Join({"job", job_id}); }

std::string UptimeTransferId(std::string_view principal, std::string_view day, int64_t through_minutes) {
  return Join({"uptime", principal, day, std::to_string(through_minutes)});
}

std::string ReferralTaskId(std::string_view job_id, uint32_t level) {
  return Join({"referral", "task", job_id, std::to_string(level)});
}

std::string ReferralUptimeId(std::string_view referee, std::string_view week_first_day, uint32_t level) {
  return Join({"referral", "uptime", referee, week_first_day, std::to_string(level)});
}

std::string InstallationId(std::string_view referee) { return Join({"referral", "installation", referee}); }

std::string AdminTransferId(std::string_view key) { return Join({"admin", key}); }

}  // namespace sela::rewards
