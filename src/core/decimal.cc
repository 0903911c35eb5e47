#include "core/decimal.h"

namespace sela {

std::optional<int64_t> ParseDecimal(std::string_view text, int decimals, int64_t max) {
  if (text.empty() || text.size() > 40 || decimals < 0 || decimals > 18 || max < 0) return std::nullopt;
  if (text.front() == '.' || text.back() == '.') return std::nullopt;
  int64_t whole = 0;
  int64_t fraction = 0;
  int fraction_digits = 0;
  bool point = false;
  for (char c : text) {
    if (c == '.') {
      if (point || decimals == 0) return std::nullopt;
      point = true;
      continue;
    }
    if (c < '0' || c > '9') return std::nullopt;
    if (point) {
      if (++fraction_digits > decimals) return std::nullopt;
      fraction = fraction * 10 + (c - '0');
    } else {
      if (whole > max / 10) return std::nullopt;
      whole = whole * 10 + (c - '0');
    }
  }
  int64_t scale = 1;
  for (int i = 0; i < decimals; ++i) scale *= 10;
  for (int i = fraction_digits; i < decimals; ++i) fraction *= 10;
  if (whole > (max - fraction) / scale) return std::nullopt;
  return whole * scale + fraction;
}

}  // namespace sela
