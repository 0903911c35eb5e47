// SqliteStore's settlement operations: each queues its body for the writer
// thread (see sqlite_store.cc for the rest).
#include <utility>

#include "store/sqlite/batch_writer.h"
#include "store/sqlite/make_op.h"
#include "store/sqlite/sqlite_store.h"

namespace sela::store {

using sqlite::MakeOp;
using sqlite::Operations;

void SqliteStore::CreateSettlements(const SettlementBatch& batch, Callback<SettlementBatchResult> done) {
  writer_->Submit(MakeOp<SettlementBatchResult>(
      "CreateSettlements", [batch](Operations& ops) { return ops.CreateSettlements(batch); }, std::move(done)));
}

void SqliteStore::ListDueSettlements(int64_t now_ms, uint32_t limit, Callback<std::vector<SettlementRecord>> done) {
  writer_->Submit(MakeOp<std::vector<SettlementRecord>>(
      "ListDueSettlements", [now_ms, limit](Operations& ops) { return ops.ListDueSettlements(now_ms, limit); }, std::move(done)));
}

void SqliteStore::UpdateSettlement(const SettlementRecord& record, Callback<SettlementRecord> done) {
  writer_->Submit(MakeOp<SettlementRecord>(
      "UpdateSettlement", [record](Operations& ops) { return ops.UpdateSettlement(record); }, std::move(done)));
}

void SqliteStore::GetSettlement(const std::string& id, Callback<std::optional<SettlementRecord>> done) {
  writer_->Submit(MakeOp<std::optional<SettlementRecord>>(
      "GetSettlement", [id](Operations& ops) { return ops.GetSettlement(id); }, std::move(done)));
}

void SqliteStore::ListSettlements(const SettlementQuery& query, Callback<std::vector<SettlementRecord>> done) {
  writer_->Submit(MakeOp<std::vector<SettlementRecord>>(
      "ListSettlements", [query](Operations& ops) { return ops.ListSettlements(query); }, std::move(done)));
}

void SqliteStore::GetSettlementSummary(Callback<SettlementSummary> done) {
  writer_->Submit(MakeOp<SettlementSummary>(
      "GetSettlementSummary", [](Operations& ops) { return ops.GetSettlementSummary(); }, std::move(done)));
}

void SqliteStore::GetSettledTotal(const std::string& principal, Callback<SettledTotal> done) {
  writer_->Submit(MakeOp<SettledTotal>(
      "GetSettledTotal", [principal](Operations& ops) { return ops.GetSettledTotal(principal); }, std::move(done)));
}

void SqliteStore::ListSettledTotals(Callback<std::vector<SettledTotal>> done) {
  writer_->Submit(MakeOp<std::vector<SettledTotal>>(
      "ListSettledTotals", [](Operations& ops) { return ops.ListSettledTotals(); }, std::move(done)));
}

void SqliteStore::ListSettledTotalsOf(std::vector<std::string> principals, Callback<std::vector<SettledTotal>> done) {
  writer_->Submit(MakeOp<std::vector<SettledTotal>>(
      "ListSettledTotalsOf",
      [principals = std::move(principals)](Operations& ops) { return ops.ListSettledTotalsOf(principals); },
      std::move(done)));
}

}  // namespace sela::store

namespace sela::store {

using sqlite::MakeOp;
using sqlite::Operations;

void SqliteStore::EnqueueSync(const SyncRecord& record, Callback<bool> done) {
  writer_->Submit(MakeOp<bool>(
      "EnqueueSync", [record](Operations& ops) { return ops.EnqueueSync(record); }, std::move(done)));
}

void SqliteStore::ListDueSyncs(int64_t now_ms, uint32_t limit, Callback<std::vector<SyncRecord>> done) {
  writer_->Submit(MakeOp<std::vector<SyncRecord>>(
      "ListDueSyncs", [now_ms, limit](Operations& ops) { return ops.ListDueSyncs(now_ms, limit); }, std::move(done)));
}

void SqliteStore::UpdateSync(const SyncRecord& record, Done done) {
  writer_->Submit(MakeOp("UpdateSync", [record](Operations& ops) { return ops.UpdateSync(record); }, std::move(done)));
}

void SqliteStore::ListSyncs(const SyncQuery& query, Callback<std::vector<SyncRecord>> done) {
  writer_->Submit(MakeOp<std::vector<SyncRecord>>(
      "ListSyncs", [query](Operations& ops) { return ops.ListSyncs(query); }, std::move(done)));
}

void SqliteStore::GetSyncSummary(Callback<SyncSummary> done) {
  writer_->Submit(MakeOp<SyncSummary>(
      "GetSyncSummary", [](Operations& ops) { return ops.GetSyncSummary(); }, std::move(done)));
}

void SqliteStore::BackfillSyncs(const std::string& cursor, uint32_t limit, int64_t now_ms,
                                Callback<SyncBackfillPage> done) {
  writer_->Submit(MakeOp<SyncBackfillPage>(
      "BackfillSyncs", [cursor, limit, now_ms](Operations& ops) { return ops.BackfillSyncs(cursor, limit, now_ms); },
      std::move(done)));
}

}  // namespace sela::store
