// Private to the Redis store's script sources (scripts*.cc).
#pragma once

#include <string>
#include <string_view>

#include "store/redis/scripts.h"

namespace sela::store::redis {

// Lua functions every job and cluster script uses: where a pending job
// goes, taking a job out of its place, failing, reaping a dead process.
std::string_view JobScriptHelpers();
// The body of a job or cluster script (Script::kCreateJob and after).
// Each source answers "" for the scripts it does not hold.
std::string_view JobScriptBody(Script script);
// Identity, files and marketplace (scripts_files.cc), and the Lua
// functions they share with the job scripts (result files, listing).
std::string_view FileScriptBody(Script script);
std::string_view FileScriptHelpers();
// Rewards ledger, referrals and runs (scripts_ledger.cc).
std::string_view LedgerScriptBody(Script script);
// The settlement journal (scripts_settlement.cc).
std::string_view SettlementScriptBody(Script script);
// The file-canister sync journal (scripts_sync.cc).
std::string_view SyncScriptBody(Script script);
// `body`, the script kCompleteJob or kCompleteFile, made to insert the
// content's sync row when it completes (ScriptOptions::canister_sync).
std::string SyncCompletionBody(Script script, std::string_view body);

}  // namespace sela::store::redis
