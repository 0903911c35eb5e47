// Fuzzes the Candid decoder (src/chain/candid.h) and the typed readers of
// what the ledger and the file canister answer: any bytes are decoded or
// refused within the limits, never crash; whatever decodes as a transfer
// result re-encodes to a message that decodes to the same result.
#include <cstdint>
#include <cstdlib>
#include <string_view>

#include "chain/candid.h"
#include "chain/file_types.h"
#include "chain/icrc1_types.h"

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  namespace chain = sela::chain;
  const std::string_view input(reinterpret_cast<const char*>(data), size);
  chain::candid::DecodeLimits limits;
  limits.values_max = 20'000;
  (void)chain::candid::Decode(input, limits);
  const auto result = chain::icrc1::DecodeTransferResult(input);
  if (result.has_value() && result->error.kind != chain::icrc1::TransferError::Kind::kUnknown) {
    const auto again = chain::icrc1::DecodeTransferResult(chain::icrc1::EncodeTransferResult(*result));
    if (!again.has_value() || again->ok != result->ok || again->block_index != result->block_index ||
        !(again->error == result->error)) {
      std::abort();
    }
  }
  (void)chain::icrc1::DecodeTransferArg(input);
  (void)chain::icrc1::DecodeGetBlocksResult(input);
  (void)chain::icrc1::DecodeStandards(input);
  (void)chain::files::DecodeGetFileResult(input);
  (void)chain::files::DecodeStoreFileArgs(input);
  return 0;
}
