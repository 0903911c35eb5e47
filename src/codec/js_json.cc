#include "codec/js_json.h"

#include <algorithm>
#include <array>
#include <charconv>
#include <cmath>
#include <cstdlib>
#include <cstring>

namespace sela::codec {
namespace {

// 2^53: the largest range in which every integer is exact as a double.
constexpr int64_t kJsSafeIntegerLimit = int64_t{1} << 53;

// Shortest round-trip digits and decimal exponent of a finite, non-zero,
// positive value: value = 0.d1d2...dk x 10^point.
struct Decimal {
  std::string digits;
  int point = 0;
};

Decimal ShortestDecimal(double value) {
  std::array<char, 64> buf{};
  // std::to_chars without a precision yields the shortest representation
  // that round-trips, which is what ECMAScript's Number::toString requires.
  const auto result =
      std::to_chars(buf.data(), buf.data() + buf.size(), value, std::chars_format::scientific);
  const std::string_view text(buf.data(), result.ptr);
  const std::size_t e = text.find('e');
  Decimal d;
  for (char c : text.substr(0, e)) {
    if (c != '.') d.digits += c;
  }
  d.point = std::atoi(std::string(text.substr(e + 1)).c_str()) + 1;
  return d;
}

}  // namespace

std::string FormatJsNumber(double value) {
  if (std::isnan(value)) return "NaN";
  if (std::isinf(value)) return value > 0 ? "Infinity" : "-Infinity";
  if (value == 0) return "0";
  std::string out;
  if (value < 0) {
    out += '-';
    value = -value;
  }
  const Decimal d = ShortestDecimal(value);
  const int k = static_cast<int>(d.digits.size());
  const int n = d.point;
  // The cases of ECMA-262 Number::toString, step by step.
  if (k <= n && n <= 21) {
    out += d.digits;
    out.append(static_cast<std::size_t>(n - k), '0');
  } else if (0 < n && n <= 21) {
    out.append(d.digits, 0, static_cast<std::size_t>(n));
    out += '.';
    out.append(d.digits, static_cast<std::size_t>(n));
  } else if (-6 < n && n <= 0) {
    out += "0.";
    out.append(static_cast<std::size_t>(-n), '0');
    out += d.digits;
  } else {
    out += d.digits[0];
    if (k > 1) {
      out += '.';
      out.append(d.digits, 1);
    }
    out += 'e';
    out += n - 1 >= 0 ? '+' : '-';
    out += std::to_string(std::abs(n - 1));
  }
  return out;
}

std::string FormatJsonNumber(double value) {
  if (!std::isfinite(value)) return "null";
  return FormatJsNumber(value);
}

std::string FormatJsInteger(int64_t value) {
  if (value > -kJsSafeIntegerLimit && value < kJsSafeIntegerLimit) return std::to_string(value);
  return FormatJsNumber(static_cast<double>(value));
}

namespace {

// Whether any of the 8 bytes at p is below 0x20, '"' or '\\' (SWAR: the
// high bit of a byte of `found` is set where one is; a false positive is
// only possible above a true one, so "none" is exact).
bool MayNeedEscape(const char* p) {
  constexpr uint64_t kOnes = 0x0101010101010101ull;
  constexpr uint64_t kHigh = 0x8080808080808080ull;
  uint64_t word;
  std::memcpy(&word, p, 8);
  const uint64_t control = (word - kOnes * 0x20) & ~word;
  const uint64_t quote = word ^ (kOnes * '"');
  const uint64_t backslash = word ^ (kOnes * '\\');
  const uint64_t found = control | ((quote - kOnes) & ~quote) | ((backslash - kOnes) & ~backslash);
  return (found & kHigh) != 0;
}

}  // namespace

void AppendJsonString(std::string& out, std::string_view text) {
  static constexpr char kHex[] = "0123456789abcdef";
  // Room for the unescaped text, grown geometrically: reserving the exact
  // size would reallocate on every call when one buffer collects many
  // strings (JsonObjectWriter).
  const size_t needed = out.size() + text.size() + 2;
  if (needed > out.capacity()) out.reserve(std::max(needed, 2 * out.capacity()));
  out += '"';
  // Runs of characters that need no escape are copied in one go; they are
  // found eight bytes at a time (a 1 KiB node result is mostly such a run).
  size_t run = 0;
  for (size_t i = 0; i < text.size(); ++i) {
    while (i + 8 <= text.size() && !MayNeedEscape(text.data() + i)) i += 8;
    if (i == text.size()) break;
    const auto u = static_cast<unsigned char>(text[i]);
    if (u >= 0x20 && u != '"' && u != '\\') continue;
    out.append(text.data() + run, i - run);
    run = i + 1;
    switch (u) {
      case '"': out += "\\\""; break;
      case '\\': out += "\\\\"; break;
      case '\b': out += "\\b"; break;
      case '\f': out += "\\f"; break;
      case '\n': out += "\\n"; break;
      case '\r': out += "\\r"; break;
      case '\t': out += "\\t"; break;
      default:
        out += "\\u00";
        out += kHex[u >> 4];
        out += kHex[u & 0xF];
    }
  }
  out.append(text.data() + run, text.size() - run);
  out += '"';
}

namespace {

void AppendValue(std::string& out, const boost::json::value& value) {
  switch (value.kind()) {
    case boost::json::kind::null: out += "null"; return;
    case boost::json::kind::bool_: out += value.get_bool() ? "true" : "false"; return;
    case boost::json::kind::int64: out += FormatJsInteger(value.get_int64()); return;
    case boost::json::kind::uint64: {
      const uint64_t u = value.get_uint64();
      out += u < static_cast<uint64_t>(kJsSafeIntegerLimit)
                 ? std::to_string(u)
                 : FormatJsNumber(static_cast<double>(u));
      return;
    }
    case boost::json::kind::double_: out += FormatJsonNumber(value.get_double()); return;
    case boost::json::kind::string: AppendJsonString(out, value.get_string()); return;
    case boost::json::kind::array: {
      out += '[';
      bool first = true;
      for (const boost::json::value& item : value.get_array()) {
        if (!first) out += ',';
        first = false;
        AppendValue(out, item);
      }
      out += ']';
      return;
    }
    case boost::json::kind::object: {
      out += '{';
      bool first = true;
      for (const auto& [key, item] : value.get_object()) {
        if (!first) out += ',';
        first = false;
        AppendJsonString(out, key);
        out += ':';
        AppendValue(out, item);
      }
      out += '}';
      return;
    }
  }
}

}  // namespace

std::string StringifyJs(const boost::json::value& value) {
  std::string out;
  AppendValue(out, value);
  return out;
}

void JsonObjectWriter::Key(std::string_view key) {
  if (!empty_) out_ += ',';
  empty_ = false;
  AppendJsonString(out_, key);
  out_ += ':';
}

JsonObjectWriter& JsonObjectWriter::String(std::string_view key, std::string_view value) {
  Key(key);
  AppendJsonString(out_, value);
  return *this;
}

JsonObjectWriter& JsonObjectWriter::Number(std::string_view key, double value) {
  Key(key);
  out_ += FormatJsonNumber(value);
  return *this;
}

JsonObjectWriter& JsonObjectWriter::Integer(std::string_view key, int64_t value) {
  Key(key);
  out_ += FormatJsInteger(value);
  return *this;
}

JsonObjectWriter& JsonObjectWriter::Bool(std::string_view key, bool value) {
  Key(key);
  out_ += value ? "true" : "false";
  return *this;
}

JsonObjectWriter& JsonObjectWriter::Raw(std::string_view key, std::string_view json) {
  Key(key);
  out_ += json;
  return *this;
}

std::string JsonObjectWriter::Finish() {
  out_ += '}';
  return std::move(out_);
}

std::string JsonQuote(std::string_view text) {
  std::string out;
  AppendJsonString(out, text);
  return out;
}

std::string JsonArray(const std::vector<std::string>& items) {
  std::string out = "[";
  for (const std::string& item : items) {
    if (out.size() > 1) out += ',';
    out += item;
  }
  return out + "]";
}

}  // namespace sela::codec
