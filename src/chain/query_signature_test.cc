#include "chain/query_signature.h"

#include <gtest/gtest.h>

#include <fstream>
#include <sstream>

#include "chain/bls.h"
#include "chain/vectors_test_util.h"
#include "codec/cbor_writer.h"

namespace sela::chain {
namespace {

using testing::Vector;
using testing::VectorBytes;

constexpr uint64_t kTimestamp = 1764100100000000000ULL;

QueryResponse BalanceReply() {
  QueryResponse r;
  r.replied = true;
  r.reply = VectorBytes({"candid", "balance_result"});
  return r;
}

NodeKeys JsNode() {
  NodeKeys keys;
  keys.keys.emplace(std::string(codec::Principal::FromText(Vector({"query_signature", "node_id"})).value().bytes()),
                    VectorBytes({"query_signature", "node_der"}));
  return keys;
}

TEST(QuerySignature, HashesResponsesAsTheJavaScriptAgent) {
  const std::string id = VectorBytes({"query_signature", "query_request_id"});
  EXPECT_EQ(codec::HexEncode(QueryResponseHash(BalanceReply(), id, kTimestamp)),
            Vector({"query_signature", "replied_hash"}));
  QueryResponse rejected;
  rejected.reject_code = 4;
  rejected.reject_message = "no";
  rejected.error_code = "IC0406";
  EXPECT_EQ(codec::HexEncode(QueryResponseHash(rejected, id, kTimestamp)), Vector({"query_signature", "rejected_hash"}));
}

TEST(QuerySignature, AcceptsANodeSignatureMadeByTheJavaScriptAgent) {
  const std::string id = VectorBytes({"query_signature", "query_request_id"});
  QueryResponse r = BalanceReply();
  r.signatures.push_back({kTimestamp, VectorBytes({"query_signature", "replied_signature"}),
                          std::string(codec::Principal::FromText(Vector({"query_signature", "node_id"})).value().bytes())});
  const auto now = static_cast<int64_t>(kTimestamp);
  const int64_t max_age = 300'000'000'000;
  EXPECT_TRUE(VerifyQueryResponse(r, id, JsNode(), now, max_age).ok());
  // The answer round-trips through its CBOR form.
  const QueryResponse parsed = ParseQueryResponse(EncodeQueryResponse(r)).value();
  EXPECT_TRUE(VerifyQueryResponse(parsed, id, JsNode(), now, max_age).ok());
  // A changed reply, another request, an old signature, or a stranger: refused.
  QueryResponse changed = r;
  changed.reply += "x";
  EXPECT_EQ(VerifyQueryResponse(changed, id, JsNode(), now, max_age).code(), Code::kUnauthenticated);
  EXPECT_EQ(VerifyQueryResponse(r, std::string(32, '\0'), JsNode(), now, max_age).code(), Code::kUnauthenticated);
  EXPECT_EQ(VerifyQueryResponse(r, id, JsNode(), now + max_age + 1, max_age).code(), Code::kUnauthenticated);
  EXPECT_EQ(VerifyQueryResponse(r, id, NodeKeys{}, now, max_age).code(), Code::kUnauthenticated);
}

// Mainnet: the node keys of subnet o3ow2 (canister 224od-giaaa-aaaao-ae5vq-cai).
TEST(QuerySignature, RefusesAnAnswerWithoutNodeSignaturesUnderMainnetNodeKeys) {
  std::ifstream in(std::string(SELA_IC_TEST_DATA) + "/224od_subnet.bin", std::ios::binary);
  std::stringstream buffer;
  buffer << in.rdbuf();
  const std::string body = buffer.str();
  const codec::CborValue parsed = codec::ParseCbor(body).value();
  const Certificate cert = Certificate::Parse(std::string(parsed.Untagged(55799).Find("certificate")->str)).value();
  const std::string root = std::string(bls::KeyFromDer(codec::HexDecode(
      "308182301d060d2b0601040182dc7c0503010201060c2b0601040182dc7c05030201036100814c0e6ec71fab583b08bd81373c255c3c3"
      "71b2e84863c98a4f1e08b74235d14fb5d9c0cd546d9685f913a0c0b2cc5341583bf4b4392e467db96d65b9bb4cb717112f8472e0d5a4d1"
      "4505ffd7484b01291091c5f87b98883463f98091a0baaae").value()).value());
  const auto now = static_cast<int64_t>(cert.TimeNs().value());
  ASSERT_TRUE(VerifyCertificate(cert, root, {CertificateScope::Kind::kCanister,
                                             codec::Principal::FromText("224od-giaaa-aaaao-ae5vq-cai").value()},
                                now, {}).ok());
  const NodeKeys keys = NodeKeysFromCertificate(cert).value();
  EXPECT_EQ(keys.subnet.ToText(), "o3ow2-2ipam-6fcjo-3j5vt-fzbge-2g7my-5fz2m-p4o2t-dwlc4-gt2q7-5ae");
  EXPECT_EQ(keys.keys.size(), 13u);
  const Status unsigned_answer = VerifyQueryResponse(BalanceReply(), std::string(32, '\x07'), keys, now, 300'000'000'000);
  EXPECT_EQ(unsigned_answer.code(), Code::kUnauthenticated);
  EXPECT_NE(unsigned_answer.message().find("missing signature"), std::string::npos);
  // Signed, but by a node that is not in the subnet.
  QueryResponse forged = BalanceReply();
  forged.signatures.push_back({static_cast<uint64_t>(now), VectorBytes({"query_signature", "replied_signature"}),
                               std::string(codec::Principal::FromText(Vector({"query_signature", "node_id"})).value().bytes())});
  EXPECT_EQ(VerifyQueryResponse(forged, std::string(32, '\x07'), keys, now, 300'000'000'000).code(),
            Code::kUnauthenticated);
}

TEST(QuerySignature, RefusesMalformedAnswers) {
  EXPECT_FALSE(ParseQueryResponse("").has_value());
  EXPECT_FALSE(ParseQueryResponse(testing::Bytes("a0")).has_value());
  codec::CborWriter w;
  w.MapHeader(1).Text("status").Text("replied");  // No reply.
  EXPECT_FALSE(ParseQueryResponse(w.bytes()).has_value());
}

}  // namespace
}  // namespace sela::chain
