#include "options.h"

#include <arpa/inet.h>

#include <algorithm>
#include <charconv>
#include <optional>
#include <string_view>
#include <variant>

#include "v1_messages.h"

namespace loadgen {
namespace {

constexpr int64_t kNodesMax = 1'000'000;
constexpr int64_t kInflightMax = 1024;
constexpr int64_t kRoundsMax = 1000;
constexpr int64_t kProcsMax = 64;
constexpr int64_t kSourceIpsMax = 254;
constexpr double kSecondsMax = 86'400;
constexpr double kConnectRateMax = 1'000'000;
// Customer connections share one process with its 20,000 descriptors.
constexpr int64_t kCustomersMax = 10'000;
constexpr double kJobRateMax = 1'000'000;
constexpr int64_t kPipelineMax = 64;
// Above this a result would pass the server's default WS_MAX_MESSAGE_BYTES
// (1 MiB) once escaped and wrapped.
constexpr int64_t kResultBytesMax = 900 * 1024;
constexpr int64_t kTimeoutMsMax = 3'600'000;

struct IntField {
  int64_t* value;
  int64_t min;
  int64_t max;
};
struct DoubleField {
  double* value;
  double min;
  double max;
};
struct OptionSpec {
  std::string_view name;
  std::variant<bool*, std::string*, IntField, DoubleField> field;
};

std::vector<OptionSpec> Specs(Options& o) {
  return {
      {"--host", &o.host},
      {"--port", IntField{&o.port, 1, 65535}},
      {"--path", &o.path},
      {"--nodes", IntField{&o.nodes, 1, kNodesMax}},
      {"--duration", DoubleField{&o.duration_s, 0, kSecondsMax}},
      {"--raw", &o.raw},
      {"--register-after-upgrades", &o.register_after_upgrades},
      {"--protocol", IntField{&o.protocol, 1, 2}},
      {"--heartbeat-s", DoubleField{&o.heartbeat_s, 0, kSecondsMax}},
      {"--inflight", IntField{&o.inflight, 1, kInflightMax}},
      {"--rounds", IntField{&o.rounds, 1, kRoundsMax}},
      {"--source-ips", IntField{&o.source_ips, 1, kSourceIpsMax}},
      {"--connect-rate", DoubleField{&o.connect_rate_per_s, 0, kConnectRateMax}},
      {"--connect-timeout-s", DoubleField{&o.connect_timeout_s, 0.1, kSecondsMax}},
      {"--seed", IntField{&o.seed, 0, INT64_MAX}},
      {"--principal-prefix", &o.principal_prefix},
      {"--server-pid", IntField{&o.server_pid, 1, INT32_MAX}},
      {"--settle-s", DoubleField{&o.settle_s, 0, kSecondsMax}},
      {"--max-runtime-s", DoubleField{&o.max_runtime_s, 1, kSecondsMax}},
      {"--quiet", &o.quiet},
      {"--help", &o.help},
      {"--customers", IntField{&o.customers, 1, kCustomersMax}},
      {"--job-rate", DoubleField{&o.job_rate_per_s, 0, kJobRateMax}},
      {"--pipeline", IntField{&o.pipeline, 1, kPipelineMax}},
      {"--result-bytes", IntField{&o.result_bytes, kResultTextBytesMin, kResultBytesMax}},
      {"--result-delay-ms", DoubleField{&o.result_delay_ms, 0, kSecondsMax * 1000}},
      {"--timeout-ms", IntField{&o.timeout_ms, 1, kTimeoutMsMax}},
  };
}

std::expected<void, std::string> ParseScenario(std::string_view name, Options& o) {
  if (name == "hold") {
    o.scenario = Scenario::kHold;
  } else if (name == "ping") {
    o.scenario = Scenario::kPing;
  } else if (name == "storm") {
    o.scenario = Scenario::kStorm;
  } else if (name == "jobs") {
    o.scenario = Scenario::kJobs;
  } else {
    return std::unexpected("unknown scenario '" + std::string(name) +
                           "' (expected hold, ping, storm or jobs)");
  }
  return {};
}

template <typename T>
std::expected<T, std::string> ParseNumber(std::string_view name, std::string_view text, T min,
                                          T max) {
  T value{};
  auto [end, ec] = std::from_chars(text.data(), text.data() + text.size(), value);
  if (ec != std::errc() || end != text.data() + text.size() || value < min || value > max) {
    return std::unexpected(std::string(name) + " needs a number in " + std::to_string(min) +
                           ".." + std::to_string(max) + ", got '" + std::string(text) + "'");
  }
  return value;
}

std::expected<void, std::string> ApplyValue(const OptionSpec& spec, std::string_view text) {
  if (auto* s = std::get_if<std::string*>(&spec.field)) {
    **s = std::string(text);
  } else if (auto* i = std::get_if<IntField>(&spec.field)) {
    auto v = ParseNumber<int64_t>(spec.name, text, i->min, i->max);
    if (!v) return std::unexpected(v.error());
    *i->value = *v;
  } else if (auto* d = std::get_if<DoubleField>(&spec.field)) {
    auto v = ParseNumber<double>(spec.name, text, d->min, d->max);
    if (!v) return std::unexpected(v.error());
    *d->value = *v;
  }
  return {};
}

// Options whose values are words rather than numbers or free text.
std::expected<bool, std::string> ApplySpecial(std::string_view name, std::string_view value,
                                              Options& o) {
  if (name == "--procs") {
    if (value == "auto") {
      o.procs = 0;
      return true;
    }
    auto v = ParseNumber<int64_t>(name, value, 1, kProcsMax);
    if (!v) return std::unexpected(v.error() + " or 'auto'");
    o.procs = *v;
    return true;
  }
  if (name == "--principal-format") {
    if (value != "plain" && value != "ic") {
      return std::unexpected("--principal-format is 'plain' or 'ic'");
    }
    o.principal_format = value == "ic" ? PrincipalFormat::kIcText : PrincipalFormat::kPlain;
    return true;
  }
  if (name == "--server-pids") {
    o.extra_server_pids.clear();
    for (size_t start = 0; start <= value.size();) {
      const size_t comma = std::min(value.find(',', start), value.size());
      auto v = ParseNumber<int64_t>(name, value.substr(start, comma - start), 1, INT32_MAX);
      if (!v) return std::unexpected(v.error() + " (a comma-separated list of pids)");
      o.extra_server_pids.push_back(*v);
      start = comma + 1;
    }
    return true;
  }
  if (name == "--no-auth-header") {
    o.principal_in = PrincipalIn::kFrame;
    return true;
  }
  if (name == "--principal-in") {
    if (value == "header") {
      o.principal_in = PrincipalIn::kHeader;
    } else if (value == "url") {
      o.principal_in = PrincipalIn::kUrl;
    } else if (value == "frame") {
      o.principal_in = PrincipalIn::kFrame;
    } else {
      return std::unexpected("--principal-in is 'header', 'url' or 'frame'");
    }
    return true;
  }
  return false;
}

std::expected<void, std::string> Validate(const Options& o) {
  if (o.path.empty() || o.path[0] != '/' || o.path.find_first_of(" \r\n") != std::string::npos) {
    return std::unexpected("--path must start with '/' and contain no spaces or line breaks");
  }
  for (const char c : o.principal_prefix) {
    if (static_cast<unsigned char>(c) <= ' ' || c == '"' || c == '\\') {
      return std::unexpected("--principal-prefix may not contain spaces, quotes or backslashes");
    }
  }
  if (o.scenario == Scenario::kJobs && o.duration_s <= 0) {
    return std::unexpected("jobs needs --duration above 0");
  }
  if (o.scenario == Scenario::kJobs && o.raw) {
    return std::unexpected("jobs needs registered nodes; --raw does not apply");
  }
  if (o.protocol == 2 && o.scenario == Scenario::kJobs) {
    return std::unexpected("--protocol 2 serves hold, ping and storm; jobs speaks protocol 1");
  }
  return {};
}

Endpoints Ipv4Endpoints(in_addr target_ip, uint16_t port, int64_t source_ips) {
  Endpoints e;
  auto* target = reinterpret_cast<sockaddr_in*>(&e.target);
  target->sin_family = AF_INET;
  target->sin_port = htons(port);
  target->sin_addr = target_ip;
  e.target_bytes = sizeof(sockaddr_in);
  e.source_bytes = sizeof(sockaddr_in);
  for (int64_t k = 1; k <= source_ips; ++k) {
    sockaddr_storage s{};
    auto* source = reinterpret_cast<sockaddr_in*>(&s);
    source->sin_family = AF_INET;
    source->sin_addr.s_addr = htonl((127u << 24) | static_cast<uint32_t>(k));
    e.sources.push_back(s);
  }
  char text[INET_ADDRSTRLEN];
  inet_ntop(AF_INET, &target_ip, text, sizeof(text));
  e.host_header = std::string(text) + ":" + std::to_string(port);
  return e;
}

// Only ::1 is a loopback source for an IPv6 target, so there is one source.
Endpoints Ipv6Endpoints(uint16_t port) {
  Endpoints e;
  auto* target = reinterpret_cast<sockaddr_in6*>(&e.target);
  target->sin6_family = AF_INET6;
  target->sin6_port = htons(port);
  target->sin6_addr = in6addr_loopback;
  e.target_bytes = sizeof(sockaddr_in6);
  e.source_bytes = sizeof(sockaddr_in6);
  sockaddr_storage s{};
  auto* source = reinterpret_cast<sockaddr_in6*>(&s);
  source->sin6_family = AF_INET6;
  source->sin6_addr = in6addr_loopback;
  e.sources.push_back(s);
  e.host_header = "[::1]:" + std::to_string(port);
  return e;
}

}  // namespace

const char* ScenarioName(Scenario scenario) {
  switch (scenario) {
    case Scenario::kHold: return "hold";
    case Scenario::kPing: return "ping";
    case Scenario::kStorm: return "storm";
    case Scenario::kJobs: return "jobs";
  }
  return "?";
}

std::string UsageText() {
  return R"(usage: sela-loadgen SCENARIO [options]

Simulates many Sela node WebSocket connections against a LOCAL server and
prints one JSON object with the measurements on stdout (progress on stderr).

scenarios:
  hold    open --nodes connections (registered unless --raw), keep them idle
          for --duration s with HEARTBEATs, close them cleanly
  ping    --nodes connections each keeping --inflight PINGs outstanding for
          --duration s (--raw: WebSocket ping/pong frames)
  storm   --nodes registered connections, all closed and reconnected at once,
          --rounds times
  jobs    --nodes registered nodes answer jobs; one API client submits
          POST /api/rpc/scrapeUrl over --customers keep-alive connections at
          --job-rate per second (0: as fast as replies come) for --duration s

options (default):
  --host ADDR             target, loopback only: 127.0.0.0/8 or ::1 (127.0.0.1)
  --port N                target port (8082)
  --path P                WebSocket request path (/)
  --nodes N               connections (1000)
  --duration S            idle / ping / job submission time in seconds (10)
  --raw                   WebSocket only: no registration, no heartbeats
  --heartbeat-s S         HEARTBEAT interval in hold, 0 disables (30)
  --inflight K            outstanding pings per connection (1)
  --rounds R              storm rounds (3)
  --source-ips K          bind to 127.0.0.1..127.0.0.K round-robin (32)
  --connect-rate R        new connections per second, 0 = unlimited (5000)
  --connect-timeout-s S   connect + handshake + registration limit (10)
  --procs N|auto          worker processes (auto: by RLIMIT_NOFILE)
  --seed N                PRNG seed for masks and keys (1)
  --principal-prefix P    node principal = P + zero-padded index (loadgen-)
  --principal-format F    plain | ic (IC self-authenticating text form) (plain)
  --principal-in W        where a node names its principal: header
                          (Authorization: Bearer), url (?principal_id=) or
                          frame (the first frame only) (header)
  --no-auth-header        the same as --principal-in frame
  --register-after-upgrades
                          upgrade every connection of a worker first, then
                          send all their registrations at once
  --protocol N            1 (legacy, default) or 2 (signed: Ed25519 keys, sela.v2;
                          hold, ping and storm)
  --server-pid PID        sample the server's /proc CPU and RSS
  --server-pids P1,P2,..  more processes of the server (one port, SO_REUSEPORT):
                          their CPU and RSS are added to --server-pid's
  --settle-s S            idle time before the after-connect sample (2)
  --max-runtime-s S       hard deadline; exceeding it exits non-zero (600)
  --quiet                 no progress on stderr

jobs options (default):
  --customers M           keep-alive HTTP connections of the API client (32)
  --job-rate R            submissions per second in all; 0 = closed loop (1000)
  --pipeline K            requests outstanding per connection (1)
  --result-bytes B        length of the JSON array a node returns (1024)
  --result-delay-ms D     node think time before answering a job (0)
  --timeout-ms T          timeoutMs of every job; replies are awaited T + 5 s
                          (30000)
)";
}

std::expected<Options, std::string> ParseOptions(const std::vector<std::string>& args) {
  Options o;
  bool have_scenario = false;
  const std::vector<OptionSpec> specs = Specs(o);
  for (size_t i = 0; i < args.size(); ++i) {
    std::string_view arg = args[i];
    if (!arg.starts_with("--")) {
      if (have_scenario) return std::unexpected("unexpected argument '" + args[i] + "'");
      if (auto r = ParseScenario(arg, o); !r) return std::unexpected(r.error());
      have_scenario = true;
      continue;
    }
    std::string_view name = arg;
    std::optional<std::string_view> inline_value;
    if (const size_t eq = arg.find('='); eq != std::string_view::npos) {
      name = arg.substr(0, eq);
      inline_value = arg.substr(eq + 1);
    }
    const bool is_flag = name == "--raw" || name == "--quiet" || name == "--help" ||
                         name == "--no-auth-header" || name == "--register-after-upgrades";
    std::string_view value;
    if (!is_flag) {
      if (!inline_value && i + 1 >= args.size()) {
        return std::unexpected(std::string(name) + " needs a value");
      }
      value = inline_value ? *inline_value : std::string_view(args[++i]);
    }
    auto special = ApplySpecial(name, value, o);
    if (!special) return std::unexpected(special.error());
    if (*special) continue;
    const OptionSpec* spec = nullptr;
    for (const auto& s : specs) {
      if (s.name == name) spec = &s;
    }
    if (spec == nullptr) return std::unexpected("unknown option " + std::string(name));
    if (auto* flag = std::get_if<bool*>(&spec->field)) {
      **flag = true;
    } else if (auto r = ApplyValue(*spec, value); !r) {
      return std::unexpected(r.error());
    }
  }
  if (o.help) return o;
  if (!have_scenario) return std::unexpected("missing scenario (hold, ping, storm or jobs)");
  if (auto r = Validate(o); !r) return std::unexpected(r.error());
  return o;
}

std::expected<Endpoints, std::string> ResolveEndpoints(const Options& options) {
  const std::string host = options.host == "localhost" ? "127.0.0.1" : options.host;
  const auto port = static_cast<uint16_t>(options.port);
  in_addr v4{};
  if (inet_pton(AF_INET, host.c_str(), &v4) == 1 && (ntohl(v4.s_addr) >> 24) == 127) {
    return Ipv4Endpoints(v4, port, options.source_ips);
  }
  std::string bare = host;
  if (bare.size() > 2 && bare.front() == '[' && bare.back() == ']') {
    bare = bare.substr(1, bare.size() - 2);
  }
  in6_addr v6{};
  if (inet_pton(AF_INET6, bare.c_str(), &v6) == 1 && IN6_IS_ADDR_LOOPBACK(&v6)) {
    return Ipv6Endpoints(port);
  }
  return std::unexpected("refusing to target '" + options.host +
                         "': sela-loadgen only connects to loopback addresses given as "
                         "literals (127.0.0.0/8 or ::1; 'localhost' means 127.0.0.1)");
}

}  // namespace loadgen
