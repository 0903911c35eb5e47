#include "protocol/v2_messages.h"

#include <cstdio>
#include <cstdlib>

namespace sela::protocol::v2 {

const MessageSpec& SpecOf(MessageType type) {
  for (const MessageSpec& s : kMessageSpecs) {
    if (s.type == type) return s;
  }
  std::fprintf(stderr, "protocol v2: no spec for message type %d\n", static_cast<int>(type));
  std::abort();
}

const MessageSpec* FindMessage(std::string_view name) {
  for (const MessageSpec& s : kMessageSpecs) {
    if (s.name == name) return &s;
  }
  return nullptr;
}

const ServerFrameSpec& SpecOf(ServerFrame frame) {
  for (const ServerFrameSpec& s : kServerFrameSpecs) {
    if (s.frame == frame) return s;
  }
  std::fprintf(stderr, "protocol v2: no spec for server frame %d\n", static_cast<int>(frame));
  std::abort();
}

const ErrorSpec* FindError(std::string_view code) {
  for (const ErrorSpec& e : kErrorSpecs) {
    if (e.code == code) return &e;
  }
  return nullptr;
}

}  // namespace sela::protocol::v2
