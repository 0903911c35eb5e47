// Node protocol v1 described as data: every message a legacy node app sends,
// every frame the server sends back, with field names, limits and the exact
// strings of the original TypeScript server
// (shared/reference/original/ws-protocol.md §2, §4, §7, §10).
//
// The decoder (v1_decode.h) dispatches on kMessageSpecs and validates the
// fields listed here; the encoder (v1_encode.h) writes replies key by key
// from kReplySpecs; docs/PROTOCOL-V1.md and the tests walk the same arrays,
// so a message added here is a message added everywhere.
//
// Unknown message types are answered with a JSON text frame (E3,
// `{"function":"Error",...}`) by default, not with the original's binary
// CBOR frame (E5): the original only sent CBOR there because unknown types
// fell into its RPC-envelope handler (§3 step 7, defect D-24), and a
// JSON-only client cannot decode that frame at all, while every client
// already handles E3 because authorisation failures use it.
// EncodeOptions::unknown_type_reply can restore the CBOR frame.
//
// Thread-safety: constant data; safe from any thread.
#pragma once

#include <cstddef>
#include <cstdint>
#include <span>
#include <string_view>

namespace sela::protocol::v1 {

// Every limit the decoder enforces. Sizes are bytes of UTF-8.
struct DecodeOptions {
  // The first data frame of a connection, when it has to be parsed.
  std::size_t registration_bytes_max = 16 * 1024;
  // Any node message other than a scrape result.
  std::size_t message_bytes_max = 64 * 1024;
  // A TWITTER_SCRAPE_RESULT frame, result included. The WebSocket layer's
  // WS_MAX_MESSAGE_BYTES applies first, so raise both together.
  std::size_t result_bytes_max = 16 * 1024 * 1024;
  // Nesting of the frame and of any JSON text carried inside `data`.
  std::size_t json_depth_max = 64;
  // IC principals are at most 63 characters; test principals are opaque
  // strings, so the limit leaves room without inviting abuse.
  std::size_t principal_id_bytes_max = 128;
  std::size_t job_id_bytes_max = 128;
  // The `text`/`type` field; longer values cannot name a known type, and an
  // unknown one is echoed in the error reply cut to this length.
  std::size_t type_bytes_max = 64;
  // CLIENT_STATUS `appVersion` and `platform` (informational).
  std::size_t status_text_bytes_max = 64;
  // Speed-test figures: megabits per second and milliseconds.
  double speed_mbps_max = 100'000;
  double latency_ms_max = 60'000;
};

enum class MessageType : uint8_t {
  kRegistration,  // The first data frame of a connection.
  kPing,
  kSpeedTest,  // INTERNET_SPEED_TEST and SPEED_TEST.
  kHalo,
  kHeartbeat,
  kClientStatus,
  kJobRequest,
  kScrapeResult,  // TWITTER_SCRAPE_RESULT.
};

// Every frame the server sends on a v1 connection (ws-protocol.md §10).
enum class ReplyKind : uint8_t {
  kRegistered,             // {"success":true,...,"clientId","sessionId"}
  kFailure,                // E2 {"success":false,"error"}
  kFailureWithTimestamp,   // E1 {"success":false,"error","timestamp"}
  kPingNotification,       // Notification "Client connect open"
  kHaloNotification,       // Notification "HALO received"
  kSpeedTestComplete,
  kHeartbeatAck,
  kClientStatusUpdate,
  kNoJobsAvailable,
  kJobDispatch,            // TWITTER_SCRAPE, server-initiated (§7.1)
  kJobComplete,
  kJobFailed,              // E4, NO_DATA_FOUND
  kError,                  // E3 {"function":"Error","message","status":"ERROR"}
  kErrorWithType,          // E3 with "errorType"
};

enum class FieldType : uint8_t { kString, kNumber, kBool, kAny };

enum class Presence : uint8_t {
  kRequired,
  kOptional,
  kIgnored,  // Accepted and discarded, as the original did.
};

struct FieldSpec {
  std::string_view name;
  FieldType type;
  Presence presence;
  // The limit that applies to a string field; nullptr when none does.
  std::size_t DecodeOptions::*bytes_max = nullptr;
  std::string_view meaning;
};

// What the node receives when a recognised message carries bad `data`.
struct InvalidDataReply {
  ReplyKind reply;  // kError or kErrorWithType
  std::string_view message;
  // Whether the validator's explanation is appended to `message`. Off where
  // the original's exact text is kept, so old clients see what they know.
  bool append_detail;
  std::string_view error_type = {};
};

struct MessageSpec {
  MessageType type;
  // Values of `text` that select this message; empty for registration.
  std::span<const std::string_view> names;
  bool requires_registration;
  // Top-level fields besides the common envelope (kEnvelopeFields).
  std::span<const FieldSpec> fields;
  // Keys read inside `data` (after parsing it when it is a JSON string).
  std::span<const FieldSpec> data_fields;
  std::size_t DecodeOptions::*payload_bytes_max;
  ReplyKind reply;                         // The reply on success.
  std::span<const ReplyKind> other_replies;  // Other outcomes of the handler.
  InvalidDataReply invalid_data;
  std::string_view summary;
};

// A value in a reply: a literal, or a slot the caller fills.
enum class Slot : uint8_t {
  kLiteral,  // The string in ReplyField::literal.
  kTrue,
  kFalse,
  kClientId,     // string
  kSessionId,    // number
  kTimestamp,    // number, epoch milliseconds
  kPrincipal,    // string
  kMessage,      // string
  kErrorType,    // string
  kJobType,      // string
  kUrl,          // string
  kJobId,        // string
  kPostCount,    // number
  kRepliesCount, // number
  kScrollPause,  // number, milliseconds
  kReward,       // number, Sela Points as JavaScript printed them
};

struct ReplyField {
  std::string_view key;
  Slot slot;
  std::string_view literal = {};
};

struct ReplySpec {
  ReplyKind kind;
  std::string_view name;  // `function` value, or a label for success:* frames
  std::span<const ReplyField> fields;  // in wire order
  std::string_view when;
};

// Strings the original sent, referenced by the tables and the encoder.
inline constexpr std::string_view kRegistrationInvalidText =
    "Registration failed: Invalid JSON message format";
inline constexpr std::string_view kRegistrationFailedPrefix = "Registration failed: ";
inline constexpr std::string_view kMissingFieldsText =
    "Node message processing failed: Missing required fields in application message";
inline constexpr std::string_view kEnvelopeFailedPrefix = "Node message processing failed: ";
inline constexpr std::string_view kMessageProcessingFailedPrefix = "Message processing failed: ";
inline constexpr std::string_view kHandlerFailedPrefix = "Node message handling failed: ";
inline constexpr std::string_view kUnsupportedTypePrefix =
    "Node message handling failed: Unsupported node message type: ";
inline constexpr std::string_view kAuthenticationFailedPrefix =
    "Node message handling failed: Authentication failed for user: ";
inline constexpr std::string_view kSpeedTestInvalidText =
    "Node message handling failed: Failed to process speed test data: "
    "Failed to update speed: Invalid speed data";
inline constexpr std::string_view kClientStatusInvalidText = "Invalid status data format";
inline constexpr std::string_view kScrapeResultErrorPrefix = "Error processing scrape result: ";
// The original's reply when a result names a job it cannot find.
inline constexpr std::string_view kJobNotFoundReason = "Failed to update job: Job not found";
inline constexpr std::string_view kErrorTypeInternal = "INTERNAL_SERVER_ERROR";
// Ours: a result frame that fails validation (bad job_id, oversized, too deep).
inline constexpr std::string_view kErrorTypeInvalidResult = "INVALID_RESULT";
// The binary E5 frame's text, kept for EncodeOptions' legacy mode.
inline constexpr std::string_view kLegacyUnknownTypeText =
    "Application message processing failed: Invalid application message format";

// Fields common to every node message (ws-protocol.md §4.1).
inline constexpr FieldSpec kEnvelopeFields[] = {
    {"text", FieldType::kString, Presence::kRequired, &DecodeOptions::type_bytes_max,
     "Message type. A frame naming its type only in `type` is routed but then fails the "
     "required-field check, as in the original."},
    {"user_principal_id", FieldType::kString, Presence::kRequired,
     &DecodeOptions::principal_id_bytes_max,
     "Principal the message speaks for; must equal the connection's principal."},
    {"data", FieldType::kAny, Presence::kOptional, nullptr, "Payload; meaning per type."},
    {"node_client_id", FieldType::kAny, Presence::kIgnored, nullptr,
     "Ignored; the server uses the session's clientId."},
    {"post_count", FieldType::kNumber, Presence::kIgnored, nullptr, "Ignored on input."},
    {"replies_count", FieldType::kNumber, Presence::kIgnored, nullptr, "Ignored on input."},
    {"scrollPauseTime", FieldType::kNumber, Presence::kIgnored, nullptr, "Ignored on input."},
};

inline constexpr std::string_view kPingNames[] = {"PING"};
inline constexpr std::string_view kSpeedTestNames[] = {"INTERNET_SPEED_TEST", "SPEED_TEST"};
inline constexpr std::string_view kHaloNames[] = {"HALO"};
inline constexpr std::string_view kHeartbeatNames[] = {"HEARTBEAT"};
inline constexpr std::string_view kClientStatusNames[] = {"CLIENT_STATUS"};
inline constexpr std::string_view kJobRequestNames[] = {"JOB_REQUEST"};
inline constexpr std::string_view kScrapeResultNames[] = {"TWITTER_SCRAPE_RESULT"};

inline constexpr FieldSpec kRegistrationFields[] = {
    {"principal_id", FieldType::kString, Presence::kRequired,
     &DecodeOptions::principal_id_bytes_max,
     "Principal of the node; read only when the connection did not name one "
     "(Authorization header, ?authorization= or ?principal_id=)."},
};

inline constexpr FieldSpec kSpeedDataFields[] = {
    {"downloadSpeed", FieldType::kNumber, Presence::kRequired, nullptr,
     "Mbps; a number or a numeric string. `data` may also be a bare number."},
    {"speed", FieldType::kNumber, Presence::kOptional, nullptr,
     "Mbps; used when downloadSpeed is absent."},
    {"uploadSpeed", FieldType::kNumber, Presence::kOptional, nullptr, "Mbps."},
    {"ping", FieldType::kNumber, Presence::kOptional, nullptr, "Milliseconds."},
    {"jitter", FieldType::kNumber, Presence::kOptional, nullptr, "Milliseconds."},
};

inline constexpr FieldSpec kClientStatusDataFields[] = {
    {"isActive", FieldType::kBool, Presence::kOptional, nullptr,
     "true = Active, false = Inactive; absent leaves the status unchanged."},
    {"appVersion", FieldType::kString, Presence::kOptional, &DecodeOptions::status_text_bytes_max,
     "Informational; ignored unless a string within the limit."},
    {"platform", FieldType::kString, Presence::kOptional, &DecodeOptions::status_text_bytes_max,
     "Informational; ignored unless a string within the limit."},
    {"memoryUsage", FieldType::kAny, Presence::kIgnored, nullptr, "Ignored."},
    {"cpuUsage", FieldType::kAny, Presence::kIgnored, nullptr, "Ignored."},
};

inline constexpr FieldSpec kScrapeResultFields[] = {
    {"job_id", FieldType::kString, Presence::kRequired, &DecodeOptions::job_id_bytes_max,
     "The job_id of the TWITTER_SCRAPE dispatch being answered."},
    {"file_id", FieldType::kString, Presence::kOptional, &DecodeOptions::job_id_bytes_max,
     "Ours: the result is this uploaded file (tied to the job, complete) instead of `data`, "
     "for results over the message limit."},
};

inline constexpr FieldSpec kScrapeResultDataFields[] = {
    {"content", FieldType::kAny, Presence::kOptional, nullptr,
     "The result, preferred over `result`; an empty array means no data."},
    {"result", FieldType::kAny, Presence::kOptional, nullptr, "The result when no `content`."},
};

inline constexpr ReplyKind kRegistrationOtherReplies[] = {ReplyKind::kFailure,
                                                          ReplyKind::kFailureWithTimestamp};
inline constexpr ReplyKind kCommonOtherReplies[] = {ReplyKind::kError};
inline constexpr ReplyKind kJobRequestOtherReplies[] = {ReplyKind::kJobDispatch, ReplyKind::kError};
inline constexpr ReplyKind kScrapeResultOtherReplies[] = {
    ReplyKind::kJobFailed, ReplyKind::kErrorWithType, ReplyKind::kError};

// Data-level failures of messages whose `data` is ignored cannot happen;
// this entry only gives them a well-formed value.
inline constexpr InvalidDataReply kGenericInvalidData = {ReplyKind::kError, kHandlerFailedPrefix,
                                                         true};

inline constexpr MessageSpec kMessageSpecs[] = {
    {.type = MessageType::kRegistration,
     .names = {},
     .requires_registration = false,
     .fields = kRegistrationFields,
     .data_fields = {},
     .payload_bytes_max = &DecodeOptions::registration_bytes_max,
     .reply = ReplyKind::kRegistered,
     .other_replies = kRegistrationOtherReplies,
     .invalid_data = {ReplyKind::kFailure, kRegistrationFailedPrefix, true},
     .summary = "First data frame of a connection. Ignored entirely when the connection "
                "named the principal; otherwise a JSON object with principal_id."},
    {.type = MessageType::kPing,
     .names = kPingNames,
     .requires_registration = true,
     .fields = {},
     .data_fields = {},
     .payload_bytes_max = &DecodeOptions::message_bytes_max,
     .reply = ReplyKind::kPingNotification,
     .other_replies = kCommonOtherReplies,
     .invalid_data = kGenericInvalidData,
     .summary = "Marks the node connected and alive; `data` is ignored."},
    {.type = MessageType::kSpeedTest,
     .names = kSpeedTestNames,
     .requires_registration = true,
     .fields = {},
     .data_fields = kSpeedDataFields,
     .payload_bytes_max = &DecodeOptions::message_bytes_max,
     .reply = ReplyKind::kSpeedTestComplete,
     .other_replies = kCommonOtherReplies,
     .invalid_data = {ReplyKind::kError, kSpeedTestInvalidText, false},
     .summary = "Speed sample. `data` is an object, a number, or a JSON string holding either."},
    {.type = MessageType::kHalo,
     .names = kHaloNames,
     .requires_registration = true,
     .fields = {},
     .data_fields = {},
     .payload_bytes_max = &DecodeOptions::message_bytes_max,
     .reply = ReplyKind::kHaloNotification,
     .other_replies = kCommonOtherReplies,
     .invalid_data = kGenericInvalidData,
     .summary = "Greeting; no state change."},
    {.type = MessageType::kHeartbeat,
     .names = kHeartbeatNames,
     .requires_registration = true,
     .fields = {},
     .data_fields = {},
     .payload_bytes_max = &DecodeOptions::message_bytes_max,
     .reply = ReplyKind::kHeartbeatAck,
     .other_replies = kCommonOtherReplies,
     .invalid_data = kGenericInvalidData,
     .summary = "Liveness; `data` is ignored."},
    {.type = MessageType::kClientStatus,
     .names = kClientStatusNames,
     .requires_registration = true,
     .fields = {},
     .data_fields = kClientStatusDataFields,
     .payload_bytes_max = &DecodeOptions::message_bytes_max,
     .reply = ReplyKind::kClientStatusUpdate,
     .other_replies = kCommonOtherReplies,
     .invalid_data = {ReplyKind::kError, kClientStatusInvalidText, false},
     .summary = "Node availability. `data` is a JSON string holding an object (or the object)."},
    {.type = MessageType::kJobRequest,
     .names = kJobRequestNames,
     .requires_registration = true,
     .fields = {},
     .data_fields = {},
     .payload_bytes_max = &DecodeOptions::message_bytes_max,
     .reply = ReplyKind::kNoJobsAvailable,
     .other_replies = kJobRequestOtherReplies,
     .invalid_data = kGenericInvalidData,
     .summary = "Pull request for work: answered with a TWITTER_SCRAPE dispatch when a job is "
                "leased to the node, otherwise NoJobsAvailable."},
    {.type = MessageType::kScrapeResult,
     .names = kScrapeResultNames,
     .requires_registration = true,
     .fields = kScrapeResultFields,
     .data_fields = kScrapeResultDataFields,
     .payload_bytes_max = &DecodeOptions::result_bytes_max,
     .reply = ReplyKind::kJobComplete,
     .other_replies = kScrapeResultOtherReplies,
     .invalid_data = {ReplyKind::kErrorWithType, kScrapeResultErrorPrefix, true,
                      kErrorTypeInvalidResult},
     .summary = "Result of a dispatched job. `data` is a JSON string of {content|result} or of "
                "an array, raw text (HTML), or a JSON object/array value."},
};

inline constexpr ReplyField kRegisteredFields[] = {
    {"success", Slot::kTrue},
    {"message", Slot::kLiteral, "Registration successful"},
    {"clientId", Slot::kClientId},
    {"sessionId", Slot::kSessionId},
};
inline constexpr ReplyField kFailureFields[] = {
    {"success", Slot::kFalse},
    {"error", Slot::kMessage},
};
inline constexpr ReplyField kFailureWithTimestampFields[] = {
    {"success", Slot::kFalse},
    {"error", Slot::kMessage},
    {"timestamp", Slot::kTimestamp},
};
inline constexpr ReplyField kPingNotificationFields[] = {
    {"function", Slot::kLiteral, "Notification"},
    {"message", Slot::kLiteral, "Client connect open"},
    {"user_principal_id", Slot::kPrincipal},
    {"state", Slot::kLiteral, "Connected"},
    {"status", Slot::kLiteral, "OK"},
};
inline constexpr ReplyField kHaloNotificationFields[] = {
    {"function", Slot::kLiteral, "Notification"},
    {"message", Slot::kLiteral, "HALO received"},
    {"user_principal_id", Slot::kPrincipal},
    {"status", Slot::kLiteral, "OK"},
    {"data", Slot::kLiteral, "Sending message to client - HALO HALO"},
};
inline constexpr ReplyField kSpeedTestCompleteFields[] = {
    {"function", Slot::kLiteral, "SpeedTestComplete"},
    {"message", Slot::kLiteral, "Speed test data updated"},
    {"status", Slot::kLiteral, "OK"},
};
inline constexpr ReplyField kHeartbeatAckFields[] = {
    {"function", Slot::kLiteral, "HeartbeatAck"},
    {"message", Slot::kLiteral, "Heartbeat acknowledged"},
    {"timestamp", Slot::kTimestamp},
    {"status", Slot::kLiteral, "OK"},
};
inline constexpr ReplyField kClientStatusUpdateFields[] = {
    {"function", Slot::kLiteral, "ClientStatusUpdate"},
    {"message", Slot::kLiteral, "Client status updated successfully"},
    {"status", Slot::kLiteral, "OK"},
};
inline constexpr ReplyField kNoJobsAvailableFields[] = {
    {"function", Slot::kLiteral, "NoJobsAvailable"},
    {"message", Slot::kLiteral, "No jobs available at the moment"},
    {"status", Slot::kLiteral, "OK"},
    {"timestamp", Slot::kTimestamp},
};
inline constexpr ReplyField kJobDispatchFields[] = {
    {"function", Slot::kLiteral, "TWITTER_SCRAPE"},
    {"type", Slot::kJobType},
    {"url", Slot::kUrl},
    {"job_id", Slot::kJobId},
    {"message", Slot::kLiteral, "Sending job to client"},
    {"client_id", Slot::kClientId},
    {"post_count", Slot::kPostCount},
    {"replies_count", Slot::kRepliesCount},
    {"scrollPauseTime", Slot::kScrollPause},
    {"status", Slot::kLiteral, "OK"},
};
inline constexpr ReplyField kJobCompleteFields[] = {
    {"function", Slot::kLiteral, "JobComplete"},
    {"message", Slot::kLiteral, "Job completed and result stored successfully"},
    {"status", Slot::kLiteral, "OK"},
    {"timestamp", Slot::kTimestamp},
    {"reward", Slot::kReward},
    {"jobId", Slot::kJobId},
};
inline constexpr ReplyField kJobFailedFields[] = {
    {"function", Slot::kLiteral, "JobFailed"},
    {"message", Slot::kLiteral, "Scraping returned empty results - no data found"},
    {"status", Slot::kLiteral, "ERROR"},
    {"errorType", Slot::kLiteral, "NO_DATA_FOUND"},
    {"timestamp", Slot::kTimestamp},
    {"jobId", Slot::kJobId},
};
inline constexpr ReplyField kErrorFields[] = {
    {"function", Slot::kLiteral, "Error"},
    {"message", Slot::kMessage},
    {"status", Slot::kLiteral, "ERROR"},
};
inline constexpr ReplyField kErrorWithTypeFields[] = {
    {"function", Slot::kLiteral, "Error"},
    {"message", Slot::kMessage},
    {"status", Slot::kLiteral, "ERROR"},
    {"errorType", Slot::kErrorType},
};

// Indexed by ReplyKind.
inline constexpr ReplySpec kReplySpecs[] = {
    {ReplyKind::kRegistered, "(registration success)", kRegisteredFields,
     "The registration frame was accepted."},
    {ReplyKind::kFailure, "(failure, E2)", kFailureFields,
     "Registration failed, or a frame after registration is not JSON."},
    {ReplyKind::kFailureWithTimestamp, "(failure, E1)", kFailureWithTimestampFields,
     "A node message lacks or mangles `text`/`user_principal_id`, or is too large; "
     "login/connect failures during registration."},
    {ReplyKind::kPingNotification, "Notification", kPingNotificationFields, "PING handled."},
    {ReplyKind::kHaloNotification, "Notification", kHaloNotificationFields, "HALO handled."},
    {ReplyKind::kSpeedTestComplete, "SpeedTestComplete", kSpeedTestCompleteFields,
     "Speed sample stored."},
    {ReplyKind::kHeartbeatAck, "HeartbeatAck", kHeartbeatAckFields, "HEARTBEAT handled."},
    {ReplyKind::kClientStatusUpdate, "ClientStatusUpdate", kClientStatusUpdateFields,
     "CLIENT_STATUS stored."},
    {ReplyKind::kNoJobsAvailable, "NoJobsAvailable", kNoJobsAvailableFields,
     "JOB_REQUEST and nothing to lease."},
    {ReplyKind::kJobDispatch, "TWITTER_SCRAPE", kJobDispatchFields,
     "Server-initiated: a job leased to this node (also the answer to JOB_REQUEST)."},
    {ReplyKind::kJobComplete, "JobComplete", kJobCompleteFields,
     "Result accepted (or a repeat of an accepted result)."},
    {ReplyKind::kJobFailed, "JobFailed", kJobFailedFields, "Result was empty."},
    {ReplyKind::kError, "Error", kErrorFields,
     "Handler failure: authorisation, principal mismatch, bad data, unknown type."},
    {ReplyKind::kErrorWithType, "Error", kErrorWithTypeFields,
     "Result rejected (job unknown, not leased to this node, invalid result)."},
};

// The entry for a type; every MessageType has exactly one.
const MessageSpec& SpecOf(MessageType type);

// The node message selected by a `text` value, or nullptr. Registration has
// no name and is never returned.
const MessageSpec* FindMessageByName(std::string_view name);

const ReplySpec& ReplySpecOf(ReplyKind kind);

// The first wire name of a type ("PING", "INTERNET_SPEED_TEST"), or
// "(registration)" for the first frame.
std::string_view PrimaryName(MessageType type);

}  // namespace sela::protocol::v1
