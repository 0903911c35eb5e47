// RestGuard: who may call the compatible REST routes, and how often
// (issue 11; docs/FAIR-USE.md, docs/REST-NODE.md "Authentication").
//
// RunRestRoute (rest_table.h) asks the guard, in this order:
//   1. every route: the source's token bucket (RATE_REST_PER_SOURCE);
//   2. kApiKey routes, once the key's form is checked: the key's bucket
//      (RATE_REST_PER_KEY, by the key's hash, so unknown keys count too);
//   3. kPrincipal and kPrincipalCompat routes: the caller's principal
//      (ResolvePrincipal).
// A refused bucket is a 429 with Retry-After (whole seconds), counted as
// `rest_rate_limited` and logged. registerClient asks AdmitRegisterClient
// itself (REGISTER_CLIENT, RATE_REGISTER_CLIENT_PER_SOURCE), referral
// registration AdmitReferralRegister (RATE_REGISTER_REFERRAL_PER_SOURCE).
//
// The caller's principal on node routes, in one place (ResolvePrincipal):
//   - `Authorization: Bearer <node token>` (auth/node_token.h, handed out by
//     a v2 session): the token's principal. A bad or expired token is a 401
//     counted as `node_token_refused`; nothing else of the request is read.
//   - otherwise, on a route that takes only the token (RestAuth::kPrincipal,
//     `bare_allowed` false): 401 "needs a node token", counted as
//     `legacy_principal_refused` when the request named a bare principal.
//   - otherwise (RestAuth::kPrincipalCompat) the self-asserted principal
//     (x-user-principal-id, query or body user_principal_id; rest_table.h
//     PrincipalOf). Refused (401, `legacy_principal_refused`) under
//     NODE_AUTH=signed, and in every mode for a principal that has signed in
//     with v2 (the store's signed_identity): the same rule as a v1
//     registration of it.
//
// Threading: the event loop's thread. Time comes from the injected Clock.
#pragma once

#include <boost/json/object.hpp>
#include <cstdint>
#include <functional>
#include <optional>
#include <string>
#include <string_view>

#include "api/security_events.h"
#include "auth/rate_limit.h"
#include "core/clock.h"
#include "core/config.h"
#include "core/status.h"
#include "net/http_types.h"

namespace sela::api {

struct RestOptions;

struct RestGuardOptions {
  bool node_auth_signed = false;  // NODE_AUTH=signed: bare principals refused.
  std::string node_token_secret = {};  // Raw bytes; the sessions' (NodeSessions::node_token_secret).
  auth::BucketSpec per_source{.burst = 1000, .per_second = 500};  // RATE_REST_PER_SOURCE
  auth::BucketSpec per_key{.burst = 1000, .per_second = 500};     // RATE_REST_PER_KEY
  auth::BucketSpec register_client_per_source{.burst = 5, .per_second = 5 / 60.0};
  // RATE_REGISTER_REFERRAL_PER_SOURCE (config.h says why 20 at once).
  auth::BucketSpec referral_register_per_source{.burst = 20, .per_second = 10 / 60.0};
  bool register_client_admin_only = false;  // REGISTER_CLIENT=admin
  std::string admin_token = {};             // ADMIN_TOKEN, for REGISTER_CLIENT=admin
  // Buckets kept per table at most (KeyedLimiter fails closed past it).
  std::size_t keys_max = 100'000;

  // Everything above from the configuration except node_token_secret.
  static RestGuardOptions FromConfig(const Config& config);
};

class RestGuard {
 public:
  // Whether a principal has signed in with v2 (the store's
  // signed_identity; false for an unknown one). Answers once.
  using SignedLookup = std::function<void(const std::string& principal, std::function<void(Result<bool>)> done)>;

  RestGuard(RestGuardOptions options, const Clock& clock, SecurityEvents* events, SignedLookup is_signed);

  // A 429 when the request's source is over RATE_REST_PER_SOURCE.
  std::optional<net::HttpResponse> AdmitSource(const net::HttpRequest& request);
  // A 429 when the key (its hash) is over RATE_REST_PER_KEY.
  std::optional<net::HttpResponse> AdmitKey(const net::HttpRequest& request, std::string_view key_hash);
  // registerClient: 403/401 under REGISTER_CLIENT=admin without the admin
  // token; else a 429 when the source is over RATE_REGISTER_CLIENT_PER_SOURCE.
  std::optional<net::HttpResponse> AdmitRegisterClient(const net::HttpRequest& request);
  // POST /api/referral/register: a 429 when the source is over
  // RATE_REGISTER_REFERRAL_PER_SOURCE (counted `referral_register_limited`).
  std::optional<net::HttpResponse> AdmitReferralRegister(const net::HttpRequest& request);

  // The caller's principal (see the file comment). `bare_allowed`: the
  // route is RestAuth::kPrincipalCompat (a bare principal may name the
  // caller under NODE_AUTH=compat); false: only a node token does. done gets
  // the principal's text form, or the response to refuse with. It runs at
  // once, or later after the store answered: `request` must then be kept
  // alive by the caller until done runs (RunRestRoute copies it).
  using PrincipalDone = std::function<void(std::optional<std::string> principal, net::HttpResponse refusal)>;
  void ResolvePrincipal(const net::HttpRequest& request, const boost::json::object& body,
                        const RestOptions& options, bool bare_allowed, PrincipalDone done);

  // The same without the store: a node token, or a refusal (a route that
  // takes only tokens, NODE_AUTH=signed), else the bare principal (*bare)
  // WITHOUT the check that it has never signed in with v2. For a streamed
  // chunk body (F2 raw), which must be taken or refused before any store
  // read: the file it names was created through ResolvePrincipal, so only
  // its creator knows its id. nullopt and *refusal set when refused.
  std::optional<std::string> ResolvePrincipalAtOnce(const net::HttpRequest& request, const boost::json::object& body,
                                                    const RestOptions& options, bool bare_allowed,
                                                    net::HttpResponse* refusal, bool* bare);

  const RestGuardOptions& options() const { return options_; }

 private:
  net::HttpResponse Limited(const auth::RateDecision& decision, std::string_view which, std::string_view peer,
                            Refusal reason);

  RestGuardOptions options_;
  const Clock& clock_;
  SecurityEvents* events_;
  SignedLookup is_signed_;
  auth::KeyedLimiter per_source_;
  auth::KeyedLimiter per_key_;
  auth::KeyedLimiter register_client_;
  auth::KeyedLimiter referral_register_;
};

// The 401 of a route that takes only the v2 node token (RestAuth::kPrincipal)
// asked without one, with `WWW-Authenticate: Bearer`.
net::HttpResponse NodeTokenRequired();

// A 429 with Retry-After in whole seconds (at least 1) and the envelope.
net::HttpResponse TooManyRequests(std::string_view message, int64_t retry_after_seconds);

// The principal a node token names, as text; nullopt when the token is not
// one of ours, altered or expired at now_ms.
std::optional<std::string> NodeTokenPrincipal(std::string_view secret, std::string_view token, int64_t now_ms);

}  // namespace sela::api
