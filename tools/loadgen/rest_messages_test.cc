#include "rest_messages.h"

#include <gtest/gtest.h>

#include "http_response.h"
#include "json.h"

namespace loadgen {
namespace {

TEST(RestMessages, RegisterClientRequestIsACompletePost) {
  const std::string request = RegisterClientRequest("127.0.0.1:8082", "lg-api-1-2-3");
  EXPECT_EQ(request,
            "POST /api/rpc/registerClient HTTP/1.1\r\nHost: 127.0.0.1:8082\r\n"
            "Content-Type: application/json\r\nContent-Length: 23\r\n\r\n"
            R"({"uuid":"lg-api-1-2-3"})");
}

TEST(RestMessages, UuidNamesPrefixSeedPidAndTheUniquePart) {
  EXPECT_EQ(MakeApiClientUuid("loadgen-", 7, 1234, 99), "loadgen-api-7-1234-99");
}

TEST(RestMessages, TakesTheApiKeyFromTheDocumentedReply) {
  auto key = ApiKeyFromRegisterBody(
      R"({"success":true,"message":"Client registered successfully","data":{"function":"Register",)"
      R"("message":"API key generated","apiKey":"0123456789abcdef0123456789abcdef","status":"OK"}})");
  ASSERT_TRUE(key.has_value()) << key.error();
  EXPECT_EQ(*key, "0123456789abcdef0123456789abcdef");
}

TEST(RestMessages, RefusesARegisterReplyWithoutAUsableKey) {
  for (const char* body : {"not json", R"({"data":{}})", R"({"data":{"apiKey":""}})",
                           R"({"data":{"apiKey":7}})", R"({"data":{"apiKey":"a b"}})",
                           R"({"data":{"apiKey":"a\r\nX: y"}})"}) {
    auto key = ApiKeyFromRegisterBody(body);
    EXPECT_FALSE(key.has_value()) << body;
  }
}

// Splits a request the way a server would: head, then Content-Length bytes.
struct SplitRequest {
  std::string head;
  std::string body;
};

SplitRequest Split(std::string_view request) {
  const size_t end = request.find("\r\n\r\n");
  return {std::string(request.substr(0, end + 4)), std::string(request.substr(end + 4))};
}

TEST(RestMessages, ScrapeRequestsCarryTheKeyAndAMatchingLength) {
  const ScrapeRequestBuilder builder("127.0.0.1:9000", "KEY123", 30000);
  for (const uint64_t n : {uint64_t{0}, uint64_t{7}, uint64_t{123456789}, UINT64_MAX}) {
    std::string request;
    builder.Append(n, request);
    const SplitRequest r = Split(request);
    EXPECT_TRUE(r.head.starts_with("POST /api/rpc/scrapeUrl HTTP/1.1\r\nHost: 127.0.0.1:9000\r\n"));
    EXPECT_NE(r.head.find("\r\nAuthorization: Bearer KEY123\r\n"), std::string::npos);
    EXPECT_NE(r.head.find("\r\nContent-Type: application/json\r\n"), std::string::npos);
    EXPECT_NE(r.head.find("\r\nContent-Length: " + std::to_string(r.body.size()) + "\r\n"),
              std::string::npos)
        << request;
    auto body = ParseJson(r.body);
    ASSERT_TRUE(body.has_value()) << r.body;
    EXPECT_EQ((*body)["url"].AsString(), "https://example.com/" + std::to_string(n));
    EXPECT_EQ((*body)["scrapeType"].AsString(), "HTML");
    EXPECT_EQ((*body)["timeoutMs"].AsInt(), 30000);
  }
}

TEST(RestMessages, ScrapeRequestsAppendWithoutReallocatingAWarmBuffer) {
  const ScrapeRequestBuilder builder("127.0.0.1:9000", "KEY", 5000);
  std::string out;
  out.reserve(1024);
  const char* data = out.data();
  builder.Append(1, out);
  builder.Append(2, out);
  EXPECT_EQ(out.data(), data);
  const std::string_view both = out;
  const size_t first = Split(both).head.size() + Split(both).body.find('}') + 1;
  EXPECT_TRUE(both.substr(first).starts_with("POST "));
}

}  // namespace
}  // namespace loadgen
