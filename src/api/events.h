// The event lines of nodes and jobs (docs/OPERATIONS.md "Event logs"), in
// one place so that the list in the docs and the code agree. Each writes
// one JSON line through LogEvent (core/logging.h): nothing is formatted when
// the level is off or LOG_MAX_LINES_PER_S has no room. None takes a secret
// or a result body.
//
// Threading: any thread.
#pragma once

#include <cstdint>
#include <string_view>

#include "net/server.h"
#include "store/store.h"

namespace sela::api::events {

// What a WebSocket close code means (RFC 6455 §7.4.1), for "node disconnected".
std::string_view CloseCodeMeaning(uint16_t code);

void NodeConnected(net::ConnId conn, std::string_view path, std::string_view principal);
void NodeRegistered(net::ConnId conn, std::string_view principal, std::string_view client_id);
void NodeRegistrationRefused(net::ConnId conn, std::string_view principal, std::string_view reason);
void NodeMessageRefused(net::ConnId conn, std::string_view principal, std::string_view reason);
// registered: the connection had registered (else it left before that).
void NodeDisconnected(net::ConnId conn, bool registered, std::string_view principal, uint16_t code,
                      std::string_view reason);

void JobCreated(const store::JobRecord& job);
void JobLeased(const store::JobRecord& job, uint32_t attempt, std::string_view how);
void JobCompleted(const store::JobRecord& job, int64_t round_trip_ms);
// kind: the failure's kind (store::FailureReasonName); cause: its text.
void JobFailed(std::string_view job_id, std::string_view principal, std::string_view kind, std::string_view cause);
void JobLeaseEnded(std::string_view job_id, uint32_t attempt);

}  // namespace sela::api::events
