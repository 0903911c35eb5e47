// Exact decimal numbers for configuration and money: "0.012" with 8
// decimals is 1'200'000, never a float on the way.
#pragma once

#include <cstdint>
#include <optional>
#include <string_view>

namespace sela {

// Plain decimal digits with at most one point and at most `decimals` digits
// after it, times 10^decimals: ParseDecimal("2.5", 2, ..) == 250. Nothing
// else is accepted (no sign, exponent, blank, leading or trailing point);
// nullopt also when the value exceeds `max`. decimals is 0..18.
std::optional<int64_t> ParseDecimal(std::string_view text, int decimals, int64_t max);

}  // namespace sela
