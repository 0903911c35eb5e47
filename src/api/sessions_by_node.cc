#include "api/sessions_by_node.h"

#include <cassert>

namespace sela::api {

void SessionsByNode::AddNewest(nodes::NodeIndex node, uint32_t session) {
  newest_.GrowTo(node + 1, kNone);
  next_.GrowTo(session + 1, kNone);
  assert(next_[session] == kNone && newest_[node] != session);
  next_[session] = newest_[node];
  newest_[node] = session;
}

void SessionsByNode::Replace(nodes::NodeIndex node, uint32_t was, uint32_t now) {
  uint32_t* link = LinkTo(node, was);
  if (!link) return;
  next_.GrowTo(now + 1, kNone);
  *link = now;
  next_[now] = next_[was];
  next_[was] = kNone;
}

uint32_t* SessionsByNode::LinkTo(nodes::NodeIndex node, uint32_t session) {
  if (node >= newest_.size()) return nullptr;
  uint32_t* link = &newest_[node];
  while (*link != kNone && *link != session) {
    ++steps_;
    link = &next_[*link];
  }
  return *link == session ? link : nullptr;
}

}  // namespace sela::api
