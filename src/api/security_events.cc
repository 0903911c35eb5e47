#include "api/security_events.h"

#include <spdlog/spdlog.h>

#include <string>

#include "core/logging.h"

namespace sela::api {
namespace {

constexpr std::string_view kNames[] = {
    "v2_auth_malformed",   "v2_unsupported_key",     "v2_key_mismatch",
    "v2_bad_signature",    "v2_challenge_mismatch",  "v2_challenge_expired",
    "v2_already_authenticated", "v2_resume_denied",  "v1_refused",
    "registration_limited", "session_replaced",      "message_flood",
    "speed_report_throttled", "principal_mismatch",  "result_not_leased",
    "result_conflict",     "rest_rate_limited",      "register_client_limited",
    "register_client_closed", "open_jobs_share",     "private_url",
    "node_token_refused",  "legacy_principal_refused", "metrics_token_refused",
    "referral_register_limited",
};
static_assert(std::size(kNames) == static_cast<size_t>(Refusal::kCount));

constexpr Millis kLogInterval{1000};

}  // namespace

std::string_view RefusalName(Refusal reason) { return kNames[static_cast<size_t>(reason)]; }

SecurityEvents::SecurityEvents(MetricsRegistry& metrics, const Clock& clock) : clock_(clock) {
  for (size_t i = 0; i < counters_.size(); ++i) {
    counters_[i] = &metrics.GetCounter("sela_security_refusals_total",
                                       "Requests refused for safety or fair use, by reason (docs/FAIR-USE.md).",
                                       "reason=\"" + std::string(kNames[i]) + "\"");
  }
}

void SecurityEvents::Refused(Refusal reason,
                             std::initializer_list<std::pair<std::string_view, std::string_view>> fields) {
  const size_t i = static_cast<size_t>(reason);
  counters_[i]->Inc();
  const MonoTime now = clock_.Now();
  if (last_log_[i] != MonoTime{} && now - last_log_[i] < kLogInterval) {
    ++unlogged_[i];
    return;
  }
  last_log_[i] = now;
  const std::string suppressed = std::to_string(unlogged_[i]);
  unlogged_[i] = 0;
  spdlog::warn("refused: {}{}{}", kNames[i], suppressed == "0" ? "" : " (and " + suppressed + " more not logged)",
               LogFields(fields));
}

uint64_t SecurityEvents::count(Refusal reason) const {
  return counters_[static_cast<size_t>(reason)]->value();
}

}  // namespace sela::api
