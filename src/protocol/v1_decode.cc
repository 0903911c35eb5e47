#include "protocol/v1_decode.h"

#include <algorithm>
#include <boost/json/object.hpp>
#include <utility>

#include "codec/json.h"
#include "protocol/v1_data.h"

namespace sela::protocol::v1 {
namespace {

using boost::json::object;
using boost::json::value;

DecodeError Fail(DecodeErrorKind kind, std::optional<MessageType> type, std::string detail) {
  return DecodeError{.kind = kind, .type = type, .type_name = {}, .detail = std::move(detail)};
}

std::unexpected<DecodeError> Unexpected(DecodeError error) {
  return std::unexpected<DecodeError>(std::move(error));
}

// Cuts text to at most bytes_max bytes without splitting a UTF-8 sequence.
std::string CutUtf8(std::string_view text, std::size_t bytes_max) {
  if (text.size() <= bytes_max) return std::string(text);
  std::size_t end = bytes_max;
  while (end > 0 && (static_cast<unsigned char>(text[end]) & 0xC0) == 0x80) --end;
  return std::string(text.substr(0, end));
}

struct Route {
  std::string_view name;  // empty when the frame names no usable type
  bool named_by_text = false;
};

// The original routed on `text || type` (§3 step 5): a truthy `text` wins,
// even when it is not a string (then nothing matches it).
Route RouteOf(const object& o) {
  if (const value* text = o.if_contains("text"); text != nullptr && codec::IsTruthy(*text)) {
    if (!text->is_string()) return {};
    return {text->get_string(), true};
  }
  if (const value* type = o.if_contains("type"); type != nullptr && type->is_string()) {
    return {type->get_string(), false};
  }
  return {};
}

DecodeResult<std::string> EnvelopePrincipal(const object& o, const DecodeOptions& options,
                                            MessageType type) {
  const value* principal = o.if_contains("user_principal_id");
  if (principal == nullptr || !codec::IsTruthy(*principal)) {
    return Unexpected(Fail(DecodeErrorKind::kMissingField, type, "user_principal_id is missing"));
  }
  if (!principal->is_string()) {
    return Unexpected(Fail(DecodeErrorKind::kInvalidField, type,
                           "field 'user_principal_id' must be a string"));
  }
  const std::string_view text = principal->get_string();
  if (Status s = ValidateIdText("user_principal_id", text, options.principal_id_bytes_max);
      !s.ok()) {
    return Unexpected(Fail(DecodeErrorKind::kInvalidField, type, s.message()));
  }
  return std::string(text);
}

DecodeResult<NodeMessage> DecodeTyped(MessageType type, std::string principal, object& o,
                                      const DecodeOptions& options) {
  auto invalid = [type](const Status& s) {
    return Unexpected(Fail(DecodeErrorKind::kInvalidData, type, s.message()));
  };
  switch (type) {
    case MessageType::kPing: return Ping{std::move(principal)};
    case MessageType::kHalo: return Halo{std::move(principal)};
    case MessageType::kHeartbeat: return Heartbeat{std::move(principal)};
    case MessageType::kJobRequest: return JobRequest{std::move(principal)};
    case MessageType::kSpeedTest: {
      Result<internal::SpeedFigures> f = internal::ParseSpeedData(o.if_contains("data"), options);
      if (!f) return invalid(f.error());
      return SpeedTest{std::move(principal), f->download_mbps, f->upload_mbps, f->ping_ms,
                       f->jitter_ms};
    }
    case MessageType::kClientStatus: {
      Result<internal::StatusFields> f =
          internal::ParseClientStatusData(o.if_contains("data"), options);
      if (!f) return invalid(f.error());
      return ClientStatus{std::move(principal), f->is_active, std::move(f->app_version),
                          std::move(f->platform)};
    }
    case MessageType::kScrapeResult: {
      Result<std::string_view> job_id = codec::GetString(o, "job_id", options.job_id_bytes_max);
      if (!job_id) return invalid(job_id.error());
      if (Status s = ValidateIdText("job_id", *job_id, options.job_id_bytes_max); !s.ok()) {
        return invalid(s);
      }
      std::string id(*job_id);
      if (const value* file = o.if_contains("file_id"); file && !file->is_null()) {
        // The result is an uploaded file, named instead of carried.
        if (const value* data = o.if_contains("data"); data && !data->is_null()) {
          return invalid(InvalidArgument("a result carries data or names a file_id, not both"));
        }
        Result<std::string_view> file_id = codec::GetString(o, "file_id", options.job_id_bytes_max);
        if (!file_id) return invalid(file_id.error());
        if (Status s = ValidateIdText("file_id", *file_id, options.job_id_bytes_max); !s.ok()) return invalid(s);
        return ScrapeResult{std::move(principal), std::move(id), std::nullopt, std::string(*file_id)};
      }
      Result<std::optional<value>> content = internal::ParseResultData(o.if_contains("data"), options);
      if (!content) return invalid(content.error());
      return ScrapeResult{std::move(principal), std::move(id), std::move(*content)};
    }
    case MessageType::kRegistration: break;
  }
  // FindMessageByName never yields the registration entry.
  return Unexpected(Fail(DecodeErrorKind::kUnknownType, std::nullopt, "registration frame"));
}

}  // namespace

MessageType TypeOf(const NodeMessage& message) {
  return std::visit([](const auto& m) { return std::decay_t<decltype(m)>::kType; }, message);
}

const std::string& PrincipalOf(const NodeMessage& message) {
  return std::visit([](const auto& m) -> const std::string& { return m.user_principal_id; },
                    message);
}

Status DecodeError::ToStatus() const {
  if (kind == DecodeErrorKind::kTooLarge) return ResourceExhausted(detail);
  return InvalidArgument(detail);
}

Status ValidateIdText(std::string_view field, std::string_view text, std::size_t bytes_max) {
  // Every result and scrapeUrl passes through here: the message is built
  // only when there is something to say.
  const auto quoted = [field] { return "field '" + std::string(field) + "'"; };
  if (text.empty()) return InvalidArgument(quoted() + " must not be empty");
  if (text.size() > bytes_max) {
    return InvalidArgument(quoted() + " must be at most " + std::to_string(bytes_max) +
                           " bytes long");
  }
  const bool visible = std::all_of(text.begin(), text.end(), [](char c) { return c > 0x20 && c < 0x7F; });
  if (!visible) return InvalidArgument(quoted() + " must contain only visible ASCII characters");
  return Status::Ok();
}

DecodeResult<Registration> DecodeRegistration(std::string_view payload,
                                              const std::optional<std::string>& connection_principal,
                                              const DecodeOptions& options) {
  constexpr MessageType kType = MessageType::kRegistration;
  if (connection_principal) {
    if (Status s = ValidateIdText("principal", *connection_principal,
                                  options.principal_id_bytes_max);
        !s.ok()) {
      return Unexpected(Fail(DecodeErrorKind::kInvalidPrincipal, kType, s.message()));
    }
    return Registration{*connection_principal, true};
  }
  if (payload.size() > options.registration_bytes_max) {
    return Unexpected(Fail(DecodeErrorKind::kTooLarge, kType,
                           "registration frame of " + std::to_string(payload.size()) +
                               " bytes exceeds the limit of " +
                               std::to_string(options.registration_bytes_max) + " bytes"));
  }
  Result<value> parsed =
      codec::ParseJson(payload, {.bytes_max = payload.size(), .depth_max = options.json_depth_max});
  if (!parsed) {
    return Unexpected(Fail(DecodeErrorKind::kInvalidRegistration, kType, parsed.error().message()));
  }
  const value* principal = parsed->is_object() ? parsed->get_object().if_contains("principal_id")
                                               : nullptr;
  if (principal == nullptr || !codec::IsTruthy(*principal)) {
    return Unexpected(
        Fail(DecodeErrorKind::kInvalidRegistration, kType, "no principal_id in the first frame"));
  }
  if (!principal->is_string()) {
    return Unexpected(Fail(DecodeErrorKind::kInvalidPrincipal, kType,
                           "field 'principal_id' must be a string"));
  }
  const std::string_view text = principal->get_string();
  if (Status s = ValidateIdText("principal_id", text, options.principal_id_bytes_max); !s.ok()) {
    return Unexpected(Fail(DecodeErrorKind::kInvalidPrincipal, kType, s.message()));
  }
  return Registration{std::string(text), false};
}

DecodeResult<NodeMessage> DecodeNodeMessage(std::string_view payload, const DecodeOptions& options) {
  const std::size_t frame_max = std::max(options.message_bytes_max, options.result_bytes_max);
  if (payload.size() > frame_max) {
    return Unexpected(Fail(DecodeErrorKind::kTooLarge, std::nullopt,
                           "message of " + std::to_string(payload.size()) +
                               " bytes exceeds the limit of " + std::to_string(frame_max) +
                               " bytes"));
  }
  Result<value> parsed =
      codec::ParseJson(payload, {.bytes_max = frame_max, .depth_max = options.json_depth_max});
  if (!parsed) return Unexpected(Fail(DecodeErrorKind::kNotJson, std::nullopt, parsed.error().message()));
  if (parsed->is_null()) {
    return Unexpected(Fail(DecodeErrorKind::kNotJson, std::nullopt, "the message is JSON null"));
  }
  if (!parsed->is_object()) {
    return Unexpected(
        Fail(DecodeErrorKind::kUnknownType, std::nullopt, "the message is not a JSON object"));
  }
  object& o = parsed->get_object();
  const Route route = RouteOf(o);
  const MessageSpec* spec = FindMessageByName(route.name);
  if (spec == nullptr) {
    DecodeError error = Fail(DecodeErrorKind::kUnknownType, std::nullopt,
                             route.name.empty() ? "the message names no type"
                                                : "unsupported message type");
    error.type_name = CutUtf8(route.name, options.type_bytes_max);
    return Unexpected(std::move(error));
  }
  const std::size_t type_max = options.*spec->payload_bytes_max;
  if (payload.size() > type_max) {
    return Unexpected(Fail(DecodeErrorKind::kTooLarge, spec->type,
                           std::string(PrimaryName(spec->type)) + " message of " +
                               std::to_string(payload.size()) + " bytes exceeds the limit of " +
                               std::to_string(type_max) + " bytes"));
  }
  if (!route.named_by_text) {
    return Unexpected(Fail(DecodeErrorKind::kMissingField, spec->type, "text is missing"));
  }
  DecodeResult<std::string> principal = EnvelopePrincipal(o, options, spec->type);
  if (!principal) return Unexpected(std::move(principal).error());
  return DecodeTyped(spec->type, std::move(*principal), o, options);
}

}  // namespace sela::protocol::v1
