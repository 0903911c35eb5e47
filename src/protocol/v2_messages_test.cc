#include "protocol/v2_messages.h"

#include <gtest/gtest.h>

#include <fstream>
#include <sstream>
#include <string>

namespace sela::protocol::v2 {
namespace {

std::string ReadDoc() {
  std::ifstream in(SELA_PROTOCOL_V2_DOC);
  std::stringstream buffer;
  buffer << in.rdbuf();
  return buffer.str();
}

// docs/protocol-v2.md is written by hand for client authors; this keeps it
// from drifting away from the tables: every request, server frame, field,
// error code and close code must appear in it.
TEST(V2MessageTables, AreDescribedInFullByTheProtocolDocument) {
  const std::string doc = ReadDoc();
  ASSERT_FALSE(doc.empty()) << "cannot read " << SELA_PROTOCOL_V2_DOC;
  auto mentions = [&](std::string_view text) { return doc.find(std::string(text)) != std::string::npos; };
  auto check_fields = [&](std::span<const FieldSpec> fields) {
    for (const FieldSpec& f : fields) EXPECT_TRUE(mentions("`" + std::string(f.name) + "`")) << f.name;
  };
  EXPECT_TRUE(mentions(kSubprotocol));
  EXPECT_TRUE(mentions(kDomain));
  for (const MessageSpec& spec : kMessageSpecs) {
    EXPECT_TRUE(mentions("| `" + std::string(spec.name) + "` |")) << spec.name;
    EXPECT_TRUE(mentions(spec.v1)) << spec.name << " replaces " << spec.v1;
    check_fields(spec.fields);
  }
  for (const ServerFrameSpec& spec : kServerFrameSpecs) {
    EXPECT_TRUE(mentions("| `" + std::string(spec.name) + "` |")) << spec.name;
    check_fields(spec.fields);
  }
  for (const ErrorSpec& e : kErrorSpecs) {
    EXPECT_TRUE(mentions("| `" + std::string(e.code) + "` | " + std::to_string(e.close_code) + " |")) << e.code;
  }
  for (uint16_t code : {close_code::kBadHandshake, close_code::kAuthFailed, close_code::kForbidden,
                        close_code::kChallengeExpired, close_code::kReplaced, close_code::kRateLimited}) {
    EXPECT_TRUE(mentions(std::to_string(code))) << code;
  }
}

}  // namespace
}  // namespace sela::protocol::v2
