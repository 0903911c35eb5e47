#include "api/static_assets.h"

#include "net/http_types.h"

namespace sela::api {

const StaticAsset* FindStaticAsset(std::string_view url) {
  for (const StaticAsset& asset : StaticAssets()) {
    if (net::EqualsIgnoreCase(asset.url, url)) return &asset;
  }
  return nullptr;
}

}  // namespace sela::api
