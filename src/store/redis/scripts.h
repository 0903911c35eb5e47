// The Lua scripts of the Redis store: one per operation that reads before
// it writes or writes more than one key, so that each is atomic (Redis runs
// a script alone). Loaded with SCRIPT LOAD at every connect, called with
// EVALSHA (connection.h handles NOSCRIPT).
//
// Job and cluster scripts take the same first three arguments: the jobs
// domain's key prefix, the pub/sub channel prefix and this process's id.
//
// Every script returns an array whose first element is a status, 0 for OK
// or a sela::Code number, then either the operation's values or, for a
// refusal, the message. Scripts get every argument already validated
// (store/validate.h), so that they only fail on what they are there to
// check. Keys that a script finds by reading (the client of a job) are
// built from the domain prefix it is given; they share its hash tag.
//
// Pure; thread-safe.
#pragma once

#include <cstddef>
#include <string>
#include <vector>

namespace sela::store::redis {

enum class Script : size_t {
  kRegisterNode,
  kUpdateNode,
  kSetNodeStatus,
  kAddUptime,
  kUptimeDays,
  kNodesPage,
  kRegisterClient,
  kFindClient,
  kCreateJob,
  kLeaseJob,
  kCompleteJob,
  kReleaseJob,
  kFailJob,
  kClientJobs,
  kOpenJobsPage,
  // The cluster (cluster.h, redis_cluster.h).
  kHeartbeat,
  kLeave,
  kClaim,
  kTakeClaimed,
  kGiveBack,
  kNodeOnline,
  kNodeOffline,
  kFindNode,
  kExpireJob,
  // ---- identity, files, marketplace (scripts_files.cc) ----
  kDisconnectNode,
  kExpireNodes,
  kCreateFile,
  kPutChunk,
  kCompleteFile,
  kListFiles,
  kDeleteFile,
  kExpireUploads,
  kSetListingDefault,
  kSetJobListed,
  kMarketPage,
  kMarketStats,
  kCountMarketEvent,
  kRecordPurchase,
  // ---- end of identity, files, marketplace ----
  //
  // ---- rewards ledger, referrals, runs (scripts_ledger.cc) ----
  kApplyTransfers,
  kPayUptime,
  kClaimInstallations,
  kUnpaidPage,
  kCountUptimeDays,
  kEarningsDays,
  kListTransfers,
  kBalancesPage,
  kBalancesOf,
  kAuditLedger,
  kNodeByCode,
  kRegisterReferral,
  kListReferees,
  kCountReferees,
  kRefereeWeeks,
  kStartRun,
  kFinishRun,
  kListRuns,
  // ---- end of ledger, referrals, runs ----
  //
  // ---- settlement journal (scripts_settlement.cc) ----
  kCreateSettlements,
  kUpdateSettlement,
  kDueSettlements,
  kListSettlements,
  kSettlementSummary,
  kSettledTotals,
  kSettledTotalsOf,
  // ---- end of settlement journal ----
  //
  // ---- file-canister sync journal (scripts_sync.cc) ----
  kEnqueueSync,
  kUpdateSync,
  kDueSyncs,
  kSyncSummary,
  kListSyncs,
  kBackfillSyncs,
  // ---- end of sync journal ----
  kCount,
};

struct ScriptOptions {
  // CompleteJob and CompleteFile insert the content's file-canister sync
  // row in the same script (store.h "File-canister sync journal"); they
  // then take the journal's prefix as one argument more. Off, the scripts
  // are exactly those without the journal.
  bool canister_sync = false;
};

// The bodies, in Script order, each with the shared prologue (status codes,
// field lists, helpers).
std::vector<std::string> ScriptBodies(const ScriptOptions& options = {});

}  // namespace sela::store::redis
