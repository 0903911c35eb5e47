// Fuzzes HTTP request handling short of the socket: the request parser with
// our limits, fed in arbitrary chunks, then routing and the WebSocket
// upgrade check on every request it yields.
#include <algorithm>
#include <cstdint>
#include <cstdlib>
#include <string>

#include "net/http_parser.h"
#include "net/http_stream.h"
#include "net/router.h"
#include "net/server.h"
#include "net/ws_handshake.h"

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  if (size < 1) return 0;
  static sela::net::Router* router = [] {
    auto* r = new sela::net::Router();
    r->Add("GET", "/health", [](sela::net::HttpRequest&, sela::net::HttpReply) {});
    r->Add("POST", "/api/rpc/job/:id", [](sela::net::HttpRequest&, sela::net::HttpReply) {}, 16384);
    r->Add("*", "/api/node/:principal/status", [](sela::net::HttpRequest&, sela::net::HttpReply) {});
    return r;
  }();
  const size_t chunk = 1 + data[0] % 97;
  // Routes may name their own body limit, taken when the request line comes.
  static const sela::net::BodyLimitFn body_limit = [](std::string_view method, std::string_view path) {
    const uint64_t limit = router->BodyLimit(method, path);
    return limit ? limit : uint64_t{4096};
  };
  const sela::net::HttpRequestParser::Limits limits{1024, 4096, &body_limit};
  sela::net::HttpRequestParser parser;
  std::string in;
  sela::net::HttpRequest request;  // From kHeader to kRequest.
  const char* p = reinterpret_cast<const char*>(data + 1);
  size_t left = size - 1;
  while (left > 0) {
    const size_t n = std::min(chunk, left);
    in.append(p, n);
    p += n;
    left -= n;
    while (true) {
      if (parser.streaming()) {
        // A streamed body: the caller takes it from the input itself.
        const uint64_t n = std::min<uint64_t>(parser.body_left(), in.size());
        if (n == 0) break;
        in.erase(0, n);
        parser.BodyConsumed(n);
        continue;
      }
      sela::net::HttpRequestParser::Error error;
      auto outcome = parser.Parse(in, limits, &request, &error);
      if (outcome == sela::net::HttpRequestParser::Outcome::kError) {
        const unsigned s = error.status;
        if (s != 400 && s != 413 && s != 417 && s != 431 && s != 501) std::abort();
        return 0;
      }
      if (outcome == sela::net::HttpRequestParser::Outcome::kNeedMore) break;
      if (outcome == sela::net::HttpRequestParser::Outcome::kHeader) {
        // What the body may still need is bounded by the route's limit.
        if (parser.body_bytes_remaining() > 16384) std::abort();
        if (sela::net::HttpRequest* head = parser.head(); head == nullptr) {
          std::abort();
        } else {
          router->Find(*head);
        }
        // Odd first bytes stream Content-Length bodies, even ones read them whole.
        if ((data[0] & 1) && parser.HasLengthBody()) {
          if (!parser.StreamBody()) std::abort();
        } else {
          parser.ReserveKnownBody();
        }
        continue;
      }
      if (request.body.size() > 16384) std::abort();
      router->Find(request);
      (void)request.QueryParam("authorization");
      // A Range header against a representation of some size.
      sela::net::ByteRange range;
      const uint64_t size = request.body.size() + data[0];
      if (sela::net::ParseRange(request.Header("Range"), size, &range) == sela::net::RangeOutcome::kPartial &&
          (range.length == 0 || range.first + range.length > size)) {
        std::abort();
      }
      (void)sela::net::IfNoneMatch(request.Header("If-None-Match"), "\"etag\"");
      if (sela::net::IsWebSocketUpgrade(request)) {
        auto d = sela::net::CheckUpgrade(request);
        if (d.ok() && d.accept_key.size() != 28) std::abort();
      }
    }
    // Unparsed input is bounded by the header limit plus one chunk, in every
    // state (request line and header, chunk-size lines, trailers).
    if (in.size() > limits.header_bytes_max + chunk + 8) std::abort();
    if (parser.streaming() && !in.empty()) std::abort();  // The loop above takes all it can.
  }
  return 0;
}
