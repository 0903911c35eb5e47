// Bounded JSON parsing and typed field access over Boost.JSON.
//
// Everything that reads JSON from outside the process goes through
// ParseJson, which refuses input above a byte limit or nesting depth before
// it can cost more memory than the caller budgeted. The field getters turn
// "absent", "wrong type", "too long" and "out of range" into Status messages
// that name the field, so a protocol reply can say exactly what was wrong.
//
// Thread-safety: free functions over values; safe from any thread.
#pragma once

#include <boost/json/object.hpp>
#include <boost/json/value.hpp>
#include <cstddef>
#include <optional>
#include <string_view>

#include "core/status.h"

namespace sela::codec {

struct JsonLimits {
  std::size_t bytes_max = 1024 * 1024;
  // Boost.JSON counts the outermost array or object as depth 1.
  std::size_t depth_max = 64;
};

// Parses one JSON text (RFC 8259, UTF-8 validated, no comments, no trailing
// commas). Duplicate keys keep the last value and doubles are rounded
// correctly, both as JavaScript's JSON.parse does (Boost.JSON 1.81 on its
// own may be one unit in the last place off). Errors: ResourceExhausted when text exceeds limits.bytes_max or
// nests deeper than limits.depth_max; InvalidArgument for malformed input,
// with the byte offset of the problem.
Result<boost::json::value> ParseJson(std::string_view text, const JsonLimits& limits);

// JavaScript truthiness (false, 0, NaN, "" and null are falsy; every object
// and array is truthy). The legacy protocol decided presence this way, so
// code that keeps its behaviour needs the same test.
bool IsTruthy(const boost::json::value& value);

// The value of a JSON number of any representation as a double; nullopt when
// the value is not a number.
std::optional<double> NumberOf(const boost::json::value& value);

// Parses a decimal number written as text ("87.3", " 1e3 "), allowing blanks
// around it and nothing else; the result must be finite.
Result<double> ParseDecimal(std::string_view text);

// Returns the field or nullptr when absent. JSON null counts as present.
const boost::json::value* FindField(const boost::json::object& object, std::string_view key);

// A required string field of at most bytes_max bytes.
Result<std::string_view> GetString(const boost::json::object& object, std::string_view key,
                                   std::size_t bytes_max);

// Like GetString, but an absent or null field yields nullopt.
Result<std::optional<std::string_view>> GetOptionalString(const boost::json::object& object,
                                                          std::string_view key,
                                                          std::size_t bytes_max);

struct NumberRange {
  double min = 0;
  double max = 0;
};

// A required finite number within range (inclusive).
Result<double> GetNumber(const boost::json::object& object, std::string_view key,
                         NumberRange range);

// Like GetNumber, but an absent or null field yields nullopt.
Result<std::optional<double>> GetOptionalNumber(const boost::json::object& object,
                                                std::string_view key, NumberRange range);

// An optional boolean; absent or null yields nullopt.
Result<std::optional<bool>> GetOptionalBool(const boost::json::object& object,
                                            std::string_view key);

// Checks that a number is finite and within range, naming `what` in the error.
Status CheckRange(std::string_view what, double value, NumberRange range);

}  // namespace sela::codec
