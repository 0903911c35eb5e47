// A mass disconnect of registered v1 nodes through the real NodeSessions:
// N nodes (one session each) register over loopback, then all close at
// once; the figure is how long the server's loop takes until none is
// registered, per disconnect, and how many sessions it looked at to find
// each node's others (NodeSessions::node_index_steps). When each disconnect
// scanned every session, the time per disconnect grew with N (10^8 steps
// for 10,000 nodes); now it should stay flat.
//
// Usage: node_disconnect_bench [N ...]   (default 1000 2000 4000 8000)
// Prints one JSON line per N. Not a test.
#include <arpa/inet.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <sys/resource.h>
#include <sys/socket.h>
#include <unistd.h>

#include <atomic>
#include <chrono>
#include <cstdio>
#include <cstdlib>
#include <filesystem>
#include <functional>
#include <future>
#include <memory>
#include <random>
#include <string>
#include <thread>
#include <vector>

#include <spdlog/spdlog.h>

#include "api/node_sessions.h"
#include "core/clock.h"
#include "core/config.h"
#include "core/metrics.h"
#include "net/event_loop.h"
#include "net/router.h"
#include "net/server.h"
#include "nodes/registry.h"
#include "principal.h"
#include "store/sqlite/sqlite_store.h"
#include "v1_messages.h"
#include "ws_frame.h"
#include "ws_handshake.h"

namespace sela {
namespace {

std::string ErrorBody(std::string_view message, std::string_view) { return std::string(message); }

// The server of main() with node sessions only (no jobs), on its own thread.
class ServerThread {
 public:
  explicit ServerThread(std::string dir) : dir_(std::move(dir)) {
    std::promise<uint16_t> port;
    auto ready = port.get_future();
    thread_ = std::thread([this, &port] { Run(port); });
    port_ = ready.get();
  }
  ~ServerThread() {
    loop_.load()->Stop();
    thread_.join();
  }
  uint16_t port() const { return port_; }
  int64_t registered() const { return registered_.load()->value(); }
  // Read while the loop is quiet (between phases).
  uint64_t steps() const { return steps_.load(); }

 private:
  void Run(std::promise<uint16_t>& port) {
    SystemClock clock;
    MetricsRegistry metrics;
    net::EventLoop loop;
    loop_ = &loop;
    store::SqliteOptions so;
    so.path = dir_ + "/sela.db";
    so.random = [rng = std::mt19937_64(1)]() mutable { return rng(); };
    so.wake_later = [&loop](std::function<void()> fn) { loop.Post(std::move(fn)); };
    auto store = store::SqliteStore::Open(so, [&loop](std::function<void()> fn) { loop.Post(std::move(fn)); });
    if (!store) std::abort();
    nodes::NodeRegistry registry(nodes::RegistryOptions{});
    api::SecurityEvents events(metrics, clock);
    api::NodeSessionOptions options;
    options.registrations_per_source.enabled = false;  // All come from 127.0.0.1.
    options.random = [rng = std::mt19937_64(2)](std::span<uint8_t> out) mutable {
      for (uint8_t& b : out) b = static_cast<uint8_t>(rng());
    };
    api::NodeSessions sessions(std::move(options), clock, **store, registry, metrics, events);
    net::Router router;
    NetConfig config;
    config.host = "127.0.0.1";
    config.port = 0;
    config.max_connections_per_source = 0;
    net::Server server(loop, config, clock, metrics, router, sessions, &ErrorBody);
    sessions.Attach(&server);
    if (!server.Listen().ok()) std::abort();
    registered_ = &metrics.GetGauge("sela_nodes_registered", "");
    loop.RunEvery(std::chrono::milliseconds(1), [&] { steps_ = sessions.node_index_steps(); });
    port.set_value(server.port());
    loop.Run();
    (*store)->Flush();
    loop.Shutdown();
  }

  std::string dir_;
  std::atomic<net::EventLoop*> loop_{nullptr};
  std::atomic<Gauge*> registered_{nullptr};
  std::atomic<uint64_t> steps_{0};
  uint16_t port_ = 0;
  std::thread thread_;
};

int Connect(uint16_t port) {
  const int fd = socket(AF_INET, SOCK_STREAM, 0);
  sockaddr_in addr{};
  addr.sin_family = AF_INET;
  addr.sin_port = htons(port);
  addr.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
  if (connect(fd, reinterpret_cast<sockaddr*>(&addr), sizeof addr) != 0) std::abort();
  return fd;
}

void SendAll(int fd, std::string_view bytes) {
  while (!bytes.empty()) {
    const ssize_t n = write(fd, bytes.data(), bytes.size());
    if (n <= 0) std::abort();
    bytes.remove_prefix(static_cast<size_t>(n));
  }
}

// Reads until `done(in)` says the input holds what is awaited.
template <typename Done>
void ReadUntil(int fd, std::string& in, Done done) {
  char buf[4096];
  while (!done(in)) {
    const ssize_t n = read(fd, buf, sizeof buf);
    if (n <= 0) std::abort();
    in.append(buf, static_cast<size_t>(n));
  }
}

bool HasRegistrationReply(std::string& in) {
  for (;;) {
    const auto r = loadgen::DecodeServerFrame(in, 1 << 20);
    if (r.status != loadgen::DecodeStatus::kFrame) return false;
    const std::string payload = in.substr(r.frame.header_bytes, r.frame.payload_bytes);
    in.erase(0, r.frame.total_bytes());
    if (r.frame.opcode == loadgen::Opcode::kText) {
      if (loadgen::ClassifyReply(payload) != loadgen::ReplyKind::kRegistered) std::abort();
      return true;
    }
  }
}

void WaitFor(const std::function<bool()>& done) {
  while (!done()) std::this_thread::sleep_for(std::chrono::microseconds(200));
}

void RunOnce(uint32_t n) {
  char dir_template[] = "/tmp/sela-node-disconnect-XXXXXX";
  if (!mkdtemp(dir_template)) std::abort();
  const std::string dir = dir_template;
  {
    ServerThread server(dir);
    std::vector<int> fds;
    const int width = loadgen::PrincipalIndexWidth(n);
    for (uint32_t i = 0; i < n; ++i) {
      const int fd = Connect(server.port());
      SendAll(fd, loadgen::BuildUpgradeRequest(
                      {.host_header = "127.0.0.1", .path = "/", .key = loadgen::MakeWebSocketKey(i, 7), .bearer = {}}));
      std::string in;
      ReadUntil(fd, in, [](std::string& s) { return s.find("\r\n\r\n") != std::string::npos; });
      std::string frame;
      loadgen::AppendClientFrame(loadgen::Opcode::kText,
                                 loadgen::RegistrationMessage(loadgen::MakePrincipal(
                                     loadgen::PrincipalFormat::kIcText, "disconnect-bench", i, width)),
                                 0x12345678, frame);
      SendAll(fd, frame);
      fds.push_back(fd);
    }
    for (const int fd : fds) {
      std::string in;
      ReadUntil(fd, in, HasRegistrationReply);
    }
    WaitFor([&] { return server.registered() == static_cast<int64_t>(n); });
    std::this_thread::sleep_for(std::chrono::milliseconds(20));
    const uint64_t steps_before = server.steps();
    const auto start = std::chrono::steady_clock::now();
    for (const int fd : fds) close(fd);
    WaitFor([&] { return server.registered() == 0; });
    const double ms = std::chrono::duration<double, std::milli>(std::chrono::steady_clock::now() - start).count();
    std::this_thread::sleep_for(std::chrono::milliseconds(20));
    std::printf(
        "{\"bench\":\"node_disconnect\",\"nodes\":%u,\"disconnect_all_ms\":%.1f,\"us_per_disconnect\":%.2f,"
        "\"index_steps\":%llu}\n",
        n, ms, ms * 1000 / n, static_cast<unsigned long long>(server.steps() - steps_before));
    std::fflush(stdout);
  }
  std::filesystem::remove_all(dir);
}

}  // namespace
}  // namespace sela

int main(int argc, char** argv) {
  spdlog::set_level(spdlog::level::warn);
  rlimit limit{};
  getrlimit(RLIMIT_NOFILE, &limit);
  limit.rlim_cur = limit.rlim_max;
  setrlimit(RLIMIT_NOFILE, &limit);
  std::vector<uint32_t> sizes;
  for (int i = 1; i < argc; ++i) sizes.push_back(static_cast<uint32_t>(std::strtoul(argv[i], nullptr, 10)));
  if (sizes.empty()) sizes = {1000, 2000, 4000, 8000};
  for (const uint32_t n : sizes) sela::RunOnce(n);
  return 0;
}
