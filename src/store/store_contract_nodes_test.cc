// Contract tests of node identity and node record housekeeping (issue 11):
// signed principals refuse legacy registrations, node lists page, one-time
// records expire. Run against every backend (store_contract_test.h).
// GCC 12 at -O3 warns that a moved-from std::expected<std::vector<...>> in a
// std::function argument "may be used uninitialized" (a false positive of
// its inliner, as in api/rpc_routes.cc); clang and -O0 builds see nothing.
#if defined(__GNUC__) && !defined(__clang__)
#pragma GCC diagnostic ignored "-Wmaybe-uninitialized"
#endif

#include "store/store_contract_test.h"


namespace sela::store::testing {
namespace {

constexpr int64_t kT0 = 1'700'000'000'000;

TEST_P(StoreContractTest, SignedRegistrationMarksThePrincipalForGood) {
  const Result<NodeRecord> signed_node = RegisterSigned("alpha", kT0, "a");
  ASSERT_TRUE(signed_node.has_value()) << signed_node.error().ToString();
  EXPECT_TRUE(signed_node->signed_identity);
  EXPECT_EQ(signed_node->registrations, 1u);
  const Result<NodeRecord> again = RegisterSigned("alpha", kT0 + 5, "b");
  ASSERT_TRUE(again.has_value());
  EXPECT_TRUE(again->signed_identity);
  EXPECT_EQ(again->registrations, 2u);
  EXPECT_EQ(again->client_id, "b");
}

TEST_P(StoreContractTest, LegacyRegistrationOfASignedPrincipalIsRefusedAndChangesNothing) {
  ASSERT_TRUE(RegisterSigned("alpha", kT0, "a").has_value());
  ASSERT_TRUE(Disconnect("alpha", kT0 + 1).ok());
  const NodeRecord before = Get("alpha").value().value();
  const Result<NodeRecord> legacy = Register("alpha", kT0 + 10, "impostor");
  ASSERT_FALSE(legacy.has_value());
  EXPECT_EQ(legacy.error().code(), Code::kFailedPrecondition);
  EXPECT_EQ(Get("alpha").value(), std::optional<NodeRecord>(before));
}

TEST_P(StoreContractTest, ALegacyPrincipalBecomesSignedWhenItSignsIn) {
  ASSERT_TRUE(Register("alpha", kT0).has_value());
  ASSERT_TRUE(RegisterSigned("alpha", kT0 + 1).value().signed_identity);
  EXPECT_FALSE(Register("alpha", kT0 + 2).has_value());
  // Another principal is not affected.
  EXPECT_TRUE(Register("beta", kT0 + 3).has_value());
}

TEST_P(StoreContractTest, NodeListsPageByNumericId) {
  for (int i = 0; i < 5; ++i) ASSERT_TRUE(Register("node-" + std::to_string(i), kT0).has_value());
  const std::vector<NodeRecord> first = Page(0, 2).value();
  ASSERT_EQ(first.size(), 2u);
  EXPECT_EQ(first[0].numeric_id, 1);
  EXPECT_EQ(first[1].numeric_id, 2);
  const std::vector<NodeRecord> next = Page(first.back().numeric_id, 2).value();
  ASSERT_EQ(next.size(), 2u);
  EXPECT_EQ(next[0].principal, "node-2");
  const Result<std::vector<NodeRecord>> last = Page(4, 2);
  ASSERT_TRUE(last.has_value());
  EXPECT_EQ(last->size(), 1u);
  const Result<std::vector<NodeRecord>> after = Page(5, 2);
  ASSERT_TRUE(after.has_value());
  EXPECT_TRUE(after->empty());
  const Result<std::vector<NodeRecord>> refused = Page(0, 0);
  ASSERT_FALSE(refused.has_value());
  EXPECT_EQ(refused.error().code(), Code::kInvalidArgument);
}

TEST_P(StoreContractTest, OneTimeRecordsExpireAndOthersStay) {
  ASSERT_TRUE(Register("once", kT0).has_value());
  ASSERT_TRUE(Disconnect("once", kT0 + 10).ok());
  ASSERT_TRUE(Register("twice", kT0).has_value());
  ASSERT_TRUE(Register("twice", kT0 + 1).has_value());
  ASSERT_TRUE(Disconnect("twice", kT0 + 10).ok());
  ASSERT_TRUE(RegisterSigned("signed", kT0).has_value());
  ASSERT_TRUE(Disconnect("signed", kT0 + 10).ok());
  ASSERT_TRUE(Register("connected", kT0).has_value());  // Never disconnected.
  ASSERT_TRUE(Register("recent", kT0).has_value());
  ASSERT_TRUE(Disconnect("recent", kT0 + 1000).ok());
  ASSERT_TRUE(AddUptime({{.principal = "once", .day = "2023-11-14", .online_ms = 5}}, kT0 + 11).ok());

  // At T (disconnected_before = 10) nothing is strictly before; at T+1 "once" goes.
  EXPECT_EQ(ExpireRecords(kT0 + 10, 100).value(), 0u);
  EXPECT_EQ(ExpireRecords(kT0 + 11, 100).value(), 1u);
  EXPECT_FALSE(Get("once").value().has_value());
  for (const char* kept : {"twice", "signed", "connected", "recent"}) {
    EXPECT_TRUE(Get(kept).value().has_value()) << kept;
  }
  // Its uptime stays; registering again makes a fresh record.
  EXPECT_EQ(TotalUptime("once").value(), 5);
  EXPECT_EQ(Register("once", kT0 + 20).value().registrations, 1u);
}

TEST_P(StoreContractTest, ARecordThatCameBackAfterItsFirstDisconnectDoesNotExpire) {
  ASSERT_TRUE(Register("back", kT0).has_value());
  ASSERT_TRUE(Disconnect("back", kT0 + 1).ok());  // A one-time record for now...
  ASSERT_TRUE(Register("back", kT0 + 2).has_value());
  ASSERT_TRUE(Disconnect("back", kT0 + 3).ok());  // ...not any more: it registered twice.
  ASSERT_TRUE(Register("signed", kT0).has_value());
  ASSERT_TRUE(Disconnect("signed", kT0 + 1).ok());
  ASSERT_TRUE(RegisterSigned("signed", kT0 + 2).has_value());
  ASSERT_TRUE(Disconnect("signed", kT0 + 3).ok());
  EXPECT_EQ(ExpireRecords(kT0 + 100, 100).value(), 0u);
  EXPECT_TRUE(Get("back").value().has_value());
  EXPECT_TRUE(Get("signed").value().has_value());
}

TEST_P(StoreContractTest, ExpiryTakesAtMostItsLimit) {
  for (int i = 0; i < 5; ++i) {
    const std::string p = "flood-" + std::to_string(i);
    ASSERT_TRUE(Register(p, kT0).has_value());
    ASSERT_TRUE(Disconnect(p, kT0 + 1).ok());
  }
  EXPECT_EQ(ExpireRecords(kT0 + 100, 3).value(), 3u);
  EXPECT_EQ(ExpireRecords(kT0 + 100, 3).value(), 2u);
  const Result<std::vector<NodeRecord>> left = List(false);
  ASSERT_TRUE(left.has_value());
  EXPECT_TRUE(left->empty());
}

}  // namespace
}  // namespace sela::store::testing
