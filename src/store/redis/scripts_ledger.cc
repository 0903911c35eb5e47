// The rewards ledger, referral and distribution-run scripts of the Redis
// store (see scripts.h). None yet: the operations answer Unavailable until
// they land (redis_store_ledger.cc).
#include "store/redis/scripts_internal.h"

namespace sela::store::redis {

std::string_view LedgerScriptBody(Script script) {
  switch (script) {
    default: return {};
  }
}

}  // namespace sela::store::redis
