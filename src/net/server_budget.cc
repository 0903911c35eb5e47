// The inbound budget on a connection's side: what it holds and needs, when
// it must stop reading, and who resumes when memory is released. Also the
// deadline of partial WebSocket frames and messages, and giving freed memory
// back to the system after a spike.
#include <malloc.h>

#include "net/server_impl.h"

namespace sela::net {

uint64_t ServerImpl::HeldBytes(uint32_t idx) const {
  const Connection& c = slot(idx);
  uint64_t held = WsView(idx).held_bytes();
  if (c.http) {
    const HttpState& h = *c.http;
    held += sizeof(HttpState) + h.inbuf.capacity() + h.parser.held_bytes() + (h.body_waiting ? 0 : h.stream_charge);
  }
  return held;
}

uint64_t ServerImpl::NeedBytes(uint32_t idx) const {
  const Connection& c = slot(idx);
  const WsReader& ws = WsView(idx);
  if (c.http) {
    const HttpState& h = *c.http;
    // A body waiting for room is not counted as needed until it gets it.
    const bool body_counts = h.parser.header_done() && !h.body_waiting;
    // A streamed body (stream_charge) counts once granted, like a body
    // read whole: the sink holds its bytes in transit until the response.
    return ws.held_bytes() + sizeof(HttpState) + h.inbuf.capacity() +
           (body_counts ? h.parser.need_bytes() + h.stream_charge : h.parser.held_bytes());
  }
  return ws.need_bytes();
}

void ServerImpl::SetCharge(Connection& c, uint64_t bytes) {
  bytes = std::min<uint64_t>(bytes, UINT32_MAX);
  if (bytes > c.charge) {
    budget_.Charge(bytes - c.charge);
  } else {
    budget_.Release(c.charge - bytes);
    released_since_trim_ += c.charge - bytes;
    last_release_ = clock_.Now();
  }
  if (c.flags & conn_flag::kBudgetPaused) paused_charge_ = paused_charge_ - c.charge + bytes;
  c.charge = static_cast<uint32_t>(bytes);
  m_.inbound_bytes->Set(static_cast<int64_t>(budget_.used_bytes()));
}

bool ServerImpl::Grant(uint32_t idx, uint64_t total) {
  Connection& c = slot(idx);
  if (total <= c.charge) return true;
  // Progress: when every charged byte belongs to connections waiting for
  // the budget (this one included), none of them would ever release any;
  // one goes ahead. The budget is at least twice the largest message or
  // body (config), so this overshoots it by one request at most.
  const uint64_t others_paused = paused_charge_ - ((c.flags & conn_flag::kBudgetPaused) ? c.charge : 0);
  const bool nobody_progresses = budget_.used_bytes() - c.charge == others_paused;
  if (!budget_.CanCharge(total - c.charge, total) && !nobody_progresses) return false;
  SetCharge(c, total);
  return true;
}

void ServerImpl::ReleaseCharge(Connection& c, uint64_t bytes) { SetCharge(c, c.charge - bytes); }

void ServerImpl::SettleBudget(uint32_t idx) {
  Connection& c = slot(idx);
  const uint64_t held = HeldBytes(idx);
  if (c.flags & conn_flag::kBudgetPaused) {
    // Waiting: what it holds is charged; what it needs is decided on waking.
    if (held != c.charge) SetCharge(c, held);
    if (held < c.charge) WakeBudgetWaiters();
    return;
  }
  const uint64_t need = std::max(held, NeedBytes(idx));
  if (need > c.charge) {
    if (Grant(idx, need)) {
      if (WsReader* ws = WsMutable(idx)) ws->ReserveForFrame();
      return;
    }
    if (held > c.charge) SetCharge(c, held);
    PauseForBudget(idx);
    return;
  }
  if (need < c.charge) {
    SetCharge(c, need);
    WakeBudgetWaiters();
  }
}

void ServerImpl::PauseForBudget(uint32_t idx) {
  Connection& c = slot(idx);
  if (c.flags & conn_flag::kBudgetPaused) return;
  c.flags |= conn_flag::kBudgetPaused;
  paused_charge_ += c.charge;
  budget_.AddWaiter(MakeId(idx, c.generation));
  m_.budget_pauses->Inc();
  m_.inbound_waiting->Set(static_cast<int64_t>(budget_.waiters()));
}

void ServerImpl::Unpause(Connection& c) {
  if (!(c.flags & conn_flag::kBudgetPaused)) return;
  paused_charge_ -= c.charge;
  c.flags &= ~conn_flag::kBudgetPaused;
}

void ServerImpl::WakeBudgetWaiters() {
  while (budget_.waiters() > 0) {
    const ConnId id = *budget_.PopWaiter();
    Connection* c = Lookup(id);
    if (!c || !(c->flags & conn_flag::kBudgetPaused)) continue;
    const uint32_t idx = ConnSlot(id);
    uint64_t need = NeedBytes(idx);
    if (c->http && c->http->body_waiting) {
      need += c->http->parser.need_bytes() - c->http->parser.held_bytes() + c->http->stream_charge;
    }
    if (!Grant(idx, std::max(need, HeldBytes(idx)))) {
      budget_.PushFrontWaiter(id);
      break;
    }
    Unpause(*c);
    const uint32_t gen = c->generation;
    loop_.Post([this, idx, gen] { ResumeAfterBudget(idx, gen); });
  }
  m_.inbound_waiting->Set(static_cast<int64_t>(budget_.waiters()));
}

void ServerImpl::ResumeAfterBudget(uint32_t idx, uint32_t gen) {
  Connection& c = slot(idx);
  if (c.generation != gen || c.state == ConnState::kFree || c.state == ConnState::kDead) return;
  if (c.flags & conn_flag::kBudgetPaused) return;  // Paused again meanwhile.
  if (c.state == ConnState::kHttp && c.http && c.http->body_waiting) {
    if (!HttpAdmitBody(idx)) return;
    HttpParse(idx);
  } else if (c.state == ConnState::kWebSocket) {
    if (WsReader* ws = WsMutable(idx)) ws->ReserveForFrame();
  }
  if (c.state != ConnState::kFree && c.state != ConnState::kDead && !ReadBlocked(c) &&
      (c.flags & (conn_flag::kMaybeReadable | conn_flag::kTls))) {
    ReadLoop(idx);
  }
}

void ServerImpl::MaybeTrimMemory() {
  if (released_since_trim_ == 0) return;
  const MonoTime now = clock_.Now();
  if (last_trim_ != MonoTime{} && now - last_trim_ < kTrimInterval) return;
  // During a spike, once much was released and most of the budget is free
  // again; after it, once the budget stayed empty for a while, so that what
  // the last connections held goes back too.
  const bool spike =
      released_since_trim_ >= kTrimAfterReleasedBytes && budget_.used_bytes() <= budget_.limit_bytes() / 4;
  const bool quiet = budget_.used_bytes() == 0 && now - last_release_ >= kTrimInterval;
  if (!spike && !quiet) return;
  last_trim_ = now;
  released_since_trim_ = 0;
  malloc_trim(0);
  m_.memory_trims->Inc();
}

}  // namespace sela::net
