#include "protocol/v2_handshake.h"

#include <gtest/gtest.h>

#include "codec/base64.h"
#include "codec/principal.h"

namespace sela::protocol::v2 {
namespace {

constexpr int64_t kT0 = 1'700'000'000'000;

// A seeded source: the same bytes for the same seed.
RandomBytes Seeded(uint8_t seed) {
  return [seed](std::span<uint8_t> out) mutable {
    for (uint8_t& b : out) b = seed++;
  };
}

const std::string kPrincipal = std::string(28, '\x22') + "\x02";

std::string Auth(std::string_view sig = std::string(64, 's'), std::string extra = {}) {
  return R"({"type":"auth","principal":")" + codec::Principal::FromBytes(kPrincipal)->ToText() + R"(","public_key":")" +
         codec::Base64UrlEncode("key") + R"(","signature":")" + codec::Base64UrlEncode(sig) + "\"" + extra + "}";
}

// Accepts exactly the signature "s"*64 over the right message by "key".
struct FakeVerifier {
  std::string expected_message;
  int calls = 0;
  KeyVerdict operator()(std::string_view principal, std::string_view der, std::string_view m, std::string_view sig) {
    ++calls;
    if (der != "key") return KeyVerdict::kUnsupportedKey;
    if (principal != kPrincipal) return KeyVerdict::kKeyMismatch;
    return m == expected_message && sig == std::string(64, 's') ? KeyVerdict::kOk : KeyVerdict::kBadSignature;
  }
};

TEST(V2Handshake, BuildsTheDomainSeparatedMessage) {
  const std::string m = AuthMessage(std::string(32, 'n'), kPrincipal);
  ASSERT_EQ(m.size(), 1 + 12 + 32 + 29u);
  EXPECT_EQ(m[0], 0x0C);
  EXPECT_EQ(m.substr(1, 12), "sela-v2-auth");
  EXPECT_EQ(m.substr(13, 32), std::string(32, 'n'));
  EXPECT_EQ(m.substr(45), kPrincipal);
}

TEST(V2Handshake, DrawsItsNonceFromTheInjectedSource) {
  Handshake a(Seeded(1), kT0), b(Seeded(1), kT0), c(Seeded(2), kT0);
  EXPECT_EQ(a.nonce(), b.nonce());
  EXPECT_NE(a.nonce(), c.nonce());
  EXPECT_EQ(a.nonce().size(), 32u);
  EXPECT_EQ(a.ChallengeFrame(), R"({"type":"challenge","nonce":")" + codec::Base64UrlEncode(a.nonce()) + "\"}");
}

TEST(V2Handshake, AcceptsAGoodSignatureUpToTheEndOfTheChallengesLife) {
  const HandshakeOptions options;
  for (int64_t at : {kT0, kT0 + 30'000}) {
    Handshake h(Seeded(1), kT0);
    FakeVerifier v{AuthMessage(h.nonce(), kPrincipal)};
    auto ok = h.OnAuth(Auth(), at, std::ref(v), options);
    ASSERT_TRUE(ok) << ok.error().message;
    EXPECT_EQ(ok->principal, kPrincipal);
    EXPECT_EQ(v.calls, 1);
  }
}

TEST(V2Handshake, RefusesAnExpiredChallengeWithoutCheckingTheKey) {
  Handshake h(Seeded(1), kT0);
  FakeVerifier v{AuthMessage(h.nonce(), kPrincipal)};
  auto late = h.OnAuth(Auth(), kT0 + 30'001, std::ref(v), {});
  ASSERT_FALSE(late);
  EXPECT_EQ(late.error().code, "challenge_expired");
  EXPECT_EQ(late.error().close_code, close_code::kChallengeExpired);
  EXPECT_EQ(v.calls, 0);
}

TEST(V2Handshake, TheNonceIsGoodOnce) {
  Handshake h(Seeded(1), kT0);
  FakeVerifier v{AuthMessage(h.nonce(), kPrincipal)};
  ASSERT_TRUE(h.OnAuth(Auth(), kT0, std::ref(v), {}));
  auto again = h.OnAuth(Auth(), kT0, std::ref(v), {});
  ASSERT_FALSE(again);
  EXPECT_EQ(again.error().code, "already_authenticated");
  // A failed try spends it too.
  Handshake g(Seeded(2), kT0);
  FakeVerifier w{AuthMessage(g.nonce(), kPrincipal)};
  ASSERT_FALSE(g.OnAuth(Auth(std::string(64, 'x')), kT0, std::ref(w), {}));
  EXPECT_FALSE(g.OnAuth(Auth(), kT0, std::ref(w), {}));
}

TEST(V2Handshake, AnAuthForAnotherConnectionsChallengeFails) {
  Handshake first(Seeded(1), kT0);
  Handshake second(Seeded(9), kT0);
  // Signed over the first connection's nonce, replayed on the second.
  FakeVerifier v{AuthMessage(first.nonce(), kPrincipal)};
  auto replay = second.OnAuth(Auth(), kT0, std::ref(v), {});
  ASSERT_FALSE(replay);
  EXPECT_EQ(replay.error().code, "bad_signature");
  // Naming the other nonce explicitly is caught before the signature.
  Handshake third(Seeded(17), kT0);
  auto named = third.OnAuth(Auth(std::string(64, 's'), R"(,"nonce":")" + codec::Base64UrlEncode(first.nonce()) + "\""),
                            kT0, std::ref(v), {});
  ASSERT_FALSE(named);
  EXPECT_EQ(named.error().code, "challenge_mismatch");
  EXPECT_EQ(named.error().close_code, close_code::kAuthFailed);
}

TEST(V2Handshake, MapsEachVerdictToItsError) {
  struct Case {
    KeyVerdict verdict;
    std::string_view code;
  } cases[] = {{KeyVerdict::kUnsupportedKey, "unsupported_key"},
               {KeyVerdict::kKeyMismatch, "key_mismatch"},
               {KeyVerdict::kBadSignature, "bad_signature"}};
  for (const Case& c : cases) {
    Handshake h(Seeded(1), kT0);
    auto r = h.OnAuth(Auth(), kT0, [&](auto, auto, auto, auto) { return c.verdict; }, {});
    ASSERT_FALSE(r);
    EXPECT_EQ(r.error().code, c.code);
    EXPECT_EQ(r.error().close_code, close_code::kAuthFailed);
  }
  Handshake h(Seeded(1), kT0);
  auto malformed = h.OnAuth("{}", kT0, [](auto, auto, auto, auto) { return KeyVerdict::kOk; }, {});
  ASSERT_FALSE(malformed);
  EXPECT_EQ(malformed.error().close_code, close_code::kBadHandshake);
}

}  // namespace
}  // namespace sela::protocol::v2
