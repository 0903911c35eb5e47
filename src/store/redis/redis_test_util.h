// Test support for the Redis store: a real redis-server (the Debian
// package) on a free loopback port with a temporary directory, an event
// loop on a thread of its own, and the contract suite's environment.
//
// Thread-safety: RedisServer and LoopThread are used from the test thread.
#pragma once

#include <sys/types.h>

#include <atomic>
#include <cstdint>
#include <memory>
#include <string>
#include <thread>
#include <vector>

#include "core/status.h"
#include "net/event_loop.h"
#include "store/redis/redis_store.h"
#include "store/store_contract_test.h"

namespace sela::store::testing {

class RedisServer {
 public:
  struct Options {
    // Persistence: "" (none), "everysec" or "always" (appendonly yes with
    // that appendfsync).
    std::string appendfsync;
    std::string password;  // requirepass; empty: none.
  };
  // Starts redis-server and waits until it answers PING. Fails (never
  // skips) when it cannot: the message says what to install.
  static Result<std::unique_ptr<RedisServer>> Start(Options options);
  static Result<std::unique_ptr<RedisServer>> Start() { return Start(Options{}); }
  // Stops it (SIGTERM, then SIGKILL after 5 s) and removes its directory.
  ~RedisServer();

  uint16_t port() const { return port_; }
  const std::string& dir() const { return dir_.path(); }
  redis::RedisEndpoint endpoint() const;
  std::string url() const { return "redis://127.0.0.1:" + std::to_string(port_); }
  // What its persistence promises (for RedisOptions::durability).
  RedisDurability durability() const {
    if (options_.appendfsync == "always") return RedisDurability::kAlways;
    return options_.appendfsync.empty() ? RedisDurability::kNone : RedisDurability::kEverysec;
  }

  // Kills it with SIGKILL and waits: a crash.
  void Kill();
  // Stops it with SIGTERM and waits.
  void Stop();
  // Starts it again on the same port and directory (after Kill or Stop).
  Status Restart();
  // Runs one command on a connection of its own; the reply as text
  // (integers in decimal, arrays space-separated, nil as "(nil)").
  Result<std::string> Command(const std::vector<std::string>& args);

 private:
  explicit RedisServer(Options options) : options_(std::move(options)) {}
  Status Launch();
  Status WaitUntilReady();

  Options options_;
  TempDir dir_;
  uint16_t port_ = 0;
  pid_t pid_ = -1;
};

// An EventLoop running on a thread of its own, as the server's would.
class LoopThread {
 public:
  LoopThread();
  ~LoopThread();
  net::EventLoop& loop() { return *loop_; }

 private:
  std::thread thread_;
  std::atomic<net::EventLoop*> loop_ptr_{nullptr};
  net::EventLoop* loop_ = nullptr;
};

// RedisOptions for tests: the server's endpoint, a key prefix of the
// caller's, a seeded random source.
RedisOptions TestRedisOptions(const RedisServer& server, std::string key_prefix, uint64_t seed);

// The process-wide redis-server of the contract suite, started at first use
// and stopped at exit; the error says why it could not start.
Result<RedisServer*> SharedRedisServer();

// The contract suite's environment: a fresh key prefix on the shared
// server, served by a loop thread of its own.
class RedisEnv final : public StoreEnv {
 public:
  RedisEnv();
  ~RedisEnv() override;
  Result<std::unique_ptr<Store>> Open(PostFn post) override;

  RedisServer& server() { return **server_; }
  LoopThread& loop() { return *loop_; }
  const std::string& prefix() const { return prefix_; }

 private:
  Result<RedisServer*> server_;
  std::unique_ptr<LoopThread> loop_;
  std::string prefix_;
  uint64_t opens_ = 1;
};

}  // namespace sela::store::testing
