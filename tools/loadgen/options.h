// Command line of sela-loadgen: scenario, options, their limits, and the
// loopback-only target rule.
//
// Safety rule: the target must be a loopback address (127.0.0.0/8 or ::1).
// This tool opens tens of thousands of connections at thousands per second;
// pointed at a real host that is a denial-of-service attack, so anything else
// is refused before a single socket is created. Names are not resolved; the
// only name accepted is "localhost", taken to mean 127.0.0.1.
#pragma once

#include <netinet/in.h>
#include <sys/socket.h>

#include <cstdint>
#include <expected>
#include <string>
#include <vector>

#include "principal.h"

namespace loadgen {

enum class Scenario { kHold, kPing, kStorm, kJobs };

// Where a node names its principal (protocol v1 accepts all three): the
// upgrade's `Authorization: Bearer`, the upgrade URL's `?principal_id=`, or
// only the first frame's `principal_id`.
enum class PrincipalIn { kHeader, kUrl, kFrame };

const char* ScenarioName(Scenario scenario);

struct Options {
  Scenario scenario = Scenario::kHold;
  std::string host = "127.0.0.1";
  int64_t port = 8082;
  std::string path = "/";
  int64_t nodes = 1000;
  double duration_s = 10;
  bool raw = false;
  double heartbeat_s = 30;
  int64_t inflight = 1;
  int64_t rounds = 3;
  int64_t source_ips = 32;
  double connect_rate_per_s = 5000;  // 0 means unlimited.
  double connect_timeout_s = 10;
  int64_t procs = 0;  // 0 means auto.
  int64_t seed = 1;
  std::string principal_prefix = "loadgen-";
  PrincipalFormat principal_format = PrincipalFormat::kPlain;
  PrincipalIn principal_in = PrincipalIn::kHeader;
  // Upgrade every connection first, then send every registration at once
  // (per worker process), instead of registering each as it is upgraded.
  bool register_after_upgrades = false;
  int64_t protocol = 1;  // 1: the legacy protocol; 2: signed sessions (sela.v2).
  int64_t server_pid = 0;  // 0 means no server measurement.
  // --server-pids: more processes of the same server (several on one port);
  // their CPU and RSS are added to --server-pid's.
  std::vector<int64_t> extra_server_pids;
  double settle_s = 2;
  double max_runtime_s = 600;
  bool quiet = false;
  bool help = false;
  // jobs: API customers submitting POST /api/rpc/scrapeUrl, nodes answering.
  int64_t customers = 32;         // Keep-alive HTTP connections.
  double job_rate_per_s = 1000;   // Total submissions per second; 0 = closed loop.
  int64_t pipeline = 1;           // Requests outstanding per customer connection.
  int64_t result_bytes = 1024;    // Length of the JSON array text a node returns.
  double result_delay_ms = 0;     // Node think time before it answers a job.
  int64_t timeout_ms = 30000;     // timeoutMs sent with every job.
};

// Parses argv (without argv[0]). The error is one line for the user.
std::expected<Options, std::string> ParseOptions(const std::vector<std::string>& args);

std::string UsageText();

// The resolved target and the source addresses to bind, round-robin.
struct Endpoints {
  sockaddr_storage target{};
  socklen_t target_bytes = 0;
  std::vector<sockaddr_storage> sources;
  socklen_t source_bytes = 0;
  std::string host_header;  // For the HTTP Host header: "127.0.0.1:8082", "[::1]:8082".
};

// Applies the loopback-only rule and builds the source list: 127.0.0.1 ..
// 127.0.0.K for an IPv4 target, ::1 alone for an IPv6 one.
std::expected<Endpoints, std::string> ResolveEndpoints(const Options& options);

}  // namespace loadgen
