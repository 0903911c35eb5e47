#include "app/chain_setup.h"

#include <spdlog/spdlog.h>

#include "auth/signing_key.h"
#include "codec/principal.h"

namespace sela::app {

Result<AgentParts> BuildAgent(const Config& config, const Clock& clock, std::string_view needed_by,
                              int request_timeout_ms) {
  const ChainConfig& c = config.chain;
  if (c.controller_pem.empty()) {
    return Err(InvalidArgument(std::string(needed_by) + " needs CANISTER_CONTROLLER_PEM (the controller identity's key)"));
  }
  auto key = auth::SigningKey::FromPem(c.controller_pem);
  if (!key) {
    // The parser's message could quote the input: only its code is shown.
    return Err(InvalidArgument("CANISTER_CONTROLLER_PEM: not a secp256k1 or Ed25519 key in PEM (" +
                               std::string(CodeName(key.error().code())) + ")"));
  }
  auto url = chain::Url::Parse(config.ic_url);
  if (!url) return Err(InvalidArgument("IC_URL: " + url.error().message()));
  AgentParts parts;
  chain::HttpClientOptions http_options;
  http_options.clock = &clock;
  http_options.request_timeout_ms = request_timeout_ms;
  auto http = chain::HttpClient::Create(*url, http_options);
  if (!http) return Err(InvalidArgument("IC_URL: " + http.error().message()));
  parts.http = std::move(*http);
  chain::AgentOptions options;
  if (!c.root_key_der_hex.empty()) options.root_key_der_hex = c.root_key_der_hex;
  options.polling.total_ms = 60'000;  // An unknown outcome is resent later anyway.
  auto agent = chain::Agent::Create(*parts.http, chain::Identity(std::move(*key)), options, chain::SystemAgentEnv(clock));
  if (!agent) return Err(InvalidArgument("IC_ROOT_KEY: " + agent.error().message()));
  parts.agent = std::move(*agent);
  return parts;
}

Result<std::unique_ptr<ChainParts>> BuildChain(const Config& config, const Clock& clock,
                                               std::shared_ptr<PostGate> gate) {
  const ChainConfig& c = config.chain;
  auto ledger_id = codec::Principal::FromText(c.ledger_canister_id);
  if (!ledger_id) return Err(InvalidArgument("SELA_POINTS_CANISTER_ID: not a principal: " + ledger_id.error().message()));
  ASSIGN_OR_RETURN(AgentParts agent, BuildAgent(config, clock, "BLOCKCHAIN_ENABLED: settlement", 60'000));
  auto parts = std::make_unique<ChainParts>();
  parts->http = std::move(agent.http);
  parts->agent = std::move(agent.agent);
  parts->ledger = std::make_unique<chain::Icrc1Client>(*parts->agent, *ledger_id);
  parts->executor = std::make_unique<chain::Executor>(
      c.settlement_concurrency, 4096, [gate](std::function<void()> fn) { gate->Post(std::move(fn)); });
  spdlog::info("settlement: minting as {} on ledger {} at {}", parts->agent->identity().principal().ToText(),
               c.ledger_canister_id, config.ic_url);
  return parts;
}

settle::SendTransfer TransferSender(ChainParts* parts) {
  if (parts == nullptr) {
    return [](const chain::icrc1::TransferArg&, settle::TransferDone done) {
      done(Err(FailedPrecondition("BLOCKCHAIN_ENABLED is false")));
    };
  }
  return [parts](const chain::icrc1::TransferArg& arg, settle::TransferDone done) {
    parts->executor->Run<chain::TransferOutcome>([parts, arg] { return parts->ledger->Transfer(arg); },
                                                 std::move(done));
  };
}

settle::FindMint MintFinder(ChainParts* parts) {
  if (parts == nullptr) return nullptr;
  return [parts](const chain::icrc1::TransferArg& arg, settle::MintFound done) {
    parts->executor->Run<std::optional<chain::icrc1::Uint128>>(
        [parts, arg] { return parts->ledger->FindMint(arg, chain::MintSearchOptions{}); }, std::move(done));
  };
}

settle::SettlerOptions SettlerOptionsFor(const Config& config) {
  settle::SettlerOptions o;
  o.enabled = config.blockchain_enabled;
  o.in_flight_max = config.chain.settlement_concurrency;
  return o;
}

}  // namespace sela::app
