#include "rewards/units.h"

#include <cmath>
#include <cstdio>
#include <cstdlib>
#include <string>

namespace sela::rewards {

double SpOf(int64_t units) { return static_cast<double>(units) / static_cast<double>(kUnitsPerSp); }

namespace {

// Digits with an optional point and at most `decimals` digits after it,
// scaled by 10^decimals; nullopt beyond `max`.
std::optional<int64_t> ParseScaled(std::string_view text, int decimals, int64_t max) {
  if (text.empty() || text.size() > 40) return std::nullopt;
  int64_t whole = 0;
  int64_t fraction = 0;
  int fraction_digits = 0;
  bool point = false;
  bool digits = false;
  for (char c : text) {
    if (c == '.') {
      if (point) return std::nullopt;
      point = true;
      continue;
    }
    if (c < '0' || c > '9') return std::nullopt;
    digits = true;
    if (point) {
      if (++fraction_digits > decimals) return std::nullopt;
      fraction = fraction * 10 + (c - '0');
    } else {
      if (whole > (max / 10)) return std::nullopt;
      whole = whole * 10 + (c - '0');
    }
  }
  if (!digits || text.back() == '.' || text.front() == '.') return std::nullopt;
  int64_t scale = 1;
  for (int i = 0; i < decimals; ++i) scale *= 10;
  for (int i = fraction_digits; i < decimals; ++i) fraction *= 10;
  if (whole > (max - fraction) / scale) return std::nullopt;
  return whole * scale + fraction;
}

}  // namespace

std::optional<int64_t> ParseSp(std::string_view text, int64_t max_units) {
  return ParseScaled(text, 8, max_units);
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
  const auto bp = ParseScaled(text, 2, 10'000);
  if (!bp) return std::nullopt;
  return static_cast<uint32_t>(*bp);
}

int64_t ShareOf(int64_t units, uint32_t bp) {
  // units <= kTransferUnitsMax (10^18 fits int64 after * 10^4 only in
  // 128 bits), so the product is taken wide.
  return static_cast<int64_t>(static_cast<__int128>(units) * bp / 10'000);
}

}  // namespace sela::rewards
