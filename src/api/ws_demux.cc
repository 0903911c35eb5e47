#include "api/ws_demux.h"

#include "net/http_types.h"

namespace sela::api {

bool IsAdminFeedPath(std::string_view path) {
  if (path.size() == kAdminFeedPath.size() + 1 && path.back() == '/') path.remove_suffix(1);
  return net::EqualsIgnoreCase(path, kAdminFeedPath);
}

void WsDemux::OnWsOpen(net::ConnId id, const net::HttpRequest& request) {
  if (IsAdminFeedPath(request.path)) {
    feed_ids_.insert(id);
    feed_.OnWsOpen(id, request);
    return;
  }
  nodes_.OnWsOpen(id, request);
}

void WsDemux::OnWsMessage(net::ConnId id, bool text, std::string_view payload) {
  For(id).OnWsMessage(id, text, payload);
}

void WsDemux::OnWsClosed(net::ConnId id, uint16_t code) {
  net::WsHandler& handler = For(id);
  feed_ids_.erase(id);
  handler.OnWsClosed(id, code);
}

void WsDemux::OnWsDeadline(net::ConnId id) { For(id).OnWsDeadline(id); }

bool WsDemux::OnWsTooBig(net::ConnId id, bool text, uint64_t bytes) { return For(id).OnWsTooBig(id, text, bytes); }

void WsDemux::OnWsTooBigData(net::ConnId id, std::string_view piece, bool last) {
  For(id).OnWsTooBigData(id, piece, last);
}
void WsDemux::OnWsPong(net::ConnId id, std::string_view payload) { For(id).OnWsPong(id, payload); }

}  // namespace sela::api
