// Sela Points as integers: 1 SP = 10^8 base units (the token's 8 decimals;
// ARCHITECTURE.md §7; core/points.h). Amounts are never stored or summed as
// floating point; sela::Sp() makes the double that JSON shows, as the
// original did.
#pragma once

#include <cstdint>
#include <optional>
#include <string_view>

#include "core/points.h"
#include "store/ledger.h"

namespace sela::rewards {

// n SP in units (n small enough not to overflow: for constants).
constexpr int64_t SpUnits(int64_t n) { return n * kUnitsPerSp; }

// "12", "0.5", "0.00000001" → units. Plain decimal digits, at most one
// point, at most 8 digits after it, at most max_units; no sign, exponent
// or blanks. nullopt otherwise.
std::optional<int64_t> ParseSp(std::string_view text, int64_t max_units = store::kTransferUnitsMax);

// A JSON number of SP (a double) → units, exactly when it has at most 8
// decimals and is within 0..max_units (so 0.1 + 0.2 → nullopt). For REST
// input such as rewards/add's `rewards`.
std::optional<int64_t> UnitsOfSpNumber(double sp, int64_t max_units = store::kTransferUnitsMax);

// "5", "2.5", "0.01" percent → basis points (1/100 %), 0..10000; at most
// two decimals. nullopt otherwise.
std::optional<uint32_t> ParsePercentBp(std::string_view text);

// floor(units * bp / 10000), for shares and bonuses (bp <= 10000, so it
// never exceeds units).
int64_t ShareOf(int64_t units, uint32_t bp);

}  // namespace sela::rewards
