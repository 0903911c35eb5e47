// HTTP/1.1 on a connection: parse with Beast's parser, route, answer, and
// upgrade to WebSocket. One request is handled at a time; pipelined bytes
// wait in the connection's input buffer until the response is written.
#include <ctime>
#include <spdlog/spdlog.h>

#include "core/logging.h"
#include "net/server_impl.h"
#include "net/ws_handshake.h"

namespace sela::net {


namespace {

const std::string kUnmatchedRoute = "(unmatched)";
const std::string kOptionsRoute = "(options)";
const std::string kUpgradeRoute = "(websocket)";
const std::string kErrorRoute = "(error)";

// Bytes of pipelined input held while a response is pending, before reading
// pauses.
constexpr size_t kPipelineBufferBytes = 64 * 1024;

}  // namespace

void ServerImpl::HttpFeed(uint32_t idx, const uint8_t* data, size_t size) {
  Connection& c = slot(idx);
  if (!c.http) c.http = std::make_unique<HttpState>();
  c.http->inbuf.append(reinterpret_cast<const char*>(data), size);
  if (c.http->response_pending) {
    if (c.http->inbuf.size() > kPipelineBufferBytes) c.flags |= conn_flag::kReadPaused;
    return;
  }
  HttpParse(idx);
}

void ServerImpl::HttpParse(uint32_t idx) {
  Connection& c = slot(idx);
  if (c.flags & conn_flag::kInFeed) return;
  c.flags |= conn_flag::kInFeed;
  const HttpRequestParser::Limits limits{config_.http_header_bytes_max, config_.http_body_bytes_max};
  while (c.state == ConnState::kHttp && c.http && !c.http->response_pending &&
         !c.http->inbuf.empty()) {
    HttpState& h = *c.http;
    if (!h.parser.in_progress()) {
      h.started = clock_.Now();
      wheel_.Schedule(idx, h.started + Millis(config_.http_header_timeout_ms));
    }
    const bool header_was_done = h.parser.header_done();
    HttpRequest request;
    HttpRequestParser::Error error;
    const auto outcome = h.parser.Parse(h.inbuf, limits, &request, &error);
    if (outcome == HttpRequestParser::Outcome::kError) {
      HttpError(idx, error.status, error.message, error.reason);
      break;
    }
    if (outcome == HttpRequestParser::Outcome::kNeedMore) {
      if (!header_was_done && h.parser.header_done()) {
        wheel_.Schedule(idx, h.started + Millis(config_.http_request_timeout_ms));
      }
      break;
    }
    HttpHandleRequest(idx, request);
  }
  c.flags &= ~conn_flag::kInFeed;
  if (c.state != ConnState::kHttp || !c.http || c.http->response_pending) return;
  if (c.http->inbuf.empty() && !c.http->parser.in_progress()) {
    // Idle keep-alive connection: hold no buffers.
    c.http.reset();
    wheel_.Schedule(idx, clock_.Now() + Millis(config_.http_idle_timeout_ms));
  }
  if (c.flags & conn_flag::kReadPaused) {
    c.flags &= ~conn_flag::kReadPaused;
    if (c.flags & conn_flag::kMaybeReadable) PostRead(idx);
  }
}

void ServerImpl::HttpHandleRequest(uint32_t idx, HttpRequest& req) {
  Connection& c = slot(idx);
  HttpState& h = *c.http;
  h.keep_alive = req.keep_alive && !draining_;
  h.head = req.method == "HEAD";
  h.response_pending = true;
  wheel_.Cancel(idx);

  if (IsWebSocketUpgrade(req)) {
    HttpUpgrade(idx, req);
    return;
  }
  const ConnId id = MakeId(idx, c.generation);
  if (req.method == "OPTIONS") {
    h.route = &kOptionsRoute;
    SendHttpResponse(id, HttpResponse::Text(200, "OK"));
    return;
  }
  const Route* route = router_.Find(req);
  if (!route) {
    h.route = &kUnmatchedRoute;
    // The path only: a query may carry anything.
    LogEvent(spdlog::level::warn, "request refused",
             {{"status", "404"}, {"reason", "Endpoint not found"}, {"method", req.method},
              {"path", std::string_view(req.path).substr(0, 200)}});
    SendHttpResponse(id, ErrorResponse(404, "Endpoint not found", R"({"path":")" + JsonEscape(req.target) + "\"}"));
    return;
  }
  h.route = &route->pattern;
  route->handler(req, HttpReply(this, id));
}

void ServerImpl::HttpUpgrade(uint32_t idx, HttpRequest& request) {
  Connection& c = slot(idx);
  if (draining_) {
    HttpError(idx, 503, "Server is shutting down", "draining");
    return;
  }
  UpgradeDecision d = CheckUpgrade(request);
  if (!d.ok()) {
    HttpResponse r = ErrorResponse(d.status, d.error);
    r.close = true;
    if (d.status == 426) r.headers.emplace_back("Sec-WebSocket-Version", "13");
    HttpErrorCounter("bad_upgrade").Inc();
    LogEvent(spdlog::level::warn, "request refused",
             {{"status", std::to_string(d.status)}, {"reason", d.error}, {"kind", "bad_upgrade"}});
    c.http->route = &kUpgradeRoute;
    SendHttpResponse(MakeId(idx, c.generation), std::move(r));
    return;
  }
  std::string head =
      "HTTP/1.1 101 Switching Protocols\r\nUpgrade: websocket\r\nConnection: Upgrade\r\n"
      "Sec-WebSocket-Accept: " + d.accept_key + "\r\n";
  if (!d.subprotocol.empty()) head += "Sec-WebSocket-Protocol: " + d.subprotocol + "\r\n";
  head += "\r\n";
  CountRequest(&kUpgradeRoute, 101, c.http->started);
  std::string leftover = std::move(c.http->inbuf);
  c.http.reset();
  c.state = ConnState::kWebSocket;
  c.flags |= conn_flag::kIsWs | conn_flag::kWsOpen;
  m_.open_http->Add(-1);
  m_.open_ws->Add(1);
  m_.upgrades->Inc();
  if (!Write(idx, head, {})) return;
  const ConnId id = MakeId(idx, c.generation);
  ws_handler_.OnWsOpen(id, request);
  if (!leftover.empty() && c.state == ConnState::kWebSocket) {
    WsFeed(idx, reinterpret_cast<uint8_t*>(leftover.data()), leftover.size());
  }
}

void ServerImpl::HttpError(uint32_t idx, unsigned status, std::string_view message,
                           std::string_view reason) {
  Connection& c = slot(idx);
  HttpErrorCounter(reason).Inc();
  LogEvent(spdlog::level::warn, "request refused",
           {{"status", std::to_string(status)}, {"reason", message}, {"kind", reason}});
  if (!c.http) c.http = std::make_unique<HttpState>();
  c.http->inbuf.clear();
  c.http->response_pending = true;
  c.http->head = false;
  c.http->route = &kErrorRoute;
  if (c.http->started == MonoTime{}) c.http->started = clock_.Now();
  HttpResponse r = ErrorResponse(status, message);
  r.close = true;
  SendHttpResponse(MakeId(idx, c.generation), std::move(r));
}

void ServerImpl::HttpTimeout(uint32_t idx) {
  Connection& c = slot(idx);
  if (c.http && c.http->response_pending) return;
  if (c.http && (c.http->parser.in_progress() || !c.http->inbuf.empty())) {
    HttpError(idx, 408, "Request timeout", "timeout");
    return;
  }
  // Idle keep-alive, or a connection that never sent a request.
  Abort(idx, close_code::kAbnormal);
}

HttpResponse ServerImpl::ErrorResponse(unsigned status, std::string_view message,
                                       std::string_view data_json) const {
  return HttpResponse::Json(status, error_body_(message, data_json));
}

void ServerImpl::SendHttpResponse(ConnId id, HttpResponse response) {
  Connection* c = Lookup(id);
  if (!c || c->state != ConnState::kHttp || !c->http || !c->http->response_pending) return;
  const uint32_t idx = static_cast<uint32_t>(id);
  HttpState& h = *c->http;
  const bool keep_alive = h.keep_alive && !response.close && !draining_;
  CountRequest(h.route, response.status, h.started);
  const std::string head = SerializeResponse(response, keep_alive);
  const bool head_only = h.head;
  h.response_pending = false;
  h.route = nullptr;
  h.started = MonoTime{};
  if (!Write(idx, head, head_only ? std::string_view() : std::string_view(response.body))) return;
  if (!keep_alive) {
    c->flags |= conn_flag::kLingerAfterFlush;
    if (!c->out) BeginLinger(idx);
    return;
  }
  if (c->out) {
    // Parse the next pipelined request only once this response is out.
    c->flags |= conn_flag::kReadPaused;
    return;
  }
  HttpParse(idx);
}

void ServerImpl::CountRequest(const std::string* route, unsigned status, MonoTime started) {
  const std::string& r = route ? *route : kUnmatchedRoute;
  Counter*& counter = request_counters_[{&r, status}];
  if (!counter) {
    counter = &metrics_.GetCounter("sela_http_requests_total", "HTTP requests answered, by route and status.",
                                   "route=\"" + MetricsRegistry::EscapeLabel(r) + "\",status=\"" +
                                       std::to_string(status) + "\"");
  }
  counter->Inc();
  if (started != MonoTime{}) {
    m_.request_seconds->Observe(std::chrono::duration<double>(clock_.Now() - started).count());
  }
}

const std::string& ServerImpl::DateValue() const {
  const int64_t second = clock_.WallMs() / 1000;
  if (second != date_second_) {
    date_second_ = second;
    std::time_t t = static_cast<std::time_t>(second);
    std::tm tm{};
    gmtime_r(&t, &tm);
    char buf[64];
    const size_t n = std::strftime(buf, sizeof buf, "%a, %d %b %Y %H:%M:%S GMT", &tm);
    date_value_.assign(buf, n);
  }
  return date_value_;
}

std::string ServerImpl::SerializeResponse(const HttpResponse& r, bool keep_alive) const {
  std::string s;
  s.reserve(320 + r.headers.size() * 48);
  s += "HTTP/1.1 ";
  s += std::to_string(r.status);
  s += ' ';
  s += StatusReason(r.status);
  s += "\r\n";
  s += "Access-Control-Allow-Origin: *\r\n"
       "Access-Control-Allow-Methods: GET, POST, PUT, DELETE, OPTIONS\r\n"
       "Access-Control-Allow-Headers: Origin, X-Requested-With, Content-Type, Accept, "
       "Authorization, x-user-principal-id\r\n";
  if (!r.content_type.empty()) {
    s += "Content-Type: ";
    s += r.content_type;
    s += "\r\n";
  }
  s += "Content-Length: ";
  s += std::to_string(r.body.size());
  s += "\r\nDate: ";
  s += DateValue();
  s += "\r\n";
  for (const auto& [name, value] : r.headers) {
    s += name;
    s += ": ";
    s += value;
    s += "\r\n";
  }
  s += keep_alive ? "Connection: keep-alive\r\n\r\n" : "Connection: close\r\n\r\n";
  return s;
}

}  // namespace sela::net
