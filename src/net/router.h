// Router: maps (method, path) to a handler, as the original's Express
// routing did: paths match case-insensitively, a trailing slash is
// tolerated, `:name` matches one segment (percent-decoded) and HEAD is
// served by GET. Routes are registered once at start-up, then read-only.
#pragma once

#include <functional>
#include <string>
#include <string_view>
#include <vector>

#include "net/http_stream.h"
#include "net/http_types.h"

namespace sela::net {

class HttpReply;
using HttpHandler = std::function<void(HttpRequest&, HttpReply)>;

// What a route says about its requests' bodies.
struct RouteOptions {
  // Largest request body this route takes; 0 means the server's default
  // (HTTP_MAX_BODY_BYTES). Applied when the request line arrives, before
  // any body byte is read (longer gets 413), to streamed bodies too.
  uint64_t body_bytes_max = 0;
  // Set: a request with a Content-Length body may hand it to a BodySink in
  // pieces instead (uploads), decided when the headers arrive; then the
  // handler is not called.
  BodySinkFactory body_sink;
  // The most bytes of a body its sink holds at once (in transit, before it
  // asks for a pause); 0: unknown, the whole body. A streamed body is
  // charged to the inbound budget for this much (plus one read) or its
  // Content-Length if less, granted before any of it is read.
  uint64_t body_sink_held_bytes_max = 0;
};

struct Route {
  std::string method;   // "GET", "POST", ... ("*" for any).
  std::string pattern;  // "/api/rpc/job/:id"
  HttpHandler handler;
  RouteOptions options;
};

class Router {
 public:
  void Add(std::string method, std::string pattern, HttpHandler handler, RouteOptions options = {});
  // The same with a body limit only.
  void Add(std::string method, std::string pattern, HttpHandler handler, uint64_t body_bytes_max);

  // The route for the request's method and path, or null; fills
  // request.params when it finds one.
  const Route* Find(HttpRequest& request) const;

  // The body limit of the route a request line matches: its
  // body_bytes_max, or 0 (the server's default) when it names none or
  // nothing matches.
  uint64_t BodyLimit(std::string_view method, std::string_view path) const;

  const std::vector<Route>& routes() const { return routes_; }

 private:
  struct Compiled {
    std::vector<std::string> segments;  // Lower-cased; ":x" for params.
  };
  // params may be null (only whether it matches is wanted).
  static bool MatchSegments(const Compiled& c, std::string_view path,
                            std::vector<std::pair<std::string, std::string>>* params);
  const Route* FindRoute(std::string_view method, std::string_view path,
                         std::vector<std::pair<std::string, std::string>>* params) const;

  std::vector<Route> routes_;
  std::vector<Compiled> compiled_;
};

}  // namespace sela::net
