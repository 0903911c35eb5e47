// JobEngine memory per idle live node, measured with glibc's mallinfo2() (the
// allocator's own count, so the figure is deterministic for a given build).
// The server's target is 512 bytes per idle registered node in all
// (docs/BENCHMARKS.md); the engine's share is its node slot and its place in
// the ranking.
#include <gtest/gtest.h>
#include <malloc.h>

#include <cstdio>
#include <string_view>

#include "jobs/engine.h"

namespace sela::jobs {
namespace {

constexpr uint32_t kNodes = 19'000;

size_t HeapBytesInUse() {
  const struct mallinfo2 info = mallinfo2();
  return info.uordblks + info.hblkhd;
}

#if defined(__SANITIZE_ADDRESS__)
constexpr bool kMallinfoCountsTheHeap = false;
#else
constexpr bool kMallinfoCountsTheHeap = true;
#endif

EngineOptions Options() {
  return EngineOptions{.lease_ms = 300'000,
                       .max_attempts = 3,
                       .principal_of = [](nodes::NodeIndex) { return std::string_view("p"); },
                       .index_of = [](std::string_view) { return nodes::kNoNode; }};
}

// As in the server: a node is added when it registers and updated when its
// first speed test arrives, which moves it in the ranking.
TEST(EngineMemory, IdleNodeCostsLessThan32Bytes) {
  if (!kMallinfoCountsTheHeap) GTEST_SKIP() << "ASan's allocator is not visible to mallinfo2";
  const size_t before = HeapBytesInUse();
  JobEngine engine(Options());
  for (nodes::NodeIndex i = 0; i < kNodes; ++i) engine.UpsertNode(i, 10, 0.0f);
  for (nodes::NodeIndex i = 0; i < kNodes; ++i) {
    engine.UpsertNode(i, 10, static_cast<float>(i % 100));
  }
  const double per_node =
      static_cast<double>(HeapBytesInUse() - before) / static_cast<double>(kNodes);
  std::printf("[ memory ] %u idle nodes in the job engine: %.1f bytes per node\n", kNodes,
              per_node);
  EXPECT_EQ(engine.live_nodes(), kNodes);
  EXPECT_EQ(engine.free_slots(), uint64_t{10} * kNodes);
  EXPECT_LE(per_node, 32.0);
}

// Nodes that come and go reuse their slots (the registry reuses indices) and
// their places in the ranking: memory stays where it was.
TEST(EngineMemory, ChurnDoesNotGrowMemory) {
  if (!kMallinfoCountsTheHeap) GTEST_SKIP() << "ASan's allocator is not visible to mallinfo2";
  JobEngine engine(Options());
  for (nodes::NodeIndex i = 0; i < kNodes; ++i) engine.UpsertNode(i, 10, 1.0f);
  const size_t before = HeapBytesInUse();
  for (uint32_t round = 0; round < 10; ++round) {
    for (nodes::NodeIndex i = round % 2; i < kNodes; i += 2) {
      ASSERT_TRUE(engine.RemoveNode(i).empty());
      engine.UpsertNode(i, 1 + (i + round) % 10, static_cast<float>(round));
    }
  }
  EXPECT_EQ(engine.live_nodes(), kNodes);
  EXPECT_EQ(HeapBytesInUse(), before);
}

}  // namespace
}  // namespace sela::jobs
