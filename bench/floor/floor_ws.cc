// sela-floor-ws: the floor for the WebSocket figures (bench/floor/README.md).
// An epoll WebSocket endpoint doing only what cannot be avoided: the HTTP
// upgrade, unmasking client frames, and one answer per frame: a pong per
// ping frame, and per text frame a canned text reply of the size sela-server
// sends (the first text frame of a connection gets a registration-shaped
// reply, the later ones a PING-Notification-shaped one). No JSON, no state
// beyond that bit.
//
// Usage: sela-floor-ws [PORT_FILE]   (listens on 127.0.0.1, a free port)
#include <cstdio>
#include <string>

#include "bench/floor/endpoint.h"
#include "bench/floor/floor_wire.h"

namespace floor_bench {
namespace {

// Same shapes and sizes as sela-server's replies (protocol/v1_encode.cc).
constexpr std::string_view kRegisteredReply =
    R"({"success":true,"message":"Client registered successfully","clientId":1,"sessionId":1})";
constexpr std::string_view kPingReply =
    R"({"function":"Notification","type":"PING","message":"Client connect open","principal":"loadgen-000000"})";

enum State : uint8_t { kHttp = 0, kOpen = 1, kReady = 2 };

class WsFloor final : public Endpoint {
 public:
  using Endpoint::Endpoint;

 private:
  ptrdiff_t OnBytes(int fd, char* data, size_t size) override {
    Conn& c = conn(fd);
    if (c.state == kHttp) {
      const std::string_view text(data, size);
      const size_t end = text.find("\r\n\r\n");
      if (end == std::string_view::npos) return size > 8192 ? -1 : 0;
      const std::string response = UpgradeResponse(text.substr(0, end + 2));
      if (response.empty()) return -1;
      reply_ += response;
      c.state = kOpen;
      return static_cast<ptrdiff_t>(end + 4);
    }
    Frame f;
    const int got = ParseFrame(data, size, f);
    if (got <= 0) return got;
    switch (f.opcode) {
      case kPing:
        AppendFrame(reply_, kPong, {f.payload, f.payload_len});
        break;
      case kClose:
        AppendFrame(reply_, kClose, {f.payload, f.payload_len < 2 ? size_t{0} : size_t{2}});
        return -1;
      case kPong:
        break;
      default:
        AppendFrame(reply_, kText, c.state == kOpen ? kRegisteredReply : kPingReply);
        c.state = kReady;
    }
    return static_cast<ptrdiff_t>(f.total);
  }
};

}  // namespace
}  // namespace floor_bench

int main(int argc, char** argv) {
  floor_bench::RaiseFdLimit();
  const int fd = floor_bench::Listen(0, argc > 1 ? argv[1] : "");
  floor_bench::WsFloor floor(fd);
  floor.Run();
}
