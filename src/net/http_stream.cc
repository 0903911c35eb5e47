// Streaming request and response bodies on a connection (http_stream.h),
// and byte ranges and entity tags.
#include "net/http_stream.h"

#include <charconv>

#include "net/server_impl.h"

namespace sela::net {
namespace {

// Pieces pulled from a BodySource at a time: one is in flight (read off the
// loop) while the kernel sends the one before.
constexpr size_t kStreamPieceBytes = 256 * 1024;

std::string_view TrimBlanks(std::string_view s) {
  while (!s.empty() && (s.front() == ' ' || s.front() == '\t')) s.remove_prefix(1);
  while (!s.empty() && (s.back() == ' ' || s.back() == '\t')) s.remove_suffix(1);
  return s;
}

// Digits only, no sign, no overflow.
bool ParseDecimal(std::string_view s, uint64_t* out) {
  if (s.empty()) return false;
  const auto [end, ec] = std::from_chars(s.data(), s.data() + s.size(), *out);
  return ec == std::errc() && end == s.data() + s.size();
}

}  // namespace

void BodyStream::Resume() const { server_->ResumeBody(conn_); }
void BodyStream::Refuse(HttpResponse response) const { server_->RefuseBody(conn_, std::move(response)); }

void ServerImpl::ResumeBody(ConnId id) {
  Connection* c = Lookup(id);
  if (!c || c->state != ConnState::kHttp || !c->http || !c->http->sink_paused) return;
  c->http->sink_paused = false;
  const uint32_t idx = static_cast<uint32_t>(id);
  // Bytes already read wait in inbuf; the rest in the socket.
  loop_.Post([this, id, idx] {
    if (!Lookup(id)) return;
    HttpParse(idx);
    Connection& conn = slot(idx);
    if (conn.state == ConnState::kHttp && conn.http && !conn.http->sink_paused &&
        (conn.flags & conn_flag::kMaybeReadable)) {
      conn.flags &= ~conn_flag::kReadPaused;
      PostRead(idx);
    }
  });
}

void ServerImpl::RefuseBody(ConnId id, HttpResponse response) {
  Connection* c = Lookup(id);
  if (!c || c->state != ConnState::kHttp || !c->http || c->http->response_pending) return;
  HttpState& h = *c->http;
  // What is left of the body is not read: the connection closes after the
  // answer, and lingering drops what the peer still sends.
  h.inbuf.clear();
  h.response_pending = true;
  h.sink_paused = false;
  c->flags &= ~conn_flag::kReadPaused;
  deadlines_.Cancel(static_cast<uint32_t>(id));
  response.close = true;
  SendHttpResponse(id, std::move(response));
}

size_t ServerImpl::FeedSinkDirect(uint32_t idx, const uint8_t* data, size_t size) {
  Connection& c = slot(idx);
  HttpState& h = *c.http;
  if (h.sink_paused || h.response_pending || !h.sink || (c.flags & conn_flag::kInFeed)) return 0;
  const ConnId id = MakeId(idx, c.generation);
  const size_t n = static_cast<size_t>(std::min<uint64_t>(h.parser.body_left(), size));
  const bool more = h.sink->OnData(std::string_view(reinterpret_cast<const char*>(data), n));
  if (!Lookup(id) || !c.http || c.http->response_pending) return size;  // Answered: the rest is dropped.
  AfterSinkData(idx, n, more);
  return n;
}

void ServerImpl::FeedSink(uint32_t idx) {
  Connection& c = slot(idx);
  HttpState& h = *c.http;
  const ConnId id = MakeId(idx, c.generation);
  const size_t n = static_cast<size_t>(std::min<uint64_t>(h.parser.body_left(), h.inbuf.size()));
  const bool more = h.sink->OnData(std::string_view(h.inbuf.data(), n));
  // The sink may have answered (refused) meanwhile.
  if (!Lookup(id) || !c.http || c.http->response_pending) return;
  h.inbuf.erase(0, n);
  AfterSinkData(idx, n, more);
}

void ServerImpl::AfterSinkData(uint32_t idx, size_t n, bool more) {
  Connection& c = slot(idx);
  HttpState& h = *c.http;
  const ConnId id = MakeId(idx, c.generation);
  h.parser.BodyConsumed(n);
  if (!more) {
    h.sink_paused = true;
    c.flags |= conn_flag::kReadPaused;
  }
  if (h.parser.streaming()) return;
  // The whole body is in.
  deadlines_.Cancel(idx);
  h.response_pending = true;
  h.sink->OnEnd(HttpReply(this, id));
}

void ServerImpl::StartOutStream(uint32_t idx, std::shared_ptr<BodySource> source, uint64_t length,
                                bool keep_alive) {
  out_streams_[idx] = OutStream{std::move(source), length, false, keep_alive};
  PumpOutStream(idx);
}

void ServerImpl::PumpOutStream(uint32_t idx) {
  auto it = out_streams_.find(idx);
  if (it == out_streams_.end() || it->second.pulling) return;
  Connection& c = slot(idx);
  // Backpressure: the next piece is read only once the last one left.
  if (HasOut(c)) return;
  OutStream& s = it->second;
  if (s.left == 0) {
    const bool keep_alive = s.keep_alive;
    out_streams_.erase(it);
    HttpAfterResponse(idx, keep_alive);
    return;
  }
  s.pulling = true;
  // A stalled reader gets the request timeout between pieces.
  deadlines_.Schedule(idx, clock_.Now() + Millis(config_.http_request_timeout_ms));
  const uint32_t gen = c.generation;
  // Hold the source: a synchronous deliver may end the stream.
  std::shared_ptr<BodySource> source = s.source;
  source->Pull(static_cast<size_t>(std::min<uint64_t>(s.left, kStreamPieceBytes)),
               [this, idx, gen](Result<std::string> piece) { OnStreamPiece(idx, gen, std::move(piece)); });
}

void ServerImpl::OnStreamPiece(uint32_t idx, uint32_t gen, Result<std::string> piece) {
  Connection& c = slot(idx);
  if (c.generation != gen || c.state != ConnState::kHttp) return;
  auto it = out_streams_.find(idx);
  if (it == out_streams_.end()) return;
  OutStream& s = it->second;
  s.pulling = false;
  if (!piece || piece->empty() || piece->size() > s.left) {
    // The status line is out: a short body is all the client can be told.
    HttpErrorCounter("body_source").Inc();
    out_streams_.erase(it);
    Abort(idx, close_code::kAbnormal);
    return;
  }
  s.left -= piece->size();
  if (!Write(idx, *piece, {})) return;
  // With the piece taken whole by the kernel, go on at once (a posted
  // delivery is not inside PumpOutStream; a synchronous one is, and the
  // pulling flag keeps it from recursing).
  if (!HasOut(c)) loop_.Post([this, idx, gen] {
    if (slot(idx).generation == gen) PumpOutStream(idx);
  });
}

// ---- Ranges and entity tags ----------------------------------------------

RangeOutcome ParseRange(std::string_view header, uint64_t size, ByteRange* range) {
  header = TrimBlanks(header);
  if (!header.starts_with("bytes=")) return RangeOutcome::kWhole;
  std::string_view spec = TrimBlanks(header.substr(6));
  if (spec.find(',') != std::string_view::npos) return RangeOutcome::kWhole;  // Several: all of it.
  const size_t dash = spec.find('-');
  if (dash == std::string_view::npos) return RangeOutcome::kWhole;
  const std::string_view first_text = TrimBlanks(spec.substr(0, dash));
  const std::string_view last_text = TrimBlanks(spec.substr(dash + 1));
  uint64_t first = 0;
  uint64_t last = 0;
  if (first_text.empty()) {
    // bytes=-n: the last n bytes.
    if (!ParseDecimal(last_text, &last)) return RangeOutcome::kWhole;
    if (last == 0 || size == 0) return RangeOutcome::kUnsatisfiable;
    range->length = std::min(last, size);
    range->first = size - range->length;
    return RangeOutcome::kPartial;
  }
  if (!ParseDecimal(first_text, &first)) return RangeOutcome::kWhole;
  if (last_text.empty()) {
    last = size == 0 ? 0 : size - 1;
  } else if (!ParseDecimal(last_text, &last) || last < first) {
    return RangeOutcome::kWhole;
  }
  if (first >= size) return RangeOutcome::kUnsatisfiable;
  last = std::min(last, size - 1);
  range->first = first;
  range->length = last - first + 1;
  return RangeOutcome::kPartial;
}

std::string ContentRange(const ByteRange& range, uint64_t size) {
  return "bytes " + std::to_string(range.first) + "-" + std::to_string(range.first + range.length - 1) + "/" +
         std::to_string(size);
}

bool IfNoneMatch(std::string_view header, std::string_view etag) {
  const std::string_view want = etag.starts_with("W/") ? etag.substr(2) : etag;
  while (!header.empty()) {
    const size_t comma = header.find(',');
    std::string_view tag = TrimBlanks(header.substr(0, comma));
    header = comma == std::string_view::npos ? std::string_view() : header.substr(comma + 1);
    if (tag == "*") return true;
    if (tag.starts_with("W/")) tag.remove_prefix(2);
    if (tag == want) return true;
  }
  return false;
}

bool IfRangeAllows(std::string_view header, std::string_view etag) {
  header = TrimBlanks(header);
  return !etag.starts_with("W/") && header == etag;
}

}  // namespace sela::net
