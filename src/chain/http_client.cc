#include "chain/http_client.h"

#include <arpa/inet.h>
#include <fcntl.h>
#include <netdb.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <openssl/err.h>
#include <openssl/ssl.h>
#include <openssl/x509v3.h>
#include <poll.h>
#include <sys/socket.h>
#include <unistd.h>

#include <array>
#include <cerrno>
#include <chrono>
#include <cstring>

namespace sela::chain {
namespace {

// Deadlines are milliseconds on the clock's monotonic reading.
int64_t NowMs(const Clock& clock) {
  return std::chrono::duration_cast<std::chrono::milliseconds>(clock.Now().time_since_epoch()).count();
}

// Waits until fd is ready for events or the deadline passes.
Status WaitFor(const Clock& clock, int fd, short events, int64_t deadline_ms) {
  while (true) {
    const int64_t left = deadline_ms - NowMs(clock);
    if (left <= 0) return DeadlineExceeded("HTTP: timed out");
    pollfd p{fd, events, 0};
    const int r = ::poll(&p, 1, static_cast<int>(std::min<int64_t>(left, 1 << 30)));
    if (r > 0) return Status::Ok();
    if (r < 0 && errno != EINTR) return Unavailable(std::string("HTTP: poll: ") + std::strerror(errno));
  }
}

std::string TlsError() {
  const unsigned long e = ERR_get_error();
  ERR_clear_error();
  if (e == 0) return "TLS failure";
  std::array<char, 256> buf{};
  ERR_error_string_n(e, buf.data(), buf.size());
  return buf.data();
}

}  // namespace

// One TCP (and maybe TLS) connection, used by one thread at a time.
class HttpClient::Connection {
 public:
  Connection(const Clock& clock, int fd, SSL* ssl) : clock_(clock), fd_(fd), ssl_(ssl) {}
  ~Connection() {
    if (ssl_ != nullptr) SSL_free(ssl_);
    ::close(fd_);
  }
  Connection(const Connection&) = delete;
  Connection& operator=(const Connection&) = delete;

  Status Handshake(int64_t deadline_ms) {
    while (true) {
      const int r = SSL_connect(ssl_);
      if (r == 1) return Status::Ok();
      const int err = SSL_get_error(ssl_, r);
      if (err == SSL_ERROR_WANT_READ) {
        RETURN_IF_ERROR(WaitFor(clock_, fd_, POLLIN, deadline_ms));
      } else if (err == SSL_ERROR_WANT_WRITE) {
        RETURN_IF_ERROR(WaitFor(clock_, fd_, POLLOUT, deadline_ms));
      } else {
        return Unavailable("HTTP: TLS handshake: " + TlsError());
      }
    }
  }

  Status WriteAll(std::string_view data, int64_t deadline_ms) {
    while (!data.empty()) {
      ssize_t n;
      if (ssl_ != nullptr) {
        const int r = SSL_write(ssl_, data.data(), static_cast<int>(std::min<size_t>(data.size(), 1 << 30)));
        if (r <= 0) {
          const int err = SSL_get_error(ssl_, r);
          if (err == SSL_ERROR_WANT_READ || err == SSL_ERROR_WANT_WRITE) {
            RETURN_IF_ERROR(WaitFor(clock_, fd_, err == SSL_ERROR_WANT_READ ? POLLIN : POLLOUT, deadline_ms));
            continue;
          }
          return Unavailable("HTTP: TLS write: " + TlsError());
        }
        n = r;
      } else {
        n = ::send(fd_, data.data(), data.size(), MSG_NOSIGNAL);
        if (n < 0) {
          if (errno == EAGAIN || errno == EINTR) {
            RETURN_IF_ERROR(WaitFor(clock_, fd_, POLLOUT, deadline_ms));
            continue;
          }
          return Unavailable(std::string("HTTP: send: ") + std::strerror(errno));
        }
      }
      data.remove_prefix(static_cast<size_t>(n));
    }
    return Status::Ok();
  }

  // Reads some bytes; 0 means the peer closed.
  Result<size_t> ReadSome(char* buf, size_t cap, int64_t deadline_ms) {
    while (true) {
      if (ssl_ != nullptr) {
        const int r = SSL_read(ssl_, buf, static_cast<int>(cap));
        if (r > 0) return static_cast<size_t>(r);
        const int err = SSL_get_error(ssl_, r);
        if (err == SSL_ERROR_ZERO_RETURN) return size_t{0};
        if (err == SSL_ERROR_WANT_READ || err == SSL_ERROR_WANT_WRITE) {
          RETURN_IF_ERROR(WaitFor(clock_, fd_, err == SSL_ERROR_WANT_READ ? POLLIN : POLLOUT, deadline_ms));
          continue;
        }
        if (err == SSL_ERROR_SYSCALL && ERR_peek_error() == 0) return size_t{0};  // EOF without close_notify.
        return Err(Unavailable("HTTP: TLS read: " + TlsError()));
      }
      const ssize_t n = ::recv(fd_, buf, cap, 0);
      if (n >= 0) return static_cast<size_t>(n);
      if (errno == EAGAIN || errno == EINTR) {
        RETURN_IF_ERROR(WaitFor(clock_, fd_, POLLIN, deadline_ms));
        continue;
      }
      return Err(Unavailable(std::string("HTTP: recv: ") + std::strerror(errno)));
    }
  }

  // An idle keep-alive connection the server has closed reads as ready.
  bool StillOpen() const {
    pollfd p{fd_, POLLIN, 0};
    return ::poll(&p, 1, 0) == 0;
  }

 private:
  const Clock& clock_;
  int fd_;
  SSL* ssl_;
};

HttpClient::HttpClient(Url base, HttpClientOptions options, SSL_CTX* ctx)
    : base_(std::move(base)), options_(std::move(options)), ctx_(ctx) {}

const Clock& HttpClient::clock() const { return ClockOrSystem(options_.clock); }

HttpClient::~HttpClient() {
  idle_.clear();
  if (ctx_ != nullptr) SSL_CTX_free(ctx_);
}

Result<std::unique_ptr<HttpClient>> HttpClient::Create(const Url& base, const HttpClientOptions& options) {
  SSL_CTX* ctx = nullptr;
  if (base.tls) {
    ctx = SSL_CTX_new(TLS_client_method());
    if (ctx == nullptr) return Err(Internal("HTTP: cannot create a TLS context: " + TlsError()));
    SSL_CTX_set_min_proto_version(ctx, TLS1_2_VERSION);
    SSL_CTX_set_verify(ctx, SSL_VERIFY_PEER, nullptr);
    const int ok = options.ca_file.empty() ? SSL_CTX_set_default_verify_paths(ctx)
                                           : SSL_CTX_load_verify_locations(ctx, options.ca_file.c_str(), nullptr);
    if (ok != 1) {
      SSL_CTX_free(ctx);
      return Err(InvalidArgument("HTTP: cannot load the CA certificates " + options.ca_file));
    }
  }
  return std::unique_ptr<HttpClient>(new HttpClient(base, options, ctx));
}

Result<std::unique_ptr<HttpClient::Connection>> HttpClient::Open(int64_t deadline_ms) {
  addrinfo hints{};
  hints.ai_family = AF_UNSPEC;
  hints.ai_socktype = SOCK_STREAM;
  addrinfo* list = nullptr;
  const std::string port = std::to_string(base_.port);
  if (const int rc = ::getaddrinfo(base_.host.c_str(), port.c_str(), &hints, &list); rc != 0) {
    return Err(Unavailable("HTTP: cannot resolve " + base_.host + ": " + gai_strerror(rc)));
  }
  Status last = Unavailable("HTTP: no address for " + base_.host);
  int fd = -1;
  for (addrinfo* a = list; a != nullptr && fd < 0; a = a->ai_next) {
    const int s = ::socket(a->ai_family, a->ai_socktype | SOCK_NONBLOCK | SOCK_CLOEXEC, a->ai_protocol);
    if (s < 0) continue;
    if (::connect(s, a->ai_addr, a->ai_addrlen) == 0 || errno == EINPROGRESS) {
      const int64_t connect_deadline = std::min(deadline_ms, NowMs(clock()) + options_.connect_timeout_ms);
      Status w = WaitFor(clock(), s, POLLOUT, connect_deadline);
      int err = 0;
      socklen_t len = sizeof(err);
      if (w.ok() && ::getsockopt(s, SOL_SOCKET, SO_ERROR, &err, &len) == 0 && err == 0) {
        fd = s;
        break;
      }
      last = w.ok() ? Unavailable("HTTP: connect to " + base_.host + ": " + std::strerror(err)) : w;
    } else {
      last = Unavailable("HTTP: connect to " + base_.host + ": " + std::strerror(errno));
    }
    ::close(s);
  }
  ::freeaddrinfo(list);
  if (fd < 0) return Err(last);
  const int one = 1;
  ::setsockopt(fd, IPPROTO_TCP, TCP_NODELAY, &one, sizeof(one));
  SSL* ssl = nullptr;
  if (ctx_ != nullptr) {
    // An IP literal is checked against the certificate's IP addresses and
    // sends no SNI (RFC 6066); a name is checked against its DNS names.
    in6_addr any;
    const bool ip = ::inet_pton(AF_INET, base_.host.c_str(), &any) == 1 || ::inet_pton(AF_INET6, base_.host.c_str(), &any) == 1;
    ssl = SSL_new(ctx_);
    const bool named = ip ? X509_VERIFY_PARAM_set1_ip_asc(SSL_get0_param(ssl), base_.host.c_str()) == 1
                          : SSL_set_tlsext_host_name(ssl, base_.host.c_str()) == 1 &&
                                SSL_set1_host(ssl, base_.host.c_str()) == 1;
    if (ssl == nullptr || SSL_set_fd(ssl, fd) != 1 || !named) {
      if (ssl != nullptr) SSL_free(ssl);
      ::close(fd);
      return Err(Internal("HTTP: cannot set up TLS: " + TlsError()));
    }
  }
  auto c = std::make_unique<Connection>(clock(), fd, ssl);
  if (ssl != nullptr) RETURN_IF_ERROR(c->Handshake(deadline_ms));
  return c;
}

Result<HttpResponse> HttpClient::Exchange(Connection& c, const std::string& head, const std::string& body,
                                          int64_t deadline_ms, bool* reusable) {
  *reusable = false;
  RETURN_IF_ERROR(c.WriteAll(head, deadline_ms));
  RETURN_IF_ERROR(c.WriteAll(body, deadline_ms));
  HttpResponseParser parser(options_.header_bytes_max, options_.body_bytes_max);
  std::array<char, 16384> buf;
  HttpResponseParser::State state = HttpResponseParser::State::kNeedMore;
  while (state == HttpResponseParser::State::kNeedMore) {
    ASSIGN_OR_RETURN(const size_t n, c.ReadSome(buf.data(), buf.size(), deadline_ms));
    state = n == 0 ? parser.Close() : parser.Feed(std::string_view(buf.data(), n));
  }
  if (state == HttpResponseParser::State::kError) return Err(parser.error());
  *reusable = parser.keep_alive();
  return parser.response();
}

Result<HttpResponse> HttpClient::Send(const HttpRequest& request) {
  const int64_t deadline_ms = NowMs(clock()) + options_.request_timeout_ms;
  std::string head = request.method + " " + base_.base_path + request.path + " HTTP/1.1\r\nHost: " + base_.host;
  if (base_.port != (base_.tls ? 443 : 80)) head += ":" + std::to_string(base_.port);
  head += "\r\nUser-Agent: sela-server\r\nAccept: application/cbor\r\nContent-Type: " + request.content_type +
          "\r\nContent-Length: " + std::to_string(request.body.size()) + "\r\n\r\n";
  // A pooled connection the server closed meanwhile fails at once; then one
  // fresh connection is tried. Resending is safe: IC requests are
  // idempotent by request id.
  for (int attempt = 0; attempt < 2; ++attempt) {
    std::unique_ptr<Connection> c;
    bool pooled = false;
    {
      std::lock_guard<std::mutex> lock(mu_);
      while (!idle_.empty() && !c) {
        c = std::move(idle_.back());
        idle_.pop_back();
        if (!c->StillOpen()) c.reset();
      }
      pooled = c != nullptr;
    }
    if (!c) {
      ASSIGN_OR_RETURN(c, Open(deadline_ms));
    }
    bool reusable = false;
    Result<HttpResponse> r = Exchange(*c, head, request.body, deadline_ms, &reusable);
    if (!r.has_value()) {
      if (pooled && r.error().code() == Code::kUnavailable) continue;
      return r;
    }
    if (reusable) {
      std::lock_guard<std::mutex> lock(mu_);
      if (idle_.size() < options_.idle_connections_max) idle_.push_back(std::move(c));
    }
    return r;
  }
  return Err(Unavailable("HTTP: connection failed"));
}

}  // namespace sela::chain
