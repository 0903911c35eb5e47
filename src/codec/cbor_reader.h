// A bounded CBOR (RFC 8949) decoder for what the Internet Computer sends:
// certificates, read_state/call/query responses, and (in tests and the fake
// endpoint) request envelopes.
//
// ParseCbor turns one whole data item into a tree of CborValue. Byte and
// text strings are views into the input, so the input must outlive the
// tree. Every dimension is bounded by CborLimits: nesting depth, the number
// of items in the whole tree, and the length of any one array or map (which
// also stops a forged length from reserving memory). Definite lengths only:
// indefinite-length items, floats, and undefined major-7 values are refused
// (the IC never sends them). Text is not checked for UTF-8 here; callers
// that show it check it.
//
// Thread-safety: values; a parsed tree is immutable.
#pragma once

#include <cstddef>
#include <cstdint>
#include <string_view>
#include <vector>

#include "core/status.h"

namespace sela::codec {

struct CborLimits {
  size_t depth_max = 128;        // Hash trees nest deeply; 128 covers mainnet's.
  size_t items_max = 100'000;    // Items in the whole tree.
  size_t container_items_max = 65'536;  // Elements of one array or pairs of one map.
};

struct CborValue {
  enum class Kind : uint8_t {
    kUnsigned,  // u
    kNegative,  // -1 - u
    kBytes,     // str
    kText,      // str
    kArray,     // items
    kMap,       // items: key, value, key, value, ...
    kTag,       // u = tag number; items[0] = the tagged item
    kBool,      // u = 0 or 1
    kNull,
  };

  Kind kind = Kind::kNull;
  uint64_t u = 0;
  std::string_view str;
  std::vector<CborValue> items;

  bool is_bytes() const { return kind == Kind::kBytes; }
  bool is_text() const { return kind == Kind::kText; }
  bool is_unsigned() const { return kind == Kind::kUnsigned; }
  bool is_array() const { return kind == Kind::kArray; }
  bool is_map() const { return kind == Kind::kMap; }
  size_t map_size() const { return items.size() / 2; }

  // For a map with text keys: the value under `key`, or null when absent
  // (or when this is not a map).
  const CborValue* Find(std::string_view key) const;
  // Strips any number of outer tags equal to `tag` (55799, self-describe).
  const CborValue& Untagged(uint64_t tag) const;
};

// The whole input must be exactly one item.
Result<CborValue> ParseCbor(std::string_view input, const CborLimits& limits = {});

// Checks that a map has only text keys and no key twice (the IC requires
// both); InvalidArgument naming the key otherwise.
Status CheckTextKeysUnique(const CborValue& map);

}  // namespace sela::codec
