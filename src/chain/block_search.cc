#include "chain/block_search.h"

#include <algorithm>
#include <limits>

#include "codec/leb128.h"

namespace sela::chain {
namespace {

using icrc1::Block;
using icrc1::Uint128;

constexpr size_t kCallbacksMax = 64;      // Archive callbacks in one ledger answer.
constexpr size_t kMethodBytesMax = 128;   // A callback's method name.

std::string N(Uint128 v) { return codec::Uint128ToString(v); }

class Search {
 public:
  Search(BlockSource& source, const MintSearchOptions& options, MintSearchStats& stats)
      : source_(source), options_(options), stats_(stats) {}

  // Blocks [start, start + length) as far as they come contiguously from
  // `start`, from the ledger and the archives its answer names; the log's
  // length from the ledger's answer.
  Result<std::vector<Block>> Fetch(Uint128 start, Uint128 length) {
    RETURN_IF_ERROR(Page(false));
    ASSIGN_OR_RETURN(icrc1::GetBlocksResult r, source_.Ledger({{start, length}}));
    log_length_ = r.log_length;
    stats_.log_length = r.log_length;
    std::vector<Block> got = std::move(r.blocks);
    if (r.archived_blocks.size() > kCallbacksMax) {
      return Err(FailedPrecondition("the ledger named " + std::to_string(r.archived_blocks.size()) +
                                    " archive callbacks in one answer"));
    }
    for (const icrc1::ArchivedBlocks& a : r.archived_blocks) {
      if (a.callback_method.empty() || a.callback_method.size() > kMethodBytesMax || a.args.empty() ||
          a.args.size() > kCallbacksMax) {
        return Err(FailedPrecondition("the ledger named a malformed archive callback (" + a.callback_canister.ToText() +
                                      ")"));
      }
      RETURN_IF_ERROR(Page(true));
      Result<icrc1::GetBlocksResult> ar = source_.Archive(a.callback_canister, a.callback_method, a.args);
      if (!ar) {
        return Err(Status(ar.error().code(), "archive " + a.callback_canister.ToText() + " (blocks from " +
                                                 N(a.args.front().start) + "): " + ar.error().message()));
      }
      if (!ar->archived_blocks.empty()) {
        return Err(FailedPrecondition("archive " + a.callback_canister.ToText() +
                                      " answered with archive callbacks of its own: not followed"));
      }
      for (Block& b : ar->blocks) got.push_back(std::move(b));
    }
    std::sort(got.begin(), got.end(), [](const Block& x, const Block& y) { return x.id < y.id; });
    std::vector<Block> out;
    Uint128 next = start;
    for (Block& b : got) {
      if (b.id < next) continue;  // A block answered twice.
      if (b.id != next || out.size() >= length) break;
      out.push_back(std::move(b));
      ++next;
    }
    return out;
  }

  // The ledger time of block i.
  Result<uint64_t> TimestampAt(Uint128 i) {
    ++stats_.probes;
    ASSIGN_OR_RETURN(const std::vector<Block> blocks, Fetch(i, 1));
    if (blocks.empty()) {
      return Err(FailedPrecondition("block " + N(i) + " could not be read (log length " + N(log_length_) + ")"));
    }
    return icrc1::BlockTimestamp(blocks.front().block);
  }

  // The first block whose time is >= lo_ns (the log's length when none).
  Result<Uint128> FirstAtOrAfter(uint64_t lo_ns) {
    ASSIGN_OR_RETURN(const std::vector<Block> none, Fetch(0, 0));  // The log's length.
    (void)none;
    Uint128 lo = 0, hi = log_length_;
    while (lo < hi) {
      const Uint128 mid = lo + (hi - lo) / 2;
      ASSIGN_OR_RETURN(const uint64_t ts, TimestampAt(mid));
      if (ts < lo_ns) {
        lo = mid + 1;
      } else {
        hi = mid;
      }
    }
    return lo;
  }

  Result<std::optional<Uint128>> Scan(const icrc1::TransferArg& arg, Uint128 first, const MintWindow& window) {
    Uint128 next = first;
    uint64_t previous_ts = window.lo_ns;
    while (true) {
      if (stats_.scanned >= options_.blocks_max) {
        return Err(FailedPrecondition("read " + std::to_string(stats_.scanned) + " blocks from " + N(first) +
                                      " without reaching the window's end: absence not proven"));
      }
      const Uint128 want = std::min<Uint128>(options_.page_blocks, options_.blocks_max - stats_.scanned);
      ASSIGN_OR_RETURN(const std::vector<Block> blocks, Fetch(next, want));
      if (blocks.empty()) {
        if (next >= log_length_) return std::optional<Uint128>();  // The log's end: all of it read.
        return Err(FailedPrecondition("blocks from " + N(next) + " could not be read (log length " +
                                      N(log_length_) + "): absence not proven"));
      }
      for (const Block& b : blocks) {
        ++stats_.scanned;
        ASSIGN_OR_RETURN(const uint64_t ts, icrc1::BlockTimestamp(b.block));
        if (ts < previous_ts) {
          return Err(FailedPrecondition("block " + N(b.id) + " is older than the one before it: the log is "
                                        "not in time order, the search cannot be bounded"));
        }
        previous_ts = ts;
        if (ts > window.hi_ns) return std::optional<Uint128>();  // Past the window: complete.
        ASSIGN_OR_RETURN(const std::optional<icrc1::Mint> mint, icrc1::MintOfBlock(b.block));
        if (mint && mint->to == arg.to && mint->amount == arg.amount && mint->memo == arg.memo &&
            mint->created_at_time == arg.created_at_time) {
          return std::optional<Uint128>(b.id);
        }
        next = b.id + 1;
      }
    }
  }

 private:
  Status Page(bool archive) {
    if (stats_.pages >= options_.pages_max) {
      return FailedPrecondition("the search stopped at its bound of " + std::to_string(options_.pages_max) +
                                " queries: absence not proven");
    }
    ++stats_.pages;
    if (archive) ++stats_.archive_pages;
    return Status::Ok();
  }

  BlockSource& source_;
  const MintSearchOptions& options_;
  MintSearchStats& stats_;
  Uint128 log_length_ = 0;
};

}  // namespace

Result<MintWindow> WindowFor(const icrc1::TransferArg& arg, const MintSearchOptions& o) {
  if (!arg.created_at_time) {
    return Err(InvalidArgument("a transfer without created_at_time can be anywhere in the log: not searched"));
  }
  const uint64_t t = *arg.created_at_time;
  const uint64_t before = o.drift_ns + o.slack_ns;
  const uint64_t after = o.window_ns + o.drift_ns + o.slack_ns;
  MintWindow w;
  w.lo_ns = t > before ? t - before : 0;
  w.hi_ns = t > std::numeric_limits<uint64_t>::max() - after ? std::numeric_limits<uint64_t>::max() : t + after;
  return w;
}

Result<std::optional<icrc1::Uint128>> FindMintIn(BlockSource& source, const icrc1::TransferArg& arg,
                                                 const MintSearchOptions& options, MintSearchStats* stats) {
  if (options.page_blocks == 0) return Err(InvalidArgument("page_blocks must be > 0"));
  MintSearchStats local;
  MintSearchStats& s = stats != nullptr ? *stats : local;
  s = MintSearchStats{};
  ASSIGN_OR_RETURN(const MintWindow window, WindowFor(arg, options));
  Search search(source, options, s);
  ASSIGN_OR_RETURN(const Uint128 first, search.FirstAtOrAfter(window.lo_ns));
  s.first_candidate = first;
  return search.Scan(arg, first, window);
}

}  // namespace sela::chain
