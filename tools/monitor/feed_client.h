// FeedClient: a blocking WebSocket client for the server's dashboard feed
// (GET /admin/feed with Authorization: Bearer ADMIN_TOKEN), built on the
// load generator's handshake, framing and JSON code.
//
// Thread-safety: one thread at a time.
#pragma once

#include <cstdint>
#include <expected>
#include <string>

namespace monitor {

struct FeedClientOptions {
  std::string host = "127.0.0.1";
  uint16_t port = 8082;
  std::string token;
  int timeout_ms = 10'000;  // Connect, handshake and each message.
  size_t message_bytes_max = 8 * 1024 * 1024;
};

class FeedClient {
 public:
  FeedClient() = default;
  FeedClient(const FeedClient&) = delete;
  FeedClient& operator=(const FeedClient&) = delete;
  ~FeedClient();

  // Connects and completes the upgrade; the error says what failed.
  std::expected<void, std::string> Connect(const FeedClientOptions& options);
  // The next text message. Answers pings on the way. An error on timeout,
  // on a close from the server (with its code and reason) or a broken frame.
  std::expected<std::string, std::string> Next();
  // Sends a close frame (1000) and closes the socket.
  void Close();

 private:
  std::expected<void, std::string> ReadMore();
  bool SendFrame(int opcode, std::string_view payload);

  FeedClientOptions options_;
  int fd_ = -1;
  std::string in_;
  uint64_t mask_state_ = 0x9e3779b97f4a7c15ULL;
};

}  // namespace monitor
