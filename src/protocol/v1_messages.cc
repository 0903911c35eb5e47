#include "protocol/v1_messages.h"

#include <cassert>
#include <iterator>

namespace sela::protocol::v1 {
namespace {

// The lookups below index the tables by enum value; these checks keep the
// tables in enum order so that an entry added out of place fails to build.
constexpr bool MessageSpecsInEnumOrder() {
  for (std::size_t i = 0; i < std::size(kMessageSpecs); ++i) {
    if (static_cast<std::size_t>(kMessageSpecs[i].type) != i) return false;
  }
  return true;
}

constexpr bool ReplySpecsInEnumOrder() {
  for (std::size_t i = 0; i < std::size(kReplySpecs); ++i) {
    if (static_cast<std::size_t>(kReplySpecs[i].kind) != i) return false;
  }
  return true;
}

static_assert(MessageSpecsInEnumOrder());
static_assert(ReplySpecsInEnumOrder());
static_assert(std::size(kMessageSpecs) == static_cast<std::size_t>(MessageType::kScrapeResult) + 1);
static_assert(std::size(kReplySpecs) == static_cast<std::size_t>(ReplyKind::kErrorWithType) + 1);

}  // namespace

const MessageSpec& SpecOf(MessageType type) {
  return kMessageSpecs[static_cast<std::size_t>(type)];
}

const MessageSpec* FindMessageByName(std::string_view name) {
  for (const MessageSpec& spec : kMessageSpecs) {
    for (std::string_view candidate : spec.names) {
      if (candidate == name) return &spec;
    }
  }
  return nullptr;
}

const ReplySpec& ReplySpecOf(ReplyKind kind) { return kReplySpecs[static_cast<std::size_t>(kind)]; }

std::string_view PrimaryName(MessageType type) {
  const MessageSpec& spec = SpecOf(type);
  return spec.names.empty() ? std::string_view("(registration)") : spec.names.front();
}

}  // namespace sela::protocol::v1
