// RestGuard: node tokens against bare principals, and the REST buckets.
#include "api/rest_guard.h"

#include <gtest/gtest.h>

#include <set>

#include "api/rest_table.h"
#include "auth/node_token.h"
#include "codec/principal.h"
#include "testing/fake_clock.h"

namespace sela::api {
namespace {

const std::string kSecret(32, 's');
constexpr std::string_view kRawPrincipal = "\x01\x02\x03\x04\x05";

class RestGuardTest : public ::testing::Test {
 protected:
  RestGuard& Guard(RestGuardOptions o = {}) {
    o.node_token_secret = kSecret;
    guard_.emplace(std::move(o), clock_, &events_,
                   [this](const std::string& principal, std::function<void(Result<bool>)> done) {
                     ++lookups_;
                     done(signed_.contains(principal));
                   });
    return *guard_;
  }

  static net::HttpRequest Request(net::HeaderList headers, std::string peer = "192.0.2.7") {
    net::HttpRequest r;
    r.method = "GET";
    r.path = "/api/node/user/uptime";
    r.headers = std::move(headers);
    r.peer = std::move(peer);
    return r;
  }

  // {principal} or {"", status, message}.
  struct Resolved {
    std::string principal;
    unsigned status = 0;
  };
  // bare_allowed: a RestAuth::kPrincipalCompat route; false: kPrincipal.
  Resolved Resolve(const net::HttpRequest& request, bool bare_allowed = true, const boost::json::object& body = {},
                   net::HttpResponse* refusal = nullptr) {
    Resolved out;
    guard_->ResolvePrincipal(request, body, rest_, bare_allowed,
                             [&out, refusal](std::optional<std::string> p, net::HttpResponse r) {
                               if (p) {
                                 out.principal = *p;
                               } else {
                                 out.status = r.status;
                                 if (refusal != nullptr) *refusal = std::move(r);
                               }
                             });
    return out;
  }

  std::string Token(int64_t expires_ms) { return auth::IssueNodeToken(kSecret, kRawPrincipal, expires_ms); }
  std::string Text() { return codec::Principal::FromBytes(kRawPrincipal)->ToText(); }

  sela::testing::FakeClock clock_;
  MetricsRegistry metrics_;
  SecurityEvents events_{metrics_, clock_};
  RestOptions rest_;
  std::optional<RestGuard> guard_;
  std::set<std::string> signed_;
  int lookups_ = 0;
};

TEST_F(RestGuardTest, ANodeTokenNamesItsPrincipal) {
  Guard();
  const Resolved r = Resolve(Request({{"Authorization", "Bearer " + Token(clock_.WallMs() + 1000)}}));
  EXPECT_EQ(r.principal, Text());
  EXPECT_EQ(lookups_, 0);  // A token needs no store read.
}

TEST_F(RestGuardTest, AnExpiredOrAlteredTokenIsRefusedAndCounted) {
  Guard();
  std::string altered = Token(clock_.WallMs() + 1000);
  altered[10] = altered[10] == 'A' ? 'B' : 'A';  // A data bit of the HMAC'd bytes.
  for (const std::string& token : {Token(clock_.WallMs() - 1), altered, std::string("sn1.x")}) {
    // Even with a header naming a principal: the token decides.
    EXPECT_EQ(Resolve(Request({{"Authorization", "Bearer " + token}, {"x-user-principal-id", "node-a"}})).status,
              401u)
        << token;
  }
  EXPECT_EQ(events_.count(Refusal::kNodeTokenRefused), 3u);
}

TEST_F(RestGuardTest, SignedModeRefusesEveryBarePrincipal) {
  Guard({.node_auth_signed = true});
  net::HttpRequest query = Request({});
  query.query = "user_principal_id=node-a";
  EXPECT_EQ(Resolve(Request({{"x-user-principal-id", "node-a"}})).status, 401u);
  EXPECT_EQ(Resolve(query).status, 401u);
  EXPECT_EQ(events_.count(Refusal::kLegacyPrincipalRefused), 2u);
  EXPECT_EQ(Resolve(Request({{"Authorization", "Bearer " + Token(clock_.WallMs() + 1000)}})).principal, Text());
}

TEST_F(RestGuardTest, CompatModeRefusesTheHeaderOnlyForASignedPrincipal) {
  Guard();
  signed_.insert("signed-node");
  EXPECT_EQ(Resolve(Request({{"x-user-principal-id", "legacy-node"}})).principal, "legacy-node");
  EXPECT_EQ(Resolve(Request({{"x-user-principal-id", "signed-node"}})).status, 401u);
  EXPECT_EQ(events_.count(Refusal::kLegacyPrincipalRefused), 1u);
}

TEST_F(RestGuardTest, ATokenOnlyRouteRefusesEveryBarePrincipalEvenInCompatMode) {
  Guard();  // NODE_AUTH=compat: the bare principal of an unsigned node.
  net::HttpRequest query = Request({});
  query.query = "user_principal_id=legacy-node";
  const boost::json::object body{{"user_principal_id", "legacy-node"}};
  struct Case {
    net::HttpRequest request;
    boost::json::object body;
  };
  const Case bare[] = {{Request({{"x-user-principal-id", "legacy-node"}}), {}}, {query, {}}, {Request({}), body}};
  for (const Case& c : bare) {
    // The same request is taken on a compat route, refused on a token-only one.
    EXPECT_EQ(Resolve(c.request, true, c.body).principal, "legacy-node");
    net::HttpResponse refusal;
    EXPECT_EQ(Resolve(c.request, false, c.body, &refusal).status, 401u);
    EXPECT_NE(refusal.body.find("Bearer <node token>"), std::string::npos) << refusal.body;
    EXPECT_NE(refusal.body.find("not accepted here"), std::string::npos) << refusal.body;
    EXPECT_EQ(refusal.headers, (net::HeaderList{{"WWW-Authenticate", "Bearer"}}));
  }
  EXPECT_EQ(events_.count(Refusal::kLegacyPrincipalRefused), 3u);
  // No credential at all: the same 401, not counted as a try at the legacy door.
  EXPECT_EQ(Resolve(Request({}), false).status, 401u);
  EXPECT_EQ(events_.count(Refusal::kLegacyPrincipalRefused), 3u);
  // The token opens it, with no store read.
  EXPECT_EQ(Resolve(Request({{"Authorization", "Bearer " + Token(clock_.WallMs() + 1000)}}), false).principal, Text());
  EXPECT_EQ(lookups_, 3);  // Only the compat routes' bare principals were looked up.
  // At once (a streamed chunk) follows the same rule.
  net::HttpResponse refusal;
  bool bare_taken = true;
  EXPECT_FALSE(guard_->ResolvePrincipalAtOnce(Request({{"x-user-principal-id", "legacy-node"}}), {}, rest_, false,
                                              &refusal, &bare_taken));
  EXPECT_EQ(refusal.status, 401u);
  EXPECT_FALSE(bare_taken);
}

TEST_F(RestGuardTest, ReferralRegistrationHasItsOwnBucketPerSource) {
  Guard({.referral_register_per_source = {.burst = 2, .per_second = 1 / 60.0}});
  const net::HttpRequest a = Request({});
  EXPECT_FALSE(guard_->AdmitReferralRegister(a).has_value());
  EXPECT_FALSE(guard_->AdmitReferralRegister(a).has_value());
  const auto refused = guard_->AdmitReferralRegister(a);
  ASSERT_TRUE(refused.has_value());
  EXPECT_EQ(refused->status, 429u);
  EXPECT_EQ(refused->headers, (net::HeaderList{{"Retry-After", "60"}}));
  EXPECT_NE(refused->body.find("referral registrations per source"), std::string::npos) << refused->body;
  EXPECT_EQ(events_.count(Refusal::kReferralRegisterLimited), 1u);
  // Another source, the general REST bucket and registerClient's are apart.
  EXPECT_FALSE(guard_->AdmitReferralRegister(Request({}, "192.0.2.8")).has_value());
  EXPECT_FALSE(guard_->AdmitSource(a).has_value());
  EXPECT_FALSE(guard_->AdmitRegisterClient(a).has_value());
  clock_.Advance(Millis(60'000));
  EXPECT_FALSE(guard_->AdmitReferralRegister(a).has_value());
  EXPECT_EQ(events_.count(Refusal::kRestRateLimited), 0u);
}

TEST_F(RestGuardTest, ASourceOverItsBucketGets429WithRetryAfter) {
  Guard({.per_source = {.burst = 2, .per_second = 1}});
  const net::HttpRequest a = Request({});
  EXPECT_FALSE(guard_->AdmitSource(a).has_value());
  EXPECT_FALSE(guard_->AdmitSource(a).has_value());
  const auto refused = guard_->AdmitSource(a);
  ASSERT_TRUE(refused.has_value());
  EXPECT_EQ(refused->status, 429u);
  EXPECT_EQ(refused->headers, (net::HeaderList{{"Retry-After", "1"}}));
  // Another source is not affected; time refills.
  EXPECT_FALSE(guard_->AdmitSource(Request({}, "192.0.2.8")).has_value());
  clock_.Advance(Millis(1000));
  EXPECT_FALSE(guard_->AdmitSource(a).has_value());
  EXPECT_EQ(events_.count(Refusal::kRestRateLimited), 1u);
}

TEST_F(RestGuardTest, EachKeyHasItsOwnBucket) {
  Guard({.per_key = {.burst = 1, .per_second = 0.1}});
  const net::HttpRequest r = Request({});
  EXPECT_FALSE(guard_->AdmitKey(r, "hash-a").has_value());
  const auto refused = guard_->AdmitKey(r, "hash-a");
  ASSERT_TRUE(refused.has_value());
  EXPECT_EQ(refused->headers, (net::HeaderList{{"Retry-After", "10"}}));
  EXPECT_FALSE(guard_->AdmitKey(r, "hash-b").has_value());
}

TEST_F(RestGuardTest, RegisterClientIsLimitedPerSourceOrClosedToAllButTheAdmin) {
  Guard({.register_client_per_source = {.burst = 1, .per_second = 0}});
  EXPECT_FALSE(guard_->AdmitRegisterClient(Request({})).has_value());
  EXPECT_EQ(guard_->AdmitRegisterClient(Request({}))->status, 429u);
  EXPECT_EQ(events_.count(Refusal::kRegisterClientLimited), 1u);

  Guard({.register_client_admin_only = true, .admin_token = std::string(32, 'a')});
  EXPECT_EQ(guard_->AdmitRegisterClient(Request({}))->status, 401u);
  EXPECT_EQ(guard_->AdmitRegisterClient(Request({{"Authorization", "Bearer nope"}}))->status, 401u);
  EXPECT_FALSE(guard_->AdmitRegisterClient(Request({{"Authorization", "Bearer " + std::string(32, 'a')}})));
  EXPECT_EQ(events_.count(Refusal::kRegisterClientClosed), 2u);
  Guard({.register_client_admin_only = true});
  EXPECT_EQ(guard_->AdmitRegisterClient(Request({}))->status, 403u);  // No ADMIN_TOKEN: nobody.
}

}  // namespace
}  // namespace sela::api
