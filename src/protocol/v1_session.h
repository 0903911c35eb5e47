// Pure rules of a v1 session that sit between decoding and the domain:
// where the principal comes from at connection time (ws-protocol.md §2.1),
// and the check that a message speaks for the connection's own principal
// (§13, ARCHITECTURE.md §5), which the original never made (D-2).
//
// The session glue (api/) owns the socket and calls these; they read no
// clock and keep no state.
//
// Thread-safety: free functions; safe from any thread.
#pragma once

#include <optional>
#include <string>
#include <string_view>

#include "protocol/v1_decode.h"

namespace sela::protocol::v1 {

// What the WebSocket upgrade request said about the principal. Empty means
// absent: the original ignored empty values.
struct ConnectionCredentials {
  std::string_view authorization_header = {};  // the raw Authorization header
  std::string_view authorization_query = {};   // ?authorization=, URL-decoded once
  std::string_view principal_id_query = {};    // ?principal_id=, URL-decoded once
};

// §2.1: the header wins, then ?authorization= (URL-decoded a second time,
// as the original did), then ?principal_id=. "Bearer <p>" yields <p>; any
// other value is taken whole; a remaining "Bearer " prefix is stripped once
// more. nullopt when no source is present or the result is empty: the
// principal then comes from the first frame. The result is not validated
// here; DecodeRegistration does that. Unlike the original (D-7), a
// malformed %-escape in the second decoding keeps the value as it was
// instead of crashing the server.
std::optional<std::string> PrincipalFromConnection(const ConnectionCredentials& credentials);

// The reply to send, as E3 "Authentication failed for user: <p>", when the
// message's user_principal_id differs from the session's principal;
// nullopt when they are equal and the message may proceed.
std::optional<std::string> CheckMessagePrincipal(const NodeMessage& message,
                                                 std::string_view session_principal);

}  // namespace sela::protocol::v1
