#include "store/redis/redis_test_util.h"

#include <unistd.h>

#include <atomic>

namespace sela::store::testing {

Result<RedisServer*> SharedRedisServer() {
  static Result<std::unique_ptr<RedisServer>> server = RedisServer::Start();
  if (!server) return Err(server.error());
  return server->get();
}

RedisEnv::RedisEnv() : server_(SharedRedisServer()), loop_(std::make_unique<LoopThread>()) {
  static std::atomic<uint64_t> envs{0};
  prefix_ = "t" + std::to_string(::getpid()) + "_" + std::to_string(envs++);
}

RedisEnv::~RedisEnv() = default;

Result<std::unique_ptr<Store>> RedisEnv::Open(PostFn post) {
  if (!server_) return Err(server_.error());
  // A new seed per open, as a restarted server would have.
  RedisOptions options = TestRedisOptions(**server_, prefix_, opens_++);
  options.canister_sync = canister_sync;
  auto store = RedisStore::Open(options, loop_->loop(), std::move(post));
  if (!store) return Err(store.error());
  return std::unique_ptr<Store>(std::move(*store));
}

}  // namespace sela::store::testing
