// Representation-independent hashing (interface spec, "Request ids"): the
// request id of a call, query or read_state, the hash a query's node
// signature covers, and the hash of a delegation.
//
// hash_of_map(m) = SHA-256(concat(sort([SHA-256(key) || hash(value)]))),
// with blob and text hashed as their bytes, nat as SHA-256(LEB128), arrays as
// SHA-256 of their elements' hashes, nested maps by hash_of_map.
//
// Thread-safety: free functions; safe from any thread.
#pragma once

#include <cstdint>
#include <string>
#include <string_view>
#include <vector>

#include "codec/cbor_reader.h"
#include "core/status.h"

namespace sela::chain {

std::string HashBlob(std::string_view bytes);
inline std::string HashText(std::string_view text) { return HashBlob(text); }
std::string HashNat(uint64_t value);
// element_hashes: the hashes of the elements, in order.
std::string HashArray(const std::vector<std::string>& element_hashes);

struct HashedField {
  std::string_view key;
  std::string value_hash;
};
std::string HashOfMap(const std::vector<HashedField>& fields);

// hash_of_map of a CBOR map as the IC reads it: byte strings are blobs, text
// is text, unsigned integers are nats, arrays and maps nest. Anything else
// (negative numbers, floats, booleans, tags) is InvalidArgument. Used to
// compute the request id of a received envelope's content (fake endpoint)
// exactly as the IC does, whatever fields it holds.
Result<std::string> HashOfCborMap(const codec::CborValue& map, size_t depth_max = 16);

}  // namespace sela::chain
