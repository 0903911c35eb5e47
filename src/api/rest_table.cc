#include "api/rest_table.h"

#include <spdlog/spdlog.h>

#include <boost/json/array.hpp>

#include "auth/api_key.h"
#include "codec/js_json.h"
#include "codec/json.h"
#include "core/logging.h"
#include "store/store.h"

namespace sela::api {

namespace {

// ASCII case-insensitive prefix test for media types.
bool MediaTypeIs(std::string_view content_type, std::string_view want) {
  const size_t end = content_type.find(';');
  std::string_view type = content_type.substr(0, end);
  while (!type.empty() && (type.back() == ' ' || type.back() == '\t')) type.remove_suffix(1);
  while (!type.empty() && (type.front() == ' ' || type.front() == '\t')) type.remove_prefix(1);
  return net::EqualsIgnoreCase(type, want);
}

bool IsJsSpace(char c) { return c == ' ' || c == '\t' || c == '\n' || c == '\r' || c == '\v' || c == '\f'; }

std::string_view Trim(std::string_view s) {
  while (!s.empty() && IsJsSpace(s.front())) s.remove_prefix(1);
  while (!s.empty() && IsJsSpace(s.back())) s.remove_suffix(1);
  return s;
}

// The original's E3 body (rest-api.md §1.1 step 3). Our parser's messages
// are not V8's, so the hint is chosen from what went wrong, not from text.
net::HttpResponse JsonParseError(const Status& error) {
  const std::string& detail = error.message();
  const bool incomplete = detail.find("incomplete") != std::string::npos;
  std::string position = "unknown";
  if (const size_t at = detail.rfind("at byte "); at != std::string::npos) {
    position = detail.substr(at + 8);
  }
  std::string body = codec::JsonObjectWriter()
                         .Bool("success", false)
                         .String("error", "JSON_PARSE_ERROR")
                         .String("message", incomplete ? "JSON syntax error: Incomplete JSON data"
                                                       : "JSON syntax error: Invalid character or structure")
                         .String("details", detail)
                         .String("position", position)
                         .Finish();
  return net::HttpResponse::Json(400, std::move(body));
}

// application/x-www-form-urlencoded: every value a string; a repeated key
// becomes an array, as qs makes it. Nested `a[b]` keys are kept verbatim.
boost::json::object ParseForm(std::string_view text) {
  boost::json::object out;
  while (!text.empty()) {
    const size_t amp = text.find('&');
    const std::string_view pair = text.substr(0, amp);
    text = amp == std::string_view::npos ? std::string_view() : text.substr(amp + 1);
    if (pair.empty()) continue;
    const size_t eq = pair.find('=');
    const std::string key = net::PercentDecode(pair.substr(0, eq), true);
    const std::string value =
        eq == std::string_view::npos ? std::string() : net::PercentDecode(pair.substr(eq + 1), true);
    auto it = out.find(key);
    if (it == out.end()) {
      out[key] = value;
    } else if (it->value().is_array()) {
      it->value().as_array().emplace_back(value);
    } else {
      boost::json::array both;
      both.emplace_back(it->value());
      both.emplace_back(value);
      it->value() = std::move(both);
    }
  }
  return out;
}

}  // namespace

std::string_view RestAuthName(RestAuth auth) {
  switch (auth) {
    case RestAuth::kNone: return "none";
    case RestAuth::kPrincipal: return "node token";
    case RestAuth::kPrincipalCompat: return "principal";
    case RestAuth::kAdmin: return "admin";
    case RestAuth::kApiKey: return "api key";
  }
  return "?";
}

net::HttpResponse SuccessResponse(std::string_view message, std::string_view data_json) {
  // The envelope around data_json, with room for both in one allocation.
  constexpr size_t kEnvelopeBytes = 64;
  return net::HttpResponse::Json(200, codec::JsonObjectWriter(kEnvelopeBytes + message.size() + data_json.size())
                                          .Bool("success", true)
                                          .String("message", message)
                                          .Raw("data", data_json)
                                          .Finish());
}

std::string ErrorEnvelope(std::string_view message, std::string_view data_json) {
  constexpr size_t kEnvelopeBytes = 64;
  return codec::JsonObjectWriter(kEnvelopeBytes + message.size() + data_json.size())
      .Bool("success", false)
      .String("message", message)
      .Raw("data", data_json)
      .Finish();
}

net::HttpResponse ErrorResponse(unsigned status, std::string_view message, std::string_view data_json) {
  return net::HttpResponse::Json(status, ErrorEnvelope(message, data_json));
}

net::HttpResponse ErrorFromStatus(const Status& status, std::string_view route_message) {
  switch (status.code()) {
    case Code::kInvalidArgument:
    case Code::kFailedPrecondition: return ErrorResponse(400, status.message());
    case Code::kUnauthenticated: return ErrorResponse(401, status.message());
    case Code::kPermissionDenied: return ErrorResponse(403, status.message());
    case Code::kNotFound: return ErrorResponse(404, status.message());
    case Code::kAlreadyExists:
    case Code::kConflict: return ErrorResponse(409, status.message());
    case Code::kResourceExhausted: return ErrorResponse(429, status.message());
    case Code::kUnavailable: {
      net::HttpResponse r = ErrorResponse(503, "Service temporarily unavailable: " + status.message());
      r.headers.emplace_back("Retry-After", "1");
      return r;
    }
    case Code::kOk:
    case Code::kDeadlineExceeded:
    case Code::kInternal: break;
  }
  spdlog::warn("request failed{}", LogFields({{"route_message", route_message}, {"error", status.ToString()}}));
  return ErrorResponse(500, route_message);
}

net::HttpResponse StoreFailure(const Status& status, std::string_view route_message) {
  const Status for_caller = store::FailureForCaller(status);
  if (for_caller.code() == Code::kUnavailable) {
    spdlog::warn("store busy{}", LogFields({{"route_message", route_message}, {"error", status.ToString()}}));
  }
  return ErrorFromStatus(for_caller, route_message);
}

AdminCheck CheckAdminToken(std::string_view authorization_header, std::string_view admin_token) {
  if (admin_token.empty()) return AdminCheck::kDisabled;
  if (authorization_header.empty()) return AdminCheck::kMissing;
  constexpr std::string_view kBearer = "Bearer ";
  if (!authorization_header.starts_with(kBearer)) return AdminCheck::kNotBearer;
  const std::string_view token = authorization_header.substr(kBearer.size());
  // Every byte of the configured token is compared whatever the input, so
  // the time taken does not tell where a guess went wrong.
  unsigned char diff = token.size() == admin_token.size() ? 0 : 1;
  for (size_t i = 0; i < admin_token.size(); ++i) {
    const unsigned char given = i < token.size() ? static_cast<unsigned char>(token[i]) : 0;
    diff |= static_cast<unsigned char>(given ^ static_cast<unsigned char>(admin_token[i]));
  }
  return diff == 0 ? AdminCheck::kAllowed : AdminCheck::kWrongToken;
}

net::HttpResponse AdminRefusal(AdminCheck check) {
  net::HttpResponse r;
  switch (check) {
    case AdminCheck::kDisabled:
      return ErrorResponse(403, "Admin routes are disabled: ADMIN_TOKEN is not configured");
    case AdminCheck::kMissing: r = ErrorResponse(401, "Authorization header is required"); break;
    case AdminCheck::kNotBearer: r = ErrorResponse(401, "Authorization header must start with \"Bearer \""); break;
    case AdminCheck::kWrongToken:
    case AdminCheck::kAllowed: r = ErrorResponse(401, "Invalid authorization token"); break;
  }
  r.headers.emplace_back("WWW-Authenticate", "Bearer");
  return r;
}

Result<boost::json::object> ParseRestBody(const net::HttpRequest& request, const RestOptions& options,
                                          net::HttpResponse* refusal) {
  if (request.body.empty()) return boost::json::object();
  if (request.body.size() > options.body_bytes_max) {
    *refusal = ErrorResponse(413, "Request body too large: at most " + std::to_string(options.body_bytes_max) + " bytes");
    return Err(ResourceExhausted("body too large"));
  }
  const std::string_view content_type = request.Header("Content-Type");
  if (MediaTypeIs(content_type, "application/x-www-form-urlencoded")) return ParseForm(request.body);
  if (!MediaTypeIs(content_type, "application/json")) return boost::json::object();
  auto parsed = codec::ParseJson(request.body, {.bytes_max = options.body_bytes_max, .depth_max = options.body_depth_max});
  if (!parsed) {
    *refusal = parsed.error().code() == Code::kResourceExhausted ? ErrorResponse(400, "Request body nests too deeply")
                                                                  : JsonParseError(parsed.error());
    return Err(parsed.error());
  }
  if (parsed->is_object()) return std::move(parsed->as_object());
  if (parsed->is_array()) return boost::json::object();  // No named fields, as in JavaScript.
  // Express' JSON parser is strict: only an object or an array may be the body.
  Status strict = InvalidArgument("invalid JSON: the body must be an object or an array at byte 0");
  *refusal = JsonParseError(strict);
  return Err(strict);
}

std::optional<std::string> QueryString(const net::HttpRequest& request, std::string_view name, bool* structured) {
  *structured = false;
  std::optional<std::string> found;
  std::string_view q = request.query;
  while (!q.empty()) {
    const size_t amp = q.find('&');
    const std::string_view pair = q.substr(0, amp);
    q = amp == std::string_view::npos ? std::string_view() : q.substr(amp + 1);
    const size_t eq = pair.find('=');
    const std::string key = net::PercentDecode(pair.substr(0, eq), true);
    if (key == name) {
      if (found) *structured = true;
      found = eq == std::string_view::npos ? std::string() : net::PercentDecode(pair.substr(eq + 1), true);
    } else if (key.size() > name.size() && key.starts_with(name) && key[name.size()] == '[') {
      *structured = true;
      if (!found) found = std::string();
    }
  }
  return found;
}

std::optional<std::string> PrincipalOf(const net::HttpRequest& request, const boost::json::object& body,
                                       const RestOptions& options, net::HttpResponse* refusal) {
  // JavaScript: header || query || body, where "" and other falsy values
  // fall through to the next source.
  std::optional<std::string> text;
  bool not_a_string = false;
  if (const std::string_view h = request.Header("x-user-principal-id"); !h.empty()) {
    text = std::string(h);
  } else if (bool structured = false; auto q = QueryString(request, "user_principal_id", &structured)) {
    if (structured) {
      not_a_string = true;
    } else if (!q->empty()) {
      text = std::move(*q);
    }
  }
  if (!text && !not_a_string) {
    if (const auto* v = codec::FindField(body, "user_principal_id"); v != nullptr && codec::IsTruthy(*v)) {
      if (v->is_string()) {
        text = std::string(v->as_string());
      } else {
        not_a_string = true;
      }
    }
  }
  if (!text && !not_a_string) {
    *refusal = ErrorResponse(401,
                       "User principal ID is required. Provide it via header \"x-user-principal-id\", query "
                       "parameter \"user_principal_id\", or request body \"user_principal_id\"");
    return std::nullopt;
  }
  const std::string_view trimmed = text ? Trim(*text) : std::string_view();
  if (not_a_string || trimmed.empty() || trimmed.size() > options.principal_bytes_max) {
    *refusal = ErrorResponse(400, "Invalid user principal ID format");
    return std::nullopt;
  }
  return std::string(trimmed);
}

std::optional<std::string> ApiKeyHashOf(const net::HttpRequest& request, net::HttpResponse* refusal) {
  if (!request.HasHeader("Authorization")) {
    *refusal = ErrorResponse(401, "Missing Authorization header");
    return std::nullopt;
  }
  const std::optional<std::string_view> key = auth::ApiKeyFromHeader(request.Header("Authorization"));
  if (!key) {
    *refusal = ErrorResponse(401,
                             "Invalid Authorization header format. Expected: \"Bearer <api_key>\" or "
                             "\"ApiKey <api_key>\" or just the API key");
    return std::nullopt;
  }
  return auth::Sha256Hex(*key);
}

void AppendRouteTableHeader(std::string& out) {
  out += "| id | method | path | auth | summary |\n";
  out += "| --- | --- | --- | --- | --- |\n";
}

void AppendRouteTableRow(std::string& out, const RestRouteInfo& info) {
  out += "| ";
  out += info.id;
  out += " | ";
  out += info.method;
  out += " | `";
  out += info.path;
  out += "` | ";
  out += info.pending.empty() ? RestAuthName(info.auth) : std::string_view("—");
  out += " | ";
  if (!info.pending.empty()) {
    out += "**not served (404)**: ";
    out += info.pending;
    out += ". ";
  }
  out += info.summary;
  out += " |\n";
}

}  // namespace sela::api
