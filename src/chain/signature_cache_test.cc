// SignatureCache (certificate.h): one pairing serves every certificate of a
// round, and a hit never lets through what full verification refuses.
#include <gtest/gtest.h>

#include <atomic>
#include <thread>
#include <vector>

#include "chain/bls.h"
#include "chain/certificate.h"
#include "chain/hash_tree.h"
#include "codec/cbor_writer.h"
#include "codec/hex.h"
#include "codec/leb128.h"

namespace sela::chain {
namespace {

constexpr uint64_t kTag = 55799;
constexpr std::string_view kSep = "\x0Dic-state-root";
constexpr int64_t kNowNs = 1'764'100'000'000'000'000;
using Paths = std::vector<std::vector<std::string>>;

std::string Bytes(std::string_view hex) { return codec::HexDecode(hex).value(); }
codec::Principal Id(std::string_view text) { return codec::Principal::FromText(text).value(); }
const codec::Principal kLedger = Id("y5ego-zyaaa-aaaao-qkfhq-cai");
const codec::Principal kOther = Id("qe3z4-yiaaa-aaaam-aeoyq-cai");
const std::string kSubnet = Bytes("d77b2a2f7199b9a8aec93fe6fb588661358cf12223e9a3af7b4ebac402");

std::string CertificateOf(const std::string& tree, const std::string& signature, const std::string* delegation) {
  codec::CborWriter w;
  w.Tag(kTag).MapHeader(delegation ? 3 : 2).Text("tree").Raw(tree).Text("signature").Bytes(signature);
  if (delegation) {
    w.Text("delegation").MapHeader(2).Text("subnet_id").Bytes(kSubnet).Text("certificate").Bytes(*delegation);
  }
  return std::move(w).Take();
}

// A test network: a root key delegating to a subnet that holds kLedger only.
struct Net {
  explicit Net(std::string_view root_hex)
      : root(bls::SecretKey::FromBytes(Bytes(root_hex)).value()),
        subnet(bls::SecretKey::FromBytes(Bytes("2200000000000000000000000000000000000000000000000000000000000009")).value()) {
    codec::CborWriter ranges;
    ranges.Tag(kTag).ArrayHeader(1).ArrayHeader(2).Bytes(kLedger.bytes()).Bytes(kLedger.bytes());
    HashTreeBuilder b;
    b.Insert(std::vector<std::string>{"subnet", kSubnet, "public_key"}, bls::KeyToDer(subnet.PublicKey()));
    b.Insert(std::vector<std::string>{"canister_ranges", kSubnet, std::string(kLedger.bytes())},
             std::move(ranges).Take());
    b.Insert(std::vector<std::string>{"time"}, codec::Uleb128(static_cast<uint64_t>(kNowNs)));
    delegation = CertificateOf(b.EncodeCbor(), root.Sign(std::string(kSep) + b.RootHash()), nullptr);
  }
  std::string root_raw() const { return root.PublicKey(); }
  bls::SecretKey root;
  bls::SecretKey subnet;
  std::string delegation;
};

const char kRootHex[] = "1100000000000000000000000000000000000000000000000000000000000007";

// One round's state: request A and B replied (reply = the given bytes), /time.
HashTreeBuilder Round(const std::string& reply_a, const std::string& reply_b, int64_t time_ns = kNowNs) {
  HashTreeBuilder b;
  for (const auto& [id, reply] : {std::pair{std::string(32, 'A'), reply_a}, std::pair{std::string(32, 'B'), reply_b}}) {
    b.Insert(std::vector<std::string>{"request_status", id, "status"}, "replied");
    b.Insert(std::vector<std::string>{"request_status", id, "reply"}, reply);
  }
  b.Insert(std::vector<std::string>{"time"}, codec::Uleb128(static_cast<uint64_t>(time_ns)));
  return b;
}

// The witness of request `id` in `round`, carrying `signature`.
Certificate Witness(const Net& net, const HashTreeBuilder& round, char id, const std::string& signature) {
  const Paths keep = {{"request_status", std::string(32, id)}, {"time"}};
  return Certificate::Parse(CertificateOf(round.EncodePrunedCbor(keep), signature, &net.delegation)).value();
}

std::string SignRound(const Net& net, const HashTreeBuilder& round) {
  return net.subnet.Sign(std::string(kSep) + round.RootHash());
}

Status Verify(const Certificate& cert, const Net& net, SignatureCache& cache, int64_t now_ns = kNowNs,
              const codec::Principal& canister = kLedger) {
  return VerifyCertificate(cert, net.root_raw(), {CertificateScope::Kind::kCanister, canister}, now_ns, {}, &cache);
}

TEST(SignatureCache, OnePairingServesEveryCertificateOfARound) {
  const Net net(kRootHex);
  const HashTreeBuilder round = Round("ra", "rb");
  const std::string signature = SignRound(net, round);
  const Certificate a = Witness(net, round, 'A', signature);
  const Certificate b = Witness(net, round, 'B', signature);
  SignatureCache cache;
  ASSERT_TRUE(Verify(a, net, cache).ok());
  EXPECT_EQ(cache.hits(), 0u);
  EXPECT_EQ(cache.size(), 2u);  // The delegation's and the round's.
  ASSERT_TRUE(Verify(b, net, cache).ok());
  EXPECT_EQ(cache.hits(), 2u);
  EXPECT_EQ(LookupRequestStatus(b, std::string(32, 'B')).value().reply, "rb");
  EXPECT_EQ(LookupRequestStatus(b, std::string(32, 'A')).value().state, RequestStatus::State::kUnknown);
}

TEST(SignatureCache, AHitNeverAcceptsAnotherTreeUnderTheSameSignature) {
  const Net net(kRootHex);
  const HashTreeBuilder round = Round("ra", "rb");
  const std::string signature = SignRound(net, round);
  SignatureCache cache;
  ASSERT_TRUE(Verify(Witness(net, round, 'A', signature), net, cache).ok());
  // A tampered leaf: A's reply changed, the round's signature reused.
  const Status tampered = Verify(Witness(net, Round("paid twice", "rb"), 'A', signature), net, cache);
  EXPECT_EQ(tampered.code(), Code::kUnauthenticated) << tampered.message();
  // Another tree altogether: a third request added.
  HashTreeBuilder other = Round("ra", "rb");
  other.Insert(std::vector<std::string>{"request_status", std::string(32, 'C'), "status"}, "replied");
  EXPECT_EQ(Verify(Witness(net, other, 'C', signature), net, cache).code(), Code::kUnauthenticated);
  // The same tree with a later /time under the old signature.
  EXPECT_EQ(Verify(Witness(net, Round("ra", "rb", kNowNs + 1), 'A', signature), net, cache).code(),
            Code::kUnauthenticated);
}

TEST(SignatureCache, AHitStillChecksTimeRootKeyAndCanisterRange) {
  const Net net(kRootHex);
  const HashTreeBuilder round = Round("ra", "rb");
  const Certificate a = Witness(net, round, 'A', SignRound(net, round));
  SignatureCache cache;
  ASSERT_TRUE(Verify(a, net, cache).ok());
  const Status stale = Verify(a, net, cache, kNowNs + 600LL * 1'000'000'000);
  EXPECT_EQ(stale.code(), Code::kUnauthenticated);
  EXPECT_NE(stale.message().find("stale"), std::string::npos) << stale.message();
  const Status elsewhere = Verify(a, net, cache, kNowNs, kOther);
  EXPECT_NE(elsewhere.message().find("not in the subnet's ranges"), std::string::npos) << elsewhere.message();
  const Net other_root("3300000000000000000000000000000000000000000000000000000000000011");
  const Status root = VerifyCertificate(a, other_root.root_raw(), {CertificateScope::Kind::kCanister, kLedger},
                                        kNowNs, {}, &cache);
  EXPECT_EQ(root.code(), Code::kUnauthenticated);
  EXPECT_NE(root.message().find("delegation signature"), std::string::npos) << root.message();
  EXPECT_TRUE(Verify(a, net, cache).ok());  // The refusals cached nothing wrong.
}

TEST(SignatureCache, AnswersOfARoundVerifiedTogetherCostOnePairing) {
  const Net net(kRootHex);
  HashTreeBuilder round;
  constexpr int kAnswers = 8;
  for (int i = 0; i < kAnswers; ++i) {
    round.Insert(std::vector<std::string>{"request_status", std::string(32, static_cast<char>('a' + i)), "status"},
                 "replied");
  }
  round.Insert(std::vector<std::string>{"time"}, codec::Uleb128(static_cast<uint64_t>(kNowNs)));
  const std::string signature = SignRound(net, round);
  std::vector<Certificate> certs;
  for (int i = 0; i < kAnswers; ++i) certs.push_back(Witness(net, round, static_cast<char>('a' + i), signature));
  SignatureCache cache;
  std::atomic<int> ok{0};
  std::vector<std::thread> threads;
  for (int i = 0; i < kAnswers; ++i) {
    threads.emplace_back([&, i] { ok += Verify(certs[static_cast<size_t>(i)], net, cache).ok() ? 1 : 0; });
  }
  for (std::thread& t : threads) t.join();
  EXPECT_EQ(ok.load(), kAnswers);
  // Two pairings in all (the delegation's, the round's), whatever the timing.
  EXPECT_EQ(cache.hits(), static_cast<uint64_t>(2 * kAnswers - 2));
}

TEST(SignatureCache, IsBoundedOldestFirstAndKeepsNoFailures) {
  SignatureCache cache(2);
  const bls::SecretKey key = bls::SecretKey::FromBytes(Bytes(kRootHex)).value();
  for (const std::string message : {"one", "two", "three"}) {
    EXPECT_TRUE(cache.Verify(key.PublicKey(), key.Sign(message), message));
  }
  EXPECT_EQ(cache.size(), 2u);
  EXPECT_FALSE(cache.Verify(key.PublicKey(), key.Sign("one"), "two"));
  EXPECT_EQ(cache.size(), 2u);
  EXPECT_TRUE(cache.Verify(key.PublicKey(), key.Sign("three"), "three"));
  EXPECT_EQ(cache.hits(), 1u);
  EXPECT_TRUE(cache.Verify(key.PublicKey(), key.Sign("one"), "one"));  // Evicted: verified again.
  EXPECT_EQ(cache.hits(), 1u);
}

}  // namespace
}  // namespace sela::chain
