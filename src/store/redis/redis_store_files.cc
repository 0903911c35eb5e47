// RedisStore: files and the results marketplace.
// TEMPORARY: every operation answers Unavailable "not implemented on the
// Redis backend yet" until its Lua script lands; the contract suite skips
// their tests on Redis (redis_contract_skips.cc).
#include "store/redis/redis_store.h"
#include "store/redis/redis_store_impl.h"

namespace sela::store {

void RedisStore::CreateFile(const FileRecord&, const FileQuota&, Callback<FileRecord> done) {
  NotYet(std::move(done), "CreateFile");
}
void RedisStore::GetFile(const std::string&, Callback<std::optional<FileRecord>> done) {
  NotYet(std::move(done), "GetFile");
}
void RedisStore::GetFileChunk(const std::string&, uint32_t, Callback<std::optional<FileChunk>> done) {
  NotYet(std::move(done), "GetFileChunk");
}
void RedisStore::PutFileChunk(const std::string&, const std::string&, const FileChunk&, int64_t, int64_t,
                              Callback<ChunkOutcome> done) {
  NotYet(std::move(done), "PutFileChunk");
}
void RedisStore::ListFileChunks(const std::string&, Callback<std::vector<FileChunk>> done) {
  NotYet(std::move(done), "ListFileChunks");
}
void RedisStore::CompleteFile(const std::string&, const std::string&, const std::string&, int64_t,
                              Callback<FileCompleteOutcome> done) {
  NotYet(std::move(done), "CompleteFile");
}
void RedisStore::ListFiles(const FileListQuery&, Callback<std::vector<FileRecord>> done) {
  NotYet(std::move(done), "ListFiles");
}
void RedisStore::ListJobFiles(const std::string&, uint32_t, Callback<std::vector<FileRecord>> done) {
  NotYet(std::move(done), "ListJobFiles");
}
void RedisStore::DeleteFile(const std::string&, const std::string&, Callback<DeletedFile> done) {
  NotYet(std::move(done), "DeleteFile");
}
void RedisStore::ExpireUploads(int64_t, uint32_t, Callback<std::vector<FileRecord>> done) {
  NotYet(std::move(done), "ExpireUploads");
}
void RedisStore::IsBlobUsed(const std::string&, Callback<bool> done) { NotYet(std::move(done), "IsBlobUsed"); }
void RedisStore::SetListingDefault(const std::string&, bool, Done done) {
  NotYet(std::move(done), "SetListingDefault");
}
void RedisStore::SetJobListed(const std::string&, const std::string&, bool, Done done) {
  NotYet(std::move(done), "SetJobListed");
}
void RedisStore::ListMarketJobs(const MarketQuery&, Callback<MarketPage> done) {
  NotYet(std::move(done), "ListMarketJobs");
}
void RedisStore::GetMarketJob(const std::string&, Callback<std::optional<MarketJob>> done) {
  NotYet(std::move(done), "GetMarketJob");
}
void RedisStore::GetMarketStats(int64_t, Callback<MarketStats> done) { NotYet(std::move(done), "GetMarketStats"); }
void RedisStore::CountMarketEvent(const std::string&, MarketCounter, Done done) {
  NotYet(std::move(done), "CountMarketEvent");
}
void RedisStore::RecordPurchase(const std::string&, const std::string&, int64_t, Callback<PurchaseOutcome> done) {
  NotYet(std::move(done), "RecordPurchase");
}
void RedisStore::GetPurchase(const std::string&, const std::string&, Callback<std::optional<Purchase>> done) {
  NotYet(std::move(done), "GetPurchase");
}

}  // namespace sela::store
