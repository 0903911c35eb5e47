// UptimeWriter: writes the registry's uptime checkpoints to the store in
// chunks, one chunk in flight at a time.
//
// A checkpoint holds one delta per (principal, day) with anything to report:
// with 19,000 nodes on a process that is 19,000 deltas. Written as one store
// call it was one SQLite transaction that held the writer (and every job
// behind it) for its whole length, and on Redis one Lua script of about 22
// calls per delta: ~400,000 calls during which Redis, single-threaded, served
// no other process's jobs or heartbeats. The copy kept for a retry doubled
// the transient memory. Chunks of `chunk_deltas` (UPTIME_CHECKPOINT_CHUNK),
// sent one after the other, let other work in between and bound what is
// held per call.
//
// Each chunk is atomic (the store's AddUptime); a chunk the store refuses
// stays queued, with everything behind it, and is sent again at the next
// checkpoint: deltas are additive and each is in exactly one chunk, so a
// refused chunk is never half applied and an applied one never sent twice.
// What is queued when the process exits is sent by Flush, all at once.
//
// Threading: the event loop's thread (the store's callbacks arrive there).
#pragma once

#include <cstddef>
#include <cstdint>
#include <deque>
#include <functional>
#include <memory>
#include <vector>

#include "core/status.h"
#include "store/store.h"

namespace sela::api {

class UptimeWriter {
 public:
  struct Options {
    size_t chunk_deltas = 1000;
  };
  // Called once per refused chunk, with the store's answer.
  using OnFailure = std::function<void(const Status&)>;

  UptimeWriter(Options options, store::Store& store, OnFailure on_failure);
  ~UptimeWriter();
  UptimeWriter(const UptimeWriter&) = delete;
  UptimeWriter& operator=(const UptimeWriter&) = delete;

  // Queues a checkpoint's deltas and starts sending unless a chunk is in
  // flight already; a queue stopped by a refusal starts again here.
  void Add(std::vector<store::UptimeDelta> deltas, int64_t now_ms);
  // For the exit: sends everything queued at once, in chunks, without
  // waiting for answers (the caller flushes the store next).
  void Flush(int64_t now_ms);

  // Deltas not yet applied (the chunk in flight included).
  size_t queued() const { return queue_.size(); }
  bool sending() const { return in_flight_ > 0; }

 private:
  void SendNext();

  Options options_;
  store::Store& store_;
  OnFailure on_failure_;
  // The chunk in flight is the first in_flight_ deltas: they leave the
  // queue only when the store has applied them.
  std::deque<store::UptimeDelta> queue_;
  size_t in_flight_ = 0;
  int64_t now_ms_ = 0;  // The newest checkpoint's time: the chunks' now_ms.
  // Guards the callbacks against a writer destroyed while a chunk is in
  // flight (the store answers later, on the loop).
  std::shared_ptr<bool> alive_ = std::make_shared<bool>(true);
};

}  // namespace sela::api
