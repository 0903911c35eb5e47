// HttpRequestParser: bytes in, one HttpRequest (or a status to fail with)
// out. Wraps Beast's parser with our limits; pure (no sockets), so the
// connection code and the fuzz target share it.
#pragma once

#include <cstdint>
#include <memory>
#include <string>

#include "net/http_types.h"

namespace sela::net {

class HttpRequestParser {
 public:
  struct Limits {
    uint32_t header_bytes_max = 16 * 1024;
    // Applied when the header is complete, unless the caller chose another
    // limit then (SetBodyLimit) or streams the body (StreamBody).
    uint64_t body_bytes_max = 16 * 1024 * 1024;
  };
  enum class Outcome {
    kNeedMore,
    // The header is complete (once per request): *request holds the head,
    // without a body. The caller may now SetBodyLimit() or StreamBody();
    // the next Parse goes on with the body.
    kHeader,
    // The request is complete: the head filled at kHeader stays in
    // *request, which now also holds the body.
    kRequest,
    kError,
  };
  struct Error {
    unsigned status = 400;      // 400, 413 or 431.
    std::string message;        // For the response body.
    const char* reason = "";    // Metric label: bad_request, body_too_large, header_too_large.
  };

  HttpRequestParser();
  ~HttpRequestParser();

  // Consumes a prefix of `in` (erasing it). Pass the same *request from
  // kHeader to kRequest. On kRequest the parser is ready for the next
  // request; the rest of `in` may hold pipelined bytes. On kError the
  // parser must not be used again. Not while streaming().
  Outcome Parse(std::string& in, const Limits& limits, HttpRequest* request, Error* error);

  // After kHeader: the body may be at most `bytes_max` long. False (with
  // *error a 413) when its Content-Length says more already; a chunked body
  // is held to it as it arrives.
  bool SetBodyLimit(uint64_t bytes_max, Error* error);

  // After kHeader, for a body with a Content-Length (true): the parser
  // steps aside and the caller takes body_left() bytes from the input
  // itself (BodyConsumed); when none are left the request is over and the
  // parser is ready for the next one. False for other bodies (chunked, or
  // none), which Parse reads as usual.
  bool StreamBody();
  // After kHeader: the body has a Content-Length and at least one byte.
  bool HasLengthBody() const;
  bool streaming() const;
  uint64_t body_left() const;
  void BodyConsumed(uint64_t bytes);

  // A request has begun (some bytes consumed or buffered) but is not done.
  bool in_progress() const;
  bool header_done() const;

 private:
  struct Impl;
  std::unique_ptr<Impl> impl_;
};

}  // namespace sela::net
