// Private to the Redis store's script sources: the rewards ledger's
// scripts (scripts_ledger.cc, scripts_ledger_read.cc). Their bodies reach
// ScriptBodies() through LedgerScriptBody() (scripts_internal.h).
#pragma once

#include <string>
#include <string_view>

#include "store/redis/scripts.h"

namespace sela::store::redis {

// Exact arithmetic on decimal text, and lex members of (principal, day):
// in the prologue of every script (AddUptime keeps the unpaid index).
std::string_view BigNumberHelpers();
// The ledger's write helpers and pay_job(id), for the completion script
// (CompleteJob pays the job's reward in its own script; ledger.h
// JobRewardSpec).
std::string JobPaymentHelpers();
// The body of a ledger read, referral or run script ("" for others).
std::string LedgerReadScriptBody(Script script);

}  // namespace sela::store::redis
