// JSON output that matches JavaScript's JSON.stringify byte for byte.
//
// The legacy node apps were written against a Node.js server, so every frame
// we send in protocol v1 must look exactly like the one JSON.stringify
// produced: keys in insertion order, no whitespace, numbers printed the way
// Number#toString prints them, and the same string escapes. Boost.JSON's
// serializer differs on numbers (it prints 1.0 as "1E0"), hence this file.
//
// Thread-safety: free functions and a value-type writer; no shared state.
#pragma once

#include <boost/json/value.hpp>
#include <cstdint>
#include <string>
#include <string_view>
#include <vector>

namespace sela::codec {

// Number#toString: the shortest digits that round-trip, integers without a
// fraction, plain notation from 1e-6 up to (not including) 1e21 and
// exponent form outside it ("1e-7", "1.5e+21"), "-0" printed as "0", and
// "NaN", "Infinity", "-Infinity" for the non-finite values.
std::string FormatJsNumber(double value);

// As JSON.stringify prints a number: like FormatJsNumber, but the
// non-finite values become `null`.
std::string FormatJsonNumber(double value);

// Appends `text` (UTF-8) as a JSON string literal with JSON.stringify's
// escapes: \" \\ \b \f \n \r \t, other control characters as \u00xx in
// lowercase hex, everything else (including non-ASCII and '/') verbatim.
void AppendJsonString(std::string& out, std::string_view text);
// `text` as a JSON string literal (AppendJsonString into a new string).
std::string JsonQuote(std::string_view text);
// The items, each already valid JSON, as one JSON array.
std::string JsonArray(const std::vector<std::string>& items);

// A JSON number for an integer as JavaScript would print it: exact up to
// 2^53, and beyond that the value rounded to a double first, since a
// JavaScript peer could not have held it exactly either.
std::string FormatJsInteger(int64_t value);

// Serialises a Boost.JSON value as JSON.stringify would serialise the
// equivalent JavaScript value (object keys in their stored order).
std::string StringifyJs(const boost::json::value& value);

// Builds one JSON object with keys in the order they are added.
//
//   std::string s = JsonObjectWriter().String("function", "Error").Finish();
class JsonObjectWriter {
 public:
  // Starts with room for a typical frame or response, so that a writer
  // allocates once rather than once per doubling; a larger object may say
  // how much it expects.
  static constexpr size_t kInitialBytes = 256;
  explicit JsonObjectWriter(size_t expected_bytes = kInitialBytes) {
    out_.reserve(expected_bytes);
    out_ += '{';
  }

  JsonObjectWriter& String(std::string_view key, std::string_view value);
  JsonObjectWriter& Number(std::string_view key, double value);
  JsonObjectWriter& Integer(std::string_view key, int64_t value);
  JsonObjectWriter& Bool(std::string_view key, bool value);
  // `json` must already be valid JSON; it is copied verbatim.
  JsonObjectWriter& Raw(std::string_view key, std::string_view json);

  // Closes the object and hands back the text; the writer is spent after.
  std::string Finish();

 private:
  void Key(std::string_view key);

  std::string out_;
  bool empty_ = true;
};

}  // namespace sela::codec
