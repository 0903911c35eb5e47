// The OpenAPI 3.1 description of everything the server serves, generated
// from the route tables (node_routes, rpc_routes, ops_routes and the
// WebSocket endpoints) plus a table of parameter notes keyed by route id
// (openapi_params.cc). Served at /openapi.json and /swagger.yaml.
//
// It cannot drift: CheckRoutesDocumented() compares the router's routes with
// the description, and main refuses to start when they differ (a route with
// no entry, or an entry with no route); the unit tests run the same check.
// Routes listed as pending are described with their reason and only a 404.
//
// Thread-safety: pure functions.
#pragma once

#include <span>
#include <string>
#include <string_view>
#include <vector>

#include "api/rest_table.h"
#include "core/status.h"
#include "net/router.h"

namespace sela::api {

struct ApiGroup {
  std::string_view tag;
  std::string_view description;
  std::vector<RestRouteInfo> routes;
  bool websocket = false;  // Upgrade endpoints, not router routes.
};

// Every route of the server, by group: the ops, node, rpc and WebSocket tables.
std::vector<ApiGroup> ServerApiGroups();

// The description as JSON text (pretty-printed, two spaces).
std::string OpenApiJson(std::span<const ApiGroup> groups, std::string_view version);

// The same document as YAML (block style; every string double-quoted).
// Precondition: json is valid JSON.
std::string JsonToYaml(std::string_view json);

// OK when the router serves exactly the documented routes that are neither
// pending nor WebSocket endpoints (method and pattern); otherwise
// FailedPrecondition naming every difference.
Status CheckRoutesDocumented(const net::Router& router, std::span<const ApiGroup> groups);

// "/api/node/client/:clientId/message" → "/api/node/client/{clientId}/message".
std::string OpenApiPath(std::string_view router_pattern);

// Notes on a route's parameters beyond its path parameters.
struct ParamNote {
  std::string_view id;    // The route's id.
  std::string_view in;    // "query", "header" or "body" (a JSON body field).
  std::string_view name;
  std::string_view type;  // "string", "integer", "number", "object"
  bool required;
  std::string_view description;
};
std::span<const ParamNote> ParamNotes();

}  // namespace sela::api
