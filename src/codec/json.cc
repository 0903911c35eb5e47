#include "codec/json.h"

#include <boost/json/basic_parser_impl.hpp>
#include <boost/json/error.hpp>
#include <boost/json/value_stack.hpp>
#include <charconv>
#include <cmath>
#include <string>

#include "codec/js_json.h"

namespace sela::codec {
namespace {

// The handler of boost::json::parser, except that doubles are converted
// from their text with std::from_chars, which rounds correctly. Boost.JSON
// 1.81 parses doubles only to within one unit in the last place, so a value
// read from a client and written back could differ from what JavaScript's
// JSON.parse and JSON.stringify make of it (0.00020400000000000003 came back
// as ...05).
struct PreciseHandler {
  static constexpr std::size_t max_object_size = boost::json::object::max_size();
  static constexpr std::size_t max_array_size = boost::json::array::max_size();
  static constexpr std::size_t max_key_size = boost::json::string::max_size();
  static constexpr std::size_t max_string_size = boost::json::string::max_size();

  using ErrorCode = boost::system::error_code;
  using View = boost::json::string_view;

  // temp: the caller's scratch space for the stack of values being built,
  // so that a small document allocates only for the values themselves.
  PreciseHandler(unsigned char* temp, std::size_t temp_bytes) : stack({}, temp, temp_bytes) {}

  boost::json::value_stack stack;
  std::string number;  // text of a number split across buffers

  bool on_document_begin(ErrorCode&) { return true; }
  bool on_document_end(ErrorCode&) { return true; }
  bool on_object_begin(ErrorCode&) { return true; }
  bool on_object_end(std::size_t n, ErrorCode&) {
    stack.push_object(n);
    return true;
  }
  bool on_array_begin(ErrorCode&) { return true; }
  bool on_array_end(std::size_t n, ErrorCode&) {
    stack.push_array(n);
    return true;
  }
  bool on_key_part(View s, std::size_t, ErrorCode&) {
    stack.push_chars(s);
    return true;
  }
  bool on_key(View s, std::size_t, ErrorCode&) {
    stack.push_key(s);
    return true;
  }
  bool on_string_part(View s, std::size_t, ErrorCode&) {
    stack.push_chars(s);
    return true;
  }
  bool on_string(View s, std::size_t, ErrorCode&) {
    stack.push_string(s);
    return true;
  }
  bool on_number_part(View s, ErrorCode&) {
    number.append(s.data(), s.size());
    return true;
  }
  bool on_int64(int64_t i, View, ErrorCode&) {
    number.clear();
    stack.push_int64(i);
    return true;
  }
  bool on_uint64(uint64_t u, View, ErrorCode&) {
    number.clear();
    stack.push_uint64(u);
    return true;
  }
  bool on_double(double d, View s, ErrorCode&) {
    number.append(s.data(), s.size());
    double precise = d;
    // JSON's number syntax is a subset of what from_chars reads. On
    // overflow or underflow from_chars leaves `precise` alone, keeping
    // Boost's infinity or zero.
    std::from_chars(number.data(), number.data() + number.size(), precise);
    number.clear();
    stack.push_double(precise);
    return true;
  }
  bool on_bool(bool b, ErrorCode&) {
    stack.push_bool(b);
    return true;
  }
  bool on_null(ErrorCode&) {
    stack.push_null();
    return true;
  }
  bool on_comment_part(View, ErrorCode&) { return true; }
  bool on_comment(View, ErrorCode&) { return true; }
};

std::string Quoted(std::string_view key) {
  std::string s = "field '";
  s.append(key);
  s += '\'';
  return s;
}

}  // namespace

Result<boost::json::value> ParseJson(std::string_view text, const JsonLimits& limits) {
  if (text.size() > limits.bytes_max) {
    return Err(ResourceExhausted("JSON text of " + std::to_string(text.size()) +
                                 " bytes exceeds the limit of " +
                                 std::to_string(limits.bytes_max) + " bytes"));
  }
  boost::json::parse_options options;
  options.max_depth = limits.depth_max;
  // Enough for the frames and request bodies of the job round trip; a
  // bigger document spills over to the heap.
  unsigned char temp[2048];
  boost::json::basic_parser<PreciseHandler> parser(options, temp, sizeof temp);
  parser.handler().stack.reset();
  boost::system::error_code ec;
  const std::size_t used = parser.write_some(false, text.data(), text.size(), ec);
  if (!ec && used < text.size()) {
    // write_some stops after one complete value; only blanks may follow.
    const std::size_t rest = text.find_first_not_of(" \t\r\n", used);
    if (rest != std::string_view::npos) {
      return Err(InvalidArgument("invalid JSON: unexpected data after the value at byte " +
                                 std::to_string(rest)));
    }
  }
  if (ec == boost::json::error::too_deep) {
    return Err(ResourceExhausted("JSON nests deeper than " + std::to_string(limits.depth_max) +
                                 " levels"));
  }
  if (ec) {
    return Err(InvalidArgument("invalid JSON: " + ec.message() + " at byte " +
                               std::to_string(used)));
  }
  return parser.handler().stack.release();
}

bool IsTruthy(const boost::json::value& value) {
  switch (value.kind()) {
    case boost::json::kind::null: return false;
    case boost::json::kind::bool_: return value.get_bool();
    case boost::json::kind::int64: return value.get_int64() != 0;
    case boost::json::kind::uint64: return value.get_uint64() != 0;
    case boost::json::kind::double_: {
      const double d = value.get_double();
      return d != 0 && !std::isnan(d);
    }
    case boost::json::kind::string: return !value.get_string().empty();
    case boost::json::kind::array:
    case boost::json::kind::object: return true;
  }
  return false;
}

std::optional<double> NumberOf(const boost::json::value& value) {
  switch (value.kind()) {
    case boost::json::kind::int64: return static_cast<double>(value.get_int64());
    case boost::json::kind::uint64: return static_cast<double>(value.get_uint64());
    case boost::json::kind::double_: return value.get_double();
    default: return std::nullopt;
  }
}

Result<double> ParseDecimal(std::string_view text) {
  const std::size_t begin = text.find_first_not_of(" \t\r\n");
  const std::size_t end = text.find_last_not_of(" \t\r\n");
  if (begin == std::string_view::npos) return Err(InvalidArgument("empty number"));
  const char* first = text.data() + begin;
  const char* last = text.data() + end + 1;
  double value = 0;
  const auto [ptr, ec] = std::from_chars(first, last, value, std::chars_format::general);
  if (ec != std::errc() || ptr != last || !std::isfinite(value)) {
    return Err(InvalidArgument("not a finite decimal number"));
  }
  return value;
}

const boost::json::value* FindField(const boost::json::object& object, std::string_view key) {
  return object.if_contains(key);
}

Result<std::string_view> GetString(const boost::json::object& object, std::string_view key,
                                   std::size_t bytes_max) {
  const boost::json::value* field = FindField(object, key);
  if (field == nullptr || field->is_null()) return Err(InvalidArgument(Quoted(key) + " is required"));
  ASSIGN_OR_RETURN(std::optional<std::string_view> s, GetOptionalString(object, key, bytes_max));
  return *s;
}

Result<std::optional<std::string_view>> GetOptionalString(const boost::json::object& object,
                                                          std::string_view key,
                                                          std::size_t bytes_max) {
  const boost::json::value* field = FindField(object, key);
  if (field == nullptr || field->is_null()) return std::optional<std::string_view>();
  if (!field->is_string()) return Err(InvalidArgument(Quoted(key) + " must be a string"));
  const boost::json::string& s = field->get_string();
  if (s.size() > bytes_max) {
    return Err(InvalidArgument(Quoted(key) + " must be at most " + std::to_string(bytes_max) +
                               " bytes long"));
  }
  return std::optional<std::string_view>(std::string_view(s));
}

Status CheckRange(std::string_view what, double value, NumberRange range) {
  if (!std::isfinite(value) || value < range.min || value > range.max) {
    std::string message(what);
    message += " must be a number between " + FormatJsNumber(range.min) + " and " +
               FormatJsNumber(range.max);
    return InvalidArgument(std::move(message));
  }
  return Status::Ok();
}

Result<double> GetNumber(const boost::json::object& object, std::string_view key,
                         NumberRange range) {
  ASSIGN_OR_RETURN(std::optional<double> n, GetOptionalNumber(object, key, range));
  if (!n) return Err(InvalidArgument(Quoted(key) + " is required"));
  return *n;
}

Result<std::optional<double>> GetOptionalNumber(const boost::json::object& object,
                                                std::string_view key, NumberRange range) {
  const boost::json::value* field = FindField(object, key);
  if (field == nullptr || field->is_null()) return std::optional<double>();
  const std::optional<double> n = NumberOf(*field);
  if (!n) return Err(InvalidArgument(Quoted(key) + " must be a number"));
  RETURN_IF_ERROR(CheckRange(Quoted(key), *n, range));
  return n;
}

Result<std::optional<bool>> GetOptionalBool(const boost::json::object& object,
                                            std::string_view key) {
  const boost::json::value* field = FindField(object, key);
  if (field == nullptr || field->is_null()) return std::optional<bool>();
  if (!field->is_bool()) return Err(InvalidArgument(Quoted(key) + " must be true or false"));
  return std::optional<bool>(field->get_bool());
}

}  // namespace sela::codec
