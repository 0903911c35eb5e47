// Base64 (RFC 4648 §4, with padding) and base64url (§5, without padding).
//
// Thread-safety: free functions; safe from any thread.
#pragma once

#include <string>
#include <string_view>

#include "core/status.h"

namespace sela::codec {

std::string Base64Encode(std::string_view bytes);
std::string Base64UrlEncode(std::string_view bytes);  // No padding.

// Strict: the alphabet of the variant only, no whitespace; padding required
// for Base64Decode and refused for Base64UrlDecode; unused trailing bits must
// be zero. InvalidArgument naming the offset otherwise.
Result<std::string> Base64Decode(std::string_view text);
Result<std::string> Base64UrlDecode(std::string_view text);

}  // namespace sela::codec
