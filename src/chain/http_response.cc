// HttpResponseParser and Url (http_client.h).
#include <algorithm>
#include <cctype>
#include <charconv>

#include "chain/http_client.h"

namespace sela::chain {
namespace {

std::string Lower(std::string_view s) {
  std::string out(s);
  for (char& c : out) c = static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
  return out;
}

std::string_view Trim(std::string_view s) {
  while (!s.empty() && (s.front() == ' ' || s.front() == '\t')) s.remove_prefix(1);
  while (!s.empty() && (s.back() == ' ' || s.back() == '\t' || s.back() == '\r')) s.remove_suffix(1);
  return s;
}

}  // namespace

Result<Url> Url::Parse(std::string_view text) {
  Url url;
  if (text.starts_with("https://")) {
    text.remove_prefix(8);
  } else if (text.starts_with("http://")) {
    url.tls = false;
    url.port = 80;
    text.remove_prefix(7);
  } else {
    return Err(InvalidArgument("URL must start with http:// or https://"));
  }
  const size_t slash = text.find('/');
  std::string_view authority = text.substr(0, slash);
  if (slash != std::string_view::npos) {
    std::string_view path = text.substr(slash);
    const size_t cut = path.find_first_of("?#");
    path = path.substr(0, cut);
    while (path.ends_with('/')) path.remove_suffix(1);
    url.base_path = std::string(path);
  }
  const size_t colon = authority.rfind(':');
  if (colon != std::string_view::npos && authority.find(']') == std::string_view::npos) {
    const std::string_view port = authority.substr(colon + 1);
    unsigned value = 0;
    const auto [end, ec] = std::from_chars(port.data(), port.data() + port.size(), value);
    if (ec != std::errc() || end != port.data() + port.size() || value == 0 || value > 65535) {
      return Err(InvalidArgument("URL port must be 1..65535"));
    }
    url.port = static_cast<uint16_t>(value);
    authority = authority.substr(0, colon);
  }
  if (authority.empty() || authority.find_first_of(" @") != std::string_view::npos) {
    return Err(InvalidArgument("URL needs a host (and no user info)"));
  }
  url.host = std::string(authority);
  return url;
}

HttpResponseParser::State HttpResponseParser::Fail(Status s) {
  error_ = std::move(s);
  state_ = State::kError;
  return state_;
}

HttpResponseParser::State HttpResponseParser::Feed(std::string_view bytes) {
  if (state_ != State::kNeedMore) return state_;
  buffer_ += bytes;
  if (!head_done_) {
    const State s = ParseHead();
    if (s != State::kNeedMore || !head_done_) return s;
  }
  return ParseBody();
}

HttpResponseParser::State HttpResponseParser::Close() {
  if (state_ != State::kNeedMore) return state_;
  if (head_done_ && until_close_) {
    keep_alive_ = false;
    state_ = State::kDone;
    return state_;
  }
  return Fail(Unavailable("HTTP: connection closed before the response was complete"));
}

HttpResponseParser::State HttpResponseParser::ParseHead() {
  const size_t end = buffer_.find("\r\n\r\n");
  if (end == std::string::npos) {
    if (buffer_.size() > header_max_) return Fail(ResourceExhausted("HTTP: response head too large"));
    return State::kNeedMore;
  }
  if (end > header_max_) return Fail(ResourceExhausted("HTTP: response head too large"));
  const std::string_view head(buffer_.data(), end);
  const size_t line_end = head.find("\r\n");
  const std::string_view status_line = head.substr(0, line_end);
  // "HTTP/1.1 200 OK"
  if (!status_line.starts_with("HTTP/1.") || status_line.size() < 12 || status_line[8] != ' ') {
    return Fail(Unavailable("HTTP: malformed status line"));
  }
  int status = 0;
  const auto [p, ec] = std::from_chars(status_line.data() + 9, status_line.data() + 12, status);
  if (ec != std::errc() || p != status_line.data() + 12 || status < 100 || status > 599) {
    return Fail(Unavailable("HTTP: malformed status code"));
  }
  response_.status = status;
  keep_alive_ = status_line[7] == '1';
  bool has_length = false;
  size_t pos = line_end == std::string_view::npos ? head.size() : line_end + 2;
  while (pos < head.size()) {
    size_t next = head.find("\r\n", pos);
    if (next == std::string_view::npos) next = head.size();
    const std::string_view line = head.substr(pos, next - pos);
    pos = next + 2;
    const size_t colon = line.find(':');
    if (colon == std::string_view::npos) return Fail(Unavailable("HTTP: malformed header line"));
    const std::string name = Lower(Trim(line.substr(0, colon)));
    const std::string_view value = Trim(line.substr(colon + 1));
    if (name == "content-length") {
      size_t n = 0;
      const auto [q, e] = std::from_chars(value.data(), value.data() + value.size(), n);
      if (e != std::errc() || q != value.data() + value.size() || (has_length && n != content_length_)) {
        return Fail(Unavailable("HTTP: bad Content-Length"));
      }
      if (n > body_max_) return Fail(ResourceExhausted("HTTP: response body over " + std::to_string(body_max_)));
      content_length_ = n;
      has_length = true;
    } else if (name == "transfer-encoding") {
      if (Lower(value) != "chunked") return Fail(Unavailable("HTTP: unsupported transfer encoding"));
      chunked_ = true;
    } else if (name == "connection") {
      const std::string v = Lower(value);
      if (v == "close") keep_alive_ = false;
      if (v == "keep-alive") keep_alive_ = true;
    } else if (name == "content-type") {
      response_.content_type = std::string(value.substr(0, 128));
    }
  }
  if (chunked_ && has_length) return Fail(Unavailable("HTTP: both chunked and Content-Length"));
  const bool no_body = status == 204 || status == 304 || (status >= 100 && status < 200);
  if (no_body) {
    content_length_ = 0;
    has_length = true;
    chunked_ = false;
  }
  until_close_ = !chunked_ && !has_length;
  buffer_.erase(0, end + 4);
  head_done_ = true;
  return State::kNeedMore;
}

HttpResponseParser::State HttpResponseParser::ParseBody() {
  if (chunked_) return ParseChunks();
  if (until_close_) {
    if (response_.body.size() + buffer_.size() > body_max_) return Fail(ResourceExhausted("HTTP: response body too large"));
    response_.body += buffer_;
    buffer_.clear();
    return State::kNeedMore;
  }
  const size_t need = content_length_ - response_.body.size();
  const size_t take = std::min(need, buffer_.size());
  response_.body.append(buffer_, 0, take);
  buffer_.erase(0, take);
  if (response_.body.size() == content_length_) state_ = State::kDone;
  return state_;
}

HttpResponseParser::State HttpResponseParser::ParseChunks() {
  while (true) {
    const size_t line_end = buffer_.find("\r\n");
    if (line_end == std::string::npos) {
      if (buffer_.size() > 1024) return Fail(Unavailable("HTTP: chunk size line too long"));
      return State::kNeedMore;
    }
    size_t size = 0;
    const char* begin = buffer_.data();
    const auto [p, ec] = std::from_chars(begin, begin + line_end, size, 16);
    if (ec != std::errc() || (p != begin + line_end && *p != ';')) return Fail(Unavailable("HTTP: bad chunk size"));
    if (size > body_max_ - response_.body.size()) return Fail(ResourceExhausted("HTTP: response body too large"));
    if (size == 0) {
      // Last chunk; no trailers expected (we sent no TE header).
      if (buffer_.size() < line_end + 4) return State::kNeedMore;
      if (buffer_.compare(line_end + 2, 2, "\r\n") != 0) return Fail(Unavailable("HTTP: trailers not supported"));
      buffer_.erase(0, line_end + 4);
      state_ = State::kDone;
      return state_;
    }
    if (buffer_.size() < line_end + 2 + size + 2) return State::kNeedMore;
    if (buffer_.compare(line_end + 2 + size, 2, "\r\n") != 0) return Fail(Unavailable("HTTP: chunk not terminated"));
    response_.body.append(buffer_, line_end + 2, size);
    buffer_.erase(0, line_end + 2 + size + 2);
  }
}

}  // namespace sela::chain
