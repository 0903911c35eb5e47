// The rewards ledger on Redis beyond the contract suite: where its keys are
// (the store's one hash tag, keys.h) and
// that a refused call leaves no key behind (Redis does not undo a script).
#include <gtest/gtest.h>

#include <set>

#include "store/redis/redis_test_util.h"
#include "store/store_contract_ledger_test.h"

namespace sela::store::testing {
namespace {

class RedisLedgerTest : public LedgerContractTest {
 protected:
  RedisEnv& redis() { return static_cast<RedisEnv&>(*env_); }

  // Every key of this test's prefix with its type and value, as text.
  std::set<std::string> Keys() {
    const std::string listed = redis().server().Command({"KEYS", "{" + redis().prefix() + "}:*"}).value();
    std::set<std::string> keys;
    for (size_t start = 0; start < listed.size();) {
      const size_t end = std::min(listed.find(' ', start), listed.size());
      if (end > start) keys.insert(listed.substr(start, end - start));
      start = end + 1;
    }
    return keys;
  }
  std::string Dump(const std::set<std::string>& keys) {
    std::string out;
    for (const std::string& k : keys) {
      const std::string type = redis().server().Command({"TYPE", k}).value();
      std::vector<std::string> read = {"GET", k};
      if (type == "hash") read = {"HGETALL", k};
      if (type == "zset") read = {"ZRANGE", k, "0", "-1", "WITHSCORES"};
      out += k + " " + type + " " + redis().server().Command(read).value() + "\n";
    }
    return out;
  }
};

const StoreBackend kRedisLedger{"Redis", [] { return std::make_unique<RedisEnv>(); }, nullptr};
INSTANTIATE_TEST_SUITE_P(Redis, RedisLedgerTest, ::testing::Values(kRedisLedger), BackendName);

constexpr int64_t kMinute = 60'000;

TEST_P(RedisLedgerTest, LedgerReferralAndRunKeysShareTheStoresHashTag) {
  const std::string a = CodeOf("a");
  CodeOf("b");
  ASSERT_EQ(Refer("b", a, 1)->refusal, ReferralRefusal::kNone);
  ASSERT_TRUE(AddUptime({OnlineDelta("b", "2024-03-10", 3 * kMinute)}, StoreTimeZeroMs()).ok());
  ASSERT_TRUE(Start(MakeRunStart("dist_1", "p", StoreTimeZeroMs())).has_value());
  const auto paid = Pay({MakePayment("b", "2024-03-10", 0, 3, "dist_1")}, "p");
  ASSERT_TRUE(paid.has_value()) << paid.error().ToString();
  ASSERT_TRUE(Apply({MakeTransfer("admin:1", "a", kSp)}).has_value());
  const std::string tag = "{" + redis().prefix() + "}:";
  size_t ledger = 0;
  for (const std::string& key : Keys()) {
    EXPECT_TRUE(key.starts_with(tag)) << key;
    if (key.starts_with(tag + "ledger:")) ++ledger;
  }
  EXPECT_GT(ledger, 10u);
}

TEST_P(RedisLedgerTest, ARefusedCallLeavesEveryKeyAsItWas) {
  ASSERT_TRUE(AddUptime({OnlineDelta("alice", "2024-03-10", 10 * kMinute)}, StoreTimeZeroMs()).ok());
  ASSERT_TRUE(Apply({MakeTransfer("job:j1", "alice", kSp, RewardKind::kJob)}).has_value());
  const std::set<std::string> keys = Keys();
  const std::string before = Dump(keys);
  // New principals, days, kinds and a payment come before the refusal.
  const auto conflict = Apply({MakeTransfer("job:j2", "bob", kSp, RewardKind::kJob, "2024-03-11"),
                               Capped(MakeTransfer("j:3", "carol", kSp, RewardKind::kJob), TransferCap::Window::kMonth,
                                      KindBit(RewardKind::kJob), kSp),
                               MakeTransfer("job:j1", "alice", 2 * kSp, RewardKind::kJob)});
  ASSERT_FALSE(conflict.has_value());
  EXPECT_EQ(conflict.error().code(), Code::kConflict);
  const auto unmeasured = Pay({MakePayment("alice", "2024-03-10", 0, 5), MakePayment("alice", "2024-03-10", 5, 11)});
  ASSERT_FALSE(unmeasured.has_value());
  EXPECT_EQ(unmeasured.error().code(), Code::kInvalidArgument);
  EXPECT_EQ(Keys(), keys);
  EXPECT_EQ(Dump(keys), before);
}

}  // namespace
}  // namespace sela::store::testing
