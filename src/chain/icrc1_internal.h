// Shared by icrc1_types.cc and icrc3_types.cc: the ledger's Candid types,
// built once, and one-value encode/decode over them.
#pragma once

#include <string>
#include <string_view>

#include "chain/candid.h"

namespace sela::chain::icrc1::internal {

struct LedgerTypes {
  LedgerTypes();
  candid::TypeTable t;
  candid::TypeRef account, transfer_arg, transfer_result, opt_account, standards, get_blocks_args,
      get_blocks_result, value;
};

// Thread-safe (a function-local static, immutable after construction).
const LedgerTypes& Types();
std::string EncodeOne(candid::TypeRef type, candid::Value value);
Result<candid::Value> DecodeOne(std::string_view bytes);

}  // namespace sela::chain::icrc1::internal
