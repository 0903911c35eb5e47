// Input checks shared by every Store backend, so that each one rejects the
// same inputs with the same codes (InvalidArgument) before touching its data.
//
// Pure functions; thread-safe.
#pragma once

#include <cstddef>
#include <cstdint>
#include <string_view>

#include "core/status.h"
#include "store/store.h"

namespace sela::store {

// The longest single delta a checkpoint can produce: one whole UTC day.
inline constexpr int64_t kDayMs = 86'400'000;

// Non-empty and at most `bytes_max` bytes.
Status ValidatePrincipal(std::string_view principal, size_t bytes_max);

// A real calendar date written "YYYY-MM-DD" (so "2024-02-30" is refused).
// `what` names the argument in the error message.
Status ValidateDay(std::string_view day, std::string_view what);

// Times are Unix-epoch milliseconds and never negative.
Status ValidateNowMs(int64_t now_ms);

// Every present value is finite and not negative.
Status ValidateMetrics(const NodeMetricsUpdate& update);

// Principal and day as above; online_ms within one day; sums finite and not
// negative.
Status ValidateUptimeDelta(const UptimeDelta& delta, size_t principal_bytes_max);

Status ValidateStatus(NodeStatus status);

}  // namespace sela::store
