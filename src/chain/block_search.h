// Finding one mint in an ICRC-3 block log, for reconciliation (docs/CHAIN.md
// "Reconciliation"): is the transfer of a settlement whose answers were lost
// on the ledger, and at which block?
//
// The search is bounded by time, not by the log's size. The ledger refuses a
// transfer whose created_at_time is out of its window (ICRC-1 "Transaction
// deduplication"; reference ic/PROTOCOL-NOTES.md §6): at ledger time `now`
// it answers TooOld when created_at_time < now - TX_WINDOW - PERMITTED_DRIFT
// and CreatedInFuture when created_at_time > now + PERMITTED_DRIFT (the
// DFINITY ledger: TX_WINDOW 24 h, PERMITTED_DRIFT 60 s, and TooOld already
// when created_at_time + 24 h < now, which is inside the same bound). A
// block's `ts` is the ledger time at which it was applied, so the mint can
// only be in a block with
//   created_at_time - drift <= ts <= created_at_time + window + drift,
// widened here by `slack` on both sides. Blocks are in time order: a binary
// search on block timestamps finds the first block at or after the window's
// start, and the scan reads forward until a block past its end (or the
// log's end).
//
// Archives: a ledger answers ranges it no longer holds with archived_blocks
// callbacks (a canister and a query method, with the ranges to ask); they
// are followed, one level deep (an archive answering with callbacks of its
// own is an error). Every query, to the ledger or an archive, goes through
// the BlockSource: in production the agent, which verifies each reply's node
// signatures against keys from a certificate for *that* canister (so an
// archive must be inside its subnet's certified ranges).
//
// "Absent" is answered only from a complete scan: every block of the window
// read, up to a block past the window's end or the log's end. Any failure
// (a query refused or unverified, an archive that traps, blocks missing
// from an answer, timestamps out of order, the page or block bound reached)
// is an error, never "absent". The caller must only ask once the ledger can
// no longer accept the transfer (created_at_time + window + margin passed),
// else a block appended after the scan could still hold it.
//
// Thread-safety: a pure function over the BlockSource it is given.
#pragma once

#include <cstddef>
#include <cstdint>
#include <optional>
#include <string>
#include <vector>

#include "chain/icrc1_types.h"
#include "codec/principal.h"
#include "core/status.h"

namespace sela::chain {

struct MintSearchOptions {
  uint64_t window_ns = 24ULL * 3600 * 1'000'000'000;  // The ledger's TX_WINDOW.
  uint64_t drift_ns = 60ULL * 1'000'000'000;          // Its PERMITTED_DRIFT.
  uint64_t slack_ns = 5ULL * 60 * 1'000'000'000;      // Beyond both, for a ledger that allows more.
  size_t page_blocks = 1000;                          // Blocks asked per query.
  size_t pages_max = 5'000;                           // Queries in all (ledger and archives).
  size_t blocks_max = 2'000'000;                      // Blocks read by the scan.
};

struct MintSearchStats {
  size_t pages = 0;          // Queries, archives included.
  size_t archive_pages = 0;  // Of which to archives.
  size_t probes = 0;         // Blocks read by the binary search.
  size_t scanned = 0;        // Blocks read by the forward scan.
  icrc1::Uint128 first_candidate = 0;
  icrc1::Uint128 log_length = 0;
};

// Where blocks come from.
class BlockSource {
 public:
  virtual ~BlockSource() = default;
  // The ledger's icrc3_get_blocks.
  virtual Result<icrc1::GetBlocksResult> Ledger(const std::vector<icrc1::BlockRange>& ranges) = 0;
  // An archive's callback, as the ledger named it.
  virtual Result<icrc1::GetBlocksResult> Archive(const codec::Principal& canister, const std::string& method,
                                                 const std::vector<icrc1::BlockRange>& ranges) = 0;
};

// The ledger times [lo, hi] (ns) a block holding `arg` can have;
// InvalidArgument without created_at_time (the window is unbounded).
struct MintWindow {
  uint64_t lo_ns = 0;
  uint64_t hi_ns = 0;
};
Result<MintWindow> WindowFor(const icrc1::TransferArg& arg, const MintSearchOptions& options);

// The index of the mint matching `arg` (to, amount, memo, created_at_time),
// nullopt when the window holds none; an error when that is not proven.
Result<std::optional<icrc1::Uint128>> FindMintIn(BlockSource& source, const icrc1::TransferArg& arg,
                                                 const MintSearchOptions& options, MintSearchStats* stats = nullptr);

}  // namespace sela::chain
