// The floor's event loop (bench/floor/README.md): one thread, one epoll set,
// edge-triggered, the same system calls as sela-server's loop (accept4,
// recv into one shared buffer until a short read, sendmsg/send with
// MSG_NOSIGNAL, a writable edge only after a short write). No timers, no
// cross-thread queue, no application state beyond what a program derived
// from this class keeps.
#pragma once

#include <cstddef>
#include <cstdint>
#include <memory>
#include <string>
#include <string_view>
#include <vector>

namespace floor_bench {

class Endpoint {
 public:
  explicit Endpoint(int listen_fd);
  virtual ~Endpoint() = default;
  Endpoint(const Endpoint&) = delete;
  Endpoint& operator=(const Endpoint&) = delete;

  [[noreturn]] void Run();

 protected:
  // Per descriptor; bytes held only while a message is incomplete or the
  // socket is out of send space.
  struct Conn {
    std::unique_ptr<std::string> in;
    std::unique_ptr<std::string> out;
    uint32_t generation = 0;
    uint8_t state = 0;  // The derived program's.
    bool open = false;
  };

  // Consumes a prefix of [data, data + size) (frames or requests), appending
  // answers for fd to reply_; returns the bytes consumed, or -1 to close fd
  // after reply_ is sent.
  virtual ptrdiff_t OnBytes(int fd, char* data, size_t size) = 0;
  virtual void OnClosed(int /*fd*/) {}

  // Connections live in chunks that never move (as in sela-server), so that
  // growing the table leaves no copies behind.
  Conn& conn(int fd) {
    const auto i = static_cast<size_t>(fd);
    return chunks_[i / kChunk][i % kChunk];
  }
  // Writes bytes to fd now, or queues what the socket does not take.
  void Send(int fd, std::string_view bytes);
  void Close(int fd);

  std::string reply_;  // Answers to the descriptor being read.

 private:
  void Accept();
  void Read(int fd);
  void Feed(int fd, char* data, size_t size);
  void Flush(int fd);

  int listen_fd_;
  int epoll_fd_;
  static constexpr size_t kChunk = 1024;
  std::vector<std::unique_ptr<Conn[]>> chunks_;
  std::unique_ptr<char[]> buffer_;
};

}  // namespace floor_bench
