#include "net/http_parser.h"

#include <boost/asio/buffer.hpp>
// GCC 12 with sanitizers reports a maybe-uninitialized boost::optional inside
// Beast's parser (a false positive in inlined library code).
#if defined(__GNUC__) && !defined(__clang__)
#pragma GCC diagnostic push
#pragma GCC diagnostic ignored "-Wmaybe-uninitialized"
#endif
#include <boost/beast/http/error.hpp>
#include <boost/beast/http/parser.hpp>
#include <boost/beast/http/string_body.hpp>
#if defined(__GNUC__) && !defined(__clang__)
#pragma GCC diagnostic pop
#endif
#include <algorithm>
#include <iterator>
#include <optional>

namespace sela::net {

namespace http = boost::beast::http;

struct HttpRequestParser::Impl {
  std::optional<http::request_parser<http::string_body>> parser;
  bool header_reported = false;  // kHeader was returned for this request.
  bool limit_chosen = false;     // The caller set a body limit at kHeader.
  bool streaming = false;        // StreamBody(): the caller reads the body.
  uint64_t body_left = 0;
};

HttpRequestParser::HttpRequestParser() : impl_(std::make_unique<Impl>()) {}
HttpRequestParser::~HttpRequestParser() = default;

bool HttpRequestParser::in_progress() const { return impl_->parser.has_value() || impl_->streaming; }
bool HttpRequestParser::header_done() const {
  return impl_->streaming || (impl_->parser && impl_->parser->is_header_done());
}
bool HttpRequestParser::streaming() const { return impl_->streaming; }
uint64_t HttpRequestParser::body_left() const { return impl_->body_left; }

void HttpRequestParser::BodyConsumed(uint64_t bytes) {
  impl_->body_left -= std::min(bytes, impl_->body_left);
  if (impl_->body_left == 0) impl_->streaming = false;
}

bool HttpRequestParser::SetBodyLimit(uint64_t bytes_max, Error* error) {
  auto& p = *impl_->parser;
  impl_->limit_chosen = true;
  if (const auto length = p.content_length(); length && *length > bytes_max) {
    *error = {413, "Request body too large", "body_too_large"};
    impl_->parser.reset();
    return false;
  }
  p.body_limit(bytes_max);
  return true;
}

bool HttpRequestParser::HasLengthBody() const {
  if (!impl_->parser || !impl_->parser->is_header_done() || impl_->parser->chunked()) return false;
  const auto length = impl_->parser->content_length();
  return length && *length > 0;
}

bool HttpRequestParser::StreamBody() {
  auto& p = *impl_->parser;
  const auto length = p.content_length();
  if (!length || *length == 0 || p.chunked()) return false;
  impl_->streaming = true;
  impl_->body_left = *length;
  impl_->parser.reset();
  impl_->header_reported = false;
  impl_->limit_chosen = false;
  return true;
}

namespace {

std::string_view PathOf(std::string_view target) {
  // Absolute-form targets ("http://host/path") carry the path after the
  // authority.
  if (target.starts_with("http://") || target.starts_with("https://")) {
    const size_t slash = target.find('/', target.find("//") + 2);
    target = slash == std::string_view::npos ? std::string_view("/") : target.substr(slash);
  }
  return target.substr(0, target.find('?'));
}

void ConvertHead(http::request<http::string_body>& parsed, HttpRequest* out) {
  out->method = std::string(parsed.method_string());
  out->target = std::string(parsed.target());
  out->version = parsed.version();
  out->headers.clear();
  out->headers.reserve(static_cast<size_t>(std::distance(parsed.begin(), parsed.end())));
  for (const auto& field : parsed) {
    out->headers.emplace_back(std::string(field.name_string()), std::string(field.value()));
  }
  out->body.clear();
  out->path = std::string(PathOf(out->target));
  const size_t q = out->target.find('?');
  out->query = q == std::string::npos ? std::string() : out->target.substr(q + 1);
  out->params.clear();
}

}  // namespace

HttpRequestParser::Outcome HttpRequestParser::Parse(std::string& in, const Limits& limits,
                                                    HttpRequest* request, Error* error) {
  while (true) {
    if (!impl_->parser) {
      if (in.empty()) return Outcome::kNeedMore;
      impl_->parser.emplace();
      impl_->parser->header_limit(limits.header_bytes_max);
      // The body limit is chosen when the header is complete (kHeader).
      impl_->parser->body_limit(boost::none);
      impl_->header_reported = false;
      impl_->limit_chosen = false;
    }
    auto& p = *impl_->parser;
    if (p.is_header_done() && !impl_->header_reported) {
      impl_->header_reported = true;
      ConvertHead(p.get(), request);
      request->keep_alive = p.keep_alive();
      return Outcome::kHeader;
    }
    if (impl_->header_reported && !impl_->limit_chosen && !SetBodyLimit(limits.body_bytes_max, error)) {
      return Outcome::kError;
    }
    if (p.is_done()) {
      request->body = std::move(p.get().body());
      impl_->parser.reset();
      return Outcome::kRequest;
    }
    if (in.empty()) return Outcome::kNeedMore;
    // Stop after the header (to report it), then take the body whole.
    p.eager(p.is_header_done());
    boost::beast::error_code ec;
    const size_t used = p.put(boost::asio::buffer(in), ec);
    in.erase(0, used);
    if (ec && ec != http::error::need_more) {
      if (ec == http::error::header_limit) {
        *error = {431, "Request header fields too large", "header_too_large"};
      } else if (ec == http::error::body_limit) {
        *error = {413, "Request body too large", "body_too_large"};
      } else {
        *error = {400, "Bad request: " + ec.message(), "bad_request"};
      }
      impl_->parser.reset();
      return Outcome::kError;
    }
    if (used == 0) return Outcome::kNeedMore;
  }
}

}  // namespace sela::net
