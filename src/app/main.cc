// sela-server: reads configuration, builds the objects in order, serves on
// one port, drains on SIGTERM/SIGINT.
#include <algorithm>
#include <csignal>
#include <ctime>
#include <cstdio>
#include <optional>
#include <random>
#include <spdlog/spdlog.h>

#include "api/dashboard.h"
#include "api/job_service.h"
#include "api/node_routes.h"
#include "api/node_sessions.h"
#include "api/openapi.h"
#include "api/ops_routes.h"
#include "api/rpc_routes.h"
#include "api/ws_demux.h"
#include "core/clock.h"
#include "core/config.h"
#include "core/file_util.h"
#include "core/logging.h"
#include "core/metrics.h"
#include "net/event_loop.h"
#include "net/server.h"
#include "net/ws_codec.h"
#include "nodes/registry.h"
#include "store/sqlite/sqlite_store.h"

namespace {

// Seeds from the OS: main is the one place that reads a random device;
// everything else gets a seeded source (ENGINEERING.md).
uint64_t OsRandom() {
  std::random_device rd;
  return (uint64_t{rd()} << 32) ^ rd();
}

sela::Result<std::unique_ptr<sela::store::Store>> OpenStore(const sela::Config& config,
                                                             sela::net::EventLoop& loop) {
  sela::store::SqliteOptions options;
  options.path = config.data_path + "/sela.db";
  options.wal_checkpoint_pages = config.sqlite_checkpoint_pages;
  options.random = [rng = std::mt19937_64(OsRandom())]() mutable { return rng(); };
  options.wake_later = [&loop](std::function<void()> fn) { loop.Post(std::move(fn)); };
  options.wake_after = [&loop](std::chrono::microseconds delay, std::function<void()> fn) {
    loop.RunAfter(delay, std::move(fn));
  };
  options.gather = std::chrono::microseconds(config.sqlite_gather_us);
  return sela::store::SqliteStore::Open(options, [&loop](std::function<void()> fn) { loop.Post(std::move(fn)); });
}

// CPU time of the calling thread; main is where the process reads the OS.
int64_t ThreadCpuNanos() {
  timespec ts{};
  clock_gettime(CLOCK_THREAD_CPUTIME_ID, &ts);
  return int64_t{ts.tv_sec} * 1'000'000'000 + ts.tv_nsec;
}

}  // namespace

int main() {
  auto config = sela::LoadConfigFromProcess();
  if (!config) {
    std::fprintf(stderr, "sela-server: configuration error: %s\n", config.error().message().c_str());
    return 2;
  }
  sela::MetricsRegistry metrics;
  sela::SetupLogging({.level = config->log_level,
                      .max_lines_per_s = config->log_max_lines_per_s,
                      .dropped = &metrics.GetCounter("sela_log_lines_dropped_total",
                                                     "Log lines dropped by LOG_MAX_LINES_PER_S.")});
  std::signal(SIGPIPE, SIG_IGN);

  sela::SystemClock clock;
  sela::net::EventLoop loop;
  auto store = OpenStore(*config, loop);
  if (!store) {
    spdlog::critical("cannot open the store: {}", store.error().ToString());
    return 1;
  }
  sela::nodes::RegistryOptions registry_options;
  registry_options.principal_hash_key = {OsRandom(), OsRandom()};
  sela::nodes::NodeRegistry registry(registry_options);
  sela::api::NodeSessions sessions(sela::api::NodeSessionOptions::FromConfig(config->node), clock,
                                   **store, registry, metrics);
  sela::api::JobService jobs(sela::api::JobServiceOptions::FromConfig(*config), clock, **store, registry,
                             metrics);
  sessions.AttachJobs(&jobs);
  jobs.Attach(&sessions);

  sela::net::Router router;
  sela::net::Server* server_ptr = nullptr;
  bool ready = false;
  const std::vector<sela::api::ApiGroup> api_groups = sela::api::ServerApiGroups();
  const std::string openapi = sela::api::OpenApiJson(api_groups, SELA_VERSION);
  sela::api::AddOpsRoutes(router, clock, metrics,
                          {.ready = [&] { return ready && !server_ptr->draining(); },
                           .store_ping = [&](std::function<void(sela::Status)> done) {
                             (*store)->Ping(std::move(done));
                           },
                           .admin_token = config->admin_token,
                           .openapi_json = openapi,
                           .openapi_yaml = sela::api::JsonToYaml(openapi)});
  sela::api::AddNodeRoutes(router, sela::api::NodeRoutesDepsFor(clock, **store, registry, sessions),
                           sela::api::NodeRoutesOptions::FromConfig(*config));
  sela::api::AddRpcRoutes(router, {.clock = clock, .store = **store, .registry = registry, .jobs = jobs},
                          sela::api::RpcRoutesOptions::FromConfig(*config));
  if (auto st = sela::api::CheckRoutesDocumented(router, api_groups); !st.ok()) {
    spdlog::critical("{}", st.ToString());
    return 1;
  }

  sela::api::DashboardSampler sampler(
      {}, clock, metrics,
      {.live = [&] {
        return sela::api::DashboardLive{.nodes_online = registry.size(),
                                        .jobs_pending = jobs.engine().pending_jobs(),
                                        .jobs_open = jobs.engine().open_jobs()};
      }});
  sela::api::DashboardFeed feed(sampler, clock, config->admin_token, metrics);
  sela::api::WsDemux ws_demux(sessions, feed);
  sela::net::Server server(loop, config->net, clock, metrics, router, ws_demux, sela::api::ErrorEnvelope);
  server_ptr = &server;
  sessions.Attach(&server);
  sela::api::ServerWsOut feed_out(server);
  feed.Attach(&feed_out);

  // Jobs the previous process left open are taken over before serving.
  {
    std::optional<sela::Status> recovered;
    jobs.Recover([&](sela::Status st) { recovered = st; });
    (*store)->Flush();
    loop.RunUntilIdle();
    if (!recovered || !recovered->ok()) {
      spdlog::critical("cannot take over open jobs: {}",
                       recovered ? recovered->ToString() : std::string("no answer from the store"));
      return 1;
    }
  }
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
  loop.RunEvery(sela::Millis(config->node.uptime_checkpoint_ms), [&] { sessions.CheckpointUptime(); });
  loop.RunEvery(sela::Millis(250), [&] { jobs.Tick(); });
  // The feed's own cost (sample, render, send to every viewer) in thread CPU
  // time, so that "under 1% of a core" can be read off /metrics.
  sela::Counter& feed_cpu = metrics.GetCounter("sela_admin_feed_cpu_nanoseconds_total",
                                               "Thread CPU time spent sampling and sending the dashboard feed.");
  loop.RunEvery(sela::Millis(sampler.options().sample_interval_ms), [&] {
    const int64_t before = ThreadCpuNanos();
    feed.Tick();
    feed_cpu.Inc(static_cast<uint64_t>(std::max<int64_t>(0, ThreadCpuNanos() - before)));
  });
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
    // Leases held here go back to pending for the next process.
    jobs.Drain();
    server.Drain(sela::net::close_code::kServiceRestart, "Server restarting", [&] {
      spdlog::info("drained; exiting");
      loop.Stop();
    });
  });
  loop.Run();
  // Whatever uptime accrued since the last checkpoint is written before exit.
  sessions.CheckpointUptime();
  (*store)->Flush();
  loop.Shutdown();
  return exit_code;
}
