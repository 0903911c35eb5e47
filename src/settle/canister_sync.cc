#include "settle/canister_sync.h"

#include <spdlog/spdlog.h>

#include <algorithm>
#include <array>
#include <utility>

#include "chain/sha256.h"
#include "codec/hex.h"

namespace sela::settle {

using store::SyncRecord;
using store::SyncState;

struct CanisterSync::Metrics {
  explicit Metrics(MetricsRegistry& r)
      : enabled(r.GetGauge("sela_canister_sync_enabled", "1 when CANISTER_STORAGE_ENABLED: results and files are mirrored on the file canister.")),
        uploads(r.GetCounter("sela_canister_sync_uploads_total", "Uploads to the file canister tried (retries included).")),
        synced(r.GetCounter("sela_canister_sync_synced_total", "Results and files stored on the file canister.")),
        synced_bytes(r.GetCounter("sela_canister_sync_synced_bytes_total", "Bytes of the results and files stored on the file canister.")),
        errors(r.GetCounter("sela_canister_sync_errors_total", "Uploads that failed (each is retried unless it failed for good).")),
        backfilled(r.GetCounter("sela_canister_sync_backfilled_total", "Rows the backfill pass gave to results and files made final without one (before CANISTER_STORAGE_ENABLED).")),
        in_flight(r.GetGauge("sela_canister_sync_in_flight", "Uploads to the file canister outstanding now.")),
        lag_seconds(r.GetGauge("sela_canister_sync_lag_seconds", "Age of the oldest result or file not yet synced (0 when none).")) {
    for (size_t i = 0; i < store::kSyncStates; ++i) {
      const std::string label = std::string("state=\"") + store::SyncStateName(static_cast<SyncState>(i)) + "\"";
      by_state[i] = &r.GetGauge("sela_canister_sync", "Results and files in the sync journal, by state.", label);
      bytes_by_state[i] = &r.GetGauge("sela_canister_sync_bytes", "Bytes in the sync journal, by state.", label);
    }
  }
  Gauge& enabled;
  Counter& uploads;
  Counter& synced;
  Counter& synced_bytes;
  Counter& errors;
  Counter& backfilled;
  Gauge& in_flight;
  Gauge& lag_seconds;
  std::array<Gauge*, store::kSyncStates> by_state{};
  std::array<Gauge*, store::kSyncStates> bytes_by_state{};
};

std::string CanisterKey(const std::string& sha256) { return "sela/sha256/" + sha256; }

namespace {

chain::FileInfo InfoOf(const SyncRecord& record) {
  chain::FileInfo info;
  info.name = record.ref;
  info.content_type = record.content_type;
  info.user_principal_id = record.owner;
  info.job_id = record.source == store::SyncSource::kResult ? record.ref : "";
  info.created_at_ms = record.created_ms;
  info.original_file_id = record.source == store::SyncSource::kFile ? record.ref : "";
  return info;
}

// On a worker: PutFrom with the record's hash; a mismatch between the bytes
// here and their hash (Conflict) is final (InvalidArgument).
Result<Uploaded> PutChecked(chain::FileCanisterClient& client, const SyncRecord& record,
                            const chain::FileCanisterClient::ChunkReader& read) {
  Result<chain::StoredFile> stored =
      client.PutFrom(CanisterKey(record.sha256), static_cast<size_t>(record.size), read, record.sha256, InfoOf(record));
  if (!stored && stored.error().code() == Code::kConflict) return Err(InvalidArgument(stored.error().message()));
  if (!stored) return Err(stored.error());
  return Uploaded{.chunks = static_cast<int64_t>(stored->chunks)};
}

}  // namespace

Upload MakeUpload(LoadResult load_result, ReadFile read_file, chain::FileCanisterClient& client,
                  chain::Executor& executor) {
  return [load_result = std::move(load_result), read_file = std::move(read_file), &client, &executor](
             const SyncRecord& record, UploadDone done) {
    if (record.source == store::SyncSource::kFile) {
      return executor.Run<Uploaded>(
          [&client, read_file, record]() {
            return PutChecked(client, record, [&](size_t offset, size_t n) { return read_file(record.sha256, offset, n); });
          },
          std::move(done));
    }
    load_result(record, [&client, &executor, record, done = std::move(done)](Result<std::string> bytes) mutable {
      if (!bytes) return done(Err(bytes.error()));
      if (static_cast<int64_t>(bytes->size()) != record.size) {
        return done(Err(InvalidArgument("the result here is not the size recorded")));
      }
      auto shared = std::make_shared<const std::string>(std::move(*bytes));
      executor.Run<Uploaded>(
          [&client, shared, record]() {
            return PutChecked(client, record, [&](size_t offset, size_t n) -> Result<std::string> {
              return shared->substr(offset, n);
            });
          },
          std::move(done));
    });
  };
}

void FetchFromCanister(chain::FileCanisterClient& client, chain::Executor& executor, const std::string& sha256,
                       std::function<void(Result<std::string>)> done) {
  executor.Run<std::string>(
      [&client, sha256]() -> Result<std::string> {
        ASSIGN_OR_RETURN(std::string bytes, client.Get(CanisterKey(sha256)));
        if (codec::HexEncode(chain::Sha256(bytes)) != sha256) {
          return Err(FailedPrecondition("the file canister's copy of " + sha256 + " fails its SHA-256"));
        }
        return bytes;
      },
      std::move(done));
}

CanisterSync::CanisterSync(CanisterSyncOptions options, store::Store& store, const Clock& clock, Upload upload,
                           MetricsRegistry& metrics)
    : options_(options), store_(store), clock_(clock), upload_(std::move(upload)),
      m_(std::make_unique<Metrics>(metrics)) {
  m_->enabled.Set(options_.enabled ? 1 : 0);
}

CanisterSync::~CanisterSync() = default;

void CanisterSync::Nudge() {
  if (!options_.enabled) return;
  if (last_due_read_ && clock_.Now() - *last_due_read_ < Millis(options_.nudge_gap_ms)) return;
  ReadDue();
}

void CanisterSync::Tick() {
  m_->in_flight.Set(static_cast<int64_t>(in_flight_.size()));
  if (!options_.enabled) return;
  RefreshGauges();
  BackfillPage();
  ReadDue();
}

void CanisterSync::ReadDue() {
  if (reading_due_ || in_flight_.size() >= options_.in_flight_max) return;
  reading_due_ = true;
  last_due_read_ = clock_.Now();
  store_.ListDueSyncs(clock_.WallMs(), options_.due_per_tick, [this](Result<std::vector<SyncRecord>> r) {
    reading_due_ = false;
    if (!r) {
      spdlog::warn("cannot read due canister syncs: {}", r.error().ToString());
      return;
    }
    for (SyncRecord& record : *r) {
      if (in_flight_.size() >= options_.in_flight_max) break;
      if (in_flight_.contains(record.sha256)) continue;
      in_flight_.insert(record.sha256);
      Begin(std::move(record));
    }
    m_->in_flight.Set(static_cast<int64_t>(in_flight_.size()));
  });
}

// One page per Tick, never two at once: the store does the walking off the
// loop, and the pass costs the store one bounded operation a second. A
// failed page is tried again at the next Tick from the same cursor.
void CanisterSync::BackfillPage() {
  if (backfill_done_ || backfill_reading_) return;
  backfill_reading_ = true;
  store_.BackfillSyncs(
      backfill_cursor_, options_.backfill_page_rows, clock_.WallMs(), [this](Result<store::SyncBackfillPage> r) {
        backfill_reading_ = false;
        if (!r) {
          spdlog::warn("canister sync backfill: a page failed, tried again: {}", r.error().ToString());
          return;
        }
        ++backfill_pages_;
        backfill_scanned_ += r->scanned;
        backfill_added_ += r->inserted;
        m_->backfilled.Inc(r->inserted);
        if (r->inserted > 0) {
          spdlog::debug("canister sync backfill: {} rows added (page {})", r->inserted, backfill_pages_);
        }
        backfill_cursor_ = r->next_cursor;
        if (!backfill_cursor_.empty()) return;
        backfill_done_ = true;
        spdlog::info("canister sync backfill done: {} results and files made final without a row were given one "
                     "({} jobs and files looked at in {} pages)",
                     backfill_added_, backfill_scanned_, backfill_pages_);
      });
}

void CanisterSync::Begin(SyncRecord record) {
  m_->uploads.Inc();
  spdlog::debug("canister sync of {} ({} bytes, {} {}): attempt {}", record.sha256, record.size,
                record.source == store::SyncSource::kFile ? "file" : "result of", record.ref, record.attempts + 1);
  SyncRecord copy = record;
  upload_(copy, [this, record = std::move(record)](Result<Uploaded> outcome) mutable {
    Finish(std::move(record), std::move(outcome));
  });
}

void CanisterSync::Finish(SyncRecord record, Result<Uploaded> outcome) {
  const int64_t now = clock_.WallMs();
  record.attempts += 1;
  record.updated_ms = now;
  if (outcome) {
    record.state = SyncState::kSynced;
    record.chunks = outcome->chunks;
    record.synced_ms = now;
    record.last_error.clear();
  } else {
    m_->errors.Inc();
    const Code code = outcome.error().code();
    // Gone here (NotFound), or InvalidArgument (the bytes here do not match
    // their hash; the IC refused the call as malformed): no retry can help.
    // Anything else (network, 5xx, rejects, timeouts, a full worker queue)
    // is retried.
    record.last_error = outcome.error().ToString().substr(0, 1024);
    if (code == Code::kNotFound || code == Code::kInvalidArgument) {
      record.state = SyncState::kFailed;
    } else {
      const uint32_t shift = std::min<uint32_t>(record.attempts - 1, 20);
      record.next_attempt_ms = now + std::min(options_.backoff_max_ms, options_.backoff_min_ms << shift);
    }
  }
  store_.UpdateSync(record, [this, record](Status st) {
    in_flight_.erase(record.sha256);
    m_->in_flight.Set(static_cast<int64_t>(in_flight_.size()));
    if (!st.ok()) {
      spdlog::warn("canister sync of {} not saved: {}", record.sha256, st.ToString());
      return;
    }
    switch (record.state) {
      case SyncState::kSynced:
        m_->synced.Inc();
        m_->synced_bytes.Inc(static_cast<uint64_t>(record.size));
        spdlog::info("canister sync of {} done: {} bytes in {} chunks ({} {}), attempt {}", record.sha256,
                     record.size, record.chunks, record.source == store::SyncSource::kFile ? "file" : "result of",
                     record.ref, record.attempts);
        break;
      case SyncState::kFailed:
        spdlog::warn("canister sync of {} failed for good ({} {}): {}", record.sha256,
                     record.source == store::SyncSource::kFile ? "file" : "result of", record.ref, record.last_error);
        break;
      default:
        spdlog::info("canister sync of {} failed (attempt {}), retried after {}: {}", record.sha256, record.attempts,
                     record.next_attempt_ms, record.last_error);
        break;
    }
  });
}

void CanisterSync::RefreshGauges() {
  if (reading_summary_) return;
  reading_summary_ = true;
  store_.GetSyncSummary([this](Result<store::SyncSummary> r) {
    reading_summary_ = false;
    if (!r) return;
    for (size_t i = 0; i < store::kSyncStates; ++i) {
      m_->by_state[i]->Set(r->count_by_state[i]);
      m_->bytes_by_state[i]->Set(r->bytes_by_state[i]);
    }
    const int64_t lag_ms = r->oldest_pending_ms > 0 ? clock_.WallMs() - r->oldest_pending_ms : 0;
    m_->lag_seconds.Set(std::max<int64_t>(0, lag_ms / 1000));
  });
}

}  // namespace sela::settle
