#include "json.h"

#include <cassert>
#include <charconv>
#include <cmath>
#include <cstdio>

namespace loadgen {
namespace {

const JsonValue kNull;
const std::string kEmptyString;
const JsonValue::Array kEmptyArray;
const JsonValue::Object kEmptyObject;

void AppendNumber(double d, std::string& out) {
  if (!std::isfinite(d)) {
    out += "null";
    return;
  }
  char buf[32];
  auto [end, ec] = std::to_chars(buf, buf + sizeof(buf), d);
  assert(ec == std::errc());
  out.append(buf, end);
}

class Parser {
 public:
  explicit Parser(std::string_view text) : text_(text) {}

  std::expected<JsonValue, std::string> ParseDocument() {
    auto value = ParseValue(0);
    if (!value) return value;
    SkipSpace();
    if (pos_ != text_.size()) return Fail("trailing characters");
    return value;
  }

 private:
  std::unexpected<std::string> Fail(std::string_view what) const {
    return std::unexpected("JSON " + std::string(what) + " at offset " + std::to_string(pos_));
  }

  void SkipSpace() {
    while (pos_ < text_.size() && (text_[pos_] == ' ' || text_[pos_] == '\n' ||
                                   text_[pos_] == '\r' || text_[pos_] == '\t')) {
      ++pos_;
    }
  }

  bool Consume(std::string_view literal) {
    if (text_.substr(pos_, literal.size()) != literal) return false;
    pos_ += literal.size();
    return true;
  }

  std::expected<JsonValue, std::string> ParseValue(int depth) {
    if (depth > kJsonDepthMax) return Fail("nesting too deep");
    SkipSpace();
    if (pos_ >= text_.size()) return Fail("unexpected end");
    const char c = text_[pos_];
    if (c == '{') return ParseObject(depth);
    if (c == '[') return ParseArray(depth);
    if (c == '"') {
      auto s = ParseString();
      if (!s) return std::unexpected(s.error());
      return JsonValue(std::move(*s));
    }
    if (Consume("true")) return JsonValue(true);
    if (Consume("false")) return JsonValue(false);
    if (Consume("null")) return JsonValue();
    return ParseNumber();
  }

  std::expected<JsonValue, std::string> ParseObject(int depth) {
    ++pos_;
    JsonValue object = JsonValue::MakeObject();
    SkipSpace();
    if (Consume("}")) return object;
    for (;;) {
      SkipSpace();
      if (pos_ >= text_.size() || text_[pos_] != '"') return Fail("expected a member name");
      auto key = ParseString();
      if (!key) return std::unexpected(key.error());
      SkipSpace();
      if (!Consume(":")) return Fail("expected ':'");
      auto value = ParseValue(depth + 1);
      if (!value) return value;
      object.Set(*key, std::move(*value));
      SkipSpace();
      if (Consume("}")) return object;
      if (!Consume(",")) return Fail("expected ',' or '}'");
    }
  }

  std::expected<JsonValue, std::string> ParseArray(int depth) {
    ++pos_;
    JsonValue array = JsonValue::MakeArray();
    SkipSpace();
    if (Consume("]")) return array;
    for (;;) {
      auto value = ParseValue(depth + 1);
      if (!value) return value;
      array.Push(std::move(*value));
      SkipSpace();
      if (Consume("]")) return array;
      if (!Consume(",")) return Fail("expected ',' or ']'");
    }
  }

  std::expected<JsonValue, std::string> ParseNumber() {
    const size_t start = pos_;
    bool integral = true;
    while (pos_ < text_.size()) {
      const char c = text_[pos_];
      if (c == '.' || c == 'e' || c == 'E') {
        integral = false;
      } else if (!(c == '-' || c == '+' || (c >= '0' && c <= '9'))) {
        break;
      }
      ++pos_;
    }
    const char* first = text_.data() + start;
    const char* last = text_.data() + pos_;
    if (first == last) return Fail("unexpected character");
    if (integral) {
      int64_t i = 0;
      auto [end, ec] = std::from_chars(first, last, i);
      if (ec == std::errc() && end == last) return JsonValue(i);
    }
    double d = 0;
    auto [end, ec] = std::from_chars(first, last, d);
    if (ec != std::errc() || end != last) return Fail("bad number");
    return JsonValue(d);
  }

  std::expected<std::string, std::string> ParseString() {
    ++pos_;
    std::string out;
    while (pos_ < text_.size()) {
      const char c = text_[pos_++];
      if (c == '"') return out;
      if (static_cast<unsigned char>(c) < 0x20) return Fail("control character in string");
      if (c != '\\') {
        out += c;
        continue;
      }
      if (pos_ >= text_.size()) break;
      const char e = text_[pos_++];
      switch (e) {
        case '"': out += '"'; break;
        case '\\': out += '\\'; break;
        case '/': out += '/'; break;
        case 'b': out += '\b'; break;
        case 'f': out += '\f'; break;
        case 'n': out += '\n'; break;
        case 'r': out += '\r'; break;
        case 't': out += '\t'; break;
        case 'u': if (!ParseUnicodeEscape(out)) return Fail("bad \\u escape"); break;
        default: return Fail("bad escape");
      }
    }
    return Fail("unterminated string");
  }

  // Reads the 4 hex digits after "\u" and appends the code point as UTF-8.
  // Surrogate pairs are not joined: the load generator never produces them.
  bool ParseUnicodeEscape(std::string& out) {
    if (pos_ + 4 > text_.size()) return false;
    unsigned cp = 0;
    auto [end, ec] = std::from_chars(text_.data() + pos_, text_.data() + pos_ + 4, cp, 16);
    if (ec != std::errc() || end != text_.data() + pos_ + 4) return false;
    pos_ += 4;
    if (cp < 0x80) {
      out += static_cast<char>(cp);
    } else if (cp < 0x800) {
      out += static_cast<char>(0xC0 | (cp >> 6));
      out += static_cast<char>(0x80 | (cp & 0x3F));
    } else {
      out += static_cast<char>(0xE0 | (cp >> 12));
      out += static_cast<char>(0x80 | ((cp >> 6) & 0x3F));
      out += static_cast<char>(0x80 | (cp & 0x3F));
    }
    return true;
  }

  std::string_view text_;
  size_t pos_ = 0;
};

}  // namespace

int64_t JsonValue::AsInt() const {
  if (auto* i = std::get_if<int64_t>(&value_)) return *i;
  if (auto* d = std::get_if<double>(&value_)) return static_cast<int64_t>(*d);
  return 0;
}

double JsonValue::AsDouble() const {
  if (auto* d = std::get_if<double>(&value_)) return *d;
  if (auto* i = std::get_if<int64_t>(&value_)) return static_cast<double>(*i);
  return 0.0;
}

const std::string& JsonValue::AsString() const {
  auto* s = std::get_if<std::string>(&value_);
  return s ? *s : kEmptyString;
}

const JsonValue::Array& JsonValue::AsArray() const {
  auto* a = std::get_if<Array>(&value_);
  return a ? *a : kEmptyArray;
}

const JsonValue::Object& JsonValue::AsObject() const {
  auto* o = std::get_if<Object>(&value_);
  return o ? *o : kEmptyObject;
}

const JsonValue* JsonValue::Find(std::string_view key) const {
  for (const auto& [k, v] : AsObject()) {
    if (k == key) return &v;
  }
  return nullptr;
}

const JsonValue& JsonValue::operator[](std::string_view key) const {
  const JsonValue* v = Find(key);
  return v ? *v : kNull;
}

JsonValue& JsonValue::Set(std::string_view key, JsonValue value) {
  auto& object = std::get<Object>(value_);
  for (auto& [k, v] : object) {
    if (k == key) {
      v = std::move(value);
      return v;
    }
  }
  return object.emplace_back(std::string(key), std::move(value)).second;
}

void JsonValue::Push(JsonValue value) { std::get<Array>(value_).push_back(std::move(value)); }

std::string JsonValue::Serialize() const {
  std::string out;
  SerializeTo(out);
  return out;
}

void JsonValue::SerializeTo(std::string& out) const {
  if (std::holds_alternative<std::monostate>(value_)) {
    out += "null";
  } else if (auto* b = std::get_if<bool>(&value_)) {
    out += *b ? "true" : "false";
  } else if (auto* i = std::get_if<int64_t>(&value_)) {
    out += std::to_string(*i);
  } else if (auto* d = std::get_if<double>(&value_)) {
    AppendNumber(*d, out);
  } else if (auto* s = std::get_if<std::string>(&value_)) {
    AppendJsonString(*s, out);
  } else if (auto* a = std::get_if<Array>(&value_)) {
    out += '[';
    for (size_t n = 0; n < a->size(); ++n) {
      if (n != 0) out += ',';
      (*a)[n].SerializeTo(out);
    }
    out += ']';
  } else {
    const auto& o = std::get<Object>(value_);
    out += '{';
    for (size_t n = 0; n < o.size(); ++n) {
      if (n != 0) out += ',';
      AppendJsonString(o[n].first, out);
      out += ':';
      o[n].second.SerializeTo(out);
    }
    out += '}';
  }
}

void AppendJsonString(std::string_view s, std::string& out) {
  out += '"';
  for (const char c : s) {
    switch (c) {
      case '"': out += "\\\""; break;
      case '\\': out += "\\\\"; break;
      case '\n': out += "\\n"; break;
      case '\r': out += "\\r"; break;
      case '\t': out += "\\t"; break;
      default:
        if (static_cast<unsigned char>(c) < 0x20) {
          char buf[8];
          std::snprintf(buf, sizeof(buf), "\\u%04x", static_cast<unsigned>(c));
          out += buf;
        } else {
          out += c;
        }
    }
  }
  out += '"';
}

std::expected<JsonValue, std::string> ParseJson(std::string_view text) {
  return Parser(text).ParseDocument();
}

}  // namespace loadgen
