// The marketplace's preview of a result (reference services.md §6, R15):
// - a JSON array: its first 3 items, pretty-printed (2 spaces, as
//   JSON.stringify(x, null, 2)), then a line "... (N more items)";
// - a JSON object: its first 5 keys, each array value cut to 2 items with
//   a sibling "<key>_more": "... N more items", then a line
//   "... (N more fields)";
// - other JSON: its first 500 characters;
// - HTML: its first 10 lines;
// - anything else: its first 500 characters.
// Only a result of at most preview_source_bytes_max is parsed (the
// original loaded any result whole for every anonymous view, D-27); a
// larger one is shown by its first 500 characters.
//
// Pure.
#pragma once

#include <boost/json/value.hpp>
#include <cstddef>
#include <string>
#include <string_view>
#include <vector>

namespace sela::jobs {

struct Preview {
  std::string text;
  // The union of the keys of the items shown (arrays of objects), sorted;
  // empty when the result was not parsed.
  std::vector<std::string> included;
};

// `bytes`: the start of the result (all of it when total_bytes is its size).
Preview MakePreview(std::string_view bytes, std::string_view content_type, size_t total_bytes,
                    size_t preview_source_bytes_max = 256 * 1024);

// JSON.stringify(value, null, 2).
std::string StringifyPretty(const boost::json::value& value);

}  // namespace sela::jobs
