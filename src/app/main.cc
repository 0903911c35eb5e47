// sela-server: reads configuration, builds the objects in order, serves on
// one port, drains on SIGTERM/SIGINT.
#include <openssl/rand.h>
#include <unistd.h>

#include <algorithm>
#include <cctype>
#include <csignal>
#include <ctime>
#include <filesystem>
#include <cstdio>
#include <optional>
#include <random>
#include <spdlog/spdlog.h>

#include "api/dashboard.h"
#include "api/file_routes.h"
#include "api/job_service.h"
#include "api/node_routes.h"
#include "api/node_sessions.h"
#include "api/openapi.h"
#include "api/reward_routes.h"
#include "api/ops_routes.h"
#include "api/rpc_routes.h"
#include "api/rest_guard.h"
#include "api/security_events.h"
#include "api/settlement_routes.h"
#include "app/chain_setup.h"
#include "app/file_sync_setup.h"
#include "api/ws_demux.h"
#include "codec/hex.h"
#include "core/clock.h"
#include "core/config.h"
#include "core/cron.h"
#include "core/file_util.h"
#include "core/logging.h"
#include "core/metrics.h"
#include "files/file_service.h"
#include "net/event_loop.h"
#include "net/server.h"
#include "net/ws_codec.h"
#include "nodes/registry.h"
#include "rewards/distributor.h"
#include "rewards/rules.h"
#include "rewards/scheduler.h"
#include "store/redis/redis_store.h"
#include "store/sqlite/sqlite_store.h"

#ifdef SELA_JEMALLOC
// jemalloc's options, read by it at start (MALLOC_CONF in the environment
// still overrides them). Without a background thread jemalloc returns
// freed pages only while the program allocates: after a burst of
// connections the freed copies of grown per-connection arrays stayed
// resident in an idle server, 211 B per idle WebSocket against 110 B with
// glibc's malloc. The thread returns them within about a second, with no
// CPU cost per job seen in paired runs (docs/BENCHMARKS.md, 2026-12-07).
extern "C" {
const char* malloc_conf = "background_thread:true,dirty_decay_ms:1000,muzzy_decay_ms:0";
}
#endif

namespace {

// Seeds from the OS: main is the one place that reads a random device;
// everything else gets a seeded source (ENGINEERING.md).
uint64_t OsRandom() {
  std::random_device rd;
  return (uint64_t{rd()} << 32) ^ rd();
}

// Challenges, session ids and node-token secrets need unpredictable bytes.
// A failing CSPRNG is not something to serve through.
void CsprngBytes(std::span<uint8_t> out) {
  if (RAND_bytes(out.data(), static_cast<int>(out.size())) != 1) {
    spdlog::critical("the random source failed");
    std::abort();
  }
}

// The store, and with Redis the cluster of the processes sharing it.
struct OpenedStore {
  std::unique_ptr<sela::store::Store> store;
  sela::store::Cluster* cluster = nullptr;
};

// This process's name on the leases it writes to Redis: host, pid and a
// random tag (a restarted process is a new owner, so the old one's leases
// are released as a dead process's).
std::string ProcessId(const std::string& tag) {
  char host[64] = {};
  ::gethostname(host, sizeof host - 1);
  std::string id;
  for (const char* c = host; *c != '\0' && id.size() < 32; ++c) {
    const bool ok = std::isalnum(static_cast<unsigned char>(*c)) || *c == '-' || *c == '.' || *c == '_';
    id += ok ? *c : '_';
  }
  if (id.empty()) id = "host";
  return id + ":" + std::to_string(::getpid()) + ":" + tag;
}

sela::Result<OpenedStore> OpenRedisStore(const sela::Config& config, sela::net::EventLoop& loop) {
  auto endpoint = sela::store::redis::ParseRedisUrl(config.redis_url, config.redis_password, config.redis_db);
  if (!endpoint) return sela::Err(endpoint.error());
  char tag[16];
  std::snprintf(tag, sizeof tag, "%06llx", static_cast<unsigned long long>(OsRandom() & 0xffffff));
  sela::store::RedisOptions options;
  options.endpoint = *endpoint;
  options.key_prefix = config.redis_key_prefix;
  options.process_id = ProcessId(tag);
  options.durability = config.redis_durability == "none"       ? sela::store::RedisDurability::kNone
                       : config.redis_durability == "everysec" ? sela::store::RedisDurability::kEverysec
                                                               : sela::store::RedisDurability::kAlways;
  options.process_ttl_ms = config.redis_process_ttl_ms;
  // The completions record their file-canister sync rows themselves.
  options.canister_sync = config.canister_storage_enabled;
  options.now_ms = [] { return sela::SystemClock().WallMs(); };
  options.random = [rng = std::mt19937_64(OsRandom())]() mutable { return rng(); };
  auto store = sela::store::RedisStore::Open(options, loop, [&loop](std::function<void()> fn) { loop.Post(std::move(fn)); });
  if (!store) return sela::Err(store.error());
  spdlog::info("store: Redis at {}, db {}, keys {{{}:...}}, process {}", endpoint->Describe(), endpoint->db,
               options.key_prefix, options.process_id);
  OpenedStore opened;
  opened.cluster = store->get();
  opened.store = std::move(*store);
  return opened;
}

sela::Result<OpenedStore> OpenStore(const sela::Config& config, sela::net::EventLoop& loop,
                                    sela::MetricsRegistry& metrics) {
  if (!config.redis_url.empty()) return OpenRedisStore(config, loop);
  sela::store::SqliteOptions options;
  options.path = config.data_path + "/sela.db";
  options.wal_checkpoint_pages = config.sqlite_checkpoint_pages;
  options.quick_check_ms = config.sqlite_quick_check_ms;
  options.metrics = &metrics;
  options.random = [rng = std::mt19937_64(OsRandom())]() mutable { return rng(); };
  options.wake_later = [&loop](std::function<void()> fn) { loop.Post(std::move(fn)); };
  options.wake_after = [&loop](std::chrono::microseconds delay, std::function<void()> fn) {
    loop.RunAfter(delay, std::move(fn));
  };
  options.gather = std::chrono::microseconds(config.sqlite_gather_us);
  // The completions record their file-canister sync rows themselves.
  options.canister_sync = config.canister_storage_enabled;
  auto store = sela::store::SqliteStore::Open(options, [&loop](std::function<void()> fn) { loop.Post(std::move(fn)); });
  if (!store) return sela::Err(store.error());
  OpenedStore opened;
  opened.store = std::move(*store);
  return opened;
}

// What the other processes sharing the store send this one.
sela::store::Cluster::Events ClusterEvents(sela::api::JobService& jobs, sela::api::NodeSessions& sessions,
                                           sela::nodes::NodeRegistry& registry) {
  sela::store::Cluster::Events events;
  events.jobs = [&jobs](std::vector<sela::store::JobRecord> records) { jobs.OnClusterJobs(std::move(records)); };
  events.ended = [&jobs](const std::string& job_id) { jobs.OnJobEndedElsewhere(job_id); };
  // The payload is a ClusterNotice; each session gets its own frame (v1 or v2).
  events.to_node = [&sessions, &registry](const std::string& principal, const std::string& payload) {
    std::string_view text, data;
    if (!sela::api::ParseClusterNotice(payload, text, data)) {
      spdlog::warn("cluster: a message for a node that is not a notice was dropped");
      return;
    }
    sessions.SendToNode(registry.Find(principal), text, data);
  };
  events.to_all = [&sessions](const std::string& payload) {
    std::string_view text, data;
    if (!sela::api::ParseClusterNotice(payload, text, data)) {
      spdlog::warn("cluster: a broadcast that is not a notice was dropped");
      return;
    }
    sessions.SendToAll(text, data);
  };
  events.reconnected = [&jobs] { jobs.OnClusterReconnected(); };
  events.reaped = [&jobs] { jobs.OnClusterReaped(); };
  return events;
}

// This process's name as the owner of the distribution runs it makes.
std::string RunOwner() {
  char buf[32];
  std::snprintf(buf, sizeof buf, "sela-%016llx", static_cast<unsigned long long>(OsRandom()));
  return buf;
}

void LogRun(const sela::Result<sela::rewards::RunOutcome>& r) {
  if (!r) {
    spdlog::warn("scheduled reward distribution did not run: {}", r.error().ToString());
  } else if (!r->skipped) {
    spdlog::info("reward distribution {} ({}): {} transfers, {} units", r->run.id,
                 sela::store::RunKindName(r->run.kind), r->run.users, r->run.total_units);
  }
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
  // A file-size limit (RLIMIT_FSIZE) makes writes past it fail with EFBIG,
  // answered as a full disk, rather than kill the process.
  std::signal(SIGXFSZ, SIG_IGN);

  // Processes sharing Redis may share the port too (ARCHITECTURE.md §4).
  config->net.reuse_port = !config->redis_url.empty();
  sela::SystemClock clock;
  sela::net::EventLoop loop;
  auto opened = OpenStore(*config, loop, metrics);
  if (!opened) {
    spdlog::critical("cannot open the store: {}", opened.error().ToString());
    return 1;
  }
  std::unique_ptr<sela::store::Store>* store = &opened->store;
  sela::store::Cluster* cluster = opened->cluster;
  const sela::rewards::RewardRules rules = sela::rewards::RulesFromConfig(config->rewards);
  if (auto st = sela::rewards::ValidateRules(rules); !st.ok()) {
    std::fprintf(stderr, "sela-server: configuration error: %s\n", st.message().c_str());
    return 2;
  }
  sela::nodes::RegistryOptions registry_options;
  registry_options.principal_hash_key = {OsRandom(), OsRandom()};
  // Uptime counts only for nodes that answer the server's pings.
  registry_options.uptime_needs_pong = true;
  sela::nodes::NodeRegistry registry(registry_options);
  sela::api::SecurityEvents events(metrics, clock);
  sela::api::NodeSessionOptions session_options = sela::api::NodeSessionOptions::FromConfig(*config);
  session_options.ws_message_bytes_max = config->net.ws_max_message_bytes;
  session_options.random = CsprngBytes;
  if (!config->security.node_token_secret.empty()) {
    session_options.node_token_secret = *sela::codec::HexDecode(config->security.node_token_secret);
  }
  sela::api::NodeSessions sessions(std::move(session_options), clock, **store, registry, metrics, events);
  const std::string run_owner = RunOwner();
  sela::rewards::Distributor distributor({.rules = rules, .owner = run_owner}, **store, clock);
  // Both parsed when the configuration was read.
  sela::rewards::RewardScheduler reward_scheduler(
      *sela::CronSchedule::Parse(config->rewards.distribution_interval),
      *sela::CronSchedule::Parse(config->rewards.referral_weekly_cron), distributor, clock, LogRun);
  sela::api::JobServiceOptions job_options = sela::api::JobServiceOptions::FromConfig(*config);
  if (cluster) job_options.job_id_tag = static_cast<uint32_t>(1 + OsRandom() % 99'999);
  sela::api::JobService jobs(std::move(job_options), clock, **store, registry, metrics);
  sessions.AttachJobs(&jobs);
  jobs.Attach(&sessions);
  if (cluster) jobs.AttachCluster(cluster);
  jobs.AttachEvents(&events);
  sela::files::FileService files(sela::files::FileOptions::FromConfig(*config), clock, **store,
                                 [&loop](std::function<void()> fn) { loop.Post(std::move(fn)); },
                                 [rng = std::mt19937_64(OsRandom())]() mutable { return rng(); });
  if (cluster) {
    // With Redis nothing else makes DATA_PATH (the embedded store's Open
    // does); a failure shows in Init's message below.
    std::error_code ignored;
    std::filesystem::create_directories(config->data_path, ignored);
  }
  if (auto st = files.Init(); !st.ok()) {
    spdlog::critical("cannot prepare {}/blobs: {}", config->data_path, st.ToString());
    return 1;
  }
  jobs.AttachFiles(&files, static_cast<int64_t>(config->files.result_inline_bytes_max));

  // Settlement on the chain: the agent and its workers only when enabled.
  auto chain_gate = std::make_shared<sela::app::PostGate>(loop);
  std::unique_ptr<sela::app::ChainParts> chain_parts;
  if (config->blockchain_enabled) {
    auto built = sela::app::BuildChain(*config, clock, chain_gate);
    if (!built) {
      std::fprintf(stderr, "sela-server: configuration error: %s\n", built.error().message().c_str());
      return 2;
    }
    chain_parts = std::move(*built);
  } else {
    spdlog::info("BLOCKCHAIN_ENABLED=false: settlement is off, nothing is settled on the chain "
                 "(sela_settlement_enabled 0)");
  }
  sela::settle::Settler settler(sela::app::SettlerOptionsFor(*config), **store, clock,
                                sela::app::TransferSender(chain_parts.get()), metrics);
  settler.SetFindMint(sela::app::MintFinder(chain_parts.get()));
  settler.SetSchedule(*sela::CronSchedule::Parse(config->chain.settlement_interval.empty()
                                                      ? config->rewards.distribution_interval
                                                      : config->chain.settlement_interval));

  // Results and files mirrored on the file canister: its agent and workers
  // only when enabled (docs/CHAIN.md "Results on the file canister").
  std::unique_ptr<sela::app::FileSyncParts> file_sync_parts;
  if (config->canister_storage_enabled) {
    auto built = sela::app::BuildFileSync(*config, clock, chain_gate);
    if (!built) {
      std::fprintf(stderr, "sela-server: configuration error: %s\n", built.error().message().c_str());
      return 2;
    }
    file_sync_parts = std::move(*built);
    files.SetRemote(sela::app::RemoteFetchFor(*file_sync_parts, metrics));
  } else {
    spdlog::info("CANISTER_STORAGE_ENABLED=false: results and files are kept here only, nothing is sent to the "
                 "file canister (sela_canister_sync_enabled 0)");
  }
  sela::settle::CanisterSync canister_sync(
      sela::app::CanisterSyncOptionsFor(*config), **store, clock,
      sela::app::UploaderFor(file_sync_parts.get(), **store, config->data_path + "/blobs"), metrics);
  // The store recorded the row with the completion; the nudge only says
  // that there may be something to upload now.
  jobs.OnCompleted([&canister_sync](const sela::store::JobRecord&) { canister_sync.Nudge(); });
  files.OnComplete([&canister_sync](const sela::store::FileRecord&) { canister_sync.Nudge(); });

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
                           .metrics_token = config->security.metrics_token,
                           .events = &events,
                           .openapi_json = openapi,
                           .openapi_yaml = sela::api::JsonToYaml(openapi)});
  // Who may call the REST routes and how often: one guard for every table,
  // so that a source's bucket and a node's token mean the same everywhere.
  sela::api::RestGuardOptions guard_options = sela::api::RestGuardOptions::FromConfig(*config);
  guard_options.node_token_secret = sessions.node_token_secret();
  sela::api::RestGuard rest_guard(
      std::move(guard_options), clock, &events,
      [&store](const std::string& principal, std::function<void(sela::Result<bool>)> done) {
        (*store)->GetNode(principal, [done = std::move(done)](sela::Result<std::optional<sela::store::NodeRecord>> r) {
          if (!r) {
            done(sela::Err(r.error()));
          } else {
            done(r->has_value() && (*r)->signed_identity);
          }
        });
      });
  sela::api::NodeRoutesOptions node_route_options = sela::api::NodeRoutesOptions::FromConfig(*config);
  node_route_options.rest.guard = &rest_guard;
  node_route_options.instance = run_owner;
  sela::api::NodeRoutesDeps node_deps = sela::api::NodeRoutesDepsFor(clock, **store, registry, sessions);
  node_deps.cluster = cluster;
  sela::api::AddNodeRoutes(router, std::move(node_deps), std::move(node_route_options));
  sela::api::RewardRoutesOptions reward_route_options = sela::api::RewardRoutesOptions::FromConfig(*config);
  reward_route_options.rest.guard = &rest_guard;
  sela::api::AddRewardRoutes(router,
                             {.clock = clock,
                              .store = **store,
                              .registry = registry,
                              .distributor = distributor,
                              .next_run_ms = [&reward_scheduler, enabled = config->reward_distribution_enabled]() {
                                return enabled ? reward_scheduler.next_uptime_ms() : std::nullopt;
                              }},
                             std::move(reward_route_options));
  sela::api::RpcRoutesOptions rpc_route_options = sela::api::RpcRoutesOptions::FromConfig(*config);
  rpc_route_options.rest.guard = &rest_guard;
  sela::api::AddRpcRoutes(router,
                          {.clock = clock,
                           .store = **store,
                           .registry = registry,
                           .jobs = jobs,
                           .files = &files,
                           .events = &events},
                          std::move(rpc_route_options));
  sela::api::FileRoutesOptions file_route_options = sela::api::FileRoutesOptions::FromConfig(*config);
  file_route_options.rest.guard = &rest_guard;
  sela::api::AddFileRoutes(router, {.files = files, .jobs = &jobs}, std::move(file_route_options));
  sela::api::AddSettlementRoutes(router, {.store = **store, .settler = settler, .clock = clock}, *config, &rest_guard);
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
  if (cluster) {
    if (auto st = cluster->Start(ClusterEvents(jobs, sessions, registry)); !st.ok()) {
      spdlog::critical("cannot join the processes sharing the store: {}", st.ToString());
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
  loop.RunEvery(sela::Millis(config->node.uptime_ping_interval_ms), [&] { sessions.PingSweep(); });
  // A distribution run the previous process left unfinished is finished now
  // (the embedded store serves this process only, so no other owner is
  // alive), then the schedule takes over when distribution is enabled.
  distributor.Resume(0, [](sela::Result<std::optional<sela::rewards::RunOutcome>> r) {
    if (!r) {
      spdlog::error("cannot resume the reward distribution: {}", r.error().ToString());
    } else if (r->has_value()) {
      LogRun(std::move(**r));
    }
  });
  if (config->reward_distribution_enabled) {
    loop.RunEvery(sela::Millis(1'000), [&] { reward_scheduler.Tick(); });
  }
  loop.RunEvery(sela::Millis(250), [&] {
    jobs.Tick();
    sessions.Tick();
  });
  loop.RunEvery(sela::Millis(5'000), [&] { files.Sweep(); });
  // Node records a flood of made-up principals leaves behind (one
  // registration, nothing since) go after NODE_RECORD_TTL_MS (store.h
  // ExpireNodeRecords), a batch per sweep.
  sela::Counter& records_expired = metrics.GetCounter("sela_node_records_expired_total",
                                                      "Node records removed by NODE_RECORD_TTL_MS.");
  const int64_t record_ttl_ms = static_cast<int64_t>(std::min<uint64_t>(config->security.node_record_ttl_ms, INT64_MAX / 4));
  loop.RunEvery(sela::Millis(std::clamp<int64_t>(record_ttl_ms / 4, 250, 60'000)), [&] {
    (*store)->ExpireNodeRecords(clock.WallMs() - record_ttl_ms, 1'000, [&](sela::Result<uint32_t> r) {
      if (!r) {
        spdlog::warn("node records not expired: {}", r.error().ToString());
      } else if (*r > 0) {
        records_expired.Inc(*r);
        spdlog::info("node records expired{}", sela::LogFields({{"count", std::to_string(*r)}}));
      }
    });
  });
  loop.RunEvery(sela::Millis(1'000), [&] { settler.Tick(); });
  loop.RunEvery(sela::Millis(1'000), [&] { canister_sync.Tick(); });
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
    // Leases held here go back to pending for the next process; v2 nodes
    // hear why before the close.
    jobs.Drain();
    sessions.Drain("the server is restarting");
    server.Drain(sela::net::close_code::kServiceRestart, "Server restarting", [&] {
      spdlog::info("drained; exiting");
      loop.Stop();
    });
  });
  loop.Run();
  // IC calls still running finish on their own; their answers post nowhere
  // (the settlement stays sent and is resent by the next process).
  chain_gate->Close();
  if (chain_parts) (void)chain_parts.release();
  if (file_sync_parts) (void)file_sync_parts.release();  // Uploads are resent by the next process.
  files.WaitForDisk();
  // Whatever uptime accrued since the last checkpoint is written before exit.
  sessions.CheckpointUptimeForExit();
  (*store)->Flush();
  loop.Shutdown();
  return exit_code;
}
