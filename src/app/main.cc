// sela-server: reads configuration, builds the objects in order, serves on
// one port, drains on SIGTERM/SIGINT.
#include <csignal>
#include <cstdio>
#include <spdlog/spdlog.h>

#include "api/ops_routes.h"
#include "core/clock.h"
#include "core/config.h"
#include "core/file_util.h"
#include "core/logging.h"
#include "core/metrics.h"
#include "net/event_loop.h"
#include "net/server.h"
#include "net/ws_codec.h"

namespace {

// Until the node protocol is served (issue 3), a WebSocket client gets a
// clear error per message instead of silence.
class NoProtocolHandler final : public sela::net::WsHandler {
 public:
  explicit NoProtocolHandler(sela::net::Server*& server) : server_(server) {}
  void OnWsOpen(sela::net::ConnId, const sela::net::HttpRequest&) override {}
  void OnWsMessage(sela::net::ConnId id, bool, std::string_view) override {
    server_->Send(id, R"({"type":"error","message":"node protocol not available on this server build"})");
  }
  void OnWsClosed(sela::net::ConnId, uint16_t) override {}
  void OnWsDeadline(sela::net::ConnId) override {}

 private:
  sela::net::Server*& server_;
};

}  // namespace

int main() {
  auto config = sela::LoadConfigFromProcess();
  if (!config) {
    std::fprintf(stderr, "sela-server: configuration error: %s\n", config.error().message().c_str());
    return 2;
  }
  sela::SetupLogging(config->log_level);
  std::signal(SIGPIPE, SIG_IGN);

  sela::SystemClock clock;
  sela::MetricsRegistry metrics;
  sela::net::EventLoop loop;
  sela::net::Router router;
  sela::net::Server* server_ptr = nullptr;
  bool ready = false;
  sela::api::AddOpsRoutes(router, clock, metrics, {.ready = [&] { return ready && !server_ptr->draining(); }});
  NoProtocolHandler ws_handler(server_ptr);
  sela::net::Server server(loop, config->net, clock, metrics, router, ws_handler);
  server_ptr = &server;

  if (auto st = server.Listen(); !st.ok()) {
    spdlog::critical("cannot start: {}", st.ToString());
    return 1;
  }
  spdlog::info("listening on {}:{}", config->net.host, server.port());
  if (const std::string& port_file = config->port_file; !port_file.empty()) {
    if (auto st = sela::WriteFileAtomic(port_file, std::to_string(server.port()) + "\n"); !st.ok()) {
      spdlog::critical("cannot write PORT_FILE: {}", st.ToString());
      return 1;
    }
  }
  ready = true;

  int exit_code = 0;
  loop.OnSignals({SIGTERM, SIGINT}, [&](int signal) {
    if (server.draining()) {
      spdlog::warn("second signal {}: exiting now", signal);
      exit_code = 1;
      loop.Stop();
      return;
    }
    spdlog::info("signal {}: draining {} connections", signal, server.open_connections());
    server.Drain(sela::net::close_code::kServiceRestart, "Server restarting", [&] {
      spdlog::info("drained; exiting");
      loop.Stop();
    });
  });
  loop.Run();
  loop.Shutdown();
  return exit_code;
}
