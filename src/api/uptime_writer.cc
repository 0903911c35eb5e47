#include "api/uptime_writer.h"

#include <algorithm>
#include <iterator>
#include <utility>

namespace sela::api {

UptimeWriter::UptimeWriter(Options options, store::Store& store, OnFailure on_failure)
    : options_(options), store_(store), on_failure_(std::move(on_failure)) {
  options_.chunk_deltas = std::max<size_t>(options_.chunk_deltas, 1);
}

UptimeWriter::~UptimeWriter() { *alive_ = false; }

void UptimeWriter::Add(std::vector<store::UptimeDelta> deltas, int64_t now_ms) {
  now_ms_ = now_ms;
  queue_.insert(queue_.end(), std::make_move_iterator(deltas.begin()), std::make_move_iterator(deltas.end()));
  if (in_flight_ == 0) SendNext();
}

void UptimeWriter::SendNext() {
  const size_t n = std::min(queue_.size(), options_.chunk_deltas);
  if (n == 0) return;
  // A copy: the queue keeps the deltas until the store has applied them.
  std::vector<store::UptimeDelta> chunk(queue_.begin(), queue_.begin() + static_cast<std::ptrdiff_t>(n));
  in_flight_ = n;
  store_.AddUptime(std::move(chunk), now_ms_, [this, alive = alive_, n](Status st) {
    if (!*alive) return;
    in_flight_ = 0;
    if (!st.ok()) {
      // Nothing of the chunk was applied: it stays first in line for the
      // next checkpoint, and so does everything behind it.
      if (on_failure_) on_failure_(st);
      return;
    }
    queue_.erase(queue_.begin(), queue_.begin() + static_cast<std::ptrdiff_t>(n));
    SendNext();
  });
}

void UptimeWriter::Flush(int64_t now_ms) {
  // The chunk in flight (if any) is the store's already; the rest goes now.
  for (size_t from = in_flight_; from < queue_.size(); from += options_.chunk_deltas) {
    const size_t to = std::min(queue_.size(), from + options_.chunk_deltas);
    std::vector<store::UptimeDelta> chunk(queue_.begin() + static_cast<std::ptrdiff_t>(from),
                                          queue_.begin() + static_cast<std::ptrdiff_t>(to));
    store_.AddUptime(std::move(chunk), now_ms, [on_failure = on_failure_](Status st) {
      if (!st.ok() && on_failure) on_failure(st);
    });
  }
  queue_.erase(queue_.begin() + static_cast<std::ptrdiff_t>(in_flight_), queue_.end());
}

}  // namespace sela::api
