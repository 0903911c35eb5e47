// Parsers for the `data` payload of the node messages that carry one
// (SPEED_TEST, CLIENT_STATUS, TWITTER_SCRAPE_RESULT). Internal to the
// protocol module; v1_decode.cc wraps their Status into DecodeError.
//
// Thread-safety: free functions; safe from any thread.
#pragma once

#include <boost/json/value.hpp>
#include <optional>
#include <string>

#include "core/status.h"
#include "protocol/v1_messages.h"

namespace sela::protocol::v1::internal {

struct SpeedFigures {
  double download_mbps = 0;
  std::optional<double> upload_mbps = {};
  std::optional<double> ping_ms = {};
  std::optional<double> jitter_ms = {};
};

// `data` may be an object with downloadSpeed (or speed) and optional
// uploadSpeed/ping/jitter, each a number or a numeric string; a bare number
// (the download speed); or a JSON string holding either. data may be null
// when the field is absent.
Result<SpeedFigures> ParseSpeedData(const boost::json::value* data, const DecodeOptions& options);

struct StatusFields {
  std::optional<bool> is_active = {};
  std::optional<std::string> app_version = {};
  std::optional<std::string> platform = {};
};

// `data` is a JSON string holding an object (what the apps send) or the
// object itself.
Result<StatusFields> ParseClientStatusData(const boost::json::value* data,
                                           const DecodeOptions& options);

// Applies ws-protocol.md §4.6 steps 2-3 and returns the content to store,
// or nullopt for an empty result. Consumes *data (the content is moved out
// of it). A JSON text inside a string that nests deeper than
// options.json_depth_max is an error rather than being stored as raw text.
Result<std::optional<boost::json::value>> ParseResultData(boost::json::value* data,
                                                          const DecodeOptions& options);

}  // namespace sela::protocol::v1::internal
