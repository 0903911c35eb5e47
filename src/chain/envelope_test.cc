#include "chain/envelope.h"

#include <gtest/gtest.h>

#include "auth/public_key.h"
#include "chain/request_id.h"
#include "chain/vectors_test_util.h"
#include "codec/cbor_writer.h"

namespace sela::chain {
namespace {

using testing::Bytes;
using testing::Vector;
using testing::VectorBytes;

constexpr uint64_t kExpiry = 1764100200000000000ULL;

Identity EdIdentity() { return Identity(auth::SigningKey::Ed25519FromSeed(VectorBytes({"ed25519", "seed"})).value()); }
Identity SecpIdentity() { return Identity(auth::SigningKey::FromPem(Vector({"secp256k1", "pem"})).value()); }
codec::Principal Ledger() { return codec::Principal::FromText("y5ego-zyaaa-aaaao-qkfhq-cai").value(); }

RequestContent Call(const Identity& id) {
  RequestContent c;
  c.type = RequestType::kCall;
  c.sender = id.principal();
  c.ingress_expiry_ns = kExpiry;
  c.nonce = Bytes("00112233445566778899aabbccddeeff");
  c.canister_id = Ledger();
  c.method_name = "icrc1_transfer";
  c.arg = VectorBytes({"candid", "transfer_full"});
  return c;
}

TEST(RequestId, MatchesTheSpecExamples) {
  RequestContent c;
  c.sender = codec::Principal::Anonymous();
  c.ingress_expiry_ns = 1685570400000000000ULL;
  c.canister_id = codec::Principal::FromBytes(Bytes("00000000000004D2")).value();
  c.method_name = "hello";
  c.arg = Bytes("4449444c00fd2a");
  EXPECT_EQ(codec::HexEncode(RequestIdOf(c)), Vector({"request_ids", "spec_current"}));
  // {sender, paths: [[], [""], ["hello", "world"]]} and a nested map, hashed generically.
  codec::CborWriter w;
  w.MapHeader(2).Text("sender").Bytes(Bytes("00000000000004D2")).Text("paths").ArrayHeader(3).ArrayHeader(0)
      .ArrayHeader(1).Bytes("").ArrayHeader(2).Bytes("hello").Bytes("world");
  const std::string bytes = w.bytes();
  EXPECT_EQ(codec::HexEncode(HashOfCborMap(codec::ParseCbor(bytes).value()).value()),
            Vector({"request_ids", "array_example"}));
  codec::CborWriter n;
  n.MapHeader(2).Text("foo").MapHeader(2).Text("baz").Text("hello").Text("quux").Unsigned(3)
      .Text("bar").Bytes("world");
  const std::string nested = n.bytes();
  EXPECT_EQ(codec::HexEncode(HashOfCborMap(codec::ParseCbor(nested).value()).value()),
            Vector({"request_ids", "nested_map"}));
}

TEST(Envelope, Ed25519CallIsByteForByteTheJavaScriptAgents) {
  const Identity id = EdIdentity();
  EXPECT_EQ(id.principal().ToText(), Vector({"ed25519", "principal"}));
  EXPECT_EQ(codec::HexEncode(id.public_key_der()), Vector({"ed25519", "der"}));
  const SignedRequest signed_call = SignRequest(Call(id), id).value();
  EXPECT_EQ(codec::HexEncode(signed_call.request_id), Vector({"envelopes", "call_ed25519", "request_id"}));
  EXPECT_EQ(codec::HexEncode(signed_call.envelope), Vector({"envelopes", "call_ed25519", "cbor"}));
}

TEST(Envelope, Ed25519QueryAndReadStateAreByteForByteTheJavaScriptAgents) {
  const Identity id = EdIdentity();
  RequestContent q;
  q.type = RequestType::kQuery;
  q.sender = id.principal();
  q.ingress_expiry_ns = kExpiry;
  q.canister_id = Ledger();
  q.method_name = "icrc1_balance_of";
  q.arg = VectorBytes({"candid", "balance_of_args"});
  EXPECT_EQ(codec::HexEncode(SignRequest(q, id).value().envelope), Vector({"envelopes", "query_ed25519", "cbor"}));

  RequestContent r;
  r.type = RequestType::kReadState;
  r.sender = id.principal();
  r.ingress_expiry_ns = kExpiry;
  r.paths = {{"request_status", VectorBytes({"envelopes", "call_ed25519", "request_id"})}};
  const SignedRequest signed_read = SignRequest(r, id).value();
  EXPECT_EQ(codec::HexEncode(signed_read.request_id), Vector({"envelopes", "read_state_ed25519", "request_id"}));
  EXPECT_EQ(codec::HexEncode(signed_read.envelope), Vector({"envelopes", "read_state_ed25519", "cbor"}));

  q.sender = codec::Principal::Anonymous();
  const SignedRequest anon = SignRequest(q, Identity::Anonymous()).value();
  EXPECT_EQ(codec::HexEncode(anon.envelope), Vector({"envelopes", "query_anonymous", "cbor"}));
  EXPECT_EQ(codec::HexEncode(anon.request_id), Vector({"envelopes", "query_anonymous", "request_id"}));
}

TEST(Envelope, Secp256k1CallMatchesInAllButTheRandomSignatureWhichVerifies) {
  const Identity id = SecpIdentity();
  EXPECT_EQ(id.principal().ToText(), Vector({"secp256k1", "principal"}));
  const SignedRequest signed_call = SignRequest(Call(id), id).value();
  EXPECT_EQ(codec::HexEncode(signed_call.request_id), Vector({"envelopes", "call_secp256k1", "request_id"}));
  // Same bytes up to the 64-byte signature at the end.
  const std::string js = VectorBytes({"envelopes", "call_secp256k1", "cbor"});
  ASSERT_EQ(signed_call.envelope.size(), js.size());
  EXPECT_EQ(signed_call.envelope.substr(0, js.size() - 64), js.substr(0, js.size() - 64));
  const std::string message = std::string(kRequestDomainSeparator) + signed_call.request_id;
  EXPECT_TRUE(auth::VerifySignature(id.public_key_der(), message, signed_call.envelope.substr(js.size() - 64),
                                    {.require_low_s = true}).ok());
  // And agent-js's own signature verifies with our verifier.
  EXPECT_TRUE(auth::VerifySignature(id.public_key_der(), message,
                                    VectorBytes({"envelopes", "call_secp256k1", "sender_sig"}),
                                    {.require_low_s = true}).ok());
}

TEST(Envelope, DecodesAndAuthenticatesWhatTheJavaScriptAgentSends) {
  for (std::string_view name : {"call_ed25519", "call_secp256k1", "query_ed25519", "read_state_ed25519", "query_anonymous"}) {
    const std::string bytes = VectorBytes({"envelopes", name, "cbor"});
    const Result<DecodedEnvelope> e = DecodeEnvelope(bytes);
    ASSERT_TRUE(e.has_value()) << name << ": " << e.error().ToString();
    EXPECT_EQ(codec::HexEncode(e->request_id), Vector({"envelopes", name, "request_id"})) << name;
    EXPECT_EQ(RequestIdOf(e->content), e->request_id) << name;
    EXPECT_TRUE(AuthenticateEnvelope(*e).ok()) << name;
  }
}

TEST(Envelope, AuthenticationRefusesForgeries) {
  const Identity id = EdIdentity();
  const SignedRequest good = SignRequest(Call(id), id).value();
  DecodedEnvelope e = DecodeEnvelope(good.envelope).value();
  DecodedEnvelope wrong_sender = e;
  wrong_sender.content.sender = SecpIdentity().principal();
  EXPECT_EQ(AuthenticateEnvelope(wrong_sender).code(), Code::kUnauthenticated);
  DecodedEnvelope tampered = e;
  tampered.request_id[0] ^= 1;  // As if the content had changed.
  EXPECT_EQ(AuthenticateEnvelope(tampered).code(), Code::kUnauthenticated);
  DecodedEnvelope unsigned_request = e;
  unsigned_request.sender_sig.reset();
  EXPECT_EQ(AuthenticateEnvelope(unsigned_request).code(), Code::kUnauthenticated);
  DecodedEnvelope anonymous_with_key = e;
  anonymous_with_key.content.sender = codec::Principal::Anonymous();
  EXPECT_EQ(AuthenticateEnvelope(anonymous_with_key).code(), Code::kUnauthenticated);
  DecodedEnvelope delegated = e;
  delegated.has_sender_delegation = true;
  EXPECT_EQ(AuthenticateEnvelope(delegated).code(), Code::kUnauthenticated);
}

TEST(Envelope, RefusesMalformedEnvelopes) {
  EXPECT_FALSE(DecodeEnvelope("").has_value());
  EXPECT_FALSE(DecodeEnvelope(Bytes("d9d9f7a0")).has_value());
  codec::CborWriter w;
  w.MapHeader(1).Text("content").MapHeader(1).Text("request_type").Text("call");
  EXPECT_FALSE(DecodeEnvelope(w.bytes()).has_value());
  EXPECT_FALSE(SignRequest(Call(EdIdentity()), SecpIdentity()).has_value());  // Sender mismatch.
}

}  // namespace
}  // namespace sela::chain
