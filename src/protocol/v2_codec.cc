#include "protocol/v2_codec.h"

#include <boost/json/object.hpp>

#include "codec/base64.h"
#include "codec/js_json.h"
#include "codec/json.h"
#include "codec/principal.h"

namespace sela::protocol::v2 {

namespace json = boost::json;

namespace {

constexpr int64_t kMaxSafeInteger = (int64_t{1} << 53) - 1;
constexpr std::size_t kPublicKeyBytesMax = 256;
constexpr std::size_t kSignatureBytes = 64;
// The longest principal text: base32 of 4 + 29 bytes in groups of five.
constexpr std::size_t kPrincipalTextBytesMax = 63;

DecodeError Fail(std::string_view code, std::string message, RequestId id = {}) {
  return DecodeError{code, std::move(message), std::move(id)};
}

bool IsVisibleAscii(std::string_view s) {
  for (unsigned char c : s) {
    if (c < 0x21 || c > 0x7e) return false;
  }
  return true;
}

// The request id as JSON text; an error message when it is malformed.
std::optional<std::string> ReadId(const json::object& o, const DecodeOptions& options, RequestId* id) {
  const json::value* v = codec::FindField(o, "id");
  if (v == nullptr) return std::nullopt;
  if (v->is_string()) {
    const std::string_view s = v->get_string();
    if (s.empty() || s.size() > options.id_bytes_max || !IsVisibleAscii(s)) {
      return "id: expected 1 to " + std::to_string(options.id_bytes_max) + " visible ASCII characters";
    }
    codec::AppendJsonString(*id, s);
    return std::nullopt;
  }
  if ((v->is_int64() && v->get_int64() >= 0 && v->get_int64() <= kMaxSafeInteger) ||
      (v->is_uint64() && v->get_uint64() <= static_cast<uint64_t>(kMaxSafeInteger))) {
    *id = v->is_int64() ? std::to_string(v->get_int64()) : std::to_string(v->get_uint64());
    return std::nullopt;
  }
  return std::string("id: expected a string or an integer from 0 to 2^53-1");
}

sela::Result<json::value> ParseFrame(std::string_view payload, std::size_t bytes_max, const DecodeOptions& options) {
  return codec::ParseJson(payload, {.bytes_max = bytes_max, .depth_max = options.json_depth_max});
}

// A base64url field decoded, within [min, max] bytes.
sela::Result<std::string> Base64Field(const json::object& o, std::string_view key, std::size_t min,
                                      std::size_t max, bool required) {
  const json::value* v = codec::FindField(o, key);
  if (v == nullptr || v->is_null()) {
    if (required) return Err(InvalidArgument(std::string(key) + ": required"));
    return std::string();
  }
  if (!v->is_string()) return Err(InvalidArgument(std::string(key) + ": expected a base64url string"));
  if (v->get_string().size() > (max * 4 + 2) / 3) {
    return Err(InvalidArgument(std::string(key) + ": longer than " + std::to_string(max) + " bytes"));
  }
  auto bytes = codec::Base64UrlDecode(v->get_string());
  if (!bytes) return Err(InvalidArgument(std::string(key) + ": " + bytes.error().message()));
  if (bytes->size() < min || bytes->size() > max) {
    return Err(InvalidArgument(std::string(key) + ": " + std::to_string(bytes->size()) + " bytes, expected " +
                               (min == max ? std::to_string(min) : std::to_string(min) + ".." + std::to_string(max))));
  }
  return bytes;
}

sela::Result<std::optional<std::string>> OptionalText(const json::object& o, std::string_view key,
                                                      std::size_t bytes_max) {
  ASSIGN_OR_RETURN(auto text, codec::GetOptionalString(o, key, bytes_max));
  if (!text) return std::optional<std::string>();
  return std::optional<std::string>(std::string(*text));
}

sela::Result<std::optional<Resume>> ReadResume(const json::object& o, const DecodeOptions& options) {
  const json::value* v = codec::FindField(o, "resume");
  if (v == nullptr || v->is_null()) return std::optional<Resume>();
  if (!v->is_object()) return Err(InvalidArgument("resume: expected {\"session_id\":..,\"last_seq\":..}"));
  Resume r;
  ASSIGN_OR_RETURN(std::string_view sid, codec::GetString(v->get_object(), "session_id", options.session_id_bytes_max));
  r.session_id = std::string(sid);
  const json::value* seq = codec::FindField(v->get_object(), "last_seq");
  if (seq == nullptr || !((seq->is_int64() && seq->get_int64() >= 0) || seq->is_uint64())) {
    return Err(InvalidArgument("resume.last_seq: expected an integer >= 0"));
  }
  r.last_seq = seq->is_int64() ? static_cast<uint64_t>(seq->get_int64()) : seq->get_uint64();
  return std::optional<Resume>(std::move(r));
}

sela::Result<Auth> ReadAuth(const json::object& o, const DecodeOptions& options) {
  Auth a;
  ASSIGN_OR_RETURN(std::string_view text, codec::GetString(o, "principal", kPrincipalTextBytesMax));
  auto principal = codec::Principal::FromText(text);
  if (!principal) return Err(InvalidArgument("principal: " + principal.error().message()));
  // The canonical spelling, whatever case the node wrote.
  a.principal_text = principal->ToText();
  a.principal = std::string(principal->bytes());
  ASSIGN_OR_RETURN(a.public_key_der, Base64Field(o, "public_key", 1, kPublicKeyBytesMax, true));
  ASSIGN_OR_RETURN(std::string nonce, Base64Field(o, "nonce", kNonceBytes, kNonceBytes, false));
  if (!nonce.empty()) a.nonce = std::move(nonce);
  ASSIGN_OR_RETURN(a.resume, ReadResume(o, options));
  ASSIGN_OR_RETURN(a.app_version, OptionalText(o, "app_version", options.status_text_bytes_max));
  ASSIGN_OR_RETURN(a.platform, OptionalText(o, "platform", options.status_text_bytes_max));
  return a;
}

// The common start of every frame: a JSON object within its limit, its
// `type` and its id. `spec` is set when the type is known.
struct Envelope {
  json::value value;
  const MessageSpec* spec = nullptr;
  RequestId id;
};

DecodeResult<Envelope> ReadEnvelope(std::string_view payload, const DecodeOptions& options) {
  // The largest limit first, then the type's own once it is known.
  auto parsed = ParseFrame(payload, std::max(options.result_bytes_max, options.message_bytes_max), options);
  if (!parsed) {
    if (parsed.error().code() == Code::kResourceExhausted) return std::unexpected(Fail("too_large", parsed.error().message()));
    return std::unexpected(Fail("bad_frame", parsed.error().message()));
  }
  if (!parsed->is_object()) return std::unexpected(Fail("bad_frame", "expected a JSON object"));
  Envelope e;
  e.value = std::move(*parsed);
  const json::object& o = e.value.get_object();
  if (auto bad = ReadId(o, options, &e.id)) return std::unexpected(Fail("bad_field", std::move(*bad)));
  const json::value* type = codec::FindField(o, "type");
  if (type == nullptr || !type->is_string()) {
    return std::unexpected(Fail("bad_frame", "expected a string field `type`", e.id));
  }
  e.spec = FindMessage(type->get_string());
  if (e.spec == nullptr) {
    std::string name(std::string_view(type->get_string()).substr(0, 64));
    return std::unexpected(Fail("unknown_type", "no request of type \"" + name + "\"", e.id));
  }
  if (payload.size() > options.*(e.spec->payload_bytes_max)) {
    return std::unexpected(Fail("too_large", std::string(e.spec->name) + " frame of " + std::to_string(payload.size()) +
                                                 " bytes exceeds the limit of " +
                                                 std::to_string(options.*(e.spec->payload_bytes_max)),
                                e.id));
  }
  return e;
}

bool IsEmptyContent(const json::value& v) {
  return v.is_null() || (v.is_string() && v.get_string().empty()) || (v.is_array() && v.get_array().empty());
}

// A job or file id: 1 to bytes_max visible ASCII characters.
sela::Result<std::string> IdField(const json::object& o, std::string_view name, std::size_t bytes_max) {
  ASSIGN_OR_RETURN(std::string_view id, codec::GetString(o, name, bytes_max));
  if (id.empty() || !IsVisibleAscii(id)) {
    return Err(InvalidArgument(std::string(name) + ": expected 1 to " + std::to_string(bytes_max) +
                               " visible ASCII characters"));
  }
  return std::string(id);
}

sela::Result<Request> ReadRequest(MessageType type, json::object& o, const DecodeOptions& options) {
  const codec::NumberRange speed{0, options.speed_mbps_max};
  const codec::NumberRange latency{0, options.latency_ms_max};
  switch (type) {
    case MessageType::kPing:
      return Ping{};
    case MessageType::kJobRequest:
      return JobRequest{};
    case MessageType::kToken:
      return Token{};
    case MessageType::kSpeedTest: {
      SpeedTest s;
      ASSIGN_OR_RETURN(s.download_mbps, codec::GetNumber(o, "download_mbps", speed));
      ASSIGN_OR_RETURN(s.upload_mbps, codec::GetOptionalNumber(o, "upload_mbps", speed));
      ASSIGN_OR_RETURN(s.ping_ms, codec::GetOptionalNumber(o, "ping_ms", latency));
      ASSIGN_OR_RETURN(s.jitter_ms, codec::GetOptionalNumber(o, "jitter_ms", latency));
      return s;
    }
    case MessageType::kStatus: {
      StatusUpdate s;
      ASSIGN_OR_RETURN(s.active, codec::GetOptionalBool(o, "active"));
      ASSIGN_OR_RETURN(s.app_version, OptionalText(o, "app_version", options.status_text_bytes_max));
      ASSIGN_OR_RETURN(s.platform, OptionalText(o, "platform", options.status_text_bytes_max));
      return s;
    }
    case MessageType::kResult:
    case MessageType::kResultFile: {
      JobResult r;
      ASSIGN_OR_RETURN(r.job_id, IdField(o, "job_id", options.job_id_bytes_max));
      if (type == MessageType::kResultFile) {
        // The file names the result; a `content` beside it is refused
        // rather than silently ignored.
        if (o.if_contains("content") != nullptr) {
          return Err(InvalidArgument("content: a result_file carries no content (use result for that)"));
        }
        ASSIGN_OR_RETURN(r.file_id, IdField(o, "file_id", options.job_id_bytes_max));
      } else if (json::value* c = o.if_contains("content"); c != nullptr && !IsEmptyContent(*c)) {
        r.content = std::move(*c);
      }
      return r;
    }
    case MessageType::kAuth:
      break;
  }
  return Err(Internal("unreachable"));
}

}  // namespace

DecodeResult<Auth> DecodeAuth(std::string_view payload, const DecodeOptions& options) {
  auto parsed = ParseFrame(payload, options.auth_bytes_max, options);
  if (!parsed) return std::unexpected(Fail("auth_malformed", "auth frame: " + parsed.error().message()));
  if (!parsed->is_object()) return std::unexpected(Fail("auth_malformed", "expected a JSON object"));
  const json::object& o = parsed->get_object();
  const json::value* type = codec::FindField(o, "type");
  if (type == nullptr || !type->is_string() || type->get_string() != "auth") {
    return std::unexpected(Fail("auth_malformed", "the first frame must be {\"type\":\"auth\",...}"));
  }
  // The signature's length is checked apart: a wrong one is a bad signature.
  const json::value* sig = codec::FindField(o, "signature");
  if (sig == nullptr || !sig->is_string()) {
    return std::unexpected(Fail("auth_malformed", "signature: expected a base64url string"));
  }
  auto signature = codec::Base64UrlDecode(sig->get_string());
  if (!signature) return std::unexpected(Fail("auth_malformed", "signature: " + signature.error().message()));
  auto auth = ReadAuth(o, options);
  if (!auth) return std::unexpected(Fail("auth_malformed", auth.error().message()));
  if (signature->size() != kSignatureBytes) {
    return std::unexpected(Fail("bad_signature", "signature: " + std::to_string(signature->size()) +
                                                     " bytes, expected 64"));
  }
  auth->signature = std::move(*signature);
  return std::move(*auth);
}

DecodeResult<Decoded> DecodeRequest(std::string_view payload, const DecodeOptions& options) {
  auto envelope = ReadEnvelope(payload, options);
  if (!envelope) return std::unexpected(std::move(envelope.error()));
  if (envelope->spec->type == MessageType::kAuth) {
    return std::unexpected(Fail("already_authenticated", "this connection is authenticated; the nonce was good once",
                                envelope->id));
  }
  auto request = ReadRequest(envelope->spec->type, envelope->value.get_object(), options);
  if (!request) {
    const MessageType type = envelope->spec->type;
    const bool result = type == MessageType::kResult || type == MessageType::kResultFile;
    const std::string_view code = result ? "invalid_result" : "bad_field";
    return std::unexpected(Fail(code, request.error().message(), envelope->id));
  }
  return Decoded{std::move(envelope->id), std::move(*request)};
}

MessageType TypeOf(const Request& request) {
  static constexpr MessageType kTypes[] = {MessageType::kPing,       MessageType::kSpeedTest, MessageType::kStatus,
                                           MessageType::kJobRequest, MessageType::kResult,    MessageType::kToken};
  static_assert(std::variant_size_v<Request> == std::size(kTypes));
  if (const auto* r = std::get_if<JobResult>(&request); r && r->file_id) return MessageType::kResultFile;
  return kTypes[request.index()];
}

// ---- server frames ---------------------------------------------------------

namespace {

codec::JsonObjectWriter Frame(ServerFrame frame, const RequestId& id = {}, std::optional<uint64_t> seq = {}) {
  codec::JsonObjectWriter w;
  w.String("type", SpecOf(frame).name);
  if (!id.empty()) w.Raw("id", id);
  if (seq) w.Integer("seq", static_cast<int64_t>(*seq));
  return w;
}

}  // namespace

std::string EncodeChallenge(std::string_view nonce) {
  return Frame(ServerFrame::kChallenge).String("nonce", codec::Base64UrlEncode(nonce)).Finish();
}

std::string EncodeWelcome(const Welcome& w) {
  return Frame(ServerFrame::kWelcome)
      .String("session_id", w.session_id)
      .String("principal", w.principal)
      .String("client_id", w.client_id)
      .Bool("resumed", w.resumed)
      .Integer("last_seq", static_cast<int64_t>(w.last_seq))
      .Integer("resume_window_ms", w.resume_window_ms)
      .Integer("heartbeat_ms", w.heartbeat_ms)
      .String("token", w.token)
      .Integer("token_expires_ms", w.token_expires_ms)
      .Finish();
}

std::string EncodeError(std::string_view code, std::string_view message, const RequestId& id,
                        int64_t retry_after_ms) {
  auto w = Frame(ServerFrame::kError, id);
  w.String("code", code).String("message", message);
  if (retry_after_ms >= 0) w.Integer("retry_after_ms", retry_after_ms);
  return w.Finish();
}

std::string EncodePong(const RequestId& id, int64_t time_ms) {
  return Frame(ServerFrame::kPong, id).Integer("time_ms", time_ms).Finish();
}

std::string EncodeSpeedTestOk(const RequestId& id) { return Frame(ServerFrame::kSpeedTestOk, id).Finish(); }

std::string EncodeStatusOk(const RequestId& id, bool active) {
  return Frame(ServerFrame::kStatusOk, id).Bool("active", active).Finish();
}

std::string EncodeJob(const Job& job, uint64_t seq, const RequestId& id) {
  return Frame(ServerFrame::kJob, id, seq)
      .String("job_id", job.job_id)
      .String("kind", job.kind)
      .String("url", job.url)
      .Integer("post_count", job.post_count)
      .Integer("replies_count", job.replies_count)
      .Integer("scroll_pause_ms", job.scroll_pause_ms)
      .Integer("lease_expires_ms", job.lease_expires_ms)
      .Finish();
}

std::string EncodeNoJob(const RequestId& id) { return Frame(ServerFrame::kNoJob, id).Finish(); }

std::string EncodeResultOk(const RequestId& id, std::string_view job_id, double reward_sp) {
  return Frame(ServerFrame::kResultOk, id).String("job_id", job_id).Number("reward_sp", reward_sp).Finish();
}

std::string EncodeResultEmpty(const RequestId& id, std::string_view job_id) {
  return Frame(ServerFrame::kResultEmpty, id).String("job_id", job_id).Finish();
}

std::string EncodeToken(const RequestId& id, std::string_view token, int64_t expires_ms) {
  return Frame(ServerFrame::kToken, id).String("token", token).Integer("token_expires_ms", expires_ms).Finish();
}

std::string EncodeNotice(uint64_t seq, std::string_view message, std::string_view data_json) {
  return Frame(ServerFrame::kNotice, {}, seq).String("message", message).Raw("data", data_json).Finish();
}

std::string EncodeDrain(uint64_t seq, std::string_view reason, int64_t reconnect_after_ms) {
  return Frame(ServerFrame::kDrain, {}, seq)
      .String("reason", reason)
      .Integer("reconnect_after_ms", reconnect_after_ms)
      .Finish();
}

}  // namespace sela::protocol::v2
