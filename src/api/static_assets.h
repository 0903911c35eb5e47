// Files compiled into the server: the dashboard (web/admin/), the API docs
// page (web/docs/) and the vendored Swagger UI (third_party/swagger-ui-dist/),
// listed in src/api/CMakeLists.txt and embedded by cmake/embed_assets.cmake.
// Serving them needs no files at run time and no request leaves the machine.
#pragma once

#include <cstddef>
#include <span>
#include <string_view>

namespace sela::api {

struct StaticAsset {
  std::string_view url;           // "/admin/dashboard.js"
  std::string_view content_type;  // "application/javascript; charset=utf-8"
  std::string_view sha256;        // Hex, of the bytes; the ETag.
  std::string_view bytes;
};

std::span<const StaticAsset> StaticAssets();

// The asset at this URL path (ASCII case-insensitive), or null.
const StaticAsset* FindStaticAsset(std::string_view url);

}  // namespace sela::api
