#include "net/ws_handshake.h"

#include <gtest/gtest.h>

namespace sela::net {
namespace {

HttpRequest Upgrade() {
  HttpRequest r;
  r.method = "GET";
  r.target = "/";
  r.version = 11;
  r.headers = {{"Host", "x"},
               {"Upgrade", "websocket"},
               {"Connection", "keep-alive, Upgrade"},
               {"Sec-WebSocket-Key", "dGhlIHNhbXBsZSBub25jZQ=="},
               {"Sec-WebSocket-Version", "13"}};
  return r;
}

TEST(WsHandshake, ComputesTheRfcExampleAcceptKey) {
  EXPECT_EQ(ComputeAcceptKey("dGhlIHNhbXBsZSBub25jZQ=="), "s3pPLMBiTxaQ9kYGzzhZRbK+xOo=");
  UpgradeDecision d = CheckUpgrade(Upgrade());
  EXPECT_TRUE(d.ok());
  EXPECT_EQ(d.accept_key, "s3pPLMBiTxaQ9kYGzzhZRbK+xOo=");
}

TEST(WsHandshake, RejectsBadUpgrades) {
  HttpRequest r = Upgrade();
  r.headers[3].second = "short";
  EXPECT_EQ(CheckUpgrade(r).status, 400u);
  r = Upgrade();
  r.headers[4].second = "7";
  EXPECT_EQ(CheckUpgrade(r).status, 426u);
  r = Upgrade();
  r.method = "POST";
  EXPECT_EQ(CheckUpgrade(r).status, 400u);
  r = Upgrade();
  r.headers[2].second = "keep-alive";
  EXPECT_EQ(CheckUpgrade(r).status, 400u);
}

TEST(WsHandshake, SelectsSelaV2WheneverItIsOffered) {
  HttpRequest r = Upgrade();
  r.headers.emplace_back("Sec-WebSocket-Protocol", "other, sela.v2");
  EXPECT_EQ(CheckUpgrade(r).subprotocol, "sela.v2");
}

TEST(WsHandshake, EchoesTheFirstOfferedSubprotocol) {
  HttpRequest r = Upgrade();
  r.headers.emplace_back("Sec-WebSocket-Protocol", "sela.v2, other");
  EXPECT_EQ(CheckUpgrade(r).subprotocol, "sela.v2");
}

}  // namespace
}  // namespace sela::net
