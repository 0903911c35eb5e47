#include "chain/hash_tree.h"

#include <iterator>

#include "chain/sha256.h"

namespace sela::chain {
namespace {

constexpr std::string_view kEmptySep = "\x11ic-hashtree-empty";
constexpr std::string_view kForkSep = "\x10ic-hashtree-fork";
constexpr std::string_view kLabeledSep = "\x13ic-hashtree-labeled";
constexpr std::string_view kLeafSep = "\x10ic-hashtree-leaf";

Status Malformed(std::string what) { return InvalidArgument("hash tree: " + what); }

}  // namespace

Result<int32_t> HashTree::Add(const codec::CborValue& value) {
  if (!value.is_array() || value.items.empty() || !value.items[0].is_unsigned()) {
    return Err(Malformed("node is not an array with a tag"));
  }
  const auto& items = value.items;
  const uint64_t tag = items[0].u;
  static constexpr size_t kArity[] = {1, 3, 3, 2, 2};
  if (tag > 4 || items.size() != kArity[tag]) return Err(Malformed("bad node tag or arity"));
  Node node;
  node.kind = static_cast<Kind>(tag);
  if (node.kind == Kind::kFork) {
    ASSIGN_OR_RETURN(node.left, Add(items[1]));
    ASSIGN_OR_RETURN(node.right, Add(items[2]));
  } else if (node.kind == Kind::kLabeled) {
    if (!items[1].is_bytes()) return Err(Malformed("label is not a byte string"));
    node.data = items[1].str;
    ASSIGN_OR_RETURN(node.left, Add(items[2]));
  } else if (node.kind == Kind::kLeaf || node.kind == Kind::kPruned) {
    if (!items[1].is_bytes()) return Err(Malformed("leaf or pruned value is not a byte string"));
    if (node.kind == Kind::kPruned && items[1].str.size() != kSha256Bytes) {
      return Err(Malformed("pruned hash is not 32 bytes"));
    }
    node.data = items[1].str;
  }
  nodes_.push_back(node);
  return static_cast<int32_t>(nodes_.size() - 1);
}

Result<HashTree> HashTree::FromCbor(const codec::CborValue& value) {
  HashTree tree;
  ASSIGN_OR_RETURN(tree.root_, tree.Add(value));
  return tree;
}

std::string HashTree::Hash(int32_t index) const {
  const Node& n = node(index);
  switch (n.kind) {
    case Kind::kEmpty: return Sha256(kEmptySep);
    case Kind::kFork: return Sha256({kForkSep, Hash(n.left), Hash(n.right)});
    case Kind::kLabeled: return Sha256({kLabeledSep, n.data, Hash(n.left)});
    case Kind::kLeaf: return Sha256({kLeafSep, n.data});
    case Kind::kPruned: return std::string(n.data);
  }
  return {};
}

std::string HashTree::RootHash() const { return Hash(root_); }

namespace {

void Flatten(const HashTree& tree, int32_t index, std::vector<int32_t>& out) {
  const HashTree::Node& n = tree.node(index);
  if (n.kind == HashTree::Kind::kFork) {
    Flatten(tree, n.left, out);
    Flatten(tree, n.right, out);
  } else if (n.kind != HashTree::Kind::kEmpty) {
    out.push_back(index);
  }
}

// find_label of the spec over a flattened fork list.
HashTree::LookupResult FindLabel(const HashTree& tree, std::string_view label, const std::vector<int32_t>& list) {
  using L = HashTree::Lookup;
  if (list.size() == 1 && tree.node(list[0]).kind == HashTree::Kind::kLeaf) return {L::kError, {}, -1};
  auto labeled = [&](size_t i) { return tree.node(list[i]).kind == HashTree::Kind::kLabeled; };
  auto label_of = [&](size_t i) { return tree.node(list[i]).data; };
  for (size_t i = 0; i < list.size(); ++i) {
    if (labeled(i) && label_of(i) == label) return {L::kFound, {}, tree.node(list[i]).left};
  }
  if (list.empty()) return {L::kAbsent, {}, -1};
  if (labeled(0) && label < label_of(0)) return {L::kAbsent, {}, -1};
  if (labeled(list.size() - 1) && label_of(list.size() - 1) < label) return {L::kAbsent, {}, -1};
  for (size_t i = 0; i + 1 < list.size(); ++i) {
    if (labeled(i) && labeled(i + 1) && label_of(i) < label && label < label_of(i + 1)) {
      return {L::kAbsent, {}, -1};
    }
  }
  return {L::kUnknown, {}, -1};
}

}  // namespace

HashTree::LookupResult HashTree::Find(std::span<const std::string_view> path, bool leaf_only) const {
  int32_t at = root_;
  std::vector<int32_t> list;
  for (std::string_view label : path) {
    list.clear();
    Flatten(*this, at, list);
    const LookupResult r = FindLabel(*this, label, list);
    if (r.status != Lookup::kFound) return r;
    at = r.node;
  }
  const Node& n = node(at);
  switch (n.kind) {
    case Kind::kLeaf: return {Lookup::kFound, n.data, at};
    case Kind::kEmpty: return {Lookup::kAbsent, {}, at};
    case Kind::kPruned: return {Lookup::kUnknown, {}, at};
    default: return leaf_only ? LookupResult{Lookup::kError, {}, at} : LookupResult{Lookup::kFound, {}, at};
  }
}

HashTree::LookupResult HashTree::LookupPath(std::span<const std::string_view> path) const {
  return Find(path, true);
}

HashTree::LookupResult HashTree::LookupSubtree(std::span<const std::string_view> path) const {
  return Find(path, false);
}

std::vector<const HashTree::Node*> HashTree::Children(int32_t index, bool* complete) const {
  std::vector<int32_t> list;
  Flatten(*this, index, list);
  std::vector<const Node*> out;
  *complete = true;
  for (int32_t i : list) {
    if (node(i).kind == Kind::kLabeled) {
      out.push_back(&node(i));
    } else {
      *complete = false;
    }
  }
  return out;
}

void HashTreeBuilder::Insert(std::span<const std::string> path, std::string value) {
  Entry* at = &root_;
  for (const std::string& label : path) {
    auto& child = at->children[label];
    if (!child) child = std::make_unique<Entry>();
    at = child.get();
  }
  at->is_leaf = true;
  at->value = std::move(value);
}

void HashTreeBuilder::EncodeChildren(const std::map<std::string, std::unique_ptr<Entry>>& children,
                                     std::map<std::string, std::unique_ptr<Entry>>::const_iterator begin,
                                     size_t count, codec::CborWriter& w) {
  if (count == 1) {
    w.ArrayHeader(3).Unsigned(2).Bytes(begin->first);
    Encode(*begin->second, w);
    return;
  }
  const size_t half = count / 2;
  w.ArrayHeader(3).Unsigned(1);
  EncodeChildren(children, begin, half, w);
  EncodeChildren(children, std::next(begin, static_cast<std::ptrdiff_t>(half)), count - half, w);
}

void HashTreeBuilder::Encode(const Entry& entry, codec::CborWriter& w) {
  if (entry.is_leaf) {
    w.ArrayHeader(2).Unsigned(3).Bytes(entry.value);
  } else if (entry.children.empty()) {
    w.ArrayHeader(1).Unsigned(0);
  } else {
    EncodeChildren(entry.children, entry.children.begin(), entry.children.size(), w);
  }
}

std::string HashTreeBuilder::EncodeCbor() const {
  codec::CborWriter w;
  Encode(root_, w);
  return std::move(w).Take();
}

}  // namespace sela::chain

namespace sela::chain {

const std::string& HashTreeBuilder::HashOf(const Entry& entry) {
  if (entry.hash.empty()) {
    if (entry.is_leaf) {
      entry.hash = Sha256({kLeafSep, entry.value});
    } else if (entry.children.empty()) {
      entry.hash = Sha256(kEmptySep);
    } else {
      entry.hash = HashChildren(entry.children.begin(), entry.children.size());
    }
  }
  return entry.hash;
}

// The hash of what EncodeChildren writes for the same range.
std::string HashTreeBuilder::HashChildren(Children::const_iterator begin, size_t count) {
  if (count == 1) return Sha256({kLabeledSep, begin->first, HashOf(*begin->second)});
  const size_t half = count / 2;
  return Sha256({kForkSep, HashChildren(begin, half),
                 HashChildren(std::next(begin, static_cast<std::ptrdiff_t>(half)), count - half)});
}

std::string HashTreeBuilder::RootHash() const { return HashOf(root_); }

void HashTreeBuilder::EncodePruned(const Entry& entry, const Paths& keep, codec::CborWriter& w) {
  if (keep.empty()) {
    w.ArrayHeader(2).Unsigned(4).Bytes(HashOf(entry));
    return;
  }
  for (const auto& path : keep) {
    if (path.empty()) return Encode(entry, w);  // The whole subtree is kept.
  }
  if (entry.is_leaf || entry.children.empty()) return Encode(entry, w);
  EncodePrunedChildren(entry.children, entry.children.begin(), entry.children.size(), keep, w);
}

void HashTreeBuilder::EncodePrunedChildren(const Children& children, Children::const_iterator begin, size_t count,
                                           const Paths& keep, codec::CborWriter& w) {
  const std::string& first = begin->first;
  const std::string& last = std::next(begin, static_cast<std::ptrdiff_t>(count - 1))->first;
  Paths inside;
  for (const auto& path : keep) {
    if (first <= path[0] && path[0] <= last) inside.push_back(path);
  }
  if (inside.empty()) {
    w.ArrayHeader(2).Unsigned(4).Bytes(HashChildren(begin, count));
    return;
  }
  if (count == 1) {
    Paths below;
    for (const auto& path : inside) below.push_back(path.subspan(1));
    w.ArrayHeader(3).Unsigned(2).Bytes(begin->first);
    EncodePruned(*begin->second, below, w);
    return;
  }
  const size_t half = count / 2;
  w.ArrayHeader(3).Unsigned(1);
  EncodePrunedChildren(children, begin, half, inside, w);
  EncodePrunedChildren(children, std::next(begin, static_cast<std::ptrdiff_t>(half)), count - half, inside, w);
}

std::string HashTreeBuilder::EncodePrunedCbor(std::span<const std::vector<std::string>> keep) const {
  Paths paths(keep.begin(), keep.end());
  codec::CborWriter w;
  EncodePruned(root_, paths, w);
  return std::move(w).Take();
}

}  // namespace sela::chain
