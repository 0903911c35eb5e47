// A minimal CBOR (RFC 8949) encoder: the few legacy frames we may still have
// to send in binary form (ws-protocol.md §1.2, §10 E5) and the Internet
// Computer's request envelopes and certificates (src/chain).
//
// It writes definite-length items only, with the shortest head for every
// integer and length, which is also what the original server's `cbor`
// library and the IC's JavaScript agent produce. cbor_reader.h reads.
//
// Thread-safety: a value type; one writer per thread.
#pragma once

#include <cstdint>
#include <string>
#include <string_view>

namespace sela::codec {

class CborWriter {
 public:
  // Starts a map; the caller then writes `pairs` key/value pairs.
  CborWriter& MapHeader(uint64_t pairs);
  // Starts an array; the caller then writes `items` items.
  CborWriter& ArrayHeader(uint64_t items);
  // A tag; the caller then writes the tagged item.
  CborWriter& Tag(uint64_t tag);
  CborWriter& Text(std::string_view utf8);
  CborWriter& Bytes(std::string_view bytes);
  // Appends an item that is already encoded.
  CborWriter& Raw(std::string_view encoded);
  CborWriter& Unsigned(uint64_t value);
  CborWriter& Bool(bool value);
  // The simple value `undefined` (0xF7), which the original sent for
  // JavaScript properties holding undefined.
  CborWriter& Undefined();

  const std::string& bytes() const { return out_; }
  std::string Take() && { return std::move(out_); }

 private:
  void Head(uint8_t major, uint64_t argument);

  std::string out_;
};

}  // namespace sela::codec
