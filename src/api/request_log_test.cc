#include <gtest/gtest.h>

#include <spdlog/spdlog.h>

#include <cstdio>

#include "api/rest_table.h"
#include "core/logging.h"

namespace sela::api {
namespace {

TEST(EnvelopeMessage, ReadsTheMessageOfAnErrorEnvelope) {
  EXPECT_EQ(EnvelopeMessage(R"({"success":false,"message":"Invalid \"key\"","data":null})"), R"(Invalid \"key\")");
  EXPECT_EQ(EnvelopeMessage(R"({"success":false,"error":"JSON_PARSE_ERROR","message":"JSON syntax error"})"),
            "JSON syntax error");
  EXPECT_EQ(EnvelopeMessage("not json"), "");
  EXPECT_EQ(EnvelopeMessage(R"({"message":"cut)"), "cut");
}

std::string Logged(const RestRouteInfo& route, const net::HttpResponse& response) {
  const auto previous = spdlog::default_logger();
  ::testing::internal::CaptureStderr();
  SetupLogging(LogLevel::kInfo);
  LogRestOutcome(route, "agent/1", response);
  spdlog::default_logger()->flush();
  std::fflush(stderr);
  std::string text = ::testing::internal::GetCapturedStderr();
  spdlog::set_default_logger(previous);
  return text;
}

constexpr RestRouteInfo kAdminRoute{"N13", "POST", "/api/node/broadcast", RestAuth::kAdmin, "Broadcast."};
constexpr RestRouteInfo kKeyRoute{"R12", "POST", "/api/rpc/addJob", RestAuth::kApiKey, "Add a job."};

TEST(LogRestOutcome, RefusalsAreWarningsWithStatusAndReason) {
  const std::string text = Logged(kKeyRoute, ErrorResponse(401, "Invalid API key"));
  EXPECT_NE(text.find(R"("level":"warn","msg":"request refused","route":"R12")"), std::string::npos) << text;
  EXPECT_NE(text.find(R"("status":"401","reason":"Invalid API key")"), std::string::npos) << text;
  EXPECT_EQ(text.find("admin action"), std::string::npos);
}

TEST(LogRestOutcome, AdminCallsSayWhoAndWhatButNotWhenRefused) {
  std::string text = Logged(kAdminRoute, SuccessResponse("ok", "null"));
  EXPECT_NE(text.find(R"("msg":"admin action","who":"ADMIN_TOKEN holder","user_agent":"agent/1","route":"N13")"),
            std::string::npos)
      << text;
  EXPECT_EQ(text.find("request refused"), std::string::npos);
  text = Logged(kAdminRoute, ErrorResponse(401, "Invalid authorization token"));
  EXPECT_EQ(text.find("admin action"), std::string::npos) << text;
  EXPECT_NE(text.find("request refused"), std::string::npos);
}

TEST(LogRestOutcome, SuccessOfOtherRoutesIsNotLogged) {
  EXPECT_EQ(Logged(kKeyRoute, SuccessResponse("ok", "null")), "");
}

}  // namespace
}  // namespace sela::api
