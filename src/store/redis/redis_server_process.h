// A real redis-server (the Debian package) for tests and benchmarks: on a
// free loopback port with a temporary directory, stopped (and never
// outliving the test process) when destroyed; and an EventLoop on a thread
// of its own to serve a store's connections, as the server's loop would.
//
// Thread-safety: RedisServer and LoopThread are used from one thread.
#pragma once

#include <sys/types.h>

#include <atomic>
#include <cstdint>
#include <memory>
#include <string>
#include <thread>
#include <vector>

#include "core/clock.h"
#include "core/status.h"
#include "net/event_loop.h"
#include "store/redis/redis_store.h"

namespace sela::store::testing {

// A fresh directory under the system's temp dir, removed with its contents.
class RedisTempDir {
 public:
  RedisTempDir();
  ~RedisTempDir();
  RedisTempDir(const RedisTempDir&) = delete;
  RedisTempDir& operator=(const RedisTempDir&) = delete;
  const std::string& path() const { return path_; }

 private:
  std::string path_;
};

class RedisServer {
 public:
  struct Options {
    // Persistence: "" (none), "everysec" or "always" (appendonly yes with
    // that appendfsync).
    std::string appendfsync;
    std::string password;  // requirepass; empty: none.
    // Times the waits for start-up and exit; null: the system's monotonic
    // clock (the process is real, so is its time).
    const Clock* clock = nullptr;
  };
  // Starts redis-server and waits until it answers PING. Fails (never
  // skips) when it cannot: the message says what to install.
  static Result<std::unique_ptr<RedisServer>> Start(Options options);
  static Result<std::unique_ptr<RedisServer>> Start() { return Start(Options{}); }
  // Stops it (SIGTERM, then SIGKILL after 5 s) and removes its directory.
  ~RedisServer();

  uint16_t port() const { return port_; }
  pid_t pid() const { return pid_; }
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

  const Clock& clock() const;

  Options options_;
  RedisTempDir dir_;
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

}  // namespace sela::store::testing
