// sela-floor-relay: the floor for the job figures (bench/floor/README.md).
// A request/response relay doing only what cannot be avoided: an HTTP/1.1
// keep-alive request in, one WebSocket frame out to a connected node, the
// node's one frame back, the HTTP response out. No storage, no JSON parsing,
// no accounts: the API key it hands out is a constant and is not checked.
//
// - A connection whose first request is a WebSocket upgrade is a node; its
//   first text frame (the registration) gets a registration-shaped reply, and
//   the node joins the round-robin.
// - POST .../registerClient answers {"success":true,"data":{"apiKey":...}}.
// - POST .../scrapeUrl sends the next node
//   {"function":"TWITTER_SCRAPE","job_id":"<n>","request":<the request body>};
//   the node's frame that names job_id n is the body of the 200 response.
//
// Usage: sela-floor-relay [PORT_FILE]   (listens on 127.0.0.1, a free port)
#include <charconv>
#include <cstdio>
#include <string>
#include <unordered_map>
#include <vector>

#include "bench/floor/endpoint.h"
#include "bench/floor/floor_wire.h"

namespace floor_bench {
namespace {

constexpr std::string_view kRegisteredReply =
    R"({"success":true,"message":"Client registered successfully","clientId":1,"sessionId":1})";
constexpr std::string_view kApiKey = R"({"success":true,"data":{"apiKey":"floor-relay-key"}})";
constexpr size_t kHeadBytesMax = 16 * 1024;
constexpr size_t kBodyBytesMax = 1u << 20;

enum State : uint8_t { kNew = 0, kCustomer, kNodeOpen, kNodeReady };

class RelayFloor final : public Endpoint {
 public:
  using Endpoint::Endpoint;

 private:
  struct Waiter {
    int fd;
    uint32_t generation;
  };

  ptrdiff_t OnBytes(int fd, char* data, size_t size) override {
    const uint8_t state = conn(fd).state;
    if (state == kNew || state == kCustomer) return OnHttp(fd, data, size);
    return OnNodeFrame(fd, data, size);
  }

  void OnClosed(int fd) override {
    if (conn(fd).state != kNodeReady) return;
    for (size_t i = 0; i < nodes_.size(); ++i) {
      if (nodes_[i] == fd) {
        nodes_[i] = nodes_.back();
        nodes_.pop_back();
        break;
      }
    }
  }

  ptrdiff_t OnHttp(int fd, char* data, size_t size) {
    const std::string_view text(data, size);
    const size_t end = text.find("\r\n\r\n");
    if (end == std::string_view::npos) return size > kHeadBytesMax ? -1 : 0;
    const std::string_view head = text.substr(0, end + 2);
    Conn& c = conn(fd);
    if (c.state == kNew && head.starts_with("GET ")) {
      const std::string response = UpgradeResponse(head);
      if (response.empty()) return -1;
      reply_ += response;
      c.state = kNodeOpen;
      return static_cast<ptrdiff_t>(end + 4);
    }
    c.state = kCustomer;
    const std::string_view length = Header(head, "Content-Length");
    size_t body_len = 0;
    if (!length.empty() &&
        std::from_chars(length.data(), length.data() + length.size(), body_len).ec != std::errc()) {
      return -1;
    }
    if (body_len > kBodyBytesMax) return -1;
    if (size < end + 4 + body_len) return 0;
    const std::string_view body = text.substr(end + 4, body_len);
    const std::string_view target = head.substr(0, head.find("\r\n"));
    if (target.find("/scrapeUrl ") != std::string_view::npos) {
      Dispatch(fd, body);
    } else if (target.find("/registerClient ") != std::string_view::npos) {
      AppendResponse(reply_, "200 OK", kApiKey);
    } else {
      AppendResponse(reply_, "404 Not Found", R"({"success":false})");
    }
    return static_cast<ptrdiff_t>(end + 4 + body_len);
  }

  void Dispatch(int fd, std::string_view body) {
    if (nodes_.empty()) return AppendResponse(reply_, "503 Service Unavailable", R"({"success":false})");
    const int node = nodes_[next_node_++ % nodes_.size()];
    const uint64_t job = ++job_seq_;
    pending_.emplace(job, Waiter{fd, conn(fd).generation});
    payload_.assign(R"({"function":"TWITTER_SCRAPE","job_id":")");
    payload_ += std::to_string(job);
    payload_ += R"(","request":)";
    payload_ += body;
    payload_ += '}';
    frame_.clear();
    AppendFrame(frame_, kText, payload_);
    Send(node, frame_);
  }

  ptrdiff_t OnNodeFrame(int fd, char* data, size_t size) {
    Frame f;
    const int got = ParseFrame(data, size, f);
    if (got <= 0) return got;
    const std::string_view payload(f.payload, f.payload_len);
    if (f.opcode == kClose) {
      AppendFrame(reply_, kClose, payload.substr(0, payload.size() < 2 ? 0 : 2));
      return -1;
    }
    if (f.opcode == kPing) AppendFrame(reply_, kPong, payload);
    if (f.opcode != kText) return static_cast<ptrdiff_t>(f.total);
    Conn& c = conn(fd);
    if (c.state == kNodeOpen) {
      AppendFrame(reply_, kText, kRegisteredReply);
      c.state = kNodeReady;
      nodes_.push_back(fd);
    } else {
      Complete(payload);
    }
    return static_cast<ptrdiff_t>(f.total);
  }

  void Complete(std::string_view payload) {
    constexpr std::string_view kKey = R"("job_id":")";
    const size_t at = payload.find(kKey);
    if (at == std::string_view::npos) return;  // A heartbeat.
    uint64_t job = 0;
    const char* p = payload.data() + at + kKey.size();
    if (std::from_chars(p, payload.data() + payload.size(), job).ec != std::errc()) return;
    const auto it = pending_.find(job);
    if (it == pending_.end()) return;
    const Waiter w = it->second;
    pending_.erase(it);
    if (!conn(w.fd).open || conn(w.fd).generation != w.generation) return;
    response_.clear();
    AppendResponse(response_, "200 OK", payload);
    Send(w.fd, response_);
  }

  static void AppendResponse(std::string& out, std::string_view status, std::string_view body) {
    out += "HTTP/1.1 ";
    out += status;
    out += "\r\nContent-Type: application/json\r\nContent-Length: ";
    out += std::to_string(body.size());
    out += "\r\n\r\n";
    out += body;
  }

  std::vector<int> nodes_;
  size_t next_node_ = 0;
  uint64_t job_seq_ = 0;
  std::unordered_map<uint64_t, Waiter> pending_;
  std::string payload_, frame_, response_;
};

}  // namespace
}  // namespace floor_bench

int main(int argc, char** argv) {
  floor_bench::RaiseFdLimit();
  const int fd = floor_bench::Listen(0, argc > 1 ? argv[1] : "");
  floor_bench::RelayFloor floor(fd);
  floor.Run();
}
