#include "chain/certificate.h"

#include <gtest/gtest.h>

#include <fstream>
#include <sstream>

#include "chain/bls.h"
#include "codec/hex.h"

namespace sela::chain {
namespace {

constexpr std::string_view kIcRootKeyDer =
    "308182301d060d2b0601040182dc7c0503010201060c2b0601040182dc7c05030201036100814c0e6ec71fab583b08"
    "bd81373c255c3c371b2e84863c98a4f1e08b74235d14fb5d9c0cd546d9685f913a0c0b2cc5341583bf4b4392e467db"
    "96d65b9bb4cb717112f8472e0d5a4d14505ffd7484b01291091c5f87b98883463f98091a0baaae";

std::string RootKey() { return std::string(bls::KeyFromDer(codec::HexDecode(kIcRootKeyDer).value()).value()); }

// The certificate inside a fixture's read_state response body.
std::string CertificateBytes(const std::string& name) {
  std::ifstream in(std::string(SELA_IC_TEST_DATA) + "/" + name, std::ios::binary);
  std::stringstream buffer;
  buffer << in.rdbuf();
  const std::string body = buffer.str();
  EXPECT_FALSE(body.empty()) << name;
  const codec::CborValue parsed = codec::ParseCbor(body).value();
  return std::string(parsed.Untagged(55799).Find("certificate")->str);
}

CertificateScope Canister(std::string_view text) {
  return {CertificateScope::Kind::kCanister, codec::Principal::FromText(text).value()};
}
CertificateScope Subnet(std::string_view text) {
  return {CertificateScope::Kind::kSubnet, codec::Principal::FromText(text).value()};
}

constexpr std::string_view kIvg37 = "ivg37-qiaaa-aaaab-aaaga-cai";
constexpr std::string_view kRyjl3 = "ryjl3-tyaaa-aaaaa-aaaba-cai";
constexpr std::string_view kUzr34 = "uzr34-akd3s-xrdag-3ql62-ocgoh-ld2ao-tamcv-54e7j-krwgb-2gm4z-oqe";
constexpr std::string_view kO3ow2 = "o3ow2-2ipam-6fcjo-3j5vt-fzbge-2g7my-5fz2m-p4o2t-dwlc4-gt2q7-5ae";

// Verify at the certificate's own time.
Status VerifyAtItsTime(const std::string& name, const CertificateScope& scope, SignatureCache* cache = nullptr) {
  Result<Certificate> cert = Certificate::Parse(CertificateBytes(name));
  if (!cert.has_value()) return cert.error();
  const auto now = static_cast<int64_t>(cert->TimeNs().value_or(0));
  return VerifyCertificate(*cert, RootKey(), scope, now, FreshnessPolicy{}, cache);
}

TEST(Certificate, AcceptsTheShardedRangesFormForItsCanisterOnly) {
  EXPECT_TRUE(VerifyAtItsTime("ivg37_time.bin", Canister(kIvg37)).ok());
  const Status other = VerifyAtItsTime("ivg37_time.bin", Canister(kRyjl3));
  EXPECT_EQ(other.code(), Code::kUnauthenticated);
  EXPECT_NE(other.message().find("not in the subnet's ranges"), std::string::npos) << other.message();
}

TEST(Certificate, RefusesPrunedRanges) {
  const Status s = VerifyAtItsTime("ivg37_time_pruned_ranges.bin", Canister(kIvg37));
  EXPECT_EQ(s.code(), Code::kUnauthenticated) << s.ToString();
}

TEST(Certificate, AcceptsTheOlderFlatRangesFormForItsCanisterOnly) {
  EXPECT_TRUE(VerifyAtItsTime("ivg37_delegated_v2.bin", Canister(kIvg37)).ok());
  EXPECT_EQ(VerifyAtItsTime("ivg37_delegated_v2.bin", Canister(kRyjl3)).code(), Code::kUnauthenticated);
}

TEST(Certificate, RefusesPrunedSubnetInTheDelegation) {
  const Status s = VerifyAtItsTime("ivg37_delegated_v2_pruned_subnet.bin", Canister(kIvg37));
  EXPECT_EQ(s.code(), Code::kUnauthenticated) << s.ToString();
}

TEST(Certificate, AcceptsSubnetReadStateForThatSubnetOnly) {
  EXPECT_TRUE(VerifyAtItsTime("uzr34_node_keys.bin", Subnet(kUzr34)).ok());
  EXPECT_TRUE(VerifyAtItsTime("o3ow2_subnet_key.bin", Subnet(kO3ow2)).ok());
  EXPECT_EQ(VerifyAtItsTime("o3ow2_subnet_key.bin", Subnet(kUzr34)).code(), Code::kUnauthenticated);
}

TEST(Certificate, AcceptsTheNodeKeysCertificateForItsCanister) {
  EXPECT_TRUE(VerifyAtItsTime("224od_subnet.bin", Canister("224od-giaaa-aaaao-ae5vq-cai")).ok());
}

TEST(Certificate, RefusesACertificateWrappedAsItsOwnDelegation) {
  const std::string inner = CertificateBytes("uzr34_node_keys.bin");
  const Certificate parsed = Certificate::Parse(inner).value();
  ASSERT_TRUE(parsed.has_delegation());
  codec::CborWriter outer;
  outer.Tag(55799).MapHeader(3);
  outer.Text("tree").Raw(codec::HexDecode("8100").value());  // Empty tree: the signature check comes later.
  outer.Text("signature").Bytes(std::string(48, '\0'));
  outer.Text("delegation").MapHeader(2).Text("subnet_id").Bytes(parsed.delegation_subnet_id())
      .Text("certificate").Bytes(inner);
  const Certificate wrapped = Certificate::Parse(std::move(outer).Take()).value();
  const Status s = VerifyCertificate(wrapped, RootKey(), Subnet(kUzr34), 0, FreshnessPolicy{.check = false});
  EXPECT_EQ(s.code(), Code::kUnauthenticated);
  EXPECT_NE(s.message().find("too many delegations"), std::string::npos) << s.message();
}

TEST(Certificate, RefusesTheWrongRootKeyAndATamperedSignature) {
  const Certificate cert = Certificate::Parse(CertificateBytes("ivg37_time.bin")).value();
  const auto now = static_cast<int64_t>(cert.TimeNs().value());
  const std::string other = bls::SecretKey::FromBytes(codec::HexDecode(
      "1100000000000000000000000000000000000000000000000000000000000007").value()).value().PublicKey();
  EXPECT_EQ(VerifyCertificate(cert, other, Canister(kIvg37), now, {}).code(), Code::kUnauthenticated);

  std::string bytes = CertificateBytes("ivg37_time.bin");
  const size_t at = bytes.find(std::string(cert.signature()));
  ASSERT_NE(at, std::string::npos);
  bytes[at + 10] ^= 0x01;
  const Certificate tampered = Certificate::Parse(bytes).value();
  EXPECT_EQ(VerifyCertificate(tampered, RootKey(), Canister(kIvg37), now, {}).code(), Code::kUnauthenticated);
}

TEST(Certificate, ChecksTheFreshnessOfTimeAtBothEnds) {
  const Certificate cert = Certificate::Parse(CertificateBytes("ivg37_time.bin")).value();
  const auto t = static_cast<int64_t>(cert.TimeNs().value());
  const FreshnessPolicy policy;  // 5 minutes each way.
  EXPECT_TRUE(VerifyCertificate(cert, RootKey(), Canister(kIvg37), t + policy.max_age_ns, policy).ok());
  EXPECT_EQ(VerifyCertificate(cert, RootKey(), Canister(kIvg37), t + policy.max_age_ns + 1, policy).code(),
            Code::kUnauthenticated);
  EXPECT_TRUE(VerifyCertificate(cert, RootKey(), Canister(kIvg37), t - policy.max_skew_ns, policy).ok());
  EXPECT_EQ(VerifyCertificate(cert, RootKey(), Canister(kIvg37), t - policy.max_skew_ns - 1, policy).code(),
            Code::kUnauthenticated);
}

TEST(Certificate, ReadsTheRejectedRequestStatusOfTheOldSample) {
  const Certificate cert = Certificate::Parse(CertificateBytes("ivg37_delegated_v2.bin")).value();
  const std::string id = codec::HexDecode("edad510eaaa08ed2acd4781324e6446269da6753ec17760f206bbe81c465ff52").value();
  const RequestStatus status = LookupRequestStatus(cert, id).value();
  EXPECT_EQ(status.state, RequestStatus::State::kRejected);
  EXPECT_EQ(status.reject_code, 3u);
  EXPECT_EQ(status.reject_message, "Canister ivg37-qiaaa-aaaab-aaaga-cai has no update method 'register'");
  EXPECT_EQ(LookupRequestStatus(cert, std::string(32, '\0')).value().state, RequestStatus::State::kUnknown);
}

TEST(Certificate, CachesVerifiedDelegations) {
  SignatureCache cache;
  EXPECT_TRUE(VerifyAtItsTime("ivg37_time.bin", Canister(kIvg37), &cache).ok());
  EXPECT_TRUE(VerifyAtItsTime("ivg37_time.bin", Canister(kIvg37), &cache).ok());
  // The cache never lets a canister outside the ranges through.
  EXPECT_FALSE(VerifyAtItsTime("ivg37_time.bin", Canister(kRyjl3), &cache).ok());
}

TEST(Certificate, RefusesMalformedCertificates) {
  EXPECT_FALSE(Certificate::Parse("").has_value());
  EXPECT_FALSE(Certificate::Parse(codec::HexDecode("a0").value()).has_value());
  EXPECT_FALSE(Certificate::Parse(std::string(2 << 20, 'x')).has_value());
  EXPECT_FALSE(RangesContain(codec::HexDecode("81820102").value(), "x").has_value());
}

}  // namespace
}  // namespace sela::chain
