#include "principal.h"

#include <gtest/gtest.h>

#include <set>

namespace loadgen {
namespace {

TEST(Principal, PlainIsPrefixPlusPaddedIndex) {
  EXPECT_EQ(MakePrincipal(PrincipalFormat::kPlain, "loadgen-", 42, 6), "loadgen-000042");
  EXPECT_EQ(PrincipalIndexWidth(19000), 6);
  EXPECT_EQ(PrincipalIndexWidth(1'000'000), 6);
  EXPECT_EQ(PrincipalIndexWidth(1'000'001), 7);
}

TEST(Principal, Crc32MatchesTheStandardCheckValue) {
  EXPECT_EQ(Crc32("123456789"), 0xCBF43926u);
}

TEST(Principal, TextFormMatchesKnownPrincipals) {
  // The management canister (no bytes) and the anonymous principal (0x04).
  EXPECT_EQ(PrincipalText(""), "aaaaa-aa");
  EXPECT_EQ(PrincipalText(std::string("\x04", 1)), "2vxsx-fae");
}

TEST(Principal, IcFormLooksLikeASelfAuthenticatingPrincipal) {
  std::set<std::string> seen;
  for (uint64_t i = 0; i < 1000; ++i) {
    const std::string p = MakePrincipal(PrincipalFormat::kIcText, "loadgen-", i, 6);
    ASSERT_EQ(p.size(), 63u) << p;  // 33 bytes -> 53 base32 chars + 10 dashes.
    ASSERT_EQ(p[5], '-');
    seen.insert(p);
  }
  EXPECT_EQ(seen.size(), 1000u);
  EXPECT_EQ(MakePrincipal(PrincipalFormat::kIcText, "loadgen-", 7, 6),
            MakePrincipal(PrincipalFormat::kIcText, "loadgen-", 7, 6));
}

}  // namespace
}  // namespace loadgen
