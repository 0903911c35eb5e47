#include "http_response.h"

#include <gtest/gtest.h>

#include <string>

namespace loadgen {
namespace {

constexpr std::string_view kOk =
    "HTTP/1.1 200 OK\r\nContent-Type: application/json\r\nContent-Length: 11\r\n"
    "Connection: keep-alive\r\n\r\n{\"a\":\"xyz\"}";

TEST(HttpResponse, ParsesAKeepAliveResponse) {
  const HttpParseResult r = ParseHttpResponseHead(kOk);
  ASSERT_EQ(r.status, HttpParseStatus::kHead) << r.error;
  EXPECT_EQ(r.head.status, 200);
  EXPECT_EQ(r.head.body_bytes, 11u);
  EXPECT_EQ(r.head.total_bytes(), kOk.size());
  EXPECT_EQ(kOk.substr(r.head.head_bytes), R"({"a":"xyz"})");
  EXPECT_FALSE(r.head.close);
}

TEST(HttpResponse, NeedsMoreUntilTheBlankLine) {
  for (size_t cut = 0; cut < kOk.find("\r\n\r\n") + 4; ++cut) {
    EXPECT_EQ(ParseHttpResponseHead(kOk.substr(0, cut)).status, HttpParseStatus::kNeedMore) << cut;
  }
}

TEST(HttpResponse, ReportsTheHeadBeforeTheBodyIsComplete) {
  const std::string_view partial = kOk.substr(0, kOk.size() - 3);
  const HttpParseResult r = ParseHttpResponseHead(partial);
  ASSERT_EQ(r.status, HttpParseStatus::kHead);
  EXPECT_GT(r.head.total_bytes(), partial.size());
}

TEST(HttpResponse, FindsTheSecondOfTwoPipelinedResponses) {
  const std::string two = std::string(kOk) +
                          "HTTP/1.1 429 Too Many Requests\r\ncontent-length: 2\r\n\r\n{}";
  const HttpParseResult first = ParseHttpResponseHead(two);
  ASSERT_EQ(first.status, HttpParseStatus::kHead);
  const HttpParseResult second =
      ParseHttpResponseHead(std::string_view(two).substr(first.head.total_bytes()));
  ASSERT_EQ(second.status, HttpParseStatus::kHead);
  EXPECT_EQ(second.head.status, 429);
  EXPECT_EQ(second.head.body_bytes, 2u);
  EXPECT_EQ(first.head.total_bytes() + second.head.total_bytes(), two.size());
}

TEST(HttpResponse, HeaderNamesAndConnectionTokensIgnoreCase) {
  const HttpParseResult r = ParseHttpResponseHead(
      "HTTP/1.1 408 Request Timeout\r\nCONTENT-LENGTH:  0 \r\nconnection: Keep-Alive, CLOSE\r\n\r\n");
  ASSERT_EQ(r.status, HttpParseStatus::kHead) << r.error;
  EXPECT_EQ(r.head.status, 408);
  EXPECT_EQ(r.head.body_bytes, 0u);
  EXPECT_TRUE(r.head.close);
}

TEST(HttpResponse, Http10ClosesUnlessKeptAlive) {
  EXPECT_TRUE(ParseHttpResponseHead("HTTP/1.0 200 OK\r\nContent-Length: 0\r\n\r\n").head.close);
  EXPECT_FALSE(ParseHttpResponseHead(
                   "HTTP/1.0 200 OK\r\nContent-Length: 0\r\nConnection: keep-alive\r\n\r\n")
                   .head.close);
}

TEST(HttpResponse, NoContentStatusesHaveNoBody) {
  const HttpParseResult r = ParseHttpResponseHead("HTTP/1.1 204 No Content\r\n\r\n");
  ASSERT_EQ(r.status, HttpParseStatus::kHead);
  EXPECT_EQ(r.head.body_bytes, 0u);
}

TEST(HttpResponse, AcceptsAStatusLineWithoutReason) {
  const HttpParseResult r = ParseHttpResponseHead("HTTP/1.1 500\r\nContent-Length: 0\r\n\r\n");
  ASSERT_EQ(r.status, HttpParseStatus::kHead) << r.error;
  EXPECT_EQ(r.head.status, 500);
}

TEST(HttpResponse, RejectsWhatItCannotFrame) {
  const std::vector<std::pair<std::string, std::string_view>> bad = {
      {"HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\n", "http_transfer_encoding_unsupported"},
      {"HTTP/1.1 200 OK\r\nContent-Type: text/plain\r\n\r\n", "http_no_content_length"},
      {"HTTP/1.1 200 OK\r\nContent-Length: 12x\r\n\r\n", "http_bad_content_length"},
      {"HTTP/1.1 200 OK\r\nContent-Length: -1\r\n\r\n", "http_bad_content_length"},
      {"HTTP/1.1 200 OK\r\nContent-Length: 1\r\nContent-Length: 2\r\n\r\n", "http_bad_content_length"},
      {"HTTP/1.1 200 OK\r\nno colon here\r\n\r\n", "http_bad_header"},
      {"HTTP/2 200 OK\r\nContent-Length: 0\r\n\r\n", "http_bad_status_line"},
      {"HTTP/1.1 2x0 OK\r\nContent-Length: 0\r\n\r\n", "http_bad_status_line"},
      {"HTTP/1.1 200OK\r\nContent-Length: 0\r\n\r\n", "http_bad_status_line"},
      {"SSH-2.0-OpenSSH\r\n\r\n", "http_bad_status_line"},
      {"HTTP/1.1 100 Continue\r\n\r\n", "http_interim_response"},
  };
  for (const auto& [text, reason] : bad) {
    const HttpParseResult r = ParseHttpResponseHead(text);
    EXPECT_EQ(r.status, HttpParseStatus::kError) << text;
    EXPECT_EQ(r.error, reason) << text;
  }
}

TEST(HttpResponse, RejectsAnEndlessHead) {
  const std::string endless = "HTTP/1.1 200 OK\r\nX: " + std::string(kHttpHeadBytesMax, 'a');
  EXPECT_EQ(ParseHttpResponseHead(endless).status, HttpParseStatus::kError);
  const std::string too_big = endless + "\r\nContent-Length: 0\r\n\r\n";
  EXPECT_EQ(ParseHttpResponseHead(too_big).error, "http_head_too_large");
}

}  // namespace
}  // namespace loadgen
