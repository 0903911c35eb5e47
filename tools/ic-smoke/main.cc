// sela-ic: an operator's smoke test of the chain module against a real
// Internet Computer (mainnet by default); docs/CHAIN.md, "Smoke test".
//
//   sela-ic whoami                     the identity's principal
//   sela-ic time                       certified /time through the ledger canister, our clock's offset
//   sela-ic ledger                     the ledger's standards, minting account and fee; are we the minter?
//   sela-ic balance <principal>        icrc1_balance_of
//   sela-ic mint <principal> <e8s> <settlement-id> [<created_at ms>] --yes
//                                      one real mint with the settlement's memo and created_at_time;
//                                      a resend with the printed created_at ms is answered Duplicate
//   sela-ic put-file <key> <path>      store a file on the file canister (chunked, checked)
//   sela-ic get-file <key> <path>      read it back into path
//
// Environment: IC_URL (default https://ic0.app), SELA_POINTS_CANISTER_ID,
// FILE_STORAGE_CANISTER_ID, CANISTER_CONTROLLER_PEM (the identity; anonymous
// when unset), IC_ROOT_KEY (hex DER; the mainnet key when unset). The key is
// never printed; only its principal is.
#include <cstdio>
#include <cstdlib>
#include <fstream>
#include <sstream>
#include <string>
#include <string_view>

#include "chain/agent.h"
#include "chain/file_client.h"
#include "chain/icrc1_client.h"
#include "chain/settlement.h"
#include "core/clock.h"

namespace sela::chain {
namespace {

std::string Env(const char* name, std::string_view fallback) {
  const char* v = std::getenv(name);
  return v != nullptr && *v != '\0' ? v : std::string(fallback);
}

int Fail(const Status& s) {
  std::fprintf(stderr, "sela-ic: %s\n", s.ToString().c_str());
  return 1;
}

int Run(int argc, char** argv) {
  if (argc < 2) {
    std::fprintf(stderr, "usage: sela-ic whoami | time | ledger | balance P | mint P E8S ID [AT_MS] --yes | put-file K PATH | get-file K PATH\n");
    return 2;
  }
  const std::string command = argv[1];
  SystemClock clock;
  Result<Identity> identity = Identity::Anonymous();
  if (const std::string pem = Env("CANISTER_CONTROLLER_PEM", ""); !pem.empty()) {
    Result<auth::SigningKey> key = auth::SigningKey::FromPem(pem);
    if (!key.has_value()) return Fail(key.error());
    identity = Identity(std::move(*key));
  }
  std::printf("identity: %s\n", identity->principal().ToText().c_str());
  if (command == "whoami") return 0;
  Result<Url> url = Url::Parse(Env("IC_URL", "https://ic0.app"));
  if (!url.has_value()) return Fail(url.error());
  Result<std::unique_ptr<HttpClient>> http = HttpClient::Create(*url, {});
  if (!http.has_value()) return Fail(http.error());
  AgentOptions options;
  options.root_key_der_hex = Env("IC_ROOT_KEY", kMainnetRootKeyDerHex);
  Result<std::unique_ptr<Agent>> agent = Agent::Create(**http, *identity, options, SystemAgentEnv(clock));
  if (!agent.has_value()) return Fail(agent.error());
  Result<codec::Principal> ledger = codec::Principal::FromText(Env("SELA_POINTS_CANISTER_ID", "y5ego-zyaaa-aaaao-qkfhq-cai"));
  Result<codec::Principal> files = codec::Principal::FromText(Env("FILE_STORAGE_CANISTER_ID", "qe3z4-yiaaa-aaaam-aeoyq-cai"));
  if (!ledger.has_value() || !files.has_value()) return Fail(InvalidArgument("bad canister id"));
  Icrc1Client icrc1(**agent, *ledger);

  if (command == "time") {
    Result<Certificate> cert = (*agent)->ReadState(*ledger, {{"time"}});
    if (!cert.has_value()) return Fail(cert.error());
    const auto ic_ms = static_cast<int64_t>(cert->TimeNs().value() / 1'000'000);
    std::printf("certificate verified; IC time %lld ms, our clock %+lld ms from it\n", static_cast<long long>(ic_ms),
                static_cast<long long>(clock.WallMs() - ic_ms));
    return 0;
  }
  if (command == "ledger") {
    Result<std::vector<icrc1::Standard>> standards = icrc1.SupportedStandards();
    if (!standards.has_value()) return Fail(standards.error());
    for (const auto& s : *standards) std::printf("standard: %s %s\n", s.name.c_str(), s.url.c_str());
    Result<std::optional<icrc1::Account>> minter = icrc1.MintingAccount();
    if (!minter.has_value()) return Fail(minter.error());
    std::printf("minting account: %s\n", *minter ? (*minter)->owner.ToText().c_str() : "(none)");
    Result<icrc1::Uint128> fee = icrc1.Fee();
    if (fee.has_value()) std::printf("fee: %s\n", codec::Uint128ToString(*fee).c_str());
    const Status check = icrc1.CheckMinter();
    std::printf("we are the minter: %s\n", check.ok() ? "yes" : check.message().c_str());
    return 0;
  }
  if (command == "balance" && argc == 3) {
    Result<codec::Principal> p = codec::Principal::FromText(argv[2]);
    if (!p.has_value()) return Fail(p.error());
    Result<icrc1::Uint128> balance = icrc1.BalanceOf({*p, std::nullopt});
    if (!balance.has_value()) return Fail(balance.error());
    std::printf("balance: %s e8s\n", codec::Uint128ToString(*balance).c_str());
    return 0;
  }
  if (command == "mint" && (argc == 6 || argc == 7) && std::string_view(argv[argc - 1]) == "--yes") {
    Result<codec::Principal> p = codec::Principal::FromText(argv[2]);
    if (!p.has_value()) return Fail(p.error());
    // A resend must repeat created_at_time: pass the one printed before.
    const int64_t at_ms = argc == 7 ? std::strtoll(argv[5], nullptr, 10) : clock.WallMs();
    Result<Settlement> s = NewSettlement(argv[4], {*p, std::nullopt}, std::strtoull(argv[3], nullptr, 10), at_ms);
    if (!s.has_value()) return Fail(s.error());
    std::printf("settlement %s: created_at_time %lld ms (resend with the same value)\n", s->id.c_str(),
                static_cast<long long>(at_ms));
    Result<TransferOutcome> out = icrc1.Transfer(TransferFor(*s));
    if (!out.has_value()) return Fail(out.error());
    switch (out->kind) {
      case TransferOutcome::Kind::kApplied:
        std::printf("outcome: applied block %s%s\n", codec::Uint128ToString(out->block_index).c_str(),
                    out->duplicate ? " (duplicate)" : "");
        break;
      case TransferOutcome::Kind::kLedgerError:
        std::printf("outcome: refused by the ledger: %s\n", std::string(icrc1::KindName(out->error.kind)).c_str());
        break;
      case TransferOutcome::Kind::kRejected:
        std::printf("outcome: rejected (%s): %s\n", std::string(RejectCodeName(out->reject.code)).c_str(),
                    out->reject.message.c_str());
        break;
    }
    return 0;
  }
  FileCanisterClient file_client(**agent, *files);
  if (command == "put-file" && argc == 4) {
    std::ifstream in(argv[3], std::ios::binary);
    std::stringstream buffer;
    buffer << in.rdbuf();
    Result<StoredFile> stored = file_client.Put(argv[2], buffer.str(), {argv[3], "application/octet-stream", "", "", clock.WallMs(), ""});
    if (!stored.has_value()) return Fail(stored.error());
    std::printf("stored %zu bytes in %zu chunks, sha256 %s\n", stored->size, stored->chunks, stored->sha256_hex.c_str());
    return 0;
  }
  if (command == "get-file" && argc == 4) {
    Result<std::string> bytes = file_client.Get(argv[2]);
    if (!bytes.has_value()) return Fail(bytes.error());
    std::ofstream(argv[3], std::ios::binary) << *bytes;
    std::printf("read %zu bytes, size and sha256 checked\n", bytes->size());
    return 0;
  }
  std::fprintf(stderr, "sela-ic: unknown command or arguments (mint needs --yes)\n");
  return 2;
}

}  // namespace
}  // namespace sela::chain

int main(int argc, char** argv) { return sela::chain::Run(argc, argv); }
