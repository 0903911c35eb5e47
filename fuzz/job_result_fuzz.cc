// Fuzzes what the server does with a node's result (src/jobs/result.h): any
// JSON value, and any text as a string result, is judged empty or not, and
// when not, priced consistently; the content analysis is always valid JSON.
#include <boost/json/parse.hpp>
#include <boost/json/string.hpp>
#include <cstdint>
#include <cstdlib>
#include <string_view>

#include "jobs/result.h"

namespace json = boost::json;

namespace {

void Check(std::string_view kind, const json::value& content) {
  const sela::jobs::ResultAnalysis a = sela::jobs::AnalyzeResult(kind, content);
  if (!a.empty) {
    if (a.bytes.empty()) std::abort();
    if (a.file_size_kb != static_cast<int64_t>((a.bytes.size() + 1023) / 1024)) std::abort();
    if (a.objects_count < 0) std::abort();
    if (a.price_cents != 100 + 20 * a.file_size_kb + 10 * a.objects_count) std::abort();
  }
  boost::system::error_code ec;
  (void)json::parse(sela::jobs::ContentAnalysisJson(content, static_cast<int64_t>(a.bytes.size())), ec);
  if (ec) std::abort();
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  const std::string_view text(reinterpret_cast<const char*>(data), size);
  static constexpr std::string_view kKinds[] = {"TWITTER_POST", "TWITTER_PROFILE", "HTML", "WEBSITE"};
  boost::system::error_code ec;
  const json::value parsed = json::parse(text, ec);
  for (std::string_view kind : kKinds) {
    if (!ec) Check(kind, parsed);
    Check(kind, json::value(json::string(text)));
  }
  (void)sela::jobs::IsEmptyHtml(text);
  return 0;
}
