// Private to the Redis store's script sources (scripts.cc, scripts_jobs.cc).
#pragma once

#include <string_view>

#include "store/redis/scripts.h"

namespace sela::store::redis {

// Lua functions every job and cluster script uses: where a pending job
// goes, taking a job out of its place, failing, reaping a dead process.
std::string_view JobScriptHelpers();
// The body of a job or cluster script (Script::kCreateJob and after).
std::string_view JobScriptBody(Script script);

}  // namespace sela::store::redis
