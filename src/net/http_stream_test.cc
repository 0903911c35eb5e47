// Streaming bodies through a real Server on a loopback socket: uploads
// handed to a sink in pieces with backpressure, early refusals, per-route
// body limits, downloads pulled from a source, and the range and entity-tag
// helpers.
#include "net/http_stream.h"

#include <arpa/inet.h>
#include <gtest/gtest.h>
#include <netinet/in.h>
#include <poll.h>
#include <sys/socket.h>
#include <unistd.h>

#include <atomic>
#include <condition_variable>
#include <future>
#include <mutex>
#include <thread>

#include "core/clock.h"
#include "core/metrics.h"
#include "net/server.h"

namespace sela::net {
namespace {

std::string TestErrorBody(std::string_view message, std::string_view data_json) {
  return "{\"message\":\"" + std::string(message) + "\",\"data\":" + std::string(data_json) + "}";
}

class NoWs final : public WsHandler {
 public:
  void OnWsOpen(ConnId, const HttpRequest&) override {}
  void OnWsMessage(ConnId, bool, std::string_view) override {}
  void OnWsClosed(ConnId, uint16_t) override {}
  void OnWsDeadline(ConnId) override {}
};

// What the test routes saw, read by the test thread after the loop stopped
// (or under the mutex).
struct Seen {
  std::mutex mu;
  uint64_t sink_bytes = 0;
  int sink_ends = 0;
  int sink_destroyed = 0;
  int pauses = 0;
  bool data_while_paused = false;
  uint64_t max_pull = 0;
};

// Counts the body; after every `pause_every` bytes it says "full" and
// resumes on a later pass, as a disk-backed sink would.
class CountingSink final : public BodySink {
 public:
  CountingSink(BodyStream stream, EventLoop& loop, Seen& seen, uint64_t pause_every)
      : stream_(stream), loop_(loop), seen_(seen), pause_every_(pause_every) {}
  ~CountingSink() override {
    std::lock_guard lock(seen_.mu);
    ++seen_.sink_destroyed;
  }
  bool OnData(std::string_view bytes) override {
    std::lock_guard lock(seen_.mu);
    if (*paused_) seen_.data_while_paused = true;
    seen_.sink_bytes += bytes.size();
    since_pause_ += bytes.size();
    hash_ = hash_ * 31 + static_cast<unsigned char>(bytes.back());
    if (pause_every_ == 0 || since_pause_ < pause_every_) return true;
    since_pause_ = 0;
    ++seen_.pauses;
    *paused_ = true;
    loop_.Post([stream = stream_, paused = paused_] {
      *paused = false;
      stream.Resume();
    });
    return false;
  }
  void OnEnd(HttpReply reply) override {
    uint64_t bytes;
    {
      std::lock_guard lock(seen_.mu);
      ++seen_.sink_ends;
      bytes = seen_.sink_bytes;
    }
    reply.Send(HttpResponse::Text(200, "got " + std::to_string(bytes)));
  }

 private:
  BodyStream stream_;
  EventLoop& loop_;
  Seen& seen_;
  uint64_t pause_every_;
  uint64_t since_pause_ = 0;
  uint64_t hash_ = 0;
  std::shared_ptr<bool> paused_ = std::make_shared<bool>(false);
};

// Bytes i of the download: a pattern the client can check.
char PatternByte(uint64_t i) { return static_cast<char>((i * 7 + i / 251) & 0xFF); }

// Delivers pieces of the pattern on a later pass (as a disk read would),
// failing at `fail_at` if set.
class PatternSource final : public BodySource {
 public:
  PatternSource(EventLoop& loop, Seen& seen, uint64_t first, uint64_t fail_at = UINT64_MAX)
      : loop_(loop), seen_(seen), next_(first), fail_at_(fail_at) {}
  void Pull(size_t max, std::function<void(Result<std::string>)> deliver) override {
    {
      std::lock_guard lock(seen_.mu);
      seen_.max_pull = std::max<uint64_t>(seen_.max_pull, max);
    }
    std::string piece(max, '\0');
    for (size_t i = 0; i < max; ++i) piece[i] = PatternByte(next_ + i);
    const bool fail = next_ + max > fail_at_;
    next_ += max;
    loop_.Post([deliver = std::move(deliver), piece = std::move(piece), fail]() mutable {
      if (fail) return deliver(Err(Internal("disk error")));
      deliver(std::move(piece));
    });
  }

 private:
  EventLoop& loop_;
  Seen& seen_;
  uint64_t next_;
  uint64_t fail_at_;
};

class StreamServer {
 public:
  explicit StreamServer(uint64_t pause_every, uint64_t inbound_budget_bytes = 64ull << 20) {
    std::promise<uint16_t> port;
    auto ready = port.get_future();
    thread_ = std::thread([this, pause_every, inbound_budget_bytes, &port] {
      EventLoop loop;
      loop_ = &loop;
      SystemClock clock;
      MetricsRegistry metrics;
      NetConfig config;
      config.host = "127.0.0.1";
      config.port = 0;
      config.http_body_bytes_max = 1 << 20;
      config.inbound_budget_bytes = inbound_budget_bytes;
      Router router;
      AddRoutes(router, loop, pause_every);
      NoWs ws;
      Server server(loop, config, clock, metrics, router, ws, &TestErrorBody);
      if (!server.Listen().ok()) std::abort();
      port.set_value(server.port());
      loop.Run();
      loop.Shutdown();
    });
    port_ = ready.get();
  }
  ~StreamServer() {
    loop_->Stop();
    thread_.join();
  }
  uint16_t port() const { return port_; }
  Seen seen;

 private:
  void AddRoutes(Router& router, EventLoop& loop, uint64_t pause_every) {
    RouteOptions sink;
    // Streamed bodies are held to the route's limit too (at the request line).
    sink.body_bytes_max = 128ull << 20;
    sink.body_sink = [this, &loop, pause_every](HttpRequest& head, BodyStream stream) -> std::unique_ptr<BodySink> {
      if (head.HasHeader("X-Refuse")) {
        stream.Refuse(HttpResponse::Text(403, "refused"));
        return nullptr;
      }
      if (head.HasHeader("X-Whole")) return nullptr;
      return std::make_unique<CountingSink>(stream, loop, seen, pause_every);
    };
    router.Add("POST", "/upload", [](HttpRequest& req, HttpReply reply) {
      reply.Send(HttpResponse::Text(200, "whole " + std::to_string(req.body.size())));
    }, sink);
    // The same sink, declaring that it holds at most 256 KiB in transit.
    RouteOptions capped = sink;
    capped.body_sink_held_bytes_max = 256 * 1024;
    router.Add("POST", "/upload-capped", [](HttpRequest&, HttpReply reply) {
      reply.Send(HttpResponse::Text(500, "not streamed"));
    }, capped);
    router.Add("POST", "/small", [](HttpRequest& req, HttpReply reply) {
      reply.Send(HttpResponse::Text(200, "small " + std::to_string(req.body.size())));
    }, RouteOptions{.body_bytes_max = 10, .body_sink = nullptr, .body_sink_held_bytes_max = 0});
    router.Add("GET", "/download", [this, &loop](HttpRequest& req, HttpReply reply) {
      const uint64_t size = std::stoull(req.QueryParam("size"));
      const uint64_t fail_at = req.QueryParam("fail").empty() ? UINT64_MAX : std::stoull(req.QueryParam("fail"));
      HttpResponse r;
      r.content_type = "application/octet-stream";
      r.body_source = std::make_shared<PatternSource>(loop, seen, 0, fail_at);
      r.body_length = size;
      reply.Send(std::move(r));
    });
  }

  std::thread thread_;
  EventLoop* loop_ = nullptr;
  uint16_t port_ = 0;
};

int Connect(uint16_t port) {
  const int fd = ::socket(AF_INET, SOCK_STREAM, 0);
  sockaddr_in a{};
  a.sin_family = AF_INET;
  a.sin_port = htons(port);
  a.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
  if (::connect(fd, reinterpret_cast<sockaddr*>(&a), sizeof a) != 0) std::abort();
  timeval tv{10, 0};
  ::setsockopt(fd, SOL_SOCKET, SO_RCVTIMEO, &tv, sizeof tv);
  return fd;
}

void SendAll(int fd, std::string_view data) {
  while (!data.empty()) {
    const ssize_t n = ::send(fd, data.data(), data.size(), MSG_NOSIGNAL);
    if (n <= 0) return;  // The server may have closed after refusing.
    data.remove_prefix(static_cast<size_t>(n));
  }
}

struct Response {
  int status = 0;
  std::string head;
  std::string body;
  bool closed = false;  // The server closed the connection after it.
};

// Reads one response (Content-Length bodies only).
Response ReadResponse(int fd, std::string& buffer) {
  Response r;
  char chunk[65536];
  size_t end;
  while ((end = buffer.find("\r\n\r\n")) == std::string::npos) {
    const ssize_t n = ::recv(fd, chunk, sizeof chunk, 0);
    if (n <= 0) {
      r.closed = true;
      return r;
    }
    buffer.append(chunk, static_cast<size_t>(n));
  }
  r.head = buffer.substr(0, end + 4);
  buffer.erase(0, end + 4);
  r.status = std::stoi(r.head.substr(9, 3));
  const size_t cl = r.head.find("Content-Length: ");
  const size_t length = cl == std::string::npos ? 0 : std::stoull(r.head.substr(cl + 16));
  while (buffer.size() < length) {
    const ssize_t n = ::recv(fd, chunk, sizeof chunk, 0);
    if (n <= 0) {
      r.closed = true;
      break;
    }
    buffer.append(chunk, static_cast<size_t>(n));
  }
  r.body = buffer.substr(0, std::min(length, buffer.size()));
  buffer.erase(0, r.body.size());
  return r;
}

std::string Post(std::string_view path, size_t bytes, std::string_view extra = "") {
  return "POST " + std::string(path) + " HTTP/1.1\r\nHost: t\r\nContent-Length: " + std::to_string(bytes) +
         "\r\n" + std::string(extra) + "\r\n";
}

TEST(HttpStream, AnUploadReachesTheSinkInPiecesWithBackpressure) {
  StreamServer server(256 * 1024);
  const int fd = Connect(server.port());
  constexpr size_t kBytes = 5 * 1024 * 1024 + 17;
  std::string body(kBytes, 'x');
  SendAll(fd, Post("/upload", kBytes) + body);
  std::string buffer;
  const Response r = ReadResponse(fd, buffer);
  EXPECT_EQ(r.status, 200);
  EXPECT_EQ(r.body, "got " + std::to_string(kBytes));
  // The same connection goes on with the next request.
  SendAll(fd, Post("/upload", 3) + "abc");
  const Response again = ReadResponse(fd, buffer);
  EXPECT_EQ(again.status, 200);
  ::close(fd);
  std::lock_guard lock(server.seen.mu);
  EXPECT_GE(server.seen.pauses, 10);  // About one per 256 KiB.
  EXPECT_FALSE(server.seen.data_while_paused);
  EXPECT_EQ(server.seen.sink_ends, 2);
}

// A streamed body is charged to the inbound budget before any of it is read
// (harden's budget, files' streams): with a 4 MiB budget (3.5 MiB for large
// requests), a second 3 MiB upload waits, unanswered by 100 Continue, until
// the first one is done. A sink that declares what it holds in transit is
// charged that much instead, so two such uploads go on at once.
TEST(HttpStream, AStreamedBodyIsChargedToTheInboundBudgetBeforeItIsRead) {
  StreamServer server(0, 4ull << 20);
  constexpr size_t kBytes = 3u << 20;
  const std::string half(kBytes / 2, 'x');
  const int first = Connect(server.port());
  SendAll(first, Post("/upload", kBytes) + half);  // Under way: charged 3 MiB.
  const int second = Connect(server.port());
  SendAll(second, Post("/upload", kBytes, "Expect: 100-continue\r\n"));
  timeval short_wait{0, 300'000};
  ::setsockopt(second, SOL_SOCKET, SO_RCVTIMEO, &short_wait, sizeof short_wait);
  char byte;
  EXPECT_EQ(::recv(second, &byte, 1, 0), -1) << "100 Continue before the budget had room";
  timeval long_wait{10, 0};
  ::setsockopt(second, SOL_SOCKET, SO_RCVTIMEO, &long_wait, sizeof long_wait);
  SendAll(first, half);
  std::string first_buffer;
  EXPECT_EQ(ReadResponse(first, first_buffer).status, 200);
  std::string buffer;
  const Response go_on = ReadResponse(second, buffer);  // The 100 Continue, once the first is done.
  EXPECT_EQ(go_on.status, 100);
  SendAll(second, std::string(kBytes, 'y'));
  EXPECT_EQ(ReadResponse(second, buffer).status, 200);

  // Capped sinks: both 3 MiB uploads are admitted at once.
  const int a = Connect(server.port());
  const int b = Connect(server.port());
  SendAll(a, Post("/upload-capped", kBytes) + half);
  SendAll(b, Post("/upload-capped", kBytes, "Expect: 100-continue\r\n"));
  std::string b_buffer;
  EXPECT_EQ(ReadResponse(b, b_buffer).status, 100);  // While `a` is under way.
  SendAll(b, std::string(kBytes, 'y'));
  EXPECT_EQ(ReadResponse(b, b_buffer).status, 200);
  SendAll(a, half);
  std::string a_buffer;
  EXPECT_EQ(ReadResponse(a, a_buffer).status, 200);
  for (const int fd : {first, second, a, b}) ::close(fd);
}

TEST(HttpStream, ASinkMayRefuseAtTheHeadersAndTheConnectionCloses) {
  StreamServer server(0);
  const int fd = Connect(server.port());
  SendAll(fd, Post("/upload", 100'000'000, "X-Refuse: 1\r\n") + std::string(1000, 'x'));
  std::string buffer;
  const Response r = ReadResponse(fd, buffer);
  EXPECT_EQ(r.status, 403);
  EXPECT_NE(r.head.find("Connection: close"), std::string::npos);
  ::close(fd);
  std::lock_guard lock(server.seen.mu);
  EXPECT_EQ(server.seen.sink_bytes, 0u);
}

TEST(HttpStream, WithoutASinkTheBodyIsReadWholeWithinTheRoutesLimit) {
  StreamServer server(0);
  const int fd = Connect(server.port());
  std::string buffer;
  SendAll(fd, Post("/upload", 5, "X-Whole: 1\r\n") + "12345");
  EXPECT_EQ(ReadResponse(fd, buffer).body, "whole 5");
  SendAll(fd, Post("/small", 10) + "0123456789");
  EXPECT_EQ(ReadResponse(fd, buffer).body, "small 10");
  SendAll(fd, Post("/small", 11) + "01234567890");
  const Response big = ReadResponse(fd, buffer);
  EXPECT_EQ(big.status, 413);
  ::close(fd);
  // A chunked body cannot be streamed: it is read whole (here, too long).
  const int fd2 = Connect(server.port());
  std::string buffer2;
  SendAll(fd2, "POST /small HTTP/1.1\r\nHost: t\r\nTransfer-Encoding: chunked\r\n\r\nb\r\n01234567890\r\n0\r\n\r\n");
  EXPECT_EQ(ReadResponse(fd2, buffer2).status, 413);
  ::close(fd2);
}

TEST(HttpStream, ADownloadIsPulledPieceByPieceAndTheConnectionGoesOn) {
  StreamServer server(0);
  const int fd = Connect(server.port());
  constexpr uint64_t kBytes = 8 * 1024 * 1024 + 3;
  SendAll(fd, "GET /download?size=" + std::to_string(kBytes) +
                  " HTTP/1.1\r\nHost: t\r\n\r\nHEAD /download?size=5 HTTP/1.1\r\nHost: t\r\n\r\n");
  std::string buffer;
  const Response r = ReadResponse(fd, buffer);
  ASSERT_EQ(r.status, 200);
  ASSERT_EQ(r.body.size(), kBytes);
  bool same = true;
  for (uint64_t i = 0; i < kBytes && same; ++i) same = r.body[i] == PatternByte(i);
  EXPECT_TRUE(same);
  // The pipelined HEAD: headers of 5 bytes, no body.
  std::string head = buffer;
  char c;
  while (head.find("\r\n\r\n") == std::string::npos && ::recv(fd, &c, 1, 0) == 1) head += c;
  EXPECT_NE(head.find("Content-Length: 5\r\n"), std::string::npos) << head;
  pollfd p{fd, POLLIN, 0};
  EXPECT_EQ(::poll(&p, 1, 200), 0);  // Nothing follows the HEAD's headers.
  ::close(fd);
  std::lock_guard lock(server.seen.mu);
  EXPECT_LE(server.seen.max_pull, 256u * 1024);
}

TEST(HttpStream, ASourceThatFailsMidwayClosesTheConnection) {
  StreamServer server(0);
  const int fd = Connect(server.port());
  SendAll(fd, "GET /download?size=2000000&fail=1000000 HTTP/1.1\r\nHost: t\r\n\r\n");
  std::string buffer;
  const Response r = ReadResponse(fd, buffer);
  EXPECT_EQ(r.status, 200);
  EXPECT_TRUE(r.closed);
  EXPECT_LT(r.body.size(), 2'000'000u);
  ::close(fd);
}

TEST(HttpStream, APeerThatLeavesMidUploadDestroysTheSinkWithoutAnEnd) {
  StreamServer server(0);
  {
    const int fd = Connect(server.port());
    SendAll(fd, Post("/upload", 1'000'000) + std::string(10'000, 'x'));
    // Leave once the sink has bytes (bounded wait on a condition).
    for (int i = 0; i < 5000; ++i) {
      {
        std::lock_guard lock(server.seen.mu);
        if (server.seen.sink_bytes > 0) break;
      }
      std::this_thread::sleep_for(std::chrono::milliseconds(1));
    }
    ::close(fd);
  }
  // A second request proves the first was handled; its sink is gone.
  const int fd = Connect(server.port());
  std::string buffer;
  SendAll(fd, Post("/upload", 1) + "z");
  EXPECT_EQ(ReadResponse(fd, buffer).status, 200);
  ::close(fd);
  std::lock_guard lock(server.seen.mu);
  EXPECT_EQ(server.seen.sink_ends, 1);
  EXPECT_GE(server.seen.sink_destroyed, 1);
}

TEST(HttpRange, OneRangeInEachFormAndTheRestIgnored) {
  ByteRange r;
  EXPECT_EQ(ParseRange("bytes=0-499", 1000, &r), RangeOutcome::kPartial);
  EXPECT_EQ(r.first, 0u);
  EXPECT_EQ(r.length, 500u);
  EXPECT_EQ(ParseRange("bytes=500-", 1000, &r), RangeOutcome::kPartial);
  EXPECT_EQ(r.first, 500u);
  EXPECT_EQ(r.length, 500u);
  EXPECT_EQ(ParseRange("bytes=-100", 1000, &r), RangeOutcome::kPartial);
  EXPECT_EQ(r.first, 900u);
  EXPECT_EQ(r.length, 100u);
  EXPECT_EQ(ParseRange("bytes=-5000", 1000, &r), RangeOutcome::kPartial);
  EXPECT_EQ(r.first, 0u);
  EXPECT_EQ(ParseRange("bytes=990-2000", 1000, &r), RangeOutcome::kPartial);
  EXPECT_EQ(r.length, 10u);
  EXPECT_EQ(ContentRange(r, 1000), "bytes 990-999/1000");
  EXPECT_EQ(ParseRange("bytes=1000-", 1000, &r), RangeOutcome::kUnsatisfiable);
  EXPECT_EQ(ParseRange("bytes=-0", 1000, &r), RangeOutcome::kUnsatisfiable);
  EXPECT_EQ(ParseRange("bytes=0-0", 0, &r), RangeOutcome::kUnsatisfiable);
  for (const char* ignored : {"", "items=0-1", "bytes=0-1,5-6", "bytes=5-1", "bytes=a-b", "bytes=-", "bytes=1",
                              "bytes=-1-2", "bytes=99999999999999999999999-"}) {
    EXPECT_EQ(ParseRange(ignored, 1000, &r), RangeOutcome::kWhole) << ignored;
  }
}

TEST(HttpRange, EntityTagsCompareWeaklyForIfNoneMatchAndStronglyForIfRange) {
  EXPECT_TRUE(IfNoneMatch("\"abc\"", "\"abc\""));
  EXPECT_TRUE(IfNoneMatch("\"x\", W/\"abc\"", "\"abc\""));
  EXPECT_TRUE(IfNoneMatch("*", "\"abc\""));
  EXPECT_FALSE(IfNoneMatch("\"abd\"", "\"abc\""));
  EXPECT_FALSE(IfNoneMatch("", "\"abc\""));
  EXPECT_TRUE(IfRangeAllows("\"abc\"", "\"abc\""));
  EXPECT_FALSE(IfRangeAllows("W/\"abc\"", "\"abc\""));
  EXPECT_FALSE(IfRangeAllows("Wed, 21 Oct 2015 07:28:00 GMT", "\"abc\""));
}

}  // namespace
}  // namespace sela::net
