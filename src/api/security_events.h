// Everything the server refuses for safety or fair use is logged and counted
// in one place (issue 11): `sela_security_refusals_total{reason="..."}` and a
// warning line with the reason and what identifies the actor (principal,
// source address, API client). Each reason is documented in
// docs/FAIR-USE.md; Reasons() lists them so that tests and docs can walk
// them, and every counter exists (at 0) from the start.
//
// Logging is rate-limited per reason (one line per second, with the count
// of what was not written), so that a flood cannot flood the log too.
//
// Threading: the event loop's thread.
#pragma once

#include <array>
#include <cstdint>
#include <initializer_list>
#include <span>
#include <string_view>
#include <utility>

#include "core/clock.h"
#include "core/metrics.h"

namespace sela::api {

enum class Refusal : uint8_t {
  kV2AuthMalformed,      // auth frame not valid
  kV2UnsupportedKey,
  kV2KeyMismatch,        // wrong key for the principal
  kV2BadSignature,
  kV2ChallengeMismatch,  // an auth replayed from another connection
  kV2ChallengeExpired,
  kV2AlreadyAuthenticated,
  kV2ResumeDenied,       // resume of another principal's session
  kV1Refused,            // NODE_AUTH=signed, or the principal signs in with v2
  kRegistrationLimited,  // too many registrations from one source
  kSessionReplaced,      // a newer session of the principal took over
  kMessageFlood,         // too many messages on one connection (close 1008)
  kSpeedReportThrottled,
  kPrincipalMismatch,    // user_principal_id of another principal
  kResultNotLeased,      // a result from a connection that does not hold the lease
  kResultConflict,       // a repeat result with other content
  kRestRateLimited,      // REST per source or per API key
  kRegisterClientLimited,
  kRegisterClientClosed,  // REGISTER_CLIENT=admin without the admin token
  kOpenJobsShare,        // a customer over its share of open jobs
  kPrivateUrl,           // a job URL for a private or local address
  kNodeTokenRefused,     // a bad or expired node token on a node route
  kLegacyPrincipalRefused,  // bare x-user-principal-id where it is not accepted
  kMetricsTokenRefused,
  kReferralRegisterLimited,  // referral registrations per source
  kCount,
};

std::string_view RefusalName(Refusal reason);

class SecurityEvents {
 public:
  SecurityEvents(MetricsRegistry& metrics, const Clock& clock);

  // Counts the refusal and logs it (rate-limited) with the given fields.
  void Refused(Refusal reason, std::initializer_list<std::pair<std::string_view, std::string_view>> fields);
  uint64_t count(Refusal reason) const;

 private:
  const Clock& clock_;
  std::array<Counter*, static_cast<size_t>(Refusal::kCount)> counters_{};
  std::array<MonoTime, static_cast<size_t>(Refusal::kCount)> last_log_{};
  std::array<uint64_t, static_cast<size_t>(Refusal::kCount)> unlogged_{};
};

}  // namespace sela::api
