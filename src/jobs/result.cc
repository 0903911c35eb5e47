#include "jobs/result.h"

#include <algorithm>
#include <boost/json/parse.hpp>
#include <cctype>
#include <optional>
#include <set>

#include "codec/js_json.h"

namespace sela::jobs {

namespace {

namespace json = boost::json;

bool IsBlank(std::string_view s) {
  return std::all_of(s.begin(), s.end(), [](unsigned char c) { return std::isspace(c) != 0; });
}

bool EqualsNoCase(std::string_view a, std::string_view b) {
  return a.size() == b.size() && std::equal(a.begin(), a.end(), b.begin(), [](char x, char y) {
           return std::tolower(static_cast<unsigned char>(x)) == std::tolower(static_cast<unsigned char>(y));
         });
}

std::string Lower(std::string_view s) {
  std::string out(s);
  for (char& c : out) c = static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
  return out;
}

// Parses text as JSON without throwing; null on failure.
std::optional<json::value> TryParse(std::string_view text) {
  boost::system::error_code ec;
  json::value v = json::parse(text, ec);
  if (ec) return std::nullopt;
  return v;
}

bool IsEmptyValue(const json::value& v) {
  if (v.is_null()) return true;
  if (v.is_array()) return v.get_array().empty();
  if (v.is_object()) return v.get_object().empty();
  return false;
}

void AddKeys(const json::value& v, std::set<std::string>& keys) {
  if (!v.is_object()) return;
  for (const auto& kv : v.get_object()) keys.emplace(kv.key());
}

// The value pricing counts: the content itself, or a string's JSON (parsed
// into *parsed). Null when the content is text that is not JSON.
const json::value* Countable(const json::value& content, std::optional<json::value>* parsed) {
  if (!content.is_string()) return &content;
  *parsed = TryParse(content.get_string());
  return *parsed ? &**parsed : nullptr;
}

// `value`: what Countable() gives for the content (null: nothing to count).
void CountObjects(std::string_view job_type, const json::value* value, ResultAnalysis& out) {
  if (!value) return;
  std::set<std::string> keys;
  if (EqualsNoCase(job_type, "TWITTER_POST") && value->is_object()) {
    const json::object& o = value->get_object();
    const json::value* post = o.if_contains("post");
    const json::value* reply = o.if_contains("reply");
    // JavaScript truthiness: null, false, "" and 0 are falsy.
    const bool post_truthy = post && !post->is_null() && !(post->is_bool() && !post->get_bool()) &&
                             !(post->is_string() && post->get_string().empty()) &&
                             !(post->is_number() && post->to_number<double>() == 0);
    if (post_truthy && reply && reply->is_array()) {
      out.objects_count = 1 + static_cast<int64_t>(reply->get_array().size());
      AddKeys(*post, keys);
      for (const auto& r : reply->get_array()) AddKeys(r, keys);
      out.included.assign(keys.begin(), keys.end());
      return;
    }
  }
  if (value->is_array()) {
    out.objects_count = static_cast<int64_t>(value->get_array().size());
    for (const auto& item : value->get_array()) AddKeys(item, keys);
    out.included.assign(keys.begin(), keys.end());
  }
}

// Removes <tag ...>...</tag> blocks of one element name (script, style).
std::string StripElement(std::string text, std::string_view name) {
  std::string lower = Lower(text);
  const std::string open = "<" + std::string(name);
  const std::string close = "</" + std::string(name);
  size_t pos = 0;
  while ((pos = lower.find(open, pos)) != std::string::npos) {
    size_t end = lower.find(close, pos);
    if (end == std::string::npos) {
      end = lower.size();
    } else {
      end = lower.find('>', end);
      end = end == std::string::npos ? lower.size() : end + 1;
    }
    text.erase(pos, end - pos);
    lower.erase(pos, end - pos);
  }
  return text;
}

}  // namespace

bool IsEmptyHtml(std::string_view text) {
  // HTML-looking: a '<' followed by a letter or '/' or '!' somewhere.
  bool tag = false;
  for (size_t i = 0; i + 1 < text.size(); ++i) {
    if (text[i] == '<' && (std::isalpha(static_cast<unsigned char>(text[i + 1])) || text[i + 1] == '/' ||
                           text[i + 1] == '!')) {
      tag = true;
      break;
    }
  }
  if (!tag) return false;
  std::string s = StripElement(std::string(text), "script");
  s = StripElement(std::move(s), "style");
  std::string visible;
  visible.reserve(s.size());
  for (size_t i = 0; i < s.size();) {
    if (s[i] == '<') {
      const size_t end = s.find('>', i);
      if (end == std::string::npos) {
        // No tag after all: the rest is text a browser would show.
        visible.append(s, i);
        break;
      }
      i = end + 1;
      visible += ' ';
    } else if (s[i] == '&') {
      const size_t end = s.find(';', i);
      if (end != std::string::npos && end - i <= 10) {
        i = end + 1;
        visible += ' ';
      } else {
        visible += s[i++];
      }
    } else {
      visible += s[i++];
    }
  }
  return IsBlank(visible);
}

ResultAnalysis AnalyzeResult(std::string_view job_type, const json::value& content) {
  ResultAnalysis out;
  out.content_type = EqualsNoCase(job_type, "HTML") ? "text/html" : "application/json";
  if (IsEmptyValue(content)) {
    out.empty = true;
    return out;
  }
  // A string's JSON, parsed once for the emptiness check and the count.
  std::optional<json::value> parsed;
  const json::value* countable = &content;
  if (content.is_string()) {
    const std::string_view text = content.get_string();
    if (IsBlank(text)) {
      out.empty = true;
      return out;
    }
    parsed = TryParse(text);
    countable = parsed ? &*parsed : nullptr;
    if (parsed) {
      out.is_json = true;
      if (IsEmptyValue(*parsed) || (parsed->is_string() && IsBlank(parsed->get_string()))) {
        out.empty = true;
        return out;
      }
    } else if (IsEmptyHtml(text)) {
      out.empty = true;
      return out;
    }
    out.bytes.assign(text);
  } else {
    out.is_json = true;
    out.bytes = codec::StringifyJs(content);
  }
  CountObjects(job_type, countable, out);
  out.file_size_kb = static_cast<int64_t>((out.bytes.size() + 1023) / 1024);
  out.price_cents = PriceCents(out.file_size_kb, out.objects_count);
  return out;
}

int64_t PriceCents(int64_t file_size_kb, int64_t objects_count) {
  return 100 + 20 * file_size_kb + 10 * objects_count;
}

double PriceFromCents(int64_t cents) {
  // Dividing the exact cent count gives the double nearest to the decimal,
  // which JavaScript prints as that decimal (e.g. 340 → 3.4).
  return static_cast<double>(cents) / 100.0;
}

std::string ContentAnalysisJson(const json::value& content, int64_t bytes) {
  std::optional<json::value> text_json;
  const json::value* parsed = Countable(content, &text_json);
  const bool valid_json = parsed != nullptr;
  int64_t objects = 0;
  std::string structure;
  if (valid_json) {
    std::set<std::string> keys;
    std::string type;
    int64_t items = 0;
    if (parsed->is_array()) {
      type = "array";
      items = static_cast<int64_t>(parsed->get_array().size());
      objects = items;
      for (const auto& item : parsed->get_array()) AddKeys(item, keys);
    } else if (parsed->is_object()) {
      type = "object";
      objects = 1;
      items = static_cast<int64_t>(parsed->get_object().size());
      AddKeys(*parsed, keys);
    } else {
      type = parsed->is_string() ? "string" : parsed->is_bool() ? "boolean" : parsed->is_null() ? "null" : "number";
    }
    std::string fields = "[";
    for (const std::string& k : keys) {
      if (fields.size() > 1) fields += ',';
      codec::AppendJsonString(fields, k);
    }
    fields += ']';
    structure = codec::JsonObjectWriter()
                    .String("type", type)
                    .Integer("itemCount", items)
                    .Raw("fields", fields)
                    .Integer("fieldCount", static_cast<int64_t>(keys.size()))
                    .Finish();
  }
  const bool countable = objects > 0;
  codec::JsonObjectWriter w;
  w.Bool("isValidJson", valid_json)
      .String("contentType", valid_json ? "json" : "text")
      .Bool("isAnalyzable", valid_json)
      .Integer("objectsCount", objects);
  if (valid_json) w.Raw("dataStructure", structure);
  w.Raw("validation", codec::JsonObjectWriter()
                          .Bool("isValidJson", valid_json)
                          .Bool("isCountable", countable)
                          .Bool("hasStructuredData", valid_json && (parsed->is_array() || parsed->is_object()))
                          .Bool("isPriceable", valid_json)
                          .Finish())
      .Integer("fileSizeBytes", bytes)
      .Integer("fileSizeKB", (bytes + 1023) / 1024);
  return w.Finish();
}

}  // namespace sela::jobs
