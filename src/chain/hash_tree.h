// The Internet Computer's certified hash tree (interface spec,
// "Certification"): Empty | Fork | Labeled | Leaf | Pruned, its root hash
// (reconstruct) and path lookup with the spec's four outcomes.
//
// A HashTree is parsed from CBOR and holds views into the CBOR input, which
// must outlive it (Certificate owns both). Nodes live in one vector; depth is
// bounded by the CBOR limits.
//
// HashTreeBuilder makes trees from paths and leaf values, full or pruned to
// some paths (a witness): the fake IC endpoint uses it to issue
// certificates.
//
// Thread-safety: an immutable value after parsing.
#pragma once

#include <cstdint>
#include <map>
#include <memory>
#include <span>
#include <string>
#include <string_view>
#include <vector>

#include "codec/cbor_reader.h"
#include "codec/cbor_writer.h"
#include "core/status.h"

namespace sela::chain {

class HashTree {
 public:
  enum class Kind : uint8_t { kEmpty = 0, kFork = 1, kLabeled = 2, kLeaf = 3, kPruned = 4 };
  struct Node {
    Kind kind = Kind::kEmpty;
    std::string_view data;  // Labeled: label; Leaf: value; Pruned: 32-byte hash.
    int32_t left = -1;      // Fork: left; Labeled: subtree.
    int32_t right = -1;     // Fork: right.
  };

  enum class Lookup : uint8_t { kFound, kAbsent, kUnknown, kError };
  struct LookupResult {
    Lookup status = Lookup::kAbsent;
    std::string_view value;  // Leaf value when kFound.
    int32_t node = -1;       // The node the path leads to (for LookupSubtree).
  };

  static Result<HashTree> FromCbor(const codec::CborValue& value);

  // reconstruct(tree): 32 raw bytes.
  std::string RootHash() const;
  // lookup_path: Found only for a Leaf at the end of the path.
  LookupResult LookupPath(std::span<const std::string_view> path) const;
  // Like LookupPath, but Found for any node at the end of the path.
  LookupResult LookupSubtree(std::span<const std::string_view> path) const;
  // The Labeled nodes directly under `node` (forks flattened), in order;
  // `complete` is false when a Pruned node hides part of the list.
  std::vector<const Node*> Children(int32_t node, bool* complete) const;

  const Node& node(int32_t index) const { return nodes_[static_cast<size_t>(index)]; }
  int32_t root() const { return root_; }

 private:
  Result<int32_t> Add(const codec::CborValue& value);
  std::string Hash(int32_t index) const;
  LookupResult Find(std::span<const std::string_view> path, bool leaf_only) const;

  std::vector<Node> nodes_;
  int32_t root_ = -1;
};

// Builds a full labeled tree. Labels are sorted byte-wise, as the spec
// requires; a path may not be both a leaf and a prefix of another path.
class HashTreeBuilder {
 public:
  void Insert(std::span<const std::string> path, std::string value);
  // CBOR of the tree, ready to embed in a certificate.
  std::string EncodeCbor() const;
  // reconstruct() of the full tree.
  std::string RootHash() const;
  // CBOR of the tree pruned to `keep`: the subtrees under the kept paths
  // whole, every other subtree a Pruned node holding its hash, so the root
  // hash is RootHash(). Not thread-safe (hashes are memoised); no Insert
  // after the first call.
  std::string EncodePrunedCbor(std::span<const std::vector<std::string>> keep) const;

 private:
  struct Entry {
    bool is_leaf = false;
    std::string value;
    std::map<std::string, std::unique_ptr<Entry>> children;
    mutable std::string hash;  // Memoised by HashOf.
  };
  using Children = std::map<std::string, std::unique_ptr<Entry>>;
  using Paths = std::vector<std::span<const std::string>>;
  static void Encode(const Entry& entry, codec::CborWriter& w);
  static void EncodeChildren(const Children& children, Children::const_iterator begin, size_t count,
                             codec::CborWriter& w);
  static const std::string& HashOf(const Entry& entry);
  static std::string HashChildren(Children::const_iterator begin, size_t count);
  static void EncodePruned(const Entry& entry, const Paths& keep, codec::CborWriter& w);
  static void EncodePrunedChildren(const Children& children, Children::const_iterator begin, size_t count,
                                   const Paths& keep, codec::CborWriter& w);
  Entry root_;
};

}  // namespace sela::chain
