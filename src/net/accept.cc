// Listening and accepting: bind every address HOST names, accept until the
// socket would block, refuse at once (503, close) past the connection limit,
// a source's limit or into the reserved slots from a crowded source, and
// pause (never crash) at the descriptor limit, resuming soon after.
#include <arpa/inet.h>
#include <netdb.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <sys/resource.h>
#include <sys/socket.h>
#include <unistd.h>

#include <algorithm>
#include <cerrno>
#include <cstring>
#include <spdlog/spdlog.h>

#include "net/server_impl.h"

namespace sela::net {

namespace {

bool IsFdExhaustion(int err) { return err == EMFILE || err == ENFILE || err == ENOBUFS || err == ENOMEM; }

struct Endpoint {
  sockaddr_storage address{};
  socklen_t size = 0;
  bool operator==(const Endpoint& o) const {
    return size == o.size && std::memcmp(&address, &o.address, size) == 0;
  }
};

std::string AddressText(const sockaddr_storage& a) {
  char text[INET6_ADDRSTRLEN] = "?";
  if (a.ss_family == AF_INET) {
    inet_ntop(AF_INET, &reinterpret_cast<const sockaddr_in&>(a).sin_addr, text, sizeof text);
  } else if (a.ss_family == AF_INET6) {
    inet_ntop(AF_INET6, &reinterpret_cast<const sockaddr_in6&>(a).sin6_addr, text, sizeof text);
  }
  return text;
}

uint16_t PortOf(const sockaddr_storage& a) {
  if (a.ss_family == AF_INET) return ntohs(reinterpret_cast<const sockaddr_in&>(a).sin_port);
  return ntohs(reinterpret_cast<const sockaddr_in6&>(a).sin6_port);
}

void SetPort(sockaddr_storage& a, uint16_t port) {
  if (a.ss_family == AF_INET) {
    reinterpret_cast<sockaddr_in&>(a).sin_port = htons(port);
  } else {
    reinterpret_cast<sockaddr_in6&>(a).sin6_port = htons(port);
  }
}

bool IsUnspecified(const sockaddr_storage& a) {
  if (a.ss_family == AF_INET) return reinterpret_cast<const sockaddr_in&>(a).sin_addr.s_addr == INADDR_ANY;
  return IN6_IS_ADDR_UNSPECIFIED(&reinterpret_cast<const sockaddr_in6&>(a).sin6_addr);
}

// The addresses HOST names: a literal, or what the resolver returns for it
// (passive, so the wildcard addresses are allowed).
Result<std::vector<Endpoint>> Resolve(const std::string& host, uint16_t port) {
  std::vector<Endpoint> out;
  Endpoint e;
  auto& v4 = reinterpret_cast<sockaddr_in&>(e.address);
  auto& v6 = reinterpret_cast<sockaddr_in6&>(e.address);
  if (inet_pton(AF_INET, host.c_str(), &v4.sin_addr) == 1) {
    v4.sin_family = AF_INET;
    v4.sin_port = htons(port);
    e.size = sizeof(sockaddr_in);
    out.push_back(e);
    return out;
  }
  if (inet_pton(AF_INET6, host.c_str(), &v6.sin6_addr) == 1) {
    v6.sin6_family = AF_INET6;
    v6.sin6_port = htons(port);
    e.size = sizeof(sockaddr_in6);
    out.push_back(e);
    return out;
  }
  addrinfo hints{};
  hints.ai_family = AF_UNSPEC;
  hints.ai_socktype = SOCK_STREAM;
  hints.ai_flags = AI_PASSIVE | AI_NUMERICSERV;
  addrinfo* results = nullptr;
  const std::string service = std::to_string(port);
  if (int rc = getaddrinfo(host.c_str(), service.c_str(), &hints, &results); rc != 0) {
    return std::unexpected(InvalidArgument("HOST: cannot resolve \"" + host + "\": " + gai_strerror(rc)));
  }
  for (addrinfo* r = results; r != nullptr; r = r->ai_next) {
    if (r->ai_family != AF_INET && r->ai_family != AF_INET6) continue;
    Endpoint found;
    std::memcpy(&found.address, r->ai_addr, r->ai_addrlen);
    found.size = static_cast<socklen_t>(r->ai_addrlen);
    if (std::find(out.begin(), out.end(), found) == out.end()) out.push_back(found);
  }
  freeaddrinfo(results);
  if (out.empty()) return std::unexpected(InvalidArgument("HOST: \"" + host + "\" names no IPv4 or IPv6 address"));
  return out;
}

size_t RaiseFdLimit() {
  rlimit rl{};
  if (getrlimit(RLIMIT_NOFILE, &rl) != 0) return 1024;
  if (rl.rlim_cur < rl.rlim_max) {
    rl.rlim_cur = rl.rlim_max;
    setrlimit(RLIMIT_NOFILE, &rl);
    getrlimit(RLIMIT_NOFILE, &rl);
  }
  return static_cast<size_t>(rl.rlim_cur);
}

}  // namespace

Status ServerImpl::Listen() {
  if (!config_.tls_cert_file.empty()) {
    auto tls = TlsContext::Create(config_.tls_cert_file, config_.tls_key_file);
    if (!tls) return tls.error();
    tls_ = std::move(*tls);
    plain_buffer_.reset(new uint8_t[kReadBufferBytes]);
  }
  auto endpoints = Resolve(config_.host, config_.port);
  if (!endpoints) return endpoints.error();
  for (Endpoint& e : *endpoints) {
    if (port_ != 0) SetPort(e.address, port_);
    // "::" alone serves IPv4 too; next to an IPv4 address it must not.
    const bool v6_only = !(IsUnspecified(e.address) && endpoints->size() == 1);
    if (Status st = ListenOn(e.address, e.size, v6_only); !st.ok()) return st;
  }
  const size_t fd_limit = RaiseFdLimit();
  // Keep descriptors for the store, logs and listeners.
  const size_t by_fds = fd_limit > 128 ? fd_limit - 64 : fd_limit / 2;
  max_connections_ = config_.max_connections ? std::min<size_t>(config_.max_connections, by_fds) : by_fds;
  // The reserve is at most a quarter of the slots, so a small limit keeps
  // most of them for ordinary connections.
  reserve_start_ = max_connections_ - std::min<size_t>(config_.reserved_connections, max_connections_ / 4);
  for (size_t i = 0; i < acceptors_.size(); ++i) AcceptSome(i);
  loop_.RunEvery(wheel_.tick(), [this] { Tick(); });
  return Status::Ok();
}

Status ServerImpl::ListenOn(const sockaddr_storage& address, socklen_t size, bool v6_only) {
  auto fail = [&](int fd, const char* step) {
    const int err = errno;
    if (fd >= 0) ::close(fd);
    return Unavailable("cannot listen on " + AddressText(address) + ":" + std::to_string(PortOf(address)) +
                       ": " + step + ": " + std::strerror(err));
  };
  const int fd = ::socket(address.ss_family, SOCK_STREAM | SOCK_NONBLOCK | SOCK_CLOEXEC, 0);
  if (fd < 0) return fail(fd, "socket");
  const int one = 1;
  const int v6 = v6_only ? 1 : 0;
  if (::setsockopt(fd, SOL_SOCKET, SO_REUSEADDR, &one, sizeof one) != 0) return fail(fd, "SO_REUSEADDR");
  // Only a port that was asked for is shared: bound to port 0 with
  // SO_REUSEPORT, the kernel may hand out a port another process's
  // listener already serves, and connections would go to either.
  const bool share = config_.reuse_port && PortOf(address) != 0;
  if (share && ::setsockopt(fd, SOL_SOCKET, SO_REUSEPORT, &one, sizeof one) != 0) {
    return fail(fd, "SO_REUSEPORT");
  }
  if (address.ss_family == AF_INET6 && ::setsockopt(fd, IPPROTO_IPV6, IPV6_V6ONLY, &v6, sizeof v6) != 0) {
    return fail(fd, "IPV6_V6ONLY");
  }
  if (::bind(fd, reinterpret_cast<const sockaddr*>(&address), size) != 0) return fail(fd, "bind");
  if (::listen(fd, SOMAXCONN) != 0) return fail(fd, "listen");
  sockaddr_storage bound{};
  socklen_t bound_size = sizeof bound;
  if (::getsockname(fd, reinterpret_cast<sockaddr*>(&bound), &bound_size) != 0) return fail(fd, "getsockname");
  if (int err = loop_.Watch(fd, EPOLLIN, this, kAcceptorToken | acceptors_.size()); err != 0) {
    errno = err;
    return fail(fd, "epoll_ctl");
  }
  port_ = PortOf(bound);
  acceptors_.push_back(fd);
  return Status::Ok();
}

void ServerImpl::ResumeAccepting() {
  if (!accept_paused_ || draining_) return;
  accept_paused_ = false;
  for (size_t i = 0; i < acceptors_.size(); ++i) AcceptSome(i);
}

uint32_t ServerImpl::AllocSlot() {
  if (free_slots_.empty()) {
    Connection* chunk = std::allocator<Connection>().allocate(kChunk);
    for (uint32_t i = 0; i < kChunk; ++i) new (&chunk[i]) Connection();
    chunks_.push_back(chunk);
    for (uint32_t i = kChunk; i > 0; --i) free_slots_.push_back(slot_count_ + i - 1);
    slot_count_ += kChunk;
    slot_source_.resize(slot_count_, 0);
  }
  const uint32_t idx = free_slots_.back();
  free_slots_.pop_back();
  return idx;
}

void ServerImpl::AcceptSome(size_t ai) {
  // The acceptor is edge-triggered: accept until it would block, or hand
  // the rest to a later pass of the loop so others get served too.
  for (int i = 0; i < 64; ++i) {
    if (draining_ || acceptors_[ai] < 0) return;
    sockaddr_storage peer{};
    socklen_t peer_size = sizeof peer;
    const int fd = ::accept4(acceptors_[ai], reinterpret_cast<sockaddr*>(&peer), &peer_size,
                             SOCK_NONBLOCK | SOCK_CLOEXEC);
    if (fd < 0) {
      const int err = errno;
      if (err == EAGAIN || err == EWOULDBLOCK) return;  // The next connection is a new edge.
      if (IsFdExhaustion(err)) {
        // Out of descriptors: keep serving who is connected, try again soon.
        m_.accept_paused->Inc();
        accept_paused_ = true;
        spdlog::warn("accept paused: {}", std::strerror(err));
        loop_.RunAfter(Millis(100), [this] { ResumeAccepting(); });
        return;
      }
      continue;  // The peer gave up (ECONNABORTED) or similar: next one.
    }
    const SourceKey source = SourceOf(peer);
    bool reserve_slot = false;
    if (const char* refusal = RefusalOf(source, &reserve_slot)) {
      Refuse(fd, refusal);
      continue;
    }
    Adopt(fd, source, reserve_slot);
  }
  loop_.Post([this, ai] { AcceptSome(ai); });
}

const char* ServerImpl::RefusalOf(SourceKey source, bool* reserve_slot) const {
  if (open_ >= max_connections_) return "limit";
  const uint32_t from_source = sources_.Count(source);
  if (config_.max_connections_per_source && from_source >= config_.max_connections_per_source) return "source";
  if (open_ >= reserve_start_) {
    // The reserve: for sources with few connections (health checks,
    // operators, customers), never for the source of a flood.
    if (from_source >= kReserveSourceConnectionsMax) return "reserve";
    *reserve_slot = true;
  }
  return nullptr;
}

void ServerImpl::Refuse(int fd, const char* reason) {
  // The client learns at once instead of waiting in the backlog. Nothing
  // was read, so closing sends FIN, not a reset that could lose the answer.
  static constexpr std::string_view kRefusal =
      "HTTP/1.1 503 Service Unavailable\r\nContent-Type: application/json; charset=utf-8\r\n"
      "Retry-After: 1\r\nContent-Length: 62\r\nConnection: close\r\n\r\n"
      "{\"success\":false,\"message\":\"Too many connections\",\"data\":null}";
  (void)::send(fd, kRefusal.data(), kRefusal.size(), MSG_NOSIGNAL | MSG_DONTWAIT);
  ::close(fd);
  RefusedCounter(reason).Inc();
}

void ServerImpl::Adopt(int fd, SourceKey source, bool reserve_slot) {
  const int one = 1;
  ::setsockopt(fd, IPPROTO_TCP, TCP_NODELAY, &one, sizeof one);
  const uint32_t idx = AllocSlot();
  Connection& c = slot(idx);
  const uint64_t token = (uint64_t{c.generation} << 32) | idx;
  if (loop_.Watch(fd, EPOLLIN | EPOLLOUT | EPOLLRDHUP, this, token) != 0) {
    ::close(fd);
    free_slots_.push_back(idx);
    return;
  }
  c.fd = fd;
  slot_source_[idx] = source;
  sources_.Add(source);
  if (reserve_slot) c.flags |= conn_flag::kReserveSlot;
  if (tls_) {
    tls_by_slot_[idx] = std::make_unique<TlsSession>(*tls_);
    c.flags |= conn_flag::kTls;
  }
  c.state = ConnState::kHttp;
  ++open_;
  m_.accepted->Inc();
  m_.open_http->Add(1);
  wheel_.Schedule(idx, clock_.Now() + Millis(config_.ws_handshake_timeout_ms));
  // Bytes that came with the connection are an edge epoll reports.
}

}  // namespace sela::net
