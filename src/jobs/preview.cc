#include "jobs/preview.h"

#include <boost/json/parse.hpp>
#include <set>

#include "codec/js_json.h"

namespace sela::jobs {
namespace {

namespace json = boost::json;

constexpr size_t kArrayItemsShown = 3;
constexpr size_t kObjectKeysShown = 5;
constexpr size_t kNestedArrayItemsShown = 2;
constexpr size_t kCharsShown = 500;
constexpr size_t kHtmlLinesShown = 10;

void Indent(std::string& out, int depth) { out.append(static_cast<size_t>(depth) * 2, ' '); }

void AppendPretty(std::string& out, const json::value& v, int depth) {
  if (v.is_array()) {
    const json::array& a = v.get_array();
    if (a.empty()) {
      out += "[]";
      return;
    }
    out += "[\n";
    for (size_t i = 0; i < a.size(); ++i) {
      Indent(out, depth + 1);
      AppendPretty(out, a[i], depth + 1);
      out += i + 1 < a.size() ? ",\n" : "\n";
    }
    Indent(out, depth);
    out += ']';
    return;
  }
  if (v.is_object()) {
    const json::object& o = v.get_object();
    if (o.empty()) {
      out += "{}";
      return;
    }
    out += "{\n";
    size_t i = 0;
    for (const auto& kv : o) {
      Indent(out, depth + 1);
      codec::AppendJsonString(out, kv.key());
      out += ": ";
      AppendPretty(out, kv.value(), depth + 1);
      out += ++i < o.size() ? ",\n" : "\n";
    }
    Indent(out, depth);
    out += '}';
    return;
  }
  out += codec::StringifyJs(v);
}

// The first n characters (code points, as JavaScript's substring counts
// UTF-16 units; close enough for a preview, and never cuts a character).
std::string FirstChars(std::string_view text, size_t n) {
  size_t i = 0;
  size_t chars = 0;
  while (i < text.size() && chars < n) {
    const unsigned char c = static_cast<unsigned char>(text[i]);
    i += c < 0x80 ? 1 : c < 0xE0 ? 2 : c < 0xF0 ? 3 : 4;
    ++chars;
  }
  return std::string(text.substr(0, std::min(i, text.size())));
}

std::string FirstLines(std::string_view text, size_t n) {
  size_t end = 0;
  for (size_t line = 0; line < n && end != std::string_view::npos; ++line) {
    end = text.find('\n', end == 0 && line == 0 ? 0 : end + 1);
  }
  return std::string(end == std::string_view::npos ? text : text.substr(0, end));
}

bool LooksLikeHtml(std::string_view content_type, std::string_view text) {
  if (content_type.starts_with("text/html")) return true;
  const size_t start = text.find_first_not_of(" \t\r\n");
  return start != std::string_view::npos && text[start] == '<';
}

void AddKeys(const json::value& v, std::set<std::string>& keys) {
  if (!v.is_object()) return;
  for (const auto& kv : v.get_object()) keys.emplace(kv.key());
}

}  // namespace

std::string StringifyPretty(const json::value& value) {
  std::string out;
  AppendPretty(out, value, 0);
  return out;
}

Preview MakePreview(std::string_view bytes, std::string_view content_type, size_t total_bytes,
                    size_t preview_source_bytes_max) {
  Preview p;
  if (total_bytes > preview_source_bytes_max || bytes.size() < total_bytes) {
    p.text = FirstChars(bytes, kCharsShown);
    return p;
  }
  boost::system::error_code ec;
  json::value v = json::parse(bytes, ec);
  if (ec) {
    p.text = LooksLikeHtml(content_type, bytes) ? FirstLines(bytes, kHtmlLinesShown) : FirstChars(bytes, kCharsShown);
    return p;
  }
  std::set<std::string> keys;
  if (v.is_array()) {
    const json::array& a = v.get_array();
    json::array shown;
    for (size_t i = 0; i < a.size() && i < kArrayItemsShown; ++i) {
      shown.push_back(a[i]);
      AddKeys(a[i], keys);
    }
    p.text = StringifyPretty(shown);
    if (a.size() > kArrayItemsShown) p.text += "\n... (" + std::to_string(a.size() - kArrayItemsShown) + " more items)";
  } else if (v.is_object()) {
    const json::object& o = v.get_object();
    json::object shown;
    size_t i = 0;
    for (const auto& kv : o) {
      if (i++ == kObjectKeysShown) break;
      if (kv.value().is_array() && kv.value().get_array().size() > kNestedArrayItemsShown) {
        const json::array& a = kv.value().get_array();
        shown[kv.key()] = json::array(a.begin(), a.begin() + kNestedArrayItemsShown);
        shown[std::string(kv.key()) + "_more"] =
            "... " + std::to_string(a.size() - kNestedArrayItemsShown) + " more items";
      } else {
        shown[kv.key()] = kv.value();
      }
    }
    p.text = StringifyPretty(shown);
    if (o.size() > kObjectKeysShown) p.text += "\n... (" + std::to_string(o.size() - kObjectKeysShown) + " more fields)";
  } else {
    p.text = FirstChars(bytes, kCharsShown);
  }
  p.included.assign(keys.begin(), keys.end());
  return p;
}

}  // namespace sela::jobs
