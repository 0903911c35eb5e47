// API keys (reference rest-api.md §3, minus D-1, D-3, D-9, D-15): drawn from
// a CSPRNG, handed to the client once, stored only as a SHA-256 hash.
#pragma once

#include <optional>
#include <string>
#include <string_view>

#include "core/status.h"

namespace sela::auth {

inline constexpr size_t kApiKeyLength = 32;

// 32 characters of [A-Za-z0-9] from OpenSSL's CSPRNG (about 190 bits),
// the original's format. Unavailable if the CSPRNG fails.
Result<std::string> GenerateApiKey();

// Lowercase hex SHA-256 of `bytes`.
std::string Sha256Hex(std::string_view bytes);

// The key in an Authorization header value: "Bearer <key>", "ApiKey <key>"
// (which the original broke, D-15) or the bare key; surrounding blanks
// trimmed. nullopt when nothing is left.
std::optional<std::string_view> ApiKeyFromHeader(std::string_view header);

// Compares two strings in time independent of where they differ.
bool ConstantTimeEquals(std::string_view a, std::string_view b);

}  // namespace sela::auth
