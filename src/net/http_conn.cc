// HTTP/1.1 on a connection: parse with Beast's parser, route, answer, and
// upgrade to WebSocket. One request is handled at a time; pipelined bytes
// wait in the connection's input buffer until the response is written.
#include <arpa/inet.h>
#include <netinet/in.h>
#include <sys/socket.h>

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
  HttpState& h = *c.http;
  if (h.parser.streaming() && h.inbuf.empty() && !h.body_waiting) {
    // A streamed body goes to its sink straight from the read buffer.
    const size_t used = FeedSinkDirect(idx, data, size);
    if (used == size || c.state != ConnState::kHttp || !c.http) return;
    data += used;
    size -= used;
  }
  const std::string_view fresh(reinterpret_cast<const char*>(data), size);
  if (h.inbuf.empty() && !h.response_pending && !out_streams_.contains(idx) && !h.sink_paused &&
      !(c.flags & conn_flag::kInFeed)) {
    // Parsed where it was read: a body goes straight into the request, and
    // only a remainder is copied.
    HttpParse(idx, fresh);
    return;
  }
  h.inbuf.append(fresh);
  if (h.response_pending || out_streams_.contains(idx)) {
    if (h.inbuf.size() > kPipelineBufferBytes) c.flags |= conn_flag::kReadPaused;
    return;
  }
  HttpParse(idx);
}

void ServerImpl::HttpParse(uint32_t idx, std::string_view fresh) {
  Connection& c = slot(idx);
  if (c.flags & conn_flag::kInFeed) return;
  c.flags |= conn_flag::kInFeed;
  const HttpRequestParser::Limits limits{config_.http_header_bytes_max, config_.http_body_bytes_max,
                                         &body_limit_fn_};
  // Input comes from `fresh` while the buffer is empty; whatever is left of
  // it when parsing stops waits in the buffer.
  const auto keep_rest = [&c, &fresh] {
    if (!fresh.empty() && c.state == ConnState::kHttp && c.http) c.http->inbuf.append(fresh);
    fresh = {};
  };
  while (c.state == ConnState::kHttp && c.http && !c.http->response_pending && !c.http->body_waiting &&
         !out_streams_.contains(idx)) {
    HttpState& h = *c.http;
    if (h.parser.streaming()) {
      // A streamed body: what is left of this read goes to the sink.
      keep_rest();
      if (h.sink_paused || h.inbuf.empty()) break;
      FeedSink(idx);
      continue;
    }
    const bool from_fresh = h.inbuf.empty();
    const std::string_view in = from_fresh ? fresh : std::string_view(h.inbuf);
    if (in.empty()) break;
    if (!h.parser.in_progress()) {
      h.started = clock_.Now();
      deadlines_.Schedule(idx, h.started + Millis(config_.http_header_timeout_ms));
    }
    HttpRequestParser::Error error;
    const bool header_was_done = h.parser.header_done();
    HttpRequest request;
    size_t used = 0;
    const auto outcome = h.parser.Parse(in, &used, limits, &request, &error);
    if (from_fresh) {
      fresh.remove_prefix(used);
    } else {
      h.inbuf.erase(0, used);
    }
    if (outcome == HttpRequestParser::Outcome::kError) {
      fresh = {};
      HttpError(idx, error.status, error.message, error.reason);
      break;
    }
    if (!header_was_done && h.parser.header_done()) {
      deadlines_.Schedule(idx, h.started + Millis(config_.http_request_timeout_ms));
    }
    if (outcome == HttpRequestParser::Outcome::kNeedMore) break;
    if (outcome == HttpRequestParser::Outcome::kHeader) {
      if (!HttpOnHeader(idx)) break;
      continue;
    }
    // Pipelined bytes (or a WebSocket's first frames) wait in the buffer
    // while the request is handled.
    keep_rest();
    HttpHandleRequest(idx, request);
  }
  keep_rest();
  c.flags &= ~conn_flag::kInFeed;
  if (c.state != ConnState::kHttp || !c.http || c.http->response_pending || out_streams_.contains(idx)) return;
  if (c.http->inbuf.empty() && !c.http->parser.in_progress()) {
    // Idle keep-alive connection: hold no buffers.
    c.http.reset();
    deadlines_.Schedule(idx, clock_.Now() + Millis(config_.http_idle_timeout_ms));
  } else if (c.http->inbuf.empty() && c.http->inbuf.capacity() > kPipelineBufferBytes / 4) {
    // A large read was consumed: its buffer is not kept for what follows.
    std::string().swap(c.http->inbuf);
  }
  if ((c.flags & conn_flag::kReadPaused) && !(c.http && c.http->sink_paused)) {
    c.flags &= ~conn_flag::kReadPaused;
    if (c.flags & conn_flag::kMaybeReadable) PostRead(idx);
  }
}

bool ServerImpl::HttpAdmitBody(uint32_t idx) {
  Connection& c = slot(idx);
  HttpState& h = *c.http;
  h.body_waiting = false;
  if (!Grant(idx, NeedBytes(idx))) {
    h.body_waiting = true;
    PauseForBudget(idx);
    return false;
  }
  h.parser.ReserveKnownBody();
  // RFC 9110 §10.1.1: the client waits for this before sending the body.
  if (h.parser.expects_continue() && !Write(idx, "HTTP/1.1 100 Continue\r\n\r\n", {})) return false;
  return true;
}

// The peer address of a connection, for the layers above (per-source
// limits): getpeername once per HTTP connection (see ServerImpl::PeerOf),
// rather than a copy of the address in every Connection, whose size is the
// per-connection budget.
std::string PeerAddress(int fd) {
  sockaddr_storage addr{};
  socklen_t len = sizeof(addr);
  if (fd < 0 || ::getpeername(fd, reinterpret_cast<sockaddr*>(&addr), &len) != 0) return {};
  char text[INET6_ADDRSTRLEN] = {};
  if (addr.ss_family == AF_INET) {
    const auto* in = reinterpret_cast<const sockaddr_in*>(&addr);
    return inet_ntop(AF_INET, &in->sin_addr, text, sizeof(text)) ? text : "";
  }
  if (addr.ss_family == AF_INET6) {
    const auto* in6 = reinterpret_cast<const sockaddr_in6*>(&addr);
    if (IN6_IS_ADDR_V4MAPPED(&in6->sin6_addr)) {
      return inet_ntop(AF_INET, &in6->sin6_addr.s6_addr[12], text, sizeof(text)) ? text : "";
    }
    return inet_ntop(AF_INET6, &in6->sin6_addr, text, sizeof(text)) ? text : "";
  }
  return {};
}

const std::string& ServerImpl::PeerOf(uint32_t idx) {
  auto it = http_peers_.find(idx);
  if (it == http_peers_.end()) it = http_peers_.emplace(idx, PeerAddress(slot(idx).fd)).first;
  return it->second;
}

bool ServerImpl::HttpOnHeader(uint32_t idx) {
  Connection& c = slot(idx);
  HttpState& h = *c.http;
  HttpRequest* head = h.parser.head();
  if (head && h.parser.HasLengthBody() && head->method != "OPTIONS" && !IsWebSocketUpgrade(*head)) {
    const Route* route = router_.Find(*head);
    if (route && route->options.body_sink) {
      const ConnId id = MakeId(idx, c.generation);
      head->peer = PeerOf(idx);
      h.route = &route->pattern;
      h.keep_alive = head->keep_alive && !draining_;
      h.head = false;
      std::unique_ptr<BodySink> sink = route->options.body_sink(*head, BodyStream(this, id));
      if (c.state != ConnState::kHttp || !c.http || c.http->response_pending) return false;  // Refused.
      if (sink) {
        // Its Content-Length is within the route's limit (the parser refused
        // more with a 413 before kHeader). What the sink may hold in transit
        // (one read past its own limit) is charged to the inbound budget
        // before any of it is read, and held until the response.
        const uint64_t length = h.parser.body_bytes_remaining();
        const uint64_t held_max = route->options.body_sink_held_bytes_max;
        h.stream_charge = held_max ? std::min<uint64_t>(length, held_max + kReadBufferBytes) : length;
        h.parser.StreamBody();
        h.sink = std::move(sink);
      } else {
        h.route = nullptr;
      }
    }
  }
  return HttpAdmitBody(idx);
}

void ServerImpl::HttpHandleRequest(uint32_t idx, HttpRequest& req) {
  Connection& c = slot(idx);
  req.peer = PeerOf(idx);
  HttpState& h = *c.http;
  h.keep_alive = req.keep_alive && !draining_;
  h.head = req.method == "HEAD";
  h.response_pending = true;
  deadlines_.Cancel(idx);

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
  if (c.flags & conn_flag::kReserveSlot) {
    // The reserved slots are for REST and health checks.
    HttpError(idx, 503, "Server is at its connection limit", "reserve_slot_upgrade");
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
  http_peers_.erase(idx);  // The request has it; a WebSocket asks no more.
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
  if (status == 503) r.headers.emplace_back("Retry-After", "1");
  SendHttpResponse(MakeId(idx, c.generation), std::move(r));
}

void ServerImpl::HttpTimeout(uint32_t idx) {
  Connection& c = slot(idx);
  if (out_streams_.contains(idx)) {
    // A response body made no progress for the request timeout: the reader
    // stalled.
    HttpErrorCounter("timeout").Inc();
    Abort(idx, close_code::kAbnormal);
    return;
  }
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
  if (h.sink) {
    // The answer may come from inside the sink: it goes on a later pass.
    loop_.Post([sink = std::shared_ptr<BodySink>(std::move(h.sink))] {});
    h.sink_paused = false;
  }
  if (h.stream_charge > 0) {
    // The sink is done with the streamed bytes: their charge goes back.
    h.stream_charge = 0;
    SettleBudget(idx);
  }
  if (response.body_source && !head_only) {
    if (!Write(idx, head, {})) return;
    StartOutStream(idx, std::move(response.body_source), response.body_length, keep_alive);
    return;
  }
  if (!Write(idx, head, head_only ? std::string_view() : std::string_view(response.body))) return;
  HttpAfterResponse(idx, keep_alive);
}

void ServerImpl::HttpAfterResponse(uint32_t idx, bool keep_alive) {
  Connection& c = slot(idx);
  if (!keep_alive) {
    c.flags |= conn_flag::kLingerAfterFlush;
    if (!HasOut(c)) BeginLinger(idx);
    return;
  }
  if (HasOut(c)) {
    // Parse the next pipelined request only once this response is out.
    c.flags |= conn_flag::kReadPaused;
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
  s += std::to_string(r.body_source ? r.body_length : r.body.size());
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
