// Principal: an Internet Computer identifier (a canister, a user, a subnet)
// as bytes, and its text form (ARCHITECTURE.md §5; the IC interface spec,
// "Principals").
//
// Text form: CRC-32 (ISO 3309, big-endian) of the bytes, then the bytes,
// base32 (RFC 4648, lowercase, no padding), in dash-separated groups of five,
// e.g. `y5ego-zyaaa-aaaao-qkfhq-cai`. Parsing accepts either case, requires
// the dashes where they belong and checks the CRC.
//
// Self-authenticating principals (SHA-224 of a DER public key, then 0x02)
// are made by auth/public_key.h, which owns the key handling.
//
// Thread-safety: a value type.
#pragma once

#include <array>
#include <compare>
#include <cstddef>
#include <cstdint>
#include <string>
#include <string_view>

#include "core/status.h"

namespace sela::codec {

class Principal {
 public:
  static constexpr size_t kMaxBytes = 29;
  static constexpr uint8_t kSelfAuthenticatingTag = 0x02;
  static constexpr uint8_t kAnonymousTag = 0x04;

  // The management canister `aaaaa-aa` (no bytes).
  Principal() = default;
  static Result<Principal> FromBytes(std::string_view bytes);
  static Result<Principal> FromText(std::string_view text);
  static Principal Anonymous();

  std::string ToText() const;
  std::string_view bytes() const {
    return {reinterpret_cast<const char*>(bytes_.data()), size_};
  }
  bool is_anonymous() const { return size_ == 1 && bytes_[0] == kAnonymousTag; }
  bool is_self_authenticating() const {
    return size_ == kMaxBytes && bytes_[kMaxBytes - 1] == kSelfAuthenticatingTag;
  }

  friend bool operator==(const Principal& a, const Principal& b) { return a.bytes() == b.bytes(); }
  // Byte-wise order (the order of canister id ranges).
  friend std::strong_ordering operator<=>(const Principal& a, const Principal& b) {
    return a.bytes() <=> b.bytes();
  }

 private:
  std::array<uint8_t, kMaxBytes> bytes_{};
  uint8_t size_ = 0;
};

// CRC-32 (ISO 3309 / zlib polynomial), as used by the principal text form.
uint32_t Crc32(std::string_view bytes);

}  // namespace sela::codec
