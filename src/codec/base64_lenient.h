// Base64 as the original server's clients send file chunks (RFC 4648 §4,
// what Node's Buffer.from(text, "base64") reads): the standard alphabet or
// the URL-safe one, padding optional, blanks (space, tab, CR, LF) ignored.
// Unlike Node, any other character is an error rather than silently
// dropped, so a corrupted chunk is refused instead of stored wrong.
// (Strict base64 and base64url are codec/base64.h.)
//
// Thread-safety: free functions; safe from any thread.
#pragma once

#include <string>
#include <string_view>

#include "core/status.h"

namespace sela::codec {

// InvalidArgument naming the offset of the first character that is not
// base64, or when the length cannot be base64 (one character left over).
Result<std::string> Base64DecodeLenient(std::string_view text);

}  // namespace sela::codec
