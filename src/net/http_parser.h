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
    uint64_t body_bytes_max = 16 * 1024 * 1024;
  };
  enum class Outcome { kNeedMore, kRequest, kError };
  struct Error {
    unsigned status = 400;      // 400, 413 or 431.
    std::string message;        // For the response body.
    const char* reason = "";    // Metric label: bad_request, body_too_large, header_too_large.
  };

  HttpRequestParser();
  ~HttpRequestParser();

  // Consumes a prefix of `in` (erasing it). On kRequest, *request holds the
  // request and the parser is ready for the next one; the rest of `in` may
  // hold pipelined bytes. On kError the parser must not be used again.
  Outcome Parse(std::string& in, const Limits& limits, HttpRequest* request, Error* error);

  // A request has begun (some bytes consumed or buffered) but is not done.
  bool in_progress() const;
  bool header_done() const;

 private:
  struct Impl;
  std::unique_ptr<Impl> impl_;
};

}  // namespace sela::net
