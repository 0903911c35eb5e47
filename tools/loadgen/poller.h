// Poller: the level-triggered epoll set that Engine (node WebSockets) and
// Customers (REST) each run their connections on. A connection is known by
// its id (an index into the owner's connection table); one more descriptor,
// the control pipe from the coordinator, may be watched for input.
//
// A connection is watched for input always and for output only while the
// owner asks for it (connecting, or bytes queued), so that a writable socket
// does not wake the loop for nothing.
//
// Thread-safety: none; one owner, one thread.
#pragma once

#include <sys/epoll.h>

#include <cstdint>
#include <expected>
#include <string>

namespace loadgen {

class Poller {
 public:
  Poller() = default;
  ~Poller();
  Poller(const Poller&) = delete;
  Poller& operator=(const Poller&) = delete;

  // Creates the epoll instance; the error names the failed call.
  std::expected<void, std::string> Init();
  // Watches `fd` (the control pipe) for input; Wait() then reports it.
  void WatchAux(int fd);
  // Adds a connecting socket, watched for input and output. False (errno
  // set) when epoll refuses it.
  bool Add(int fd, uint32_t id);
  // Output wanted or not from now on (input always).
  void WantWrite(int fd, uint32_t id, bool want_write);

  // Waits up to wait_ns (0: do not block) for descriptors to be ready.
  void Wait(int64_t wait_ns);
  // Calls on_event(id, events) for each connection found ready by the last
  // Wait(); returns whether the aux descriptor was.
  template <typename OnEvent>
  bool Dispatch(OnEvent&& on_event) {
    bool aux_readable = false;
    for (int i = 0; i < ready_; ++i) {
      if (events_[i].data.u64 == kAuxId) {
        aux_readable = true;
      } else {
        on_event(static_cast<uint32_t>(events_[i].data.u64), events_[i].events);
      }
    }
    return aux_readable;
  }

 private:
  static constexpr uint64_t kAuxId = UINT64_MAX;
  static constexpr int kEventsPerWait = 1024;
  int epoll_fd_ = -1;
  int ready_ = 0;  // Entries of events_ filled by the last Wait().
  epoll_event events_[kEventsPerWait];
};

}  // namespace loadgen
