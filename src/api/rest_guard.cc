#include "api/rest_guard.h"

#include <algorithm>

#include "api/node_sessions.h"
#include "api/rest_table.h"
#include "auth/node_token.h"
#include "codec/principal.h"

namespace sela::api {

namespace {

auth::BucketSpec BucketOf(const RateSpec& r) {
  return auth::BucketSpec{.burst = static_cast<double>(std::max<uint32_t>(r.burst, 1)),
                          .per_second = r.per_minute / 60.0,
                          .enabled = r.enabled};
}

constexpr std::string_view kBearer = "Bearer ";

std::string_view PeerOf(const net::HttpRequest& request) {
  return request.peer.empty() ? std::string_view("unknown") : std::string_view(request.peer);
}

// Whether the request names a principal in one of the original's three
// places (rest_table.h PrincipalOf), whatever its value.
bool NamesBarePrincipal(const net::HttpRequest& request, const boost::json::object& body) {
  bool structured = false;
  return request.HasHeader("x-user-principal-id") ||
         QueryString(request, "user_principal_id", &structured).has_value() || body.contains("user_principal_id");
}

}  // namespace

RestGuardOptions RestGuardOptions::FromConfig(const Config& config) {
  const SecurityConfig& sec = config.security;
  RestGuardOptions o;
  o.node_auth_signed = sec.node_auth == SecurityConfig::NodeAuth::kSigned;
  o.per_source = BucketOf(sec.rest_per_source);
  o.per_key = BucketOf(sec.rest_per_key);
  o.register_client_per_source = BucketOf(sec.register_client_per_source);
  o.referral_register_per_source = BucketOf(sec.referral_register_per_source);
  o.register_client_admin_only = sec.register_client == SecurityConfig::RegisterClient::kAdmin;
  o.admin_token = config.admin_token;
  return o;
}

net::HttpResponse TooManyRequests(std::string_view message, int64_t retry_after_seconds) {
  net::HttpResponse r = ErrorResponse(429, message);
  r.headers.emplace_back("Retry-After", std::to_string(std::max<int64_t>(retry_after_seconds, 1)));
  return r;
}

net::HttpResponse NodeTokenRequired() {
  net::HttpResponse r = ErrorResponse(401,
                                      "This route needs \"Authorization: Bearer <node token>\" from a protocol v2 "
                                      "session; a bare principal (x-user-principal-id, user_principal_id) is not "
                                      "accepted here");
  r.headers.emplace_back("WWW-Authenticate", "Bearer");
  return r;
}

std::optional<std::string> NodeTokenPrincipal(std::string_view secret, std::string_view token, int64_t now_ms) {
  auto bytes = auth::VerifyNodeToken(secret, token, now_ms);
  if (!bytes) return std::nullopt;
  auto principal = codec::Principal::FromBytes(*bytes);
  if (!principal) return std::nullopt;
  return principal->ToText();
}

RestGuard::RestGuard(RestGuardOptions options, const Clock& clock, SecurityEvents* events, SignedLookup is_signed)
    : options_(std::move(options)),
      clock_(clock),
      events_(events),
      is_signed_(std::move(is_signed)),
      per_source_(options_.per_source, options_.keys_max),
      per_key_(options_.per_key, options_.keys_max),
      register_client_(options_.register_client_per_source, options_.keys_max),
      referral_register_(options_.referral_register_per_source, options_.keys_max) {}

net::HttpResponse RestGuard::Limited(const auth::RateDecision& decision, std::string_view which,
                                     std::string_view peer, Refusal reason) {
  if (events_ != nullptr) events_->Refused(reason, {{"limit", which}, {"source", peer}});
  return TooManyRequests(std::string("Too many requests (") + std::string(which) + "), retry later",
                         decision.RetryAfterSeconds());
}

std::optional<net::HttpResponse> RestGuard::AdmitSource(const net::HttpRequest& request) {
  const auth::RateDecision d = per_source_.Take(SourceKey(PeerOf(request)), clock_.WallMs());
  if (d.allowed) return std::nullopt;
  return Limited(d, "per source", PeerOf(request), Refusal::kRestRateLimited);
}

std::optional<net::HttpResponse> RestGuard::AdmitKey(const net::HttpRequest& request, std::string_view key_hash) {
  const auth::RateDecision d = per_key_.Take(key_hash, clock_.WallMs());
  if (d.allowed) return std::nullopt;
  return Limited(d, "per API key", PeerOf(request), Refusal::kRestRateLimited);
}

std::optional<net::HttpResponse> RestGuard::AdmitRegisterClient(const net::HttpRequest& request) {
  if (options_.register_client_admin_only) {
    const AdminCheck check = CheckAdminToken(request.Header("Authorization"), options_.admin_token);
    if (check == AdminCheck::kAllowed) return std::nullopt;
    if (events_ != nullptr) events_->Refused(Refusal::kRegisterClientClosed, {{"source", PeerOf(request)}});
    net::HttpResponse r = AdminRefusal(check);
    if (check != AdminCheck::kDisabled) {
      r = ErrorResponse(r.status, "Client registration needs the admin token (REGISTER_CLIENT=admin)");
    }
    return r;
  }
  const auth::RateDecision d = register_client_.Take(SourceKey(PeerOf(request)), clock_.WallMs());
  if (d.allowed) return std::nullopt;
  return Limited(d, "client registrations per source", PeerOf(request), Refusal::kRegisterClientLimited);
}

std::optional<net::HttpResponse> RestGuard::AdmitReferralRegister(const net::HttpRequest& request) {
  const auth::RateDecision d = referral_register_.Take(SourceKey(PeerOf(request)), clock_.WallMs());
  if (d.allowed) return std::nullopt;
  return Limited(d, "referral registrations per source", PeerOf(request), Refusal::kReferralRegisterLimited);
}

std::optional<std::string> RestGuard::ResolvePrincipalAtOnce(const net::HttpRequest& request,
                                                            const boost::json::object& body,
                                                            const RestOptions& options, bool bare_allowed,
                                                            net::HttpResponse* refusal, bool* bare) {
  *bare = false;
  const std::string_view authorization = request.Header("Authorization");
  if (authorization.starts_with(kBearer)) {
    auto principal = NodeTokenPrincipal(options_.node_token_secret, authorization.substr(kBearer.size()),
                                        clock_.WallMs());
    if (!principal) {
      if (events_ != nullptr) events_->Refused(Refusal::kNodeTokenRefused, {{"source", PeerOf(request)}});
      *refusal = ErrorResponse(401, "Invalid or expired node token: take a new one over the v2 session");
    }
    return principal;
  }
  if (!bare_allowed) {
    // Counted when the caller tried the legacy door; a call with no
    // credential at all is only answered.
    if (events_ != nullptr && NamesBarePrincipal(request, body)) {
      const std::string_view path = std::string_view(request.path).substr(0, 128);
      events_->Refused(Refusal::kLegacyPrincipalRefused, {{"source", PeerOf(request)}, {"path", path}});
    }
    *refusal = NodeTokenRequired();
    return std::nullopt;
  }
  if (options_.node_auth_signed) {
    if (events_ != nullptr) events_->Refused(Refusal::kLegacyPrincipalRefused, {{"source", PeerOf(request)}});
    *refusal = ErrorResponse(401,
                             "Node REST calls need \"Authorization: Bearer <node token>\" from a v2 "
                             "session (NODE_AUTH=signed); a bare principal is not accepted");
    return std::nullopt;
  }
  *bare = true;
  return PrincipalOf(request, body, options, refusal);
}

void RestGuard::ResolvePrincipal(const net::HttpRequest& request, const boost::json::object& body,
                                 const RestOptions& options, bool bare_allowed, PrincipalDone done) {
  net::HttpResponse refusal;
  bool bare = false;
  auto principal = ResolvePrincipalAtOnce(request, body, options, bare_allowed, &refusal, &bare);
  if (!principal || !bare || !is_signed_) {
    done(std::move(principal), std::move(refusal));
    return;
  }
  is_signed_(*principal, [this, principal = *principal, peer = std::string(PeerOf(request)),
                          done = std::move(done)](Result<bool> is_signed) {
    if (!is_signed) {
      done(std::nullopt, StoreFailure(is_signed.error(), "Failed to check the node's identity"));
    } else if (*is_signed) {
      if (events_ != nullptr) {
        events_->Refused(Refusal::kLegacyPrincipalRefused, {{"principal", principal}, {"source", peer}});
      }
      done(std::nullopt, ErrorResponse(401,
                                       "This principal signs in with protocol v2: send \"Authorization: Bearer "
                                       "<node token>\", not a bare principal"));
    } else {
      done(principal, {});
    }
  });
}

}  // namespace sela::api
