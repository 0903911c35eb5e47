#include "http_response.h"

#include <charconv>

namespace loadgen {
namespace {

constexpr std::string_view kCrlf = "\r\n";

char Lower(char c) { return c >= 'A' && c <= 'Z' ? static_cast<char>(c - 'A' + 'a') : c; }

bool EqualsIgnoreCase(std::string_view a, std::string_view b) {
  if (a.size() != b.size()) return false;
  for (size_t i = 0; i < a.size(); ++i) {
    if (Lower(a[i]) != Lower(b[i])) return false;
  }
  return true;
}

std::string_view Trim(std::string_view s) {
  while (!s.empty() && (s.front() == ' ' || s.front() == '\t')) s.remove_prefix(1);
  while (!s.empty() && (s.back() == ' ' || s.back() == '\t')) s.remove_suffix(1);
  return s;
}

// True when the comma-separated header value lists `token` (any case).
bool HasToken(std::string_view value, std::string_view token) {
  while (!value.empty()) {
    const size_t comma = value.find(',');
    if (EqualsIgnoreCase(Trim(value.substr(0, comma)), token)) return true;
    if (comma == std::string_view::npos) break;
    value.remove_prefix(comma + 1);
  }
  return false;
}

HttpParseResult Error(std::string_view reason) {
  HttpParseResult r;
  r.status = HttpParseStatus::kError;
  r.error = reason;
  return r;
}

// "HTTP/1.1 200 OK": sets the status and whether the version is 1.0.
bool ParseStatusLine(std::string_view line, int& status, bool& http10) {
  if (line.size() < 12 || !line.starts_with("HTTP/1.") || line[8] != ' ') return false;
  if (line[7] != '0' && line[7] != '1') return false;
  http10 = line[7] == '0';
  const std::string_view code = line.substr(9, 3);
  auto [end, ec] = std::from_chars(code.data(), code.data() + code.size(), status);
  if (ec != std::errc() || end != code.data() + code.size() || status < 100) return false;
  return line.size() == 12 || line[12] == ' ';
}

}  // namespace

HttpParseResult ParseHttpResponseHead(std::string_view data) {
  const size_t head_end = data.find("\r\n\r\n");
  if (head_end == std::string_view::npos) {
    return data.size() > kHttpHeadBytesMax ? Error("http_head_too_large") : HttpParseResult{};
  }
  if (head_end + 4 > kHttpHeadBytesMax) return Error("http_head_too_large");
  std::string_view rest = data.substr(0, head_end + 2);
  size_t eol = rest.find(kCrlf);
  HttpParseResult r;
  bool http10 = false;
  if (!ParseStatusLine(rest.substr(0, eol), r.head.status, http10)) {
    return Error("http_bad_status_line");
  }
  if (r.head.status < 200) return Error("http_interim_response");
  rest.remove_prefix(eol + 2);
  bool have_length = false;
  bool keep_alive = false;
  for (; !rest.empty(); rest.remove_prefix(eol + 2)) {
    eol = rest.find(kCrlf);
    const std::string_view line = rest.substr(0, eol);
    const size_t colon = line.find(':');
    if (colon == std::string_view::npos || colon == 0) return Error("http_bad_header");
    const std::string_view name = line.substr(0, colon);
    const std::string_view value = Trim(line.substr(colon + 1));
    if (EqualsIgnoreCase(name, "content-length")) {
      size_t length = 0;
      auto [end, ec] = std::from_chars(value.data(), value.data() + value.size(), length);
      if (ec != std::errc() || end != value.data() + value.size() || value.empty()) {
        return Error("http_bad_content_length");
      }
      if (have_length && length != r.head.body_bytes) return Error("http_bad_content_length");
      have_length = true;
      r.head.body_bytes = length;
    } else if (EqualsIgnoreCase(name, "transfer-encoding")) {
      return Error("http_transfer_encoding_unsupported");
    } else if (EqualsIgnoreCase(name, "connection")) {
      if (HasToken(value, "close")) r.head.close = true;
      if (HasToken(value, "keep-alive")) keep_alive = true;
    }
  }
  const bool bodiless = r.head.status == 204 || r.head.status == 304;
  if (bodiless) {
    r.head.body_bytes = 0;
  } else if (!have_length) {
    return Error("http_no_content_length");
  }
  if (http10 && !keep_alive) r.head.close = true;
  r.head.head_bytes = head_end + 4;
  r.status = HttpParseStatus::kHead;
  return r;
}

}  // namespace loadgen
