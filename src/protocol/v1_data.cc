#include "protocol/v1_data.h"

#include <boost/json/object.hpp>
#include <string_view>
#include <utility>

#include "codec/json.h"

namespace sela::protocol::v1::internal {
namespace {

using boost::json::object;
using boost::json::value;

codec::JsonLimits InnerLimits(std::size_t bytes, const DecodeOptions& options) {
  return {.bytes_max = bytes, .depth_max = options.json_depth_max};
}

// A figure that the apps send either as a JSON number or as text ("100.5").
// Absent, null and "" count as not sent: the original skipped falsy values.
Result<std::optional<double>> Figure(const object& o, std::string_view key,
                                     codec::NumberRange range) {
  const value* field = codec::FindField(o, key);
  if (field == nullptr || field->is_null()) return std::optional<double>();
  const std::string name = "data." + std::string(key);
  double figure = 0;
  if (const std::optional<double> n = codec::NumberOf(*field)) {
    figure = *n;
  } else if (field->is_string()) {
    if (field->get_string().empty()) return std::optional<double>();
    Result<double> parsed = codec::ParseDecimal(field->get_string());
    if (!parsed) return Err(InvalidArgument(name + " must be a number or numeric text"));
    figure = *parsed;
  } else {
    return Err(InvalidArgument(name + " must be a number or numeric text"));
  }
  RETURN_IF_ERROR(codec::CheckRange(name, figure, range));
  return std::optional<double>(figure);
}

Result<SpeedFigures> SpeedFromObject(const object& o, const DecodeOptions& options) {
  const codec::NumberRange speed{0, options.speed_mbps_max};
  const codec::NumberRange latency{0, options.latency_ms_max};
  SpeedFigures figures;
  ASSIGN_OR_RETURN(std::optional<double> download, Figure(o, "downloadSpeed", speed));
  if (!download) {
    ASSIGN_OR_RETURN(download, Figure(o, "speed", speed));
  }
  if (!download) return Err(InvalidArgument("data.downloadSpeed is required"));
  figures.download_mbps = *download;
  ASSIGN_OR_RETURN(figures.upload_mbps, Figure(o, "uploadSpeed", speed));
  ASSIGN_OR_RETURN(figures.ping_ms, Figure(o, "ping", latency));
  ASSIGN_OR_RETURN(figures.jitter_ms, Figure(o, "jitter", latency));
  return figures;
}

Result<SpeedFigures> SpeedFromValue(const value& v, const DecodeOptions& options) {
  if (const std::optional<double> n = codec::NumberOf(v)) {
    RETURN_IF_ERROR(codec::CheckRange("data", *n, {0, options.speed_mbps_max}));
    return SpeedFigures{.download_mbps = *n};
  }
  if (v.is_object()) return SpeedFromObject(v.get_object(), options);
  return Err(InvalidArgument("data must be an object, a number or a JSON string of either"));
}

// The original treated a truthy `content`/`result` as the payload and an
// empty array as "no data"; see ws-protocol.md §4.6 step 3.
std::optional<value> ContentOf(value parsed) {
  if (parsed.is_array()) {
    if (parsed.get_array().empty()) return std::nullopt;
    return parsed;
  }
  if (!parsed.is_object()) return std::nullopt;
  object& o = parsed.get_object();
  value* chosen = nullptr;
  for (std::string_view key : {"content", "result"}) {
    value* field = o.if_contains(key);
    if (field != nullptr && codec::IsTruthy(*field)) {
      chosen = field;
      break;
    }
  }
  if (chosen == nullptr) return std::nullopt;
  if (chosen->is_array() && chosen->get_array().empty()) return std::nullopt;
  return std::move(*chosen);
}

}  // namespace

Result<SpeedFigures> ParseSpeedData(const value* data, const DecodeOptions& options) {
  if (data == nullptr || data->is_null()) return Err(InvalidArgument("data is required"));
  if (!data->is_string()) return SpeedFromValue(*data, options);
  // The documented shape (API_DOCUMENTATION.md): JSON text in a string. The
  // original failed on it (D-19); we read it.
  const std::string_view text = data->get_string();
  Result<value> parsed = codec::ParseJson(text, InnerLimits(text.size(), options));
  if (!parsed) return Err(InvalidArgument("data is text but not JSON: " + parsed.error().message()));
  return SpeedFromValue(*parsed, options);
}

Result<StatusFields> ParseClientStatusData(const value* data, const DecodeOptions& options) {
  if (data == nullptr || data->is_null()) return Err(InvalidArgument("data is required"));
  value parsed;
  if (data->is_string()) {
    const std::string_view text = data->get_string();
    Result<value> inner = codec::ParseJson(text, InnerLimits(text.size(), options));
    if (!inner) return Err(InvalidArgument("data is text but not JSON: " + inner.error().message()));
    parsed = std::move(*inner);
  } else {
    parsed = *data;
  }
  if (!parsed.is_object()) return Err(InvalidArgument("data must hold a JSON object"));
  const object& o = parsed.get_object();
  StatusFields fields;
  ASSIGN_OR_RETURN(fields.is_active, codec::GetOptionalBool(o, "isActive"));
  // Informational fields the original ignored: keep them when usable, never
  // fail a status update because of them.
  for (auto [key, out] : {std::pair{"appVersion", &fields.app_version},
                          std::pair{"platform", &fields.platform}}) {
    Result<std::optional<std::string_view>> text =
        codec::GetOptionalString(o, key, options.status_text_bytes_max);
    if (text && *text) *out = std::string(**text);
  }
  return fields;
}

Result<std::optional<value>> ParseResultData(value* data, const DecodeOptions& options) {
  if (data == nullptr) return std::optional<value>();
  if (data->is_string()) {
    const std::string_view text = data->get_string();
    if (text.empty()) return std::optional<value>();
    Result<value> parsed = codec::ParseJson(text, InnerLimits(text.size(), options));
    if (parsed) return ContentOf(std::move(*parsed));
    if (parsed.error().code() == Code::kResourceExhausted) {
      return Err(InvalidArgument("data holds " + parsed.error().message()));
    }
    // Not JSON: raw text such as HTML, stored as it is.
    return std::optional<value>(std::move(*data));
  }
  if (!codec::IsTruthy(*data)) return std::optional<value>();
  // A JSON value rather than text: the original stored it whole.
  if (data->is_array() && data->get_array().empty()) return std::optional<value>();
  return std::optional<value>(std::move(*data));
}

}  // namespace sela::protocol::v1::internal
