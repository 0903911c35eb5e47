// SqliteStore's file and marketplace operations: each one queued to the
// writer thread like the others (sqlite_store.cc).
#include <utility>

#include "store/sqlite/make_op.h"
#include "store/sqlite/sqlite_store.h"

namespace sela::store {

using sqlite::MakeOp;
using sqlite::Operations;

void SqliteStore::CreateFile(const FileRecord& file, const FileQuota& quota,
                             Callback<FileRecord> done) {
  writer_->Submit(MakeOp<FileRecord>(
      "CreateFile", [file, quota](Operations& ops) { return ops.CreateFile(file, quota); },
      std::move(done)));
}

void SqliteStore::GetFile(const std::string& file_id, Callback<std::optional<FileRecord>> done) {
  writer_->Submit(MakeOp<std::optional<FileRecord>>(
      "GetFile", [file_id](Operations& ops) { return ops.GetFile(file_id); }, std::move(done)));
}

void SqliteStore::GetFileChunk(const std::string& file_id, uint32_t index,
                               Callback<std::optional<FileChunk>> done) {
  writer_->Submit(MakeOp<std::optional<FileChunk>>(
      "GetFileChunk", [file_id, index](Operations& ops) { return ops.GetFileChunk(file_id, index); },
      std::move(done)));
}

void SqliteStore::PutFileChunk(const std::string& file_id, const std::string& owner,
                               const FileChunk& chunk, int64_t now_ms, int64_t ttl_ms,
                               Callback<ChunkOutcome> done) {
  writer_->Submit(MakeOp<ChunkOutcome>(
      "PutFileChunk",
      [file_id, owner, chunk, now_ms, ttl_ms](Operations& ops) {
        return ops.PutFileChunk(file_id, owner, chunk, now_ms, ttl_ms);
      },
      std::move(done)));
}

void SqliteStore::ListFileChunks(const std::string& file_id, Callback<std::vector<FileChunk>> done) {
  writer_->Submit(MakeOp<std::vector<FileChunk>>(
      "ListFileChunks", [file_id](Operations& ops) { return ops.ListFileChunks(file_id); },
      std::move(done)));
}

void SqliteStore::CompleteFile(const std::string& file_id, const std::string& owner,
                               const std::string& sha256, int64_t now_ms,
                               Callback<FileCompleteOutcome> done) {
  writer_->Submit(MakeOp<FileCompleteOutcome>(
      "CompleteFile",
      [file_id, owner, sha256, now_ms](Operations& ops) {
        return ops.CompleteFile(file_id, owner, sha256, now_ms);
      },
      std::move(done)));
}

void SqliteStore::ListFiles(const FileListQuery& query, Callback<std::vector<FileRecord>> done) {
  writer_->Submit(MakeOp<std::vector<FileRecord>>(
      "ListFiles", [query](Operations& ops) { return ops.ListFiles(query); }, std::move(done)));
}

void SqliteStore::ListJobFiles(const std::string& job_id, uint32_t limit,
                               Callback<std::vector<FileRecord>> done) {
  writer_->Submit(MakeOp<std::vector<FileRecord>>(
      "ListJobFiles", [job_id, limit](Operations& ops) { return ops.ListJobFiles(job_id, limit); },
      std::move(done)));
}

void SqliteStore::DeleteFile(const std::string& file_id, const std::string& owner,
                             Callback<DeletedFile> done) {
  writer_->Submit(MakeOp<DeletedFile>(
      "DeleteFile", [file_id, owner](Operations& ops) { return ops.DeleteFile(file_id, owner); },
      std::move(done)));
}

void SqliteStore::ExpireUploads(int64_t now_ms, uint32_t limit,
                                Callback<std::vector<FileRecord>> done) {
  writer_->Submit(MakeOp<std::vector<FileRecord>>(
      "ExpireUploads", [now_ms, limit](Operations& ops) { return ops.ExpireUploads(now_ms, limit); },
      std::move(done)));
}

void SqliteStore::IsBlobUsed(const std::string& sha256, Callback<bool> done) {
  writer_->Submit(MakeOp<bool>(
      "IsBlobUsed", [sha256](Operations& ops) { return ops.IsBlobUsed(sha256); }, std::move(done)));
}

void SqliteStore::SetListingDefault(const std::string& client_uuid, bool listed, Done done) {
  writer_->Submit(MakeOp(
      "SetListingDefault",
      [client_uuid, listed](Operations& ops) { return ops.SetListingDefault(client_uuid, listed); },
      std::move(done)));
}

void SqliteStore::SetJobListed(const std::string& job_id, const std::string& client_uuid,
                               bool listed, Done done) {
  writer_->Submit(MakeOp(
      "SetJobListed",
      [job_id, client_uuid, listed](Operations& ops) {
        return ops.SetJobListed(job_id, client_uuid, listed);
      },
      std::move(done)));
}

void SqliteStore::ListMarketJobs(const MarketQuery& query, Callback<MarketPage> done) {
  writer_->Submit(MakeOp<MarketPage>(
      "ListMarketJobs", [query](Operations& ops) { return ops.ListMarketJobs(query); },
      std::move(done)));
}

void SqliteStore::GetMarketJob(const std::string& job_id, Callback<std::optional<MarketJob>> done) {
  writer_->Submit(MakeOp<std::optional<MarketJob>>(
      "GetMarketJob", [job_id](Operations& ops) { return ops.GetMarketJob(job_id); },
      std::move(done)));
}

void SqliteStore::GetMarketStats(int64_t since_ms, Callback<MarketStats> done) {
  writer_->Submit(MakeOp<MarketStats>(
      "GetMarketStats", [since_ms](Operations& ops) { return ops.GetMarketStats(since_ms); },
      std::move(done)));
}

void SqliteStore::CountMarketEvent(const std::string& job_id, MarketCounter counter, Done done) {
  writer_->Submit(MakeOp(
      "CountMarketEvent",
      [job_id, counter](Operations& ops) { return ops.CountMarketEvent(job_id, counter); },
      std::move(done)));
}

void SqliteStore::RecordPurchase(const std::string& client_uuid, const std::string& job_id,
                                 int64_t now_ms, Callback<PurchaseOutcome> done) {
  writer_->Submit(MakeOp<PurchaseOutcome>(
      "RecordPurchase",
      [client_uuid, job_id, now_ms](Operations& ops) {
        return ops.RecordPurchase(client_uuid, job_id, now_ms);
      },
      std::move(done)));
}

void SqliteStore::GetPurchase(const std::string& client_uuid, const std::string& job_id,
                              Callback<std::optional<Purchase>> done) {
  writer_->Submit(MakeOp<std::optional<Purchase>>(
      "GetPurchase",
      [client_uuid, job_id](Operations& ops) { return ops.GetPurchase(client_uuid, job_id); },
      std::move(done)));
}

}  // namespace sela::store
