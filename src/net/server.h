// Server: one port for HTTP/1.1 and WebSocket (ARCHITECTURE.md §2, §4).
//
// Accepts TCP (and optionally TLS) connections on HOST:PORT, parses HTTP
// requests and routes them, upgrades WebSocket requests on any path and
// frames messages with our own codec. Enforces every limit of NetConfig and
// counts what it does in the metrics registry.
//
// Threading: everything runs on the EventLoop's thread. Send(), Close() and
// SetDeadline() must be called on that thread; from elsewhere, Post() first.
// Upper layers keep their own per-connection state keyed by ConnId; ids are
// never reused (a slot index plus a generation).
#pragma once

#include <cstdint>
#include <functional>
#include <memory>
#include <string>
#include <string_view>

#include "core/clock.h"
#include "core/config.h"
#include "core/metrics.h"
#include "core/status.h"
#include "net/event_loop.h"
#include "net/http_types.h"
#include "net/router.h"

namespace sela::net {

using ConnId = uint64_t;

// A small dense integer for a live connection (its slot), unique among live
// connections and reused after close: upper layers index per-connection
// arrays with it and keep the full ConnId to detect reuse.
inline uint32_t ConnSlot(ConnId id) { return static_cast<uint32_t>(id); }
// No connection (ConnId 0 is a valid id).
inline constexpr ConnId kNoConnId = ~ConnId{0};

// What the server tells the WebSocket layer above it. Callbacks run on the
// loop thread; they may call Send/Close on any connection.
class WsHandler {
 public:
  virtual ~WsHandler() = default;
  // The 101 was sent. request holds the upgrade's target and headers.
  virtual void OnWsOpen(ConnId id, const HttpRequest& request) = 0;
  virtual void OnWsMessage(ConnId id, bool text, std::string_view payload) = 0;
  // The connection is gone. code: the close code that ended it (1006 when the
  // TCP connection dropped without a close handshake).
  virtual void OnWsClosed(ConnId id, uint16_t code) = 0;
  // A deadline set with Server::SetDeadline has passed.
  virtual void OnWsDeadline(ConnId id) = 0;
  // A message passed WS_MAX_MESSAGE_BYTES (`bytes` so far). False (the
  // default): the connection is closed with 1009. True: the message is
  // skipped, never buffered: its payload comes to OnWsTooBigData piece by
  // piece (`last` with the final piece) and the connection goes on.
  virtual bool OnWsTooBig(ConnId /*id*/, bool /*text*/, uint64_t /*bytes*/) { return false; }
  virtual void OnWsTooBigData(ConnId /*id*/, std::string_view /*piece*/, bool /*last*/) {}
  // A pong arrived (the answer to Server::Ping, or unsolicited).
  virtual void OnWsPong(ConnId /*id*/, std::string_view /*payload*/) {}
};

// The body of an error that net answers by itself: a request it cannot
// parse or that breaks a limit, an unmatched route, a refused upgrade, a
// reply dropped unsent. The layer above owns the error envelope, so that
// every error the server sends has the same shape: net passes the message
// and the error's data as JSON text ("null" when it has none). Called on
// the loop thread.
using HttpErrorBody = std::string (*)(std::string_view message, std::string_view data_json);

class ServerImpl;

class Server {
 public:
  Server(EventLoop& loop, const NetConfig& config, const Clock& clock, MetricsRegistry& metrics,
         const Router& router, WsHandler& ws_handler, HttpErrorBody error_body);
  ~Server();

  // Binds HOST:PORT (all addresses HOST resolves to) and starts accepting.
  Status Listen();
  // The bound port (useful with PORT=0).
  uint16_t port() const;

  // Queues a WebSocket message. Returns false when the connection is gone,
  // closing, or was closed now because its outbound queue overflowed.
  bool Send(ConnId id, std::string_view payload, bool text = true);
  // Sends a ping control frame (payload at most 125 bytes); the peer's pong
  // comes back through WsHandler::OnWsPong. False as for Send.
  bool Ping(ConnId id, std::string_view payload);
  // Starts the close handshake with code and reason.
  void Close(ConnId id, uint16_t code, std::string_view reason);
  // One deadline per WebSocket connection; a new one replaces the old.
  void SetDeadline(ConnId id, MonoTime deadline);
  void ClearDeadline(ConnId id);

  // Graceful drain: stop accepting, close WebSockets with code/reason, let
  // in-flight HTTP requests finish, close idle HTTP connections. done() runs
  // once every connection is gone or the drain timeout passed.
  void Drain(uint16_t code, std::string_view reason, std::function<void()> done);
  bool draining() const;

  size_t open_connections() const;

  // The id of the connection in `slot`: an open one, or a closed one whose
  // slot is not recycled yet (during and after its OnWsClosed, until the
  // loop's next pass); kNoConnId for a free slot. Lets the layer above keep
  // a slot instead of a whole id per connection.
  ConnId IdAt(uint32_t slot) const;
  // The peer address of an open connection as HttpRequest::peer has it
  // (one getpeername); "" when the connection is gone or the address unknown.
  std::string PeerAddress(ConnId id) const;

 private:
  std::unique_ptr<ServerImpl> impl_;
};

// A handle to answer one HTTP request, possibly later (after the handler
// returned). Move-only. If it is destroyed without Send(), the client gets a
// 500 so that a request is never left hanging.
class HttpReply {
 public:
  HttpReply(ServerImpl* server, ConnId conn) : server_(server), conn_(conn) {}
  HttpReply(HttpReply&& other) noexcept;
  HttpReply& operator=(HttpReply&&) = delete;
  HttpReply(const HttpReply&) = delete;
  ~HttpReply();

  void Send(HttpResponse response);

 private:
  ServerImpl* server_;
  ConnId conn_;
};

}  // namespace sela::net
