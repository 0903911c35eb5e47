#include "core/block_array.h"

#include <gtest/gtest.h>

#include <cstdint>

namespace sela {
namespace {

TEST(BlockArray, GrowsWithoutMovingElements) {
  BlockArray<uint64_t, 4> array;
  EXPECT_TRUE(array.empty());
  array.GrowTo(3, 7);
  ASSERT_EQ(array.size(), 3u);
  const uint64_t* first = &array[0];
  for (uint64_t i = 0; i < 10; ++i) array.push_back(100 + i);
  ASSERT_EQ(array.size(), 13u);
  EXPECT_EQ(&array[0], first);
  EXPECT_EQ(array[2], 7u);
  EXPECT_EQ(array[3], 100u);
  EXPECT_EQ(array.back(), 109u);
  array.GrowTo(5);  // Never shrinks.
  EXPECT_EQ(array.size(), 13u);
}

TEST(BlockArray, PopBackThenPushBackOverwrites) {
  BlockArray<uint32_t, 4> array;
  for (uint32_t i = 0; i < 6; ++i) array.push_back(i);
  array.pop_back();
  array.pop_back();
  EXPECT_EQ(array.size(), 4u);
  EXPECT_EQ(array.back(), 3u);
  array.push_back(40);
  array.GrowTo(7, 9);
  EXPECT_EQ(array[4], 40u);
  EXPECT_EQ(array[5], 9u);
  EXPECT_EQ(array[6], 9u);
}

TEST(BlockArray, IteratesInIndexOrderAcrossBlocks) {
  BlockArray<uint32_t, 4> array;
  for (uint32_t i = 0; i < 10; ++i) array.push_back(i * 3);
  uint32_t expected = 0;
  for (uint32_t& x : array) {
    EXPECT_EQ(x, expected * 3);
    x += 1;
    ++expected;
  }
  EXPECT_EQ(expected, 10u);
  const BlockArray<uint32_t, 4>& view = array;
  uint32_t sum = 0;
  for (const uint32_t& x : view) sum += x;
  EXPECT_EQ(sum, 3 * 45 + 10);
  BlockArray<uint32_t, 4> empty;
  for (uint32_t x : empty) ADD_FAILURE() << x;
}

}  // namespace
}  // namespace sela
