// Streaming HTTP bodies, each with backpressure, so that a large upload or
// download never sits whole in memory:
// - a request body handed to a BodySink piece by piece as it arrives (a
//   route asks for it with RouteOptions::body_sink), reading from the
//   connection paused while the sink is full;
// - a response body pulled from a BodySource piece by piece as the
//   connection drains (HttpResponse::body_source).
// Plus the pieces of HTTP that downloads need: byte ranges (RFC 9110 §14)
// and entity tags (§8.8.3, §13.1.2).
//
// Threading: everything on the event loop's thread.
#pragma once

#include <cstdint>
#include <functional>
#include <memory>
#include <string>
#include <string_view>

#include "core/status.h"
#include "net/http_types.h"

namespace sela::net {

class ServerImpl;
class HttpReply;

// Receives one request's body. Destroyed when the response has been sent,
// or when the connection fails first (then the body did not all arrive:
// nothing it started may be taken as done).
class BodySink {
 public:
  virtual ~BodySink() = default;
  // The next bytes of the body, in order, never empty. False: stop reading
  // the connection until BodyStream::Resume().
  virtual bool OnData(std::string_view bytes) = 0;
  // The whole body arrived: answer through `reply`, now or later.
  virtual void OnEnd(HttpReply reply) = 0;
};

// A sink's handle on its connection; copyable, and harmless once the
// connection is gone.
class BodyStream {
 public:
  BodyStream(ServerImpl* server, uint64_t conn) : server_(server), conn_(conn) {}
  // Reading goes on after OnData returned false.
  void Resume() const;
  // Answers now, before the rest of the body (a refusal); the rest is not
  // read and the connection closes after the response.
  void Refuse(HttpResponse response) const;

 private:
  ServerImpl* server_;
  uint64_t conn_;
};

// Called when the headers of a request with a Content-Length body have
// arrived (the body itself has not): a sink to take the body, or null to
// read it whole and call the route's handler as usual. May call
// stream.Refuse() and return null to answer at once.
using BodySinkFactory = std::function<std::unique_ptr<BodySink>(HttpRequest& head, BodyStream stream)>;

// Produces a response body of HttpResponse::body_length bytes.
class BodySource {
 public:
  virtual ~BodySource() = default;
  // The next bytes, at most `max`: `deliver` is called once, on the loop
  // thread, now or later, with at least one byte, or with an error (the
  // status line is sent already, so the connection is then closed).
  virtual void Pull(size_t max, std::function<void(Result<std::string>)> deliver) = 0;
};

// ---- Ranges and entity tags ----------------------------------------------

struct ByteRange {
  uint64_t first = 0;
  uint64_t length = 0;
};

enum class RangeOutcome : uint8_t {
  kWhole,          // No Range, one we ignore (several ranges, another unit, malformed): send all.
  kPartial,        // One satisfiable range: 206 with *range.
  kUnsatisfiable,  // Well formed but past the end: 416 with Content-Range: bytes */size.
};

// A Range header value (RFC 9110 §14.2) against a representation of
// `size` bytes: "bytes=a-b", "bytes=a-" or "bytes=-n".
RangeOutcome ParseRange(std::string_view header, uint64_t size, ByteRange* range);

// "bytes a-b/size" for a 206.
std::string ContentRange(const ByteRange& range, uint64_t size);

// Whether an If-None-Match value lists `etag` (weak comparison) or is "*".
bool IfNoneMatch(std::string_view header, std::string_view etag);

// Whether an If-Range value allows the range: it must be the strong `etag`
// (a date is never taken: representations here are content-addressed).
bool IfRangeAllows(std::string_view header, std::string_view etag);

}  // namespace sela::net
