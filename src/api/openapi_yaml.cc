// JsonToYaml (api/openapi.h): block-style YAML of a JSON document. Every key
// and string is written double-quoted with JSON's escapes, which YAML 1.2
// reads the same way, so no text can change the structure.
#include <boost/json.hpp>

#include "api/openapi.h"

namespace sela::api {

namespace {

namespace json = boost::json;

void Indent(std::string& out, int depth) { out.append(static_cast<size_t>(depth) * 2, ' '); }

void Scalar(std::string& out, const json::value& v) {
  out += json::serialize(v);  // Strings come out quoted and escaped.
}

bool IsEmptyContainer(const json::value& v) {
  return (v.is_object() && v.as_object().empty()) || (v.is_array() && v.as_array().empty());
}

void Emit(std::string& out, const json::value& v, int depth);

// Writes a value that follows "key:" or "-": scalars and empty containers
// on the same line, others on the next lines one level deeper.
void After(std::string& out, const json::value& v, int depth) {
  if (IsEmptyContainer(v) || (!v.is_object() && !v.is_array())) {
    out += ' ';
    Scalar(out, v);
    out += '\n';
    return;
  }
  out += '\n';
  Emit(out, v, depth + 1);
}

void Emit(std::string& out, const json::value& v, int depth) {
  if (v.is_object()) {
    for (const auto& member : v.as_object()) {
      Indent(out, depth);
      Scalar(out, json::value(member.key()));
      out += ':';
      After(out, member.value(), depth);
    }
    return;
  }
  if (v.is_array()) {
    for (const json::value& item : v.as_array()) {
      if (item.is_object() && !item.as_object().empty()) {
        // "- first: ..." with the other members under the first.
        std::string nested;
        Emit(nested, item, depth + 1);
        Indent(out, depth);
        out += "- ";
        out.append(nested, static_cast<size_t>(depth + 1) * 2);
        continue;
      }
      Indent(out, depth);
      out += '-';
      After(out, item, depth);
    }
    return;
  }
  Indent(out, depth);
  Scalar(out, v);
  out += '\n';
}

}  // namespace

std::string JsonToYaml(std::string_view text) {
  const json::value doc = json::parse(text);
  std::string out;
  if (IsEmptyContainer(doc)) {
    Scalar(out, doc);
    out += '\n';
    return out;
  }
  Emit(out, doc, 0);
  return out;
}

}  // namespace sela::api
