#include "net/inbound_budget.h"

#include <gtest/gtest.h>

#include "net/source_table.h"

#include <netinet/in.h>

#include <arpa/inet.h>

#include <map>
#include <random>

namespace sela::net {
namespace {

InboundBudget Budget() { return InboundBudget({.limit_bytes = 1000, .small_bytes_max = 50, .reserve_bytes = 200}); }

TEST(InboundBudget, LargeRequestsStopShortOfTheReserve) {
  InboundBudget b = Budget();
  EXPECT_TRUE(b.TryCharge(700, 700));
  EXPECT_FALSE(b.TryCharge(101, 101));  // 801 > 1000 - 200
  EXPECT_TRUE(b.TryCharge(100, 100));
  EXPECT_EQ(b.used_bytes(), 800u);
  // Small requests may use the reserve, up to the limit.
  EXPECT_TRUE(b.TryCharge(50, 50));
  EXPECT_TRUE(b.TryCharge(40, 40));
  EXPECT_FALSE(b.TryCharge(50, 50) && b.TryCharge(50, 50) && b.TryCharge(50, 50));
  EXPECT_LE(b.used_bytes(), 1000u);
}

TEST(InboundBudget, ChargeCountsWhatIsHeldEvenPastTheLimit) {
  InboundBudget b = Budget();
  b.Charge(1200);
  EXPECT_TRUE(b.full());
  EXPECT_FALSE(b.TryCharge(1, 1));
  b.Release(1200);
  EXPECT_FALSE(b.full());
  EXPECT_EQ(b.TakePeak(), 1200u);
  EXPECT_EQ(b.TakePeak(), 0u);
}

TEST(InboundBudget, WaitersComeBackOldestFirst) {
  InboundBudget b = Budget();
  b.AddWaiter(1);
  b.AddWaiter(2);
  EXPECT_EQ(b.PopWaiter(), 1u);
  b.PushFrontWaiter(1);
  EXPECT_EQ(b.PopWaiter(), 1u);
  EXPECT_EQ(b.PopWaiter(), 2u);
  EXPECT_EQ(b.PopWaiter(), std::nullopt);
}

sockaddr_storage V4(const char* text) {
  sockaddr_storage a{};
  auto& v4 = reinterpret_cast<sockaddr_in&>(a);
  v4.sin_family = AF_INET;
  inet_pton(AF_INET, text, &v4.sin_addr);
  return a;
}

sockaddr_storage V6(const char* text) {
  sockaddr_storage a{};
  auto& v6 = reinterpret_cast<sockaddr_in6&>(a);
  v6.sin6_family = AF_INET6;
  inet_pton(AF_INET6, text, &v6.sin6_addr);
  return a;
}

TEST(SourceOf, IsTheIpv4AddressOrTheIpv6Slash64) {
  EXPECT_EQ(SourceOf(V4("10.0.0.1")), SourceOf(V4("10.0.0.1")));
  EXPECT_NE(SourceOf(V4("10.0.0.1")), SourceOf(V4("10.0.0.2")));
  EXPECT_EQ(SourceOf(V6("::ffff:10.0.0.1")), SourceOf(V4("10.0.0.1")));
  EXPECT_EQ(SourceOf(V6("2001:db8:1:2::1")), SourceOf(V6("2001:db8:1:2:ffff::9")));
  EXPECT_NE(SourceOf(V6("2001:db8:1:2::1")), SourceOf(V6("2001:db8:1:3::1")));
  EXPECT_NE(SourceOf(V4("0.0.0.0")), 0u);
}

TEST(SourceTable, CountsMatchAMapThroughRandomAddsAndRemoves) {
  SourceTable table;
  std::map<SourceKey, uint32_t> model;
  std::mt19937 rng(7);
  for (int step = 0; step < 200'000; ++step) {
    const SourceKey key = 1 + rng() % 3000;
    if (rng() % 2 == 0 || model[key] == 0) {
      table.Add(key);
      ++model[key];
    } else {
      table.Remove(key);
      --model[key];
    }
    if (step % 997 == 0) {
      for (const auto& [k, n] : model) ASSERT_EQ(table.Count(k), n) << k;
    }
  }
  size_t live = 0;
  for (const auto& [k, n] : model) {
    EXPECT_EQ(table.Count(k), n);
    live += n > 0;
  }
  EXPECT_EQ(table.size(), live);
}

}  // namespace
}  // namespace sela::net
