// Short-lived bearer tokens for a node's REST calls (issue 11; docs/protocol-v2.md
// "REST calls").
//
// A node that authenticated with protocol v2 gets a token in `welcome` (and
// on request); it sends `Authorization: Bearer <token>` to /api/node/*
// routes instead of naming its principal in `x-user-principal-id`, which
// anyone could do. A token is self-contained and checked without the store:
//
//   "sn1." base64url( principal (1..29 bytes) || expires_ms (8 bytes, big-endian)
//                     || HMAC-SHA256(secret, "sela-node-token" || those bytes)[0..16) )
//
// The secret is the server's (NODE_TOKEN_SECRET, or drawn at start-up: then
// tokens die with the process and nodes take a new one when they reconnect).
// Time is passed in; nothing here reads a clock.
//
// Thread-safety: free functions; safe from any thread.
#pragma once

#include <cstdint>
#include <string>
#include <string_view>

#include "core/status.h"

namespace sela::auth {

inline constexpr std::string_view kNodeTokenPrefix = "sn1.";
inline constexpr std::size_t kNodeTokenSecretBytesMin = 32;

// The token of `principal` (raw bytes, 1..29) valid until expires_ms.
std::string IssueNodeToken(std::string_view secret, std::string_view principal, int64_t expires_ms);

// The principal's raw bytes when `token` is one of ours, unaltered and not
// expired at now_ms (valid up to and including expires_ms); Unauthenticated
// saying why otherwise.
Result<std::string> VerifyNodeToken(std::string_view secret, std::string_view token, int64_t now_ms);

}  // namespace sela::auth
