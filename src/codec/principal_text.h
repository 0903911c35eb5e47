// The text form of Internet Computer principals (ARCHITECTURE.md §5): the
// lowercase RFC 4648 base32 (no padding) of CRC-32 (big-endian) || bytes, in
// dash-separated groups of five characters, e.g. "2vxsx-fae" for the
// anonymous principal and "aaaaa-aa" for the management canister.
//
// Only the text form lives here; which bytes a public key gives is
// auth/identity.h's business.
//
// Parsing accepts the canonical form only (what PrincipalToText writes):
// lowercase, dashes exactly every five characters, the right checksum, at
// most kPrincipalBytesMax bytes. The IC's own libraries lowercase their input
// first; we do not, so that one principal has one spelling in logs, store
// keys and comparisons.
//
// Thread-safety: free functions; safe from any thread.
#pragma once

#include <cstdint>
#include <string>
#include <string_view>

#include "core/status.h"

namespace sela::codec {

// The IC's limit on the raw bytes of a principal.
inline constexpr std::size_t kPrincipalBytesMax = 29;
// The longest text form: base32 of 4 + 29 bytes is 53 characters, in 11
// groups with 10 dashes.
inline constexpr std::size_t kPrincipalTextBytesMax = 63;

// IEEE 802.3 CRC-32 (the polynomial of zlib and of the IC's checksum).
uint32_t Crc32(std::string_view bytes);

// Lowercase RFC 4648 base32 without padding.
std::string Base32LowerEncode(std::string_view bytes);

// Text form of raw principal bytes (0..kPrincipalBytesMax bytes; longer
// input is a caller bug and is written anyway).
std::string PrincipalToText(std::string_view bytes);

// Raw bytes of a canonical text form; InvalidArgument saying what is wrong
// (too long, bad character, misplaced dash, checksum mismatch).
Result<std::string> PrincipalFromText(std::string_view text);

}  // namespace sela::codec
