#include "api/openapi.h"

#include <boost/json.hpp>
#include <set>
#include <utility>

#include "api/file_routes.h"
#include "api/node_routes.h"
#include "api/ops_routes.h"
#include "api/reward_routes.h"
#include "api/rpc_routes.h"
#include "api/settlement_routes.h"
#include "codec/json.h"

namespace sela::api {

namespace json = boost::json;

namespace {

template <typename Ctx>
std::vector<RestRouteInfo> Infos(std::span<const RestRoute<Ctx>> table) {
  std::vector<RestRouteInfo> out;
  for (const RestRoute<Ctx>& r : table) out.push_back(r.info);
  return out;
}

std::string Lower(std::string_view s) {
  std::string out(s);
  for (char& c : out) c = static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
  return out;
}

json::object Schema(std::string_view type) {
  if (type == "object") return {{"type", "object"}};
  return {{"type", std::string(type)}};
}

json::object JsonContent(json::value schema) {
  return {{"application/json", json::object{{"schema", std::move(schema)}}}};
}

json::object Ref(std::string_view name) { return {{"$ref", "#/components/schemas/" + std::string(name)}}; }

json::object Response(std::string_view description, json::object content = {}) {
  json::object r{{"description", std::string(description)}};
  if (!content.empty()) r["content"] = std::move(content);
  return r;
}

json::object OpsContent(std::string_view path) {
  if (path == "/metrics") return {{"text/plain", json::object{{"schema", Schema("string")}}}};
  if (path == "/swagger.yaml") return {{"application/yaml", json::object{{"schema", Schema("string")}}}};
  if (path == "/openapi.json") return JsonContent(json::object{{"type", "object"}});
  if (path.starts_with("/api/docs") || path.starts_with("/admin")) {
    return {{"text/html", json::object{{"schema", Schema("string")}}}};
  }
  return JsonContent(Ref("Envelope"));
}

void AddParameters(json::object& op, const RestRouteInfo& info, bool websocket) {
  json::array params;
  std::string_view rest = info.path;
  while (!rest.empty()) {
    const size_t colon = rest.find(':');
    if (colon == std::string_view::npos) break;
    const size_t end = rest.find('/', colon);
    const std::string_view name = rest.substr(colon + 1, end == std::string_view::npos ? end : end - colon - 1);
    params.push_back(json::object{{"name", std::string(name)}, {"in", "path"}, {"required", true}, {"schema", Schema("string")}});
    rest = end == std::string_view::npos ? std::string_view() : rest.substr(end);
  }
  if (websocket) {
    params.push_back(json::object{{"name", "Upgrade"}, {"in", "header"}, {"required", true},
                                  {"schema", json::object{{"type", "string"}, {"const", "websocket"}}}});
    params.push_back(json::object{{"name", "Sec-WebSocket-Key"}, {"in", "header"}, {"required", true}, {"schema", Schema("string")}});
    params.push_back(json::object{{"name", "Sec-WebSocket-Version"}, {"in", "header"}, {"required", true},
                                  {"schema", json::object{{"type", "string"}, {"enum", json::array{"13", "8"}}}}});
  }
  json::object body_props;
  json::array body_required;
  for (const ParamNote& note : ParamNotes()) {
    if (note.id != info.id) continue;
    if (note.in == "body") {
      json::object s = Schema(note.type);
      s["description"] = std::string(note.description);
      body_props[std::string(note.name)] = std::move(s);
      if (note.required) body_required.push_back(json::string(note.name));
      continue;
    }
    params.push_back(json::object{{"name", std::string(note.name)}, {"in", std::string(note.in)},
                                  {"required", note.required}, {"description", std::string(note.description)},
                                  {"schema", Schema(note.type)}});
  }
  if (!params.empty()) op["parameters"] = std::move(params);
  if (!body_props.empty()) {
    json::object schema{{"type", "object"}, {"properties", std::move(body_props)}};
    if (!body_required.empty()) schema["required"] = std::move(body_required);
    op["requestBody"] = json::object{{"required", true}, {"content", JsonContent(std::move(schema))}};
  }
}

json::array Security(RestAuth auth) {
  switch (auth) {
    case RestAuth::kNone: return {};
    case RestAuth::kAdmin: return {json::object{{"adminToken", json::array{}}}};
    case RestAuth::kApiKey: return {json::object{{"apiKey", json::array{}}}};
    case RestAuth::kPrincipal: return {json::object{{"nodeToken", json::array{}}}};
    // Either one (OpenAPI: alternatives are the array's items).
    case RestAuth::kPrincipalCompat:
      return {json::object{{"nodeToken", json::array{}}}, json::object{{"principal", json::array{}}}};
  }
  return {};
}

json::object Responses(const RestRouteInfo& info, const ApiGroup& group) {
  json::object responses;
  if (!info.pending.empty()) {
    responses["404"] = Response("Not served yet: " + std::string(info.pending) + ".", JsonContent(Ref("NotFound")));
    return responses;
  }
  if (group.websocket) {
    responses["101"] = Response("Switching Protocols: the WebSocket is open.");
    responses["400"] = Response("Not a valid WebSocket upgrade.", JsonContent(Ref("Envelope")));
    return responses;
  }
  const bool ops = group.tag == "ops";
  if (group.tag == "rewards") {  // The original's E2 envelope, errors included.
    for (const char* status : {"200", "400", "401", "403", "409", "500"}) {
      responses[status] = Response(status[0] == '2' ? "Success." : "Refused (E2 error type and message).",
                                   JsonContent(Ref("E2Envelope")));
    }
    return responses;
  }
  responses["200"] = Response("Success.", ops ? OpsContent(info.path) : JsonContent(Ref("Envelope")));
  if (info.path == "/ready" || info.path == "/api/health") {
    responses["503"] = Response("Not ready or the store does not answer.", JsonContent(Ref("Envelope")));
  }
  if (info.path == "/admin") responses["403"] = Response("No ADMIN_TOKEN is configured.", JsonContent(Ref("Envelope")));
  if (!ops) responses["400"] = Response("Invalid request (E3 JSON_PARSE_ERROR for broken JSON).", JsonContent(Ref("Envelope")));
  switch (info.auth) {
    case RestAuth::kAdmin:
      responses["401"] = Response("Missing or wrong admin token.", JsonContent(Ref("Envelope")));
      responses["403"] = Response("No ADMIN_TOKEN is configured.", JsonContent(Ref("Envelope")));
      break;
    case RestAuth::kApiKey: responses["401"] = Response("Missing or invalid API key.", JsonContent(Ref("Envelope"))); break;
    case RestAuth::kPrincipal:
      responses["401"] = Response("No node token, or a bad or expired one: a bare principal is not accepted.",
                                  JsonContent(Ref("Envelope")));
      break;
    case RestAuth::kPrincipalCompat:
      responses["401"] = Response("No principal given, a bad node token, or a bare principal where it is refused "
                                  "(NODE_AUTH=signed, or one that signed in with v2).",
                                  JsonContent(Ref("Envelope")));
      break;
    case RestAuth::kNone: break;
  }
  return responses;
}

json::object Operation(const RestRouteInfo& info, const ApiGroup& group) {
  json::object op{{"operationId", std::string(info.id)},
                  {"tags", json::array{json::string(group.tag)}},
                  {"summary", std::string(info.summary)}};
  if (!info.pending.empty()) op["x-sela-pending"] = std::string(info.pending);
  if (group.websocket) op["x-sela-websocket"] = true;
  AddParameters(op, info, group.websocket);
  if (json::array security = Security(info.auth); !security.empty()) op["security"] = std::move(security);
  op["responses"] = Responses(info, group);
  return op;
}

json::object Components() {
  json::object envelope{{"type", "object"},
                        {"properties", json::object{{"success", Schema("boolean")},
                                                    {"message", Schema("string")},
                                                    {"data", json::object{}}}},
                        {"required", json::array{"success", "message"}}};
  json::object not_found = envelope;
  not_found["description"] = "The generic 404: {\"message\":\"Endpoint not found\",\"data\":{\"path\":...}}";
  json::object e2{{"type", "object"},
                  {"description", "The /api/rewards envelope: {\"success\":true,\"data\":...} or "
                                  "{\"success\":false,\"error\":{\"type\",\"message\"}}"},
                  {"properties", json::object{{"success", Schema("boolean")},
                                              {"data", json::object{}},
                                              {"error", json::object{{"type", "object"},
                                                                     {"properties", json::object{{"type", Schema("string")},
                                                                                                 {"message", Schema("string")}}}}}}},
                  {"required", json::array{"success"}}};
  return {{"schemas", json::object{{"Envelope", std::move(envelope)},
                                   {"E2Envelope", std::move(e2)},
                                   {"NotFound", std::move(not_found)}}},
          {"securitySchemes",
           json::object{{"adminToken", json::object{{"type", "http"}, {"scheme", "bearer"},
                                                    {"description", "Authorization: Bearer $ADMIN_TOKEN"}}},
                        {"apiKey", json::object{{"type", "apiKey"}, {"in", "header"}, {"name", "Authorization"},
                                                {"description", "An API key from registerClient: `Bearer <key>`, "
                                                                "`ApiKey <key>` or the bare key."}}},
                        {"nodeToken", json::object{{"type", "http"}, {"scheme", "bearer"},
                                                   {"description", "Authorization: Bearer <node token>, handed to "
                                                                   "a node by its protocol v2 session "
                                                                   "(docs/protocol-v2.md \"REST calls\")."}}},
                        {"principal", json::object{{"type", "apiKey"}, {"in", "header"}, {"name", "x-user-principal-id"},
                                                   {"description", "The caller's principal, not verified (also "
                                                                   "?user_principal_id= or the body): only with "
                                                                   "NODE_AUTH=compat, only on the original's routes "
                                                                   "that today's node app calls, and only for a "
                                                                   "principal that never signed in with v2."}}}}}};
}

}  // namespace

std::vector<ApiGroup> ServerApiGroups() {
  const auto ops = OpsRouteTable();
  const auto ws = WebSocketRouteTable();
  return {
      {"ops", "Health, readiness, metrics, this description, the dashboard.", {ops.begin(), ops.end()}},
      {"node", "/api/node: node state for the node apps and operators (docs/REST-NODE.md).", Infos(NodeRouteTable())},
      {"rpc", "/api/rpc: the customer API (docs/REST-RPC.md).", Infos(RpcRouteTable())},
      {"files", "/api/files: files uploaded by nodes in chunks, and their downloads (docs/FILES.md).",
       Infos(FileRouteTable())},
      {"rewards", "/api/rewards: distribution runs and the ledger audit, admin only; the original's E2 envelope "
                  "{\"success\",\"data\"} / {\"success\":false,\"error\":{\"type\",\"message\"}} "
                  "(docs/REST-REWARDS.md).",
       Infos(RewardRouteTable())},
      {"referral", "/api/referral: the caller's referral code, referees and referral rewards (docs/REST-REWARDS.md).",
       Infos(ReferralRouteTable())},
      {"referral-distribution", "/api/referral-distribution: the weekly referral run (docs/REST-REWARDS.md).",
       Infos(ReferralDistributionRouteTable())},
      {"settlement", "/api/admin/settlements: settlement of the rewards ledger on the chain; "
                     "/api/admin/canister-sync: the file-canister sync journal's failed rows (docs/CHAIN.md).",
       Infos(SettlementRouteTable())},
      {"websocket", "WebSocket endpoints (upgrade requests).", {ws.begin(), ws.end()}, true},
  };
}

std::string OpenApiPath(std::string_view pattern) {
  std::string out;
  size_t i = 0;
  while (i < pattern.size()) {
    if (pattern[i] == ':' && (i == 0 || pattern[i - 1] == '/')) {
      const size_t end = pattern.find('/', i);
      const std::string_view name = pattern.substr(i + 1, end == std::string_view::npos ? end : end - i - 1);
      out += '{';
      out += name;
      out += '}';
      i = end == std::string_view::npos ? pattern.size() : end;
      continue;
    }
    out += pattern[i++];
  }
  return out;
}

std::string OpenApiJson(std::span<const ApiGroup> groups, std::string_view version) {
  json::object paths;
  json::array tags;
  for (const ApiGroup& group : groups) {
    tags.push_back(json::object{{"name", std::string(group.tag)}, {"description", std::string(group.description)}});
    for (const RestRouteInfo& info : group.routes) {
      json::value& item = paths[OpenApiPath(info.path)];
      if (!item.is_object()) item = json::object{};
      item.as_object()[Lower(info.method)] = Operation(info, group);
    }
  }
  json::object doc{
      {"openapi", "3.1.0"},
      {"info", json::object{{"title", "Sela Network coordinator"},
                            {"version", std::string(version)},
                            {"description", "Every route this server serves, generated from its route tables. Paths "
                                            "match case-insensitively with one optional trailing slash; HEAD is "
                                            "served by GET and OPTIONS answers 200 on any path (CORS). Routes "
                                            "marked x-sela-pending answer the generic 404."}}},
      {"servers", json::array{json::object{{"url", "/"}}}},
      {"tags", std::move(tags)},
      {"paths", std::move(paths)},
      {"components", Components()},
  };
  return json::serialize(doc);
}

Status CheckRoutesDocumented(const net::Router& router, std::span<const ApiGroup> groups) {
  std::set<std::pair<std::string, std::string>> documented;
  for (const ApiGroup& group : groups) {
    if (group.websocket) continue;
    for (const RestRouteInfo& info : group.routes) {
      if (info.pending.empty()) documented.emplace(std::string(info.method), Lower(info.path));
    }
  }
  std::set<std::pair<std::string, std::string>> served;
  for (const net::Route& route : router.routes()) served.emplace(route.method, Lower(route.pattern));
  std::string problems;
  for (const auto& [method, path] : served) {
    if (!documented.contains({method, path})) problems += " served but not documented: " + method + " " + path + ";";
  }
  for (const auto& [method, path] : documented) {
    if (!served.contains({method, path})) problems += " documented but not served: " + method + " " + path + ";";
  }
  if (problems.empty()) return Status();
  return FailedPrecondition("the API description and the router differ:" + problems);
}

}  // namespace sela::api
