// FakeIc's sockets: a blocking accept loop and one thread per connection
// (fake_ic.h). Plain HTTP/1.1 with Content-Length bodies, keep-alive.
#include <arpa/inet.h>
#include <netinet/in.h>
#include <poll.h>
#include <sys/socket.h>
#include <unistd.h>

#include <algorithm>
#include <cctype>
#include <cstring>

#include "chain/fake/fake_ic.h"
#include "chain/fake/fake_ic_reply.h"

namespace sela::chain::fake {
namespace {

bool SendAll(int fd, std::string_view data) {
  while (!data.empty()) {
    const ssize_t n = ::send(fd, data.data(), data.size(), MSG_NOSIGNAL);
    if (n <= 0) {
      if (n < 0 && errno == EINTR) continue;
      return false;
    }
    data.remove_prefix(static_cast<size_t>(n));
  }
  return true;
}

// Reads one request; false when the peer closed or sent garbage.
bool ReadRequest(int fd, std::string& buffer, size_t body_max, std::string* method, std::string* path,
                 std::string* body) {
  char chunk[65536];
  size_t head_end;
  while ((head_end = buffer.find("\r\n\r\n")) == std::string::npos) {
    if (buffer.size() > 64 * 1024) return false;
    const ssize_t n = ::recv(fd, chunk, sizeof chunk, 0);
    if (n <= 0) return false;
    buffer.append(chunk, static_cast<size_t>(n));
  }
  const std::string head = buffer.substr(0, head_end);
  const size_t sp1 = head.find(' ');
  const size_t sp2 = head.find(' ', sp1 + 1);
  if (sp1 == std::string::npos || sp2 == std::string::npos) return false;
  *method = head.substr(0, sp1);
  *path = head.substr(sp1 + 1, sp2 - sp1 - 1);
  std::string lower = head;
  std::transform(lower.begin(), lower.end(), lower.begin(), [](unsigned char c) { return std::tolower(c); });
  size_t length = 0;
  if (const size_t at = lower.find("\r\ncontent-length:"); at != std::string::npos) {
    length = std::strtoull(head.c_str() + at + 17, nullptr, 10);
  }
  if (length > body_max) return false;
  buffer.erase(0, head_end + 4);
  while (buffer.size() < length) {
    const ssize_t n = ::recv(fd, chunk, sizeof chunk, 0);
    if (n <= 0) return false;
    buffer.append(chunk, static_cast<size_t>(n));
  }
  *body = buffer.substr(0, length);
  buffer.erase(0, length);
  return true;
}

}  // namespace

Status FakeIc::Listen(uint16_t port) {
  const int fd = ::socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);
  if (fd < 0) return Internal("fake IC: socket failed");
  const int one = 1;
  ::setsockopt(fd, SOL_SOCKET, SO_REUSEADDR, &one, sizeof one);
  sockaddr_in addr{};
  addr.sin_family = AF_INET;
  addr.sin_port = htons(port);
  addr.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
  socklen_t len = sizeof addr;
  if (::bind(fd, reinterpret_cast<sockaddr*>(&addr), sizeof addr) != 0 || ::listen(fd, 64) != 0 ||
      ::getsockname(fd, reinterpret_cast<sockaddr*>(&addr), &len) != 0) {
    ::close(fd);
    return Unavailable(std::string("fake IC: cannot listen: ") + std::strerror(errno));
  }
  listen_fd_ = fd;
  port_ = ntohs(addr.sin_port);
  return Status::Ok();
}

void FakeIc::AcceptLoop() {
  while (true) {
    {
      std::lock_guard<std::mutex> lock(threads_mu_);
      if (stopping_) return;
    }
    if (restart_requested_.exchange(false)) {
      {
        std::lock_guard<std::mutex> lock(threads_mu_);
        ++generation_;
        for (int fd : open_fds_) ::shutdown(fd, SHUT_RDWR);
      }
      held_cv_.notify_all();
      ::close(listen_fd_);
      const Status s = Listen(port_);
      {
        std::lock_guard<std::mutex> lock(mu_);
        ++stats_.restarts;
      }
      restart_done_cv_.notify_all();
      if (!s.ok()) return;
    }
    pollfd p{listen_fd_, POLLIN, 0};
    if (::poll(&p, 1, 20) <= 0) continue;
    const int fd = ::accept4(listen_fd_, nullptr, nullptr, SOCK_CLOEXEC);
    if (fd < 0) continue;
    std::lock_guard<std::mutex> lock(threads_mu_);
    if (stopping_) {
      ::close(fd);
      return;
    }
    open_fds_.push_back(fd);
    connection_threads_.emplace_back([this, fd] { Serve(fd); });
  }
}

void FakeIc::Serve(int fd) {
  uint64_t generation;
  {
    std::lock_guard<std::mutex> lock(threads_mu_);
    generation = generation_;
  }
  std::string buffer, method, path, body;
  while (ReadRequest(fd, buffer, options_.body_bytes_max, &method, &path, &body)) {
    Reply reply = Handle(method, path, body);
    if (reply.action == Reply::Action::kRoundCall || reply.action == Reply::Action::kRoundReadState) {
      reply = FinishRound(std::move(reply));
    }
    if (reply.action == Reply::Action::kHold) {
      std::unique_lock<std::mutex> lock(threads_mu_);
      held_cv_.wait(lock, [&] { return stopping_ || generation_ != generation; });
      break;
    }
    if (reply.action == Reply::Action::kDrop) break;
    if (reply.action == Reply::Action::kRestart) {
      restart_requested_.store(true);
      break;
    }
    const std::string head = "HTTP/1.1 " + std::to_string(reply.status) + " X\r\nContent-Type: " +
                             reply.content_type + "\r\nContent-Length: " + std::to_string(reply.body.size()) +
                             "\r\n\r\n";
    if (!SendAll(fd, head) || !SendAll(fd, reply.body)) break;
  }
  std::lock_guard<std::mutex> lock(threads_mu_);
  open_fds_.erase(std::remove(open_fds_.begin(), open_fds_.end(), fd), open_fds_.end());
  ::close(fd);
}

Status FakeIc::Restart() {
  uint64_t before;
  {
    std::lock_guard<std::mutex> lock(mu_);
    before = stats_.restarts;
  }
  restart_requested_.store(true);
  std::unique_lock<std::mutex> lock(mu_);
  restart_done_cv_.wait(lock, [&] { return stats_.restarts > before; });
  return Status::Ok();
}

void FakeIc::StopThreads() {
  {
    std::lock_guard<std::mutex> lock(threads_mu_);
    stopping_ = true;
    for (int fd : open_fds_) ::shutdown(fd, SHUT_RDWR);
  }
  held_cv_.notify_all();
  if (accept_thread_.joinable()) accept_thread_.join();
  std::vector<std::thread> threads;
  {
    std::lock_guard<std::mutex> lock(threads_mu_);
    threads.swap(connection_threads_);
  }
  for (std::thread& t : threads) t.join();
  if (listen_fd_ >= 0) ::close(listen_fd_);
}

}  // namespace sela::chain::fake
