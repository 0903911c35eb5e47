// Decoding (node → server) and encoding (server → node) of protocol v2
// frames, from the tables in v2_messages.h. Pure: no I/O, no clock.
//
// Decoding refuses what the tables do not allow, with the error code a reply
// should carry (v2_messages.h kErrorSpecs) and a message naming the field.
// Encoding writes compact JSON, `type` first, then `id` (when the request
// had one), then `seq` (pushes), then the frame's fields in table order.
//
// Thread-safety: free functions; safe from any thread.
#pragma once

#include <boost/json/value.hpp>
#include <cstdint>
#include <expected>
#include <optional>
#include <string>
#include <string_view>
#include <variant>

#include "protocol/v2_messages.h"

namespace sela::protocol::v2 {

// A request id as the node wrote it (a JSON string or integer), kept as JSON
// text so that the reply echoes it exactly; empty when absent.
using RequestId = std::string;

struct Resume {
  std::string session_id;
  uint64_t last_seq = 0;
};

struct Auth {
  std::string principal_text;  // Canonical text form (codec::Principal::ToText).
  std::string principal;       // Raw bytes.
  std::string public_key_der;  // Decoded, not yet checked (the verifier does).
  std::string signature;       // Decoded, 64 bytes.
  std::optional<std::string> nonce;  // Decoded, kNonceBytes.
  std::optional<Resume> resume;
  std::optional<std::string> app_version;
  std::optional<std::string> platform;
};

struct Ping {};
struct SpeedTest {
  double download_mbps = 0;
  std::optional<double> upload_mbps;
  std::optional<double> ping_ms;
  std::optional<double> jitter_ms;
};
struct StatusUpdate {
  std::optional<bool> active;
  std::optional<std::string> app_version;
  std::optional<std::string> platform;
};
struct JobRequest {};
struct JobResult {
  std::string job_id;
  // nullopt: the scrape found nothing (absent, null, "", []).
  std::optional<boost::json::value> content;
  // result_file: the result is this uploaded file (content is nullopt).
  std::optional<std::string> file_id;
};
struct Token {};

using Request = std::variant<Ping, SpeedTest, StatusUpdate, JobRequest, JobResult, Token>;

struct Decoded {
  RequestId id;
  Request request;
};

struct DecodeError {
  std::string_view code;  // A kErrorSpecs code.
  std::string message;
  RequestId id;  // When the frame had a readable id.
};

template <typename T>
using DecodeResult = std::expected<T, DecodeError>;

// The first frame of a connection. Every failure is auth_malformed, except
// a signature of the wrong length (bad_signature).
DecodeResult<Auth> DecodeAuth(std::string_view payload, const DecodeOptions& options);

// A request after welcome. An auth frame here is already_authenticated.
DecodeResult<Decoded> DecodeRequest(std::string_view payload, const DecodeOptions& options);

MessageType TypeOf(const Request& request);

// ---- server frames ----

std::string EncodeChallenge(std::string_view nonce);

struct Welcome {
  std::string_view session_id;
  std::string_view principal;  // text form
  std::string_view client_id;
  bool resumed = false;
  uint64_t last_seq = 0;
  int64_t resume_window_ms = 0;
  int64_t heartbeat_ms = 0;
  std::string_view token;
  int64_t token_expires_ms = 0;
};
std::string EncodeWelcome(const Welcome& w);

// retry_after_ms < 0: not written.
std::string EncodeError(std::string_view code, std::string_view message, const RequestId& id = {},
                        int64_t retry_after_ms = -1);
std::string EncodePong(const RequestId& id, int64_t time_ms);
std::string EncodeSpeedTestOk(const RequestId& id);
std::string EncodeStatusOk(const RequestId& id, bool active);

struct Job {
  std::string_view job_id;
  std::string_view kind;
  std::string_view url;
  int64_t post_count = 0;
  int64_t replies_count = 0;
  int64_t scroll_pause_ms = 0;
  int64_t lease_expires_ms = 0;
};
// A job push (id empty) or the reply to job_request; both carry seq.
std::string EncodeJob(const Job& job, uint64_t seq, const RequestId& id = {});
std::string EncodeNoJob(const RequestId& id);
std::string EncodeResultOk(const RequestId& id, std::string_view job_id, double reward_sp);
std::string EncodeResultEmpty(const RequestId& id, std::string_view job_id);
std::string EncodeToken(const RequestId& id, std::string_view token, int64_t expires_ms);
// data_json must be valid JSON.
std::string EncodeNotice(uint64_t seq, std::string_view message, std::string_view data_json);
std::string EncodeDrain(uint64_t seq, std::string_view reason, int64_t reconnect_after_ms);

}  // namespace sela::protocol::v2
