// Query parameters of the reward routes: paging numbers, strictly decimal.
//
// Thread-safety: pure functions.
#pragma once

#include <cstdint>
#include <optional>
#include <string_view>

#include "net/http_types.h"

namespace sela::api {

// A paging parameter: absent gives `fallback`; otherwise a decimal integer
// in [min, max] (nullopt when not: signs, blanks, repeats, brackets,
// anything but digits).
std::optional<uint64_t> PagingParam(const net::HttpRequest& request, std::string_view name, uint64_t fallback,
                                    uint64_t min, uint64_t max);

}  // namespace sela::api
