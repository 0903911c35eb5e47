// Status and Result<T>: the one error path of the project.
//
// A Status is either OK or carries a Code that tells the caller what to do
// (retry, give up, look elsewhere) plus a human-readable message. Result<T>
// is std::expected<T, Status>. Codes map to HTTP statuses and WebSocket close
// codes in exactly one place each (net/ and api/), never ad hoc.
//
// Thread-safety: values; safe to copy between threads.
#pragma once

#include <expected>
#include <string>
#include <string_view>
#include <utility>

namespace sela {

enum class Code : unsigned char {
  kOk = 0,
  kInvalidArgument,     // The caller sent something wrong; do not retry as is.
  kNotFound,            // The thing does not exist.
  kAlreadyExists,       // A create collided with an existing thing.
  kConflict,            // Same id, different body (idempotency) or a lost race.
  kPermissionDenied,    // Authenticated but not allowed.
  kUnauthenticated,     // No or bad credentials.
  kResourceExhausted,   // A limit was hit; retry later or with less.
  kFailedPrecondition,  // The system is not in a state to do this.
  kUnavailable,         // Transient; retry with back-off.
  kDeadlineExceeded,    // Took too long.
  kInternal,            // A bug or an unexpected failure of a dependency.
};

std::string_view CodeName(Code code);

class [[nodiscard]] Status {
 public:
  Status() = default;
  Status(Code code, std::string message) : code_(code), message_(std::move(message)) {}
  // Implicit so that RETURN_IF_ERROR and ASSIGN_OR_RETURN, which return
  // Err(status), also work in functions that return a plain Status.
  Status(std::unexpected<Status> error) : Status(std::move(error).error()) {}

  static Status Ok() { return {}; }

  bool ok() const { return code_ == Code::kOk; }
  Code code() const { return code_; }
  const std::string& message() const { return message_; }

  // "INVALID_ARGUMENT: PORT must be an integer in 0..65535".
  std::string ToString() const;

  friend bool operator==(const Status& a, const Status& b) {
    return a.code_ == b.code_ && a.message_ == b.message_;
  }

 private:
  Code code_ = Code::kOk;
  std::string message_;
};

inline Status InvalidArgument(std::string m) { return {Code::kInvalidArgument, std::move(m)}; }
inline Status NotFound(std::string m) { return {Code::kNotFound, std::move(m)}; }
inline Status AlreadyExists(std::string m) { return {Code::kAlreadyExists, std::move(m)}; }
inline Status Conflict(std::string m) { return {Code::kConflict, std::move(m)}; }
inline Status PermissionDenied(std::string m) { return {Code::kPermissionDenied, std::move(m)}; }
inline Status Unauthenticated(std::string m) { return {Code::kUnauthenticated, std::move(m)}; }
inline Status ResourceExhausted(std::string m) { return {Code::kResourceExhausted, std::move(m)}; }
inline Status FailedPrecondition(std::string m) { return {Code::kFailedPrecondition, std::move(m)}; }
inline Status Unavailable(std::string m) { return {Code::kUnavailable, std::move(m)}; }
inline Status DeadlineExceeded(std::string m) { return {Code::kDeadlineExceeded, std::move(m)}; }
inline Status Internal(std::string m) { return {Code::kInternal, std::move(m)}; }

template <typename T>
using Result = std::expected<T, Status>;

// Turns a Status into the error side of a Result: `return Err(NotFound("x"));`
inline std::unexpected<Status> Err(Status s) { return std::unexpected<Status>(std::move(s)); }

}  // namespace sela

#define SELA_CONCAT_INNER(a, b) a##b
#define SELA_CONCAT(a, b) SELA_CONCAT_INNER(a, b)

// RETURN_IF_ERROR(expr): expr yields a Status; returns it from the enclosing
// function (which returns Status or Result<T>) when it is not OK.
#define RETURN_IF_ERROR(expr)                                        \
  do {                                                               \
    ::sela::Status sela_status_ = (expr);                            \
    if (!sela_status_.ok()) return ::sela::Err(std::move(sela_status_)); \
  } while (false)

// ASSIGN_OR_RETURN(lhs, expr): expr yields a Result<T>; on error returns the
// Status, otherwise moves the value into lhs (which may be a declaration).
#define ASSIGN_OR_RETURN(lhs, expr) \
  SELA_ASSIGN_OR_RETURN_IMPL(SELA_CONCAT(sela_result_, __LINE__), lhs, expr)
#define SELA_ASSIGN_OR_RETURN_IMPL(tmp, lhs, expr)       \
  auto tmp = (expr);                                     \
  if (!tmp.has_value()) return ::sela::Err(std::move(tmp).error()); \
  lhs = std::move(tmp).value()
