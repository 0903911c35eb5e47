#include "poller.h"

#include <time.h>
#include <unistd.h>

#include <cerrno>

#include "engine.h"

namespace loadgen {

Poller::~Poller() {
  if (epoll_fd_ >= 0) close(epoll_fd_);
}

std::expected<void, std::string> Poller::Init() {
  epoll_fd_ = epoll_create1(EPOLL_CLOEXEC);
  if (epoll_fd_ < 0) return std::unexpected(ErrnoReason("epoll_create1", errno));
  return {};
}

void Poller::WatchAux(int fd) {
  epoll_event ev{};
  ev.events = EPOLLIN;
  ev.data.u64 = kAuxId;
  epoll_ctl(epoll_fd_, EPOLL_CTL_ADD, fd, &ev);
}

bool Poller::Add(int fd, uint32_t id) {
  epoll_event ev{};
  ev.events = EPOLLIN | EPOLLOUT | EPOLLRDHUP;
  ev.data.u64 = id;
  return epoll_ctl(epoll_fd_, EPOLL_CTL_ADD, fd, &ev) == 0;
}

void Poller::WantWrite(int fd, uint32_t id, bool want_write) {
  epoll_event ev{};
  ev.events = EPOLLIN | EPOLLRDHUP | (want_write ? EPOLLOUT : 0u);
  ev.data.u64 = id;
  epoll_ctl(epoll_fd_, EPOLL_CTL_MOD, fd, &ev);
}

void Poller::Wait(int64_t wait_ns) {
  if (wait_ns < 0) wait_ns = 0;
  // epoll_pwait2 takes a timespec: an open-loop schedule wakes to the
  // microsecond, not rounded up to the next millisecond.
  const timespec wait{static_cast<time_t>(wait_ns / 1'000'000'000), static_cast<long>(wait_ns % 1'000'000'000)};
  const int n = epoll_pwait2(epoll_fd_, events_, kEventsPerWait, &wait, nullptr);
  ready_ = n < 0 ? 0 : n;
}

}  // namespace loadgen
