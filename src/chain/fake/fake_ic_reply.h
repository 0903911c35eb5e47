// FakeIc::Reply: what a FakeIc handler decided to do with a request.
#pragma once

#include <string>
#include <utility>
#include <vector>

#include "chain/fake/fake_ic.h"

namespace sela::chain::fake {

struct FakeIc::Reply {
  // kRoundCall, kRoundReadState: certify round_leaves in a round
  // (FinishRound), then send.
  enum class Action : uint8_t { kSend, kHold, kDrop, kRestart, kRoundCall, kRoundReadState };
  Action action = Action::kSend;
  int status = 200;
  std::string content_type = "application/cbor";
  std::string body;
  std::vector<std::pair<std::vector<std::string>, std::string>> round_leaves;
};

}  // namespace sela::chain::fake
