// What a node's result is worth: emptiness, the bytes to store, pricing and
// the content analysis scrapeUrl reports (reference services.md §1.9-§1.11,
// rest-api.md §4.4). Pure functions.
#pragma once

#include <boost/json/value.hpp>
#include <cstdint>
#include <string>
#include <string_view>
#include <vector>

namespace sela::jobs {

struct ResultAnalysis {
  // Nothing usable came back (the stricter of the original's two checks):
  // null, a blank string, [] or {}, a string holding [] or {}, or HTML with
  // no visible text. The job fails with NO_DATA_FOUND.
  bool empty = false;
  // What is stored and served back: a string result verbatim, any other
  // value as compact JSON (JSON.stringify).
  std::string bytes;
  std::string_view content_type;  // A literal: text/html for HTML jobs, else application/json.
  bool is_json = false;      // `bytes` is JSON (a non-string value, or a string holding JSON).
  // Pricing (§1.11): objects counted by job type, KB = ceil(bytes / 1024),
  // price = 1.00 + 0.20 × KB + 0.10 × objects USDT, exact in cents.
  int64_t objects_count = 0;
  int64_t file_size_kb = 0;
  int64_t price_cents = 0;
  std::vector<std::string> included;  // Sorted union of the counted objects' keys.
};

ResultAnalysis AnalyzeResult(std::string_view job_type, const boost::json::value& content);

// True for text that looks like HTML and shows nothing once scripts, styles,
// comments, tags and entities are removed.
bool IsEmptyHtml(std::string_view text);

// scrapeUrl's `contentAnalysis` object (rest-api.md §2.3 R13 step 10), as
// JSON text, for a result value.
std::string ContentAnalysisJson(const boost::json::value& content, int64_t bytes);

// The price rule (§1.11) in cents: 1.00 + 0.20 × KB + 0.10 × objects USDT.
int64_t PriceCents(int64_t file_size_kb, int64_t objects_count);

// "1.4" style price: cents as a JavaScript number would print dollars.
double PriceFromCents(int64_t cents);

}  // namespace sela::jobs
