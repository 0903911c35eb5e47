// NodeSessions' parts shared by its source files (node_sessions*.cc).
// Internal to src/api.
#pragma once

#include <deque>
#include <optional>
#include <string>
#include <vector>

#include "api/node_sessions.h"
#include "protocol/v2_handshake.h"

namespace sela::api {

// What a connection needs only until it has registered, or while input
// waits behind a store operation: an idle registered session has none.
struct NodeSessions::Pending {
  // Messages that arrived while a store operation was in flight. A vector
  // used as a FIFO: empty, it allocates nothing (a std::deque allocates
  // ~580 B at once, per awaiting connection: tests/hostile test_6).
  struct Fifo {
    std::vector<std::string> items;
    size_t head = 0;
    size_t size() const { return items.size() - head; }
    bool empty() const { return head == items.size(); }
    void emplace_back(std::string_view text) { items.emplace_back(text); }
    std::string& front() { return items[head]; }
    void pop_front() {
      if (++head == items.size()) {
        items.clear();
        head = 0;
      }
    }
  } queue;
  uint64_t queued_bytes = 0;
  std::optional<protocol::v2::Handshake> handshake;
};

}  // namespace sela::api
