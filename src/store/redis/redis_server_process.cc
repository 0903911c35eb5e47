#include "store/redis/redis_server_process.h"

#include <hiredis/hiredis.h>
#include <netinet/in.h>
#include <signal.h>
#include <sys/prctl.h>
#include <sys/socket.h>
#include <sys/wait.h>
#include <unistd.h>

#include <chrono>
#include <filesystem>
#include <cstring>
#include <fstream>
#include <future>
#include <random>
#include <sstream>

namespace sela::store::testing {
namespace {

constexpr int kLaunchTries = 5;
constexpr auto kReadyWait = std::chrono::seconds(10);
constexpr auto kStopWait = std::chrono::seconds(5);

// A port that was free a moment ago (redis-server is told to use it; if
// someone takes it meanwhile, the launch fails and is tried again).
uint16_t FreePort() {
  const int fd = ::socket(AF_INET, SOCK_STREAM, 0);
  sockaddr_in addr{};
  addr.sin_family = AF_INET;
  addr.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
  socklen_t len = sizeof addr;
  uint16_t port = 0;
  if (::bind(fd, reinterpret_cast<sockaddr*>(&addr), sizeof addr) == 0 &&
      ::getsockname(fd, reinterpret_cast<sockaddr*>(&addr), &len) == 0) {
    port = ntohs(addr.sin_port);
  }
  ::close(fd);
  return port;
}

std::string ReplyText(const redisReply* r) {
  if (r == nullptr) return "(no reply)";
  switch (r->type) {
    case REDIS_REPLY_INTEGER:
      return std::to_string(r->integer);
    case REDIS_REPLY_NIL:
      return "(nil)";
    case REDIS_REPLY_ARRAY: {
      std::string out;
      for (size_t i = 0; i < r->elements; ++i) out += (i ? " " : "") + ReplyText(r->element[i]);
      return out;
    }
    default:
      return std::string(r->str, r->len);
  }
}

bool WaitExited(pid_t pid, const Clock& clock, std::chrono::milliseconds limit) {
  const MonoTime deadline = clock.Now() + limit;
  while (clock.Now() < deadline) {
    int status = 0;
    if (::waitpid(pid, &status, WNOHANG) == pid) return true;
    std::this_thread::sleep_for(std::chrono::milliseconds(5));
  }
  return false;
}

}  // namespace

RedisTempDir::RedisTempDir() {
  std::string pattern = (std::filesystem::temp_directory_path() / "sela_redis_XXXXXX").string();
  if (::mkdtemp(pattern.data()) == nullptr) std::abort();
  path_ = pattern;
}

RedisTempDir::~RedisTempDir() {
  std::error_code ignored;
  std::filesystem::remove_all(path_, ignored);
}

Result<std::unique_ptr<RedisServer>> RedisServer::Start(Options options) {
  std::unique_ptr<RedisServer> server(new RedisServer(std::move(options)));
  Status last = Status::Ok();
  for (int i = 0; i < kLaunchTries; ++i) {
    server->port_ = FreePort();
    last = server->Launch();
    if (last.ok()) return server;
  }
  return Err(last);
}

// Without persistence there is nothing to save: SIGKILL spares the wait
// for Redis's cron to notice SIGTERM (up to 100 ms).
RedisServer::~RedisServer() {
  if (options_.appendfsync.empty()) Kill();
  Stop();
}

redis::RedisEndpoint RedisServer::endpoint() const {
  redis::RedisEndpoint e;
  e.host = "127.0.0.1";
  e.port = port_;
  e.password = options_.password;
  return e;
}

Status RedisServer::Launch() {
  std::vector<std::string> args = {"redis-server", "--port", std::to_string(port_), "--bind", "127.0.0.1",
                                   "--dir", dir_.path(), "--save", "", "--daemonize", "no",
                                   "--logfile", dir_.path() + "/redis.log", "--maxmemory-policy", "noeviction"};
  if (options_.appendfsync.empty()) {
    args.insert(args.end(), {"--appendonly", "no"});
  } else {
    args.insert(args.end(), {"--appendonly", "yes", "--appendfsync", options_.appendfsync});
  }
  if (!options_.password.empty()) args.insert(args.end(), {"--requirepass", options_.password});
  const pid_t parent = ::getpid();
  pid_ = ::fork();
  if (pid_ < 0) return Internal(std::string("fork: ") + std::strerror(errno));
  if (pid_ == 0) {
    ::prctl(PR_SET_PDEATHSIG, SIGKILL);  // Never outlive the test.
    if (::getppid() != parent) ::_exit(1);
    std::vector<char*> argv;
    for (std::string& a : args) argv.push_back(a.data());
    argv.push_back(nullptr);
    ::execvp("redis-server", argv.data());
    ::_exit(127);
  }
  return WaitUntilReady();
}

Status RedisServer::WaitUntilReady() {
  const MonoTime deadline = clock().Now() + kReadyWait;
  while (clock().Now() < deadline) {
    int status = 0;
    if (::waitpid(pid_, &status, WNOHANG) == pid_) {
      pid_ = -1;
      std::ifstream log(dir_.path() + "/redis.log");
      std::stringstream text;
      text << log.rdbuf();
      if (WIFEXITED(status) && WEXITSTATUS(status) == 127) {
        return FailedPrecondition("redis-server is not installed: run scripts/install-deps.sh (Debian redis-server)");
      }
      return Unavailable("redis-server exited at start: " + text.str().substr(0, 2000));
    }
    if (auto pong = Command({"PING"}); pong.has_value() && *pong == "PONG") return Status::Ok();
    std::this_thread::sleep_for(std::chrono::milliseconds(5));
  }
  Kill();
  return Unavailable("redis-server did not answer PING within 10 s");
}

const Clock& RedisServer::clock() const {
  static const SystemClock system;
  return options_.clock != nullptr ? *options_.clock : system;
}

void RedisServer::Kill() {
  if (pid_ <= 0) return;
  ::kill(pid_, SIGKILL);
  ::waitpid(pid_, nullptr, 0);
  pid_ = -1;
}

void RedisServer::Stop() {
  if (pid_ <= 0) return;
  ::kill(pid_, SIGTERM);
  if (!WaitExited(pid_, clock(), kStopWait)) {
    ::kill(pid_, SIGKILL);
    ::waitpid(pid_, nullptr, 0);
  }
  pid_ = -1;
}

Status RedisServer::Restart() {
  if (pid_ > 0) return FailedPrecondition("redis-server is still running");
  return Launch();
}

Result<std::string> RedisServer::Command(const std::vector<std::string>& args) {
  const timeval timeout{2, 0};
  redisContext* c = redisConnectWithTimeout("127.0.0.1", port_, timeout);
  if (c == nullptr || c->err) {
    const std::string why = c ? c->errstr : "no memory";
    if (c) redisFree(c);
    return Err(Unavailable("cannot connect to the test redis-server: " + why));
  }
  if (!options_.password.empty()) {
    auto* auth = static_cast<redisReply*>(redisCommand(c, "AUTH %s", options_.password.c_str()));
    if (auth) freeReplyObject(auth);
  }
  std::vector<const char*> argv;
  std::vector<size_t> lens;
  for (const std::string& a : args) {
    argv.push_back(a.data());
    lens.push_back(a.size());
  }
  auto* reply = static_cast<redisReply*>(redisCommandArgv(c, static_cast<int>(argv.size()), argv.data(), lens.data()));
  Result<std::string> out = reply ? Result<std::string>(ReplyText(reply)) : Err(Unavailable(c->errstr));
  if (reply && reply->type == REDIS_REPLY_ERROR) out = Err(Internal(ReplyText(reply)));
  if (reply) freeReplyObject(reply);
  redisFree(c);
  return out;
}

LoopThread::LoopThread() {
  std::promise<net::EventLoop*> ready;
  thread_ = std::thread([this, &ready] {
    net::EventLoop loop;
    ready.set_value(&loop);
    loop.Run();
    loop.Shutdown();
  });
  loop_ = ready.get_future().get();
}

LoopThread::~LoopThread() {
  loop_->Stop();
  thread_.join();
}

RedisOptions TestRedisOptions(const RedisServer& server, std::string key_prefix, uint64_t seed) {
  RedisOptions options;
  options.endpoint = server.endpoint();
  options.key_prefix = std::move(key_prefix);
  options.process_id = "test-" + std::to_string(::getpid());
  options.durability = server.durability();
  options.random = [rng = std::mt19937_64(seed)]() mutable { return rng(); };
  return options;
}

}  // namespace sela::store::testing
