// The WebSocket message clock (WS_MESSAGE_TIMEOUT_MS) through a real
// Server on loopback, with a fake clock: a message must be finished in time
// once begun, but the time its connection waits for the inbound budget (the
// server does not read it then; the peer waits for us) does not count.
#include <arpa/inet.h>
#include <gtest/gtest.h>
#include <netinet/in.h>
#include <sys/socket.h>
#include <unistd.h>

#include <atomic>
#include <chrono>
#include <functional>
#include <future>
#include <string>
#include <thread>

#include "core/metrics.h"
#include "net/server.h"
#include "testing/fake_clock.h"

namespace sela::net {
namespace {

constexpr uint32_t kTimeoutMs = 1000;
// A budget of 1 MiB lets large messages use 896 KiB (the rest is reserved
// for small ones): one 500 KiB message fits, a second waits for it.
constexpr uint64_t kBudgetBytes = 1 << 20;
constexpr size_t kMessageBytes = 500 * 1024;

std::string ErrorBody(std::string_view message, std::string_view) { return std::string(message); }

// Answers each message with its size.
class SizeEcho final : public WsHandler {
 public:
  void OnWsOpen(ConnId, const HttpRequest&) override {}
  void OnWsMessage(ConnId id, bool, std::string_view payload) override {
    server->Send(id, "got " + std::to_string(payload.size()));
  }
  void OnWsClosed(ConnId, uint16_t) override {}
  void OnWsDeadline(ConnId) override {}
  Server* server = nullptr;
};

class ClockServer {
 public:
  ClockServer() {
    std::promise<uint16_t> port;
    auto ready = port.get_future();
    thread_ = std::thread([this, &port] {
      EventLoop loop;
      loop_ = &loop;
      MetricsRegistry metrics;
      NetConfig config;
      config.host = "127.0.0.1";
      config.port = 0;
      config.inbound_budget_bytes = kBudgetBytes;
      config.ws_message_timeout_ms = kTimeoutMs;
      Router router;
      SizeEcho echo;
      Server server(loop, config, clock, metrics, router, echo, &ErrorBody);
      echo.server = &server;
      held_ = &metrics.GetGauge("sela_inbound_buffered_bytes", "");
      waiting_ = &metrics.GetGauge("sela_inbound_budget_waiting_connections", "");
      timeouts_ = &metrics.GetCounter("sela_ws_message_timeouts_total", "");
      if (!server.Listen().ok()) std::abort();
      port.set_value(server.port());
      loop.Run();
      loop.Shutdown();
    });
    port_ = ready.get();
  }
  ~ClockServer() {
    loop_.load()->Stop();
    thread_.join();
  }
  uint16_t port() const { return port_; }
  int64_t held_bytes() const { return held_.load()->value(); }
  int64_t waiting() const { return waiting_.load()->value(); }
  uint64_t timeouts() const { return timeouts_.load()->value(); }

  testing::FakeClock clock;

 private:
  std::thread thread_;
  std::atomic<EventLoop*> loop_{nullptr};
  std::atomic<Gauge*> held_{nullptr};
  std::atomic<Gauge*> waiting_{nullptr};
  std::atomic<Counter*> timeouts_{nullptr};
  uint16_t port_ = 0;
};

// Waits (bounded) for a state of the server's loop thread.
bool WaitFor(const std::function<bool()>& done) {
  for (int i = 0; i < 10'000; ++i) {
    if (done()) return true;
    std::this_thread::sleep_for(std::chrono::milliseconds(1));
  }
  return done();
}

class WsClient {
 public:
  explicit WsClient(uint16_t port) : fd_(::socket(AF_INET, SOCK_STREAM, 0)) {
    sockaddr_in a{};
    a.sin_family = AF_INET;
    a.sin_port = htons(port);
    a.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
    if (::connect(fd_, reinterpret_cast<sockaddr*>(&a), sizeof a) != 0) std::abort();
    timeval tv{10, 0};
    ::setsockopt(fd_, SOL_SOCKET, SO_RCVTIMEO, &tv, sizeof tv);
    Send(
        "GET / HTTP/1.1\r\nHost: t\r\nUpgrade: websocket\r\nConnection: Upgrade\r\n"
        "Sec-WebSocket-Key: dGhlIHNhbXBsZSBub25jZQ==\r\nSec-WebSocket-Version: 13\r\n\r\n");
    while (in_.find("\r\n\r\n") == std::string::npos) {
      if (!Fill()) break;
    }
    const size_t end = in_.find("\r\n\r\n");
    EXPECT_NE(end, std::string::npos);
    EXPECT_EQ(in_.substr(0, 12), "HTTP/1.1 101");
    in_.erase(0, end == std::string::npos ? in_.size() : end + 4);
  }
  ~WsClient() { ::close(fd_); }

  void Send(std::string_view data) {
    while (!data.empty()) {
      const ssize_t n = ::send(fd_, data.data(), data.size(), MSG_NOSIGNAL);
      if (n <= 0) return;
      data.remove_prefix(static_cast<size_t>(n));
    }
  }

  // The next frame from the server: {opcode, payload}; opcode -1 when the
  // connection ended first.
  std::pair<int, std::string> ReadFrame() {
    for (;;) {
      if (in_.size() >= 2) {
        const auto* p = reinterpret_cast<const uint8_t*>(in_.data());
        size_t header = 2;
        uint64_t length = p[1] & 0x7F;
        if (length == 126) {
          header = 4;
          if (in_.size() >= 4) length = (uint64_t{p[2]} << 8) | p[3];
        }
        if (length < 126 && in_.size() >= header + length) {
          std::pair<int, std::string> frame{p[0] & 0x0F, in_.substr(header, length)};
          in_.erase(0, header + length);
          return frame;
        }
      }
      if (!Fill()) return {-1, {}};
    }
  }

  // The close code of the server's Close frame (0 if none came first).
  int ReadCloseCode() {
    const auto [opcode, payload] = ReadFrame();
    if (opcode != 0x8 || payload.size() < 2) return 0;
    return (static_cast<uint8_t>(payload[0]) << 8) | static_cast<uint8_t>(payload[1]);
  }

 private:
  bool Fill() {
    char chunk[4096];
    const ssize_t n = ::recv(fd_, chunk, sizeof chunk, 0);
    if (n <= 0) return false;
    in_.append(chunk, static_cast<size_t>(n));
    return true;
  }

  int fd_;
  std::string in_;
};

// A masked binary frame (mask key 0: the payload goes as it is).
std::string ClientFrame(size_t payload_bytes) {
  std::string f;
  f += static_cast<char>(0x82);
  f += static_cast<char>(0x80 | 127);
  for (int i = 7; i >= 0; --i) f += static_cast<char>((uint64_t{payload_bytes} >> (8 * i)) & 0xFF);
  f.append(4, '\0');
  f.append(payload_bytes, 'x');
  return f;
}

// Two peers begin a 500 KiB message each: the first holds the budget and
// stalls, the second waits for the budget. The clock then passes the
// timeout: the first is closed, and the second resumes with its time intact.
class WsMessageClock : public ::testing::Test {
 protected:
  void BeginBoth() {
    first_.Send(frame_.substr(0, 1024));
    ASSERT_TRUE(WaitFor([&] { return server_.held_bytes() >= static_cast<int64_t>(kMessageBytes); }));
    second_.Send(frame_.substr(0, 1024));
    ASSERT_TRUE(WaitFor([&] { return server_.waiting() == 1; })) << "the second waits for the budget";
    server_.clock.Advance(Millis(kTimeoutMs));
    EXPECT_EQ(first_.ReadCloseCode(), 1008) << "the stalled sender is closed";
    ASSERT_TRUE(WaitFor([&] { return server_.waiting() == 0; })) << "the second reads on";
  }

  ClockServer server_;
  WsClient first_{server_.port()};
  WsClient second_{server_.port()};
  const std::string frame_ = ClientFrame(kMessageBytes);
};

TEST_F(WsMessageClock, TimeWaitingForTheInboundBudgetIsNotCounted) {
  BeginBoth();
  EXPECT_EQ(server_.timeouts(), 1u);
  second_.Send(frame_.substr(1024));
  const auto [opcode, payload] = second_.ReadFrame();
  EXPECT_EQ(opcode, 0x1);
  EXPECT_EQ(payload, "got " + std::to_string(kMessageBytes));
}

TEST_F(WsMessageClock, APeerThatStallsAfterItsWaitIsStillClosedInTime) {
  BeginBoth();
  second_.Send(frame_.substr(1024, 100 * 1024));
  server_.clock.Advance(Millis(kTimeoutMs));
  EXPECT_EQ(second_.ReadCloseCode(), 1008);
  EXPECT_EQ(server_.timeouts(), 2u);
}

}  // namespace
}  // namespace sela::net
