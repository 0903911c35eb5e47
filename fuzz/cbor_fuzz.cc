// Fuzzes the bounded CBOR reader (src/codec/cbor_reader.h) and, on what it
// accepts, the certificate hash tree (src/chain/hash_tree.h): parsing never
// crashes or allocates past its limits; a parsed tree always hashes and
// answers lookups; a parsed CBOR map either has unique text keys or says so.
#include <cstdint>
#include <cstdlib>
#include <string_view>

#include "chain/hash_tree.h"
#include "codec/cbor_reader.h"

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  const std::string_view input(reinterpret_cast<const char*>(data), size);
  sela::codec::CborLimits limits;
  limits.items_max = 20'000;
  const sela::Result<sela::codec::CborValue> value = sela::codec::ParseCbor(input, limits);
  if (!value.has_value()) return 0;
  const sela::codec::CborValue& item = value->Untagged(55799);
  if (item.is_map()) (void)sela::codec::CheckTextKeysUnique(item);
  const sela::codec::CborValue* tree_item = item.Find("tree");
  const sela::Result<sela::chain::HashTree> tree = sela::chain::HashTree::FromCbor(tree_item ? *tree_item : item);
  if (!tree.has_value()) return 0;
  if (tree->RootHash().size() != 32) std::abort();
  const std::string_view paths[][3] = {{"time", "", ""}, {"request_status", "x", "status"}, {"a", "b", ""}};
  for (const auto& path : paths) {
    const size_t n = path[2].empty() ? (path[1].empty() ? 1 : 2) : 3;
    (void)tree->LookupPath(std::span<const std::string_view>(path, n));
    (void)tree->LookupSubtree(std::span<const std::string_view>(path, n));
  }
  return 0;
}
