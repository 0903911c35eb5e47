#include "protocol/v1_encode.h"

#include "codec/cbor_writer.h"
#include "codec/js_json.h"

namespace sela::protocol::v1 {
namespace {

void WriteField(codec::JsonObjectWriter& w, const ReplyField& f, const ReplyValues& v) {
  switch (f.slot) {
    case Slot::kLiteral: w.String(f.key, f.literal); return;
    case Slot::kTrue: w.Bool(f.key, true); return;
    case Slot::kFalse: w.Bool(f.key, false); return;
    case Slot::kClientId: w.String(f.key, v.client_id); return;
    case Slot::kSessionId: w.Integer(f.key, v.session_id); return;
    case Slot::kTimestamp: w.Integer(f.key, v.timestamp_ms); return;
    case Slot::kPrincipal: w.String(f.key, v.principal); return;
    case Slot::kMessage: w.String(f.key, v.message); return;
    case Slot::kErrorType: w.String(f.key, v.error_type); return;
    case Slot::kJobType: w.String(f.key, v.job_type); return;
    case Slot::kUrl: w.String(f.key, v.url); return;
    case Slot::kJobId: w.String(f.key, v.job_id); return;
    case Slot::kPostCount: w.Integer(f.key, v.post_count); return;
    case Slot::kRepliesCount: w.Integer(f.key, v.replies_count); return;
    case Slot::kScrollPause: w.Integer(f.key, v.scroll_pause_ms); return;
    case Slot::kReward: w.Number(f.key, v.reward); return;
  }
}

std::string Concat(std::string_view a, std::string_view b) {
  std::string s(a);
  s += b;
  return s;
}

OutboundFrame Text(std::string payload) {
  return {OutboundFrame::Kind::kText, std::move(payload)};
}

OutboundFrame UnknownTypeFrame(const DecodeError& error, int64_t now_ms,
                               const EncodeOptions& options) {
  if (options.unknown_type_reply == UnknownTypeReply::kLegacyCbor) {
    codec::CborWriter w;
    w.MapHeader(2).Text("error").Text(kLegacyUnknownTypeText).Text("timestamp");
    w.Unsigned(static_cast<uint64_t>(now_ms));
    return {OutboundFrame::Kind::kBinary, std::move(w).Take()};
  }
  std::string_view name = error.type_name;
  if (name.empty()) name = "(none)";
  return Text(EncodeError(Concat(kUnsupportedTypePrefix, name)));
}

OutboundFrame InvalidDataFrame(const DecodeError& error) {
  // The decoder names the type of every kInvalidData error; a hand-made
  // error without one gets the generic handler failure.
  const InvalidDataReply& reply =
      error.type ? SpecOf(*error.type).invalid_data : kGenericInvalidData;
  const std::string message =
      reply.append_detail ? Concat(reply.message, error.detail) : std::string(reply.message);
  if (reply.reply == ReplyKind::kFailure) return Text(EncodeFailure(message));
  if (reply.reply == ReplyKind::kErrorWithType) {
    return Text(EncodeErrorWithType(message, reply.error_type));
  }
  return Text(EncodeError(message));
}

}  // namespace

std::string EncodeReply(ReplyKind kind, const ReplyValues& values) {
  codec::JsonObjectWriter w;
  for (const ReplyField& field : ReplySpecOf(kind).fields) WriteField(w, field, values);
  return w.Finish();
}

std::string EncodeRegistered(std::string_view client_id, int64_t session_id) {
  return EncodeReply(ReplyKind::kRegistered, {.client_id = client_id, .session_id = session_id});
}

std::string EncodeFailure(std::string_view error) {
  return EncodeReply(ReplyKind::kFailure, {.message = error});
}

std::string EncodeFailureWithTimestamp(std::string_view error, int64_t now_ms) {
  return EncodeReply(ReplyKind::kFailureWithTimestamp, {.message = error, .timestamp_ms = now_ms});
}

std::string EncodePingReply(std::string_view principal) {
  return EncodeReply(ReplyKind::kPingNotification, {.principal = principal});
}

std::string EncodeHaloReply(std::string_view principal) {
  return EncodeReply(ReplyKind::kHaloNotification, {.principal = principal});
}

std::string EncodeSpeedTestComplete() { return EncodeReply(ReplyKind::kSpeedTestComplete, {}); }

std::string EncodeHeartbeatAck(int64_t now_ms) {
  return EncodeReply(ReplyKind::kHeartbeatAck, {.timestamp_ms = now_ms});
}

std::string EncodeClientStatusUpdate() { return EncodeReply(ReplyKind::kClientStatusUpdate, {}); }

std::string EncodeNoJobsAvailable(int64_t now_ms) {
  return EncodeReply(ReplyKind::kNoJobsAvailable, {.timestamp_ms = now_ms});
}

std::string EncodeJobDispatch(const JobDispatch& job) {
  return EncodeReply(ReplyKind::kJobDispatch, {.client_id = job.client_id,
                                               .job_type = job.job_type,
                                               .url = job.url,
                                               .job_id = job.job_id,
                                               .post_count = job.post_count,
                                               .replies_count = job.replies_count,
                                               .scroll_pause_ms = job.scroll_pause_ms});
}

std::string EncodeJobComplete(std::string_view job_id, double reward_points, int64_t now_ms) {
  return EncodeReply(ReplyKind::kJobComplete,
                     {.job_id = job_id, .timestamp_ms = now_ms, .reward = reward_points});
}

std::string EncodeJobFailedNoData(std::string_view job_id, int64_t now_ms) {
  return EncodeReply(ReplyKind::kJobFailed, {.job_id = job_id, .timestamp_ms = now_ms});
}

std::string EncodeError(std::string_view message) {
  return EncodeReply(ReplyKind::kError, {.message = message});
}

std::string EncodeErrorWithType(std::string_view message, std::string_view error_type) {
  return EncodeReply(ReplyKind::kErrorWithType, {.message = message, .error_type = error_type});
}

std::string EncodeHandlerFailed(std::string_view detail) {
  return EncodeError(Concat(kHandlerFailedPrefix, detail));
}

std::string EncodeAuthenticationFailed(std::string_view principal) {
  return EncodeError(Concat(kAuthenticationFailedPrefix, principal));
}

std::string EncodeResultRejected(std::string_view reason, std::string_view error_type) {
  return EncodeErrorWithType(Concat(kScrapeResultErrorPrefix, reason), error_type);
}

std::string EncodeMessageTooLarge(uint64_t bytes, uint64_t limit) {
  return EncodeErrorWithType("Message of " + std::to_string(bytes) + " bytes is over WS_MAX_MESSAGE_BYTES (" +
                                 std::to_string(limit) + " bytes)",
                             "MESSAGE_TOO_LARGE");
}

OutboundFrame EncodeDecodeError(const DecodeError& error, int64_t now_ms,
                                const EncodeOptions& options) {
  const bool registration = error.type == MessageType::kRegistration;
  switch (error.kind) {
    case DecodeErrorKind::kNotJson:
      return Text(EncodeFailure(Concat(kMessageProcessingFailedPrefix, error.detail)));
    case DecodeErrorKind::kTooLarge:
      if (registration) return Text(EncodeFailure(Concat(kRegistrationFailedPrefix, error.detail)));
      return Text(
          EncodeFailureWithTimestamp(Concat(kEnvelopeFailedPrefix, error.detail), now_ms));
    case DecodeErrorKind::kUnknownType: return UnknownTypeFrame(error, now_ms, options);
    case DecodeErrorKind::kMissingField:
      return Text(EncodeFailureWithTimestamp(kMissingFieldsText, now_ms));
    case DecodeErrorKind::kInvalidField:
      return Text(
          EncodeFailureWithTimestamp(Concat(kEnvelopeFailedPrefix, error.detail), now_ms));
    case DecodeErrorKind::kInvalidData: return InvalidDataFrame(error);
    case DecodeErrorKind::kInvalidRegistration: return Text(EncodeFailure(kRegistrationInvalidText));
    case DecodeErrorKind::kInvalidPrincipal:
      return Text(EncodeFailure(Concat(kRegistrationFailedPrefix, error.detail)));
  }
  return Text(EncodeFailure(Concat(kMessageProcessingFailedPrefix, error.detail)));
}

}  // namespace sela::protocol::v1
