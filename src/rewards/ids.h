// Deterministic transfer ids (ARCHITECTURE.md §7): the same reward always
// gets the same id, so the ledger pays it at most once (store/ledger.h
// "Idempotency"). Every id ends in fixed-format parts after the free-form
// one (a principal, a job id), so two different rewards never share an id.
#pragma once

#include <cstdint>
#include <string>
#include <string_view>

namespace sela::rewards {

// "job:<job_id>"
std::string JobTransferId(std::string_view job_id);
// "uptime:<principal>:<YYYY-MM-DD>:<minutes paid through>"
std::string UptimeTransferId(std::string_view principal, std::string_view day, int64_t through_minutes);
// "referral:task:<job_id>:<level>"
std::string ReferralTaskId(std::string_view job_id, uint32_t level);
// "referral:uptime:<referee>:<first day of the week>:<level>"
std::string ReferralUptimeId(std::string_view referee, std::string_view week_first_day, uint32_t level);
// "referral:installation:<referee>" (the store builds it: ClaimInstallationBonuses).
std::string InstallationId(std::string_view referee);
// "admin:<key>": an operator's grant, keyed by its Idempotency-Key or a
// server-made request id.
std::string AdminTransferId(std::string_view key);

}  // namespace sela::rewards
