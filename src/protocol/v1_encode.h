// Encoding of node protocol v1 frames (server → client).
//
// Every JSON frame is written key by key from kReplySpecs (v1_messages.h),
// with JavaScript's number formatting, so that it matches what the original
// server's JSON.stringify produced byte for byte (ws-protocol.md §13
// "must reproduce"). Callers pass every variable part, timestamps included;
// nothing here reads a clock.
//
// Thread-safety: free functions; safe from any thread.
#pragma once

#include <cstdint>
#include <string>
#include <string_view>

#include "protocol/v1_decode.h"
#include "protocol/v1_messages.h"

namespace sela::protocol::v1 {

struct OutboundFrame {
  enum class Kind : uint8_t { kText, kBinary };
  Kind kind = Kind::kText;
  std::string payload = {};
};

enum class UnknownTypeReply : uint8_t {
  // E3 JSON text: {"function":"Error","message":"Node message handling
  // failed: Unsupported node message type: <t>","status":"ERROR"}. Default;
  // see the header comment of v1_messages.h for why.
  kJsonError,
  // The original's binary CBOR frame {"error": "Application message
  // processing failed: Invalid application message format", "timestamp"}.
  kLegacyCbor,
};

struct EncodeOptions {
  UnknownTypeReply unknown_type_reply = UnknownTypeReply::kJsonError;
};

// Values for the slots of a reply; only those the reply uses are read.
struct ReplyValues {
  std::string_view client_id = {};
  std::string_view principal = {};
  std::string_view message = {};
  std::string_view error_type = {};
  std::string_view job_type = {};
  std::string_view url = {};
  std::string_view job_id = {};
  int64_t session_id = 0;
  int64_t timestamp_ms = 0;
  int64_t post_count = 0;
  int64_t replies_count = 0;
  int64_t scroll_pause_ms = 0;
  double reward = 0;
};

// Writes the JSON of any reply from its table entry.
std::string EncodeReply(ReplyKind kind, const ReplyValues& values);

// {"success":true,"message":"Registration successful","clientId":"<id>","sessionId":<n>}
// clientId stays a string of digits and sessionId a number (§13.2).
std::string EncodeRegistered(std::string_view client_id, int64_t session_id);

// E2 {"success":false,"error":"<error>"}.
std::string EncodeFailure(std::string_view error);

// E1 {"success":false,"error":"<error>","timestamp":<now_ms>}: login or
// connect failures at registration ("Login failed: ...").
std::string EncodeFailureWithTimestamp(std::string_view error, int64_t now_ms);

std::string EncodePingReply(std::string_view principal);
std::string EncodeHaloReply(std::string_view principal);
std::string EncodeSpeedTestComplete();
std::string EncodeHeartbeatAck(int64_t now_ms);
std::string EncodeClientStatusUpdate();
std::string EncodeNoJobsAvailable(int64_t now_ms);

// A job for the node (§7.1); the reply to JOB_REQUEST when one is leased.
struct JobDispatch {
  std::string_view job_type = {};  // TWITTER_POST, TWITTER_PROFILE, HTML, ...
  std::string_view url = {};
  std::string_view job_id = {};
  std::string_view client_id = {};  // the receiving session's clientId
  int64_t post_count = 0;
  int64_t replies_count = 0;
  int64_t scroll_pause_ms = 0;
};
std::string EncodeJobDispatch(const JobDispatch& job);

// reward_points is Sela Points as a double (base units / 10^8), printed the
// way JavaScript prints numbers.
std::string EncodeJobComplete(std::string_view job_id, double reward_points, int64_t now_ms);

// E4: the result was empty (NO_DATA_FOUND).
std::string EncodeJobFailedNoData(std::string_view job_id, int64_t now_ms);

// E3 {"function":"Error","message":"<message>","status":"ERROR"}.
std::string EncodeError(std::string_view message);

// E3 with "errorType".
std::string EncodeErrorWithType(std::string_view message, std::string_view error_type);

// E3 "Node message handling failed: <detail>", for a handler that failed
// (for example the store was unavailable).
std::string EncodeHandlerFailed(std::string_view detail);

// E3 "Node message handling failed: Authentication failed for user: <p>",
// sent when the principal is not an active client or is not the session's.
std::string EncodeAuthenticationFailed(std::string_view principal);

// E3 "Error processing scrape result: <reason>" with an errorType, for
// results the jobs module refuses (kJobNotFoundReason with
// kErrorTypeInternal reproduces the original's "job not found" reply).
std::string EncodeResultRejected(std::string_view reason, std::string_view error_type);

// A message over WS_MAX_MESSAGE_BYTES that was not a result (ours):
// {"function":"Error","message":"Message of <bytes> bytes is over
// WS_MAX_MESSAGE_BYTES (<limit> bytes)","status":"ERROR","errorType":"MESSAGE_TOO_LARGE"}.
std::string EncodeMessageTooLarge(uint64_t bytes, uint64_t limit);

// The reply the original sent for a decode failure (with the changes listed
// in docs/PROTOCOL-V1.md). Binary only for kUnknownType in legacy mode.
OutboundFrame EncodeDecodeError(const DecodeError& error, int64_t now_ms,
                                const EncodeOptions& options);

}  // namespace sela::protocol::v1
