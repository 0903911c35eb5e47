#include "app/file_sync_setup.h"

#include <spdlog/spdlog.h>

#include <algorithm>

#include "files/blob_dir.h"

#include "codec/principal.h"

namespace sela::app {

Result<std::unique_ptr<FileSyncParts>> BuildFileSync(const Config& config, const Clock& clock,
                                                     std::shared_ptr<PostGate> gate) {
  const ChainConfig& c = config.chain;
  auto canister = codec::Principal::FromText(c.file_canister_id);
  if (!canister) return Err(InvalidArgument("FILE_STORAGE_CANISTER_ID: not a principal: " + canister.error().message()));
  auto parts = std::make_unique<FileSyncParts>();
  ASSIGN_OR_RETURN(parts->agent, BuildAgent(config, clock, "CANISTER_STORAGE_ENABLED: the file canister",
                                            static_cast<int>(c.canister_timeout_ms)));
  chain::FileClientOptions options;
  options.chunk_bytes = c.canister_chunk_bytes;
  options.file_bytes_max = std::max<size_t>(config.files.file_bytes_max, config.files.result_inline_bytes_max);
  parts->client = std::make_unique<chain::FileCanisterClient>(*parts->agent.agent, *canister, options);
  auto post = [gate](std::function<void()> fn) { gate->Post(std::move(fn)); };
  parts->uploads = std::make_unique<chain::Executor>(c.canister_sync_concurrency, 4096, post);
  parts->reads = std::make_unique<chain::Executor>(2, 256, post);
  spdlog::info("file canister: results and files mirrored on {} as {} at {}, {} uploads at once, chunks of {} bytes",
               c.file_canister_id, parts->agent.agent->identity().principal().ToText(), config.ic_url,
               c.canister_sync_concurrency, c.canister_chunk_bytes);
  return parts;
}

settle::CanisterSyncOptions CanisterSyncOptionsFor(const Config& config) {
  settle::CanisterSyncOptions o;
  o.enabled = config.canister_storage_enabled;
  o.in_flight_max = config.chain.canister_sync_concurrency;
  return o;
}

settle::Upload UploaderFor(FileSyncParts* parts, store::Store& store, const std::string& blobs_root) {
  if (parts == nullptr) {
    return [](const store::SyncRecord&, settle::UploadDone done) {
      done(Err(FailedPrecondition("CANISTER_STORAGE_ENABLED is false")));
    };
  }
  settle::LoadResult load = [&store](const store::SyncRecord& r, std::function<void(Result<std::string>)> done) {
    store.GetBlob(r.sha256, [done = std::move(done)](Result<std::optional<std::string>> blob) {
      if (!blob.has_value()) return done(Err(Status(blob.error())));
      std::optional<std::string> bytes = std::move(blob.value());
      if (!bytes) return done(Err(NotFound("the result is gone from the store")));
      done(std::move(*bytes));
    });
  };
  // Reads only, from the upload workers (BlobDir is safe for that).
  auto dir = std::make_shared<files::BlobDir>(files::BlobDirOptions{.root = blobs_root, .pwrite_fn = {}});
  settle::ReadFile read = [dir](const std::string& sha256, size_t offset, size_t n) -> Result<std::string> {
    int64_t size = 0;
    ASSIGN_OR_RETURN(const files::FileHandle file, dir->OpenBlob(sha256, &size));
    ASSIGN_OR_RETURN(std::string bytes, dir->ReadAt(file, static_cast<int64_t>(offset), n));
    if (bytes.size() != n) return Err(InvalidArgument("the file here is shorter than recorded"));
    return bytes;
  };
  return settle::MakeUpload(std::move(load), std::move(read), *parts->client, *parts->uploads);
}

files::FileService::RemoteFetch RemoteFetchFor(FileSyncParts& parts, MetricsRegistry& metrics) {
  const char* help = "Results and files read back from the file canister because they were missing here, by outcome.";
  Counter* ok = &metrics.GetCounter("sela_canister_readbacks_total", help, "outcome=\"ok\"");
  Counter* missing = &metrics.GetCounter("sela_canister_readbacks_total", help, "outcome=\"missing\"");
  Counter* failed = &metrics.GetCounter("sela_canister_readbacks_total", help, "outcome=\"failed\"");
  return [&parts, ok, missing, failed](const std::string& sha256, std::function<void(Result<std::string>)> done) {
    spdlog::warn("{} is missing here: reading it back from the file canister", sha256);
    settle::FetchFromCanister(*parts.client, *parts.reads, sha256,
                              [sha256, ok, missing, failed, done = std::move(done)](Result<std::string> r) {
                                if (r) {
                                  ok->Inc();
                                  spdlog::info("{} read back from the file canister: {} bytes", sha256, r->size());
                                  return done(std::move(r));
                                }
                                if (r.error().code() == Code::kNotFound) {
                                  missing->Inc();
                                  spdlog::warn("{} is not on the file canister either", sha256);
                                  return done(Err(NotFound("not on the file canister")));
                                }
                                failed->Inc();
                                spdlog::warn("{} cannot be read back from the file canister: {}", sha256,
                                             r.error().ToString());
                                done(Err(Unavailable("the file canister cannot be read now")));
                              });
  };
}

}  // namespace sela::app
