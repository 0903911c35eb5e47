// Sela Points (SP): every amount is an integer of base units, 1 SP = 10^8
// units, the token's 8 decimals (ARCHITECTURE.md §7). SP as a number is only
// for showing an amount, in JSON, as the original did; arithmetic stays in
// units.
#pragma once

#include <cstdint>

namespace sela {

inline constexpr int64_t kUnitsPerSp = 100'000'000;

// An amount of units in SP, for display.
constexpr double Sp(int64_t units) { return static_cast<double>(units) / kUnitsPerSp; }

}  // namespace sela
