// The contract suite's environment for the Redis store (redis_server_process.h
// has the server and the loop thread).
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
#include "store/redis/redis_server_process.h"
#include "store/redis/redis_store.h"
#include "store/store_contract_test.h"

namespace sela::store::testing {

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
