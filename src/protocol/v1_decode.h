// Decoding and validation of node protocol v1 frames (client → server).
//
// Pure: no I/O, no clock. A payload is the bytes of one WebSocket data
// message; text and binary frames are treated alike, as the original did.
// Every message type, field and limit comes from v1_messages.h.
//
// On failure the decoder returns a DecodeError whose kind tells the session
// which legacy reply to send (EncodeDecodeError in v1_encode.h builds it):
// a Status alone could not carry that, because the original answered
// different failures with different envelopes (E1, E2, E3).
//
// What we accept beyond the original (all "safe to change", see
// docs/PROTOCOL-V1.md): speed-test `data` as a JSON string or a numeric
// string, CLIENT_STATUS `data` as an object, `speed` as a fallback for
// `downloadSpeed`. What we refuse that it accepted: non-string principals
// and job ids, principals and job ids with blanks or control characters,
// values above the limits in DecodeOptions, non-finite or out-of-range
// numbers, and client-sent job kinds (TWITTER_POST, HTML, ...), which are
// unknown types here (ARCHITECTURE.md §6).
//
// Thread-safety: free functions; safe from any thread.
#pragma once

#include <boost/json/value.hpp>
#include <expected>
#include <optional>
#include <string>
#include <string_view>
#include <variant>

#include "core/status.h"
#include "protocol/v1_messages.h"

namespace sela::protocol::v1 {

// The registration frame, after applying §2.3 step 1.
struct Registration {
  std::string principal_id = {};
  // True when the principal came with the connection and the frame itself
  // was not looked at.
  bool from_connection = false;
};

struct Ping {
  static constexpr MessageType kType = MessageType::kPing;
  std::string user_principal_id = {};
};

struct SpeedTest {
  static constexpr MessageType kType = MessageType::kSpeedTest;
  std::string user_principal_id = {};
  double download_mbps = 0;
  std::optional<double> upload_mbps = {};
  std::optional<double> ping_ms = {};
  std::optional<double> jitter_ms = {};
};

struct Halo {
  static constexpr MessageType kType = MessageType::kHalo;
  std::string user_principal_id = {};
};

struct Heartbeat {
  static constexpr MessageType kType = MessageType::kHeartbeat;
  std::string user_principal_id = {};
};

struct ClientStatus {
  static constexpr MessageType kType = MessageType::kClientStatus;
  std::string user_principal_id = {};
  // nullopt leaves the status as it is; the original deactivated the node
  // when `isActive` was missing (D-20).
  std::optional<bool> is_active = {};
  std::optional<std::string> app_version = {};
  std::optional<std::string> platform = {};
};

struct JobRequest {
  static constexpr MessageType kType = MessageType::kJobRequest;
  std::string user_principal_id = {};
};

struct ScrapeResult {
  static constexpr MessageType kType = MessageType::kScrapeResult;
  std::string user_principal_id = {};
  std::string job_id = {};
  // What the original would have stored: a JSON string value for text (raw
  // HTML, or a `content` string), any other JSON value as data. nullopt is
  // an empty result, answered with JobFailed / NO_DATA_FOUND.
  std::optional<boost::json::value> content = {};
  // The result is this uploaded file (POST /api/files with the job_id, its
  // chunks, complete), instead of `data`: for results over the WebSocket
  // message limit.
  std::optional<std::string> file_id = {};
};

using NodeMessage =
    std::variant<Ping, SpeedTest, Halo, Heartbeat, ClientStatus, JobRequest, ScrapeResult>;

MessageType TypeOf(const NodeMessage& message);
const std::string& PrincipalOf(const NodeMessage& message);

enum class DecodeErrorKind : uint8_t {
  kNotJson,              // Not JSON, or JSON null. → E2 "Message processing failed: ..."
  kTooLarge,             // Above the type's byte limit. → E1
  kUnknownType,          // No node message of that name. → E3 (or legacy CBOR E5)
  kMissingField,         // `text` or `user_principal_id` missing or falsy. → E1, exact text
  kInvalidField,         // `user_principal_id` of the wrong type or form. → E1
  kInvalidData,          // The type's own fields are bad. → the table's invalid_data
  kInvalidRegistration,  // Not JSON, or no `principal_id`. → E2, exact legacy text
  kInvalidPrincipal,     // The principal (frame or connection) is malformed. → E2
};

struct DecodeError {
  DecodeErrorKind kind = DecodeErrorKind::kNotJson;
  // Set once the frame named a known type.
  std::optional<MessageType> type = {};
  // kUnknownType: the name as sent, cut to DecodeOptions::type_bytes_max
  // on a UTF-8 boundary; empty when the frame named no type at all.
  std::string type_name = {};
  // What was wrong, for logs and for replies that carry an explanation.
  std::string detail = {};

  // ResourceExhausted for kTooLarge, InvalidArgument otherwise.
  Status ToStatus() const;
};

template <typename T>
using DecodeResult = std::expected<T, DecodeError>;

// §2.3 step 1. When the connection named a principal (see
// PrincipalFromConnection), the payload is ignored entirely, as the original
// did; otherwise it must be a JSON object with a string `principal_id`.
// Either way the principal must be 1..principal_id_bytes_max bytes of
// visible ASCII.
DecodeResult<Registration> DecodeRegistration(std::string_view payload,
                                              const std::optional<std::string>& connection_principal,
                                              const DecodeOptions& options);

// A data frame on a registered connection (§3, §4).
DecodeResult<NodeMessage> DecodeNodeMessage(std::string_view payload, const DecodeOptions& options);

// Principals and job ids: 1..bytes_max bytes, each a visible ASCII
// character (0x21..0x7E). Real principals are base32 with dashes and job
// ids are ASCII; refusing blanks, non-ASCII and control characters keeps
// them safe to use in logs, store keys and file names.
Status ValidateIdText(std::string_view field, std::string_view text, std::size_t bytes_max);

}  // namespace sela::protocol::v1
