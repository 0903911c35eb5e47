#include "core/config.h"

#include "core/config_reader.h"

#include <algorithm>
#include <cctype>

#include <fcntl.h>
#include <unistd.h>

#include <cerrno>
#include <charconv>
#include <cstring>
#include <initializer_list>
#include <limits>
#include <string_view>
#include <system_error>
#include <utility>

namespace sela {
namespace config_internal {

char AsciiLower(char c) { return c >= 'A' && c <= 'Z' ? static_cast<char>(c - 'A' + 'a') : c; }

bool EqualsIgnoreCase(std::string_view a, std::string_view b) {
  if (a.size() != b.size()) return false;
  for (size_t i = 0; i < a.size(); ++i) {
    if (AsciiLower(a[i]) != AsciiLower(b[i])) return false;
  }
  return true;
}

}  // namespace config_internal

namespace {

using config_internal::EqualsIgnoreCase;
using config_internal::Quoted;
using config_internal::Reader;

// A .env file is a handful of lines; anything this large is a mistake, and
// the limit keeps start-up from reading an arbitrary file into memory.
constexpr size_t kDotEnvBytesMax = 1024 * 1024;
constexpr char kDotEnvPath[] = ".env";

constexpr uint64_t kPortMax = 65'535;
constexpr uint64_t kHeaderBytesMin = 1024;
constexpr uint64_t kHeaderBytesMax = uint64_t{1} << 20;
// 125 bytes is the largest control-frame payload (RFC 6455 §5.5), so a
// smaller message limit would reject pings and close frames.
constexpr uint64_t kWsMessageBytesMin = 125;
constexpr uint64_t kWsMessageBytesMax = uint64_t{1} << 30;
constexpr uint64_t kU32Max = std::numeric_limits<uint32_t>::max();
// Bodies are held in memory whole (uploads will stream instead).
constexpr uint64_t kBodyBytesMax = uint64_t{1} << 30;
constexpr uint64_t kInboundBudgetMin = uint64_t{1} << 20;
// An admin token guards money-moving routes: long enough not to be guessed.
constexpr size_t kAdminTokenBytesMin = 32;
constexpr uint64_t kU64Max = std::numeric_limits<uint64_t>::max();

bool IsBlank(char c) { return c == ' ' || c == '\t'; }

std::string_view Trim(std::string_view s) {
  while (!s.empty() && IsBlank(s.front())) s.remove_prefix(1);
  while (!s.empty() && IsBlank(s.back())) s.remove_suffix(1);
  return s;
}

bool IsKeyChar(char c, bool first) {
  if (c == '_' || (c >= 'A' && c <= 'Z') || (c >= 'a' && c <= 'z')) return true;
  return !first && c >= '0' && c <= '9';
}

bool IsKey(std::string_view s) {
  if (s.empty()) return false;
  for (size_t i = 0; i < s.size(); ++i) {
    if (!IsKeyChar(s[i], i == 0)) return false;
  }
  return true;
}

Status DotEnvError(size_t line_number, std::string_view what) {
  return InvalidArgument(".env line " + std::to_string(line_number) + ": " + std::string(what));
}

// After a closing quote only blanks and a comment may follow.
bool IsTrailerAllowed(std::string_view rest) {
  rest = Trim(rest);
  return rest.empty() || rest.front() == '#';
}

Result<std::string> ParseDoubleQuoted(std::string_view body, size_t line_number) {
  std::string out;
  for (size_t i = 0; i < body.size(); ++i) {
    const char c = body[i];
    if (c == '"') {
      if (!IsTrailerAllowed(body.substr(i + 1))) {
        return Err(DotEnvError(line_number, "unexpected text after closing quote"));
      }
      return out;
    }
    if (c != '\\' || i + 1 == body.size()) {
      out += c;
      continue;
    }
    const char next = body[++i];
    switch (next) {
      case 'n': out += '\n'; break;
      case '"': out += '"'; break;
      case '\\': out += '\\'; break;
      // Other backslashes are kept as written, as shells do inside quotes,
      // so Windows paths and regexes survive.
      default: out += '\\'; out += next; break;
    }
  }
  return Err(DotEnvError(line_number, "missing closing double quote"));
}

Result<std::string> ParseValue(std::string_view raw, size_t line_number) {
  raw = Trim(raw);
  if (!raw.empty() && raw.front() == '"') return ParseDoubleQuoted(raw.substr(1), line_number);
  if (!raw.empty() && raw.front() == '\'') {
    const size_t close = raw.find('\'', 1);
    if (close == std::string_view::npos) {
      return Err(DotEnvError(line_number, "missing closing single quote"));
    }
    if (!IsTrailerAllowed(raw.substr(close + 1))) {
      return Err(DotEnvError(line_number, "unexpected text after closing quote"));
    }
    return std::string(raw.substr(1, close - 1));
  }
  // An unquoted `#` starts a comment only after a blank, so that values such
  // as URLs with fragments keep their `#`.
  for (size_t i = 1; i < raw.size(); ++i) {
    if (raw[i] == '#' && IsBlank(raw[i - 1])) {
      raw = Trim(raw.substr(0, i));
      break;
    }
  }
  if (!raw.empty() && raw.front() == '#') raw = {};
  return std::string(raw);
}

void ReadNet(Reader& r, NetConfig& net) {
  r.String("HOST", net.host);
  r.Unsigned("PORT", net.port, 0, kPortMax);
  r.String("TLS_CERT_FILE", net.tls_cert_file);
  r.String("TLS_KEY_FILE", net.tls_key_file);
  if (net.tls_cert_file.empty() && !net.tls_key_file.empty()) {
    r.Fail("TLS_CERT_FILE: must be set when TLS_KEY_FILE is set");
  } else if (!net.tls_cert_file.empty() && net.tls_key_file.empty()) {
    r.Fail("TLS_KEY_FILE: must be set when TLS_CERT_FILE is set");
  }
  r.Unsigned("HTTP_MAX_HEADER_BYTES", net.http_header_bytes_max, kHeaderBytesMin, kHeaderBytesMax);
  r.Unsigned("HTTP_MAX_BODY_BYTES", net.http_body_bytes_max, 0, kBodyBytesMax);
  r.Unsigned("HTTP_HEADER_TIMEOUT_MS", net.http_header_timeout_ms, 1, kU32Max);
  r.Unsigned("HTTP_REQUEST_TIMEOUT_MS", net.http_request_timeout_ms, 1, kU32Max);
  r.Unsigned("HTTP_IDLE_TIMEOUT_MS", net.http_idle_timeout_ms, 1, kU32Max);
  r.Unsigned("WS_MAX_MESSAGE_BYTES", net.ws_max_message_bytes, kWsMessageBytesMin,
             kWsMessageBytesMax);
  r.Unsigned("WS_MAX_OUTBOUND_BYTES", net.ws_outbound_bytes_max, 0, kU32Max);
  r.Unsigned("WS_HANDSHAKE_TIMEOUT_MS", net.ws_handshake_timeout_ms, 1, kU32Max);
  r.Unsigned("WS_CLOSE_TIMEOUT_MS", net.ws_close_timeout_ms, 1, kU32Max);
  r.Unsigned("WS_MESSAGE_TIMEOUT_MS", net.ws_message_timeout_ms, 1, kU32Max);
  r.Unsigned("INBOUND_BUDGET_BYTES", net.inbound_budget_bytes, kInboundBudgetMin, kU64Max);
  // One message or body must fit in the part of the budget large ones may
  // use (7/8), with room left for another: else it could never be read.
  const uint64_t largest = std::max<uint64_t>(net.ws_max_message_bytes, net.http_body_bytes_max);
  if (r.status().ok() && net.inbound_budget_bytes < 2 * largest) {
    r.Fail("INBOUND_BUDGET_BYTES: must be at least twice WS_MAX_MESSAGE_BYTES and HTTP_MAX_BODY_BYTES (" +
           std::to_string(2 * largest) + "), got " + std::to_string(net.inbound_budget_bytes));
  }
  r.Unsigned("MAX_CONNECTIONS", net.max_connections, 0, kU32Max);
  r.Unsigned("MAX_CONNECTIONS_PER_SOURCE", net.max_connections_per_source, 0, kU32Max);
  r.Unsigned("RESERVED_CONNECTIONS", net.reserved_connections, 0, kU32Max);
  r.Unsigned("DRAIN_TIMEOUT_MS", net.drain_timeout_ms, 1, kU32Max);
}

void ReadNode(Reader& r, NodeConfig& node) {
  r.Unsigned("REGISTRATION_TIMEOUT_MS", node.registration_timeout_ms, 1, kU32Max);
  r.Unsigned("HEARTBEAT_TIMEOUT_MS", node.heartbeat_timeout_ms, 1, kU32Max);
  r.Unsigned("UPTIME_CHECKPOINT_MS", node.uptime_checkpoint_ms, 100, kU32Max);
  r.Unsigned("UPTIME_CHECKPOINT_CHUNK", node.uptime_checkpoint_chunk, 1, 100'000);
  r.Unsigned("UPTIME_PING_INTERVAL_MS", node.uptime_ping_interval_ms, 100, kU32Max);
}

void ReadJobs(Reader& r, JobConfig& jobs) {
  std::string kinds;
  r.String("JOB_KINDS", kinds);
  if (!kinds.empty()) {
    jobs.kinds.clear();
    size_t start = 0;
    while (start <= kinds.size()) {
      size_t end = kinds.find(',', start);
      if (end == std::string::npos) end = kinds.size();
      std::string kind = kinds.substr(start, end - start);
      while (!kind.empty() && kind.front() == ' ') kind.erase(kind.begin());
      while (!kind.empty() && kind.back() == ' ') kind.pop_back();
      const bool valid = !kind.empty() && kind.size() <= 64 &&
                         std::all_of(kind.begin(), kind.end(), [](unsigned char c) {
                           return std::isupper(c) || std::isdigit(c) || c == '_';
                         });
      if (!valid) {
        r.Fail("JOB_KINDS: expected comma-separated names of A-Z, 0-9 and _, got " + Quoted(kinds));
        return;
      }
      jobs.kinds.push_back(std::move(kind));
      start = end + 1;
    }
  }
  r.Unsigned("JOB_LEASE_MS", jobs.lease_ms, 100, kU32Max);
  r.Unsigned("JOB_MAX_ATTEMPTS", jobs.max_attempts, 1, 100);
  r.Bool("JOB_PUSH", jobs.push);
  r.Unsigned("JOB_OPEN_MAX", jobs.open_jobs_max, 1, kU32Max);
  r.Unsigned("JOB_OPEN_SHARE_PERCENT", jobs.open_share_percent, 1, 100);
  r.Unsigned("SCRAPE_TIMEOUT_MAX_MS", jobs.scrape_timeout_max_ms, 1000, kU32Max);
}

bool IsKeyPrefix(std::string_view prefix) {
  constexpr size_t kPrefixBytesMax = 64;
  if (prefix.empty() || prefix.size() > kPrefixBytesMax) return false;
  for (char c : prefix) {
    const bool ok = (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') || c == '_' ||
                    c == '-' || c == '.';
    if (!ok) return false;
  }
  return true;
}

void ReadFiles(Reader& r, FileConfig& files) {
  constexpr uint64_t kFileBytesMax = uint64_t{1} << 40;
  r.Unsigned("FILE_BYTES_MAX", files.file_bytes_max, 1, kFileBytesMax);
  r.Unsigned("FILE_CHUNK_BYTES_MAX", files.chunk_bytes_max, 1024, uint64_t{1} << 30);
  r.Unsigned("FILE_CHUNKS_MAX", files.chunks_max, 1, 10'000'000);
  r.Unsigned("FILE_OPEN_UPLOADS_MAX", files.open_uploads_max, 1, 1'000'000);
  r.Unsigned("FILE_NODE_BYTES_MAX", files.node_bytes_max, 1, kFileBytesMax);
  r.Unsigned("FILE_UPLOAD_TTL_MS", files.upload_ttl_ms, 1000, kU32Max);
  r.Unsigned("FILE_IO_THREADS", files.io_threads, 1, 64);
  r.Unsigned("RESULT_INLINE_BYTES_MAX", files.result_inline_bytes_max, 0, uint64_t{1} << 30);
}

void ReadSecurity(Reader& r, SecurityConfig& sec) {
  size_t node_auth = static_cast<size_t>(sec.node_auth);
  r.Choice("NODE_AUTH", {"compat", "signed"}, node_auth);
  sec.node_auth = static_cast<SecurityConfig::NodeAuth>(node_auth);
  r.Unsigned("MAX_SESSIONS_PER_PRINCIPAL", sec.max_sessions_per_principal, 1, 65'535);
  r.Unsigned("V2_RESUME_WINDOW_MS", sec.resume_window_ms, 0, 3'600'000);
  r.Unsigned("V2_CHALLENGE_TTL_MS", sec.challenge_ttl_ms, 100, 300'000);
  r.Unsigned("NODE_TOKEN_TTL_MS", sec.node_token_ttl_ms, 1000, 86'400'000);
  r.String("NODE_TOKEN_SECRET", sec.node_token_secret);
  if (!sec.node_token_secret.empty() &&
      (sec.node_token_secret.size() < 64 || sec.node_token_secret.size() % 2 != 0 ||
       sec.node_token_secret.find_first_not_of("0123456789abcdefABCDEF") != std::string::npos)) {
    // The value is a secret: not echoed.
    r.Fail("NODE_TOKEN_SECRET: expected at least 64 hex digits (32 bytes)");
  }
  r.Bool("ALLOW_PRIVATE_URLS", sec.allow_private_urls);
  size_t register_client = static_cast<size_t>(sec.register_client);
  r.Choice("REGISTER_CLIENT", {"open", "admin"}, register_client);
  sec.register_client = static_cast<SecurityConfig::RegisterClient>(register_client);
  r.String("METRICS_TOKEN", sec.metrics_token);
  r.Unsigned("JOB_MAX_AGE_MS", sec.job_max_age_ms, 1000, kU64Max / 2);
  r.Unsigned("NODE_RECORD_TTL_MS", sec.node_record_ttl_ms, 1000, kU64Max / 2);
  r.Unsigned("SPEED_REPORT_INTERVAL_MS", sec.speed_report_interval_ms, 0, kU32Max);
  r.Unsigned("SPEED_CLAIM_MAX_MBPS", sec.speed_claim_max_mbps, 1, 100'000);
  r.Unsigned("NEW_NODE_SLOTS", sec.new_node_slots, 0, 65'535);
  r.Rate("RATE_NODE_REGISTRATIONS_PER_SOURCE", sec.registrations_per_source);
  r.Rate("RATE_NODE_MESSAGES_PER_CONNECTION", sec.messages_per_connection);
  r.Rate("RATE_REST_PER_SOURCE", sec.rest_per_source);
  r.Rate("RATE_REST_PER_KEY", sec.rest_per_key);
  r.Rate("RATE_REGISTER_CLIENT_PER_SOURCE", sec.register_client_per_source);
  r.Rate("RATE_REGISTER_REFERRAL_PER_SOURCE", sec.referral_register_per_source);
}

void ReadRest(Reader& r, Config& config) {
  r.Level("LOG_LEVEL", config.log_level);
  r.Unsigned("LOG_MAX_LINES_PER_S", config.log_max_lines_per_s, 0, kU32Max);
  r.String("DATA_PATH", config.data_path);
  r.Unsigned("SQLITE_CHECKPOINT_PAGES", config.sqlite_checkpoint_pages, 100, 1'000'000);
  r.Unsigned("SQLITE_QUICK_CHECK_MS", config.sqlite_quick_check_ms, 0, kU32Max);
  r.Unsigned("SQLITE_GATHER_US", config.sqlite_gather_us, 0, 100'000);
  r.String("ADMIN_TOKEN", config.admin_token);
  if (!config.admin_token.empty() && config.admin_token.size() < kAdminTokenBytesMin) {
    // The value is not echoed: it is a secret, even when a weak one.
    r.Fail("ADMIN_TOKEN: must be at least " + std::to_string(kAdminTokenBytesMin) + " characters (got " +
           std::to_string(config.admin_token.size()) + ")");
  }
  r.String("PORT_FILE", config.port_file);
  r.String("REDIS_URL", config.redis_url);
  // The value is not echoed: a Redis URL usually carries the password. The
  // rest of the URL is checked where it is used (store/redis/redis_url.h).
  if (config.redis_url.starts_with("rediss://")) {
    r.Fail("REDIS_URL: TLS (rediss://) is not supported; reach Redis over a private network or a local TLS proxy");
  } else if (!config.redis_url.empty() && !config.redis_url.starts_with("redis://") &&
             !config.redis_url.starts_with("unix://")) {
    r.Fail("REDIS_URL: expected a URL starting with redis:// or unix://");
  }
  r.String("REDIS_PASSWORD", config.redis_password);
  r.Unsigned("REDIS_DB", config.redis_db, 0, kU32Max);
  r.String("REDIS_KEY_PREFIX", config.redis_key_prefix);
  if (!IsKeyPrefix(config.redis_key_prefix)) {
    r.Fail("REDIS_KEY_PREFIX: expected 1 to 64 letters, digits, '_', '-' or '.', got \"" +
           config.redis_key_prefix.substr(0, 80) + "\"");
  }
  r.String("REDIS_DURABILITY", config.redis_durability);
  if (config.redis_durability != "always" && config.redis_durability != "everysec" &&
      config.redis_durability != "none") {
    r.Fail("REDIS_DURABILITY: expected always, everysec or none, got \"" + config.redis_durability.substr(0, 80) +
           "\"");
  }
  r.Unsigned("REDIS_PROCESS_TTL_MS", config.redis_process_ttl_ms, 300, 3'600'000);
  r.Unsigned("SESSION_TIMEOUT", config.session_timeout_s, 1, kU64Max);
  r.Unsigned("USAGE_LIMIT", config.usage_limit, 0, kU64Max);
  r.Unsigned("DEAD_TIMEOUT", config.dead_timeout_ms, 1, kU64Max);
  r.Unsigned("MAX_JOBS_PER_CLIENT", config.max_jobs_per_client, 0, kU32Max);
  r.String("IC_URL", config.ic_url);
  r.Bool("BLOCKCHAIN_ENABLED", config.blockchain_enabled);
  r.Bool("REWARD_DISTRIBUTION_ENABLED", config.reward_distribution_enabled);
  config_internal::ReadRewards(r, config.rewards);
  r.Bool("CANISTER_STORAGE_ENABLED", config.canister_storage_enabled);
  config_internal::ReadChain(r, config.chain);
}

// Reads `path` if it exists: an absent file is an empty result, not an error.
Result<std::optional<std::string>> ReadOptionalFile(const char* path) {
  const int fd = ::open(path, O_RDONLY | O_CLOEXEC);
  if (fd < 0) {
    if (errno == ENOENT) return std::optional<std::string>();
    return Err(FailedPrecondition(std::string(path) + ": cannot open: " + std::strerror(errno)));
  }
  std::string text(kDotEnvBytesMax + 1, '\0');
  size_t read_bytes = 0;
  int read_errno = 0;
  while (read_bytes < text.size()) {
    const ssize_t n = ::read(fd, text.data() + read_bytes, text.size() - read_bytes);
    if (n < 0 && errno == EINTR) continue;
    if (n < 0) read_errno = errno;
    if (n <= 0) break;
    read_bytes += static_cast<size_t>(n);
  }
  ::close(fd);
  if (read_errno != 0) {
    return Err(
        FailedPrecondition(std::string(path) + ": cannot read: " + std::strerror(read_errno)));
  }
  if (read_bytes > kDotEnvBytesMax) {
    return Err(InvalidArgument(std::string(path) + ": larger than " +
                               std::to_string(kDotEnvBytesMax) + " bytes"));
  }
  text.resize(read_bytes);
  return std::optional<std::string>(std::move(text));
}

}  // namespace

Result<EnvMap> ParseDotEnv(std::string_view text) {
  EnvMap vars;
  // Editors on Windows may start the file with a UTF-8 byte order mark.
  if (text.starts_with("\xEF\xBB\xBF")) text.remove_prefix(3);
  size_t line_number = 0;
  while (!text.empty()) {
    ++line_number;
    const size_t eol = text.find('\n');
    std::string_view line = text.substr(0, eol);
    text.remove_prefix(eol == std::string_view::npos ? text.size() : eol + 1);
    if (!line.empty() && line.back() == '\r') line.remove_suffix(1);
    line = Trim(line);
    if (line.empty() || line.front() == '#') continue;
    if (line.starts_with("export") && line.size() > 6 && IsBlank(line[6])) {
      line = Trim(line.substr(6));
    }
    const size_t eq = line.find('=');
    if (eq == std::string_view::npos) return Err(DotEnvError(line_number, "expected KEY=VALUE"));
    const std::string_view key = Trim(line.substr(0, eq));
    if (!IsKey(key)) {
      return Err(DotEnvError(line_number, "invalid variable name " + Quoted(key)));
    }
    ASSIGN_OR_RETURN(std::string value, ParseValue(line.substr(eq + 1), line_number));
    vars[std::string(key)] = std::move(value);
  }
  return vars;
}

EnvMap ProcessEnv() {
  EnvMap vars;
  for (char** entry = environ; entry != nullptr && *entry != nullptr; ++entry) {
    const std::string_view text(*entry);
    const size_t eq = text.find('=');
    if (eq == std::string_view::npos) continue;
    // emplace keeps the first of duplicate names, which is the one getenv() returns.
    vars.emplace(std::string(text.substr(0, eq)), std::string(text.substr(eq + 1)));
  }
  return vars;
}

EnvMap MergeEnv(const EnvMap& dotenv, const EnvMap& env) {
  EnvMap merged = dotenv;
  for (const auto& [key, value] : env) merged[key] = value;
  return merged;
}

Result<Config> LoadConfig(const EnvMap& vars) {
  Config config;
  Reader reader(vars);
  ReadNet(reader, config.net);
  ReadNode(reader, config.node);
  ReadJobs(reader, config.jobs);
  ReadFiles(reader, config.files);
  ReadSecurity(reader, config.security);
  ReadRest(reader, config);
  if (!reader.status().ok()) return Err(reader.status());
  return config;
}

Result<Config> LoadConfigFromProcess() {
  ASSIGN_OR_RETURN(const std::optional<std::string> text, ReadOptionalFile(kDotEnvPath));
  EnvMap dotenv;
  if (text.has_value()) {
    ASSIGN_OR_RETURN(dotenv, ParseDotEnv(*text));
  }
  return LoadConfig(MergeEnv(dotenv, ProcessEnv()));
}

std::optional<LogLevel> ParseLogLevel(std::string_view text) {
  static constexpr std::pair<std::string_view, LogLevel> kLevels[] = {
      {"trace", LogLevel::kTrace}, {"debug", LogLevel::kDebug},
      {"info", LogLevel::kInfo},   {"warn", LogLevel::kWarn},
      {"warning", LogLevel::kWarn}, {"error", LogLevel::kError},
      {"critical", LogLevel::kCritical}, {"off", LogLevel::kOff},
  };
  for (const auto& [name, level] : kLevels) {
    if (EqualsIgnoreCase(text, name)) return level;
  }
  return std::nullopt;
}

}  // namespace sela
