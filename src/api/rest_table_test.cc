// The route table's checks before a handler runs (API keys here; admin and
// principal in node_routes_test.cc), the error envelope and the one mapping
// from Status to HTTP.
#include "api/rest_table.h"

#include <gtest/gtest.h>

#include "api/api_test_util.h"
#include "api/rest_guard.h"
#include "auth/api_key.h"
#include "auth/node_token.h"
#include "codec/principal.h"
#include "testing/fake_clock.h"

namespace sela::api {
namespace {

using test_util::JsonRequest;
using test_util::Request;

struct KeyCtx {
  int calls = 0;
  std::string key_hash;
};

void RecordKey(KeyCtx& ctx, RestCall& call) {
  ++ctx.calls;
  ctx.key_hash = call.api_key_hash;
  call.respond(SuccessResponse("ok", "null"));
}

const RestRoute<KeyCtx> kKeyRoute{{"T1", "POST", "/t", RestAuth::kApiKey, "test"}, &RecordKey};

class ApiKeyRouteTest : public ::testing::Test {
 protected:
  net::HttpResponse Run(net::HttpRequest request) {
    int answers = 0;
    net::HttpResponse out;
    RunRestRoute(kKeyRoute, ctx_, options_, request, [&](net::HttpResponse r) {
      ++answers;
      out = std::move(r);
    });
    EXPECT_EQ(answers, 1);
    return out;
  }

  KeyCtx ctx_;
  RestOptions options_;
};

TEST_F(ApiKeyRouteTest, AMissingHeaderIs401BeforeTheHandler) {
  const net::HttpResponse r = Run(Request("POST", "/t"));
  EXPECT_EQ(r.status, 401u);
  EXPECT_EQ(r.body, R"({"success":false,"message":"Missing Authorization header","data":null})");
  EXPECT_EQ(ctx_.calls, 0);
}

TEST_F(ApiKeyRouteTest, AHeaderWithoutAKeyIs401WithTheFormatHint) {
  for (const char* header : {"", "Bearer ", "Bearer    "}) {
    const net::HttpResponse r = Run(Request("POST", "/t", "", {{"Authorization", header}}));
    EXPECT_EQ(r.status, 401u) << '"' << header << '"';
    EXPECT_EQ(r.body,
              R"({"success":false,"message":"Invalid Authorization header format. Expected: \"Bearer <api_key>\" )"
              R"(or \"ApiKey <api_key>\" or just the API key","data":null})");
  }
  EXPECT_EQ(ctx_.calls, 0);
}

TEST_F(ApiKeyRouteTest, TheHandlerGetsTheHashOfTheKeyInEveryForm) {
  for (const char* header : {"Bearer k3y", "ApiKey k3y", "k3y"}) {
    ctx_.key_hash.clear();
    EXPECT_EQ(Run(Request("POST", "/t", "", {{"Authorization", header}})).status, 200u) << header;
    EXPECT_EQ(ctx_.key_hash, auth::Sha256Hex("k3y")) << header;
  }
  EXPECT_EQ(ctx_.calls, 3);
}

TEST_F(ApiKeyRouteTest, ABadBodyIs400BeforeABadKeyIs401) {
  const net::HttpResponse r = Run(JsonRequest("POST", "/t", "{\"url\":"));
  EXPECT_EQ(r.status, 400u);
  EXPECT_NE(r.body.find("JSON_PARSE_ERROR"), std::string::npos) << r.body;
  EXPECT_EQ(ctx_.calls, 0);
}

TEST(RestRouteBodyLimit, ARouteNamingALargerLimitParsesBodiesUpToIt) {
  KeyCtx ctx;
  RestOptions options;
  options.body_bytes_max = 16;
  const RestRoute<KeyCtx> wide{{"T2", "POST", "/w", RestAuth::kApiKey, "test", {}, 64}, &RecordKey};
  const std::string body = R"({"text":"twenty-something bytes"})";  // 33 bytes
  auto run = [&](const RestRoute<KeyCtx>& route) {
    net::HttpResponse out;
    net::HttpRequest request = JsonRequest("POST", "/w", body, {{"Authorization", "Bearer k"}});
    RunRestRoute(route, ctx, options, request, [&](net::HttpResponse r) { out = std::move(r); });
    return out;
  };
  // The table's default refuses it; the route's own limit takes it.
  EXPECT_EQ(run(kKeyRoute).status, 413u);
  EXPECT_EQ(run(wide).status, 200u);
  EXPECT_EQ(ctx.calls, 1);
  // Past the route's own limit: 413 again.
  options.body_bytes_max = 8;
  const RestRoute<KeyCtx> narrow{{"T3", "POST", "/n", RestAuth::kApiKey, "test", {}, 32}, &RecordKey};
  EXPECT_EQ(run(narrow).status, 413u);
  EXPECT_EQ(ctx.calls, 1);
}

struct PrincipalCtx {
  std::vector<std::string> principals;  // One per handler call.
};

void RecordPrincipal(PrincipalCtx& ctx, RestCall& call) {
  ctx.principals.push_back(call.principal);
  call.respond(SuccessResponse("ok", "null"));
}

// The table's auth decides, through the guard, whether a bare principal
// names the caller: the route's one value, no other check.
TEST(RestRoutePrincipal, OnlyACompatRouteTakesABarePrincipalATokenOnlyOneWantsTheToken) {
  const RestRoute<PrincipalCtx> compat{{"P1", "GET", "/c", RestAuth::kPrincipalCompat, "test"}, &RecordPrincipal};
  const RestRoute<PrincipalCtx> token_only{{"P2", "GET", "/t", RestAuth::kPrincipal, "test"}, &RecordPrincipal};
  const std::string secret(32, 's');
  sela::testing::FakeClock clock;
  MetricsRegistry metrics;
  SecurityEvents events(metrics, clock);
  RestGuardOptions guard_options;
  guard_options.node_token_secret = secret;
  RestGuard guard(guard_options, clock, &events,
                  [](const std::string&, std::function<void(Result<bool>)> done) { done(false); });
  RestOptions options;
  options.guard = &guard;
  PrincipalCtx ctx;
  auto run = [&](const RestRoute<PrincipalCtx>& route, net::HeaderList headers) {
    net::HttpResponse out;
    net::HttpRequest request = Request("GET", std::string(route.info.path), "", std::move(headers));
    RunRestRoute(route, ctx, options, request, [&](net::HttpResponse r) { out = std::move(r); });
    return out;
  };
  const net::HeaderList bare{{"x-user-principal-id", "app-node"}};
  EXPECT_EQ(run(compat, bare).status, 200u);
  const net::HttpResponse refused = run(token_only, bare);
  EXPECT_EQ(refused.status, 401u);
  EXPECT_NE(refused.body.find("Bearer <node token>"), std::string::npos) << refused.body;
  EXPECT_EQ(ctx.principals, (std::vector<std::string>{"app-node"}));  // The handler never ran for P2.
  EXPECT_EQ(events.count(Refusal::kLegacyPrincipalRefused), 1u);
  const std::string raw = "\x01\x02\x03";
  const std::string token = auth::IssueNodeToken(secret, raw, clock.WallMs() + 1000);
  EXPECT_EQ(run(token_only, {{"Authorization", "Bearer " + token}}).status, 200u);
  EXPECT_EQ(ctx.principals.back(), codec::Principal::FromBytes(raw)->ToText());
}

TEST(ErrorEnvelope, CarriesTheDataItIsGiven) {
  EXPECT_EQ(ErrorEnvelope("Endpoint not found", R"({"path":"/x"})"),
            R"({"success":false,"message":"Endpoint not found","data":{"path":"/x"}})");
  const net::HttpResponse r = ErrorResponse(422, "Scraping returned empty results", R"({"jobId":"j"})");
  EXPECT_EQ(r.status, 422u);
  EXPECT_EQ(r.body, R"({"success":false,"message":"Scraping returned empty results","data":{"jobId":"j"}})");
  EXPECT_EQ(ErrorResponse(500, "Internal server error").body,
            R"({"success":false,"message":"Internal server error","data":null})");
}

TEST(ErrorFromStatus, TheCodeDecidesTheStatusAndServerFailuresKeepTheirDetail) {
  struct Case {
    Status status;
    unsigned http;
    std::string message;
  };
  const Case cases[] = {
      {InvalidArgument("bad url"), 400, "bad url"},
      {FailedPrecondition("not now"), 400, "not now"},
      {Unauthenticated("Invalid API key"), 401, "Invalid API key"},
      {PermissionDenied("not yours"), 403, "not yours"},
      {NotFound("no job"), 404, "no job"},
      {AlreadyExists("taken"), 409, "taken"},
      {Conflict("other body"), 409, "other body"},
      {ResourceExhausted("Rate limit exceeded"), 429, "Rate limit exceeded"},
      {Unavailable("the server is shutting down"), 503,
       "Service temporarily unavailable: the server is shutting down"},
      {Internal("disk I/O error at page 7"), 500, "Failed to add job"},
      {DeadlineExceeded("slow"), 500, "Failed to add job"},
  };
  for (const Case& c : cases) {
    const net::HttpResponse r = ErrorFromStatus(c.status, "Failed to add job");
    EXPECT_EQ(r.status, c.http) << c.status.ToString();
    EXPECT_EQ(r.body, ErrorEnvelope(c.message, "null")) << c.status.ToString();
    const bool retry = !r.headers.empty() && r.headers[0] == std::pair<std::string, std::string>("Retry-After", "1");
    EXPECT_EQ(retry, c.http == 503) << c.status.ToString();
  }
}

TEST(StoreFailure, IsBusyForOverloadAndTheRoutesMessageOtherwise) {
  for (const Status& busy : {ResourceExhausted("queue full"), Unavailable("locked"), DeadlineExceeded("slow")}) {
    const net::HttpResponse r = StoreFailure(busy, "Failed to get job");
    EXPECT_EQ(r.status, 503u) << busy.ToString();
    EXPECT_EQ(r.body, ErrorEnvelope("Service temporarily unavailable: the store is busy, retry later", "null"));
  }
  for (const Status& failed : {Internal("corrupt"), InvalidArgument("bad id"), NotFound("no job")}) {
    const net::HttpResponse r = StoreFailure(failed, "Failed to get job");
    EXPECT_EQ(r.status, 500u) << failed.ToString();
    EXPECT_EQ(r.body, ErrorEnvelope("Failed to get job", "null"));
  }
}

}  // namespace
}  // namespace sela::api
