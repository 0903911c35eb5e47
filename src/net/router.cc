#include "net/router.h"

#include <cstdlib>

namespace sela::net {

namespace {

std::vector<std::string_view> SplitPattern(std::string_view path) {
  std::vector<std::string_view> out;
  size_t i = 0;
  while (i < path.size()) {
    while (i < path.size() && path[i] == '/') ++i;
    if (i >= path.size()) break;
    size_t j = path.find('/', i);
    if (j == std::string_view::npos) j = path.size();
    out.push_back(path.substr(i, j - i));
    i = j;
  }
  return out;
}

// The most segments a route pattern may have (a path with more matches none).
constexpr size_t kRouteSegmentsMax = 16;

std::string Lowered(std::string_view s) {
  std::string out(s);
  for (char& c : out) {
    if (c >= 'A' && c <= 'Z') c = static_cast<char>(c + 32);
  }
  return out;
}

}  // namespace

void Router::Add(std::string method, std::string pattern, HttpHandler handler, uint64_t body_bytes_max) {
  RouteOptions options;
  options.body_bytes_max = body_bytes_max;
  Add(std::move(method), std::move(pattern), std::move(handler), std::move(options));
}

void Router::Add(std::string method, std::string pattern, HttpHandler handler, RouteOptions options) {
  Compiled c;
  for (std::string_view seg : SplitPattern(pattern)) {
    c.segments.push_back(seg.starts_with(':') ? std::string(seg) : Lowered(seg));
  }
  // A request path is cut into at most kRouteSegmentsMax segments.
  if (c.segments.size() > kRouteSegmentsMax) std::abort();
  compiled_.push_back(std::move(c));
  routes_.push_back(Route{std::move(method), std::move(pattern), std::move(handler), std::move(options)});
}

namespace {

// A request path cut into segments once per lookup, rather than once per
// route tried. Paths with more segments than any route cannot match.
constexpr size_t kSegmentsMax = kRouteSegmentsMax;
struct SplitPath {
  bool valid = false;  // False: no route can match.
  size_t count = 0;
  std::string_view segments[kSegmentsMax];
};

// Express tolerates one trailing slash but not empty segments elsewhere, so
// "/a//b" matches no route ("/a/b" or otherwise).
SplitPath SplitRequestPath(std::string_view path) {
  SplitPath out;
  if (path.empty() || path[0] != '/') return out;
  std::string_view rest = path.substr(1);
  if (!rest.empty() && rest.back() == '/') rest.remove_suffix(1);
  while (!rest.empty()) {
    if (out.count == kSegmentsMax) return out;  // Longer than every route.
    const size_t slash = rest.find('/');
    const std::string_view seg = rest.substr(0, slash);
    if (seg.empty()) return out;
    out.segments[out.count++] = seg;
    if (slash == std::string_view::npos) break;
    rest = rest.substr(slash + 1);
    if (rest.empty()) return out;
  }
  out.valid = true;
  return out;
}

// `want`: a route's segments (Router::Compiled).
bool MatchSplit(const std::vector<std::string>& want, const SplitPath& path) {
  if (want.size() != path.count) return false;
  // From the last segment, which tells most routes apart ("/api/rpc/...").
  for (size_t i = path.count; i-- > 0;) {
    if (!want[i].starts_with(':') && !EqualsIgnoreCase(want[i], path.segments[i])) return false;
  }
  return true;
}

void FillParams(const std::vector<std::string>& want, const SplitPath& path,
                std::vector<std::pair<std::string, std::string>>* params) {
  params->clear();
  for (size_t i = 0; i < want.size(); ++i) {
    if (want[i].starts_with(':')) params->emplace_back(want[i].substr(1), PercentDecode(path.segments[i], false));
  }
}

}  // namespace

bool Router::MatchSegments(const Compiled& c, std::string_view path,
                           std::vector<std::pair<std::string, std::string>>* params) {
  const SplitPath split = SplitRequestPath(path);
  if (!split.valid || !MatchSplit(c.segments, split)) return false;
  if (params) FillParams(c.segments, split, params);
  return true;
}

const Route* Router::FindRoute(std::string_view method, std::string_view path,
                               std::vector<std::pair<std::string, std::string>>* params) const {
  if (method == "HEAD") method = "GET";
  // The path is split once, not once per route tried.
  const SplitPath split = SplitRequestPath(path);
  if (!split.valid) return nullptr;
  for (size_t i = 0; i < routes_.size(); ++i) {
    if (!MatchSplit(compiled_[i].segments, split)) continue;
    if (routes_[i].method != "*" && routes_[i].method != method) continue;
    if (params) FillParams(compiled_[i].segments, split, params);
    return &routes_[i];
  }
  return nullptr;
}

const Route* Router::Find(HttpRequest& request) const {
  std::vector<std::pair<std::string, std::string>> params;
  const Route* route = FindRoute(request.method, request.path, &params);
  if (route) request.params = std::move(params);
  return route;
}

uint64_t Router::BodyLimit(std::string_view method, std::string_view path) const {
  const Route* route = FindRoute(method, path, nullptr);
  return route ? route->options.body_bytes_max : 0;
}

}  // namespace sela::net
