#include "core/status.h"

#include <gtest/gtest.h>

#include <string>

namespace sela {
namespace {

TEST(Status, DefaultIsOk) {
  const Status status;
  EXPECT_TRUE(status.ok());
  EXPECT_EQ(status.code(), Code::kOk);
  EXPECT_EQ(status.message(), "");
  EXPECT_EQ(status.ToString(), "OK");
  EXPECT_EQ(status, Status::Ok());
}

TEST(Status, ToStringJoinsCodeNameAndMessage) {
  EXPECT_EQ(InvalidArgument("PORT must be an integer in 0..65535").ToString(),
            "INVALID_ARGUMENT: PORT must be an integer in 0..65535");
}

TEST(Status, HelpersSetTheirCode) {
  EXPECT_EQ(InvalidArgument("m").code(), Code::kInvalidArgument);
  EXPECT_EQ(NotFound("m").code(), Code::kNotFound);
  EXPECT_EQ(AlreadyExists("m").code(), Code::kAlreadyExists);
  EXPECT_EQ(Conflict("m").code(), Code::kConflict);
  EXPECT_EQ(PermissionDenied("m").code(), Code::kPermissionDenied);
  EXPECT_EQ(Unauthenticated("m").code(), Code::kUnauthenticated);
  EXPECT_EQ(ResourceExhausted("m").code(), Code::kResourceExhausted);
  EXPECT_EQ(FailedPrecondition("m").code(), Code::kFailedPrecondition);
  EXPECT_EQ(Unavailable("m").code(), Code::kUnavailable);
  EXPECT_EQ(DeadlineExceeded("m").code(), Code::kDeadlineExceeded);
  EXPECT_EQ(Internal("m").code(), Code::kInternal);
  EXPECT_FALSE(Internal("m").ok());
}

TEST(Status, EveryCodeHasADistinctName) {
  const Code codes[] = {Code::kOk,
                        Code::kInvalidArgument,
                        Code::kNotFound,
                        Code::kAlreadyExists,
                        Code::kConflict,
                        Code::kPermissionDenied,
                        Code::kUnauthenticated,
                        Code::kResourceExhausted,
                        Code::kFailedPrecondition,
                        Code::kUnavailable,
                        Code::kDeadlineExceeded,
                        Code::kInternal};
  for (size_t i = 0; i < std::size(codes); ++i) {
    EXPECT_NE(CodeName(codes[i]), "UNKNOWN");
    for (size_t j = 0; j < i; ++j) EXPECT_NE(CodeName(codes[i]), CodeName(codes[j]));
  }
  EXPECT_EQ(CodeName(Code::kResourceExhausted), "RESOURCE_EXHAUSTED");
}

TEST(Status, EqualityComparesCodeAndMessage) {
  EXPECT_EQ(NotFound("a"), NotFound("a"));
  EXPECT_NE(NotFound("a"), NotFound("b"));
  EXPECT_NE(NotFound("a"), Conflict("a"));
}

Result<int> ParsePositive(int value) {
  if (value <= 0) return Err(InvalidArgument("not positive"));
  return value;
}

Status CheckPositive(int value) {
  RETURN_IF_ERROR(value > 0 ? Status::Ok() : InvalidArgument("not positive"));
  return Status::Ok();
}

Result<int> Doubled(int value) {
  ASSIGN_OR_RETURN(const int parsed, ParsePositive(value));
  return parsed * 2;
}

Status DoubledIsEven(int value) {
  ASSIGN_OR_RETURN(int doubled, Doubled(value));
  if (doubled % 2 != 0) return Internal("odd");
  return Status::Ok();
}

Result<std::string> Describe(int value) {
  RETURN_IF_ERROR(CheckPositive(value));
  return std::to_string(value);
}

TEST(Status, ReturnIfErrorReturnsTheErrorFromStatusAndResultFunctions) {
  EXPECT_TRUE(CheckPositive(3).ok());
  EXPECT_EQ(CheckPositive(-1), InvalidArgument("not positive"));
  EXPECT_EQ(Describe(4), "4");
  ASSERT_FALSE(Describe(0).has_value());
  EXPECT_EQ(Describe(0).error(), InvalidArgument("not positive"));
}

TEST(Status, AssignOrReturnMovesTheValueOrReturnsTheError) {
  EXPECT_EQ(Doubled(21), 42);
  ASSERT_FALSE(Doubled(-5).has_value());
  EXPECT_EQ(Doubled(-5).error().code(), Code::kInvalidArgument);
  EXPECT_TRUE(DoubledIsEven(1).ok());
  EXPECT_EQ(DoubledIsEven(0), InvalidArgument("not positive"));
}

}  // namespace
}  // namespace sela
