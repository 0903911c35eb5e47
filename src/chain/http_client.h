// An outgoing HTTP/1.1 client (plain or TLS) for the IC agent.
//
// Threading model (docs/CHAIN.md, "Threads"): the client is blocking and runs
// only on the agent's worker threads (chain/executor.h), never on the event
// loop; results reach the loop through the executor's poster. Send() is
// thread-safe: each call takes an idle keep-alive connection from a bounded
// pool or opens one, and gives it back when the response was complete.
//
// Every wait is bounded (connect, whole request), and so is every size (head,
// body). TLS verifies the server's certificate chain against the system's
// trust store (or CA file) and its host name; TLS 1.2 at least.
//
// Errors: Unavailable (connect refused, reset, TLS failure: retry later),
// DeadlineExceeded (a timeout), ResourceExhausted (response over a limit),
// InvalidArgument (bad URL). An HTTP error status is a response, not an error.
#pragma once

#include <cstdint>
#include <memory>
#include <mutex>
#include <string>
#include <string_view>
#include <vector>

#include "core/clock.h"
#include "core/status.h"

typedef struct ssl_ctx_st SSL_CTX;

namespace sela::chain {

struct Url {
  bool tls = true;
  std::string host;
  uint16_t port = 443;
  std::string base_path;  // Without a trailing slash; "" for the root.
  // http://host[:port][/base] or https://...; anything else is InvalidArgument.
  static Result<Url> Parse(std::string_view text);
};

struct HttpRequest {
  std::string method = "POST";
  std::string path;  // Appended to the base path, e.g. /api/v3/canister/<id>/call.
  std::string content_type = "application/cbor";
  std::string body;
};

struct HttpResponse {
  int status = 0;
  std::string content_type;
  std::string body;
};

// What the agent needs from a transport; tests may substitute one.
class HttpTransport {
 public:
  virtual ~HttpTransport() = default;
  // Blocking; thread-safe.
  virtual Result<HttpResponse> Send(const HttpRequest& request) = 0;
};

struct HttpClientOptions {
  int connect_timeout_ms = 10'000;
  int request_timeout_ms = 60'000;  // Whole exchange, including the v3 call's wait.
  size_t header_bytes_max = 16 * 1024;
  size_t body_bytes_max = 8 << 20;  // Query replies are at most 3 MiB.
  size_t idle_connections_max = 16;
  std::string ca_file;  // Empty: the system trust store.
  const Clock* clock = nullptr;  // Deadlines; null: the system clock. Must outlive the client.
};

class HttpClient final : public HttpTransport {
 public:
  static Result<std::unique_ptr<HttpClient>> Create(const Url& base, const HttpClientOptions& options);
  ~HttpClient() override;

  Result<HttpResponse> Send(const HttpRequest& request) override;

  class Connection;

 private:
  HttpClient(Url base, HttpClientOptions options, SSL_CTX* ctx);
  Result<std::unique_ptr<Connection>> Open(int64_t deadline_ms);
  const Clock& clock() const;
  Result<HttpResponse> Exchange(Connection& c, const std::string& head, const std::string& body,
                                int64_t deadline_ms, bool* reusable);

  const Url base_;
  const HttpClientOptions options_;
  SSL_CTX* ctx_;  // Null for plain HTTP.
  std::mutex mu_;
  std::vector<std::unique_ptr<Connection>> idle_;  // Guarded by mu_.
};

// Parses a response head and body as bytes arrive (exposed for tests and the
// fuzz target). Content-Length, chunked, or until close.
class HttpResponseParser {
 public:
  HttpResponseParser(size_t header_bytes_max, size_t body_bytes_max)
      : header_max_(header_bytes_max), body_max_(body_bytes_max) {}
  enum class State : uint8_t { kNeedMore, kDone, kError };
  State Feed(std::string_view bytes);
  // The peer closed: completes a read-until-close body.
  State Close();
  const HttpResponse& response() const { return response_; }
  bool keep_alive() const { return keep_alive_; }
  const Status& error() const { return error_; }

 private:
  State Fail(Status s);
  State ParseHead();
  State ParseBody();
  State ParseChunks();

  size_t header_max_, body_max_;
  std::string buffer_;
  bool head_done_ = false;
  bool chunked_ = false;
  bool until_close_ = false;
  bool keep_alive_ = true;
  size_t content_length_ = 0;
  State state_ = State::kNeedMore;
  Status error_;
  HttpResponse response_;
};

}  // namespace sela::chain
