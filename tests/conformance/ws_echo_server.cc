// ws_echo_server: the project's net layer with an echo application, for the
// conformance suite (tests/conformance). Configured like sela-server through
// the environment (PORT, HOST, WS_*, HTTP_*); writes its port to PORT_FILE.
#include <csignal>
#include <cstdio>
#include <cstdlib>

#include "core/clock.h"
#include "core/config.h"
#include "core/file_util.h"
#include "core/logging.h"
#include "core/metrics.h"
#include "net/event_loop.h"
#include "net/server.h"

namespace {

class Echo final : public sela::net::WsHandler {
 public:
  sela::net::Server* server = nullptr;
  void OnWsOpen(sela::net::ConnId, const sela::net::HttpRequest&) override {}
  void OnWsMessage(sela::net::ConnId id, bool text, std::string_view payload) override {
    server->Send(id, payload, text);
  }
  void OnWsClosed(sela::net::ConnId, uint16_t) override {}
  void OnWsDeadline(sela::net::ConnId) override {}
};

}  // namespace

int main() {
  auto config = sela::LoadConfigFromProcess();
  if (!config) {
    std::fprintf(stderr, "ws_echo_server: %s\n", config.error().message().c_str());
    return 2;
  }
  sela::SetupLogging(config->log_level);
  std::signal(SIGPIPE, SIG_IGN);
  sela::SystemClock clock;
  sela::MetricsRegistry metrics;
  sela::net::EventLoop loop;
  sela::net::Router router;
  router.Add("GET", "/", [](sela::net::HttpRequest&, sela::net::HttpReply reply) {
    reply.Send(sela::net::HttpResponse::Text(200, "ok"));
  });
  router.Add("POST", "/echo", [](sela::net::HttpRequest& req, sela::net::HttpReply reply) {
    sela::net::HttpResponse r;
    r.content_type = req.HasHeader("Content-Type") ? std::string(req.Header("Content-Type"))
                                                   : "application/octet-stream";
    r.body = std::move(req.body);
    reply.Send(std::move(r));
  });
  router.Add("GET", "/metrics", [&metrics](sela::net::HttpRequest&, sela::net::HttpReply reply) {
    reply.Send(sela::net::HttpResponse::Text(200, metrics.RenderPrometheus()));
  });
  Echo echo;
  // The echo application's own error envelope (sela-server's is api's).
  auto error_body = [](std::string_view message, std::string_view data_json) {
    return R"({"error":")" + sela::JsonEscape(message) + R"(","data":)" + std::string(data_json) + "}";
  };
  sela::net::Server server(loop, config->net, clock, metrics, router, echo, error_body);
  echo.server = &server;
  if (auto st = server.Listen(); !st.ok()) {
    std::fprintf(stderr, "ws_echo_server: %s\n", st.ToString().c_str());
    return 1;
  }
  if (const std::string& port_file = config->port_file; !port_file.empty()) {
    if (!sela::WriteFileAtomic(port_file, std::to_string(server.port()) + "\n").ok()) return 1;
  }
  loop.OnSignals({SIGTERM, SIGINT}, [&](int) {
    server.Drain(1001, "Server shutdown", [&] { loop.Stop(); });
  });
  loop.Run();
  loop.Shutdown();
  return 0;
}
