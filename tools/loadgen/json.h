// JsonValue: a small JSON document model for the load generator's report.
//
// The report is built as a JsonValue and printed once; worker processes send
// their results to the parent as JSON text, which the parent parses back with
// ParseJson. Objects keep insertion order so the printed report reads in the
// order it was built. Numbers are int64 when written without a fraction or an
// exponent, double otherwise. Non-finite doubles print as null.
//
// This is not a general-purpose JSON library: it has no streaming, and the
// parser enforces kJsonDepthMax because its input crosses a process boundary.
//
// Thread-safety: a value type.
#pragma once

#include <concepts>
#include <cstdint>
#include <expected>
#include <string>
#include <string_view>
#include <utility>
#include <variant>
#include <vector>

namespace loadgen {

inline constexpr int kJsonDepthMax = 32;

class JsonValue {
 public:
  using Array = std::vector<JsonValue>;
  using Object = std::vector<std::pair<std::string, JsonValue>>;

  JsonValue() = default;
  JsonValue(std::nullptr_t) {}
  JsonValue(bool b) : value_(b) {}
  template <std::integral T>
    requires(!std::same_as<T, bool>)
  JsonValue(T i) : value_(static_cast<int64_t>(i)) {}
  JsonValue(double d) : value_(d) {}
  JsonValue(std::string s) : value_(std::move(s)) {}
  JsonValue(std::string_view s) : value_(std::string(s)) {}
  JsonValue(const char* s) : value_(std::string(s)) {}
  JsonValue(Array a) : value_(std::move(a)) {}
  JsonValue(Object o) : value_(std::move(o)) {}

  static JsonValue MakeObject() { return JsonValue(Object{}); }
  static JsonValue MakeArray() { return JsonValue(Array{}); }

  bool is_null() const { return std::holds_alternative<std::monostate>(value_); }
  bool is_object() const { return std::holds_alternative<Object>(value_); }
  bool is_array() const { return std::holds_alternative<Array>(value_); }
  bool is_number() const {
    return std::holds_alternative<int64_t>(value_) || std::holds_alternative<double>(value_);
  }
  bool is_string() const { return std::holds_alternative<std::string>(value_); }

  // Numeric reads convert between int and double; a non-number reads as 0.
  int64_t AsInt() const;
  double AsDouble() const;
  // A non-string reads as empty.
  const std::string& AsString() const;
  // A non-array / non-object reads as empty.
  const Array& AsArray() const;
  const Object& AsObject() const;

  // Object member lookup; nullptr when absent or when this is not an object.
  const JsonValue* Find(std::string_view key) const;
  // Member value or a null value when absent.
  const JsonValue& operator[](std::string_view key) const;
  // Sets (replacing) an object member. Precondition: this is an object.
  JsonValue& Set(std::string_view key, JsonValue value);
  // Appends to an array. Precondition: this is an array.
  void Push(JsonValue value);

  // Compact JSON text.
  std::string Serialize() const;

 private:
  void SerializeTo(std::string& out) const;

  std::variant<std::monostate, bool, int64_t, double, std::string, Array, Object> value_;
};

// Parses one JSON text (surrounding whitespace allowed). The error says what
// was wrong and at which byte offset.
std::expected<JsonValue, std::string> ParseJson(std::string_view text);

// Appends `s` as a JSON string literal, quotes included.
void AppendJsonString(std::string_view s, std::string& out);

}  // namespace loadgen
