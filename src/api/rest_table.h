// REST routes as data, and what every compatible REST route shares
// (reference/original/rest-api.md §1, §2, §3; ARCHITECTURE.md §2).
//
// A router module (node_routes.cc, rpc_routes.cc) lists its routes in one
// constant table of RestRoute: id, method, path, who may call it, the
// handler and a one-line summary. RegisterRestRoutes() adds the table to the
// net::Router, docs render it with RouteTableMarkdown(), and tests walk it.
// Before a handler runs, RunRestRoute() does what the original's middleware
// did, in this order:
//   1. kAdmin routes: `Authorization: Bearer $ADMIN_TOKEN` (403 when no token
//      is configured, 401 otherwise), before anything of the request is read;
//   2. the body: JSON (`application/json`; a syntax error is the original's
//      E3 400 JSON_PARSE_ERROR) or a form (`application/x-www-form-urlencoded`,
//      every value a string); other bodies are ignored, as Express did;
//   3. kPrincipal and kPrincipalCompat routes: the caller's principal.
//      With a RestGuard (rest_guard.h ResolvePrincipal), a v2 node token in
//      `Authorization: Bearer`; on kPrincipalCompat routes only, the
//      self-asserted principal where the guard still accepts one
//      (NODE_AUTH=compat). Without a guard (unit tests), the self-asserted
//      principal from the header `x-user-principal-id`, else the query or
//      body `user_principal_id` (PrincipalOf), with the original's 401/400
//      messages. See docs/REST-NODE.md "Authentication";
//   4. kApiKey routes: the key in `Authorization` (rest-api.md §3.3): 401
//      when the header is missing or holds no key; its hash goes into the
//      call, and the guard's per-key bucket is taken (429).
// Before all of them, the guard's per-source bucket (429, Retry-After). Whether a client has that key is looked up by the handler
//      (rpc_internal.h WithClient) once it has checked the request's
//      fields, as the original did: a bad field is a 400 before an unknown
//      key is a 401.
//
// Responses use the original's envelope {"success","message","data"} (its
// E1), written with JavaScript's JSON.stringify rules (codec/js_json.h).
//
// Threading: everything runs on the event loop's thread. A handler answers
// through RestCall::respond exactly once, now or from a later callback; a
// respond that is dropped unanswered still ends the request (HttpReply
// answers 500 when destroyed unsent), so a request never hangs.
#pragma once

#include <boost/json/object.hpp>
#include <cstdint>
#include <functional>
#include <memory>
#include <optional>
#include <span>
#include <string>
#include <string_view>

#include "api/rest_guard.h"
#include "core/status.h"
#include "net/http_types.h"
#include "net/router.h"
#include "net/server.h"

namespace sela::api {

// Who may call a route: one value per route of a table, read by
// RunRestRoute, the docs and the OpenAPI description.
enum class RestAuth : uint8_t {
  kNone,       // Anyone.
  // A node's principal, proven by the v2 node token (`Authorization: Bearer
  // <token>`, auth/node_token.h) and nothing else. What a route that acts
  // for a node takes unless it is one of the original's that today's app
  // calls (kPrincipalCompat).
  kPrincipal,
  // The same, or with NODE_AUTH=compat the self-asserted principal of the
  // original (rest-api.md §2 "PRINCIPAL": header `x-user-principal-id`,
  // query or body `user_principal_id`) for a principal that never signed in
  // with v2. Only the original's PRINCIPAL routes that today's node app
  // calls, which cannot sign (docs/REST-NODE.md "The bare principal").
  kPrincipalCompat,
  kAdmin,      // Authorization: Bearer $ADMIN_TOKEN.
  kApiKey,     // An API key (rest-api.md §3.3): its form is checked here, its
               // owner looked up by the handler (asynchronous).
};

// "none", "node token", "principal" (kPrincipalCompat), "admin", "api key".
std::string_view RestAuthName(RestAuth auth);

// Whether the route acts for a caller's principal (RestCall::principal set).
constexpr bool NamesPrincipal(RestAuth auth) {
  return auth == RestAuth::kPrincipal || auth == RestAuth::kPrincipalCompat;
}

struct RestOptions {
  // ADMIN_TOKEN; empty disables every kAdmin route (403).
  std::string admin_token;
  // Bodies of these routes are small; anything longer is a 413.
  std::size_t body_bytes_max = 64 * 1024;
  std::size_t body_depth_max = 32;
  // A principal longer than this cannot exist (IC principals have at most
  // 63 characters) and is refused as malformed.
  std::size_t principal_bytes_max = 256;
  // Who may call and how often (rest_guard.h); owned by main, outlives the
  // router. Null: no limits, and principals are self-asserted (tests).
  RestGuard* guard = nullptr;
};

using RestRespond = std::function<void(net::HttpResponse)>;

// One request as a handler sees it. `request` is valid only until the
// handler returns; copy what a later callback needs.
struct RestCall {
  net::HttpRequest& request;
  boost::json::object body;  // Empty when there was no body.
  std::string principal;     // NamesPrincipal routes: trimmed, non-empty.
  // kApiKey routes: the lowercase hex SHA-256 of the key in Authorization,
  // which is well-formed; whether a client has it is not known yet.
  std::string api_key_hash;
  RestRespond respond;
};

// What the table says about a route, without its handler.
struct RestRouteInfo {
  std::string_view id;      // The reference's endpoint id (rest-api.md §2.0), or ours.
  std::string_view method;  // "GET", "POST", "PUT", "DELETE".
  std::string_view path;    // Router pattern, e.g. "/api/node/client/:clientId/message".
  RestAuth auth;
  std::string_view summary;
  // Set for routes that are listed but not served yet (they answer the
  // generic 404): why, e.g. "needs the rewards ledger".
  std::string_view pending = {};
  // Largest request body, decided by the server when the request line
  // arrives (net::Route::body_bytes_max); 0: HTTP_MAX_BODY_BYTES (64 KiB).
  // Bodies are read whole into memory; uploads will stream instead.
  uint32_t body_bytes_max = 0;
};

template <typename Ctx>
struct RestRoute {
  RestRouteInfo info;
  // Null for pending routes.
  void (*handler)(Ctx& ctx, RestCall& call) = nullptr;
};

// --- The envelope {"success","message","data"} (the original's E1) ----------

// {"success":true,"message":<message>,"data":<data_json>}, status 200.
net::HttpResponse SuccessResponse(std::string_view message, std::string_view data_json);
// {"success":false,"message":<message>,"data":<data_json>}: the body of every
// error the server sends. It is also net's error-body hook (net::HttpErrorBody),
// so that the errors net answers by itself have this shape too.
std::string ErrorEnvelope(std::string_view message, std::string_view data_json);
// An ErrorEnvelope with its status. A route that answers an error with data
// passes the data here; no body is edited after it is built.
net::HttpResponse ErrorResponse(unsigned status, std::string_view message, std::string_view data_json = "null");

// The one place where a Status becomes an HTTP answer (core/status.h). The
// code decides the status, the message comes from the Status, which says
// to the caller what it can do about it:
//   InvalidArgument, FailedPrecondition 400; Unauthenticated 401;
//   PermissionDenied 403; NotFound 404; AlreadyExists, Conflict 409;
//   ResourceExhausted 429 (a limit the caller hit);
//   Unavailable 503 "Service temporarily unavailable: <message>" with
//   Retry-After (the server cannot take it now; retry);
// and anything else (Internal, DeadlineExceeded) 500 with route_message, the
// original's internalError text: the detail goes to the log, not to the
// caller (reference D-28).
net::HttpResponse ErrorFromStatus(const Status& status, std::string_view route_message);

// A failed store operation, through ErrorFromStatus as the store's caller
// sees it (store::FailureForCaller): 503 with a retry hint when the store is
// overloaded or unreachable, 500 otherwise. Outcomes a route expects
// (NotFound of the thing it was asked about) are answered by the route.
net::HttpResponse StoreFailure(const Status& status, std::string_view route_message);

// --- Steps of RunRestRoute, exposed for tests -------------------------------

enum class AdminCheck : uint8_t {
  kAllowed,
  kDisabled,      // No ADMIN_TOKEN configured: 403.
  kMissing,       // No Authorization header: 401.
  kNotBearer,     // Not "Bearer <token>": 401.
  kWrongToken,    // 401.
};

// Compares in time independent of where the token differs.
AdminCheck CheckAdminToken(std::string_view authorization_header, std::string_view admin_token);
// The response for a refused AdminCheck (never kAllowed).
net::HttpResponse AdminRefusal(AdminCheck check);

// Parses the body by Content-Type into an object. On failure, the response
// to send: E3 400 for JSON syntax, 413 above the limit, 400 for JSON that is
// valid but not an object or array (Express' strict mode).
Result<boost::json::object> ParseRestBody(const net::HttpRequest& request, const RestOptions& options,
                                          net::HttpResponse* refusal);

// The caller's principal (rest-api.md §2 "PRINCIPAL"): on failure, the 401
// or 400 response to send.
std::optional<std::string> PrincipalOf(const net::HttpRequest& request, const boost::json::object& body,
                                       const RestOptions& options, net::HttpResponse* refusal);

// The hash of the request's API key (rest-api.md §3.3 steps 1-3): on
// failure, the 401 response to send.
std::optional<std::string> ApiKeyHashOf(const net::HttpRequest& request, net::HttpResponse* refusal);

// --- Event lines (request_log.cc; docs/OPERATIONS.md "Event logs") ---------

// The "message" of an error envelope {"success":false,"message":"..."}, as
// it is written there (JSON-escaped); empty when the body has none.
std::string_view EnvelopeMessage(std::string_view body);

// Logs what the answer to a call of `route` says: "request refused" (warn)
// for a status of 400 or more with the status and the envelope's message,
// and "admin action" (info) for an admin route the caller was allowed to
// use. Only the table entry, the status and the message are logged: never
// a header but `user_agent` (for "who"), a query, a body or a token.
void LogRestOutcome(const RestRouteInfo& route, std::string_view user_agent, const net::HttpResponse& response);

// --- Running and registering a table -----------------------------------------

// Checks the admin token, parses the body, the principal and the API key as
// the route requires (the order above), then calls its handler.
template <typename Ctx>
void RunRestRoute(const RestRoute<Ctx>& route, Ctx& ctx, const RestOptions& options,
                  net::HttpRequest& request, RestRespond respond) {
  if (options.guard != nullptr) {
    if (auto limited = options.guard->AdmitSource(request)) {
      respond(std::move(*limited));
      return;
    }
  }
  net::HttpResponse refusal;
  if (route.info.auth == RestAuth::kAdmin) {
    const AdminCheck check = CheckAdminToken(request.Header("Authorization"), options.admin_token);
    if (check != AdminCheck::kAllowed) {
      respond(AdminRefusal(check));
      return;
    }
  }
  // A route that takes more than the table's default parses up to its own
  // limit (the server already held the body to it).
  std::optional<RestOptions> widened;
  if (route.info.body_bytes_max > options.body_bytes_max) {
    widened.emplace(options);
    widened->body_bytes_max = route.info.body_bytes_max;
  }
  auto body = ParseRestBody(request, widened ? *widened : options, &refusal);
  if (!body) {
    respond(std::move(refusal));
    return;
  }
  if (NamesPrincipal(route.info.auth)) {
    if (options.guard == nullptr) {
      auto principal = PrincipalOf(request, *body, options, &refusal);
      if (!principal) {
        respond(std::move(refusal));
        return;
      }
      RestCall call{request, std::move(*body), std::move(*principal), {}, std::move(respond)};
      route.handler(ctx, call);
      return;
    }
    // The guard may answer after a store read: the request moves here and
    // is kept until then (the server reads nothing of it after the handler
    // returns; a chunk's body is not copied).
    auto kept = std::make_shared<net::HttpRequest>(std::move(request));
    auto parsed = std::make_shared<boost::json::object>(std::move(*body));
    options.guard->ResolvePrincipal(
        *kept, *parsed, options, route.info.auth == RestAuth::kPrincipalCompat,
        [&route, &ctx, kept, parsed, respond = std::move(respond)](std::optional<std::string> principal,
                                                                  net::HttpResponse refused) mutable {
          if (!principal) {
            respond(std::move(refused));
            return;
          }
          RestCall call{*kept, std::move(*parsed), std::move(*principal), {}, std::move(respond)};
          route.handler(ctx, call);
        });
    return;
  }
  RestCall call{request, std::move(*body), {}, {}, std::move(respond)};
  if (route.info.auth == RestAuth::kApiKey) {
    auto key_hash = ApiKeyHashOf(request, &refusal);
    if (!key_hash) {
      call.respond(std::move(refusal));
      return;
    }
    if (options.guard != nullptr) {
      if (auto limited = options.guard->AdmitKey(request, *key_hash)) {
        call.respond(std::move(*limited));
        return;
      }
    }
    call.api_key_hash = std::move(*key_hash);
  }
  route.handler(ctx, call);
}

// Adds every served route of the table; pending ones stay unregistered (404).
// `ctx` is shared by the handlers and lives as long as the router.
template <typename Ctx>
void RegisterRestRoutes(net::Router& router, std::span<const RestRoute<Ctx>> table,
                        std::shared_ptr<Ctx> ctx, std::shared_ptr<const RestOptions> options) {
  for (const RestRoute<Ctx>& route : table) {
    if (route.handler == nullptr) continue;
    router.Add(std::string(route.info.method), std::string(route.info.path),
               [&route, ctx, options](net::HttpRequest& request, net::HttpReply reply) {
                 auto shared = std::make_shared<net::HttpReply>(std::move(reply));
                 RunRestRoute(route, *ctx, *options, request,
                              [shared, &route, agent = std::string(request.Header("User-Agent"))](net::HttpResponse r) {
                                LogRestOutcome(route.info, agent, r);
                                shared->Send(std::move(r));
                              });
               },
               route.info.body_bytes_max);
  }
}

void AppendRouteTableHeader(std::string& out);
void AppendRouteTableRow(std::string& out, const RestRouteInfo& info);

// A Markdown table of the routes (| id | method | path | auth | summary |),
// as docs/REST-NODE.md shows it; a test keeps the document equal to it.
template <typename Ctx>
std::string RouteTableMarkdown(std::span<const RestRoute<Ctx>> table) {
  std::string out;
  AppendRouteTableHeader(out);
  for (const RestRoute<Ctx>& route : table) AppendRouteTableRow(out, route.info);
  return out;
}

// --- Small helpers for handlers ----------------------------------------------

// A query parameter as the original's `qs` parser saw it: nullopt when
// absent, and `*structured` set when it was repeated or had brackets (an
// array or object in JavaScript, so not a string).
std::optional<std::string> QueryString(const net::HttpRequest& request, std::string_view name,
                                       bool* structured);

}  // namespace sela::api
