// HttpRequestParser: bytes in, one HttpRequest (or a status to fail with)
// out. Built on Beast's basic_parser with our limits and RFC 9112's framing
// rules; pure (no sockets), so the connection code and the fuzz target share
// it.
//
// What it decides, and when:
// - the body limit of a request when its request line arrives (the caller's
//   BodyLimitFn, from the route table), so a Content-Length above it is a 413
//   before any body byte is read, and a chunked body is cut off as soon as its
//   chunks pass it;
// - framing when the header is complete (RFC 9112 §6): a Transfer-Encoding
//   whose final coding is not `chunked`, Transfer-Encoding with
//   Content-Length, two Content-Length fields, Transfer-Encoding in HTTP/1.0,
//   a missing or repeated Host in HTTP/1.1, an Expect other than
//   100-continue: each an error, after which the connection must close;
// - a cap on unconsumed input in every state: the request line and header
//   (header_bytes_max), and in a chunked body the chunk-size line with its
//   extensions and the trailer section (header_bytes_max too).
// A request with a body stops at kHeader once its header is complete, so the
// caller can answer `100 Continue` and find room for the body in its memory
// budget before the body is read; the next Parse() reads the body.
#pragma once

#include <cstdint>
#include <functional>
#include <memory>
#include <string>
#include <string_view>

#include "net/http_types.h"

namespace sela::net {

// The body limit of a request, from its method and path (without query).
using BodyLimitFn = std::function<uint64_t(std::string_view method, std::string_view path)>;

class HttpRequestParser {
 public:
  struct Limits {
    uint32_t header_bytes_max = 16 * 1024;
    // Used when body_limit_for is null.
    uint64_t body_bytes_max = 64 * 1024;
    const BodyLimitFn* body_limit_for = nullptr;
  };
  enum class Outcome {
    kNeedMore,
    kHeader,   // Header complete, a body follows: call Parse() again to read it.
    kRequest,
    kError,
  };
  struct Error {
    unsigned status = 400;      // 400, 413, 417, 431 or 501.
    std::string message;        // For the response body.
    const char* reason = "";    // Metric label (sela_http_errors_total).
  };

  HttpRequestParser();
  ~HttpRequestParser();

  // Consumes a prefix of `in` (*used bytes; the caller keeps the rest for
  // the next call). On kRequest, *request holds the request and the parser
  // is ready for the next one; the rest of `in` may hold pipelined bytes. On
  // kError the parser must not be used again. Not while streaming().
  Outcome Parse(std::string_view in, size_t* used, const Limits& limits, HttpRequest* request, Error* error);
  // The same on a string, erasing what was consumed.
  Outcome Parse(std::string& in, const Limits& limits, HttpRequest* request, Error* error);

  // A request has begun (some bytes consumed or buffered) but is not done.
  bool in_progress() const;
  bool header_done() const;
  // After kHeader: the request asked for `100 Continue`.
  bool expects_continue() const;
  // After kHeader: the most body bytes still to come (the rest of the
  // Content-Length, or what the body limit leaves for a chunked body).
  uint64_t body_bytes_remaining() const;
  // Bytes held for the request being parsed (header fields and body).
  uint64_t held_bytes() const;
  // What held_bytes() will be once the body is complete, as far as the
  // header tells (Content-Length, or the body limit for a chunked body).
  uint64_t need_bytes() const;
  // Allocates the rest of a Content-Length body at once, so that it grows
  // without reallocating (call once the memory is granted; a chunked body
  // grows as it comes).
  void ReserveKnownBody();

  // After kHeader: the request's head (method, target, path, headers; no
  // body yet), for routing before the body is read.
  HttpRequest* head();
  // After kHeader, for a body with a Content-Length (true): the parser
  // steps aside and the caller takes body_left() bytes from the input
  // itself (BodyConsumed); when none are left the request is over and the
  // parser is ready for the next one. False for other bodies (chunked),
  // which Parse reads as usual. The body limit of the request line holds:
  // a Content-Length past it was a 413 before kHeader.
  bool StreamBody();
  // After kHeader: the body has a Content-Length and at least one byte.
  bool HasLengthBody() const;
  bool streaming() const;
  uint64_t body_left() const;
  void BodyConsumed(uint64_t bytes);

 private:
  class Impl;
  std::unique_ptr<Impl> impl_;
};

}  // namespace sela::net
