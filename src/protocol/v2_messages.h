// Node protocol v2 described as data (ARCHITECTURE.md §5;
// docs/protocol-v2.md): every frame a node sends, every frame the server
// sends back, their fields and limits, the error codes and the close codes.
//
// A v2 connection offers `Sec-WebSocket-Protocol: sela.v2`. The server
// sends a challenge, the node proves who it is with a signature over it
// (v2_handshake.h), and the server answers `welcome`. After that:
// - every request may carry an `id` (a string of 1..64 visible ASCII
//   characters, or an integer 0..2^53-1) that its reply echoes;
// - every frame the server sends on its own (a job, a notice, drain) carries
//   `seq`, 1, 2, 3, ... per session; a job handed out in reply to
//   job_request carries both;
// - a node that reconnects within the resume window with
//   {session_id, last_seq} keeps its session and gets the frames after
//   last_seq again (v2_session_log.h);
// - every failure is {"type":"error","code":<kErrorSpecs code>,"message":...},
//   and the fatal ones are followed by a close with the code in the table.
//
// Every v1 capability has a v2 message (kMessageSpecs' `v1` column);
// docs/protocol-v2.md and the tests walk these arrays.
//
// Thread-safety: constant data; safe from any thread.
#pragma once

#include <cstddef>
#include <cstdint>
#include <span>
#include <string_view>

namespace sela::protocol::v2 {

// The subprotocol token a v2 client offers and the server selects.
inline constexpr std::string_view kSubprotocol = "sela.v2";
// m = kDomainLength || kDomain || nonce || principal bytes.
inline constexpr std::string_view kDomain = "sela-v2-auth";
inline constexpr std::size_t kNonceBytes = 32;

struct DecodeOptions {
  std::size_t auth_bytes_max = 4 * 1024;      // The auth frame.
  std::size_t message_bytes_max = 64 * 1024;  // Any request but result.
  // A result frame; the WebSocket layer's WS_MAX_MESSAGE_BYTES applies first.
  std::size_t result_bytes_max = 16 * 1024 * 1024;
  std::size_t json_depth_max = 64;
  std::size_t id_bytes_max = 64;          // A request id given as a string.
  std::size_t job_id_bytes_max = 128;
  std::size_t status_text_bytes_max = 64; // app_version, platform.
  std::size_t session_id_bytes_max = 64;
  double speed_mbps_max = 100'000;
  double latency_ms_max = 60'000;
};

enum class FieldType : uint8_t { kString, kNumber, kBool, kInteger, kAny, kObject };

struct FieldSpec {
  std::string_view name;
  FieldType type;
  bool required;
  std::string_view meaning;
};

enum class MessageType : uint8_t {
  kAuth,
  kPing,
  kSpeedTest,
  kStatus,
  kJobRequest,
  kResult,
  kToken,
  kResultFile,
};

struct MessageSpec {
  MessageType type;
  std::string_view name;  // The `type` value.
  std::span<const FieldSpec> fields;
  std::size_t DecodeOptions::*payload_bytes_max;
  std::string_view reply;  // The reply's `type` on success.
  // The v1 messages it replaces (ws-protocol.md §4), for the mapping table.
  std::string_view v1;
  std::string_view summary;
};

// Frames the server sends.
enum class ServerFrame : uint8_t {
  kChallenge,
  kWelcome,
  kError,
  kPong,
  kSpeedTestOk,
  kStatusOk,
  kJob,
  kNoJob,
  kResultOk,
  kResultEmpty,
  kToken,
  kNotice,
  kDrain,
};

struct ServerFrameSpec {
  ServerFrame frame;
  std::string_view name;  // The `type` value.
  std::span<const FieldSpec> fields;  // In wire order, `type` not included.
  bool has_seq;    // Carries `seq` (pushes; job also as a reply).
  std::string_view when;
};

// Close codes of v2 connections (4000-4999 are the application's own,
// RFC 6455 §7.4.2), and the ones v1 connections get for the same reasons.
namespace close_code {
inline constexpr uint16_t kBadHandshake = 4400;     // Not a valid auth frame.
inline constexpr uint16_t kAuthFailed = 4401;       // Key, principal or signature wrong.
inline constexpr uint16_t kForbidden = 4403;        // Policy: v1 refused, resume of another principal.
inline constexpr uint16_t kChallengeExpired = 4408; // No auth within the challenge's lifetime.
inline constexpr uint16_t kReplaced = 4409;         // A newer session of the same principal took over.
inline constexpr uint16_t kRateLimited = 4429;      // Too many registrations from this source.
}  // namespace close_code

struct ErrorSpec {
  std::string_view code;
  uint16_t close_code;  // 0: the connection stays open.
  std::string_view meaning;
};

inline constexpr ErrorSpec kErrorSpecs[] = {
    {"bad_frame", 0, "Not a JSON object with a string `type`."},
    {"too_large", 0, "The frame is above its byte limit."},
    {"unknown_type", 0, "No request of that `type`."},
    {"bad_field", 0, "A field is missing, of the wrong type or out of range; the message names it."},
    {"auth_malformed", close_code::kBadHandshake,
     "The first frame is not an auth frame, or its fields are malformed."},
    {"unsupported_key", close_code::kAuthFailed,
     "public_key is not a DER SubjectPublicKeyInfo of an Ed25519 or secp256k1 key."},
    {"key_mismatch", close_code::kAuthFailed,
     "The public key does not derive the principal (SHA-224(DER) || 0x02)."},
    {"bad_signature", close_code::kAuthFailed, "The signature does not verify over this connection's challenge."},
    {"challenge_mismatch", close_code::kAuthFailed,
     "The auth frame names a nonce that is not this connection's challenge (a replayed auth)."},
    {"challenge_expired", close_code::kChallengeExpired, "The auth frame came after the challenge's lifetime (30 s)."},
    {"already_authenticated", 0, "A second auth frame on an authenticated connection; the nonce is good once."},
    {"resume_denied", close_code::kForbidden, "The session to resume belongs to another principal."},
    {"v1_refused", close_code::kForbidden,
     "The server requires v2 (NODE_AUTH=signed), or this principal signed in with v2 before."},
    {"rate_limited", 0, "Too many requests of this kind; retry after `retry_after_ms`."},
    {"registration_limited", close_code::kRateLimited,
     "Too many registrations from this source address; retry after `retry_after_ms`."},
    {"job_unknown", 0, "No such job."},
    {"job_not_leased", 0, "The job is not leased to this session (late, foreign or already settled)."},
    {"result_conflict", 0, "A result for this job was already accepted with different content."},
    {"invalid_result", 0,
     "The result frame is malformed (job_id missing or too long), or a result_file names a file that is not a "
     "complete upload of this node for this job."},
    {"unavailable", 0, "The server could not do it now (store busy, draining); retry later."},
};

inline constexpr FieldSpec kAuthFields[] = {
    {"principal", FieldType::kString, true, "The principal's text form (lowercase, dashes every five)."},
    {"public_key", FieldType::kString, true, "DER SubjectPublicKeyInfo, base64url without padding."},
    {"signature", FieldType::kString, true,
     "base64url without padding: Ed25519 over m, or secp256k1 ECDSA over SHA-256(m) as r || s, low-S."},
    {"nonce", FieldType::kString, false,
     "The challenge's nonce, echoed; when present it must be this connection's."},
    {"resume", FieldType::kObject, false, "{\"session_id\":..,\"last_seq\":..} to resume a session."},
    {"app_version", FieldType::kString, false, "Informational, at most 64 bytes."},
    {"platform", FieldType::kString, false, "Informational, at most 64 bytes."},
};
inline constexpr FieldSpec kSpeedTestFields[] = {
    {"download_mbps", FieldType::kNumber, true, "Megabits per second, 0..100000."},
    {"upload_mbps", FieldType::kNumber, false, "Megabits per second."},
    {"ping_ms", FieldType::kNumber, false, "Milliseconds, 0..60000."},
    {"jitter_ms", FieldType::kNumber, false, "Milliseconds."},
};
inline constexpr FieldSpec kStatusFields[] = {
    {"active", FieldType::kBool, false,
     "false: offer this session no jobs; true: offer them again; absent: no change."},
    {"app_version", FieldType::kString, false, "Informational, at most 64 bytes."},
    {"platform", FieldType::kString, false, "Informational, at most 64 bytes."},
};
inline constexpr FieldSpec kResultFields[] = {
    {"job_id", FieldType::kString, true, "The job's id, from its job frame."},
    {"content", FieldType::kAny, false,
     "The result: any JSON value; absent, null, \"\" or [] mean the scrape found nothing."},
};
inline constexpr FieldSpec kResultFileFields[] = {
    {"job_id", FieldType::kString, true, "The job's id, from its job frame."},
    {"file_id", FieldType::kString, true,
     "A complete upload of this node tied to the job (POST /api/files with its job_id)."},
};

inline constexpr MessageSpec kMessageSpecs[] = {
    {MessageType::kAuth, "auth", kAuthFields, &DecodeOptions::auth_bytes_max, "welcome", "(registration)",
     "The first frame: who the node is, proven by a signature over the challenge."},
    {MessageType::kPing, "ping", {}, &DecodeOptions::message_bytes_max, "pong", "PING, HEARTBEAT, HALO",
     "Liveness; any frame counts as activity, this one just has nothing else to say."},
    {MessageType::kSpeedTest, "speed_test", kSpeedTestFields, &DecodeOptions::message_bytes_max,
     "speed_test_ok", "INTERNET_SPEED_TEST, SPEED_TEST",
     "A speed sample; at most one per SPEED_REPORT_INTERVAL_MS is taken, the others get rate_limited."},
    {MessageType::kStatus, "status", kStatusFields, &DecodeOptions::message_bytes_max, "status_ok",
     "CLIENT_STATUS", "Availability of this session (and informational app details)."},
    {MessageType::kJobRequest, "job_request", {}, &DecodeOptions::message_bytes_max, "job",
     "JOB_REQUEST", "Pull: a job frame if one is leased to this session now, otherwise no_job."},
    {MessageType::kResult, "result", kResultFields, &DecodeOptions::result_bytes_max, "result_ok",
     "TWITTER_SCRAPE_RESULT", "The result of a job leased to this session."},
    {MessageType::kToken, "token", {}, &DecodeOptions::message_bytes_max, "token", "(none)",
     "A fresh bearer token for the node's REST calls (the welcome carries the first)."},
    {MessageType::kResultFile, "result_file", kResultFileFields, &DecodeOptions::message_bytes_max, "result_ok",
     "TWITTER_SCRAPE_RESULT with file_id",
     "The result of a job leased to this session, too large for a frame: a file the node uploaded."},
};

inline constexpr FieldSpec kChallengeFields[] = {
    {"nonce", FieldType::kString, true, "32 random bytes, base64url without padding; good once, for 30 s."},
};
inline constexpr FieldSpec kWelcomeFields[] = {
    {"session_id", FieldType::kString, true, "Names the session for resume."},
    {"principal", FieldType::kString, true, "The authenticated principal."},
    {"client_id", FieldType::kString, true, "This session's clientId (decimal digits), as v1 had."},
    {"resumed", FieldType::kBool, true, "true when the session named in `resume` was taken up."},
    {"last_seq", FieldType::kInteger, true, "The seq of the last push of this session so far (0: none)."},
    {"resume_window_ms", FieldType::kInteger, true, "How long a session outlives its connection."},
    {"heartbeat_ms", FieldType::kInteger, true, "Silence after which the server closes the connection."},
    {"token", FieldType::kString, true, "Bearer token for the node's REST calls."},
    {"token_expires_ms", FieldType::kInteger, true, "Wall-clock ms when the token stops working."},
};
inline constexpr FieldSpec kErrorFields[] = {
    {"code", FieldType::kString, true, "One of the error codes."},
    {"message", FieldType::kString, true, "What was wrong, for people."},
    {"retry_after_ms", FieldType::kInteger, false, "rate_limited, registration_limited: when to try again."},
};
inline constexpr FieldSpec kPongFields[] = {
    {"time_ms", FieldType::kInteger, true, "The server's wall clock."},
};
inline constexpr FieldSpec kStatusOkFields[] = {
    {"active", FieldType::kBool, true, "Whether this session is offered jobs now."},
};
inline constexpr FieldSpec kJobFields[] = {
    {"job_id", FieldType::kString, true, "Echo it in the result."},
    {"kind", FieldType::kString, true, "TWITTER_POST, TWITTER_PROFILE, TWITTER_FOLLOW_LIST, HTML, or a JOB_KINDS kind."},
    {"url", FieldType::kString, true, "What to fetch (http or https; see docs/JOB-URLS.md)."},
    {"post_count", FieldType::kInteger, true, "From the customer's request; 0 by default."},
    {"replies_count", FieldType::kInteger, true, "From the customer's request; 0 by default."},
    {"scroll_pause_ms", FieldType::kInteger, true, "From the customer's request; 0 by default."},
    {"lease_expires_ms", FieldType::kInteger, true, "Wall-clock ms when the lease ends; a later result is refused."},
};
inline constexpr FieldSpec kResultOkFields[] = {
    {"job_id", FieldType::kString, true, "The job."},
    {"reward_sp", FieldType::kNumber, true, "Sela Points credited for it."},
};
inline constexpr FieldSpec kResultEmptyFields[] = {
    {"job_id", FieldType::kString, true, "The job, now failed as empty (NO_DATA_FOUND)."},
};
inline constexpr FieldSpec kTokenFields[] = {
    {"token", FieldType::kString, true, "Bearer token for the node's REST calls."},
    {"token_expires_ms", FieldType::kInteger, true, "Wall-clock ms when it stops working."},
};
inline constexpr FieldSpec kNoticeFields[] = {
    {"message", FieldType::kString, true, "An operator's message."},
    {"data", FieldType::kAny, true, "Any JSON the operator attached."},
};
inline constexpr FieldSpec kDrainFields[] = {
    {"reason", FieldType::kString, true, "Why (a restart)."},
    {"reconnect_after_ms", FieldType::kInteger, true, "Wait at least this long, then reconnect and resume."},
};

inline constexpr ServerFrameSpec kServerFrameSpecs[] = {
    {ServerFrame::kChallenge, "challenge", kChallengeFields, false, "At once, after the upgrade."},
    {ServerFrame::kWelcome, "welcome", kWelcomeFields, false, "The auth frame was good."},
    {ServerFrame::kError, "error", kErrorFields, false, "Anything went wrong; echoes `id` when the request had one."},
    {ServerFrame::kPong, "pong", kPongFields, false, "Reply to ping."},
    {ServerFrame::kSpeedTestOk, "speed_test_ok", {}, false, "Reply to speed_test."},
    {ServerFrame::kStatusOk, "status_ok", kStatusOkFields, false, "Reply to status."},
    {ServerFrame::kJob, "job", kJobFields, true, "A job leased to this session: pushed, or the reply to job_request."},
    {ServerFrame::kNoJob, "no_job", {}, false, "Reply to job_request when nothing can be leased."},
    {ServerFrame::kResultOk, "result_ok", kResultOkFields, false, "The result was stored (or is a repeat of it)."},
    {ServerFrame::kResultEmpty, "result_empty", kResultEmptyFields, false, "The result was empty."},
    {ServerFrame::kToken, "token", kTokenFields, false, "Reply to token."},
    {ServerFrame::kNotice, "notice", kNoticeFields, true, "An operator's message (REST N12, N13)."},
    {ServerFrame::kDrain, "drain", kDrainFields, true, "The server is shutting down; a close 1012 follows."},
};

const MessageSpec& SpecOf(MessageType type);
const MessageSpec* FindMessage(std::string_view name);
const ServerFrameSpec& SpecOf(ServerFrame frame);
// nullptr for a code not in kErrorSpecs (a programming error at the caller).
const ErrorSpec* FindError(std::string_view code);

}  // namespace sela::protocol::v2
