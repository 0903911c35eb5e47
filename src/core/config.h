// Config: every setting of the server, read once at start-up from the
// environment and an optional `.env` file (the environment wins), validated,
// then passed by const reference to whoever needs it. Variable names and
// defaults follow the original server where it had them
// (reference/original/storage-chain-files.md §6); ours are documented in
// docs/CONFIGURATION.md.
#pragma once

#include <cstdint>
#include <map>
#include <optional>
#include <string>
#include <vector>
#include <string_view>

#include "core/status.h"

namespace sela {

enum class LogLevel { kTrace, kDebug, kInfo, kWarn, kError, kCritical, kOff };

struct NetConfig {
  std::string host = "0.0.0.0";          // HOST
  uint16_t port = 8082;                  // PORT (0 picks a free port)
  std::string tls_cert_file;             // TLS_CERT_FILE
  std::string tls_key_file;              // TLS_KEY_FILE
  uint32_t http_header_bytes_max = 16 * 1024;         // HTTP_MAX_HEADER_BYTES
  uint64_t http_body_bytes_max = 16 * 1024 * 1024;    // HTTP_MAX_BODY_BYTES
  uint32_t http_header_timeout_ms = 10'000;           // HTTP_HEADER_TIMEOUT_MS
  uint32_t http_request_timeout_ms = 60'000;          // HTTP_REQUEST_TIMEOUT_MS
  uint32_t http_idle_timeout_ms = 120'000;            // HTTP_IDLE_TIMEOUT_MS
  uint32_t ws_max_message_bytes = 1024 * 1024;        // WS_MAX_MESSAGE_BYTES
  uint32_t ws_outbound_bytes_max = 4 * 1024 * 1024;   // WS_MAX_OUTBOUND_BYTES
  uint32_t ws_handshake_timeout_ms = 10'000;          // WS_HANDSHAKE_TIMEOUT_MS
  uint32_t ws_close_timeout_ms = 5'000;               // WS_CLOSE_TIMEOUT_MS
  uint32_t max_connections = 0;  // MAX_CONNECTIONS; 0 = derive from RLIMIT_NOFILE
  uint32_t drain_timeout_ms = 30'000;                 // DRAIN_TIMEOUT_MS

  friend bool operator==(const NetConfig&, const NetConfig&) = default;
};

struct NodeConfig {
  uint32_t registration_timeout_ms = 300'000;  // REGISTRATION_TIMEOUT_MS
  uint32_t heartbeat_timeout_ms = 120'000;     // HEARTBEAT_TIMEOUT_MS: no data message for this long
  uint32_t uptime_checkpoint_ms = 60'000;      // UPTIME_CHECKPOINT_MS
  friend bool operator==(const NodeConfig&, const NodeConfig&) = default;
};

struct JobConfig {
  // JOB_KINDS: comma-separated allow-list of job kinds (scrapeType).
  std::vector<std::string> kinds = {"TWITTER_POST", "TWITTER_PROFILE", "TWITTER_FOLLOW_LIST", "HTML"};
  uint32_t lease_ms = 300'000;      // JOB_LEASE_MS: a node holds a job this long at most
  uint32_t max_attempts = 3;        // JOB_MAX_ATTEMPTS: leases before a job fails
  bool push = true;                 // JOB_PUSH: offer jobs to nodes (else only JOB_REQUEST pulls)
  uint32_t open_jobs_max = 200'000; // JOB_OPEN_MAX: pending + ongoing jobs at most
  uint32_t scrape_timeout_max_ms = 900'000;  // SCRAPE_TIMEOUT_MAX_MS: scrapeUrl timeoutMs cap
  friend bool operator==(const JobConfig&, const JobConfig&) = default;
};

struct Config {
  NetConfig net;
  NodeConfig node;
  JobConfig jobs;
  LogLevel log_level = LogLevel::kInfo;  // LOG_LEVEL: trace|debug|info|warn|error|critical|off
  // LOG_MAX_LINES_PER_S: log lines written per second at most (bursts of
  // one second's worth); the rest are dropped and counted. 0: no limit.
  uint32_t log_max_lines_per_s = 1000;
  std::string data_path = "./data/redis";  // DATA_PATH
  // SQLITE_CHECKPOINT_PAGES: WAL pages that start a checkpoint (see
  // docs/STORAGE.md "Checkpoints": the store's own thread copies the bulk,
  // the writer the last few pages; bigger ones pause the writer less often).
  uint32_t sqlite_checkpoint_pages = 4'000;
  // SQLITE_GATHER_US: longest an operation waits for others to share its
  // transaction when few are queued (docs/STORAGE.md "Runtime"); 0: none.
  uint32_t sqlite_gather_us = 1'000;
  std::string admin_token;               // ADMIN_TOKEN; empty = admin routes answer 403
  std::string port_file;                 // PORT_FILE; write the bound port here once listening

  // Read now so that a bad value stops start-up; used by later modules.
  std::string redis_url;                 // REDIS_URL; empty = embedded store
  std::string redis_password;            // REDIS_PASSWORD
  uint32_t redis_db = 0;                 // REDIS_DB
  uint64_t session_timeout_s = 86'400;   // SESSION_TIMEOUT (seconds)
  uint64_t usage_limit = 10'000;         // USAGE_LIMIT
  uint64_t dead_timeout_ms = 3'600'000;  // DEAD_TIMEOUT
  uint32_t max_jobs_per_client = 10;     // MAX_JOBS_PER_CLIENT
  std::string ic_url = "https://ic0.app";  // IC_URL
  bool blockchain_enabled = false;       // BLOCKCHAIN_ENABLED
  bool reward_distribution_enabled = false;  // REWARD_DISTRIBUTION_ENABLED
  bool canister_storage_enabled = false;     // CANISTER_STORAGE_ENABLED

  friend bool operator==(const Config&, const Config&) = default;
};

using EnvMap = std::map<std::string, std::string>;

// Parses KEY=VALUE lines of a .env file: blank lines and `#` comments are
// skipped, an optional `export ` prefix is allowed, values may be wrapped in
// single or double quotes (double quotes understand \n, \" and \\). A line
// that is none of these is an error naming its line number.
// In an unquoted value, `#` starts a comment only at the start or after a
// blank (as in a shell), so `URL=http://h/#x` keeps its fragment. Blanks
// around the key and value are dropped, a later line wins over an earlier
// one with the same key, and CRLF line ends and a UTF-8 BOM are accepted.
Result<EnvMap> ParseDotEnv(std::string_view text);

// Current process environment as a map.
EnvMap ProcessEnv();

// Environment over .env: keys in `env` win over keys in `dotenv`.
EnvMap MergeEnv(const EnvMap& dotenv, const EnvMap& env);

// Builds and validates a Config. Unknown variables are ignored, and an empty
// value counts as unset (the default applies), as the original's
// `process.env.X || default` did. Integers are plain decimal; booleans are
// true, false, 1 or 0 in any case. The error, kInvalidArgument, is the first
// one in the order of the fields above; its message names the variable and
// says what was expected, e.g.
// "PORT: expected an integer in 0..65535, got \"80a\"".
Result<Config> LoadConfig(const EnvMap& vars);

// Reads `.env` in the working directory if present, merges the process
// environment over it, and calls LoadConfig. A `.env` that cannot be read or
// is over 1 MiB is an error too.
Result<Config> LoadConfigFromProcess();

// trace|debug|info|warn|warning|error|critical|off in any case; nullopt
// otherwise.
std::optional<LogLevel> ParseLogLevel(std::string_view text);

}  // namespace sela
