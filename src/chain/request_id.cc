#include "chain/request_id.h"

#include <algorithm>

#include "chain/sha256.h"
#include "codec/leb128.h"

namespace sela::chain {

std::string HashBlob(std::string_view bytes) { return Sha256(bytes); }

std::string HashNat(uint64_t value) { return Sha256(codec::Uleb128(value)); }

std::string HashArray(const std::vector<std::string>& element_hashes) {
  Sha256Hasher h;
  for (const std::string& e : element_hashes) h.Update(e);
  return h.Finish();
}

std::string HashOfMap(const std::vector<HashedField>& fields) {
  std::vector<std::string> pairs;
  pairs.reserve(fields.size());
  for (const HashedField& f : fields) pairs.push_back(Sha256(f.key) + f.value_hash);
  std::sort(pairs.begin(), pairs.end());
  Sha256Hasher h;
  for (const std::string& p : pairs) h.Update(p);
  return h.Finish();
}

namespace {

Result<std::string> HashCborValue(const codec::CborValue& v, size_t depth, size_t depth_max) {
  if (depth > depth_max) return Err(InvalidArgument("request content nests too deeply"));
  using K = codec::CborValue::Kind;
  switch (v.kind) {
    case K::kBytes:
    case K::kText: return HashBlob(v.str);
    case K::kUnsigned: return HashNat(v.u);
    case K::kArray: {
      std::vector<std::string> hashes;
      hashes.reserve(v.items.size());
      for (const codec::CborValue& e : v.items) {
        ASSIGN_OR_RETURN(std::string h, HashCborValue(e, depth + 1, depth_max));
        hashes.push_back(std::move(h));
      }
      return HashArray(hashes);
    }
    case K::kMap: return HashOfCborMap(v, depth_max - std::min(depth_max, depth + 1));
    default: return Err(InvalidArgument("request content holds a value the IC does not hash"));
  }
}

}  // namespace

Result<std::string> HashOfCborMap(const codec::CborValue& map, size_t depth_max) {
  RETURN_IF_ERROR(codec::CheckTextKeysUnique(map));
  std::vector<HashedField> fields;
  fields.reserve(map.map_size());
  for (size_t i = 0; i < map.items.size(); i += 2) {
    ASSIGN_OR_RETURN(std::string h, HashCborValue(map.items[i + 1], 0, depth_max));
    fields.push_back({map.items[i].str, std::move(h)});
  }
  return HashOfMap(fields);
}

}  // namespace sela::chain
