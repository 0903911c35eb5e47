// The chain side of the server (docs/CHAIN.md): the agent, the ICRC-1
// client and the worker threads that run transfers off the event loop,
// built only when BLOCKCHAIN_ENABLED. The controller key is read from the
// configuration here and goes into the agent's identity; only its
// principal is ever logged.
#pragma once

#include <atomic>
#include <memory>
#include <mutex>
#include <string_view>

#include "chain/agent.h"
#include "chain/executor.h"
#include "chain/http_client.h"
#include "chain/icrc1_client.h"
#include "core/clock.h"
#include "core/config.h"
#include "net/event_loop.h"
#include "settle/settler.h"

namespace sela::app {

// Posts to the loop until Close(): workers still running an IC call when
// the process exits post nowhere.
class PostGate {
 public:
  explicit PostGate(net::EventLoop& loop) : loop_(&loop) {}
  void Post(std::function<void()> fn) {
    std::lock_guard lock(mu_);
    if (loop_ != nullptr) loop_->Post(std::move(fn));
  }
  void Close() {
    std::lock_guard lock(mu_);
    loop_ = nullptr;
  }

 private:
  std::mutex mu_;
  net::EventLoop* loop_;
};

struct ChainParts {
  std::unique_ptr<chain::HttpClient> http;
  std::unique_ptr<chain::Agent> agent;
  std::unique_ptr<chain::Icrc1Client> ledger;
  std::unique_ptr<chain::Executor> executor;
};

// An agent signing as CANISTER_CONTROLLER_PEM against IC_URL (IC_ROOT_KEY),
// or InvalidArgument naming the variable at fault (never the key's text).
struct AgentParts {
  std::unique_ptr<chain::HttpClient> http;
  std::unique_ptr<chain::Agent> agent;
};
Result<AgentParts> BuildAgent(const Config& config, const Clock& clock, std::string_view needed_by,
                              int request_timeout_ms);

// The parts, or InvalidArgument naming the variable at fault (the key's
// text is never part of it).
Result<std::unique_ptr<ChainParts>> BuildChain(const Config& config, const Clock& clock,
                                               std::shared_ptr<PostGate> gate);

// How the Settler sends: on the executor when the parts exist; without
// them a send fails (the Settler does not send while disabled).
settle::SendTransfer TransferSender(ChainParts* parts);

// How the Settler reconciles: FindMint over the blocks of the transfer's
// time window (archives followed) on the executor; nullptr without the
// parts.
settle::FindMint MintFinder(ChainParts* parts);

settle::SettlerOptions SettlerOptionsFor(const Config& config);

}  // namespace sela::app
