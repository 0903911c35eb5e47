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
  // HTTP_MAX_BODY_BYTES: the body limit of routes that do not name their own.
  uint64_t http_body_bytes_max = 64 * 1024;
  uint32_t http_header_timeout_ms = 10'000;           // HTTP_HEADER_TIMEOUT_MS
  uint32_t http_request_timeout_ms = 60'000;          // HTTP_REQUEST_TIMEOUT_MS
  uint32_t http_idle_timeout_ms = 120'000;            // HTTP_IDLE_TIMEOUT_MS
  uint32_t ws_max_message_bytes = 1024 * 1024;        // WS_MAX_MESSAGE_BYTES
  uint32_t ws_outbound_bytes_max = 4 * 1024 * 1024;   // WS_MAX_OUTBOUND_BYTES
  uint32_t ws_handshake_timeout_ms = 10'000;          // WS_HANDSHAKE_TIMEOUT_MS
  uint32_t ws_close_timeout_ms = 5'000;               // WS_CLOSE_TIMEOUT_MS
  uint32_t ws_message_timeout_ms = 30'000;            // WS_MESSAGE_TIMEOUT_MS: to finish a partial frame or message
  // INBOUND_BUDGET_BYTES: memory for unfinished request bodies and messages
  // over all connections; past it, reading pauses.
  uint64_t inbound_budget_bytes = 64ull * 1024 * 1024;
  uint32_t max_connections = 0;  // MAX_CONNECTIONS; 0 = derive from RLIMIT_NOFILE
  uint32_t max_connections_per_source = 1024;  // MAX_CONNECTIONS_PER_SOURCE; 0 = no limit
  // RESERVED_CONNECTIONS: the last slots below MAX_CONNECTIONS, kept for
  // REST and health checks from sources with few connections.
  uint32_t reserved_connections = 64;
  uint32_t drain_timeout_ms = 30'000;                 // DRAIN_TIMEOUT_MS
  // SO_REUSEPORT on the listeners, so that several processes serve one
  // port (the kernel spreads new connections over them). Set by main with
  // the Redis store only: processes on the embedded store must not share.
  // Not with PORT=0: an ephemeral port is never shared.
  bool reuse_port = false;

  friend bool operator==(const NetConfig&, const NetConfig&) = default;
};

struct NodeConfig {
  uint32_t registration_timeout_ms = 300'000;  // REGISTRATION_TIMEOUT_MS
  uint32_t heartbeat_timeout_ms = 120'000;     // HEARTBEAT_TIMEOUT_MS: no data message for this long
  uint32_t uptime_checkpoint_ms = 60'000;      // UPTIME_CHECKPOINT_MS
  uint32_t uptime_checkpoint_chunk = 1'000;    // UPTIME_CHECKPOINT_CHUNK
  // UPTIME_PING_INTERVAL_MS: the server pings every node connection this
  // often; uptime counts from the first answer, and a connection that leaves
  // a ping unanswered for a whole interval is closed.
  uint32_t uptime_ping_interval_ms = 30'000;
  friend bool operator==(const NodeConfig&, const NodeConfig&) = default;
};

struct JobConfig {
  // JOB_KINDS: comma-separated allow-list of job kinds (scrapeType).
  std::vector<std::string> kinds = {"TWITTER_POST", "TWITTER_PROFILE", "TWITTER_FOLLOW_LIST", "HTML"};
  uint32_t lease_ms = 300'000;      // JOB_LEASE_MS: a node holds a job this long at most
  uint32_t max_attempts = 3;        // JOB_MAX_ATTEMPTS: leases before a job fails
  bool push = true;                 // JOB_PUSH: offer jobs to nodes (else only JOB_REQUEST pulls)
  uint32_t open_jobs_max = 200'000; // JOB_OPEN_MAX: pending + ongoing jobs at most
  uint32_t open_share_percent = 10;  // JOB_OPEN_SHARE_PERCENT: one customer's share of JOB_OPEN_MAX
  uint32_t scrape_timeout_max_ms = 900'000;  // SCRAPE_TIMEOUT_MAX_MS: scrapeUrl timeoutMs cap
  friend bool operator==(const JobConfig&, const JobConfig&) = default;
};

// Uploaded files (docs/FILES.md).
struct FileConfig {
  uint64_t file_bytes_max = uint64_t{1} << 30;      // FILE_BYTES_MAX: one file
  uint64_t chunk_bytes_max = uint64_t{16} << 20;    // FILE_CHUNK_BYTES_MAX: one chunk
  uint32_t chunks_max = 100'000;                    // FILE_CHUNKS_MAX: chunk indexes 0..N-1
  uint32_t open_uploads_max = 16;                   // FILE_OPEN_UPLOADS_MAX: per node
  uint64_t node_bytes_max = uint64_t{4} << 30;      // FILE_NODE_BYTES_MAX: per node, all its files
  uint32_t upload_ttl_ms = 3'600'000;               // FILE_UPLOAD_TTL_MS: idle upload expires
  uint32_t io_threads = 2;                          // FILE_IO_THREADS: disk threads
  // RESULT_INLINE_BYTES_MAX: a result file up to this size is read to price
  // it and returned inline by scrapeUrl; larger ones are referenced.
  uint64_t result_inline_bytes_max = uint64_t{16} << 20;
  friend bool operator==(const FileConfig&, const FileConfig&) = default;
};

// The reward rules (docs/REWARDS.md): amounts in integer units (1 SP =
// 10^8), shares in basis points (1/100 %). Defaults are the original's
// (reference services.md §4.3, §5.3) where it had them.
struct RewardTier {
  double min_speed_mbps = 0;
  double max_ping_ms = 0;
  uint32_t bonus_bp = 0;
  friend bool operator==(const RewardTier&, const RewardTier&) = default;
};

// Settlement on the Internet Computer (docs/CHAIN.md "Settlement").
struct ChainConfig {
  // SETTLEMENT_INTERVAL: node-cron syntax (UTC); empty = REWARD_DISTRIBUTION_INTERVAL.
  std::string settlement_interval;
  uint32_t settlement_concurrency = 8;  // SETTLEMENT_CONCURRENCY: transfers outstanding at once.
  std::string ledger_canister_id = "y5ego-zyaaa-aaaao-qkfhq-cai";  // SELA_POINTS_CANISTER_ID
  // CANISTER_CONTROLLER_PEM: the minting identity's key; never logged or shown.
  std::string controller_pem;
  std::string root_key_der_hex;         // IC_ROOT_KEY: test networks only; empty = mainnet's.
  // The file canister (CANISTER_STORAGE_ENABLED; docs/CHAIN.md "Results on the file canister").
  std::string file_canister_id = "qe3z4-yiaaa-aaaam-aeoyq-cai";  // FILE_STORAGE_CANISTER_ID
  uint32_t canister_sync_concurrency = 2;   // CANISTER_SYNC_CONCURRENCY: uploads at once.
  uint32_t canister_chunk_bytes = 1 << 20;  // CANISTER_CHUNK_BYTES: raw bytes per store_file call.
  uint32_t canister_timeout_ms = 60'000;    // CANISTER_TIMEOUT_MS: one HTTP exchange with the IC.
  friend bool operator==(const ChainConfig&, const ChainConfig&) = default;
};

struct RewardConfig {
  // REWARD_DISTRIBUTION_INTERVAL: node-cron syntax, evaluated in UTC.
  std::string distribution_interval = "*/5 * * * *";
  std::string referral_weekly_cron = "0 2 * * 0";      // REFERRAL_WEEKLY_CRON
  int64_t uptime_units_per_minute = 50'000'000;         // REWARD_UPTIME_SP_PER_MINUTE (0.5)
  // REWARD_TIERS: "speed/ping/bonus%,..." in order, tier 1 first.
  std::vector<RewardTier> tiers = {{50, 50, 2'000}, {20, 100, 1'000}, {5, 150, 500}, {0, 999, 0}};
  int64_t job_units_per_second = 1'200'000;             // JOB_REWARD_SP_PER_SECOND (0.012)
  // JOB_REWARD_TYPICAL_MS: "KIND=ms,...,*=ms": time counted at most per kind.
  std::map<std::string, int64_t, std::less<>> job_typical_ms = {
      {"TWITTER_POST", 60'000}, {"TWITTER_PROFILE", 60'000}, {"TWITTER_FOLLOW_LIST", 120'000}, {"HTML", 30'000}};
  int64_t job_typical_ms_default = 60'000;
  int64_t job_daily_cap_units = 200'000'000'000;        // JOB_REWARD_DAILY_CAP_SP (2000; 0 = none)
  bool referral_enabled = true;                          // REFERRAL_ENABLED
  uint32_t task_l1_bp = 500;                             // REFERRAL_TASK_PERCENT "5,2"
  uint32_t task_l2_bp = 200;
  uint32_t uptime_l1_bp = 200;                           // REFERRAL_UPTIME_PERCENT "2,1"
  uint32_t uptime_l2_bp = 100;
  int64_t weekly_min_minutes = 6'000;                    // REFERRAL_UPTIME_MIN_WEEKLY_MINUTES
  int64_t monthly_cap_units = 1'000'000'000'000;         // REFERRAL_UPTIME_MONTHLY_CAP_SP (10000)
  int64_t installation_units = 50'000'000'000;           // REFERRAL_INSTALLATION_SP (500)
  int64_t installation_min_uptime_minutes = 1'440;       // REFERRAL_INSTALLATION_UPTIME_MINUTES
  friend bool operator==(const RewardConfig&, const RewardConfig&) = default;
};

// A token bucket from the environment: "<burst>:<per_minute>" or "off".
struct RateSpec {
  uint32_t burst = 0;
  uint32_t per_minute = 0;
  bool enabled = true;
  friend bool operator==(const RateSpec&, const RateSpec&) = default;
};

// Node identity and fair use (issue 11; docs/FAIR-USE.md, docs/protocol-v2.md).
struct SecurityConfig {
  enum class NodeAuth : uint8_t { kCompat, kSigned };
  enum class RegisterClient : uint8_t { kOpen, kAdmin };
  NodeAuth node_auth = NodeAuth::kCompat;       // NODE_AUTH: compat (v1 and v2) | signed (v2 only)
  uint32_t max_sessions_per_principal = 1;      // MAX_SESSIONS_PER_PRINCIPAL
  uint32_t resume_window_ms = 120'000;          // V2_RESUME_WINDOW_MS
  uint32_t challenge_ttl_ms = 30'000;           // V2_CHALLENGE_TTL_MS
  uint32_t node_token_ttl_ms = 900'000;         // NODE_TOKEN_TTL_MS
  std::string node_token_secret;                // NODE_TOKEN_SECRET (hex); empty: drawn at start
  bool allow_private_urls = false;              // ALLOW_PRIVATE_URLS
  RegisterClient register_client = RegisterClient::kOpen;  // REGISTER_CLIENT: open | admin
  std::string metrics_token;                    // METRICS_TOKEN; empty: /metrics is open
  uint64_t job_max_age_ms = 86'400'000;         // JOB_MAX_AGE_MS: addJob jobs fail after this
  uint64_t node_record_ttl_ms = 7 * 86'400'000ull;  // NODE_RECORD_TTL_MS
  uint32_t speed_report_interval_ms = 60'000;   // SPEED_REPORT_INTERVAL_MS
  uint32_t speed_claim_max_mbps = 1'000;        // SPEED_CLAIM_MAX_MBPS: reported speed is capped for ranking
  uint32_t new_node_slots = 1;                  // NEW_NODE_SLOTS: jobs a node starting out may hold
  RateSpec registrations_per_source{1000, 600};     // RATE_NODE_REGISTRATIONS_PER_SOURCE
  RateSpec messages_per_connection{120, 1200};      // RATE_NODE_MESSAGES_PER_CONNECTION
  RateSpec rest_per_source{1000, 30'000};           // RATE_REST_PER_SOURCE
  RateSpec rest_per_key{1000, 30'000};              // RATE_REST_PER_KEY
  RateSpec register_client_per_source{5, 5};        // RATE_REGISTER_CLIENT_PER_SOURCE
  // RATE_REGISTER_REFERRAL_PER_SOURCE. A referee registers once in its life,
  // so 10 a minute from one address is far above what people do; the burst
  // of 20 is for a carrier NAT, where thousands of phones share an address
  // and several may sign up in the same minute (docs/FAIR-USE.md).
  RateSpec referral_register_per_source{20, 10};
  friend bool operator==(const SecurityConfig&, const SecurityConfig&) = default;
};

struct Config {
  NetConfig net;
  NodeConfig node;
  JobConfig jobs;
  FileConfig files;
  SecurityConfig security;
  LogLevel log_level = LogLevel::kInfo;  // LOG_LEVEL: trace|debug|info|warn|error|critical|off
  // LOG_MAX_LINES_PER_S: log lines written per second at most (bursts of
  // one second's worth); the rest are dropped and counted. 0: no limit.
  uint32_t log_max_lines_per_s = 1000;
  std::string data_path = "./data/redis";  // DATA_PATH
  // SQLITE_CHECKPOINT_PAGES: WAL pages that start a checkpoint (see
  // docs/STORAGE.md "Checkpoints": the store's own thread copies the bulk,
  // the writer the last few pages; bigger ones pause the writer less often).
  uint32_t sqlite_checkpoint_pages = 4'000;
  // SQLITE_QUICK_CHECK_MS: PRAGMA quick_check at start, stopped after this
  // long; 0 skips it. A corrupt file leaves the server not ready.
  uint32_t sqlite_quick_check_ms = 10'000;
  // SQLITE_GATHER_US: longest an operation waits for others to share its
  // transaction when few are queued (docs/STORAGE.md "Runtime"); 0: none.
  uint32_t sqlite_gather_us = 1'000;
  std::string admin_token;               // ADMIN_TOKEN; empty = admin routes answer 403
  std::string port_file;                 // PORT_FILE; write the bound port here once listening

  // The Redis store (docs/STORAGE.md "Redis backend"), when REDIS_URL is set.
  std::string redis_url;                 // REDIS_URL; empty = embedded store
  std::string redis_password;            // REDIS_PASSWORD
  uint32_t redis_db = 0;                 // REDIS_DB
  std::string redis_key_prefix = "sela"; // REDIS_KEY_PREFIX: 1..64 of [A-Za-z0-9_.-]
  // REDIS_DURABILITY: always | everysec | none: what Redis's persistence
  // must promise (checked at start).
  std::string redis_durability = "always";
  // REDIS_PROCESS_TTL_MS: a process silent this long is dead; what it held
  // goes to the others.
  uint32_t redis_process_ttl_ms = 10'000;

  // Read now so that a bad value stops start-up; used by later modules.
  uint64_t session_timeout_s = 86'400;   // SESSION_TIMEOUT (seconds)
  uint64_t usage_limit = 10'000;         // USAGE_LIMIT
  uint64_t dead_timeout_ms = 3'600'000;  // DEAD_TIMEOUT
  uint32_t max_jobs_per_client = 10;     // MAX_JOBS_PER_CLIENT
  std::string ic_url = "https://ic0.app";  // IC_URL
  bool blockchain_enabled = false;       // BLOCKCHAIN_ENABLED
  bool reward_distribution_enabled = false;  // REWARD_DISTRIBUTION_ENABLED
  RewardConfig rewards;
  bool canister_storage_enabled = false;     // CANISTER_STORAGE_ENABLED
  ChainConfig chain;

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
