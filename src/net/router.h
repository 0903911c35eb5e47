// Router: maps (method, path) to a handler, as the original's Express
// routing did: paths match case-insensitively, a trailing slash is
// tolerated, `:name` matches one segment (percent-decoded) and HEAD is
// served by GET. Routes are registered once at start-up, then read-only.
#pragma once

#include <functional>
#include <string>
#include <string_view>
#include <vector>

#include "net/http_types.h"

namespace sela::net {

class HttpReply;
using HttpHandler = std::function<void(HttpRequest&, HttpReply)>;

struct Route {
  std::string method;   // "GET", "POST", ... ("*" for any).
  std::string pattern;  // "/api/rpc/job/:id"
  HttpHandler handler;
};

class Router {
 public:
  void Add(std::string method, std::string pattern, HttpHandler handler);

  // The route for the request's method and path, or null; fills
  // request.params when it finds one.
  const Route* Find(HttpRequest& request) const;

  const std::vector<Route>& routes() const { return routes_; }

 private:
  struct Compiled {
    std::vector<std::string> segments;  // Lower-cased; ":x" for params.
  };
  static bool MatchSegments(const Compiled& c, std::string_view path,
                            std::vector<std::pair<std::string, std::string>>* params);

  std::vector<Route> routes_;
  std::vector<Compiled> compiled_;
};

}  // namespace sela::net
