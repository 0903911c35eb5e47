// Base64 in the URL-safe alphabet without padding (RFC 4648 §5), the form
// protocol v2 uses for nonces, public keys and signatures
// (ARCHITECTURE.md §5).
//
// Decoding is strict, so that one byte string has exactly one text form:
// no padding, no blanks, no characters of the standard alphabet (`+`, `/`),
// no length that is 1 mod 4, and the unused low bits of the last character
// must be zero. A peer that signs or hashes the text can then never present
// two spellings of the same bytes.
//
// Thread-safety: free functions; safe from any thread.
#pragma once

#include <string>
#include <string_view>

#include "core/status.h"

namespace sela::codec {

std::string Base64UrlEncode(std::string_view bytes);

// InvalidArgument naming the offset of the first bad character, or the
// length, when `text` is not canonical unpadded base64url.
Result<std::string> Base64UrlDecode(std::string_view text);

}  // namespace sela::codec
