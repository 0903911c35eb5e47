// RedisStore: the contract suite on a real redis-server, plus what only this
// backend has (connection loss and return, NOSCRIPT, URLs, durability).
#include "store/redis/redis_store.h"

#include <gtest/gtest.h>

#include "store/redis/redis_test_util.h"
#include "store/store_contract_test.h"

namespace sela::store::testing {
namespace {

const StoreBackend kRedis{"Redis", [] { return std::make_unique<RedisEnv>(); }};

INSTANTIATE_TEST_SUITE_P(Redis, StoreContractTest, ::testing::Values(kRedis), BackendName);
INSTANTIATE_TEST_SUITE_P(Redis, JobContractTest, ::testing::Values(kRedis), BackendName);

}  // namespace
}  // namespace sela::store::testing
