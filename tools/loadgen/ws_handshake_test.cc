#include "ws_handshake.h"

#include <gtest/gtest.h>

namespace loadgen {
namespace {

std::string Hex(const std::array<uint8_t, 20>& d) {
  static constexpr char kDigits[] = "0123456789abcdef";
  std::string out;
  for (uint8_t b : d) {
    out += kDigits[b >> 4];
    out += kDigits[b & 15];
  }
  return out;
}

TEST(WsHandshake, Sha1MatchesKnownVectors) {
  EXPECT_EQ(Hex(Sha1("")), "da39a3ee5e6b4b0d3255bfef95601890afd80709");
  EXPECT_EQ(Hex(Sha1("abc")), "a9993e364706816aba3e25717850c26c9cd0d89d");
  EXPECT_EQ(Hex(Sha1("abcdbcdecdefdefgefghfghighijhijkijkljklmklmnlmnomnopnopq")),
            "84983e441c3bd26ebaae4aa1f95129e5e54670f1");
  EXPECT_EQ(Hex(Sha1(std::string(1000, 'a'))), "291e9a6c66994949b57ba5e650361e98fc36b1ba");
}

TEST(WsHandshake, Base64MatchesRfc4648Vectors) {
  EXPECT_EQ(Base64Encode(""), "");
  EXPECT_EQ(Base64Encode("f"), "Zg==");
  EXPECT_EQ(Base64Encode("fo"), "Zm8=");
  EXPECT_EQ(Base64Encode("foo"), "Zm9v");
  EXPECT_EQ(Base64Encode("foobar"), "Zm9vYmFy");
}

TEST(WsHandshake, AcceptMatchesRfc6455Example) {
  EXPECT_EQ(WebSocketAccept("dGhlIHNhbXBsZSBub25jZQ=="), "s3pPLMBiTxaQ9kYGzzhZRbK+xOo=");
}

TEST(WsHandshake, KeyIsSixteenBytesOfBase64) {
  const std::string key = MakeWebSocketKey(1, 2);
  EXPECT_EQ(key.size(), 24u);
  EXPECT_TRUE(key.ends_with("=="));
  EXPECT_NE(key, MakeWebSocketKey(1, 3));
}

TEST(WsHandshake, RequestCarriesTheRequiredHeaders) {
  const std::string r = BuildUpgradeRequest({"127.0.0.1:8082", "/ws", "KEY", "loadgen-000001"});
  EXPECT_TRUE(r.starts_with("GET /ws HTTP/1.1\r\n"));
  for (const char* h : {"Host: 127.0.0.1:8082\r\n", "Upgrade: websocket\r\n", "Connection: Upgrade\r\n",
                        "Sec-WebSocket-Key: KEY\r\n", "Sec-WebSocket-Version: 13\r\n",
                        "Authorization: Bearer loadgen-000001\r\n"}) {
    EXPECT_NE(r.find(h), std::string::npos) << h;
  }
  EXPECT_TRUE(r.ends_with("\r\n\r\n"));
  EXPECT_EQ(BuildUpgradeRequest({"h", "/", "K", ""}).find("Authorization"), std::string::npos);
}

const std::string kAccept = "s3pPLMBiTxaQ9kYGzzhZRbK+xOo=";

TEST(WsHandshake, AcceptsA101AndPointsPastTheHeaders) {
  const std::string response =
      "HTTP/1.1 101 Switching Protocols\r\nupgrade: WebSocket\r\nConnection: keep-alive, Upgrade\r\n"
      "Sec-WebSocket-Accept:  " + kAccept + "\r\n\r\n\x81\x02hi";
  const UpgradeResponse r = ParseUpgradeResponse(response, kAccept);
  ASSERT_EQ(r.status, UpgradeStatus::kAccepted) << r.reason;
  EXPECT_EQ(response.substr(r.header_bytes), "\x81\x02hi");
}

TEST(WsHandshake, WaitsForTheBlankLine) {
  EXPECT_EQ(ParseUpgradeResponse("HTTP/1.1 101 Switching Protocols\r\nUpgrade: websocket\r\n", kAccept).status,
            UpgradeStatus::kNeedMore);
}

TEST(WsHandshake, RejectsWrongStatusAcceptOrUpgrade) {
  auto reason = [](const std::string& text) { return ParseUpgradeResponse(text, kAccept).reason; };
  EXPECT_EQ(reason("HTTP/1.1 400 Bad Request\r\nContent-Length: 0\r\n\r\n"), "handshake_status_400");
  EXPECT_EQ(reason("HTTP/1.1 101 OK\r\nUpgrade: websocket\r\nConnection: Upgrade\r\n"
                   "Sec-WebSocket-Accept: wrong\r\n\r\n"),
            "handshake_bad_accept");
  EXPECT_EQ(reason("HTTP/1.1 101 OK\r\nConnection: Upgrade\r\nSec-WebSocket-Accept: " + kAccept + "\r\n\r\n"),
            "handshake_no_upgrade");
  EXPECT_EQ(reason("SSH-2.0-OpenSSH\r\n\r\n"), "handshake_malformed");
  EXPECT_EQ(reason(std::string(kHandshakeResponseBytesMax + 1, 'x')), "handshake_too_large");
}

}  // namespace
}  // namespace loadgen
