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
#include <iterator>
#include <optional>

namespace sela::net {

namespace http = boost::beast::http;

struct HttpRequestParser::Impl {
  std::optional<http::request_parser<http::string_body>> parser;
};

HttpRequestParser::HttpRequestParser() : impl_(std::make_unique<Impl>()) {}
HttpRequestParser::~HttpRequestParser() = default;

bool HttpRequestParser::in_progress() const { return impl_->parser.has_value(); }
bool HttpRequestParser::header_done() const {
  return impl_->parser && impl_->parser->is_header_done();
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

void Convert(http::request<http::string_body>& parsed, HttpRequest* out) {
  out->method = std::string(parsed.method_string());
  out->target = std::string(parsed.target());
  out->version = parsed.version();
  out->headers.clear();
  out->headers.reserve(static_cast<size_t>(std::distance(parsed.begin(), parsed.end())));
  for (const auto& field : parsed) {
    out->headers.emplace_back(std::string(field.name_string()), std::string(field.value()));
  }
  out->body = std::move(parsed.body());
  out->path = std::string(PathOf(out->target));
  const size_t q = out->target.find('?');
  out->query = q == std::string::npos ? std::string() : out->target.substr(q + 1);
  out->params.clear();
}

}  // namespace

HttpRequestParser::Outcome HttpRequestParser::Parse(std::string& in, const Limits& limits,
                                                    HttpRequest* request, Error* error) {
  while (!in.empty()) {
    if (!impl_->parser) {
      impl_->parser.emplace();
      impl_->parser->header_limit(limits.header_bytes_max);
      impl_->parser->body_limit(limits.body_bytes_max);
      impl_->parser->eager(true);
    }
    auto& p = *impl_->parser;
    boost::beast::error_code ec;
    const size_t used = p.put(boost::asio::buffer(in), ec);
    in.erase(0, used);
    if (ec == http::error::need_more) {
      if (used == 0) return Outcome::kNeedMore;
      continue;
    }
    if (ec) {
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
    if (p.is_done()) {
      Convert(p.get(), request);
      request->keep_alive = p.keep_alive();
      impl_->parser.reset();
      return Outcome::kRequest;
    }
    if (used == 0) return Outcome::kNeedMore;
  }
  return Outcome::kNeedMore;
}

}  // namespace sela::net
