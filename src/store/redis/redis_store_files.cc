// RedisStore: files and the results marketplace (see store.h for the
// contracts and scripts_files.cc for the keys and the transitions). The
// bytes of files are not in Redis (docs/STORAGE.md "Files with Redis").
#include <algorithm>
#include <utility>

#include "store/redis/records.h"
#include "store/redis/redis_store.h"
#include "store/redis/redis_store_impl.h"

namespace sela::store {

using redis::Command;
using redis::Script;

namespace {

constexpr uint32_t kFileListMax = 1000;  // As SQLite's.

Result<std::vector<FileRecord>> DecodeFileList(const redisReply* list, const char* what) {
  if (!redis::IsArray(list)) return Err(Internal(std::string(what) + ": malformed reply"));
  std::vector<FileRecord> files;
  files.reserve(list->elements);
  for (size_t i = 0; i < list->elements; ++i) {
    ASSIGN_OR_RETURN(std::optional<FileRecord> file, redis::DecodeFile(list->element[i]));
    if (file) files.push_back(std::move(*file));
  }
  return files;
}

Result<FileChunk> DecodeChunk(std::string_view index, std::string_view value) {
  FileChunk chunk;
  const size_t a = value.find(':');
  const size_t b = a == std::string_view::npos ? a : value.find(':', a + 1);
  const auto i = redis::ParseInt(index);
  const auto offset = a == std::string_view::npos ? std::nullopt : redis::ParseInt(value.substr(0, a));
  const auto bytes = b == std::string_view::npos ? std::nullopt : redis::ParseInt(value.substr(a + 1, b - a - 1));
  if (!i || *i < 0 || *i > int64_t{UINT32_MAX} || !offset || !bytes) {
    return Err(Internal("stored chunk " + std::string(index) + " holds \"" + std::string(value) +
                        "\", which does not parse"));
  }
  chunk.index = static_cast<uint32_t>(*i);
  chunk.offset = *offset;
  chunk.bytes = *bytes;
  chunk.sha256 = std::string(value.substr(b + 1));
  return chunk;
}

std::string AsciiLower(std::string s) {
  for (char& c : s) {
    if (c >= 'A' && c <= 'Z') c = static_cast<char>(c - 'A' + 'a');
  }
  return s;
}

}  // namespace

Status RedisStore::ValidateOwner(const std::string& file_id, const std::string& owner) const {
  RETURN_IF_ERROR(ValidateId(file_id, "file_id", limits_.id_bytes_max));
  return ValidateId(owner, "file owner", limits_.principal_bytes_max);
}

// ---- files ---------------------------------------------------------------------

void RedisStore::CreateFile(const FileRecord& file, const FileQuota& quota, Callback<FileRecord> done) {
  OnLoop([this, file, quota, done = std::move(done)]() mutable {
    Status st = ValidateNewFile(file, limits_);
    if (st.ok()) st = ValidateFileQuota(quota);
    if (!st.ok()) return Answer(std::move(done), std::move(st));
    FileRecord stored = file;
    stored.state = FileState::kUploading;
    stored.sha256.clear();
    stored.received_bytes = 0;
    stored.chunks = 0;
    stored.updated_ms = file.created_ms;
    stored.result_of.clear();
    Command c = ScriptCall(Script::kCreateFile, 5);
    c.Arg(keys_.File(file.file_id)).Arg(keys_.FileUsage(file.owner)).Arg(keys_.OwnerFiles(file.owner));
    c.Arg(keys_.FileSeq()).Arg(keys_.Uploads());
    c.Arg(keys_.jobs()).Arg(file.file_id).Arg(file.owner).Arg(file.job_id).Uint(quota.open_uploads_max);
    c.Int(quota.owner_bytes_max).Int(file.size).Int(file.expires_ms);
    redis::AppendFilePairs(c, stored);
    Send<FileRecord>(std::move(done), c.Finish(), Kind::kScript, "CreateFile",
                     [stored](const redisReply*) -> Result<FileRecord> { return stored; });
  });
}

void RedisStore::GetFile(const std::string& file_id, Callback<std::optional<FileRecord>> done) {
  OnLoop([this, file_id, done = std::move(done)]() mutable {
    if (Status st = ValidateId(file_id, "file_id", limits_.id_bytes_max); !st.ok()) {
      return Answer(std::move(done), std::move(st));
    }
    Command c("HMGET");
    c.Arg(keys_.File(file_id));
    redis::AppendFieldNames(c, redis::FileFields());
    Send<std::optional<FileRecord>>(std::move(done), c.Finish(), Kind::kRead, "GetFile",
                                    [](const redisReply* r) { return redis::DecodeFile(r); });
  });
}

void RedisStore::GetFileChunk(const std::string& file_id, uint32_t index, Callback<std::optional<FileChunk>> done) {
  OnLoop([this, file_id, index, done = std::move(done)]() mutable {
    if (Status st = ValidateId(file_id, "file_id", limits_.id_bytes_max); !st.ok()) {
      return Answer(std::move(done), std::move(st));
    }
    const std::string field = std::to_string(index);
    Send<std::optional<FileChunk>>(std::move(done), Command("HGET").Arg(keys_.Chunks(file_id)).Arg(field).Finish(),
                                   Kind::kRead, "GetFileChunk",
                                   [field](const redisReply* r) -> Result<std::optional<FileChunk>> {
                                     if (redis::IsNil(r)) return std::optional<FileChunk>();
                                     ASSIGN_OR_RETURN(FileChunk chunk, DecodeChunk(field, redis::Text(r)));
                                     return std::optional<FileChunk>(std::move(chunk));
                                   });
  });
}

void RedisStore::PutFileChunk(const std::string& file_id, const std::string& owner, const FileChunk& chunk,
                              int64_t now_ms, int64_t ttl_ms, Callback<ChunkOutcome> done) {
  OnLoop([this, file_id, owner, chunk, now_ms, ttl_ms, done = std::move(done)]() mutable {
    Status st = ValidateChunk(chunk);
    if (st.ok()) st = ValidateNowMs(now_ms);
    if (st.ok() && ttl_ms < 1) st = InvalidArgument("upload ttl_ms must be at least 1");
    if (st.ok()) st = ValidateOwner(file_id, owner);
    if (!st.ok()) return Answer(std::move(done), std::move(st));
    Command c = ScriptCall(Script::kPutChunk, 2);
    c.Arg(keys_.Chunks(file_id)).Arg(keys_.Uploads());
    c.Arg(keys_.jobs()).Arg(file_id).Arg(owner).Uint(chunk.index).Int(chunk.offset).Int(chunk.bytes);
    c.Arg(chunk.sha256).Int(now_ms).Int(now_ms + ttl_ms);
    Send<ChunkOutcome>(std::move(done), c.Finish(), Kind::kScript, "PutFileChunk",
                       [](const redisReply* r) -> Result<ChunkOutcome> {
                         return redis::ToInt(redis::Element(r, 1)) == 1 ? ChunkOutcome::kStored : ChunkOutcome::kRepeat;
                       });
  });
}

void RedisStore::ListFileChunks(const std::string& file_id, Callback<std::vector<FileChunk>> done) {
  OnLoop([this, file_id, done = std::move(done)]() mutable {
    if (Status st = ValidateId(file_id, "file_id", limits_.id_bytes_max); !st.ok()) {
      return Answer(std::move(done), std::move(st));
    }
    Send<std::vector<FileChunk>>(std::move(done), Command("HGETALL").Arg(keys_.Chunks(file_id)).Finish(), Kind::kRead,
                                 "ListFileChunks", [](const redisReply* r) -> Result<std::vector<FileChunk>> {
                                   if (!redis::IsArray(r) || r->elements % 2 != 0) {
                                     return Err(Internal("ListFileChunks: malformed reply"));
                                   }
                                   std::vector<FileChunk> chunks;
                                   for (size_t i = 0; i + 1 < r->elements; i += 2) {
                                     ASSIGN_OR_RETURN(FileChunk chunk, DecodeChunk(redis::Text(r->element[i]),
                                                                                   redis::Text(r->element[i + 1])));
                                     chunks.push_back(std::move(chunk));
                                   }
                                   std::sort(chunks.begin(), chunks.end(),
                                             [](const FileChunk& a, const FileChunk& b) { return a.index < b.index; });
                                   return chunks;
                                 });
  });
}

void RedisStore::CompleteFile(const std::string& file_id, const std::string& owner, const std::string& sha256,
                              int64_t now_ms, Callback<FileCompleteOutcome> done) {
  OnLoop([this, file_id, owner, sha256, now_ms, done = std::move(done)]() mutable {
    Status st = ValidateSha256Hex(sha256, "file sha256");
    if (st.ok()) st = ValidateNowMs(now_ms);
    if (st.ok()) st = ValidateOwner(file_id, owner);
    if (!st.ok()) return Answer(std::move(done), std::move(st));
    Command c = ScriptCall(Script::kCompleteFile, 4);
    c.Arg(keys_.Chunks(file_id)).Arg(keys_.FileUsage(owner)).Arg(keys_.Uploads()).Arg(keys_.BlobRefs());
    c.Arg(keys_.jobs()).Arg(file_id).Arg(owner).Arg(sha256).Int(now_ms);
    if (options_.canister_sync) c.Arg(keys_.csync());  // The file's sync row, in the same script.
    Send<FileCompleteOutcome>(std::move(done), c.Finish(), Kind::kScript, "CompleteFile",
                              [](const redisReply* r) -> Result<FileCompleteOutcome> {
                                return redis::ToInt(redis::Element(r, 1)) == 1 ? FileCompleteOutcome::kCompleted
                                                                               : FileCompleteOutcome::kRepeat;
                              });
  });
}

void RedisStore::ListFiles(const FileListQuery& query, Callback<std::vector<FileRecord>> done) {
  OnLoop([this, query, done = std::move(done)]() mutable {
    Status st = ValidateId(query.owner, "file owner", limits_.principal_bytes_max);
    if (st.ok()) st = ValidateText(query.job_id, "file job_id", limits_.id_bytes_max);
    if (st.ok()) st = ValidateListLimit(query.limit, kFileListMax);
    if (st.ok() && !query.after_file_id.empty()) {
      st = ValidateId(query.after_file_id, "after_file_id", limits_.id_bytes_max);
    }
    if (!st.ok()) return Answer(std::move(done), std::move(st));
    // A job's files are few: they are read through the job's index.
    Command c = ScriptCall(Script::kListFiles, 1);
    c.Arg(query.job_id.empty() ? keys_.OwnerFiles(query.owner) : keys_.JobFiles(query.job_id));
    c.Arg(keys_.jobs()).Arg(query.after_file_id).Uint(query.limit).Arg(query.owner).Arg("0");
    Send<std::vector<FileRecord>>(std::move(done), c.Finish(), Kind::kScript, "ListFiles",
                                  [](const redisReply* r) { return DecodeFileList(redis::Element(r, 1), "ListFiles"); });
  });
}

void RedisStore::ListJobFiles(const std::string& job_id, uint32_t limit, Callback<std::vector<FileRecord>> done) {
  OnLoop([this, job_id, limit, done = std::move(done)]() mutable {
    Status st = ValidateId(job_id, "job_id", limits_.id_bytes_max);
    if (st.ok()) st = ValidateListLimit(limit, kFileListMax);
    if (!st.ok()) return Answer(std::move(done), std::move(st));
    Command c = ScriptCall(Script::kListFiles, 1);
    c.Arg(keys_.JobFiles(job_id)).Arg(keys_.jobs()).Arg("").Uint(limit).Arg("").Arg("1");
    Send<std::vector<FileRecord>>(std::move(done), c.Finish(), Kind::kScript, "ListJobFiles",
                                  [](const redisReply* r) { return DecodeFileList(redis::Element(r, 1), "ListJobFiles"); });
  });
}

void RedisStore::DeleteFile(const std::string& file_id, const std::string& owner, Callback<DeletedFile> done) {
  OnLoop([this, file_id, owner, done = std::move(done)]() mutable {
    if (Status st = ValidateOwner(file_id, owner); !st.ok()) return Answer(std::move(done), std::move(st));
    Command c = ScriptCall(Script::kDeleteFile, 0);
    c.Arg(keys_.jobs()).Arg(file_id).Arg(owner);
    Send<DeletedFile>(std::move(done), c.Finish(), Kind::kScript, "DeleteFile",
                      [](const redisReply* r) -> Result<DeletedFile> {
                        ASSIGN_OR_RETURN(std::optional<FileRecord> file, redis::DecodeFile(redis::Element(r, 1)));
                        if (!file) return Err(Internal("DeleteFile: the deleted file's record is missing"));
                        return DeletedFile{std::move(*file), redis::ToInt(redis::Element(r, 2)) == 1};
                      });
  });
}

void RedisStore::ExpireUploads(int64_t now_ms, uint32_t limit, Callback<std::vector<FileRecord>> done) {
  OnLoop([this, now_ms, limit, done = std::move(done)]() mutable {
    Status st = ValidateNowMs(now_ms);
    if (st.ok()) st = ValidateListLimit(limit, kFileListMax);
    if (!st.ok()) return Answer(std::move(done), std::move(st));
    Command c = ScriptCall(Script::kExpireUploads, 1);
    c.Arg(keys_.Uploads()).Arg(keys_.jobs()).Int(now_ms).Uint(limit);
    Send<std::vector<FileRecord>>(std::move(done), c.Finish(), Kind::kScript, "ExpireUploads",
                                  [](const redisReply* r) { return DecodeFileList(redis::Element(r, 1), "ExpireUploads"); });
  });
}

void RedisStore::IsBlobUsed(const std::string& sha256, Callback<bool> done) {
  OnLoop([this, sha256, done = std::move(done)]() mutable {
    if (Status st = ValidateSha256Hex(sha256, "blob sha256"); !st.ok()) return Answer(std::move(done), std::move(st));
    Send<bool>(std::move(done), Command("HGET").Arg(keys_.BlobRefs()).Arg(sha256).Finish(), Kind::kRead, "IsBlobUsed",
               [](const redisReply* r) -> Result<bool> {
                 if (redis::IsNil(r)) return false;
                 const auto n = redis::ToInt(r);
                 return n.has_value() && *n > 0;
               });
  });
}

// ---- marketplace ------------------------------------------------------------------

void RedisStore::SetListingDefault(const std::string& client_uuid, bool listed, Done done) {
  OnLoop([this, client_uuid, listed, done = std::move(done)]() mutable {
    if (Status st = ValidateId(client_uuid, "API client uuid", limits_.id_bytes_max); !st.ok()) {
      return Answer(std::move(done), std::move(st));
    }
    Command c = ScriptCall(Script::kSetListingDefault, 1);
    c.Arg(keys_.Client(client_uuid)).Arg(client_uuid).Arg(listed ? "1" : "0");
    SendDone(std::move(done), c.Finish(), Kind::kScript, "SetListingDefault");
  });
}

void RedisStore::SetJobListed(const std::string& job_id, const std::string& client_uuid, bool listed, Done done) {
  OnLoop([this, job_id, client_uuid, listed, done = std::move(done)]() mutable {
    Status st = ValidateId(job_id, "job_id", limits_.id_bytes_max);
    if (st.ok()) st = ValidateId(client_uuid, "API client uuid", limits_.id_bytes_max);
    if (!st.ok()) return Answer(std::move(done), std::move(st));
    Command c = ScriptCall(Script::kSetJobListed, 3);
    c.Arg(keys_.Job(job_id)).Arg(keys_.Market()).Arg(keys_.MarketTypes());
    c.Arg(job_id).Arg(client_uuid).Arg(listed ? "1" : "0");
    SendDone(std::move(done), c.Finish(), Kind::kScript, "SetJobListed");
  });
}

void RedisStore::ListMarketJobs(const MarketQuery& query, Callback<MarketPage> done) {
  OnLoop([this, query, done = std::move(done)]() mutable {
    if (Status st = ValidateMarketQuery(query, limits_); !st.ok()) return Answer(std::move(done), std::move(st));
    Command c = ScriptCall(Script::kMarketPage, 1);
    c.Arg(keys_.Market()).Arg(keys_.jobs()).Arg(AsciiLower(query.search)).Arg(query.ascending ? "1" : "0");
    c.Uint(query.limit).Uint(query.offset);
    Send<MarketPage>(std::move(done), c.Finish(), Kind::kScript, "ListMarketJobs",
                     [](const redisReply* r) -> Result<MarketPage> {
                       MarketPage page;
                       const auto total = redis::ToInt(redis::Element(r, 1));
                       const redisReply* list = redis::Element(r, 2);
                       if (!total || !redis::IsArray(list)) return Err(Internal("ListMarketJobs: malformed reply"));
                       page.total_count = *total;
                       for (size_t i = 0; i < list->elements; ++i) {
                         ASSIGN_OR_RETURN(std::optional<MarketJob> job, redis::DecodeMarketJob(list->element[i]));
                         if (job) page.jobs.push_back(std::move(*job));
                       }
                       return page;
                     });
  });
}

void RedisStore::GetMarketJob(const std::string& job_id, Callback<std::optional<MarketJob>> done) {
  OnLoop([this, job_id, done = std::move(done)]() mutable {
    if (Status st = ValidateId(job_id, "job_id", limits_.id_bytes_max); !st.ok()) {
      return Answer(std::move(done), std::move(st));
    }
    Command c("HMGET");
    c.Arg(keys_.Job(job_id));
    redis::AppendFieldNames(c, redis::JobFields());
    c.Arg("views").Arg("downloads");
    Send<std::optional<MarketJob>>(std::move(done), c.Finish(), Kind::kRead, "GetMarketJob",
                                   [](const redisReply* r) { return redis::DecodeMarketJobFlat(r); });
  });
}

void RedisStore::GetMarketStats(int64_t since_ms, Callback<MarketStats> done) {
  OnLoop([this, since_ms, done = std::move(done)]() mutable {
    if (Status st = ValidateNowMs(since_ms); !st.ok()) return Answer(std::move(done), std::move(st));
    Command c = ScriptCall(Script::kMarketStats, 2);
    c.Arg(keys_.Market()).Arg(keys_.MarketTypes()).Int(since_ms);
    Send<MarketStats>(std::move(done), c.Finish(), Kind::kScript, "GetMarketStats",
                      [](const redisReply* r) -> Result<MarketStats> {
                        const redisReply* types = redis::Element(r, 1);
                        const auto recent = redis::ToInt(redis::Element(r, 2));
                        if (!redis::IsArray(types) || types->elements % 2 != 0 || !recent) {
                          return Err(Internal("GetMarketStats: malformed reply"));
                        }
                        MarketStats stats;
                        for (size_t i = 0; i + 1 < types->elements; i += 2) {
                          const auto n = redis::ToInt(types->element[i + 1]);
                          if (!n) return Err(Internal("GetMarketStats: a count does not parse"));
                          if (*n <= 0) continue;
                          stats.by_type.emplace_back(std::string(redis::Text(types->element[i])), *n);
                          stats.total_completed += *n;
                        }
                        std::sort(stats.by_type.begin(), stats.by_type.end());
                        stats.recent = *recent;
                        return stats;
                      });
  });
}

void RedisStore::CountMarketEvent(const std::string& job_id, MarketCounter counter, Done done) {
  OnLoop([this, job_id, counter, done = std::move(done)]() mutable {
    Status st = ValidateId(job_id, "job_id", limits_.id_bytes_max);
    if (st.ok() && counter != MarketCounter::kView && counter != MarketCounter::kDownload) {
      st = InvalidArgument("unknown marketplace counter");
    }
    if (!st.ok()) return Answer(std::move(done), std::move(st));
    Command c = ScriptCall(Script::kCountMarketEvent, 1);
    c.Arg(keys_.Job(job_id)).Arg(job_id).Arg(counter == MarketCounter::kView ? "views" : "downloads");
    SendDone(std::move(done), c.Finish(), Kind::kScript, "CountMarketEvent");
  });
}

void RedisStore::RecordPurchase(const std::string& client_uuid, const std::string& job_id, int64_t now_ms,
                                Callback<PurchaseOutcome> done) {
  OnLoop([this, client_uuid, job_id, now_ms, done = std::move(done)]() mutable {
    Status st = ValidateNowMs(now_ms);
    if (st.ok()) st = ValidateId(client_uuid, "API client uuid", limits_.id_bytes_max);
    if (st.ok()) st = ValidateId(job_id, "job_id", limits_.id_bytes_max);
    if (!st.ok()) return Answer(std::move(done), std::move(st));
    Command c = ScriptCall(Script::kRecordPurchase, 3);
    c.Arg(keys_.Purchase(client_uuid, job_id)).Arg(keys_.Client(client_uuid)).Arg(keys_.Job(job_id));
    c.Arg(client_uuid).Arg(job_id).Int(now_ms);
    Send<PurchaseOutcome>(std::move(done), c.Finish(), Kind::kScript, "RecordPurchase",
                          [client_uuid, job_id](const redisReply* r) -> Result<PurchaseOutcome> {
                            const auto created = redis::ToInt(redis::Element(r, 1));
                            const auto price = redis::ToInt(redis::Element(r, 2));
                            const auto at = redis::ToInt(redis::Element(r, 3));
                            if (!created || !price || !at) return Err(Internal("RecordPurchase: malformed reply"));
                            return PurchaseOutcome{Purchase{.client_uuid = client_uuid, .job_id = job_id,
                                                            .price_cents = *price, .purchased_ms = *at},
                                                   *created == 1};
                          });
  });
}

void RedisStore::GetPurchase(const std::string& client_uuid, const std::string& job_id,
                             Callback<std::optional<Purchase>> done) {
  OnLoop([this, client_uuid, job_id, done = std::move(done)]() mutable {
    Status st = ValidateId(client_uuid, "API client uuid", limits_.id_bytes_max);
    if (st.ok()) st = ValidateId(job_id, "job_id", limits_.id_bytes_max);
    if (!st.ok()) return Answer(std::move(done), std::move(st));
    Command c("HMGET");
    c.Arg(keys_.Purchase(client_uuid, job_id)).Arg("price_cents").Arg("purchased_ms");
    Send<std::optional<Purchase>>(std::move(done), c.Finish(), Kind::kRead, "GetPurchase",
                                  [client_uuid, job_id](const redisReply* r) -> Result<std::optional<Purchase>> {
                                    if (redis::IsNil(redis::Element(r, 0))) return std::optional<Purchase>();
                                    const auto price = redis::ToInt(redis::Element(r, 0));
                                    const auto at = redis::ToInt(redis::Element(r, 1));
                                    if (!price || !at) return Err(Internal("GetPurchase: malformed record"));
                                    return std::optional<Purchase>(Purchase{.client_uuid = client_uuid,
                                                                            .job_id = job_id,
                                                                            .price_cents = *price,
                                                                            .purchased_ms = *at});
                                  });
  });
}

}  // namespace sela::store
