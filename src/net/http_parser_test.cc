#include "net/http_parser.h"

#include <gtest/gtest.h>

#include <string>

namespace sela::net {
namespace {

using Outcome = HttpRequestParser::Outcome;

struct Parsed {
  Outcome outcome;
  HttpRequest request;
  HttpRequestParser::Error error;
};

// Parses `text` in one piece, reading through a kHeader to the body.
Parsed ParseAll(std::string text, const HttpRequestParser::Limits& limits = {}) {
  HttpRequestParser parser;
  Parsed p{};
  p.outcome = parser.Parse(text, limits, &p.request, &p.error);
  if (p.outcome == Outcome::kHeader) p.outcome = parser.Parse(text, limits, &p.request, &p.error);
  return p;
}

void ExpectRefused(const std::string& text, unsigned status, std::string_view reason) {
  const Parsed p = ParseAll(text);
  ASSERT_EQ(p.outcome, Outcome::kError) << text;
  EXPECT_EQ(p.error.status, status) << text;
  EXPECT_EQ(std::string_view(p.error.reason), reason) << text << ": " << p.error.message;
}

TEST(HttpRequestParser, ParsesARequestWithoutBodyInOneStep) {
  const Parsed p = ParseAll("GET /a/b?x=1 HTTP/1.1\r\nHost: h\r\nX-A: 1\r\n\r\n");
  ASSERT_EQ(p.outcome, Outcome::kRequest);
  EXPECT_EQ(p.request.method, "GET");
  EXPECT_EQ(p.request.path, "/a/b");
  EXPECT_EQ(p.request.query, "x=1");
  EXPECT_EQ(p.request.Header("x-a"), "1");
  EXPECT_TRUE(p.request.keep_alive);
}

TEST(HttpRequestParser, StopsAfterTheHeaderOfARequestWithABody) {
  HttpRequestParser parser;
  std::string in = "POST /x HTTP/1.1\r\nHost: h\r\nContent-Length: 5\r\nExpect: 100-continue\r\n\r\nhel";
  HttpRequest request;
  HttpRequestParser::Error error;
  ASSERT_EQ(parser.Parse(in, {}, &request, &error), Outcome::kHeader);
  EXPECT_TRUE(parser.expects_continue());
  EXPECT_EQ(parser.body_bytes_remaining(), 5u);
  EXPECT_EQ(in, "hel");  // The body is not read yet.
  parser.ReserveKnownBody();
  EXPECT_GE(parser.held_bytes(), 5u);
  ASSERT_EQ(parser.Parse(in, {}, &request, &error), Outcome::kNeedMore);
  EXPECT_EQ(parser.body_bytes_remaining(), 2u);
  in = "lo";
  ASSERT_EQ(parser.Parse(in, {}, &request, &error), Outcome::kRequest);
  EXPECT_EQ(request.body, "hello");
  EXPECT_FALSE(parser.in_progress());
}

TEST(HttpRequestParser, BodyLimitComesFromTheRequestLineBeforeAnyBodyByte) {
  const BodyLimitFn limit_of = [](std::string_view method, std::string_view path) -> uint64_t {
    return method == "POST" && path == "/big" ? 100 : 10;
  };
  HttpRequestParser::Limits limits;
  limits.body_limit_for = &limit_of;
  // Content-Length over the route's limit: 413 from the header alone.
  Parsed p = ParseAll("POST /small HTTP/1.1\r\nHost: h\r\nContent-Length: 11\r\n\r\n", limits);
  ASSERT_EQ(p.outcome, Outcome::kError);
  EXPECT_EQ(p.error.status, 413u);
  p = ParseAll("POST /big HTTP/1.1\r\nHost: h\r\nContent-Length: 11\r\n\r\n" + std::string(11, 'b'), limits);
  ASSERT_EQ(p.outcome, Outcome::kRequest);
  EXPECT_EQ(p.request.body.size(), 11u);
  // A chunked body is cut off once its chunks pass the limit.
  p = ParseAll("POST /small HTTP/1.1\r\nHost: h\r\nTransfer-Encoding: chunked\r\n\r\n6\r\nabcdef\r\n6\r\nabcdef\r\n",
               limits);
  ASSERT_EQ(p.outcome, Outcome::kError);
  EXPECT_EQ(p.error.status, 413u);
}

TEST(HttpRequestParser, TransferEncodingMustEndInChunked) {
  ExpectRefused("POST / HTTP/1.1\r\nHost: h\r\nTransfer-Encoding: identity\r\n\r\n", 400, "bad_framing");
  ExpectRefused("POST / HTTP/1.1\r\nHost: h\r\nTransfer-Encoding: chunked, gzip\r\n\r\n", 400, "bad_framing");
  ExpectRefused("POST / HTTP/1.1\r\nHost: h\r\nTransfer-Encoding: gzip\r\n\r\n", 400, "bad_framing");
  ExpectRefused("POST / HTTP/1.1\r\nHost: h\r\nTransfer-Encoding: chunked, chunked\r\n\r\n", 400, "bad_framing");
  ExpectRefused("POST / HTTP/1.1\r\nHost: h\r\nTransfer-Encoding: gzip, chunked\r\n\r\n", 501,
                "unsupported_coding");
}

TEST(HttpRequestParser, ConflictingLengthsAreRefused) {
  // Either order of Transfer-Encoding and Content-Length.
  ExpectRefused("POST / HTTP/1.1\r\nHost: h\r\nTransfer-Encoding: chunked\r\nContent-Length: 3\r\n\r\n", 400,
                "bad_framing");
  ExpectRefused("POST / HTTP/1.1\r\nHost: h\r\nContent-Length: 3\r\nTransfer-Encoding: chunked\r\n\r\n", 400,
                "bad_framing");
  ExpectRefused("POST / HTTP/1.1\r\nHost: h\r\nTransfer-Encoding: identity\r\nContent-Length: 3\r\n\r\nabc", 400,
                "bad_framing");
  ExpectRefused("POST / HTTP/1.1\r\nHost: h\r\nContent-Length: 3\r\nContent-Length: 3\r\n\r\nabc", 400,
                "bad_framing");
  ExpectRefused("POST / HTTP/1.1\r\nHost: h\r\nContent-Length: 3\r\nContent-Length: 4\r\n\r\nabcd", 400,
                "bad_framing");
  ExpectRefused("POST / HTTP/1.0\r\nTransfer-Encoding: chunked\r\n\r\n0\r\n\r\n", 400, "bad_framing");
}

TEST(HttpRequestParser, HostIsRequiredOnceInHttp11) {
  ExpectRefused("GET / HTTP/1.1\r\n\r\n", 400, "bad_host");
  ExpectRefused("GET / HTTP/1.1\r\nHost: a\r\nHost: b\r\n\r\n", 400, "bad_host");
  EXPECT_EQ(ParseAll("GET / HTTP/1.0\r\n\r\n").outcome, Outcome::kRequest);
  EXPECT_EQ(ParseAll("GET / HTTP/1.1\r\nHost:\r\n\r\n").outcome, Outcome::kRequest);
}

TEST(HttpRequestParser, ExpectOtherThanContinueIs417) {
  ExpectRefused("POST / HTTP/1.1\r\nHost: h\r\nExpect: 200-ok\r\nContent-Length: 1\r\n\r\nx", 417,
                "expectation_failed");
}

TEST(HttpRequestParser, UnconsumedChunkLinesAndTrailersAreCapped) {
  HttpRequestParser::Limits limits;
  limits.header_bytes_max = 1024;
  const std::string head = "POST / HTTP/1.1\r\nHost: h\r\nTransfer-Encoding: chunked\r\n\r\n";
  for (const std::string& endless : {"1;" + std::string(2000, 'e'),      // chunk extension
                                     std::string(2000, '0'),             // zeros in the size line
                                     "0\r\nX-T: " + std::string(2000, 't')}) {  // trailer
    HttpRequestParser parser;
    std::string in = head;
    HttpRequest request;
    HttpRequestParser::Error error;
    ASSERT_EQ(parser.Parse(in, limits, &request, &error), Outcome::kHeader);
    Outcome outcome = Outcome::kNeedMore;
    for (size_t i = 0; i < endless.size() && outcome == Outcome::kNeedMore; i += 100) {
      in += endless.substr(i, 100);
      outcome = parser.Parse(in, limits, &request, &error);
      ASSERT_LE(in.size(), limits.header_bytes_max + 100u);
    }
    ASSERT_EQ(outcome, Outcome::kError) << endless.substr(0, 10);
    EXPECT_EQ(error.status, 400u);
    EXPECT_EQ(std::string_view(error.reason), "chunk_meta_too_large");
  }
}

TEST(HttpRequestParser, ChunkedBodiesWithExtensionsAndTrailersStillWork) {
  const Parsed p = ParseAll(
      "POST / HTTP/1.1\r\nHost: h\r\nTransfer-Encoding: chunked\r\n\r\n"
      "3;a=b\r\nabc\r\n2\r\nde\r\n0\r\nX-Sum: 1\r\n\r\n");
  ASSERT_EQ(p.outcome, Outcome::kRequest) << p.error.message;
  EXPECT_EQ(p.request.body, "abcde");
}

TEST(HttpRequestParser, PipelinedRequestsComeOneAtATime) {
  HttpRequestParser parser;
  std::string in = "GET /1 HTTP/1.1\r\nHost: h\r\n\r\nGET /2 HTTP/1.1\r\nHost: h\r\n\r\n";
  HttpRequest request;
  HttpRequestParser::Error error;
  ASSERT_EQ(parser.Parse(in, {}, &request, &error), Outcome::kRequest);
  EXPECT_EQ(request.path, "/1");
  ASSERT_EQ(parser.Parse(in, {}, &request, &error), Outcome::kRequest);
  EXPECT_EQ(request.path, "/2");
  EXPECT_TRUE(in.empty());
}

}  // namespace
}  // namespace sela::net
namespace sela::net {
namespace {
TEST(HttpRequestParser, PipelinedFromAViewReportsWhatItUsed) {
  HttpRequestParser parser;
  const std::string text = "GET /1 HTTP/1.1\r\nHost: h\r\n\r\nGET /2 HTTP/1.1\r\nHost: h\r\nConnection: close\r\n\r\n";
  std::string_view in = text;
  HttpRequest request;
  HttpRequestParser::Error error;
  size_t used = 0;
  ASSERT_EQ(parser.Parse(in, &used, {}, &request, &error), HttpRequestParser::Outcome::kRequest);
  EXPECT_EQ(used, 28u);
  in.remove_prefix(used);
  ASSERT_EQ(parser.Parse(in, &used, {}, &request, &error), HttpRequestParser::Outcome::kRequest);
  EXPECT_EQ(request.path, "/2");
  EXPECT_EQ(used, in.size());
}
}  // namespace
}  // namespace sela::net

namespace sela::net {
namespace {

// Streamed bodies (files' uploads) on harden's parser: at kHeader the head is
// there for routing, StreamBody hands the Content-Length body to the caller
// (its 100-continue kept), and the next request parses after it. A streamed
// body is still held to the request line's limit: more is a 413 first.
TEST(HttpRequestParser, AStreamedBodyIsTheCallersAndTheNextRequestFollows) {
  HttpRequestParser parser;
  const HttpRequestParser::Limits limits{.header_bytes_max = 1024, .body_bytes_max = 10, .body_limit_for = nullptr};
  std::string in = "POST /up HTTP/1.1\r\nHost: h\r\nExpect: 100-continue\r\nContent-Length: 10\r\n\r\n0123456789"
                   "GET /next HTTP/1.1\r\nHost: h\r\n\r\n";
  HttpRequest request;
  HttpRequestParser::Error error;
  ASSERT_EQ(parser.Parse(in, limits, &request, &error), Outcome::kHeader);
  ASSERT_NE(parser.head(), nullptr);
  EXPECT_EQ(parser.head()->path, "/up");
  EXPECT_TRUE(parser.head()->keep_alive);
  ASSERT_TRUE(parser.HasLengthBody());
  ASSERT_TRUE(parser.StreamBody());
  EXPECT_TRUE(parser.streaming());
  EXPECT_TRUE(parser.expects_continue());
  EXPECT_TRUE(parser.in_progress());
  EXPECT_EQ(parser.body_left(), 10u);
  EXPECT_EQ(parser.held_bytes(), 0u);  // The caller holds (and charges) what it streams.
  EXPECT_EQ(parser.Parse(in, limits, &request, &error), Outcome::kNeedMore);  // Not while streaming.
  EXPECT_EQ(in.substr(0, 10), "0123456789");
  in.erase(0, 4);
  parser.BodyConsumed(4);
  EXPECT_TRUE(parser.streaming());
  in.erase(0, 6);
  parser.BodyConsumed(6);
  EXPECT_FALSE(parser.streaming());
  EXPECT_FALSE(parser.in_progress());
  ASSERT_EQ(parser.Parse(in, limits, &request, &error), Outcome::kRequest);
  EXPECT_EQ(request.path, "/next");

  HttpRequestParser over;
  std::string big = "POST /up HTTP/1.1\r\nHost: h\r\nContent-Length: 11\r\n\r\n";
  ASSERT_EQ(over.Parse(big, limits, &request, &error), Outcome::kError);
  EXPECT_EQ(error.status, 413u);
}

}  // namespace
}  // namespace sela::net
