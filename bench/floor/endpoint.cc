#include "bench/floor/endpoint.h"

#include <netinet/in.h>
#include <netinet/tcp.h>
#include <sys/epoll.h>
#include <sys/socket.h>
#include <unistd.h>

#include <cerrno>
#include <cstdio>
#include <cstdlib>

namespace floor_bench {

namespace {
constexpr size_t kBufferBytes = 64 * 1024;
constexpr size_t kHeldBytesMax = 2u << 20;
}  // namespace

Endpoint::Endpoint(int listen_fd)
    : listen_fd_(listen_fd), epoll_fd_(::epoll_create1(EPOLL_CLOEXEC)), buffer_(new char[kBufferBytes]) {
  epoll_event ev{};
  ev.events = EPOLLIN | EPOLLET;
  ev.data.fd = listen_fd_;
  if (epoll_fd_ < 0 || ::epoll_ctl(epoll_fd_, EPOLL_CTL_ADD, listen_fd_, &ev) != 0) {
    std::perror("floor: epoll");
    std::exit(1);
  }
}

void Endpoint::Run() {
  epoll_event events[256];
  for (;;) {
    const int n = ::epoll_wait(epoll_fd_, events, 256, -1);
    for (int i = 0; i < n; ++i) {
      const int fd = events[i].data.fd;
      if (fd == listen_fd_) {
        Accept();
        continue;
      }
      if (static_cast<size_t>(fd) >= chunks_.size() * kChunk || !conn(fd).open) continue;
      if ((events[i].events & EPOLLOUT) && conn(fd).out) Flush(fd);
      if (events[i].events & (EPOLLIN | EPOLLRDHUP | EPOLLHUP | EPOLLERR)) Read(fd);
    }
  }
}

void Endpoint::Accept() {
  for (;;) {
    const int fd = ::accept4(listen_fd_, nullptr, nullptr, SOCK_NONBLOCK | SOCK_CLOEXEC);
    if (fd < 0) {
      if (errno == EINTR || errno == ECONNABORTED) continue;
      return;  // EAGAIN, or out of descriptors: the next edge retries.
    }
    const int one = 1;
    ::setsockopt(fd, IPPROTO_TCP, TCP_NODELAY, &one, sizeof one);
    while (static_cast<size_t>(fd) >= chunks_.size() * kChunk) chunks_.push_back(std::make_unique<Conn[]>(kChunk));
    Conn& c = conn(fd);
    c.open = true;
    c.state = 0;
    ++c.generation;
    epoll_event ev{};
    ev.events = EPOLLIN | EPOLLOUT | EPOLLRDHUP | EPOLLET;
    ev.data.fd = fd;
    ::epoll_ctl(epoll_fd_, EPOLL_CTL_ADD, fd, &ev);
  }
}

void Endpoint::Read(int fd) {
  for (;;) {
    const ssize_t n = ::recv(fd, buffer_.get(), kBufferBytes, 0);
    if (n > 0) {
      Feed(fd, buffer_.get(), static_cast<size_t>(n));
      if (!conn(fd).open) return;
      if (static_cast<size_t>(n) < kBufferBytes) return;  // Drained: the next byte is a new edge.
      continue;
    }
    if (n < 0 && errno == EINTR) continue;
    if (n < 0 && (errno == EAGAIN || errno == EWOULDBLOCK)) return;
    Close(fd);
    return;
  }
}

void Endpoint::Feed(int fd, char* data, size_t size) {
  Conn& c = conn(fd);
  if (c.in) {
    c.in->append(data, size);
    data = c.in->data();
    size = c.in->size();
  }
  reply_.clear();
  size_t used = 0;
  bool close = false;
  while (used < size) {
    const ptrdiff_t n = OnBytes(fd, data + used, size - used);
    if (n < 0) {
      close = true;
      break;
    }
    if (n == 0) break;
    used += static_cast<size_t>(n);
  }
  if (!reply_.empty()) Send(fd, reply_);
  if (close || size - used > kHeldBytesMax) return Close(fd);
  Conn& after = conn(fd);
  if (used == size) {
    after.in.reset();
  } else if (after.in) {
    after.in->erase(0, used);
  } else {
    after.in = std::make_unique<std::string>(data + used, size - used);
  }
}

void Endpoint::Send(int fd, std::string_view bytes) {
  Conn& c = conn(fd);
  if (!c.open) return;
  if (c.out) {
    c.out->append(bytes);
    return;
  }
  ssize_t n = ::send(fd, bytes.data(), bytes.size(), MSG_NOSIGNAL);
  if (n < 0) {
    if (errno != EAGAIN && errno != EWOULDBLOCK && errno != EINTR) return Close(fd);
    n = 0;
  }
  if (static_cast<size_t>(n) < bytes.size()) {
    c.out = std::make_unique<std::string>(bytes.substr(static_cast<size_t>(n)));
  }
}

void Endpoint::Flush(int fd) {
  Conn& c = conn(fd);
  std::string& q = *c.out;
  size_t sent = 0;
  while (sent < q.size()) {
    const ssize_t n = ::send(fd, q.data() + sent, q.size() - sent, MSG_NOSIGNAL);
    if (n > 0) {
      sent += static_cast<size_t>(n);
      continue;
    }
    if (n < 0 && errno == EINTR) continue;
    if (n < 0 && (errno == EAGAIN || errno == EWOULDBLOCK)) break;
    return Close(fd);
  }
  if (sent == q.size()) {
    c.out.reset();
  } else {
    q.erase(0, sent);
  }
}

void Endpoint::Close(int fd) {
  Conn& c = conn(fd);
  if (!c.open) return;
  c.open = false;
  c.in.reset();
  c.out.reset();
  ::close(fd);
  OnClosed(fd);
}

}  // namespace floor_bench
