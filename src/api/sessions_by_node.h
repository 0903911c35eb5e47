// SessionsByNode: the registered sessions of each live node, so that what
// concerns one node (a disconnect, a registration past the session limit,
// an admin message) touches that node's sessions only, never every session
// of the process: when 10,000 nodes leave at once, a scan of all sessions
// per disconnect was 10^8 steps on the event loop.
//
// Sessions are named by their index in NodeSessions' session array. Each
// node's sessions form a chain through those indices, its newest session
// first (the one jobs go to). Memory: 4 bytes per node (the chain's head)
// and 4 per session index (the link); nothing for a connection that has no
// registered session.
//
// Thread-safety: none; owned by the event loop's thread.
#pragma once

#include <cstdint>

#include "core/block_array.h"
#include "nodes/registry.h"

namespace sela::api {

class SessionsByNode {
 public:
  static constexpr uint32_t kNone = 0xffffffffu;

  // The node's newest session, or kNone.
  uint32_t Newest(nodes::NodeIndex node) const { return node < newest_.size() ? newest_[node] : kNone; }

  // `session` (in no chain) joins `node` as its newest.
  void AddNewest(nodes::NodeIndex node, uint32_t session);

  // `session` leaves `node`. When it was the newest, the remaining session
  // with the highest newer_key(session) becomes the newest. O(sessions of
  // the node).
  template <typename KeyFn>
  void Remove(nodes::NodeIndex node, uint32_t session, KeyFn newer_key) {
    uint32_t* link = LinkTo(node, session);
    if (!link) return;
    const bool was_newest = link == &newest_[node];
    *link = next_[session];
    next_[session] = kNone;
    if (!was_newest || newest_[node] == kNone) return;
    uint32_t* best = &newest_[node];
    for (uint32_t* at = &next_[newest_[node]]; *at != kNone; at = &next_[*at]) {
      ++steps_;
      if (newer_key(*at) > newer_key(*best)) best = at;
    }
    if (best == &newest_[node]) return;
    const uint32_t chosen = *best;
    *best = next_[chosen];
    next_[chosen] = newest_[node];
    newest_[node] = chosen;
  }

  // `now` (in no chain) takes the place of `was` among the node's sessions
  // (a v2 session resumed on another connection).
  void Replace(nodes::NodeIndex node, uint32_t was, uint32_t now);

  // Calls fn(session) for each session of the node, newest first; fn must
  // not change the node's chain.
  template <typename Fn>
  void ForEach(nodes::NodeIndex node, Fn fn) const {
    for (uint32_t s = Newest(node); s != kNone; s = next_[s]) {
      ++steps_;
      fn(s);
    }
  }

  // Links followed so far (tests and bench/ read it: the work per call is
  // bounded by a node's sessions, whatever the number of nodes).
  uint64_t steps() const { return steps_; }

 private:
  // The link that points at `session` in the node's chain, or nullptr.
  uint32_t* LinkTo(nodes::NodeIndex node, uint32_t session);

  BlockArray<uint32_t> newest_;  // By node: the chain's head.
  BlockArray<uint32_t> next_;    // By session: the next older in its chain.
  mutable uint64_t steps_ = 0;
};

}  // namespace sela::api
