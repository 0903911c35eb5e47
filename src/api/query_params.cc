#include "api/query_params.h"

#include "api/rest_table.h"

namespace sela::api {

std::optional<uint64_t> PagingParam(const net::HttpRequest& request, std::string_view name, uint64_t fallback,
                                    uint64_t min, uint64_t max) {
  bool structured = false;
  const auto text = QueryString(request, name, &structured);
  if (!text) return fallback;
  if (structured || text->empty() || text->size() > 19) return std::nullopt;
  uint64_t v = 0;
  for (char c : *text) {
    if (c < '0' || c > '9') return std::nullopt;
    v = v * 10 + static_cast<uint64_t>(c - '0');
  }
  if (v < min || v > max) return std::nullopt;
  return v;
}

}  // namespace sela::api
