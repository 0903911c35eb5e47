#include "feed_client.h"

#include <netdb.h>
#include <poll.h>
#include <sys/socket.h>
#include <unistd.h>

#include <cerrno>
#include <cstring>
#include <ctime>

#include "ws_frame.h"
#include "ws_handshake.h"

namespace monitor {

namespace {

std::string Errno(std::string_view what) { return std::string(what) + ": " + std::strerror(errno); }

bool WriteAll(int fd, std::string_view data) {
  while (!data.empty()) {
    const ssize_t n = ::send(fd, data.data(), data.size(), MSG_NOSIGNAL);
    if (n < 0 && errno == EINTR) continue;
    if (n <= 0) return false;
    data.remove_prefix(static_cast<size_t>(n));
  }
  return true;
}

std::expected<int, std::string> Dial(const std::string& host, uint16_t port) {
  addrinfo hints{};
  hints.ai_socktype = SOCK_STREAM;
  addrinfo* found = nullptr;
  if (const int rc = getaddrinfo(host.c_str(), std::to_string(port).c_str(), &hints, &found); rc != 0) {
    return std::unexpected("cannot resolve " + host + ": " + gai_strerror(rc));
  }
  std::string error = "no address for " + host;
  for (addrinfo* a = found; a != nullptr; a = a->ai_next) {
    const int fd = ::socket(a->ai_family, a->ai_socktype | SOCK_CLOEXEC, a->ai_protocol);
    if (fd < 0) continue;
    if (::connect(fd, a->ai_addr, a->ai_addrlen) == 0) {
      freeaddrinfo(found);
      return fd;
    }
    error = Errno("cannot connect to " + host + ":" + std::to_string(port));
    ::close(fd);
  }
  freeaddrinfo(found);
  return std::unexpected(error);
}

}  // namespace

FeedClient::~FeedClient() {
  if (fd_ >= 0) ::close(fd_);
}

std::expected<void, std::string> FeedClient::ReadMore() {
  pollfd p{fd_, POLLIN, 0};
  const int ready = ::poll(&p, 1, options_.timeout_ms);
  if (ready == 0) return std::unexpected("no data from the server for " + std::to_string(options_.timeout_ms) + " ms");
  if (ready < 0) return std::unexpected(Errno("poll"));
  char buf[64 * 1024];
  const ssize_t n = ::recv(fd_, buf, sizeof buf, 0);
  if (n == 0) return std::unexpected("the server closed the connection");
  if (n < 0) return std::unexpected(Errno("recv"));
  in_.append(buf, static_cast<size_t>(n));
  return {};
}

bool FeedClient::SendFrame(int opcode, std::string_view payload) {
  mask_state_ ^= mask_state_ << 13;
  mask_state_ ^= mask_state_ >> 7;
  mask_state_ ^= mask_state_ << 17;
  std::string frame;
  loadgen::AppendClientFrame(static_cast<loadgen::Opcode>(opcode), payload, static_cast<uint32_t>(mask_state_), frame);
  return WriteAll(fd_, frame);
}

std::expected<void, std::string> FeedClient::Connect(const FeedClientOptions& options) {
  options_ = options;
  auto fd = Dial(options.host, options.port);
  if (!fd) return std::unexpected(fd.error());
  fd_ = *fd;
  mask_state_ ^= static_cast<uint64_t>(std::time(nullptr)) * 0x2545f4914f6cdd1dULL;
  const std::string key = loadgen::MakeWebSocketKey(mask_state_, mask_state_ * 31 + 7);
  const std::string host_header = options.host + ":" + std::to_string(options.port);
  const std::string request = loadgen::BuildUpgradeRequest(
      {.host_header = host_header, .path = "/admin/feed", .key = key, .bearer = options.token});
  if (!WriteAll(fd_, request)) return std::unexpected(Errno("send"));
  const std::string accept = loadgen::WebSocketAccept(key);
  while (true) {
    const auto response = loadgen::ParseUpgradeResponse(in_, accept);
    if (response.status == loadgen::UpgradeStatus::kAccepted) {
      in_.erase(0, response.header_bytes);
      return {};
    }
    if (response.status == loadgen::UpgradeStatus::kRejected) {
      return std::unexpected("upgrade refused (HTTP " + std::to_string(response.http_status) + ", " + response.reason + ")");
    }
    if (auto more = ReadMore(); !more) return more;
  }
}

std::expected<std::string, std::string> FeedClient::Next() {
  std::string message;
  while (true) {
    const auto decoded = loadgen::DecodeServerFrame(in_, options_.message_bytes_max);
    if (decoded.status == loadgen::DecodeStatus::kError) {
      return std::unexpected("bad frame from the server: " + std::string(decoded.error));
    }
    if (decoded.status == loadgen::DecodeStatus::kNeedMore) {
      if (auto more = ReadMore(); !more) return std::unexpected(more.error());
      continue;
    }
    const loadgen::DecodedFrame& f = decoded.frame;
    const std::string payload = in_.substr(f.header_bytes, f.payload_bytes);
    in_.erase(0, f.total_bytes());
    switch (f.opcode) {
      case loadgen::Opcode::kPing: SendFrame(0xA, payload); continue;
      case loadgen::Opcode::kPong: continue;
      case loadgen::Opcode::kClose: {
        const std::string reason = payload.size() > 2 ? payload.substr(2) : std::string();
        return std::unexpected("closed by the server: " + std::to_string(loadgen::CloseCode(payload)) +
                               (reason.empty() ? "" : " " + reason));
      }
      default: break;
    }
    message += payload;
    if (message.size() > options_.message_bytes_max) return std::unexpected("message too large");
    if (f.fin) return message;
  }
}

void FeedClient::Close() {
  if (fd_ < 0) return;
  std::string frame;
  loadgen::AppendCloseFrame(loadgen::kCloseNormal, "", static_cast<uint32_t>(mask_state_), frame);
  WriteAll(fd_, frame);
  ::close(fd_);
  fd_ = -1;
}

}  // namespace monitor
