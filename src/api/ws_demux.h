// WsDemux: the one WsHandler the server calls, sending each WebSocket to
// the handler of its upgrade path. Node connections may use any path (the
// original accepted them anywhere), so everything but the dashboard feed's
// path goes to the node sessions.
//
// Cost on the node hot path: while no feed connection is open, one branch;
// otherwise one hash lookup per callback.
//
// Threading: the event loop's thread, like the handlers.
#pragma once

#include <string_view>
#include <unordered_set>

#include "net/server.h"

namespace sela::api {

// GET /admin/feed, matched like router paths (case-insensitive, one
// trailing slash allowed).
inline constexpr std::string_view kAdminFeedPath = "/admin/feed";
bool IsAdminFeedPath(std::string_view path);

class WsDemux final : public net::WsHandler {
 public:
  WsDemux(net::WsHandler& nodes, net::WsHandler& feed) : nodes_(nodes), feed_(feed) {}

  void OnWsOpen(net::ConnId id, const net::HttpRequest& request) override;
  void OnWsMessage(net::ConnId id, bool text, std::string_view payload) override;
  void OnWsClosed(net::ConnId id, uint16_t code) override;
  void OnWsDeadline(net::ConnId id) override;
  bool OnWsTooBig(net::ConnId id, bool text, uint64_t bytes) override;
  void OnWsTooBigData(net::ConnId id, std::string_view piece, bool last) override;
  // Node uptime counts only from answered pings (node_sessions.h).
  void OnWsPong(net::ConnId id, std::string_view payload) override;

 private:
  net::WsHandler& For(net::ConnId id) const {
    return feed_ids_.empty() || !feed_ids_.contains(id) ? nodes_ : feed_;
  }

  net::WsHandler& nodes_;
  net::WsHandler& feed_;
  // Bounded by the server's connection limit; the feed closes what is over
  // its own viewer limit at once.
  std::unordered_set<net::ConnId> feed_ids_;
};

}  // namespace sela::api
