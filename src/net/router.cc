#include "net/router.h"

namespace sela::net {

namespace {

std::vector<std::string_view> SplitPath(std::string_view path) {
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
  for (std::string_view seg : SplitPath(pattern)) {
    c.segments.push_back(seg.starts_with(':') ? std::string(seg) : Lowered(seg));
  }
  compiled_.push_back(std::move(c));
  routes_.push_back(Route{std::move(method), std::move(pattern), std::move(handler), std::move(options)});
}

bool Router::MatchSegments(const Compiled& c, std::string_view path,
                           std::vector<std::pair<std::string, std::string>>* params) {
  // Express tolerates one trailing slash but not empty segments elsewhere,
  // so "/a//b" does not match "/a/b".
  if (path.empty() || path[0] != '/') return false;
  std::string_view rest = path.substr(1);
  if (!rest.empty() && rest.back() == '/') rest.remove_suffix(1);
  if (params) params->clear();
  size_t idx = 0;
  while (!rest.empty()) {
    if (idx == c.segments.size()) return false;
    const size_t slash = rest.find('/');
    const std::string_view seg = rest.substr(0, slash);
    if (seg.empty()) return false;
    const std::string& want = c.segments[idx];
    if (want.starts_with(':')) {
      if (params) params->emplace_back(want.substr(1), PercentDecode(seg, false));
    } else if (!EqualsIgnoreCase(want, seg)) {
      return false;
    }
    ++idx;
    if (slash == std::string_view::npos) break;
    rest = rest.substr(slash + 1);
    if (rest.empty()) return false;
  }
  return idx == c.segments.size();
}

const Route* Router::FindRoute(std::string_view method, std::string_view path,
                               std::vector<std::pair<std::string, std::string>>* params) const {
  if (method == "HEAD") method = "GET";
  for (size_t i = 0; i < routes_.size(); ++i) {
    if (!MatchSegments(compiled_[i], path, params)) continue;
    if (routes_[i].method == "*" || routes_[i].method == method) return &routes_[i];
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
