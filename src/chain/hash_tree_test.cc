#include "chain/hash_tree.h"

#include <gtest/gtest.h>

#include "codec/hex.h"

namespace sela::chain {
namespace {

std::string Bytes(std::string_view hex) { return codec::HexDecode(hex).value(); }

// The spec's example tree (certification.md) in full and pruned form.
constexpr std::string_view kFull =
    "8301830183024161830183018302417882034568656c6c6f810083024179820345776f726c6483024162820344676f6f"
    "648301830241638100830241648203476d6f726e696e67";
constexpr std::string_view kPruned =
    "83018301830241618301820458201b4feff9bef8131788b0c9dc6dbad6e81e524249c879e9f10f71ce3749f5a638830241"
    "79820345776f726c6483024162820458207b32ac0c6ba8ce35ac82c255fc7906f7fc130dab2a090f80fe12f9c2cae83ba6"
    "830182045820ec8324b8a1f1ac16bd2e806edba78006479c9877fed4eb464a25485465af601d830241648203476d6f726e"
    "696e67";

struct ParsedTree {
  std::string bytes;
  codec::CborValue cbor;
  HashTree tree;
};

ParsedTree Parse(std::string bytes) {
  ParsedTree p;
  p.bytes = std::move(bytes);
  p.cbor = codec::ParseCbor(p.bytes).value();
  p.tree = HashTree::FromCbor(p.cbor).value();
  return p;
}

HashTree::Lookup Look(const HashTree& t, std::initializer_list<std::string_view> path) {
  return t.LookupPath(std::span<const std::string_view>(path.begin(), path.size())).status;
}

TEST(HashTree, ReconstructsTheSpecRootHash) {
  const ParsedTree p = Parse(Bytes(kFull));
  EXPECT_EQ(codec::HexEncode(p.tree.RootHash()),
            "eb5c5b2195e62d996b84c9bcc8259d19a83786a2f59e0878cec84c811f669aa0");
  const std::string_view path[] = {"a", "y"};
  EXPECT_EQ(p.tree.LookupPath(path).value, "world");
}

TEST(HashTree, LooksUpThePrunedSpecTreeWithAllFourOutcomes) {
  // The spec's pruned variant (paths /a/y, /ax, /d kept): same root hash.
  const ParsedTree p = Parse(Bytes(kPruned));
  const HashTree& t = p.tree;
  EXPECT_EQ(codec::HexEncode(t.RootHash()), "eb5c5b2195e62d996b84c9bcc8259d19a83786a2f59e0878cec84c811f669aa0");
  using L = HashTree::Lookup;
  EXPECT_EQ(Look(t, {"a", "a"}), L::kUnknown);
  EXPECT_EQ(Look(t, {"a", "y"}), L::kFound);
  EXPECT_EQ(Look(t, {"aa"}), L::kAbsent);
  EXPECT_EQ(Look(t, {"ax"}), L::kAbsent);
  EXPECT_EQ(Look(t, {"b"}), L::kUnknown);
  EXPECT_EQ(Look(t, {"bb"}), L::kUnknown);
  EXPECT_EQ(Look(t, {"d"}), L::kFound);
  EXPECT_EQ(Look(t, {"e"}), L::kAbsent);
}

TEST(HashTree, PathIntoALeafOrEndingAtAForkIsAnError) {
  const ParsedTree p = Parse(Bytes(kFull));
  EXPECT_EQ(Look(p.tree, {"d", "x"}), HashTree::Lookup::kError);
  EXPECT_EQ(Look(p.tree, {"a"}), HashTree::Lookup::kError);
}

TEST(HashTree, BuilderMakesTreesThatLookUpAndHashLikeTheSpec) {
  HashTreeBuilder b;
  const std::vector<std::vector<std::string>> paths = {{"a", "x"}, {"a", "y"}, {"b"}, {"c", "x"}, {"c", "y"}, {"d"}};
  const std::vector<std::string> values = {"hello", "world", "good", "hola", "sailo", "morning"};
  for (size_t i = 0; i < paths.size(); ++i) b.Insert(paths[i], values[i]);
  const ParsedTree p = Parse(b.EncodeCbor());
  // Same labels and leaves as the spec example, different fork shape, hence a
  // different root; lookups must agree.
  const std::string_view cy[] = {"c", "y"};
  EXPECT_EQ(p.tree.LookupPath(cy).value, "sailo");
  EXPECT_EQ(Look(p.tree, {"bb"}), HashTree::Lookup::kAbsent);
  EXPECT_EQ(Look(p.tree, {"0"}), HashTree::Lookup::kAbsent);
  EXPECT_EQ(Look(p.tree, {"z"}), HashTree::Lookup::kAbsent);
}

TEST(HashTree, BuilderPrunesToWitnessesWithTheFullTreesRootHash) {
  HashTreeBuilder b;
  const std::vector<std::vector<std::string>> paths = {{"a", "x"}, {"a", "y"}, {"b"}, {"c", "x"}, {"c", "y"}, {"d"}};
  const std::vector<std::string> values = {"hello", "world", "good", "hola", "sailo", "morning"};
  for (size_t i = 0; i < paths.size(); ++i) b.Insert(paths[i], values[i]);
  const std::string full = b.EncodeCbor();
  EXPECT_EQ(b.RootHash(), Parse(full).tree.RootHash());
  const std::vector<std::vector<std::string>> keep = {{"a", "y"}, {"d"}};
  const ParsedTree p = Parse(b.EncodePrunedCbor(keep));
  EXPECT_EQ(p.tree.RootHash(), b.RootHash());
  const std::string_view ay[] = {"a", "y"};
  EXPECT_EQ(p.tree.LookupPath(ay).value, "world");
  EXPECT_EQ(Look(p.tree, {"d"}), HashTree::Lookup::kFound);
  EXPECT_EQ(Look(p.tree, {"a", "x"}), HashTree::Lookup::kUnknown);  // Pruned, not absent.
  EXPECT_EQ(Look(p.tree, {"c", "y"}), HashTree::Lookup::kUnknown);
  // Keeping a whole subtree keeps its leaves; keeping nothing is one Pruned node.
  const std::vector<std::vector<std::string>> subtree = {{"c"}};
  const ParsedTree c = Parse(b.EncodePrunedCbor(subtree));
  EXPECT_EQ(c.tree.RootHash(), b.RootHash());
  EXPECT_EQ(Look(c.tree, {"c", "x"}), HashTree::Lookup::kFound);
  const ParsedTree none = Parse(b.EncodePrunedCbor({}));
  EXPECT_EQ(none.tree.node(none.tree.root()).kind, HashTree::Kind::kPruned);
  EXPECT_EQ(none.tree.RootHash(), b.RootHash());
}

TEST(HashTree, RefusesMalformedNodes) {
  for (std::string_view hex : {"8105", "820301", "83014100f6", "820458021234", "820280", "a0", "80"}) {
    const std::string bytes = Bytes(hex);
    const Result<codec::CborValue> cbor = codec::ParseCbor(bytes);
    ASSERT_TRUE(cbor.has_value()) << hex;
    EXPECT_FALSE(HashTree::FromCbor(*cbor).has_value()) << hex;
  }
}

}  // namespace
}  // namespace sela::chain
