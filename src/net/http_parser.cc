#include "net/http_parser.h"

#include <boost/asio/buffer.hpp>
// GCC 12 with sanitizers reports a maybe-uninitialized boost::optional inside
// Beast's parser (a false positive in inlined library code).
#if defined(__GNUC__) && !defined(__clang__)
#pragma GCC diagnostic push
#pragma GCC diagnostic ignored "-Wmaybe-uninitialized"
#endif
#include <boost/beast/http/basic_parser.hpp>
#include <boost/beast/http/error.hpp>
#include <boost/beast/http/rfc7230.hpp>
#if defined(__GNUC__) && !defined(__clang__)
#pragma GCC diagnostic pop
#endif
#include <algorithm>
#include <optional>

namespace sela::net {

namespace http = boost::beast::http;
using boost::beast::error_code;

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

// Beast's parser with our request as its storage and RFC 9112's framing
// checks. An error of ours is kept in `refusal` (Beast only sees that parsing
// must stop).
class RequestParser final : public http::basic_parser<true> {
 public:
  explicit RequestParser(const HttpRequestParser::Limits& limits) : limits_(&limits) {
    header_limit(limits.header_bytes_max);
    eager(false);
  }
  // The limits of the current Parse() call (the caller's object may differ
  // from one call to the next).
  void set_limits(const HttpRequestParser::Limits& limits) { limits_ = &limits; }

  HttpRequest request;
  std::optional<HttpRequestParser::Error> refusal;
  uint64_t body_limit_bytes = 0;
  uint64_t header_bytes = 0;
  bool expects_continue = false;
  bool header_reported = false;

 private:
  void on_request_impl(http::verb, boost::beast::string_view method, boost::beast::string_view target,
                       int version, error_code&) override {
    request.method.assign(method.data(), method.size());
    request.target.assign(target.data(), target.size());
    request.version = static_cast<unsigned>(version);
    request.path = std::string(PathOf(request.target));
    const size_t q = request.target.find('?');
    request.query = q == std::string::npos ? std::string() : request.target.substr(q + 1);
    request.headers.reserve(16);
    body_limit_bytes = limits_->body_limit_for ? (*limits_->body_limit_for)(request.method, request.path)
                                               : limits_->body_bytes_max;
    body_limit(body_limit_bytes);
    header_bytes = request.target.size() + request.method.size();
  }

  void on_response_impl(int, boost::beast::string_view, int, error_code& ec) override {
    ec = http::error::bad_method;
  }

  void on_field_impl(http::field name, boost::beast::string_view name_string, boost::beast::string_view value,
                     error_code&) override {
    request.headers.emplace_back(std::string(name_string), std::string(value));
    header_bytes += name_string.size() + value.size() + 64;
    switch (name) {
      case http::field::content_length: ++content_lengths_; break;
      case http::field::host: ++hosts_; break;
      case http::field::transfer_encoding: AddCodings(value); break;
      case http::field::expect: expect_.emplace(value); break;
      default: break;
    }
  }

  void AddCodings(boost::beast::string_view value) {
    ++transfer_encodings_;
    for (const auto& coding : http::token_list{value}) {
      if (boost::beast::iequals(coding, "chunked")) {
        ++chunked_codings_;
        last_is_chunked_ = true;
      } else {
        ++other_codings_;
        last_is_chunked_ = false;
      }
    }
  }

  void Refuse(error_code& ec, unsigned status, std::string message, const char* reason) {
    refusal = HttpRequestParser::Error{status, std::move(message), reason};
    ec = http::error::bad_transfer_encoding;
  }

  // RFC 9112 §3.2 (Host), §6.1 and §6.3 (message body length), RFC 9110
  // §10.1.1 (Expect).
  void on_header_impl(error_code& ec) override {
    if (transfer_encodings_ > 0) {
      if (request.version < 11) return Refuse(ec, 400, "Transfer-Encoding in an HTTP/1.0 request", "bad_framing");
      if (content_lengths_ > 0) return Refuse(ec, 400, "Transfer-Encoding with Content-Length", "bad_framing");
      if (!last_is_chunked_ || chunked_codings_ != 1) {
        return Refuse(ec, 400, "Transfer-Encoding must end in chunked, once", "bad_framing");
      }
      if (other_codings_ > 0) {
        return Refuse(ec, 501, "Transfer-Encoding other than chunked is not supported", "unsupported_coding");
      }
    }
    if (content_lengths_ > 1) return Refuse(ec, 400, "Content-Length given more than once", "bad_framing");
    if (request.version >= 11 && hosts_ != 1) {
      return Refuse(ec, 400, hosts_ == 0 ? "Host header required" : "Host given more than once", "bad_host");
    }
    if (expect_) {
      if (!boost::beast::iequals(*expect_, "100-continue")) {
        return Refuse(ec, 417, "Expectation not supported", "expectation_failed");
      }
      expects_continue = true;
    }
  }

  void on_body_init_impl(const boost::optional<std::uint64_t>&, error_code&) override {}

  std::size_t on_body_impl(boost::beast::string_view body, error_code&) override {
    request.body.append(body.data(), body.size());
    return body.size();
  }

  void on_chunk_header_impl(std::uint64_t, boost::beast::string_view, error_code&) override {}

  std::size_t on_chunk_body_impl(std::uint64_t, boost::beast::string_view body, error_code&) override {
    request.body.append(body.data(), body.size());
    return body.size();
  }

  void on_finish_impl(error_code&) override {}

  const HttpRequestParser::Limits* limits_;
  int content_lengths_ = 0;
  int hosts_ = 0;
  int transfer_encodings_ = 0;
  int chunked_codings_ = 0;
  int other_codings_ = 0;
  bool last_is_chunked_ = false;
  std::optional<std::string> expect_;
};

HttpRequestParser::Error BeastError(const error_code& ec) {
  if (ec == http::error::header_limit) return {431, "Request header fields too large", "header_too_large"};
  if (ec == http::error::body_limit) return {413, "Request body too large", "body_too_large"};
  if (ec == http::error::multiple_content_length || ec == http::error::bad_transfer_encoding ||
      ec == http::error::bad_content_length) {
    return {400, "Bad request: " + ec.message(), "bad_framing"};
  }
  return {400, "Bad request: " + ec.message(), "bad_request"};
}

}  // namespace

class HttpRequestParser::Impl {
 public:
  std::optional<RequestParser> parser;
  bool streaming = false;          // StreamBody(): the caller reads the body.
  bool stream_continue = false;    // The streamed request asked for 100 Continue.
  uint64_t body_left = 0;
};

HttpRequestParser::HttpRequestParser() : impl_(std::make_unique<Impl>()) {}
HttpRequestParser::~HttpRequestParser() = default;

bool HttpRequestParser::in_progress() const { return impl_->parser.has_value() || impl_->streaming; }
bool HttpRequestParser::header_done() const {
  return impl_->streaming || (impl_->parser && impl_->parser->is_header_done());
}
bool HttpRequestParser::expects_continue() const {
  if (impl_->streaming) return impl_->stream_continue;
  return impl_->parser && impl_->parser->expects_continue;
}
bool HttpRequestParser::streaming() const { return impl_->streaming; }
uint64_t HttpRequestParser::body_left() const { return impl_->body_left; }
HttpRequest* HttpRequestParser::head() {
  if (!impl_->parser || !impl_->parser->is_header_done()) return nullptr;
  impl_->parser->request.keep_alive = impl_->parser->keep_alive();
  return &impl_->parser->request;
}

void HttpRequestParser::BodyConsumed(uint64_t bytes) {
  impl_->body_left -= std::min(bytes, impl_->body_left);
  if (impl_->body_left == 0) impl_->streaming = false;
}

bool HttpRequestParser::HasLengthBody() const {
  if (!impl_->parser || !impl_->parser->is_header_done() || impl_->parser->chunked()) return false;
  const auto remaining = impl_->parser->content_length_remaining();
  return remaining && *remaining > 0;
}

bool HttpRequestParser::StreamBody() {
  if (!HasLengthBody()) return false;
  RequestParser& p = *impl_->parser;
  impl_->streaming = true;
  impl_->stream_continue = p.expects_continue;
  impl_->body_left = *p.content_length_remaining();
  impl_->parser.reset();
  return true;
}

uint64_t HttpRequestParser::body_bytes_remaining() const {
  if (!impl_->parser || !impl_->parser->is_header_done() || impl_->parser->is_done()) return 0;
  const RequestParser& p = *impl_->parser;
  if (p.chunked()) {
    const uint64_t have = p.request.body.size();
    return p.body_limit_bytes > have ? p.body_limit_bytes - have : 0;
  }
  const auto remaining = p.content_length_remaining();
  return remaining ? *remaining : 0;
}

uint64_t HttpRequestParser::held_bytes() const {
  if (!impl_->parser) return 0;
  return impl_->parser->header_bytes + impl_->parser->request.body.capacity();
}

uint64_t HttpRequestParser::need_bytes() const {
  if (!impl_->parser) return 0;
  const std::string& body = impl_->parser->request.body;
  return impl_->parser->header_bytes + std::max<uint64_t>(body.capacity(), body.size() + body_bytes_remaining());
}

void HttpRequestParser::ReserveKnownBody() {
  if (!impl_->parser || !impl_->parser->is_header_done() || impl_->parser->chunked()) return;
  std::string& body = impl_->parser->request.body;
  body.reserve(body.size() + body_bytes_remaining());
}

HttpRequestParser::Outcome HttpRequestParser::Parse(std::string& in, const Limits& limits,
                                                    HttpRequest* request, Error* error) {
  size_t used = 0;
  const Outcome outcome = Parse(std::string_view(in), &used, limits, request, error);
  in.erase(0, used);
  return outcome;
}

HttpRequestParser::Outcome HttpRequestParser::Parse(std::string_view in, size_t* used, const Limits& limits,
                                                    HttpRequest* request, Error* error) {
  *used = 0;
  if (impl_->streaming) return Outcome::kNeedMore;
  while (*used < in.size()) {
    if (!impl_->parser) impl_->parser.emplace(limits);
    RequestParser& p = *impl_->parser;
    p.set_limits(limits);
    error_code ec;
    const std::string_view rest = in.substr(*used);
    const size_t n = p.put(boost::asio::buffer(rest.data(), rest.size()), ec);
    *used += n;
    if (ec == http::error::need_more) {
      // In a chunked body, unconsumed input is a chunk-size line (with its
      // extensions) or the trailer section: both as bounded as a header.
      if (p.is_header_done() && in.size() - *used > limits.header_bytes_max) {
        *error = {400, "Chunk size line, extensions or trailer too long", "chunk_meta_too_large"};
        impl_->parser.reset();
        return Outcome::kError;
      }
      if (n == 0) return Outcome::kNeedMore;
      continue;
    }
    if (ec) {
      *error = p.refusal ? *p.refusal : BeastError(ec);
      impl_->parser.reset();
      return Outcome::kError;
    }
    if (p.is_done()) {
      *request = std::move(p.request);
      request->keep_alive = p.keep_alive();
      request->params.clear();
      impl_->parser.reset();
      return Outcome::kRequest;
    }
    if (p.is_header_done() && !p.header_reported) {
      p.header_reported = true;
      p.eager(true);
      return Outcome::kHeader;
    }
    if (n == 0) return Outcome::kNeedMore;
  }
  return Outcome::kNeedMore;
}

}  // namespace sela::net
