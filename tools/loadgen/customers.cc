// Customers, part 1: sockets, epoll, connection lifecycle and the sweep.
// What travels over a connection (requests, responses, the schedule) is
// in customers_jobs.cc.
#include "customers.h"

#include <netinet/in.h>
#include <netinet/tcp.h>
#include <sys/socket.h>
#include <time.h>
#include <unistd.h>

#include <algorithm>
#include <cerrno>
#include <cstdio>

#include "engine.h"

namespace loadgen {
namespace {

constexpr size_t kReadBufferBytes = 256 * 1024;
constexpr int kReadsPerEventMax = 4;

}  // namespace

Customers::Customers(CustomersConfig config, WorkerReport& report)
    : config_(std::move(config)),
      report_(report),
      stats_(report.jobs),
      conns_(static_cast<size_t>(config_.connections) + 1),
      register_id_(static_cast<uint32_t>(config_.connections)),
      sent_ns_(static_cast<size_t>(config_.connections * config_.pipeline), 0),
      due_ns_(sent_ns_.size(), 0),
      read_buffer_(kReadBufferBytes) {
  ready_.reserve(conns_.size());
}

Customers::~Customers() {
  for (Conn& c : conns_) {
    if (c.fd >= 0) close(c.fd);
  }
}

std::expected<void, std::string> Customers::Init() {
  if (auto ok = poller_.Init(); !ok) return ok;
  now_ns_ = MonotonicNs();
  next_sweep_ns_ = now_ns_ + kSweepIntervalNs;
  return {};
}

void Customers::WatchAuxFd(int fd) { poller_.WatchAux(fd); }

bool Customers::Poll(int timeout_ms) {
  int64_t wait_ns = std::min<int64_t>(int64_t{timeout_ms} * 1'000'000, next_sweep_ns_ - now_ns_);
  // With no connection free, a due submission can only join the backlog, and
  // capacity only comes back through an event: waking for it would cost a
  // wakeup per submission for nothing. It is counted late right after the
  // wait, before the events that free connections are handled.
  uint32_t free_id = 0;
  if (submitting_ && open_loop() && PopReady(free_id)) {
    wait_ns = std::min(wait_ns, next_due_ns_ - now_ns_);
  }
  poller_.Wait(wait_ns);
  now_ns_ = MonotonicNs();
  RunSchedule();
  const bool aux_readable =
      poller_.Dispatch([this](uint32_t id, uint32_t events) { HandleEvent(id, events); });
  RunSchedule();
  if (now_ns_ >= next_sweep_ns_) Sweep();
  return aux_readable;
}

void Customers::BeginConnect() {
  now_ns_ = MonotonicNs();
  next_sweep_ns_ = now_ns_ + kSweepIntervalNs;
  unsettled_ = static_cast<int64_t>(conns_.size());
  StartConnect(register_id_);
  for (uint32_t id = 0; id < register_id_; ++id) StartConnect(id);
}

void Customers::StartConnect(uint32_t id) {
  Conn& c = conns_[id];
  ++c.attempts;
  c.since_ns = now_ns_;
  c.state = State::kConnecting;
  const Endpoints& ep = config_.endpoints;
  const int fd = socket(ep.target.ss_family, SOCK_STREAM | SOCK_NONBLOCK | SOCK_CLOEXEC, 0);
  if (fd < 0) return Fail(id, ErrnoReason("http_socket", errno));
  c.fd = fd;
  const int one = 1;
  if (ep.target.ss_family == AF_INET) {
    setsockopt(fd, IPPROTO_IP, IP_BIND_ADDRESS_NO_PORT, &one, sizeof(one));
  }
  setsockopt(fd, IPPROTO_TCP, TCP_NODELAY, &one, sizeof(one));
  const sockaddr_storage& source = ep.sources[next_source_++ % ep.sources.size()];
  if (bind(fd, reinterpret_cast<const sockaddr*>(&source), ep.source_bytes) != 0) {
    return Fail(id, ErrnoReason("http_bind", errno));
  }
  c.want_write = true;
  if (!poller_.Add(fd, id)) return Fail(id, ErrnoReason("http_epoll_ctl", errno));
  if (connect(fd, reinterpret_cast<const sockaddr*>(&ep.target), ep.target_bytes) != 0 &&
      errno != EINPROGRESS) {
    return Fail(id, ErrnoReason("http_connect", errno));
  }
}

void Customers::OnConnectDone(uint32_t id) {
  Conn& c = conns_[id];
  int err = 0;
  socklen_t len = sizeof(err);
  if (getsockopt(c.fd, SOL_SOCKET, SO_ERROR, &err, &len) != 0) err = errno;
  if (err != 0) return Fail(id, ErrnoReason("http_connect", err));
  c.state = State::kOpen;
  c.attempts = 0;
  UpdateEvents(id, false);
  if (id == register_id_) {
    Send(id, RegisterClientRequest(config_.endpoints.host_header, config_.uuid));
    return;
  }
  if (!c.ever_open) {
    c.ever_open = true;
    --unsettled_;
  } else {
    ++stats_.reconnects;
  }
  OnCapacity(id);
}

void Customers::HandleEvent(uint32_t id, uint32_t events) {
  const Conn& c = conns_[id];
  if (c.fd < 0) return;
  now_ns_ = MonotonicNs();
  if (c.state == State::kConnecting) return OnConnectDone(id);
  if ((events & EPOLLOUT) && !c.out.empty()) Flush(id);
  if (!(events & (EPOLLIN | EPOLLRDHUP | EPOLLHUP | EPOLLERR))) return;
  corked_ = id;
  ReadAvailable(id);
  corked_ = kNoConn;
  if (conns_[id].fd >= 0 && !conns_[id].out.empty() && !conns_[id].want_write) Flush(id);
}

void Customers::ReadAvailable(uint32_t id) {
  for (int i = 0; i < kReadsPerEventMax; ++i) {
    const ssize_t n = read(conns_[id].fd, read_buffer_.data(), read_buffer_.size());
    if (n > 0) {
      if (!Consume(id, std::string_view(read_buffer_.data(), static_cast<size_t>(n)))) return;
      if (static_cast<size_t>(n) < read_buffer_.size()) return;
      continue;
    }
    if (n < 0 && errno == EINTR) continue;
    if (n < 0 && errno == EAGAIN) return;
    return Fail(id, n == 0 ? std::string("http_server_eof") : ErrnoReason("http_read", errno));
  }
}

// Returns false once the connection is closed.
bool Customers::Consume(uint32_t id, std::string_view data) {
  Conn& c = conns_[id];
  size_t used = 0;
  if (c.in.empty()) {
    if (!ParseResponses(id, data, used)) return false;
    if (used < data.size()) conns_[id].in.assign(data.substr(used));
    return true;
  }
  c.in.append(data);
  // Parsing may send requests, but never touches `in`, so it can be read in place.
  if (!ParseResponses(id, c.in, used)) return false;
  conns_[id].in.erase(0, used);
  if (conns_[id].in.size() > kResponseBytesMax) {
    Fail(id, "http_response_too_large");
    return false;
  }
  return true;
}

void Customers::Sweep() {
  next_sweep_ns_ = now_ns_ + kSweepIntervalNs;
  const int64_t response_limit_ns = config_.timeout_ms * 1'000'000 + kResponseGraceNs;
  for (uint32_t id = 0; id < conns_.size(); ++id) {
    Conn& c = conns_[id];
    if (c.state == State::kConnecting && now_ns_ - c.since_ns > config_.connect_timeout_ns) {
      Fail(id, "http_connect_timeout");
    } else if (c.state == State::kBackoff && now_ns_ >= c.since_ns) {
      StartConnect(id);
    } else if (c.state == State::kOpen && c.outstanding > 0 && id != register_id_) {
      const size_t oldest = size_t{id} * static_cast<size_t>(config_.pipeline) + c.head;
      if (now_ns_ - sent_ns_[oldest] > response_limit_ns) Fail(id, "http_response_timeout");
    } else if (c.state == State::kOpen && id == register_id_ &&
               now_ns_ - c.since_ns > response_limit_ns) {
      Fail(id, "http_response_timeout");
    }
  }
}

void Customers::Send(uint32_t id, std::string_view bytes) {
  Conn& c = conns_[id];
  if (c.fd < 0) return;
  if (!c.out.empty() || id == corked_) {
    c.out.append(bytes);
    return;
  }
  ssize_t n = send(c.fd, bytes.data(), bytes.size(), MSG_NOSIGNAL);
  if (n < 0) {
    if (errno != EAGAIN && errno != EINTR) return;  // The read side sees the failure.
    n = 0;
  }
  if (static_cast<size_t>(n) == bytes.size()) return;
  c.out.assign(bytes.substr(static_cast<size_t>(n)));
  UpdateEvents(id, true);
}

void Customers::Flush(uint32_t id) {
  Conn& c = conns_[id];
  const ssize_t n = send(c.fd, c.out.data(), c.out.size(), MSG_NOSIGNAL);
  if (n > 0) {
    c.out.erase(0, static_cast<size_t>(n));
  } else if (n < 0 && errno != EAGAIN && errno != EINTR) {
    c.out.clear();  // The read side sees the failure.
  }
  UpdateEvents(id, !c.out.empty());
}

void Customers::UpdateEvents(uint32_t id, bool want_write) {
  Conn& c = conns_[id];
  if (c.want_write == want_write || c.fd < 0) return;
  c.want_write = want_write;
  poller_.WantWrite(c.fd, id, want_write);
}

void Customers::CloseSocket(uint32_t id) {
  Conn& c = conns_[id];
  if (c.fd >= 0) close(c.fd);
  c.fd = -1;
  c.state = State::kIdle;
  c.want_write = false;
  c.in.clear();
  c.out.clear();
}

// Counts `reason`, drops the connection's outstanding requests and decides
// what comes next: a retry of the first connect, a reconnect, or giving up.
void Customers::Fail(uint32_t id, std::string_view reason) {
  CountError(reason);
  Conn& c = conns_[id];
  const bool was_connecting = c.state == State::kConnecting;
  stats_.lost += c.outstanding;
  stats_.failed += c.outstanding;
  outstanding_ -= c.outstanding;
  c.outstanding = 0;
  c.head = 0;
  CloseSocket(id);
  if (id == register_id_) {
    if (was_connecting && c.attempts < kConnectAttemptsMax) {
      c.state = State::kBackoff;
      c.since_ns = now_ns_ + (kRetryBackoffBaseNs << (c.attempts - 1));
      return;
    }
    c.state = State::kFailed;
    --unsettled_;
    registration_error_ = "POST /api/rpc/registerClient failed: " + std::string(reason);
    return;
  }
  if (!c.ever_open && c.attempts >= kConnectAttemptsMax) {
    c.state = State::kFailed;
    --unsettled_;
    return;
  }
  // A connection that was open reconnects at once; failed connects back off.
  // Reconnects are not limited in number: the run has a deadline.
  c.state = State::kBackoff;
  if (c.ever_open && !was_connecting) {
    c.attempts = 0;
    return StartConnect(id);
  }
  c.since_ns = now_ns_ + (kRetryBackoffBaseNs << std::clamp(c.attempts - 1, 0, 3));
}

void Customers::CountError(std::string_view name) {
  auto it = report_.errors.find(name);
  if (it == report_.errors.end()) it = report_.errors.emplace(std::string(name), 0).first;
  ++it->second;
}

int64_t Customers::open_connections() const {
  int64_t open = 0;
  for (uint32_t id = 0; id < register_id_; ++id) open += conns_[id].state == State::kOpen;
  return open;
}

std::string Customers::ProgressText() const {
  const int64_t open = open_connections();
  char text[200];
  std::snprintf(text, sizeof(text),
                "customers open %lld/%lld outstanding %lld submitted %lld completed %lld "
                "failed %lld late %lld",
                static_cast<long long>(open), static_cast<long long>(config_.connections),
                static_cast<long long>(outstanding_), static_cast<long long>(stats_.submitted),
                static_cast<long long>(stats_.completed), static_cast<long long>(stats_.failed),
                static_cast<long long>(stats_.late));
  return text;
}

}  // namespace loadgen
