// LEB128 (unsigned) and SLEB128 (signed) integers, as the Internet Computer
// uses them: in request ids (nat fields), in certificate leaves (`/time`,
// `reject_code`) and throughout Candid.
//
// Readers take a view and advance it past what they consumed; they refuse
// encodings longer than the value type can hold, so hostile input cannot
// make them loop or overflow.
//
// Thread-safety: free functions; safe from any thread.
#pragma once

#include <cstdint>
#include <string>
#include <string_view>

#include "core/status.h"

namespace sela::codec {

using Uint128 = unsigned __int128;
using Int128 = __int128;

void AppendUleb128(std::string& out, Uint128 value);
void AppendSleb128(std::string& out, Int128 value);
std::string Uleb128(Uint128 value);

// Values wider than 64 (or 128) bits are InvalidArgument; so is input that
// ends inside a number.
Result<uint64_t> ReadUleb128(std::string_view& in);
Result<Uint128> ReadUleb128Wide(std::string_view& in);
Result<int64_t> ReadSleb128(std::string_view& in);
Result<Int128> ReadSleb128Wide(std::string_view& in);

// The whole of `bytes` must be one LEB128 number (certificate leaves).
Result<uint64_t> ParseUleb128(std::string_view bytes);

// Decimal text of a 128-bit value (for messages and JSON).
std::string Uint128ToString(Uint128 value);

}  // namespace sela::codec
