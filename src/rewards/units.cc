#include "rewards/units.h"

#include "core/decimal.h"

#include <cmath>
#include <cstdio>
#include <cstdlib>
#include <string>

namespace sela::rewards {

std::optional<int64_t> ParseSp(std::string_view text, int64_t max_units) {
  return ParseDecimal(text, 8, max_units);
}

std::optional<int64_t> UnitsOfSpNumber(double sp, int64_t max_units) {
  if (!std::isfinite(sp) || sp < 0 || sp > static_cast<double>(max_units) / kUnitsPerSp) return std::nullopt;
  // The shortest decimal that reads back as this double, then exact parsing:
  // 0.45 is "0.45", not 0.450000000000000011102230246251565.
  char buf[64];
  for (int precision = 1; precision <= 17; ++precision) {
    std::snprintf(buf, sizeof buf, "%.*g", precision, sp);
    if (std::strtod(buf, nullptr) == sp) break;
  }
  std::string text(buf);
  if (text.find_first_of("eE") != std::string::npos) {
    std::snprintf(buf, sizeof buf, "%.8f", sp);
    if (std::strtod(buf, nullptr) != sp) return std::nullopt;
    text = buf;
    while (text.size() > 1 && text.back() == '0') text.pop_back();
    if (text.back() == '.') text.pop_back();
  }
  return ParseSp(text, max_units);
}

std::optional<uint32_t> ParsePercentBp(std::string_view text) {
  const auto bp = ParseDecimal(text, 2, 10'000);
  if (!bp) return std::nullopt;
  return static_cast<uint32_t>(*bp);
}

int64_t ShareOf(int64_t units, uint32_t bp) {
  // units <= kTransferUnitsMax (10^18 fits int64 after * 10^4 only in
  // 128 bits), so the product is taken wide.
  return static_cast<int64_t>(static_cast<__int128>(units) * bp / 10'000);
}

}  // namespace sela::rewards
