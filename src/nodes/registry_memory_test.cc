// NodeRegistry memory per live node, measured with glibc's mallinfo2() (the
// allocator's own count, so the figure is deterministic for a given build).
// The server's target is 512 bytes per idle node in all (docs/BENCHMARKS.md);
// the network layer takes about 370 of them, leaving about 110 for this.
#include <gtest/gtest.h>
#include <malloc.h>

#include <cstdio>
#include <string>
#include <vector>

#include "nodes/registry.h"

namespace sela::nodes {
namespace {

constexpr int64_t kT0 = 1'710'028'800'000;
constexpr size_t kNodes = 19'000;

size_t HeapBytesInUse() {
  const struct mallinfo2 info = mallinfo2();
  // Large blocks (the hash index) are mmapped and counted apart.
  return info.uordblks + info.hblkhd;
}

// Distinct principals shaped like self-authenticating ones: dash-separated
// groups of five base32 characters, `bytes` long in all.
std::vector<std::string> MakePrincipals(size_t count, size_t bytes, uint32_t salt) {
  static constexpr char kBase32[] = "abcdefghijklmnopqrstuvwxyz234567";
  std::vector<std::string> principals;
  principals.reserve(count);
  uint64_t x = 0x9e3779b97f4a7c15ULL * (salt + 1);
  for (size_t i = 0; i < count; ++i) {
    std::string p;
    p.reserve(bytes);
    for (size_t c = 0; p.size() < bytes; ++c) {
      if (c % 6 == 5) {
        p.push_back('-');
        continue;
      }
      x ^= x << 13, x ^= x >> 7, x ^= x << 17;
      p.push_back(kBase32[x % 32]);
    }
    // The index makes them distinct whatever the generator does.
    const std::string id = std::to_string(i);
    p.replace(0, id.size(), id);
    principals.push_back(std::move(p));
  }
  return principals;
}

// Idle: after a checkpoint has handed the registrations out, or before it.
double BytesPerIdleNode(const std::vector<std::string>& principals, bool checkpoint = true) {
  const size_t before = HeapBytesInUse();
  NodeRegistry registry;
  for (const std::string& p : principals) registry.Connect(p, kT0, kT0);
  if (checkpoint) registry.Checkpoint(kT0 + 60'000);
  return static_cast<double>(HeapBytesInUse() - before) / static_cast<double>(principals.size());
}

#if defined(__SANITIZE_ADDRESS__)
constexpr bool kMallinfoCountsTheHeap = false;
#else
constexpr bool kMallinfoCountsTheHeap = true;
#endif

TEST(RegistryMemory, IdleNodeWith63CharacterPrincipalFitsTheBudget) {
  if (!kMallinfoCountsTheHeap) GTEST_SKIP() << "ASan's allocator is not visible to mallinfo2";
  const double per_node = BytesPerIdleNode(MakePrincipals(kNodes, 63, 1));
  std::printf("[ memory ] %zu idle nodes, 63-byte principals: %.1f bytes per node\n", kNodes,
              per_node);
  EXPECT_LE(per_node, 125.0);
}

TEST(RegistryMemory, IdleNodeWith14CharacterPrincipalCostsLess) {
  if (!kMallinfoCountsTheHeap) GTEST_SKIP() << "ASan's allocator is not visible to mallinfo2";
  const double per_node = BytesPerIdleNode(MakePrincipals(kNodes, 14, 2));
  std::printf("[ memory ] %zu idle nodes, 14-byte principals: %.1f bytes per node\n", kNodes,
              per_node);
  EXPECT_LE(per_node, 75.0);
}

// A node's first registration waits for the checkpoint in the node itself,
// not in a per-principal entry of the pending sessions (which cost some 200
// bytes a node until the checkpoint freed them).
TEST(RegistryMemory, IdleNodeCostsNoMoreBeforeTheFirstCheckpoint) {
  if (!kMallinfoCountsTheHeap) GTEST_SKIP() << "ASan's allocator is not visible to mallinfo2";
  const double per_node = BytesPerIdleNode(MakePrincipals(kNodes, 63, 4), /*checkpoint=*/false);
  std::printf("[ memory ] %zu idle nodes before a checkpoint: %.1f bytes per node\n", kNodes,
              per_node);
  EXPECT_LE(per_node, 125.0);
}

// Nodes that come and go leave their principals' bytes behind until a
// checkpoint compacts them; memory must not grow with the churn.
TEST(RegistryMemory, ChurnDoesNotGrowMemory) {
  if (!kMallinfoCountsTheHeap) GTEST_SKIP() << "ASan's allocator is not visible to mallinfo2";
  const std::vector<std::string> first = MakePrincipals(kNodes, 63, 3);
  std::vector<std::vector<std::string>> replacements;
  for (uint32_t round = 0; round < 6; ++round) {
    replacements.push_back(MakePrincipals(kNodes / 2, 63, 100 + round));
  }

  const size_t before = HeapBytesInUse();
  NodeRegistry registry;
  std::vector<NodeIndex> nodes;
  for (const std::string& p : first) nodes.push_back(registry.Connect(p, kT0, kT0));
  int64_t now = kT0;
  for (const std::vector<std::string>& round : replacements) {
    now += 60'000;
    for (size_t i = 0; i < round.size(); ++i) {
      ASSERT_TRUE(registry.Disconnect(nodes[2 * i], now));
      nodes[2 * i] = registry.Connect(round[i], now, now);
      ASSERT_NE(nodes[2 * i], kNoNode);
    }
    registry.Checkpoint(now);
  }
  const double per_node =
      static_cast<double>(HeapBytesInUse() - before) / static_cast<double>(kNodes);
  std::printf("[ memory ] %zu nodes after 6 rounds of half of them reconnecting: %.1f bytes "
              "per node\n",
              kNodes, per_node);
  EXPECT_EQ(registry.size(), kNodes);
  EXPECT_LE(per_node, 150.0);
}

}  // namespace
}  // namespace sela::nodes
