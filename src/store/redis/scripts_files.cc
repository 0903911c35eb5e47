// The identity, file and marketplace scripts of the Redis store (see
// scripts.h). None yet: the operations answer Unavailable until they land
// (redis_store_nodes.cc, redis_store_files.cc).
#include "store/redis/scripts_internal.h"

namespace sela::store::redis {

std::string_view FileScriptBody(Script script) {
  switch (script) {
    default: return {};
  }
}

}  // namespace sela::store::redis
