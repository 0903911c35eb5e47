// FakeIc::Reply: what a FakeIc handler decided to do with a request.
#pragma once

#include <string>

#include "chain/fake/fake_ic.h"

namespace sela::chain::fake {

struct FakeIc::Reply {
  enum class Action : uint8_t { kSend, kHold, kDrop, kRestart };
  Action action = Action::kSend;
  int status = 200;
  std::string content_type = "application/cbor";
  std::string body;
};

}  // namespace sela::chain::fake
