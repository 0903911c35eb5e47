#include "store/validate.h"

#include <chrono>
#include <cmath>
#include <string>
#include <utility>

namespace sela::store {
namespace {

bool IsDigit(char c) { return c >= '0' && c <= '9'; }

int Digits(std::string_view s) {
  int value = 0;
  for (char c : s) value = value * 10 + (c - '0');
  return value;
}

bool IsNonNegativeFinite(double v) { return std::isfinite(v) && v >= 0; }

// Quoted and cut short, so that a hostile argument cannot flood a log line.
std::string Quote(std::string_view s) {
  constexpr size_t kShownBytesMax = 40;
  std::string out = "\"";
  out += s.substr(0, kShownBytesMax);
  if (s.size() > kShownBytesMax) out += "...";
  out += '"';
  return out;
}

}  // namespace

Status ValidatePrincipal(std::string_view principal, size_t bytes_max) {
  if (principal.empty()) return InvalidArgument("principal is empty");
  if (principal.size() > bytes_max) {
    return InvalidArgument("principal is " + std::to_string(principal.size()) +
                           " bytes, more than the limit of " + std::to_string(bytes_max));
  }
  return Status::Ok();
}

Status ValidateDay(std::string_view day, std::string_view what) {
  bool shape = day.size() == 10 && day[4] == '-' && day[7] == '-';
  for (size_t i = 0; shape && i < day.size(); ++i) {
    if (i != 4 && i != 7 && !IsDigit(day[i])) shape = false;
  }
  const bool real = shape &&
                    std::chrono::year_month_day{
                        std::chrono::year{Digits(day.substr(0, 4))},
                        std::chrono::month{static_cast<unsigned>(Digits(day.substr(5, 2)))},
                        std::chrono::day{static_cast<unsigned>(Digits(day.substr(8, 2)))}}
                        .ok();
  if (!real) {
    return InvalidArgument(std::string(what) + " " + Quote(day) +
                           " is not a date written YYYY-MM-DD");
  }
  return Status::Ok();
}

Status ValidateNowMs(int64_t now_ms) {
  if (now_ms < 0) return InvalidArgument("now_ms " + std::to_string(now_ms) + " is negative");
  return Status::Ok();
}

Status ValidateMetrics(const NodeMetricsUpdate& update) {
  const std::pair<const char*, const std::optional<double>*> fields[] = {
      {"download_speed", &update.download_speed},
      {"upload_speed", &update.upload_speed},
      {"ping_ms", &update.ping_ms},
  };
  for (const auto& [name, value] : fields) {
    if (value->has_value() && !IsNonNegativeFinite(**value)) {
      return InvalidArgument(std::string(name) + " must be a finite number >= 0");
    }
  }
  return Status::Ok();
}

Status ValidateUptimeDelta(const UptimeDelta& delta, size_t principal_bytes_max) {
  RETURN_IF_ERROR(ValidatePrincipal(delta.principal, principal_bytes_max));
  RETURN_IF_ERROR(ValidateDay(delta.day, "uptime day"));
  if (delta.online_ms < 0 || delta.online_ms > kDayMs) {
    return InvalidArgument("uptime online_ms " + std::to_string(delta.online_ms) +
                           " is outside one day (0.." + std::to_string(kDayMs) + ")");
  }
  if (!IsNonNegativeFinite(delta.speed_sum) || !IsNonNegativeFinite(delta.ping_sum)) {
    return InvalidArgument("uptime speed_sum and ping_sum must be finite numbers >= 0");
  }
  return Status::Ok();
}

Status ValidateStatus(NodeStatus status) {
  if (status != NodeStatus::kActive && status != NodeStatus::kInactive) {
    return InvalidArgument("node status " + std::to_string(static_cast<int>(status)) +
                           " is neither active nor inactive");
  }
  return Status::Ok();
}

}  // namespace sela::store
