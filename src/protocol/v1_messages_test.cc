#include "protocol/v1_messages.h"

#include <gtest/gtest.h>

#include <algorithm>
#include <fstream>
#include <set>
#include <sstream>
#include <string>

namespace sela::protocol::v1 {
namespace {

TEST(MessageTable, HasOneEntryPerTypeAndLooksEachUpByType) {
  std::set<MessageType> seen;
  for (const MessageSpec& spec : kMessageSpecs) {
    EXPECT_TRUE(seen.insert(spec.type).second);
    EXPECT_EQ(&SpecOf(spec.type), &spec);
  }
}

TEST(MessageTable, GivesEveryNameToExactlyOneMessage) {
  std::set<std::string_view> names;
  for (const MessageSpec& spec : kMessageSpecs) {
    for (std::string_view name : spec.names) {
      EXPECT_TRUE(names.insert(name).second) << name;
      EXPECT_EQ(FindMessageByName(name), &spec) << name;
    }
  }
  EXPECT_EQ(names.size(), 8u);  // PING, two speed tests, HALO, HEARTBEAT, CLIENT_STATUS, ...
}

TEST(MessageTable, MatchesNamesCaseSensitivelyAndNeverReturnsRegistration) {
  EXPECT_EQ(FindMessageByName("ping"), nullptr);
  EXPECT_EQ(FindMessageByName(""), nullptr);
  EXPECT_EQ(FindMessageByName("TWITTER_POST"), nullptr);
}

TEST(MessageTable, RequiresRegistrationForEveryMessageButTheFirstFrame) {
  for (const MessageSpec& spec : kMessageSpecs) {
    EXPECT_EQ(spec.requires_registration, spec.type != MessageType::kRegistration);
    EXPECT_EQ(spec.names.empty(), spec.type == MessageType::kRegistration);
  }
}

TEST(MessageTable, PutsALimitOnEveryStringField) {
  const DecodeOptions defaults;
  auto check = [&](std::span<const FieldSpec> fields) {
    for (const FieldSpec& field : fields) {
      if (field.type != FieldType::kString || field.presence == Presence::kIgnored) continue;
      ASSERT_NE(field.bytes_max, nullptr) << field.name;
      EXPECT_GT(defaults.*field.bytes_max, 0u) << field.name;
    }
  };
  check(kEnvelopeFields);
  for (const MessageSpec& spec : kMessageSpecs) {
    check(spec.fields);
    check(spec.data_fields);
    EXPECT_GT(defaults.*spec.payload_bytes_max, 0u);
  }
}

TEST(MessageTable, ReachesEveryReplyFromSomeMessage) {
  std::set<ReplyKind> reachable;
  for (const MessageSpec& spec : kMessageSpecs) {
    reachable.insert(spec.reply);
    reachable.insert(spec.other_replies.begin(), spec.other_replies.end());
  }
  for (const ReplySpec& reply : kReplySpecs) {
    EXPECT_TRUE(reachable.contains(reply.kind)) << reply.name;
    EXPECT_EQ(&ReplySpecOf(reply.kind), &reply);
  }
}

TEST(MessageTable, NamesTheFirstWireNameOfEachType) {
  EXPECT_EQ(PrimaryName(MessageType::kSpeedTest), "INTERNET_SPEED_TEST");
  EXPECT_EQ(PrimaryName(MessageType::kScrapeResult), "TWITTER_SCRAPE_RESULT");
  EXPECT_EQ(PrimaryName(MessageType::kRegistration), "(registration)");
}

std::string ReadDoc() {
  std::ifstream in(SELA_PROTOCOL_DOC);
  std::stringstream buffer;
  buffer << in.rdbuf();
  return buffer.str();
}

// docs/PROTOCOL-V1.md is written by hand from the table; this keeps the two
// from drifting apart: every name, field and constant string must appear.
TEST(MessageTable, IsDescribedInFullByTheProtocolDocument) {
  const std::string doc = ReadDoc();
  ASSERT_FALSE(doc.empty()) << "cannot read " << SELA_PROTOCOL_DOC;
  auto mentions = [&](std::string_view text) {
    return doc.find(std::string(text)) != std::string::npos;
  };
  auto check_fields = [&](std::span<const FieldSpec> fields) {
    for (const FieldSpec& f : fields) EXPECT_TRUE(mentions("`" + std::string(f.name) + "`")) << f.name;
  };
  check_fields(kEnvelopeFields);
  for (const MessageSpec& spec : kMessageSpecs) {
    for (std::string_view name : spec.names) EXPECT_TRUE(mentions(name)) << name;
    check_fields(spec.fields);
    check_fields(spec.data_fields);
  }
  for (const ReplySpec& reply : kReplySpecs) {
    for (const ReplyField& field : reply.fields) {
      EXPECT_TRUE(mentions("\"" + std::string(field.key) + "\"")) << reply.name << "." << field.key;
      if (field.slot == Slot::kLiteral) {
        EXPECT_TRUE(mentions(field.literal)) << field.literal;
      }
    }
  }
  for (std::string_view text :
       {kRegistrationInvalidText, kMissingFieldsText, kUnsupportedTypePrefix,
        kAuthenticationFailedPrefix, kSpeedTestInvalidText, kClientStatusInvalidText,
        kScrapeResultErrorPrefix, kErrorTypeInvalidResult, kLegacyUnknownTypeText}) {
    EXPECT_TRUE(mentions(text)) << text;
  }
}

}  // namespace
}  // namespace sela::protocol::v1
