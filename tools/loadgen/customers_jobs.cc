// Customers, part 2: the API client's traffic: registration, the open- and
// closed-loop schedules, submitting scrapeUrl requests and accounting for
// their responses.
#include <algorithm>
#include <string>

#include "customers.h"
#include "engine.h"

namespace loadgen {
namespace {

// How much of a refused registration's body the error quotes.
constexpr size_t kRegisterBodyQuoteMax = 200;

}  // namespace

bool Customers::ParseResponses(uint32_t id, std::string_view data, size_t& used) {
  size_t pos = 0;
  while (pos < data.size()) {
    const HttpParseResult r = ParseHttpResponseHead(data.substr(pos));
    if (r.status == HttpParseStatus::kNeedMore) break;
    if (r.status == HttpParseStatus::kError) {
      Fail(id, r.error);
      return false;
    }
    if (r.head.body_bytes > kResponseBytesMax) {
      Fail(id, "http_response_too_large");
      return false;
    }
    if (data.size() - pos < r.head.total_bytes()) break;
    const std::string_view body = data.substr(pos + r.head.head_bytes, r.head.body_bytes);
    pos += r.head.total_bytes();
    if (!OnResponse(id, r.head, body)) return false;
  }
  used = pos;
  return true;
}

bool Customers::OnResponse(uint32_t id, const HttpResponseHead& head, std::string_view body) {
  if (id == register_id_) {
    OnRegisterResponse(head.status, body);
    CloseSocket(id);
    return false;
  }
  Conn& c = conns_[id];
  if (c.outstanding == 0) {
    Fail(id, "http_unsolicited_response");
    return false;
  }
  const size_t slot = size_t{id} * static_cast<size_t>(config_.pipeline) + c.head;
  c.head = static_cast<uint16_t>((c.head + 1) % config_.pipeline);
  --c.outstanding;
  --outstanding_;
  RecordResponse(head.status, sent_ns_[slot], due_ns_[slot]);
  if (head.close) {
    // Legal HTTP, but a keep-alive client should not see it under load.
    Fail(id, "http_connection_close");
    return false;
  }
  OnCapacity(id);
  return true;
}

void Customers::OnRegisterResponse(int status, std::string_view body) {
  --unsettled_;
  if (status == 200) {
    auto key = ApiKeyFromRegisterBody(body);
    if (key) {
      builder_.emplace(config_.endpoints.host_header, *key, config_.timeout_ms);
      registered_ = true;
      return;
    }
    registration_error_ = key.error();
    return;
  }
  std::string quote(body.substr(0, kRegisterBodyQuoteMax));
  // The text travels to the parent as one line.
  std::replace_if(quote.begin(), quote.end(), [](char c) { return c >= 0 && c < ' '; }, ' ');
  registration_error_ = "POST /api/rpc/registerClient answered HTTP " + std::to_string(status) +
                        ": " + quote;
}

void Customers::RecordResponse(int status, int64_t sent_ns, int64_t due_ns) {
  ++status_counts_[static_cast<size_t>(std::clamp(status, 0, 599))];
  if (status != 200) {
    ++stats_.failed;
    return;
  }
  ++stats_.completed;
  if (submitting_) ++stats_.completed_in_window;
  stats_.latency.Record((now_ns_ - sent_ns) / 1000);
  if (open_loop()) stats_.scheduled_latency.Record((now_ns_ - due_ns) / 1000);
}

// The connection has room for another request: give it work or park it.
void Customers::OnCapacity(uint32_t id) {
  Conn& c = conns_[id];
  if (submitting_ && !open_loop()) {
    while (c.outstanding < config_.pipeline) Submit(id, now_ns_);
    return;
  }
  while (submitting_ && !backlog_.empty() && c.outstanding < config_.pipeline) {
    Submit(id, backlog_.front());
    backlog_.pop_front();
  }
  if (c.outstanding < config_.pipeline && !c.in_ready) {
    c.in_ready = true;
    ready_.push_back(id);
  }
}

bool Customers::PopReady(uint32_t& id) {
  while (!ready_.empty()) {
    const uint32_t candidate = ready_.back();
    Conn& c = conns_[candidate];
    if (c.state == State::kOpen && c.outstanding < config_.pipeline) {
      id = candidate;
      return true;
    }
    c.in_ready = false;
    ready_.pop_back();
  }
  return false;
}

void Customers::Submit(uint32_t id, int64_t due_ns) {
  Conn& c = conns_[id];
  const size_t slot = size_t{id} * static_cast<size_t>(config_.pipeline) +
                      (c.head + c.outstanding) % static_cast<size_t>(config_.pipeline);
  sent_ns_[slot] = now_ns_;
  due_ns_[slot] = due_ns;
  ++c.outstanding;
  ++outstanding_;
  ++stats_.submitted;
  request_.clear();
  builder_->Append(next_url_++, request_);
  Send(id, request_);
}

void Customers::RunSchedule() {
  if (!submitting_ || !open_loop() || !registered_) return;
  const double interval_ns = 1e9 / config_.rate_per_s;
  while (next_due_ns_ <= now_ns_) {
    const int64_t due = next_due_ns_;
    ++scheduled_;
    next_due_ns_ = start_ns_ + static_cast<int64_t>(static_cast<double>(scheduled_) * interval_ns);
    uint32_t id = 0;
    if (PopReady(id)) {
      Submit(id, due);
      continue;
    }
    ++stats_.late;
    if (backlog_.size() < kBacklogMax) {
      backlog_.push_back(due);
    } else {
      ++stats_.unsent;
    }
  }
}

void Customers::StartSubmitting() {
  now_ns_ = MonotonicNs();
  submitting_ = true;
  start_ns_ = now_ns_;
  stats_.start_ns = now_ns_;
  next_due_ns_ = now_ns_;
  scheduled_ = 0;
  if (!registered_) return;
  if (open_loop()) return RunSchedule();
  for (uint32_t id = 0; id < register_id_; ++id) {
    if (conns_[id].state == State::kOpen) OnCapacity(id);
  }
}

void Customers::StopSubmitting() {
  now_ns_ = MonotonicNs();
  submitting_ = false;
  stats_.stop_ns = now_ns_;
  stats_.unsent += static_cast<int64_t>(backlog_.size());
  backlog_.clear();
}

void Customers::CloseAll() {
  stats_.unanswered += outstanding_;
  for (uint32_t id = 0; id < conns_.size(); ++id) {
    CloseSocket(id);
    conns_[id].outstanding = 0;
  }
  outstanding_ = 0;
  for (size_t status = 0; status < status_counts_.size(); ++status) {
    if (status_counts_[status] > 0) stats_.statuses[std::to_string(status)] += status_counts_[status];
  }
  status_counts_.fill(0);
}

}  // namespace loadgen
