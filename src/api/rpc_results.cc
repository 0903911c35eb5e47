// Job results for the customer API (see rpc_internal.h): a result kept in
// the store, or one that came as a file (JobRecord::result_file_id), read or
// streamed from the file's blob.
#include "api/blob_download.h"
#include "api/rpc_internal.h"
#include "codec/js_json.h"

namespace sela::api::rpc {

void ReadResult(Ctx& ctx, const store::JobRecord& job, int64_t bytes_max,
                std::function<void(Result<std::string>)> done) {
  if (job.state != store::JobState::kCompleted || job.result_hash.empty()) {
    return done(Err(NotFound("the job has no result")));
  }
  if (job.result_file_id.empty()) {
    ctx.deps.store.GetBlob(job.result_hash, [files = ctx.deps.files, hash = job.result_hash,
                                             done = std::move(done)](Result<std::optional<std::string>> blob) mutable {
      if (!blob) return done(Err(blob.error()));
      // Missing here: the file canister's copy, when there is one.
      if (!*blob && files && files->has_remote()) return files->FetchRemote(hash, std::move(done));
      if (!*blob) return done(Err(NotFound("the result is missing")));
      done(std::move(**blob));
    });
    return;
  }
  if (job.result_bytes > bytes_max) return done(Err(ResourceExhausted("the result file is too large to inline")));
  if (!ctx.deps.files) return done(Err(NotFound("files are not served here")));
  ctx.deps.files->ReadBlob(job.result_hash, bytes_max, [done = std::move(done)](Result<std::string> bytes) {
    if (!bytes && bytes.error().code() == Code::kInvalidArgument) {
      return done(Err(ResourceExhausted("the result file is too large to inline")));
    }
    done(std::move(bytes));
  });
}

net::HttpResponse ResultTooLargeResponse(const store::JobRecord& job, int64_t bytes_max) {
  return ErrorResponse(413, "The result (" + std::to_string(job.result_bytes) + " bytes) is over RESULT_INLINE_BYTES_MAX (" +
                          std::to_string(bytes_max) + " bytes): download it from /api/rpc/job/" + job.job_id +
                          "/download");
}

std::string ResultFileJson(const store::JobRecord& job) {
  return codec::JsonObjectWriter()
      .String("fileId", job.result_file_id)
      .Integer("size", job.result_bytes)
      .String("sha256", job.result_hash)
      .String("contentType", job.result_content_type)
      .String("download", "/api/rpc/job/" + job.job_id + "/download")
      .Finish();
}

void ServeJobDownload(Ctx& ctx, const net::HttpRequest& request, const store::JobRecord& job,
                      const RestRespond& respond, std::string_view failure_message) {
  bool structured = false;
  const std::optional<std::string> file_id = QueryString(request, "file_id", &structured);
  if (file_id && !file_id->empty()) {
    // Another file a node uploaded for the job.
    if (structured || !ctx.deps.files) return respond(ErrorResponse(404, "File not found"));
    ctx.deps.files->Get(*file_id, [&ctx, request, job_id = job.job_id, respond,
                                   failure = std::string(failure_message)](Result<std::optional<store::FileRecord>> f) {
      if (!f && f.error().code() != Code::kInvalidArgument) return respond(StoreFailure(f.error(), failure));
      if (!f || !*f || (*f)->job_id != job_id || (*f)->state != store::FileState::kComplete) {
        return respond(ErrorResponse(404, "File not found"));
      }
      const store::FileRecord& file = **f;
      ServeDownload(ctx.deps.files, request,
                    DownloadTarget{.sha256 = file.sha256, .size = file.size, .content_type = file.content_type,
                                   .filename = file.name, .bytes = std::nullopt},
                    respond, failure);
    });
    return;
  }
  if (job.state != store::JobState::kCompleted || job.result_hash.empty()) {
    return respond(ErrorResponse(404, "File not found"));
  }
  DownloadTarget target{.sha256 = job.result_hash, .size = job.result_bytes,
                        .content_type = job.result_content_type, .filename = ResultFileName(job),
                        .bytes = std::nullopt};
  if (!job.result_file_id.empty()) {
    if (!ctx.deps.files) return respond(ErrorResponse(404, "File not found"));
    return ServeDownload(ctx.deps.files, request, std::move(target), respond, failure_message);
  }
  ctx.deps.store.GetBlob(job.result_hash, [&ctx, request, target = std::move(target), respond,
                                           failure = std::string(failure_message)](
                                              Result<std::optional<std::string>> blob) mutable {
    if (!blob) return respond(StoreFailure(blob.error(), failure));
    if (!*blob && ctx.deps.files && ctx.deps.files->has_remote()) {
      // Missing here: the file canister's copy, checked against its hash.
      const std::string hash = target.sha256;
      return ctx.deps.files->FetchRemote(hash, [&ctx, request, target = std::move(target), respond,
                                                failure](Result<std::string> bytes) mutable {
        if (!bytes && bytes.error().code() == Code::kNotFound) {
          return respond(ErrorResponse(404, "File not found: missing here and on the file canister"));
        }
        if (!bytes) {
          return respond(ErrorResponse(503, "Result missing here, and its copy on the file canister cannot be read now; retry later"));
        }
        target.size = static_cast<int64_t>(bytes->size());
        target.bytes = std::move(*bytes);
        ServeDownload(ctx.deps.files, request, std::move(target), respond, failure);
      });
    }
    if (!*blob) return respond(ErrorResponse(404, "File not found"));
    target.size = static_cast<int64_t>((*blob)->size());
    target.bytes = std::move(**blob);
    ServeDownload(ctx.deps.files, request, std::move(target), respond, failure);
  });
}

}  // namespace sela::api::rpc
