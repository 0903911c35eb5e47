#include "api/sessions_by_node.h"

#include <gtest/gtest.h>

#include <vector>

namespace sela::api {
namespace {

constexpr uint32_t kNone = SessionsByNode::kNone;

std::vector<uint32_t> SessionsOf(const SessionsByNode& index, nodes::NodeIndex node) {
  std::vector<uint32_t> out;
  index.ForEach(node, [&](uint32_t s) { out.push_back(s); });
  return out;
}

TEST(SessionsByNode, ForgettingASessionTouchesOnlyItsNodesSessions) {
  // 10,000 nodes with one session each, session i on node i.
  SessionsByNode index;
  constexpr uint32_t kNodes = 10'000;
  for (uint32_t i = 0; i < kNodes; ++i) index.AddNewest(i, i);
  const auto key = [](uint32_t s) { return int64_t{s}; };
  const uint64_t before = index.steps();
  // They all leave: no session of another node is looked at.
  for (uint32_t i = 0; i < kNodes; ++i) index.Remove(i, i, key);
  EXPECT_EQ(index.steps() - before, 0u);
  for (uint32_t i = 0; i < kNodes; i += 999) EXPECT_EQ(index.Newest(i), kNone);
}

TEST(SessionsByNode, TheNewestLeavingHandsOverToTheNextNewest) {
  SessionsByNode index;
  // Node 7's sessions 3, 1, 5 joined in that order; their keys (clientIds)
  // say 5 is newer than 1, and 1 newer than 3. Node 8 has session 2.
  const std::vector<int64_t> client_id = {0, 20, 50, 10, 0, 30};
  const auto key = [&](uint32_t s) { return client_id[s]; };
  index.AddNewest(7, 3);
  index.AddNewest(8, 2);
  index.AddNewest(7, 1);
  index.AddNewest(7, 5);
  EXPECT_EQ(index.Newest(7), 5u);
  EXPECT_EQ(SessionsOf(index, 7), (std::vector<uint32_t>{5, 1, 3}));
  // An older one leaving changes nothing for the newest.
  index.Remove(7, 3, key);
  EXPECT_EQ(index.Newest(7), 5u);
  index.AddNewest(7, 3);  // Back, now newest by order of joining.
  EXPECT_EQ(index.Newest(7), 3u);
  // The newest leaves: the highest key among the rest takes over (5 of 1, 5).
  index.Remove(7, 3, key);
  EXPECT_EQ(index.Newest(7), 5u);
  index.Remove(7, 5, key);
  EXPECT_EQ(index.Newest(7), 1u);
  EXPECT_EQ(SessionsOf(index, 7), (std::vector<uint32_t>{1}));
  EXPECT_EQ(SessionsOf(index, 8), (std::vector<uint32_t>{2}));
  index.Remove(7, 1, key);
  EXPECT_EQ(index.Newest(7), kNone);
  EXPECT_TRUE(SessionsOf(index, 7).empty());
  // Unknown sessions and nodes are ignored.
  index.Remove(7, 1, key);
  index.Remove(12345, 1, key);
  EXPECT_EQ(SessionsOf(index, 8), (std::vector<uint32_t>{2}));
}

TEST(SessionsByNode, AResumedSessionTakesThePlaceOfTheOneItReplaces) {
  SessionsByNode index;
  index.AddNewest(4, 0);
  index.AddNewest(4, 1);
  index.Replace(4, 0, 9);  // An older one: the newest stays.
  EXPECT_EQ(SessionsOf(index, 4), (std::vector<uint32_t>{1, 9}));
  index.Replace(4, 1, 6);  // The newest: its replacement is the newest.
  EXPECT_EQ(SessionsOf(index, 4), (std::vector<uint32_t>{6, 9}));
  // The replaced session can join again elsewhere.
  index.AddNewest(5, 1);
  EXPECT_EQ(SessionsOf(index, 5), (std::vector<uint32_t>{1}));
  EXPECT_EQ(SessionsOf(index, 4), (std::vector<uint32_t>{6, 9}));
}

TEST(SessionsByNode, ANodeWithNoSessionsHasNone) {
  SessionsByNode index;
  EXPECT_EQ(index.Newest(0), kNone);
  EXPECT_EQ(index.Newest(nodes::kNoNode), kNone);
  EXPECT_TRUE(SessionsOf(index, nodes::kNoNode).empty());
}

}  // namespace
}  // namespace sela::api
