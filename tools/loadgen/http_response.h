// The client side of HTTP/1.1 as the jobs scenario needs it: finding where
// one response ends on a keep-alive connection.
//
// Deliberately small: a status line, headers, and a body framed by
// Content-Length. That is what a JSON API answers with; a response framed
// any other way (chunked, or "read until close") is reported as an error
// rather than half-supported, so a server that starts sending one shows up
// in the error counts. Pure functions, no I/O, no allocation.
#pragma once

#include <cstddef>
#include <string_view>

namespace loadgen {

// A response head (status line and headers) larger than this is an error.
inline constexpr size_t kHttpHeadBytesMax = 16 * 1024;

enum class HttpParseStatus { kNeedMore, kHead, kError };

struct HttpResponseHead {
  int status = 0;
  size_t head_bytes = 0;      // Status line, headers and the blank line.
  size_t body_bytes = 0;      // From Content-Length (always 0 for 204 and 304).
  bool close = false;         // The server closes after this response.

  size_t total_bytes() const { return head_bytes + body_bytes; }
};

struct HttpParseResult {
  HttpParseStatus status = HttpParseStatus::kNeedMore;
  HttpResponseHead head;
  // kError: static text usable as an error-counter name ("http_bad_status_line").
  std::string_view error;
};

// Parses the response head at the start of `data`. kHead once the whole head
// is there (the body may still be incomplete: the response is complete when
// data.size() >= head.total_bytes()). `close` is set for "Connection: close"
// and for HTTP/1.0 without "Connection: keep-alive". Interim 1xx responses
// are errors: this client never asks for one.
HttpParseResult ParseHttpResponseHead(std::string_view data);

}  // namespace loadgen
