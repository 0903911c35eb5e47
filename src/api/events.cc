#include "api/events.h"

#include <spdlog/spdlog.h>

#include <string>

#include "core/logging.h"
#include "net/ws_codec.h"

namespace sela::api::events {

namespace {

constexpr auto kInfo = spdlog::level::info;
constexpr auto kWarn = spdlog::level::warn;

std::string Text(uint64_t n) { return std::to_string(n); }

}  // namespace

std::string_view CloseCodeMeaning(uint16_t code) {
  switch (code) {
    case net::close_code::kNormal: return "closed normally";
    case net::close_code::kGoingAway: return "going away";
    case net::close_code::kProtocolError: return "protocol error";
    case net::close_code::kUnsupportedData: return "unsupported data";
    case net::close_code::kNoStatus: return "closed without a status code";
    case net::close_code::kAbnormal: return "connection dropped without a close handshake";
    case net::close_code::kInvalidPayload: return "invalid payload (not UTF-8)";
    case net::close_code::kPolicyViolation: return "policy violation";
    case net::close_code::kMessageTooBig: return "message too big";
    case net::close_code::kInternalError: return "internal error";
    case net::close_code::kServiceRestart: return "server restarting";
    case net::close_code::kTryAgainLater: return "try again later";
    default: return "other";
  }
}

void NodeConnected(net::ConnId conn, std::string_view path, std::string_view principal) {
  LogEvent(kInfo, "node connected", {{"conn", Text(conn)}, {"path", path}, {"principal", principal}});
}

void NodeRegistered(net::ConnId conn, std::string_view principal, std::string_view client_id) {
  LogEvent(kInfo, "node registered", {{"conn", Text(conn)}, {"principal", principal}, {"client_id", client_id}});
}

void NodeRegistrationRefused(net::ConnId conn, std::string_view principal, std::string_view reason) {
  LogEvent(kWarn, "node registration refused", {{"conn", Text(conn)}, {"principal", principal}, {"reason", reason}});
}

void NodeMessageRefused(net::ConnId conn, std::string_view principal, std::string_view reason) {
  LogEvent(kWarn, "node message refused", {{"conn", Text(conn)}, {"principal", principal}, {"reason", reason}});
}

void NodeDisconnected(net::ConnId conn, bool registered, std::string_view principal, uint16_t code,
                      std::string_view reason) {
  LogEvent(kInfo, registered ? "node disconnected" : "node disconnected before registering",
           {{"conn", Text(conn)}, {"principal", principal}, {"code", Text(code)}, {"reason", reason}});
}

void JobCreated(const store::JobRecord& job) {
  LogEvent(kInfo, "job created", {{"job_id", job.job_id}, {"kind", job.job_type}, {"client", job.client_uuid}});
}

void JobLeased(const store::JobRecord& job, uint32_t attempt, std::string_view how) {
  LogEvent(kInfo, "job leased",
           {{"job_id", job.job_id}, {"principal", job.node_principal}, {"attempt", Text(attempt)}, {"how", how}});
}

void JobCompleted(const store::JobRecord& job, int64_t round_trip_ms) {
  LogEvent(kInfo, "job completed",
           {{"job_id", job.job_id},
            {"principal", job.node_principal},
            {"attempt", Text(job.attempt)},
            {"round_trip_ms", std::to_string(round_trip_ms)},
            {"result_bytes", std::to_string(job.result_bytes)}});
}

void JobFailed(std::string_view job_id, std::string_view principal, std::string_view kind, std::string_view cause) {
  LogEvent(kInfo, "job failed", {{"job_id", job_id}, {"principal", principal}, {"kind", kind}, {"cause", cause}});
}

void JobLeaseEnded(std::string_view job_id, uint32_t attempt) {
  LogEvent(kInfo, "job lease ended",
           {{"job_id", job_id},
            {"attempt", Text(attempt)},
            {"reason", "no result from the node (it left, or the lease expired)"}});
}

}  // namespace sela::api::events
